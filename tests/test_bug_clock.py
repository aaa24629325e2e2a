"""Every SLA clock rule for bugs (DESIGN.md §7, issue 11), through Discord as people would, driven by the
injected clock: pauses, severity changes, restarts, reopens, GitHub closing issues, release cuts for minor
bugs, breaches in the same minute, `/bug list`'s order, and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.releases import Release
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.store import bugs, releases
from tests.conftest import People
from tests.github_helpers import assigned, gh_bot, github, github_config, settle

__all__ = ["gh_bot", "github"]  # fixtures, used by name

H = 3600
HALF, NINETY, BREACH = "half of its SLA window used", "90% of its SLA window used", "SLA breached: bug #"


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


def texts(sandbox: DiscordSandbox, channel: int | str) -> list[str]:
    channel_id = str(channel) if isinstance(channel, int) else sandbox.state.channel_named(channel)["id"]
    return [Reply(m).text for m in sandbox.state.messages.get(channel_id, [])]


def count(sandbox: DiscordSandbox, channel: int | str, phrase: str) -> int:
    return sum(phrase in t for t in texts(sandbox, channel))


def labels(github: GitHubSandbox, number: int) -> set[str]:
    return {label["name"] for label in github.issues[number]["labels"]}


async def report(who: SandboxUser, channel: int, severity: str, title: str = "Order book stale") -> int:
    done = await who.run(
        "bug report", channel=channel, severity=severity, title=title, description="Stops after a reconnect, always."
    )
    found = re.search(r"Bug #(\d+)", done.reply.text)
    assert found, done.reply.text
    return int(found.group(1))


async def tick(bot: BountyBot, clock: ManualClock, to: int) -> None:
    """Move the clock to `to`, fire what is due and deliver what it said."""
    clock.advance(to - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()


async def with_teammate(people: People, channel: int) -> None:
    added = await people.exchange.run("bounty members add", channel=channel, member=people.teammate)
    assert "can now see" in added.reply.text, added.reply.text


async def opened_at(bot: BountyBot, bug_id: int) -> int:
    bug = await bugs.get(bot.db.conn, bug_id)
    assert bug is not None
    return bug.opened_at


# --- pause and resume ------------------------------------------------------------------------------------------


async def test_a_pause_and_a_resume_move_the_due_time_and_the_thresholds(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await with_teammate(people, channel)
    await report(people.exchange, channel, "critical")
    t0 = await opened_at(gh_bot, 1)
    await tick(gh_bot, clock, t0 + 12 * H)
    assert count(sandbox, channel, HALF) == 1

    paused = await dev.run("bug pause", channel=channel, id=1, reason="Waiting on the exchange's API keys")
    assert "Bug #1 is paused" in paused.reply.text and "12 h left when resumed" in paused.reply.text
    await gh_bot.outbox.drain()
    assert "Waiting on the exchange's API keys" in texts(sandbox, channel)[-1]
    again = await people.staff.run("bug pause", channel=channel, id=1, reason="Still waiting")
    assert "already paused" in again.reply.text

    # 20 hours paused: the old 90% and breach times pass without a word.
    await tick(gh_bot, clock, t0 + 32 * H)
    assert count(sandbox, channel, NINETY) == 0 and count(sandbox, "staff-alerts", BREACH) == 0
    listed = await people.exchange.run("bug list", channel=channel)
    assert "paused since" in listed.reply.text and "(Waiting on the exchange's API keys)" in listed.reply.text

    resumed = await people.teammate.run("bug resume", channel=channel, id=1)
    assert "Bug #1 is running again after 20 h paused" in resumed.reply.text
    due = t0 + 44 * H  # 24 h window + 20 h paused
    assert f"<t:{due}:R>" in resumed.reply.text and f"<t:{due}:f>" in resumed.reply.text
    running = await people.teammate.run("bug resume", channel=channel, id=1)
    assert "is not paused" in running.reply.text

    # The 90% warning moved from 21.6 h to 41.6 h, the breach from 24 h to 44 h; the 50% one is not told again.
    await tick(gh_bot, clock, t0 + 41 * H)
    assert count(sandbox, channel, NINETY) == 0
    await tick(gh_bot, clock, t0 + 42 * H)
    assert count(sandbox, channel, NINETY) == 1 and count(sandbox, channel, HALF) == 1
    await tick(gh_bot, clock, due - 60)
    assert count(sandbox, "staff-alerts", BREACH) == 0
    await tick(gh_bot, clock, due)
    await settle(gh_bot, clock)
    assert count(sandbox, "staff-alerts", BREACH) == 1
    assert "sla-breached" in labels(github, 2)
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.breached_at == due and bug.paused_seconds == 20 * H


# --- severity --------------------------------------------------------------------------------------------------


async def test_a_severity_change_recomputes_the_due_time_from_the_opening(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "major")
    t0 = await opened_at(gh_bot, 1)
    await settle(gh_bot, clock)
    refused = await dev.run("bug severity", channel=channel, id=1, level="critical")
    assert refused.reply.text == "Only Foundation staff can change a bug's severity."

    # Critical at 5 h: due 24 h from the report, not from now.
    await tick(gh_bot, clock, t0 + 5 * H)
    critical = await people.staff.run("bug severity", channel=channel, id=1, level="critical")
    assert "Bug #1 is now **Critical** (was Major)" in critical.reply.text
    assert f"<t:{t0 + 24 * H}:R>" in critical.reply.text
    await settle(gh_bot, clock)
    assert "severity: critical" in labels(github, 2) and "severity: major" not in labels(github, 2)
    assert any("Severity changed from Major to Critical" in c["body"] for c in github.comments[2])
    await tick(gh_bot, clock, t0 + 12 * H)
    assert count(sandbox, channel, HALF) == 1

    # Back to major at 13 h: due at 48 h; the half already told is not told again, 90% comes at 43.2 h.
    await tick(gh_bot, clock, t0 + 13 * H)
    major = await people.staff.run("bug severity", channel=channel, id=1, level="major")
    assert f"<t:{t0 + 48 * H}:R>" in major.reply.text
    await tick(gh_bot, clock, t0 + 44 * H)
    assert count(sandbox, channel, HALF) == 1 and count(sandbox, channel, NINETY) == 1

    # Critical again at 44 h: its breach (24 h) is behind, so the bug is breached at once, and only once.
    same = await people.staff.run("bug severity", channel=channel, id=1, level="major")
    assert "already Major" in same.reply.text
    await people.staff.run("bug severity", channel=channel, id=1, level="critical")
    await settle(gh_bot, clock)
    assert count(sandbox, "staff-alerts", BREACH) == 1 and count(sandbox, channel, BREACH) == 1
    assert "sla-breached" in labels(github, 2)
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.breached_at is not None and bug.due_at == t0 + 24 * H
    await tick(gh_bot, clock, t0 + 60 * H)  # nothing left to fire
    assert count(sandbox, "staff-alerts", BREACH) == 1 and count(sandbox, channel, NINETY) == 1


# --- restarts --------------------------------------------------------------------------------------------------


async def test_a_restart_between_the_90_percent_warning_and_the_breach_breaches_once(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People, dev: SandboxUser
) -> None:
    config = github_config(sandbox, github, tmp_path, webhook=False)
    async with running_bot(config, clock=clock) as bot:
        channel = await assigned(bot, people, dev, clock)
        await report(people.exchange, channel, "critical")
        t0 = await opened_at(bot, 1)
        await tick(bot, clock, t0 + 22 * H)
        assert count(sandbox, channel, HALF) == 1 and count(sandbox, channel, NINETY) == 1
    clock.advance(t0 + 25 * H - clock.now())  # the bot is down when the breach falls due
    for _ in range(2):  # the first start fires the breach; the second finds nothing to fire
        async with running_bot(config, clock=clock) as bot:
            await bot.timers.run_due()
            await settle(bot, clock)
    assert count(sandbox, "staff-alerts", BREACH) == 1 and count(sandbox, channel, BREACH) == 1
    assert count(sandbox, channel, HALF) == 1 and count(sandbox, channel, NINETY) == 1
    assert "sla-breached" in labels(github, 2)


# --- resolve and reopen ----------------------------------------------------------------------------------------


async def test_a_reopen_resumes_the_clock_where_it_stopped_and_a_breach_stays(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "major")
    t0 = await opened_at(gh_bot, 1)
    await settle(gh_bot, clock)
    await tick(gh_bot, clock, t0 + 10 * H)
    short = await dev.run("bug resolve", channel=channel, id=1, note="ok")
    assert "Note: say in a few words" in short.reply.text
    done = await dev.run("bug resolve", channel=channel, id=1, note="Reset the nonce on **reconnect** @everyone")
    assert "Bug #1 is resolved after 10 h on its SLA clock" in done.reply.text
    await settle(gh_bot, clock)
    notice = texts(sandbox, channel)[-1]
    assert "Reset the nonce on \\*\\*reconnect\\*\\*" in notice and "10 h on the clock, within its SLA" in notice
    assert github.issues[2]["state"] == "closed"
    closing = github.comments[2][-1]["body"]
    assert "Resolved in BountyBot after 10 h on the SLA clock" in closing and "Reset the nonce" in closing
    assert "@everyone" not in closing  # neutralised

    # Reopened 30 h later: 38 h of the 48 h window are left, not a fresh 48 h.
    await tick(gh_bot, clock, t0 + 40 * H)
    back = await people.exchange.run("bug reopen", channel=channel, id=1)
    due = t0 + 78 * H
    assert f"<t:{due}:R>" in back.reply.text
    await tick(gh_bot, clock, t0 + 53 * H)
    assert count(sandbox, channel, HALF) == 0
    await tick(gh_bot, clock, t0 + 54 * H)  # 24 h of running time: half the window
    assert count(sandbox, channel, HALF) == 1
    await tick(gh_bot, clock, due)
    assert count(sandbox, "staff-alerts", BREACH) == 1

    # Resolved late, then reopened: it stays breached, and the breach is not told again.
    await tick(gh_bot, clock, due + 2 * H)
    late = await dev.run("bug resolve", channel=channel, id=1)
    assert "Bug #1 is resolved after 2 d 2 h on its SLA clock" in late.reply.text  # 80 h less 30 h resolved
    await gh_bot.outbox.drain()
    assert "after its SLA was breached" in texts(sandbox, channel)[-1]
    await tick(gh_bot, clock, due + 12 * H)
    await people.exchange.run("bug reopen", channel=channel, id=1)
    await gh_bot.outbox.drain()
    assert "it stays breached" in texts(sandbox, channel)[-1]
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.breached_at == due and bug.due_at == due + 10 * H
    await tick(gh_bot, clock, due + 40 * H)
    assert count(sandbox, "staff-alerts", BREACH) == 1
    listed = await people.exchange.run("bug list", channel=channel)
    assert "SLA breached" in listed.reply.text


async def test_closing_the_github_issue_resolves_a_paused_bug_with_its_clock_rules(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "major")
    t0 = await opened_at(gh_bot, 1)
    await settle(gh_bot, clock)
    assert gh_bot.github_client is not None
    base = gh_bot.config.github.api_base_url
    await gh_bot.github_events.poll_once(gh_bot.github_client, base)  # catch up with what the bot wrote itself
    await tick(gh_bot, clock, t0 + 5 * H)
    await dev.run("bug pause", channel=channel, id=1, reason="Waiting on a testnet account")

    # Closed on GitHub 3 h into the pause: resolved after 5 h on the clock; the pause ends with it.
    await tick(gh_bot, clock, t0 + 8 * H)
    github.set_open(2, False)
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 1
    await gh_bot.outbox.drain()
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.state.value == "resolved" and bug.paused_at is None
    assert bug.paused_seconds == 3 * H and bug.time_to_resolve() == 5 * H and bug.due_at == t0 + 51 * H
    assert "Bug #1 resolved" in texts(sandbox, channel)[-1] and "5 h on the clock" in texts(sandbox, channel)[-1]
    await settle(gh_bot, clock)
    assert "Resolved in BountyBot after 5 h on the SLA clock" in github.comments[2][-1]["body"]
    assert github.issues[2]["state"] == "closed"
    await tick(gh_bot, clock, t0 + 60 * H)
    assert count(sandbox, "staff-alerts", BREACH) == 0  # a resolved bug's clock is stopped

    # Reopened on GitHub at 60 h: the clock resumes with 43 h left.
    github.set_open(2, True)
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 1
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.state.value == "open" and bug.due_at == t0 + 103 * H


# --- minor bugs and the release calendar -----------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


async def test_a_minor_bug_is_due_at_the_next_cut_and_moves_when_a_cut_passes_while_paused(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    # The default calendar: the first Monday of each month at 12:00 UTC. The tests start on 2026-11-24.
    channel = await assigned(gh_bot, people, dev, clock)
    done = await people.exchange.run(
        "bug report", channel=channel, severity="minor", title="Typo in the docs", description="A typo on the page."
    )
    december, january = utc(2026, 12, 7, 12), utc(2027, 1, 4, 12)
    assert f"<t:{december}:R>" in done.reply.text and f"<t:{december}:f>" in done.reply.text
    await tick(gh_bot, clock, utc(2026, 12, 2))
    assert count(sandbox, channel, HALF) == 1
    await dev.run("bug pause", channel=channel, id=1, reason="Waiting on the exchange's new docs")

    # The December cut passes while it is paused: no breach, and on resume it is due at the January cut.
    await tick(gh_bot, clock, utc(2026, 12, 10))
    assert count(sandbox, "staff-alerts", BREACH) == 0
    resumed = await people.exchange.run("bug resume", channel=channel, id=1)
    assert f"<t:{january}:R>" in resumed.reply.text
    await gh_bot.outbox.drain()
    assert "The release cut passed while it was paused" in texts(sandbox, channel)[-1]
    await tick(gh_bot, clock, january - 60)
    assert count(sandbox, channel, NINETY) == 1 and count(sandbox, "staff-alerts", BREACH) == 0
    await tick(gh_bot, clock, january)
    assert count(sandbox, "staff-alerts", BREACH) == 1 and count(sandbox, channel, HALF) == 1


# --- many at once ----------------------------------------------------------------------------------------------


async def test_two_bugs_breaching_in_the_same_minute_are_each_alerted_and_labelled_once(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "critical", "Orders rejected after reconnect")
    clock.advance(20)
    await report(people.exchange, channel, "critical", "Balances never refresh")
    t0 = await opened_at(gh_bot, 1)
    await settle(gh_bot, clock)
    clock.advance(t0 + 24 * H + 60 - clock.now())  # both deadlines fall in this minute
    await gh_bot.timers.run_due()
    await settle(gh_bot, clock)
    assert count(sandbox, "staff-alerts", "SLA breached: bug #1") == 1
    assert count(sandbox, "staff-alerts", "SLA breached: bug #2") == 1
    assert "sla-breached" in labels(github, 2) and "sla-breached" in labels(github, 3)
    await tick(gh_bot, clock, t0 + 48 * H)
    assert count(sandbox, "staff-alerts", BREACH) == 2


# --- /bug list --------------------------------------------------------------------------------------------------


async def test_the_list_is_sorted_by_time_left_with_countdowns_and_due_times(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "major", "Major one")  # due at 48 h
    t0 = await opened_at(gh_bot, 1)
    await report(people.exchange, channel, "critical", "Critical one")  # due at 24 h: overdue at 30 h
    await report(people.exchange, channel, "minor", "Minor one")  # due at the December cut
    await report(people.exchange, channel, "critical", "Paused one")  # paused at 1 h with 23 h left
    await report(people.exchange, channel, "major", "Resolved one")
    await tick(gh_bot, clock, t0 + H)
    await dev.run("bug pause", channel=channel, id=4, reason="Waiting on API keys")
    await dev.run("bug resolve", channel=channel, id=5)
    await tick(gh_bot, clock, t0 + 30 * H)
    listed = await people.exchange.run("bug list", channel=channel)
    embed = listed.reply.embeds[0]
    order = re.findall(r"\*\*#(\d)\*\*", embed["description"])
    assert order == ["2", "1", "4", "3"]  # overdue, 18 h left, 23 h frozen, the December cut
    lines = embed["description"].split("\n")
    assert "SLA breached" in lines[0] and f"<t:{t0 + 48 * H}:R>" in lines[1] and f"<t:{t0 + 48 * H}:f>" in lines[1]
    assert "paused since" in lines[2] and "23 h left when resumed" in lines[2]
    assert "Resolved one" in embed["fields"][0]["value"]


# --- who may -----------------------------------------------------------------------------------------------------


async def test_who_may_report_pause_resume_resolve_reopen_and_change_severity(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    outsider = await people.outsider.run(
        "bug report", channel=channel, severity="major", title="Order book stale", description="Stops every time."
    )
    assert "not a member of bounty #1" in outsider.reply.text
    await with_teammate(people, channel)
    await report(dev, channel, "major")  # the developer is a member: may report
    tried = {
        "exchange pause": await people.exchange.run("bug pause", channel=channel, id=1, reason="Waiting on keys"),
        "outsider resume": await people.outsider.run("bug resume", channel=channel, id=1),
        "exchange resolve": await people.exchange.run("bug resolve", channel=channel, id=1),
        "developer severity": await dev.run("bug severity", channel=channel, id=1, level="minor"),
    }
    assert (
        tried["exchange pause"].reply.text
        == "Only the bounty's assigned developer or Foundation staff can pause a bug's SLA clock."
    )
    assert "not a member of bounty #1" in tried["outsider resume"].reply.text
    assert (
        "Only the bounty's assigned developer or Foundation staff can resolve" in tried["exchange resolve"].reply.text
    )
    assert tried["developer severity"].reply.text == "Only Foundation staff can change a bug's severity."
    assert "is paused" in (await people.staff.run("bug pause", channel=channel, id=1, reason="Waiting")).reply.text
    assert "running again" in (await people.exchange.run("bug resume", channel=channel, id=1)).reply.text
    assert "is paused" in (await dev.run("bug pause", channel=channel, id=1, reason="Waiting on keys")).reply.text
    assert "running again" in (await dev.run("bug resume", channel=channel, id=1)).reply.text
    assert "is resolved" in (await dev.run("bug resolve", channel=channel, id=1)).reply.text
    by_dev = await dev.run("bug reopen", channel=channel, id=1)
    assert by_dev.reply.text == "Only the exchange team or Foundation staff can reopen a bug."
    assert "open again" in (await people.teammate.run("bug reopen", channel=channel, id=1)).reply.text
    assert (
        "is now **Minor**" in (await people.staff.run("bug severity", channel=channel, id=1, level="minor")).reply.text
    )


async def test_a_release_recorded_off_the_calendar_is_a_cut_for_a_minor_bug(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    # The calendar's next cut is the first Monday of December; a patch release ships on 26 November meanwhile.
    channel = await assigned(gh_bot, people, dev, clock)
    await report(people.exchange, channel, "major")
    await settle(gh_bot, clock)
    patch = utc(2026, 11, 26, 12)
    await tick(gh_bot, clock, patch)
    async with gh_bot.changes.begin() as ch:
        shipped = Release(1, "2.13.1", patch, "command", None, None, people.staff.id, patch)
        assert await releases.record(ch.tx, shipped)
    # Made minor the next day: due at the next release after its report, which is that patch release, passed.
    await tick(gh_bot, clock, patch + 24 * H)
    minor = await people.staff.run("bug severity", channel=channel, id=1, level="minor")
    assert f"<t:{patch}:R>" in minor.reply.text, minor.reply.text
    await settle(gh_bot, clock)
    assert count(sandbox, "staff-alerts", BREACH) == 1


async def test_the_upgrade_marks_thresholds_already_told_so_they_are_never_told_again(tmp_path: Path) -> None:
    from bot.store import audit as audit_store
    from bot.store import bounties as bounty_store
    from bot.store.db import open_database
    from tests.conftest import START
    from tests.test_timeline import form

    db = await open_database(tmp_path / "old.db")
    try:
        await db.migrate(target=9)  # before the clock's columns: bugs had only their due time
        async with db.transaction() as tx:
            bounty = await bounty_store.insert(
                tx, guild_id=1, requester_id=7, form=form(1), fee_usd=10_000, now=START, key="x1"
            )
            ids = []
            for title in ("Told twice already", "Told nothing yet"):
                cur = await tx.execute(
                    "INSERT INTO bugs (bounty_id, severity, title, description, reporter_id, state, opened_at,"
                    " due_at) VALUES (?, 'major', ?, 'A description.', 7, 'open', ?, ?)",
                    (bounty, title, START, START + 48 * H),
                )
                ids.append(cur.lastrowid)
            for stage, at in (("warn_50", START + 24 * H), ("breach", START + 48 * H)):
                await audit_store.append(
                    tx,
                    at=at,
                    actor_id=None,
                    bounty_id=bounty,
                    action="bug_sla",
                    detail={"bug_id": ids[0], "stage": stage},
                )
        await db.migrate()
        told, untold = await bugs.get(db.conn, ids[0]), await bugs.get(db.conn, ids[1])
        assert told is not None and untold is not None
        assert (told.warned_50_at, told.warned_90_at, told.breached_at) == (START + 24 * H, None, START + 48 * H)
        assert (untold.warned_50_at, untold.warned_90_at, untold.breached_at) == (None, None, None)
    finally:
        await db.close()
