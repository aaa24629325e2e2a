"""Reports: SLA metrics (`/report sla`, `/bounty status`), usage figures (`/report usage`), and in the maintenance
year the monthly report per connector and the quarterly review reminder to staff.

The monthly report and the quarterly review are durable timers under the bounty's subject (`bounty:N`, so
cancelling the bounty cancels them too). Each firing schedules the next in the same change, while the bounty
is in maintenance (a renewal included); the outbox keys name the bounty, the year's start and the month, so a
restart, a retry or a second start of the same year never posts a month twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.changes import Change
from bot.config import Config
from bot.domain.access import Actor, authorize
from bot.domain.bugs import Bug
from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.lifecycle import State, moved_meanwhile
from bot.domain.models import Bounty
from bot.domain.notices import ts
from bot.domain.reports import (
    QUARTER_MONTHS,
    MonthReport,
    Targets,
    Usage,
    month_at,
    month_name,
    month_window,
    monthly_comment,
    monthly_notice,
    parse_users,
    parse_volume,
    quarterly_notice,
)
from bot.domain.sla_metrics import FirstMonth, SlaFigures, add_months, first_month, sla_figures
from bot.store import bounties
from bot.store import reports as store
from bot.store.timers import TimerRow

if TYPE_CHECKING:  # only types: the release work imports this module from the lifecycle's side
    from bot.services.bounties import BountyService
    from bot.services.context import ServiceContext

MONTHLY_REPORT = "monthly_report"  # payload: month (1-based), starts_at (the maintenance year's start)
QUARTERLY_REVIEW = "quarterly_review"  # payload: quarter (1-based), starts_at
# Usage is recorded for a connector that shipped: released, in maintenance, or at the end of it.
USAGE_STATES = frozenset({State.RELEASED, State.MAINTENANCE, State.ENDED})
MONTH_MAX = 12


def subject(bounty_id: int) -> str:
    return f"bounty:{bounty_id}"


def targets(config: Config) -> Targets:
    r = config.reports
    return Targets(r.users_target, r.volume_target_usd, r.first_month_bugs_below)


@dataclass(frozen=True)
class ReleasedBounty:
    id: int
    exchange: str
    first: FirstMonth


@dataclass(frozen=True)
class SlaReport:
    """`/report sla`: one bounty's figures (`bounty` set), or every bounty's."""

    bounty: Bounty | None
    figures: SlaFigures
    first: FirstMonth | None  # one bounty's first month after release
    released: list[ReleasedBounty]  # overall: each released bounty's first month
    critical_hours: int
    major_hours: int


@dataclass(frozen=True)
class BountyMetrics:
    """The SLA figures `/bounty status` shows."""

    figures: SlaFigures
    first: FirstMonth


@dataclass(frozen=True)
class UsageRecorded:
    bounty: Bounty
    month: int
    start: int
    end: int
    usage: Usage
    replaced: Usage | None
    reported: bool  # the month has ended: its report already went out
    targets: Targets


class ReportService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_
        self._overall: asyncio.Future[SlaReport] | None = None  # the overall report being read, if any

    async def sla(self, actor: Actor, bounty_id: int | None) -> SlaReport:
        """The figures for bounty `bounty_id`, or over every bounty when it is None (staff)."""
        authorize(actor, "report sla")
        conn, now = self.ctx.conn, self.ctx.clock.now()
        below = self.ctx.config.reports.first_month_bugs_below
        sla = self.ctx.config.sla
        if bounty_id is not None:
            bounty = await self.bounties.find(bounty_id, None, actor)
            released_at, bugs = await store.bounty_bugs(conn, bounty.id)
            return SlaReport(
                bounty,
                sla_figures(bugs, now),
                first_month(bugs, released_at, below),
                [],
                sla.critical_hours,
                sla.major_hours,
            )
        # Every bug of every bounty: tens of thousands at the program's size. Staff asking while one reading is
        # under way share it (no staler than the moment it started), and the arithmetic runs in a worker thread,
        # so that the loop goes on answering everyone else meanwhile.
        if self._overall is None or self._overall.done():
            self._overall = asyncio.ensure_future(self._overall_report(now))
        return await asyncio.shield(self._overall)

    async def _overall_report(self, now: int) -> SlaReport:
        conn, sla = self.ctx.conn, self.ctx.config.sla
        below = self.ctx.config.reports.first_month_bugs_below
        rows = await store.bug_rows(conn)
        released_rows = await store.released(conn)

        def compute() -> SlaReport:
            bugs = store.bugs_of(rows)
            by_bounty: dict[int, list[Bug]] = {}
            for bug in bugs:
                by_bounty.setdefault(bug.bounty_id, []).append(bug)
            released = [
                ReleasedBounty(number, exchange, first_month(by_bounty.get(number, []), at, below))
                for number, exchange, at in released_rows
            ]
            return SlaReport(None, sla_figures(bugs, now), None, released, sla.critical_hours, sla.major_hours)

        return await asyncio.to_thread(compute)

    async def metrics(self, bounty_id: int) -> BountyMetrics:
        """The figures for `/bounty status` (whose caller has already checked who may see the bounty)."""
        released_at, bugs = await store.bounty_bugs(self.ctx.conn, bounty_id)
        below = self.ctx.config.reports.first_month_bugs_below
        return BountyMetrics(sla_figures(bugs, self.ctx.clock.now()), first_month(bugs, released_at, below))

    async def record_usage(
        self, actor: Actor, bounty_id: int, users_text: str, volume_text: str, month: int | None
    ) -> UsageRecorded:
        """Users and trading volume for a month of a released connector's maintenance year (the current month
        unless `month`, 1–12, names one that has begun); a second record for a month replaces the first."""
        authorize(actor, "report usage")
        bounty = await self.bounties.find(bounty_id, None, actor)
        users, why_users = parse_users(users_text)
        volume, why_volume = parse_volume(volume_text)
        problems = [why for why in (why_users, why_volume) if why]
        if month is not None and not 1 <= month <= MONTH_MAX:
            problems.append(f"Month: a month of the maintenance year, 1 to {MONTH_MAX} (you gave {month}).")
        if problems:
            raise InvalidInput(problems)
        assert users is not None and volume is not None
        if bounty.state not in USAGE_STATES:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; users and volume are recorded once its connector "
                "is released."
            )
        usage = Usage(users, volume)
        async with self.ctx.changes.begin() as ch:
            current = await bounties.get(ch.tx, bounty.id)
            assert current is not None
            if current.state not in USAGE_STATES:
                raise moved_meanwhile(bounty.id, bounty.state, current.state)
            starts_at = await store.maintenance_start(ch.tx, bounty.id)
            if starts_at is None:  # released by hand with no state history: nothing to count months from
                raise RuleViolation(f"Bounty #{bounty.id} has no release recorded to count its months from.")
            now_month = month_at(starts_at, ch.now)
            wanted = now_month if month is None else (now_month - 1) // MONTH_MAX * MONTH_MAX + month
            start, end = month_window(starts_at, wanted)
            if wanted > now_month:
                raise RuleViolation(
                    f"{month_name(wanted).capitalize()} of bounty #{bounty.id} begins {ts(start, 'D')}; record its "
                    f"figures once it has begun (it is {month_name(now_month)} now)."
                )
            replaced = await store.record_usage(ch.tx, bounty.id, start, usage, actor.user_id, ch.now)
            await ch.audit(
                "usage_recorded",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                month=wanted,
                month_start=start,
                users=users,
                volume_cents=volume,
                replaced=replaced is not None,
            )
            reported = end <= ch.now
        return UsageRecorded(current, wanted, start, end, usage, replaced, reported, targets(self.ctx.config))


# --- the maintenance year's timers -------------------------------------------------------------------------------


async def start_maintenance_reports(ch: Change, bounty_id: int, starts_at: int) -> None:
    """The bounty entered its maintenance year at `starts_at`: schedule its monthly report and quarterly review.

    Called inside the change that moved the bounty (a renewal that restarts the year calls it again with the new
    start: the old year's timers are cancelled). Calling it twice with the same start changes nothing.
    """
    if await store.reports_start(ch.tx, bounty_id) == starts_at:
        return
    await store.set_maintenance_start(ch.tx, bounty_id, starts_at, ch.now)
    await ch.cancel_timers(subject(bounty_id), MONTHLY_REPORT)
    await ch.cancel_timers(subject(bounty_id), QUARTERLY_REVIEW)
    await ch.timer(MONTHLY_REPORT, subject(bounty_id), add_months(starts_at, 1), month=1, starts_at=starts_at)
    await ch.timer(
        QUARTERLY_REVIEW, subject(bounty_id), add_months(starts_at, QUARTER_MONTHS), quarter=1, starts_at=starts_at
    )
    await ch.audit("maintenance_reports_started", actor_id=None, bounty_id=bounty_id, starts_at=starts_at)


async def _still_reporting(ch: Change, timer: TimerRow) -> tuple[Bounty, int] | None:
    """The bounty and its year's start, if this timer's year is still the one being reported on."""
    bounty = await bounties.get(ch.tx, int(timer.subject.split(":", 1)[1]))
    starts_at = int(str(timer.payload.get("starts_at")))
    if bounty is None:
        return None
    # The last month and quarter end with the year itself, and the year's end may fire first: a report on a
    # period that closed by the time the bounty ended is still due (and is the last one).
    ended_after = bounty.state is State.ENDED and timer.due_at <= bounty.state_since
    if bounty.state is not State.MAINTENANCE and not ended_after:
        return None  # ended before this period closed (or moved out by hand): the reports stop
    if await store.reports_start(ch.tx, bounty.id) != starts_at:
        return None  # the year was restarted since: its own timers report on it
    return bounty, starts_at


async def on_monthly_report(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: month `month` ended. Its report to the bounty channel and the GitHub issue, then the next."""
    found = await _still_reporting(ch, timer)
    if found is None:
        return
    bounty, starts_at = found
    month = int(str(timer.payload.get("month")))
    start, end = month_window(starts_at, month)
    released_at, bugs = await store.bounty_bugs(ch.tx, bounty.id)
    goals = targets(config)
    report = MonthReport.of(
        bounty,
        month,
        start,
        end,
        bugs,
        updates=await store.updates_between(ch.tx, bounty.id, start, end),
        usage=await store.usage_for(ch.tx, bounty.id, start),
        first=first_month(bugs, released_at, goals.first_month_bugs_below),
        targets=goals,
    )
    key = f"bounty:{bounty.id}:report:{starts_at}:{month}"
    told = await ch.send(
        f"{key}:bounty", "bounty.post", bounty_id=bounty.id, notice=monthly_notice(report).to_payload()
    )
    await ch.send(f"{key}:github", "github.comment", bounty_id=bounty.id, body=monthly_comment(report))
    if told:
        await ch.audit("monthly_report", actor_id=None, bounty_id=bounty.id, month=month, starts_at=starts_at)
    if bounty.state is State.MAINTENANCE:  # after the last one (the bounty ended), nothing more
        await ch.timer(
            MONTHLY_REPORT, timer.subject, add_months(starts_at, month + 1), month=month + 1, starts_at=starts_at
        )


async def on_quarterly_review(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: three more months of maintenance. A review reminder to staff, then the next quarter's."""
    found = await _still_reporting(ch, timer)
    if found is None:
        return
    bounty, starts_at = found
    quarter = int(str(timer.payload.get("quarter")))
    _, bugs = await store.bounty_bugs(ch.tx, bounty.id)
    notice = quarterly_notice(
        bounty,
        quarter,
        starts_at,
        sla_figures(bugs, ch.now),
        await store.latest_usage(ch.tx, bounty.id),
        targets(config),
    )
    if await ch.send(f"bounty:{bounty.id}:quarterly:{starts_at}:{quarter}", "staff.post", notice=notice.to_payload()):
        await ch.audit("quarterly_review_due", actor_id=None, bounty_id=bounty.id, quarter=quarter)
    if bounty.state is State.MAINTENANCE:
        next_due = add_months(starts_at, (quarter + 1) * QUARTER_MONTHS)
        await ch.timer(QUARTERLY_REVIEW, timer.subject, next_due, quarter=quarter + 1, starts_at=starts_at)
