"""Reports through Discord as staff and the exchange see them: `/report sla` with its chart, the SLA figures in
`/bounty status`, `/report usage`, and in the maintenance year the monthly report (bounty channel and GitHub
issue, once per month across a restart) and the quarterly review reminder to staff."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.charts.sla import FILENAME, WIDTH, height
from bot.clock import ManualClock
from bot.domain.sla_metrics import add_months
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.services.reports import start_maintenance_reports
from bot.store import audit, bounties
from tests.conftest import People
from tests.github_helpers import funded, github, github_config, settle
from tests.intake_helpers import start_bounty
from tests.test_sla_metrics import png_size

__all__ = ["github"]  # fixture, used by name

HOUR = 3600
TO_RELEASE = ("testing", "governance", "approved", "released")


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


async def advance(people: People, channel: int, *states: str) -> None:
    for state in states:
        done = await people.staff.run(
            "bounty advance",
            channel=channel,
            to=state,
            reason="moved by hand for the report tests",
            override=state == "governance",
        )
        assert f"is now **{state.replace('_', ' ')}**" in done.reply.text, done.reply.text


async def report(who: SandboxUser, channel: int, severity: str, title: str) -> None:
    done = await who.run(
        "bug report", channel=channel, severity=severity, title=title, description="Seen on the production API."
    )
    assert ") is open," in done.reply.text, done.reply.text


async def bugs_over_time(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    """Bounty #1 (Backpack) in development: critical bug #1 fixed in 5 h, major bug #2 fixed in 49 h (its 48 h
    breached on the way), minor bug #3 still open. Bounty #2 (Kraken) has no bugs. Returns #1's channel."""
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None and one.channel_id is not None
    channel = one.channel_id
    await advance(people, channel, "review", "awaiting_payment", "funded")
    assigned = await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    assert "builds bounty #1" in assigned.reply.text, assigned.reply.text
    await report(people.exchange, channel, "critical", "Orders rejected after login")
    clock.advance(5 * HOUR)
    assert "is resolved" in (await dev.run("bug resolve", channel=channel, id=1)).reply.text
    await report(people.exchange, channel, "major", "Order book stale")
    clock.advance(49 * HOUR)
    await bot.timers.run_due()  # the breach is told
    assert "is resolved" in (await dev.run("bug resolve", channel=channel, id=2)).reply.text
    await report(people.exchange, channel, "minor", "Typo in the fee table")
    second = await start_bounty(people.teammate, exchange={"exchange": "Kraken", "website": "https://kraken.com"})
    assert "Bounty #2" in second.reply.text, second.reply.text
    await bot.outbox.drain()
    clock.advance(HOUR)
    return channel


# --- /report sla and /bounty status ------------------------------------------------------------------------------


async def test_the_sla_report_for_one_bounty_and_overall_with_its_chart(
    bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await bugs_over_time(bot, people, dev, clock)
    one = await people.staff.run("report sla", channel=channel, bounty=1)
    reply = one.reply
    assert reply.ephemeral and reply.embeds[0]["title"] == "SLA report · bounty #1 Backpack"
    text = reply.text
    assert "**3** bugs: 1 open · 2 resolved · 1 breached" in text
    assert "50% (1 of 2)" in text  # the critical kept its 24 h, the major missed its 48 h
    assert "27.0 h" in text  # the median of 5 h and 49 h
    assert "Critical (24 h): 0 open · 1 resolved · 0 breached · median 5.0 h" in text
    assert "Major (48 h): 0 open · 1 resolved · 1 breached · median 49.0 h" in text
    assert "Minor (next release): 1 open · 0 resolved · 0 breached · median —" in text
    assert "not released yet" in text
    [attachment] = reply.attachments
    assert attachment["filename"] == FILENAME == "sla.png" and attachment["content_type"] == "image/png"
    assert png_size(attachment["_data"]) == (WIDTH, height(3))
    assert reply.embeds[0]["image"]["url"] == "attachment://sla.png"

    # Every bounty: the same bugs (Kraken has none), and which connectors were released.
    overall = await people.staff.run("report sla", channel="general")
    assert overall.reply.embeds[0]["title"] == "SLA report · all bounties"
    assert "**3** bugs" in overall.reply.text and "No connector released yet." in overall.reply.text
    assert overall.reply.attachments[0]["filename"] == FILENAME

    # Released: the first month after release is counted from then (these bugs all came before it).
    await advance(people, channel, *TO_RELEASE)
    overall = await people.staff.run("report sla", channel="general")
    assert "1 of 1 released connectors under 5 bugs in their first month" in overall.reply.text
    assert "#1 Backpack: ✅ 0 so far" in overall.reply.text
    released = await people.staff.run("report sla", channel="general", bounty=1)
    assert "✅ 0 so far (target fewer than 5, the month ends <t:" in released.reply.text


async def test_no_bugs_no_chart_and_only_staff_see_the_report(
    bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await bugs_over_time(bot, people, dev, clock)
    empty = await people.staff.run("report sla", channel="general", bounty=2)
    assert "No bugs reported yet: nothing to chart." in empty.reply.text
    assert empty.reply.attachments == [] and "image" not in empty.reply.embeds[0]
    for who in (people.exchange, people.teammate, dev, people.outsider):
        refused = await who.run("report sla", channel=channel, bounty=1)
        assert refused.reply.ephemeral and refused.reply.text == "Only Foundation staff can see the SLA report."
    missing = await people.staff.run("report sla", channel="general", bounty=99)
    assert "There is no bounty #99" in missing.reply.text


async def test_the_status_shows_the_sla_figures(
    bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await bugs_over_time(bot, people, dev, clock)
    status = await people.exchange.run("bounty status", channel=channel)
    sla = next(f for f in status.reply.embeds[0]["fields"] if f["name"] == "SLA")["value"]
    assert sla == "Within SLA: 50% (1 of 2)\nMedian time to resolve: 27.0 h\n1 open · 1 breached in all"
    before = await people.outsider.run("bounty status", channel="general", bounty=2)
    assert before.reply.ephemeral and "not a member" in before.reply.text
    kraken = await people.staff.run("bounty status", channel="general", bounty=2)  # in intake: no bugs can exist yet
    assert all(f["name"] != "SLA" for f in kraken.reply.embeds[0]["fields"])
    await advance(people, channel, *TO_RELEASE)
    status = await people.exchange.run("bounty status", channel=channel)
    sla = next(f for f in status.reply.embeds[0]["fields"] if f["name"] == "SLA")["value"]
    assert "Bugs in the first month after release: ✅ 0 so far (target fewer than 5" in sla


# --- /report usage ------------------------------------------------------------------------------------------------


async def test_usage_is_recorded_for_a_released_connector_checked_and_audited(
    bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await bugs_over_time(bot, people, dev, clock)
    early = await people.staff.run("report usage", channel="general", bounty=1, users="120", volume="250000")
    assert "is `development`; users and volume are recorded once its connector is released" in early.reply.text
    await advance(people, channel, *TO_RELEASE, "maintenance")
    released_at = clock.now()
    done = await people.staff.run("report usage", channel="general", bounty=1, users="120", volume="1,250,000.50")
    assert done.reply.ephemeral
    assert done.reply.text.startswith(
        f"Usage recorded for bounty #1 Backpack, month 1 of the maintenance year (<t:{released_at}:D> – "
    )
    assert "**120 users** and **$1,250,000.50** trading volume (targets: 50 users, $1,000,000)" in done.reply.text
    assert "They go into that month's report." in done.reply.text
    [row] = [e for e in await audit.for_bounty(bot.db.conn, 1) if e.action == "usage_recorded"]
    assert row.actor_id == people.staff.id and row.detail["users"] == 120
    assert row.detail["volume_cents"] == 125_000_050 and row.detail["month"] == 1

    again = await people.staff.run("report usage", channel="general", bounty=1, users="130", volume="0")
    assert "It replaces 120 users and $1,250,000.50." in again.reply.text and "**$0.00**" in again.reply.text

    bad = await people.staff.run("report usage", channel="general", bounty=1, users="-5", volume="1e6")
    assert bad.reply.text == (
        "• Users: `-5` is not a number of users; write it in digits, like 120 or 1,200.\n"
        "• Volume: `1e6` is not an amount: write it in digits, like 10000 or 10,000.50 (no sign, letters or "
        "exponent)."
    )
    ahead = await people.staff.run("report usage", channel="general", bounty=1, users="5", volume="5", month=3)
    assert "Month 3 of the maintenance year of bounty #1 begins <t:" in ahead.reply.text
    assert "(it is month 1 of the maintenance year now)" in ahead.reply.text
    for who in (people.exchange, dev):
        refused = await who.run("report usage", channel=channel, bounty=1, users="1", volume="1")
        assert refused.reply.text == "Only Foundation staff can record usage figures."
    assert len([e for e in await audit.for_bounty(bot.db.conn, 1) if e.action == "usage_recorded"]) == 2

    # Two months on, the first month's figures can still be corrected; it says its report already went out.
    clock.advance(add_months(released_at, 2) - released_at + HOUR)
    late = await people.staff.run("report usage", channel="general", bounty=1, users="140", volume="900000", month=1)
    assert "It replaces 130 users and $0.00." in late.reply.text
    assert "That month's report already went out" in late.reply.text


# --- the maintenance year ----------------------------------------------------------------------------------------


def titled(sandbox: DiscordSandbox, channel: int | str, prefix: str) -> list[Reply]:
    return [
        Reply(m)
        for m in sandbox.state.messages[str(channel)]
        if m["embeds"] and m["embeds"][0].get("title", "").startswith(prefix)
    ]


def comments(github: GitHubSandbox, prefix: str) -> list[str]:
    return [c["body"] for c in github.comments.get(1, []) if prefix in c["body"]]


async def test_monthly_reports_go_to_the_channel_and_github_once_a_month_across_a_restart(
    sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock, tmp_path: Path
) -> None:
    config = github_config(sandbox, github, tmp_path, webhook=False)
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    async with running_bot(config, clock=clock) as bot:
        channel = await funded(bot, people, clock)  # public on GitHub as issue #1
        await advance(people, channel, "open", "development")
        await report(people.exchange, channel, "critical", "Orders rejected after login")
        clock.advance(HOUR)
        await advance(people, channel, *TO_RELEASE, "maintenance")
        starts_at = clock.now()
        async with bot.changes.begin() as ch:  # as the release work does when a bounty enters maintenance
            await start_maintenance_reports(ch, 1, starts_at)
        async with bot.changes.begin() as ch:  # a second call for the same year changes nothing
            await start_maintenance_reports(ch, 1, starts_at)
        recorded = await people.staff.run("report usage", channel="general", bounty=1, users="60", volume="1,500,000")
        assert "Usage recorded" in recorded.reply.text
        clock.advance(add_months(starts_at, 1) - clock.now())
        await bot.timers.run_due()
        await settle(bot, clock)
        [month_one] = titled(sandbox, channel, "Monthly report: month 1 of the maintenance year: bounty #1 Backpack")
        assert "Users: 60 (✅ target 50)" in month_one.text
        assert "Trading volume: $1,500,000.00 (✅ target $1,000,000)" in month_one.text
        assert "1 reported this month" not in month_one.text  # the bug came before the month
        assert "Within SLA: 0% (0 of 1)" in month_one.text  # the critical bug is long past its 24 h
        [on_github] = comments(github, "Monthly report: month 1 of the maintenance year")
        assert on_github.startswith("<!-- bountybot -->") and "<t:" not in on_github
        assert "**Usage:** Users: 60 (✅ target 50); Trading volume: $1,500,000.00" in on_github

    # Down for a week over nothing in particular: month 1 is not told again.
    clock.advance(7 * 86400)
    async with running_bot(config, clock=clock) as bot:
        await settle(bot, clock)
        assert len(titled(sandbox, channel, "Monthly report: month 1 ")) == 1
        assert len(comments(github, "Monthly report: month 1 ")) == 1
        clock.advance(add_months(starts_at, 2) - clock.now())
        await bot.timers.run_due()
        await settle(bot, clock)
        [month_two] = titled(sandbox, channel, "Monthly report: month 2 of the maintenance year")
        assert "not recorded (staff record them with `/report usage`)" in month_two.text
        assert len(comments(github, "Monthly report: month 2 ")) == 1
        assert titled(sandbox, staff_alerts, "Quarterly review due") == []

    # Down through month 3's end: it goes out at the next start, with the quarterly review to staff.
    clock.advance(add_months(starts_at, 3) - clock.now() + 3600)
    async with running_bot(config, clock=clock) as bot:
        await settle(bot, clock)
        assert len(titled(sandbox, channel, "Monthly report: month 3 ")) == 1
        [review] = titled(sandbox, staff_alerts, "Quarterly review due: bounty #1 Backpack")
        assert "3 months of maintenance since" in review.text and "Users: 60" in review.text
        assert len(titled(sandbox, channel, "Monthly report: month 1 ")) == 1  # still once

        # The maintenance year ends: no more reports.
        await advance(people, channel, "ended")
        clock.advance(add_months(starts_at, 6) - clock.now())
        await bot.timers.run_due()
        await settle(bot, clock)
        assert titled(sandbox, channel, "Monthly report: month 4 ") == []
        assert len(titled(sandbox, staff_alerts, "Quarterly review due")) == 1


async def test_a_renewed_year_reports_from_its_own_start(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await bugs_over_time(bot, people, dev, clock)
    await advance(people, channel, *TO_RELEASE, "maintenance")
    first_year = clock.now()
    async with bot.changes.begin() as ch:
        await start_maintenance_reports(ch, 1, first_year)
    clock.advance(add_months(first_year, 1) - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()
    assert len(titled(sandbox, channel, "Monthly report: month 1 ")) == 1
    # Renewed half-way through month 2: the year starts again, and the old year's month 2 never comes.
    clock.advance(10 * 86400)
    renewed = clock.now()
    async with bot.changes.begin() as ch:
        await start_maintenance_reports(ch, 1, renewed)
    clock.advance(add_months(first_year, 2) - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()
    assert titled(sandbox, channel, "Monthly report: month 2 ") == []
    clock.advance(add_months(renewed, 1) - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()
    assert len(titled(sandbox, channel, "Monthly report: month 1 ")) == 2  # the renewed year's first month
