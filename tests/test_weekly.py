"""The weekly rhythm, through Discord and GitHub as people would meet it, weeks at a time on the injected clock:
the prompt at the developer's own hour (across a daylight-saving change, at UTC+13 and UTC−10), its button,
an update that satisfies the week, a missed week's reminder, follow-up and escalation, the Reassign button
after seven silent days (pressed by two staff members at once), activity from GitHub, pauses, settings, and
a restart between the reminder and the follow-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.store import audit, bounties, developers
from bot.store import timers as timer_rows
from tests.conftest import People
from tests.github_helpers import assigned, deliver, funded, gh_bot, github, github_config, settle
from tests.intake_helpers import start_bounty

__all__ = ["gh_bot", "github"]  # fixtures, used by name

H, DAY = 3600, 86400
PROMPT, REMINDER, MISSED = "Weekly update time", "Reminder: this week's update", "Missed: last week's update"
ESCALATED, REASSIGN = "No weekly update: bounty #1", "Reassign? Bounty #1"


def utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[arg-type, misc]


# With the defaults ([updates] monday, 15, UTC) a developer assigned on Tuesday 24 November 2026 (the tests'
# start) is first prompted on Monday 30 November at 15:00 UTC.
FIRST = utc(2026, 11, 30, 15)
SECOND = FIRST + 7 * DAY
REMINDED = FIRST + round(0.8 * 7 * DAY)


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


def posts(sandbox: DiscordSandbox, channel: int | str, title: str) -> list[Reply]:
    """Messages in `channel` whose embed title starts with `title`."""
    if not str(channel).isdigit():
        channel = sandbox.state.channel_named(str(channel))["id"]
    found = [Reply(m) for m in sandbox.state.messages[str(channel)]]
    return [r for r in found if r.embeds and r.embeds[0].get("title", "").startswith(title)]


async def run_until(bot: BountyBot, clock: ManualClock, moment: int) -> None:
    """Move the clock to `moment`, firing each timer due on the way at its own time, then deliver what they
    queued: weeks pass in a few calls."""
    while (due := await timer_rows.next_due_at(bot.db.conn)) is not None and due <= moment:
        clock.advance(max(0, due - clock.now()))
        await bot.timers.run_due()
    clock.advance(moment - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()


async def post_update(user: SandboxUser, opened_by: Any, percent: str = "30") -> None:
    posted = await user.submit(opened_by, {"done": "Order book", "next": "Orders", "blockers": "", "percent": percent})
    assert f"{percent}% complete" in posted.reply.text, posted.reply.text


# --- the prompt, its button, and an update that satisfies the week -----------------------------------------


async def test_the_first_prompt_comes_at_the_developers_hour_and_its_button_opens_the_form(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await run_until(gh_bot, clock, FIRST - 1)
    assert posts(sandbox, channel, PROMPT) == []
    await run_until(gh_bot, clock, FIRST)
    [prompt] = posts(sandbox, channel, PROMPT)
    assert [u["id"] for u in prompt.message["mentions"]] == [str(dev.id)]  # the developer, nobody else
    assert f"<t:{SECOND}:F>" in prompt.text and "Mondays at 15:00 (UTC)" in prompt.text
    assert [(b["label"], b["custom_id"]) for b in prompt.buttons] == [("Post my update", "update:prompt:1")]

    refused = await people.exchange.click(prompt, "Post my update")
    assert refused.modal is None and refused.reply.ephemeral
    assert refused.reply.text == "Only the bounty's assigned developer or Foundation staff can post the weekly update."
    assert (await people.staff.click(prompt, "Post my update")).modal is not None
    opened = await dev.click(prompt, "Post my update")
    assert opened.modal is not None and opened.modal["title"] == "Weekly update · Backpack"

    # Posted early in the week: it counts for the week, so no reminder, and no follow-up once it ends.
    clock.advance(2 * H)
    await post_update(dev, opened)
    await run_until(gh_bot, clock, SECOND + 2 * DAY)
    assert posts(sandbox, channel, REMINDER) == [] and posts(sandbox, channel, MISSED) == []
    assert len(posts(sandbox, channel, PROMPT)) == 2  # the next week was prompted as usual
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    assert posts(sandbox, staff_alerts, ESCALATED) == []


async def test_a_missed_week_is_reminded_followed_up_escalated_and_a_silent_developer_reassigned_once(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    # Some activity, but no update: checklist ticks when the week begins and four days into it.
    for ticks in (1, 2):
        await run_until(gh_bot, clock, FIRST + (ticks - 1) * 4 * DAY)
        menu = (await dev.run("checklist", channel=channel)).reply
        options = [o["value"] for o in menu.selects[0]["options"]]
        await dev.choose(menu, menu.selects[0]["custom_id"], options[:ticks])
    ticked_at = clock.now()

    await run_until(gh_bot, clock, REMINDED - 1)
    assert posts(sandbox, channel, REMINDER) == []
    await run_until(gh_bot, clock, REMINDED)  # 80% of the week (134.4 hours) has passed
    [reminder] = posts(sandbox, channel, REMINDER)
    assert [u["id"] for u in reminder.message["mentions"]] == [str(dev.id)] and reminder.buttons
    assert f"<t:{SECOND}:R>" in reminder.text

    await run_until(gh_bot, clock, SECOND + DAY - 1)
    assert posts(sandbox, channel, MISSED) == []
    await run_until(gh_bot, clock, SECOND + DAY)  # the day after the week ended
    [missed] = posts(sandbox, channel, MISSED)
    assert [u["id"] for u in missed.message["mentions"]] == [str(dev.id)]
    assert f"<t:{FIRST}:D>" in missed.text and f"<t:{SECOND}:D>" in missed.text

    await run_until(gh_bot, clock, SECOND + 3 * DAY - 1)
    assert posts(sandbox, staff_alerts, ESCALATED) == []
    await run_until(gh_bot, clock, SECOND + 3 * DAY)  # three days after: staff are told
    [escalated] = posts(sandbox, staff_alerts, ESCALATED)
    assert "GitHub `dana-dev`" in escalated.text and not escalated.message["mentions"]

    # Seven days after the tick, the last activity: staff are asked, with a one-click Reassign.
    await run_until(gh_bot, clock, ticked_at + 7 * DAY - 1)
    assert posts(sandbox, staff_alerts, REASSIGN) == []
    await run_until(gh_bot, clock, ticked_at + 7 * DAY)
    [ask] = posts(sandbox, staff_alerts, REASSIGN)
    assert f"<t:{ticked_at}:F>" in ask.text
    assignment = await developers.for_bounty(gh_bot.db.conn, 1)
    assert assignment is not None
    assert [(b["label"], b["custom_id"]) for b in ask.buttons] == [
        ("Reassign", f"bounty:reassign:1:{assignment.assigned_at}")
    ]
    # Each went out once, however long it stays silent (until the second week's own reminder).
    await run_until(gh_bot, clock, ticked_at + 8 * DAY)
    assert len(posts(sandbox, channel, REMINDER)) == 1 and len(posts(sandbox, channel, MISSED)) == 1
    assert len(posts(sandbox, staff_alerts, ESCALATED)) == 1 and len(posts(sandbox, staff_alerts, REASSIGN)) == 1

    for person in (people.exchange, dev):  # not staff: refused, nothing changes
        refused = await person.click(ask, "Reassign")
        assert (
            refused.reply.ephemeral and refused.reply.text == "Only Foundation staff can reassign a bounty's developer."
        )
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.DEVELOPMENT  # type: ignore[union-attr]

    other_staff = add_user(sandbox, "Sid Staff", roles=("hummingbot-foundation",))
    first, second = await asyncio.gather(people.staff.click(ask, "Reassign"), other_staff.click(ask, "Reassign"))
    done, late = (first, second) if not first.reply.ephemeral else (second, first)
    winner = people.staff if done is first else other_staff
    assert not done.reply.ephemeral and done.reply.buttons == []  # the alert says who did it and loses its button
    assert f"by {winner.mention}" in done.reply.text
    assert late.reply.ephemeral
    assert late.reply.text.startswith(f"Bounty #1's developer was already reassigned by {winner.mention}")

    await settle(gh_bot, clock)
    bounty = await bounties.get(gh_bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.OPEN
    assert await developers.for_bounty(gh_bot.db.conn, 1) is None
    assert not dev.can_view(channel)
    assert next(iter(github.board_items.values()))["status"] == "Open"
    assert any("Developer unassigned: dana-dev (no activity for 7 days)" in c["body"] for c in github.comments[1])
    assert len(posts(sandbox, staff_alerts, "Bounty #1 Backpack needs a developer")) == 1
    assert len(posts(sandbox, channel, "Developer unassigned: dana-dev")) == 1
    trail = [e.action for e in await audit.for_bounty(gh_bot.db.conn, 1)]
    assert trail.count("developer_unassigned") == 1

    # No developer, no prompts; the next one assigned starts a rhythm of their own.
    prompts = len(posts(sandbox, channel, PROMPT))
    await run_until(gh_bot, clock, clock.now() + 14 * DAY)
    assert len(posts(sandbox, channel, PROMPT)) == prompts
    successor = add_user(sandbox, "Rui Replacement")
    again = await people.staff.run("bounty assign", channel=channel, developer=successor, github="rui")
    assert "builds bounty #1" in again.reply.text, again.reply.text
    await run_until(gh_bot, clock, clock.now() + 7 * DAY)
    latest = posts(sandbox, channel, PROMPT)[-1]
    assert [u["id"] for u in latest.message["mentions"]] == [str(successor.id)]


# --- activity from GitHub -------------------------------------------------------------------------------------


async def test_the_developers_pushes_count_as_activity_and_no_reassignment_is_asked(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People, dev: SandboxUser
) -> None:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=True), clock=clock) as bot:
        channel = await assigned(bot, people, dev, clock)
        start = clock.now()
        staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
        clock.advance(6 * DAY)
        push = {"ref": "refs/heads/backpack-connector", "commits": [{"id": "abc"}], "sender": {"login": "someone"}}
        assert (await deliver(bot, "push", push))[1]["activity"] is False  # not the developer
        assert (await deliver(bot, "push", {**push, "sender": {"login": "Dana-Dev"}}))[1]["activity"] is True
        pushed_at = clock.now()
        await run_until(bot, clock, start + 7 * DAY + H)
        assert posts(sandbox, staff_alerts, REASSIGN) == []  # the push restarted the seven days

        clock.advance(5 * DAY)
        pull = {
            "action": "synchronize",
            "number": 7,
            "pull_request": {
                "number": 7,
                "title": "Add Backpack connector",
                "body": "For the Backpack bounty",
                "state": "open",
                "user": {"login": "dana-dev"},
                "merged_at": None,
            },
            "sender": {"login": "dana-dev"},
        }
        answer = await deliver(bot, "pull_request", pull)
        assert answer == (200, {"handled": "pull_request", "moved": [], "activity": True})
        labelled = {**pull, "action": "labeled", "sender": {"login": "maintainer"}}
        assert "activity" not in (await deliver(bot, "pull_request", labelled))[1]
        synced_at = clock.now()
        await run_until(bot, clock, pushed_at + 7 * DAY + H)
        assert posts(sandbox, staff_alerts, REASSIGN) == []
        await run_until(bot, clock, synced_at + 7 * DAY)
        assert len(posts(sandbox, staff_alerts, REASSIGN)) == 1
        sources = [
            e.detail.get("source") for e in await audit.for_bounty(bot.db.conn, 1) if e.action == "developer_activity"
        ]
        assert sources == ["push", "pull_request"]
        assert (await bounties.get(bot.db.conn, 1)).state is State.DEVELOPMENT  # type: ignore[union-attr]
        assert channel


async def test_polling_counts_the_developers_pull_request_as_activity(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    await assigned(gh_bot, people, dev, clock)
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await gh_bot.github_events.poll_once(client, base)  # catch up with what the bot wrote itself
    clock.advance(3 * DAY)
    github.add_pull_request("Unrelated docs fix", "typo", author="someone-else")
    github.add_pull_request("Backpack connector", "Work in progress", author="dana-dev")
    updated_at = clock.now()
    clock.advance(600)
    assert await gh_bot.github_events.poll_once(client, base) == 1
    assignment = await developers.for_bounty(gh_bot.db.conn, 1)
    assert assignment is not None and assignment.last_activity_at == updated_at  # dated by GitHub, not the poll
    clock.advance(600)
    github.add_comment(1, "+1", author="someone-else")  # the listing changes; the pull request is listed again
    assert await gh_bot.github_events.poll_once(client, base) == 0  # but it is not counted twice


# --- pauses ----------------------------------------------------------------------------------------------------


async def test_a_pause_stops_everything_until_its_date_and_the_channel_is_told_both_times(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    refused = await people.exchange.run("update pause", channel=channel, until="2026-12-15", reason="Vacation")
    assert (
        refused.reply.text == "Only the bounty's assigned developer or Foundation staff can pause the weekly prompts."
    )
    past = await dev.run("update pause", channel=channel, until="2026-11-20", reason="Vacation")
    assert "Until: 2026-11-20 is not after today (2026-11-24 in UTC)" in past.reply.text
    far = await dev.run("update pause", channel=channel, until="2027-03-01", reason="Vacation")
    assert "a pause lasts at most 60 days (until 2027-01-23)" in far.reply.text

    paused = await dev.run("update pause", channel=channel, until="2026-12-15", reason="Vacation, back on the 15th")
    assert paused.reply.ephemeral and "paused until 2026-12-15" in paused.reply.text
    await gh_bot.outbox.drain()
    [told] = posts(sandbox, channel, "Weekly prompts paused until 2026-12-15")
    assert "Vacation, back on the 15th" in told.text and dev.mention in told.text

    ends = utc(2026, 12, 15)  # midnight UTC, the developer's (default) time zone
    await run_until(gh_bot, clock, ends - 1)
    assert posts(sandbox, channel, PROMPT) == [] and posts(sandbox, channel, REMINDER) == []
    assert posts(sandbox, staff_alerts, REASSIGN) == []  # more than seven days quiet, but on a pause
    await run_until(gh_bot, clock, ends)
    [resumed] = posts(sandbox, channel, "Weekly prompts resume")
    first = utc(2026, 12, 21, 15)  # the next Monday at 15:00
    assert f"<t:{first}:F>" in resumed.text
    await run_until(gh_bot, clock, first)
    assert len(posts(sandbox, channel, PROMPT)) == 1
    await run_until(gh_bot, clock, ends + 7 * DAY - 1)
    assert posts(sandbox, staff_alerts, REASSIGN) == []  # the pause's end restarted the count
    await run_until(gh_bot, clock, ends + 7 * DAY)
    assert len(posts(sandbox, staff_alerts, REASSIGN)) == 1


async def test_a_pause_can_be_moved_and_ended_early(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    assert "not paused" in (await dev.run("update resume", channel=channel)).reply.text
    await dev.run("update pause", channel=channel, until="2026-12-15", reason="Waiting on API keys")
    moved = await people.staff.run("update pause", channel=channel, until="2026-12-22", reason="Keys delayed")
    assert "2026-12-22" in moved.reply.text
    await run_until(gh_bot, clock, utc(2026, 12, 16))
    assert posts(sandbox, channel, "Weekly prompts resume") == []  # the first date no longer counts
    resumed = await dev.run("update resume", channel=channel)
    first = utc(2026, 12, 21, 15)
    assert resumed.reply.ephemeral and f"<t:{first}:F>" in resumed.reply.text
    await gh_bot.outbox.drain()
    [told] = posts(sandbox, channel, "Weekly prompts resume")
    assert f"ended early by {dev.mention}" in told.text
    await run_until(gh_bot, clock, utc(2026, 12, 23))
    assert len(posts(sandbox, channel, PROMPT)) == 1
    assert posts(sandbox, channel, "Weekly prompts resume") == [told]  # the old end date says nothing


# --- settings and time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "first"),
    [
        ("Pacific/Auckland", utc(2026, 11, 29, 20)),  # UTC+13: Monday 09:00 there is Sunday 20:00 UTC
        ("Pacific/Honolulu", utc(2026, 11, 30, 19)),  # UTC−10: Monday 09:00 there is Monday 19:00 UTC
    ],
)
async def test_developers_far_from_utc_are_prompted_at_nine_their_time(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
    timezone: str,
    first: int,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    done = await dev.run("update settings", channel=channel, day="monday", hour=9, timezone=timezone)
    assert done.reply.ephemeral and f"Mondays at 09:00 ({timezone})" in done.reply.text
    assert f"<t:{first}:F>" in done.reply.text
    await run_until(gh_bot, clock, first - 1)
    assert posts(sandbox, channel, PROMPT) == []
    await run_until(gh_bot, clock, first)
    [prompt] = posts(sandbox, channel, PROMPT)
    assert f"<t:{first + 7 * DAY}:F>" in prompt.text
    await run_until(gh_bot, clock, first + 7 * DAY)
    assert len(posts(sandbox, channel, PROMPT)) == 2
    shown = await people.staff.run("update settings", channel=channel)
    assert f"come Mondays at 09:00 ({timezone})" in shown.reply.text


async def test_settings_are_checked_with_clear_sentences(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    hour = next(o for o in sandbox.state.commands["update"]["options"] if o["name"] == "settings")["options"]
    bounds = {o["name"]: (o.get("min_value"), o.get("max_value")) for o in hour}
    assert bounds["hour"] == (0, 23)  # Discord's own client keeps the hour in range; a forged one is checked too
    bad_zone = await dev.run("update settings", channel=channel, timezone="Mars/Olympus")
    assert bad_zone.reply.text == (
        "• Time zone: `Mars/Olympus` is not an IANA time zone name; give one like `Europe/Paris`, "
        "`America/New_York`, `Pacific/Auckland` or `UTC` (capitals matter)."
    )
    bad_hour = await dev.run("update settings", channel=channel, hour=24)
    assert bad_hour.reply.text == "• Hour: 24 is not an hour of the day; give a whole hour from 0 to 23 (15 is 3 pm)."
    wrong_case = await dev.run("update settings", channel=channel, timezone="europe/paris")
    assert "is not an IANA time zone name" in wrong_case.reply.text
    refused = await people.exchange.run("update settings", channel=channel, hour=9)
    assert refused.reply.text.startswith("Only the bounty's assigned developer or Foundation staff can change")
    assert "weekly_settings" not in [e.action for e in await audit.for_bounty(gh_bot.db.conn, 1)]
    unchanged = await dev.run("update settings", channel=channel)
    assert "come Mondays at 15:00 (UTC)" in unchanged.reply.text and f"<t:{FIRST}:F>" in unchanged.reply.text


class TestAcrossDaylightSaving:
    """Clocks go forward in Berlin on Sunday 28 March 2027: a week from Monday 09:00 to Monday 09:00 is
    167 hours, and both prompts come at 09:00 Berlin time."""

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(utc(2027, 3, 18, 12))

    async def test_a_week_across_the_change_keeps_the_local_hour(
        self, gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
    ) -> None:
        await start_bounty(people.exchange, clock=clock)  # (the intro call dated from this test's clock)
        await gh_bot.outbox.drain()
        channel = (await bounties.get(gh_bot.db.conn, 1)).channel_id  # type: ignore[union-attr]
        assert channel is not None
        for state in ("review", "awaiting_payment", "funded"):
            await people.staff.run("bounty advance", channel=channel, to=state, reason="escrow WIRE-7")
        await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
        await settle(gh_bot, clock)
        await dev.run("update settings", channel=channel, day="monday", hour=9, timezone="Europe/Berlin")
        before, after = utc(2027, 3, 22, 8), utc(2027, 3, 29, 7)  # 09:00 CET, then 09:00 CEST
        await run_until(gh_bot, clock, before)
        [first] = posts(sandbox, channel, PROMPT)
        assert f"<t:{after}:F>" in first.text
        reminder_at = before + round(0.8 * 167 * H)
        await run_until(gh_bot, clock, reminder_at - 1)
        assert posts(sandbox, channel, REMINDER) == []
        await run_until(gh_bot, clock, reminder_at)
        assert len(posts(sandbox, channel, REMINDER)) == 1
        await run_until(gh_bot, clock, after - 1)
        assert len(posts(sandbox, channel, PROMPT)) == 1
        await run_until(gh_bot, clock, after)
        assert len(posts(sandbox, channel, PROMPT)) == 2


# --- restarts ----------------------------------------------------------------------------------------------------


async def test_a_restart_between_the_reminder_and_the_follow_up_misses_nothing_and_repeats_nothing(
    config: Config, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    async with running_bot(config, clock=clock) as first:
        channel = await funded(first, people, clock)
        await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
        await run_until(first, clock, SECOND + H)  # the first week: prompted, reminded, and the second prompt
        assert len(posts(sandbox, channel, REMINDER)) == 1 and len(posts(sandbox, channel, PROMPT)) == 2
        assert posts(sandbox, channel, MISSED) == []

    clock.advance(SECOND + DAY + H - clock.now())  # the follow-up fell due while the bot was down

    async with running_bot(config, clock=clock) as second:
        await second.outbox.drain()
        assert len(posts(sandbox, channel, MISSED)) == 1
        assert len(posts(sandbox, channel, REMINDER)) == 1 and len(posts(sandbox, channel, PROMPT)) == 2

    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        assert await third.timers.run_due() == 0
        assert len(posts(sandbox, channel, MISSED)) == 1
        await run_until(third, clock, SECOND + 3 * DAY)  # and the escalation still comes, once
        assert len(posts(sandbox, "staff-alerts", ESCALATED)) == 1


async def test_developers_assigned_before_weekly_prompts_existed_are_prompted_from_the_next_start(
    config: Config, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    async with running_bot(config, clock=clock) as first:
        channel = await funded(first, people, clock)
        await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
        async with first.db.transaction() as tx:  # as a bot from before this feature would have left it
            for kind in ("weekly_prompt", "developer_inactive"):
                await timer_rows.cancel(tx, subject="bounty:1", kind=kind, now=clock.now())

    async with running_bot(config, clock=clock) as second:
        pending = {t.kind: t.due_at for t in await timer_rows.pending(second.db.conn, "bounty:1")}
        assert pending["weekly_prompt"] == FIRST and pending["developer_inactive"] == clock.now() + 7 * DAY
        assert await second.weekly.adopt() == 0  # once
        await run_until(second, clock, FIRST)
        assert len(posts(sandbox, channel, PROMPT)) == 1
