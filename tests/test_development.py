"""Development and testing, through Discord as people would, mirrored to the GitHub stand-in: assigning the
developer, weekly updates, the checklists, bugs with their SLA clock, and what GitHub sends back."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.store import audit, bounties, bugs, developers
from tests.conftest import People
from tests.github_helpers import deliver, funded, gh_bot, github, github_config, settle
from tests.intake_helpers import start_bounty

__all__ = ["gh_bot", "github"]  # fixtures, used by name


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


def channel_texts(sandbox: DiscordSandbox, channel_id: int) -> list[str]:
    return [Reply(m).text for m in sandbox.state.messages[str(channel_id)]]


def labels(github: GitHubSandbox, number: int) -> set[str]:
    return {label["name"] for label in github.issues[number]["labels"]}


async def assigned(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    channel = await funded(bot, people, clock)
    outcome = await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    assert "dana-dev" in outcome.reply.text, outcome.reply.text
    await settle(bot, clock)
    return channel


# --- /bounty assign -------------------------------------------------------------------------------


async def test_assigning_the_developer_starts_development_everywhere(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await funded(gh_bot, people, clock)
    assert not dev.can_view(channel)
    for person in (people.exchange, people.outsider, dev):
        refused = await person.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
        assert refused.reply.text == "Only Foundation staff can assign a developer."
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.now() + 3 * 86400))
    done = await people.staff.run("bounty assign", channel=channel, developer=dev, github="@dana-dev", kickoff=when)
    assert done.reply.ephemeral and "is now **development**" in done.reply.text
    await settle(gh_bot, clock)
    assert dev.can_view(channel)
    bounty = await bounties.get(gh_bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.DEVELOPMENT
    welcome = next(m for m in sandbox.state.messages[str(channel)] if "Developer assigned" in Reply(m).text)
    assert dev.mention in welcome["content"] and [u["id"] for u in welcome["mentions"]] == [str(dev.id)]
    kickoff = [e for e in sandbox.state.events.values() if e["name"].startswith("Kick-off")]
    assert len(kickoff) == 1 and kickoff[0]["scheduled_start_time"].startswith(when.replace(" ", "T"))
    # One phase label at a time on the public issue, and the board says Assigned.
    assert [name for name in labels(github, 1) if name.startswith("phase: ")] == ["phase: development"]
    assert next(iter(github.board_items.values()))["status"] == "Assigned"
    status = await people.exchange.run("bounty status", channel=channel)
    assert "GitHub `dana-dev`" in status.reply.text and "Implementation: **0/7**" in status.reply.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"github": "not a login!"}, "is not a GitHub username"),
        ({"github": "-dash"}, "is not a GitHub username"),
        ({"github": "dana-dev", "kickoff": "next tuesday"}, "write it as YYYY-MM-DD HH:MM in UTC"),
        ({"github": "dana-dev", "kickoff": "2020-01-01 10:00"}, "in the past"),
    ],
)
async def test_assignment_input_is_checked(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock, options: dict[str, str], message: str
) -> None:
    channel = await funded(gh_bot, people, clock)
    refused = await people.staff.run("bounty assign", channel=channel, developer=dev, **options)
    assert message in refused.reply.text
    assert await developers.for_bounty(gh_bot.db.conn, 1) is None


async def test_the_exchange_team_cannot_be_the_developer_nor_can_a_bounty_before_funding(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    refused = await people.staff.run("bounty assign", channel=channel, developer=people.exchange, github="erin")
    assert "is on the exchange team" in refused.reply.text
    await start_bounty(people.teammate, exchange={"exchange": "Grvt"})  # a second exchange, not yet funded
    early = await people.staff.run("bounty assign", channel="developer", developer=dev, github="dana-dev", bounty=2)
    assert "Bounty #2 is `intake`" in early.reply.text


async def test_one_active_bounty_per_developer_unless_their_pull_request_is_under_review(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    first = await assigned(gh_bot, people, dev, clock)
    second = await funded(gh_bot, people, clock, exchange="Grvt")
    busy = await people.staff.run("bounty assign", channel=second, developer=dev, github="dana-dev")
    assert "already building bounty #1" in busy.reply.text
    other_account = await people.staff.run(
        "bounty assign", channel=second, developer=people.outsider, github="DANA-dev"
    )
    assert "already building bounty #1" in other_account.reply.text  # the same GitHub login is the same developer
    await people.staff.run("bounty advance", channel=first, to="testing", reason="PR under review")
    ok = await people.staff.run("bounty assign", channel=second, developer=dev, github="dana-dev")
    assert "builds bounty #2" in ok.reply.text


async def test_reassignment_moves_access_and_tells_github(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    successor = add_user(sandbox, "Rui Replacement")
    moved = await people.staff.run("bounty assign", channel=channel, developer=successor, github="rui")
    assert f"replacing {dev.mention}" in moved.reply.content
    await settle(gh_bot, clock)
    assert successor.can_view(channel) and not dev.can_view(channel)
    assert "Developer reassigned: rui." in github.comments[1][-1]["body"]
    again = await people.staff.run("bounty assign", channel=channel, developer=successor, github="rui")
    assert "is already the developer" in again.reply.text


# --- /update --------------------------------------------------------------------------------------


async def test_the_weekly_update_is_shown_to_the_exchange_and_mirrored_neutralised(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    for person in (people.exchange, people.outsider):
        refused = await person.run("update post", channel=channel)
        assert refused.modal is None and refused.reply.ephemeral
    assert "assigned developer" in (await people.exchange.run("update post", channel=channel)).reply.text
    assert "not a member of bounty #1" in (await people.outsider.run("update post", channel=channel)).reply.text

    clock.advance(3600)
    posted_at = clock.now()
    opened = await dev.run("update post", channel=channel)
    assert opened.modal is not None and opened.modal["title"] == "Weekly update · Backpack"
    posted = await dev.submit(
        opened,
        {
            "done": "Auth and order book. Thanks @octocat, fixes #1",
            "next": "Order placement",
            "blockers": "",
            "percent": "40%",
        },
    )
    assert "40% complete" in posted.reply.text
    await settle(gh_bot, clock)
    shown = channel_texts(sandbox, channel)[-1]
    assert "Weekly update · 40% complete" in shown and "Order placement" in shown
    comment = github.comments[1][-1]["body"]
    assert "Weekly update from dana-dev · 40% complete" in comment and "Auth and order book." in comment
    assert "@octocat" not in comment and not re.search(r"fixes #1\b", comment)
    assignment = await developers.for_bounty(gh_bot.db.conn, 1)
    assert assignment is not None and assignment.last_activity_at == posted_at > assignment.assigned_at


async def test_a_refused_update_keeps_what_was_typed(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    opened = await dev.run("update post", channel=channel)
    typed = {"done": "Market data", "next": "Orders", "blockers": "Waiting on API keys", "percent": "half"}
    refused = await dev.submit(opened, typed)
    assert "Percent complete: a whole number from 0 to 100" in refused.reply.text
    again = await dev.click(refused.reply, "Fix my answers")
    assert again.modal is not None
    prefilled = {
        row["components"][0]["custom_id"]: row["components"][0].get("value") for row in again.modal["components"]
    }
    assert prefilled == typed
    fixed = await dev.submit(again, {"percent": "50"})
    assert "50% complete" in fixed.reply.text
    await settle(gh_bot, clock)
    assert "**Blockers:** Waiting on API keys" in github.comments[1][-1]["body"]


async def test_the_developer_and_staff_filling_in_updates_at_once_are_both_answered(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    """discord.py keys open modals by custom id: a shared id would answer one of these with the other's form."""
    channel = await assigned(gh_bot, people, dev, clock)
    mine = await dev.run("update post", channel=channel)
    theirs = await people.staff.run("update post", channel=channel)
    assert mine.modal is not None and theirs.modal is not None
    assert mine.modal["custom_id"] != theirs.modal["custom_id"]
    answers = {"done": "Order book", "next": "Orders", "blockers": ""}
    posted = await asyncio.gather(
        dev.submit(mine, {**answers, "percent": "30"}), people.staff.submit(theirs, {**answers, "percent": "35"})
    )
    assert "30% complete" in posted[0].reply.text and "35% complete" in posted[1].reply.text
    await settle(gh_bot, clock)
    shown = "\n".join(channel_texts(sandbox, channel))
    assert "30% complete" in shown and "35% complete" in shown


async def test_updates_wait_for_development(gh_bot: BountyBot, people: People, clock: ManualClock) -> None:
    channel = await funded(gh_bot, people, clock)
    early = await people.staff.run("update post", channel=channel)
    assert "weekly updates run during development and testing" in early.reply.text


# --- /checklist -----------------------------------------------------------------------------------


async def test_ticking_the_checklist_edits_the_issue_task_list(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    # Someone on GitHub edits the issue by hand; the bot's ticks must not undo that.
    github.issues[1]["body"] += "\n\nNote from maintainers: use the v2 API."
    shown = await dev.run("checklist", channel=channel)
    assert "Implementation checklist" in shown.reply.text and "0/7 done" in shown.reply.text
    select = shown.reply.selects[0]
    keys = [o["value"] for o in select["options"]]
    ticked = await dev.choose(shown.reply, select["custom_id"], keys[:3])
    assert "3/7 done" in ticked.reply.text and ticked.reply.text.count("✅") == 3
    await settle(gh_bot, clock)
    body = github.issues[1]["body"]
    assert body.count("- [x] ") == 3 and body.count("- [ ] ") == 4
    assert "- [x] Authentication and connection management" in body
    assert "Note from maintainers: use the v2 API." in body
    assert "Implementation checklist: 3/7 done" in channel_texts(sandbox, channel)[-1]

    fewer = await dev.choose(ticked.reply, select["custom_id"], keys[1:3])
    assert "2/7 done" in fewer.reply.text
    await settle(gh_bot, clock)
    assert "- [ ] Authentication and connection management" in github.issues[1]["body"]
    status = await people.exchange.run("bounty status", channel=channel)
    assert "Implementation: **2/7**" in status.reply.text


async def test_who_may_tick_which_checklist(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    exchange_view = await people.exchange.run("checklist", channel=channel)
    assert exchange_view.reply.selects == [] and "View only." in exchange_view.reply.text
    dev_qa = await dev.run("checklist", channel=channel, checklist="qa")
    assert dev_qa.reply.selects == [] and "0/12 passing" in dev_qa.reply.text
    staff_qa = await people.staff.run("checklist", channel=channel, checklist="qa")
    assert staff_qa.reply.selects, "staff record the QA checklist's results (tests/test_qa.py)"
    outsider = await people.outsider.run("checklist", channel=channel)
    assert "not a member of bounty #1" in outsider.reply.text
    # A stale menu does not let someone who lost the right tick anyway.
    menu = (await dev.run("checklist", channel=channel)).reply
    await people.staff.run("bounty advance", channel=channel, to="cancelled", reason="exchange withdrew")
    late = await dev.choose(menu, menu.selects[0]["custom_id"], [menu.selects[0]["options"][0]["value"]])
    assert "checklists are ticked during development and testing" in late.reply.text


# --- /bug -----------------------------------------------------------------------------------------


async def reported(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock, severity: str) -> int:
    channel = await assigned(bot, people, dev, clock)
    done = await people.exchange.run(
        "bug report",
        channel=channel,
        severity=severity,
        title="Order book stale",
        description="After a reconnect the book stops updating. @octocat fixes #1",
    )
    assert done.reply.ephemeral and "Bug #1" in done.reply.text, done.reply.text
    return channel


async def test_a_bug_gets_its_own_issue_linked_from_the_bounty_and_an_sla_clock(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await reported(gh_bot, people, dev, clock, "critical")
    opened_at = clock.now()
    await gh_bot.outbox.drain()
    notice = next(m for m in sandbox.state.messages[str(channel)] if "Bug #1 (Critical)" in Reply(m).text)
    assert [u["id"] for u in notice["mentions"]] == [str(dev.id)]  # the developer is pinged, nobody else
    staff_alerts = sandbox.state.messages[sandbox.state.channel_named("staff-alerts")["id"]]
    assert any("Bug #1 (Critical)" in Reply(m).text for m in staff_alerts)
    await settle(gh_bot, clock)
    bug_issue = github.issues[2]
    assert bug_issue["title"] == "[Critical] Backpack connector: Order book stale"
    assert labels(github, 2) == {"bug", "severity: critical"}
    assert "connector bounty #1" in bug_issue["body"] and "@octocat" not in bug_issue["body"]
    assert not re.search(r"fixes #1\b", bug_issue["body"])
    assert any("Bug reported (Critical): #2 Order book stale" in c["body"] for c in github.comments[1])
    listed = await people.teammate.run("bug list", channel=channel)
    assert "not a member" in listed.reply.text
    listed = await dev.run("bug list", channel=channel)
    assert "Order book stale" in listed.reply.text and f"<t:{opened_at + 24 * 3600}:R>" in listed.reply.text
    assert "GitHub #2" in listed.reply.text

    # 12 h: half the window; 21.6 h: 90%; 24 h: breached, staff told, GitHub labelled.
    clock.advance(opened_at + 12 * 3600 - clock.now())
    await gh_bot.timers.run_due()
    await gh_bot.outbox.drain()
    assert "half of its SLA window used" in channel_texts(sandbox, channel)[-1]
    clock.advance(opened_at + 24 * 3600 - clock.now())
    await gh_bot.timers.run_due()
    await settle(gh_bot, clock)
    assert any("SLA breached: bug #1" in Reply(m).text for m in staff_alerts)
    assert "sla-breached" in labels(github, 2)
    status = await people.exchange.run("bounty status", channel=channel)
    assert "SLA breached" in status.reply.text


async def test_many_long_bugs_fit_the_status_with_whole_links(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    for i in range(10):
        done = await people.exchange.run(
            "bug report",
            channel=channel,
            severity="major",
            title=f"Order book stale after reconnect on every market, case {i:02d} " + "x" * 30,
            description="After a reconnect the book stops updating for good.",
        )
        assert f"Bug #{i + 1}" in done.reply.text, done.reply.text
    await settle(gh_bot, clock)
    status = await people.exchange.run("bounty status", channel=channel)
    field = next(f for f in status.reply.embeds[0]["fields"] if f["name"].startswith("Open bugs"))["value"]
    assert len(field) <= 1024
    lines = field.split("\n")
    assert lines[-1].startswith("…and ") and "more" in lines[-1]
    for line in lines[:-1]:  # every shown bug keeps its GitHub link whole
        assert re.search(r"\[GitHub #\d+\]\(https?://[^)\s]+/issues/\d+\)$", line), line


async def test_resolving_in_discord_closes_the_issue_and_reopening_resumes_the_clock(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await reported(gh_bot, people, dev, clock, "major")
    await settle(gh_bot, clock)
    by_exchange = await people.exchange.run("bug resolve", channel=channel, id=1)
    assert by_exchange.reply.text == "Only the bounty's assigned developer or Foundation staff can resolve a bug."
    by_outsider = await people.outsider.run("bug resolve", channel=channel, id=1)
    assert "not a member of bounty #1" in by_outsider.reply.text
    done = await dev.run("bug resolve", channel=channel, id=1)
    assert "Bug #1 is resolved" in done.reply.text
    await settle(gh_bot, clock)
    assert github.issues[2]["state"] == "closed"
    again = await dev.run("bug resolve", channel=channel, id=1)
    assert "already resolved" in again.reply.text
    by_dev = await dev.run("bug reopen", channel=channel, id=1)
    assert by_dev.reply.text == "Only the exchange team or Foundation staff can reopen a bug."
    resolved = await bugs.get(gh_bot.db.conn, 1)
    assert resolved is not None and resolved.due_at is not None and resolved.resolved_at is not None
    reopened_at = clock.now()
    back = await people.exchange.run("bug reopen", channel=channel, id=1)
    # Not a fresh 48 h window: the clock resumes where it stopped, the resolved time counted out.
    due = resolved.due_at + (reopened_at - resolved.resolved_at)
    assert f"<t:{due}:R>" in back.reply.text and due < reopened_at + 48 * 3600
    await settle(gh_bot, clock)
    assert github.issues[2]["state"] == "open"
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.due_at == due
    missing = await people.exchange.run("bug resolve", channel=channel, id=99)
    assert "There is no bug #99" in missing.reply.text


@pytest.mark.parametrize(
    ("title", "description", "message"),
    [
        ("bad", "Something is broken here", "Title: say in a few words"),
        ("Order book stale", "broken", "Description: say what you did"),
    ],
)
async def test_a_bug_report_is_checked(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock, title: str, description: str, message: str
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    refused = await people.exchange.run(
        "bug report", channel=channel, severity="minor", title=title, description=description
    )
    assert message in refused.reply.text
    assert await bugs.for_bounty(gh_bot.db.conn, 1) == []


async def test_bugs_wait_for_development_and_outsiders_cannot_report(
    gh_bot: BountyBot, people: People, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    early = await people.exchange.run(
        "bug report", channel=channel, severity="minor", title="Order book stale", description="Nothing to test yet."
    )
    assert "bugs are reported once development has started" in early.reply.text
    outsider = await people.outsider.run(
        "bug report", channel=channel, severity="minor", title="Order book stale", description="Nothing to test yet."
    )
    assert "not a member of bounty #1" in outsider.reply.text


# --- GitHub → Discord -----------------------------------------------------------------------------


async def test_github_closes_and_reopens_bugs_and_counts_only_the_developers_comments(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People, dev: SandboxUser
) -> None:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=True), clock=clock) as bot:
        channel = await reported(bot, people, dev, clock, "major")
        await settle(bot, clock)
        closed = {"action": "closed", "issue": {"number": 2}, "sender": {"login": "maintainer"}}
        assert await deliver(bot, "issues", closed) == (200, {"handled": "issues", "bug_changed": True})
        await bot.outbox.drain()
        bug = await bugs.get(bot.db.conn, 1)
        assert bug is not None and bug.state.value == "resolved" and bug.resolved_by == "`maintainer` on GitHub"
        assert "Bug #1 resolved" in channel_texts(sandbox, channel)[-1]
        assert (await deliver(bot, "issues", closed))[1]["bug_changed"] is False  # already resolved
        reopened = {"action": "reopened", "issue": {"number": 2}, "sender": {"login": "maintainer"}}
        assert (await deliver(bot, "issues", reopened))[1]["bug_changed"] is True
        assert (await bugs.get(bot.db.conn, 1)).state.value == "open"  # type: ignore[union-attr]
        # The bounty's own issue closing is not a bug.
        assert (await deliver(bot, "issues", {**closed, "issue": {"number": 1}}))[1]["bug_changed"] is False

        before = await developers.for_bounty(bot.db.conn, 1)
        clock.advance(3600)

        def comment(author: str, body: str, number: int = 1) -> dict[str, object]:
            return {
                "action": "created",
                "issue": {"number": number},
                "comment": {"id": 9000 + number, "body": body, "user": {"login": author}},
            }

        assert (await deliver(bot, "issue_comment", comment("someone-else", "any news?")))[1]["activity"] is False
        bots_own = comment("dana-dev", "<!-- bountybot -->\nWeekly update from dana-dev")
        assert (await deliver(bot, "issue_comment", bots_own))[1]["activity"] is False
        unchanged = await developers.for_bounty(bot.db.conn, 1)
        assert before is not None and unchanged is not None and unchanged.last_activity_at == before.last_activity_at
        assert (await deliver(bot, "issue_comment", comment("Dana-Dev", "Pushed the fix", 2)))[1]["activity"] is True
        after = await developers.for_bounty(bot.db.conn, 1)
        assert after is not None and after.last_activity_at == clock.now()
        trail = [e.action for e in await audit.for_bounty(bot.db.conn, 1)]
        assert trail.count("developer_activity") == 1

        malformed = await deliver(bot, "issues", {"action": "closed", "issue": {"title": "no number"}})
        assert malformed[0] == 400


async def test_polling_sees_closed_bugs_and_developer_comments(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    await reported(gh_bot, people, dev, clock, "minor")
    await settle(gh_bot, clock)
    assert gh_bot.github_client is not None
    base = gh_bot.config.github.api_base_url
    await gh_bot.github_events.poll_once(gh_bot.github_client, base)  # catch up with what the bot wrote itself
    github.set_open(2, False)
    github.add_comment(1, "Working on the reconnect", author="dana-dev")
    github.add_comment(1, "+1", author="someone-else")
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 2
    assert (await bugs.get(gh_bot.db.conn, 1)).state.value == "resolved"  # type: ignore[union-attr]
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 0  # nothing new, nothing twice

    # Reopened in Discord while GitHub is failing: the still-closed issue is not read as "resolved" again.
    outage = github.fault("PATCH", r"/issues/2$", status=502, times=1000)
    await people.exchange.run("bug reopen", channel="developer", id=1)
    await gh_bot.outbox.drain()
    github.add_comment(1, "+1 again", author="someone-else")  # something changes, so the poll looks
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 0
    assert (await bugs.get(gh_bot.db.conn, 1)).state.value == "open"  # type: ignore[union-attr]
    outage.remaining = 0
    await settle(gh_bot, clock, rounds=10)
    assert github.issues[2]["state"] == "open"


async def test_a_checklist_menu_shown_before_a_restart_still_works(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People, dev: SandboxUser
) -> None:
    config = github_config(sandbox, github, tmp_path, webhook=False)
    async with running_bot(config, clock=clock) as bot:
        channel = await assigned(bot, people, dev, clock)
        menu = (await dev.run("checklist", channel=channel)).reply
    async with running_bot(config, clock=clock) as bot:
        select = menu.selects[0]
        ticked = await dev.choose(menu, select["custom_id"], [select["options"][-1]["value"]])
        assert "1/7 done" in ticked.reply.text and "✅ Rate limit management" in ticked.reply.text
        await settle(bot, clock)
        assert "- [x] Rate limit management" in github.issues[1]["body"]


async def test_two_resolves_at_once_resolve_the_bug_once(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await reported(gh_bot, people, dev, clock, "major")
    first, second = await asyncio.gather(
        dev.run("bug resolve", channel=channel, id=1), people.staff.run("bug resolve", channel=channel, id=1)
    )
    texts = sorted([first.reply.text, second.reply.text])
    assert sum("is resolved" in t for t in texts) == 1, texts
    assert sum("already resolved" in t for t in texts) == 1, texts
    resolved = [e for e in await audit.for_bounty(gh_bot.db.conn, 1) if e.action == "bug_resolved"]
    assert len(resolved) == 1
