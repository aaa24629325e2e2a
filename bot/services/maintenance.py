"""The maintenance year after release (DESIGN.md §2, §3, §6, §7): its end, renewal notices, renewal or end.

Year 1 starts when the bounty is released (bot/services/releases.py calls :func:`start_year` in that change).
Every step is a durable timer on the bounty's subject, checked against what is true when it fires:

- **renewal notices** 60 and 30 days before the year ends, to the bounty channel (pinging the exchange lead)
  and to staff, each once; the 60-day one opens the renewal due (`dues.open_renewal`, in its change). A year
  whose renewal is paid says nothing more. A bot down through both says only the 30-day one.
- **the end of the year**, decided on the state read inside its change: the year after exists (its renewal
  was paid, :func:`renewal_paid`) → the lifecycle's `maintenance → maintenance` transition ("renewed: restarts
  the maintenance year", bot/domain/lifecycle.py), audited and told; otherwise `maintenance → ended`.

A renewal paid at any time before the end is decided (late, after both notices, included) adds the next year,
starting where the current one ends. The payment and the end are two changes, serialised by the database: the
one that commits first decides, and the other sees it (an end after the payment renews; a payment after the
end finds the bounty `ended`, starts nothing, and staff are told to settle the money).
"""

from __future__ import annotations

import functools
import logging

from bot.changes import Change
from bot.config import Config
from bot.domain import release_notices
from bot.domain.lifecycle import Role, State
from bot.domain.models import MemberRole
from bot.domain.releases import FIRST_NOTICE, NOTICE_DAYS, MaintenanceYear, notice_at, notice_superseded
from bot.services import dues
from bot.services.lifecycle import subject, transition
from bot.store import bounties, releases
from bot.store.timers import TimerRow
from bot.timers import TimerHandler

log = logging.getLogger(__name__)

RENEWAL_NOTICE = "maintenance_notice"  # payload: year, days (before its end)
YEAR_END = "maintenance_end"  # payload: year


async def start_year(ch: Change, year: MaintenanceYear) -> None:
    """Record maintenance year `year` and schedule its notices and its end, inside the caller's change."""
    await releases.add_year(ch.tx, year)
    for days in NOTICE_DAYS:
        await ch.timer(
            RENEWAL_NOTICE, subject(year.bounty_id), notice_at(year.ends_at, days), year=year.year, days=days
        )
    await ch.timer(YEAR_END, subject(year.bounty_id), year.ends_at, year=year.year)


async def renewal_paid(ch: Change, bounty_id: int) -> None:
    """The renewal due was paid in full, inside the change that recorded the payment: a new maintenance year.

    The year after the current one is added, starting where it ends (paid early, on time or late: as long as
    the end has not been decided), its notices and end scheduled, the current year's remaining notices
    cancelled, audited, and the channel told. Idempotent: a year already renewed is not renewed twice. Never
    raises for a renewal that comes too late (it must not undo the payment recorded in the same change):
    the bounty has `ended`, nothing starts, and staff are told.
    """
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is None:
        return
    years = await releases.years(ch.tx, bounty_id)
    if bounty.state is not State.MAINTENANCE or not years:
        await ch.audit("renewal_paid_late", actor_id=None, bounty_id=bounty_id, state=bounty.state.value)
        notice = release_notices.paid_too_late(bounty, bounty.state.label)
        await ch.send(f"bounty:{bounty_id}:renewal_late:{ch.audit_ids[-1]}", "staff.post", notice=notice.to_payload())
        return
    current = years[-1]
    if current.starts_at > ch.now or not await releases.mark_renewed(ch.tx, bounty_id, current.year, ch.now):
        log.info("bounty %s: renewal of year %s already recorded", bounty_id, current.year)
        return
    following = current.next_year()
    await ch.cancel_timers(subject(bounty_id), RENEWAL_NOTICE)  # this year's: nothing left to remind about
    await start_year(ch, following)
    await ch.audit(
        "maintenance_renewed",
        actor_id=None,
        bounty_id=bounty_id,
        year=following.year,
        starts_at=following.starts_at,
        ends_at=following.ends_at,
    )
    told = release_notices.renewal_paid(bounty, current, following).to_payload()
    key = f"bounty:{bounty_id}:renewed:{following.year}"
    await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty_id, notice=told)
    await ch.send(f"{key}:staff", "staff.post", notice=told)


async def _year_of(ch: Change, timer: TimerRow) -> tuple[int, MaintenanceYear] | None:
    bounty_id = int(timer.subject.split(":", 1)[1])
    year = await releases.year(ch.tx, bounty_id, int(str(timer.payload["year"])))
    return (bounty_id, year) if year is not None else None


async def on_renewal_notice(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: `days` before the year ends, unless its renewal is paid or the year is over."""
    found = await _year_of(ch, timer)
    if found is None:
        return
    bounty_id, year = found
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is None or bounty.state is not State.MAINTENANCE or year.renewed or ch.now >= year.ends_at:
        return
    days = int(str(timer.payload["days"]))
    if days == FIRST_NOTICE:
        await dues.open_renewal(ch, bounty_id, year.year + 1)
    if notice_superseded(days, year.ends_at, ch.now):
        return  # the bot was down through it and the next notice is due too: that one tells
    await ch.audit("renewal_notice", actor_id=None, bounty_id=bounty_id, year=year.year, days=days)
    leads = tuple(m.user_id for m in await bounties.members(ch.tx, bounty_id) if m.role is MemberRole.LEAD)
    renewal = config.fees.renewal_usd
    exchange = release_notices.renewal_notice(bounty, year, days, renewal, for_staff=False, ping=leads)
    staff = release_notices.renewal_notice(bounty, year, days, renewal, for_staff=True)
    key = f"bounty:{bounty_id}:renewal_notice:{year.year}:{days}"
    await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty_id, notice=exchange.to_payload())
    await ch.send(f"{key}:staff", "staff.post", notice=staff.to_payload())


async def on_year_end(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: the year is over. Renewed (the year after exists) → the next year begins; else → ended."""
    found = await _year_of(ch, timer)
    if found is None:
        return
    bounty_id, year = found
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is None or bounty.state is not State.MAINTENANCE:
        return
    following = await releases.year(ch.tx, bounty_id, year.year + 1)
    if following is not None:
        await transition(
            ch,
            config,
            bounty,
            State.MAINTENANCE,
            role=Role.SYSTEM,
            actor_id=None,
            reason=release_notices.year_started_reason(following),
        )
        await ch.audit("maintenance_year_started", actor_id=None, bounty_id=bounty_id, year=following.year)
        return
    await ch.cancel_timers(subject(bounty_id), RENEWAL_NOTICE)
    await transition(
        ch, config, bounty, State.ENDED, role=Role.SYSTEM, actor_id=None, reason=release_notices.ended_reason(year)
    )
    await ch.audit("maintenance_ended", actor_id=None, bounty_id=bounty_id, year=year.year)


def handlers(config: Config) -> dict[str, TimerHandler]:
    """The maintenance year's timer kinds and their handlers (registered by the app)."""
    return {
        RENEWAL_NOTICE: functools.partial(on_renewal_notice, config),
        YEAR_END: functools.partial(on_year_end, config),
    }
