"""Release: `/release record` by staff, or a published GitHub release whose notes name the bounty's issue or one
of its pull requests (webhook or polling), recorded once whichever comes first; the bounty moves approved →
released → maintenance, the maintenance year's end is set, and everyone is told."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.errors import InvalidInput
from bot.domain.lifecycle import State
from bot.domain.releases import Version, one_year_after, parse_version, references
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.services.maintenance import RENEWAL_NOTICE, YEAR_END
from bot.store import audit, bounties, releases, timers
from tests.conftest import People
from tests.github_helpers import deliver, funded, gh_bot, github, github_config, settle
from tests.qa_helpers import pass_qa

__all__ = ["gh_bot", "github"]  # fixtures, used by name

YEAR_LATER = "2027-11-24"  # a year after the tests' START (2026-11-24), in UTC


async def approved(bot: BountyBot, people: People, clock: ManualClock, *, via: tuple[str, ...] = ()) -> int:
    """A funded bounty moved by staff through to `approved` (the vote is another feature's); its channel."""
    channel = await funded(bot, people, clock)
    for state in via or ("open", "development", "testing", "governance", "approved"):
        done = await people.staff.run(
            "bounty advance",
            channel=channel,
            to=state,
            reason="moved by hand for the test",
            override=state == "governance",
        )
        assert "is now **" in done.reply.text, done.reply.text
    await settle(bot, clock)
    return channel


def texts(sandbox: DiscordSandbox, channel: int | str) -> list[str]:
    return [Reply(m).text for m in sandbox.state.messages.get(str(channel), [])]


def announcements(sandbox: DiscordSandbox) -> list[str]:
    return texts(sandbox, sandbox.state.channel_named("announcements")["id"])


async def state_changes(bot: BountyBot, bounty_id: int = 1) -> list[tuple[str, str]]:
    return [
        (str(e.detail["old"]), str(e.detail["new"]))
        for e in await audit.for_bounty(bot.db.conn, bounty_id)
        if e.action == "state_changed"
    ]


# --- the rules ---------------------------------------------------------------------------------------------


def test_versions_are_hummingbots_three_numbers_with_or_without_the_tag_v() -> None:
    assert parse_version("2.14.0") == parse_version("v2.14.0") == Version(2, 14, 0)
    assert str(parse_version(" V2.3.1 ")) == "2.3.1"
    for wrong in ("2.14", "latest", "v2.14.0-beta", "02.1.0", "2.14.0.1", "", "2.\u200b14.0x", "9" * 40):
        with pytest.raises(InvalidInput) as refused:
            parse_version(wrong)
        assert refused.value.problems[0].startswith("Version: give the Hummingbot release as three numbers")


def test_release_notes_name_issues_and_pull_requests_of_our_repository_only() -> None:
    notes = (
        "## New connectors\n- Backpack spot connector (#12, PR #7512)\n"
        "- GRVT: https://github.com/hummingbot/hummingbot/issues/40 and hummingbot/hummingbot#41\n"
        "- Gateway: hummingbot/gateway#13, https://github.com/hummingbot/gateway/pull/14\n"
        "- see https://github.com/hummingbot/hummingbot/pull/15#discussion_r1 &#16; issue#17 #123456789012\n"
    )
    assert references(notes, "hummingbot/hummingbot") == {12, 7512, 40, 41, 15}


def test_a_maintenance_year_ends_on_the_same_date_a_year_on() -> None:
    start = int(datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp())
    assert one_year_after(start) == int(datetime(2027, 11, 24, 12, 0, tzinfo=UTC).timestamp())
    leap = int(datetime(2028, 2, 29, 9, 0, tzinfo=UTC).timestamp())
    assert one_year_after(leap) == int(datetime(2029, 2, 28, 9, 0, tzinfo=UTC).timestamp())


# --- by command -----------------------------------------------------------------------------------------------


async def test_staff_record_a_release_and_the_bounty_enters_its_maintenance_year(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    channel = await approved(gh_bot, people, clock)
    released_at = clock.now()
    ends_at = one_year_after(released_at)
    done = await people.staff.run("release record", channel="general", bounty=1, version="v2.14.0")
    assert done.reply.ephemeral
    assert "shipped in Hummingbot **2.14.0**" in done.reply.text and "now **maintenance**" in done.reply.text
    assert f"<t:{ends_at}:R>" in done.reply.text
    await settle(gh_bot, clock)

    one = await bounties.get(gh_bot.db.conn, 1)
    assert one is not None and one.state is State.MAINTENANCE
    assert (await state_changes(gh_bot))[-2:] == [("approved", "released"), ("released", "maintenance")]
    recorded = await releases.for_bounty(gh_bot.db.conn, 1)
    assert recorded is not None and (recorded.version, recorded.source) == ("2.14.0", "command")
    assert recorded.recorded_by == people.staff.id and recorded.released_at == released_at
    assert [(d.version, d.released_at) for d in await releases.release_dates(gh_bot.db.conn)] == [
        ("2.14.0", released_at)
    ]
    # Announced publicly, told in the bounty channel (pinging the lead), and on the public issue.
    assert [t for t in announcements(sandbox) if "Hummingbot 2.14.0" in t] == [
        next(t for t in announcements(sandbox) if t.startswith("New connector: Backpack ships in Hummingbot 2.14.0"))
    ]
    shipped = next(m for m in sandbox.state.messages[str(channel)] if "Released: Backpack connector" in Reply(m).text)
    assert people.exchange.mention in shipped["content"] and f"<t:{ends_at}:R>" in Reply(shipped).text
    comments = [c["body"] for c in github.comments[1]]
    assert any("Released in Hummingbot **2.14.0**" in c and f"runs until {YEAR_LATER}" in c for c in comments)
    assert next(iter(github.board_items.values()))["status"] == "Merged"  # Paid once the developer's payout is recorded
    # The maintenance year's timers: renewal notices 60 and 30 days before its end, and the end.
    due = sorted((t.kind, t.due_at) for t in await timers.pending(gh_bot.db.conn, "bounty:1"))
    assert (YEAR_END, ends_at) in due
    assert [at for kind, at in due if kind == RENEWAL_NOTICE] == [ends_at - 60 * 86400, ends_at - 30 * 86400]

    status = await people.exchange.run("bounty status", channel=channel)
    assert "Hummingbot **2.14.0**" in status.reply.text
    assert f"Maintenance year 1 ends <t:{ends_at}:D> (<t:{ends_at}:R>)" in status.reply.text

    again = await people.staff.run("release record", channel=channel, bounty=1, version="2.14.0")
    assert "already recorded as released in 2.14.0" in again.reply.text and "a bounty ships once" in again.reply.text
    assert len([t for t in announcements(sandbox) if "Hummingbot 2.14.0" in t]) == 1


async def test_release_record_is_staffs_and_only_for_an_approved_bounty(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel = await approved(bot, people, clock, via=("open", "development", "testing", "governance"))
    before = len(await audit.for_bounty(bot.db.conn, 1))
    for person in (people.exchange, people.teammate, people.outsider):
        refused = await person.run("release record", channel=channel, bounty=1, version="2.14.0")
        assert refused.reply.ephemeral and refused.reply.text == "Only Foundation staff can record a release."
    early = await people.staff.run("release record", channel=channel, bounty=1, version="2.14.0")
    assert early.reply.text.startswith("Bounty #1 is `governance`: a release is recorded once the governance vote")
    wrong = await people.staff.run("release record", channel=channel, bounty=1, version="2.14")
    assert "Version: give the Hummingbot release as three numbers" in wrong.reply.text
    assert "(you gave `2.14`)" in wrong.reply.text
    missing = await people.staff.run("release record", channel=channel, bounty=9, version="2.14.0")
    assert missing.reply.text.startswith("There is no bounty #9.")
    assert len(await audit.for_bounty(bot.db.conn, 1)) == before
    assert await releases.for_bounty(bot.db.conn, 1) is None
    assert not announcements(sandbox)


# --- from GitHub ------------------------------------------------------------------------------------------------


def release_event(release: dict[str, object]) -> dict[str, object]:
    """GitHub's `release` webhook payload ("published"): the release object, the repository and the sender."""
    return {
        "action": "published",
        "release": release,
        "repository": {"full_name": "hummingbot/hummingbot"},
        "sender": {"login": "hummingbot-release"},
    }


async def test_a_published_github_release_naming_a_linked_pull_request_records_it_once(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=True), clock=clock) as bot:
        channel = await approved(bot, people, clock, via=("open", "development"))
        # The developer's pull request references the bounty issue; merged, it moves the bounty to governance.
        pr = {"number": 7512, "title": "Add Backpack connector", "body": "Closes the bounty #1", "user": {"login": "d"}}
        opened = {**pr, "state": "open", "merged": False, "merged_at": None}
        merged = {**pr, "state": "closed", "merged": True, "merged_at": "2026-11-24T12:00:00Z"}
        assert (await deliver(bot, "pull_request", {"action": "opened", "pull_request": opened}))[1]["moved"] == [1]
        await pass_qa(bot, people)  # a merge moves the bounty to governance only once QA passes
        assert (await deliver(bot, "pull_request", {"action": "closed", "pull_request": merged}))[1]["moved"] == [1]
        await people.staff.run("bounty advance", channel=channel, to="approved", reason="vote passed")
        await settle(bot, clock)

        # A draft (GitHub says "created") and a pre-release ship nothing, even naming the pull request.
        draft = github.add_release("v2.14.0", "Backpack (#7512)", draft=True)
        assert (await deliver(bot, "release", {**release_event(draft), "action": "created"}))[1] == {
            "handled": "release"
        }
        candidate = github.add_release("v2.14.0", "Backpack (#7512)", name="2.14.0 release candidate", prerelease=True)
        assert (await deliver(bot, "release", release_event(candidate)))[1]["released"] == []
        assert await releases.for_bounty(bot.db.conn, 1) is None

        clock.advance(3600)
        published = github.add_release("v2.14.0", "## New connectors\n* Backpack spot connector by @d in #7512")
        status, answer = await deliver(bot, "release", release_event(published))
        assert status == 200 and answer["released"] == [1]
        # The same release again (GitHub redelivers, or it is edited and published again): recorded once.
        assert (await deliver(bot, "release", release_event(published)))[1]["released"] == []
        await settle(bot, clock)
        one = await bounties.get(bot.db.conn, 1)
        assert one is not None and one.state is State.MAINTENANCE
        recorded = await releases.for_bounty(bot.db.conn, 1)
        assert recorded is not None and (recorded.version, recorded.source) == ("2.14.0", "github")
        assert recorded.url == published["html_url"] and recorded.released_at <= clock.now()
        assert len([t for t in announcements(sandbox) if "Hummingbot 2.14.0" in t]) == 1
        assert published["html_url"] in " ".join(announcements(sandbox))
        # Staff typing it afterwards are told it is already recorded, from GitHub.
        late = await people.staff.run("release record", channel=channel, bounty=1, version="2.14.0")
        assert (
            "already recorded as released in 2.14.0" in late.reply.text and "from its GitHub release" in late.reply.text
        )
        assert (await state_changes(bot)).count(("approved", "released")) == 1
        assert sum(e.action == "release_recorded" for e in await audit.for_bounty(bot.db.conn, 1)) == 1


async def test_a_release_naming_a_bounty_not_yet_approved_moves_nothing_and_tells_staff_once(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=True), clock=clock) as bot:
        await approved(bot, people, clock, via=("open", "development", "testing", "governance"))
        published = github.add_release("v2.14.0", "Backpack: https://github.com/hummingbot/hummingbot/issues/1")
        for _ in range(2):  # delivered twice (a redelivery): staff are told once
            assert (await deliver(bot, "release", release_event(published)))[1]["released"] == []
        await settle(bot, clock)
        one = await bounties.get(bot.db.conn, 1)
        assert one is not None and one.state is State.GOVERNANCE
        staff = texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
        assert len([t for t in staff if "Release 2.14.0 names bounty #1 Backpack, which is not approved" in t]) == 1

        # Approved later, the release it shipped in is recorded when GitHub tells of it again: a pre-release
        # promoted to a release fires only "released".
        one_channel = one.channel_id
        assert one_channel is not None
        await people.staff.run("bounty advance", channel=one_channel, to="approved", reason="vote passed")
        status, answer = await deliver(bot, "release", {**release_event(published), "action": "released"})
        assert status == 200 and answer["released"] == [1]
        assert (await deliver(bot, "release", release_event(published)))[1]["released"] == []
        assert (await bounties.get(bot.db.conn, 1)).state is State.MAINTENANCE  # type: ignore[union-attr]


async def test_polling_finds_a_published_release_once_with_conditional_requests(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await funded(gh_bot, people, clock)
    await gh_bot.github_events.poll_once(client, base)
    asked = [p for _, p, _ in github.log if p.endswith("/releases")]
    assert asked == []  # no bounty awaits its release: releases are not asked for
    await approved_from_funded(gh_bot, people, clock)
    github.add_release("v2.13.0", "Older release, nothing of ours. Gateway: hummingbot/gateway#1")
    await gh_bot.github_events.poll_once(client, base)
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.APPROVED  # type: ignore[union-attr]
    await gh_bot.github_events.poll_once(client, base)
    releases_asked = [status for method, p, status in github.log if p.endswith("/releases")]
    assert releases_asked[-1] == 304  # nothing new: a conditional request GitHub does not count

    clock.advance(86400)
    github.add_release("v2.14.0", "New: Backpack connector, https://github.com/hummingbot/hummingbot/issues/1")
    await gh_bot.github_events.poll_once(client, base)
    await gh_bot.github_events.poll_once(client, base)
    await settle(gh_bot, clock)
    one = await bounties.get(gh_bot.db.conn, 1)
    assert one is not None and one.state is State.MAINTENANCE
    recorded = await releases.for_bounty(gh_bot.db.conn, 1)
    assert recorded is not None and recorded.version == "2.14.0" and recorded.source == "github"
    assert len([t for t in announcements(sandbox) if "Hummingbot 2.14.0" in t]) == 1
    # Once nothing awaits a release, the poll stops asking.
    count = len([p for _, p, _ in github.log if p.endswith("/releases")])
    await gh_bot.github_events.poll_once(client, base)
    assert len([p for _, p, _ in github.log if p.endswith("/releases")]) == count


async def approved_from_funded(bot: BountyBot, people: People, clock: ManualClock) -> None:
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None and one.channel_id is not None
    for state in ("open", "development", "testing", "governance", "approved"):
        await people.staff.run(
            "bounty advance",
            channel=one.channel_id,
            to=state,
            reason=f"moved by hand for the test, step {uuid.uuid4().hex[:4]}",
            override=state == "governance",
        )
    await settle(bot, clock)
