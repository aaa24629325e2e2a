"""The maintenance year: renewal notices 60 and 30 days before it ends (once each, whatever restarts happen), a
renewal paid (on time or late) starting the next year where this one ends, never paid → ended, and a payment
racing the end giving one outcome. The renewal's payment is the dues work's: here it is simulated as that work
will do it, by calling `maintenance.renewal_paid` inside a change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.domain.lifecycle import State
from bot.domain.releases import one_year_after
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply
from bot.sandbox.harness import running_bot
from bot.services import maintenance
from bot.services.maintenance import RENEWAL_NOTICE, YEAR_END
from bot.store import audit, bounties, releases
from bot.store import timers as timer_rows
from tests.conftest import People
from tests.github_helpers import funded, gh_bot, github, settle

__all__ = ["gh_bot", "github"]  # fixtures, used by name

DAY = 86400
NOTICE = "Maintenance renewal: "  # the bounty channel's renewal notice
STAFF_NOTICE = "Renewal due: bounty #1"
RENEWED = "Maintenance renewed: year "


async def maintained(bot: BountyBot, people: People, clock: ManualClock) -> tuple[int, int]:
    """Bounty #1 released now (by staff) and in maintenance year 1: its channel and the year's end."""
    channel = await funded(bot, people, clock)
    for state in ("open", "development", "testing", "governance", "approved"):
        await people.staff.run(
            "bounty advance",
            channel=channel,
            to=state,
            reason="moved by hand for the test",
            override=state == "governance",
        )
    done = await people.staff.run("release record", channel=channel, bounty=1, version="2.14.0")
    assert "now **maintenance**" in done.reply.text, done.reply.text
    await settle(bot, clock)
    release = await releases.for_bounty(bot.db.conn, 1)
    assert release is not None
    return channel, one_year_after(release.released_at)


def posts(sandbox: DiscordSandbox, channel: int | str, title: str) -> list[Reply]:
    if not str(channel).isdigit():
        channel = sandbox.state.channel_named(str(channel))["id"]
    found = [Reply(m) for m in sandbox.state.messages.get(str(channel), [])]
    return [r for r in found if r.embeds and r.embeds[0].get("title", "").startswith(title)]


async def run_until(bot: BountyBot, clock: ManualClock, moment: int) -> None:
    """Move the clock to `moment`, firing each timer due on the way at its own time, then deliver."""
    while (due := await timer_rows.next_due_at(bot.db.conn)) is not None and due <= moment:
        clock.advance(max(0, due - clock.now()))
        await bot.timers.run_due()
    clock.advance(moment - clock.now())
    await bot.timers.run_due()
    await bot.outbox.drain()


async def pay_renewal(bot: BountyBot) -> None:
    """What the dues work does when a renewal due is paid in full: `renewal_paid` in the payment's change."""
    async with bot.changes.begin() as ch:
        await ch.audit("payment_recorded_for_the_test", actor_id=None, bounty_id=1)
        await maintenance.renewal_paid(ch, 1)


async def state_of(bot: BountyBot) -> State:
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None
    return one.state


async def state_changes(bot: BountyBot) -> list[tuple[str, str]]:
    return [
        (str(e.detail["old"]), str(e.detail["new"]))
        for e in await audit.for_bounty(bot.db.conn, 1)
        if e.action == "state_changed"
    ]


async def test_renewal_notices_come_60_and_30_days_before_the_end_once_each_across_restarts(
    config: Config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    async with running_bot(config, clock=clock) as first:
        channel, ends = await maintained(first, people, clock)
        await run_until(first, clock, ends - 61 * DAY)
        assert posts(sandbox, channel, NOTICE) == []
        await run_until(first, clock, ends - 60 * DAY + 60)
        sixty = posts(sandbox, channel, NOTICE)
        assert [r.embeds[0]["title"] for r in sixty] == ["Maintenance renewal: 60 days left"]
        assert people.exchange.mention in sixty[0].message["content"]  # the lead is pinged
        assert "2,000 USDC/USDT" in sixty[0].text and f"<t:{ends}:R>" in sixty[0].text
        assert len(posts(sandbox, "staff-alerts", STAFF_NOTICE)) == 1

    clock.advance(ends - 30 * DAY + 3600 - clock.now())  # the 30-day notice falls due while the bot is down

    async with running_bot(config, clock=clock) as second:
        await second.outbox.drain()
        titles = [r.embeds[0]["title"] for r in posts(sandbox, channel, NOTICE)]
        assert titles == ["Maintenance renewal: 60 days left", "Maintenance renewal: 30 days left"]

    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        assert await third.timers.run_due() == 0
        assert len(posts(sandbox, channel, NOTICE)) == 2
        assert len(posts(sandbox, "staff-alerts", STAFF_NOTICE)) == 2
        notices = [e.detail["days"] for e in await audit.for_bounty(third.db.conn, 1) if e.action == "renewal_notice"]
        assert notices == [60, 30]


async def test_never_paid_the_bounty_ends_with_its_year_and_everyone_is_told(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel, ends = await maintained(bot, people, clock)
    await run_until(bot, clock, ends - 1)
    assert await state_of(bot) is State.MAINTENANCE
    await run_until(bot, clock, ends + 60)
    assert await state_of(bot) is State.ENDED
    assert (await state_changes(bot))[-1] == ("maintenance", "ended")
    for where in (channel, "staff-alerts"):
        told = posts(sandbox, where, "Bounty #1 Backpack: maintenance → ended")
        assert len(told) == 1 and "the renewal was not paid" in told[0].text
    status = await people.exchange.run("bounty status", channel=channel)
    assert f"Maintenance year 1 ended <t:{ends}:D>" in status.reply.text
    assert await timer_rows.pending(bot.db.conn, "bounty:1") == []  # nothing of the year is left to fire


async def test_a_renewal_paid_starts_the_next_year_at_the_end_of_this_one_with_its_own_notices(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel, ends = await maintained(bot, people, clock)
    await run_until(bot, clock, ends - 45 * DAY)  # told at 60 days; paid 45 days before the end
    await pay_renewal(bot)
    await pay_renewal(bot)  # told twice (a retry of the payment's change): renewed once
    await bot.outbox.drain()
    following = one_year_after(ends)
    years = await releases.years(bot.db.conn, 1)
    assert [(y.year, y.starts_at, y.ends_at, y.renewed) for y in years] == [
        (1, years[0].starts_at, ends, True),
        (2, ends, following, False),
    ]
    renewed = posts(sandbox, channel, RENEWED)
    assert len(renewed) == 1 and f"<t:{ends}:D>" in renewed[0].text and f"<t:{following}:D>" in renewed[0].text
    status = await people.exchange.run("bounty status", channel=channel)
    assert f"Renewed: year 2 runs until <t:{following}:D>" in status.reply.text

    await run_until(bot, clock, ends + 60)
    # Paid: no 30-day notice for year 1; at its end the year restarts (maintenance → maintenance, audited).
    assert [r.embeds[0]["title"] for r in posts(sandbox, channel, NOTICE)] == ["Maintenance renewal: 60 days left"]
    assert await state_of(bot) is State.MAINTENANCE
    assert (await state_changes(bot))[-1] == ("maintenance", "maintenance")
    assert len(posts(sandbox, channel, "Bounty #1 Backpack: maintenance → maintenance")) == 1
    status = await people.exchange.run("bounty status", channel=channel)
    assert f"Maintenance year 2 ends <t:{following}:D> (<t:{following}:R>)" in status.reply.text

    # Year 2 has its own notices, then (unpaid) it ends.
    await run_until(bot, clock, following - 60 * DAY + 60)
    year_two = posts(sandbox, channel, NOTICE)[-1]
    assert (
        year_two.embeds[0]["title"] == "Maintenance renewal: 60 days left" and "Year 2 of maintenance" in year_two.text
    )
    await run_until(bot, clock, following + 60)
    assert await state_of(bot) is State.ENDED
    assert len(posts(sandbox, channel, NOTICE)) == 3  # 60 (year 1), 60 and 30 (year 2)


async def test_a_renewal_paid_late_after_both_notices_still_renews_from_the_old_end(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel, ends = await maintained(bot, people, clock)
    await run_until(bot, clock, ends - 2 * DAY)
    assert len(posts(sandbox, channel, NOTICE)) == 2
    await pay_renewal(bot)
    await run_until(bot, clock, ends + DAY)
    assert await state_of(bot) is State.MAINTENANCE
    year_two = await releases.year(bot.db.conn, 1, 2)
    assert year_two is not None and year_two.starts_at == ends and year_two.ends_at == one_year_after(ends)
    pending = sorted((t.kind, t.due_at) for t in await timer_rows.pending(bot.db.conn, "bounty:1"))
    assert (YEAR_END, year_two.ends_at) in pending
    assert [at for kind, at in pending if kind == RENEWAL_NOTICE] == [
        year_two.ends_at - 60 * DAY,
        year_two.ends_at - 30 * DAY,
    ]


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"gave up waiting: {what}")


async def test_a_payment_racing_the_end_gives_one_outcome_whichever_commits_first(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    """Both read what they decide on inside their own change; the database serialises the two changes. (With
    the GitHub stand-in, so that nothing waits in the outbox to queue for the database at the same moment.)"""
    channel, ends = await maintained(gh_bot, people, clock)
    await run_until(gh_bot, clock, ends - DAY)
    # The end first, the payment queued right behind it: the payment finds the bounty ended.
    async with gh_bot.changes.begin():
        clock.advance(ends + 1 - clock.now())  # the end falls due: the timers' pass queues behind this change
        await until(lambda: gh_bot.db.waiting == 1, "the end to queue")
        payment = asyncio.create_task(pay_renewal(gh_bot))
        await until(lambda: gh_bot.db.waiting == 2, "the payment to queue")
    await payment
    await gh_bot.timers.run_due()
    await gh_bot.outbox.drain()
    assert await state_of(gh_bot) is State.ENDED
    assert [y.year for y in await releases.years(gh_bot.db.conn, 1)] == [1]
    late = posts(sandbox, "staff-alerts", "Renewal paid after maintenance ended: bounty #1")
    assert len(late) == 1 and "`/bounty refund`" in late[0].text
    assert posts(sandbox, channel, RENEWED) == []


async def test_a_payment_committed_just_before_the_end_renews(
    gh_bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel, ends = await maintained(gh_bot, people, clock)
    await run_until(gh_bot, clock, ends - DAY)
    async with gh_bot.changes.begin():
        payment = asyncio.create_task(pay_renewal(gh_bot))
        await until(lambda: gh_bot.db.waiting == 1, "the payment to queue")
        clock.advance(ends + 1 - clock.now())
        await until(lambda: gh_bot.db.waiting == 2, "the end to queue")
    await payment
    await gh_bot.timers.run_due()
    await gh_bot.outbox.drain()
    assert await state_of(gh_bot) is State.MAINTENANCE
    assert (await state_changes(gh_bot))[-1] == ("maintenance", "maintenance")
    assert [y.year for y in await releases.years(gh_bot.db.conn, 1)] == [1, 2]
    assert len(posts(sandbox, channel, RENEWED)) == 1
    assert posts(sandbox, "staff-alerts", "Renewal paid after maintenance ended") == []


async def test_the_renewal_due_paid_through_pay_starts_year_two(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    # End to end: the 60-day notice opens the renewal due, the exchange's wire is confirmed, a new year starts.
    channel, ends = await maintained(bot, people, clock)
    early = await people.staff.run("pay confirm-escrow", channel=channel, reference="RENEW-0", amount="2000")
    assert "owes nothing: staff will refund it" in early.reply.text, early.reply.text  # no renewal open yet
    await run_until(bot, clock, ends - 60 * DAY)
    shown = await people.exchange.run("pay instructions", channel=channel)
    assert "Renewal (maintenance year 2) **2,000 USD**" in shown.reply.text, shown.reply.text
    part = await people.staff.run("pay confirm-escrow", channel=channel, reference="RENEW-1", amount="1500")
    assert "500 is still owed on the renewal for maintenance year 2" in part.reply.text, part.reply.text
    assert await releases.year(bot.db.conn, 1, 2) is None
    rest = await people.staff.run("pay confirm-escrow", channel=channel, reference="RENEW-2", amount="500")
    assert rest.reply.ephemeral, rest.reply.text
    await settle(bot, clock)
    year_two = await releases.year(bot.db.conn, 1, 2)
    assert year_two is not None and year_two.starts_at == ends
    assert posts(sandbox, channel, RENEWED)
    await run_until(bot, clock, ends + DAY)
    assert await state_of(bot) is State.MAINTENANCE


async def test_moved_into_maintenance_by_hand_the_year_still_starts_and_ends(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    # No release recorded (staff moved it): year 1 starts now, so its renewal is asked for and it can end.
    channel = await funded(bot, people, clock)
    for state in ("open", "development", "testing", "governance", "approved", "released", "maintenance"):
        await people.staff.run(
            "bounty advance",
            channel=channel,
            to=state,
            reason="moved by hand, shipped outside the bot",
            override=state == "governance",
        )
    year = await releases.year(bot.db.conn, 1, 1)
    assert year is not None and year.starts_at == clock.now() and year.ends_at == one_year_after(clock.now())
    await run_until(bot, clock, year.ends_at + DAY)
    assert len(posts(sandbox, channel, NOTICE)) == 2
    assert await state_of(bot) is State.ENDED
    # The year's last month and quarter close with it: their report and review still go out, and nothing after.
    reports = [r.embeds[0]["title"] for r in posts(sandbox, channel, "Monthly report: month ")]
    assert len(reports) == 12 and reports[-1].startswith("Monthly report: month 12 of the maintenance year")
    assert len(posts(sandbox, "staff-alerts", "Quarterly review due")) == 4
