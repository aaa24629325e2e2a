"""SLA metrics (DESIGN.md §2 success metrics, §7 bug SLA), per bounty and over every bounty: pure arithmetic on bugs.

The definitions, used everywhere the figures are shown (`/report sla`, `/bounty status`, the monthly report):

- **time to resolve** = resolved_at - opened_at - paused_seconds: the time the clock ran (time paused waiting on
  the exchange, or between a resolve and a reopen, does not count);
- a bug is **breached** once its breach is recorded (`breached_at`), or once its running clock is past its due
  time (the breach timer's pass may not have come yet, or the bug predates recorded breaches): a resolved bug
  is judged by the time it was resolved, an open one by now, a paused one only by what was recorded;
- the **share within SLA** is resolved bugs never breached, out of the resolved bugs and the open ones already
  breached (an open breached bug counts against the SLA before it is fixed; an open bug within its window is
  not judged yet);
- **bugs in the first month after release**: bugs opened in the calendar month after the bounty entered
  `released` (target: fewer than 5), counted only once it was released.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.bugs import Bug, BugState, Severity

HOUR = 3600
FIRST_MONTH_BUGS_BELOW = 5  # the process document's target: fewer than 5 bugs in the first month


def add_months(unix: int, months: int) -> int:
    """`unix` moved by whole calendar months in UTC; a day the month lacks becomes its last (31 Jan + 1 = 28/29 Feb)."""
    at = datetime.fromtimestamp(unix, UTC)
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    following = datetime(year + (month // 12), month % 12 + 1, 1, tzinfo=UTC)
    last_day = (following - datetime(year, month, 1, tzinfo=UTC)).days
    return int(at.replace(year=year, month=month, day=min(at.day, last_day)).timestamp())


def time_to_resolve(bug: Bug) -> int | None:
    """Seconds the clock ran before the bug was resolved; None while it is open."""
    if bug.state is not BugState.RESOLVED or bug.resolved_at is None:
        return None
    return max(0, bug.resolved_at - bug.opened_at - bug.paused_seconds)


def breached(bug: Bug, now: int) -> bool:
    if bug.breached_at is not None:
        return True
    if bug.due_at is None or bug.paused_at is not None:
        return False
    if bug.state is BugState.RESOLVED:
        return bug.resolved_at is not None and bug.resolved_at > bug.due_at
    return now >= bug.due_at


def median(values: Iterable[int]) -> int | None:
    found = sorted(values)
    return round(statistics.median(found)) if found else None


@dataclass(frozen=True)
class Resolution:
    """One bug as the chart draws it: how long its clock ran, and whether it kept its SLA."""

    bug_id: int
    bounty_id: int
    severity: Severity
    seconds: int
    resolved: bool  # False: still open, `seconds` so far
    within: bool


@dataclass(frozen=True)
class SeverityFigures:
    severity: Severity
    open: int
    resolved: int
    breached: int
    median_seconds: int | None  # of the resolved ones

    @property
    def total(self) -> int:
        return self.open + self.resolved


@dataclass(frozen=True)
class FirstMonth:
    """Bugs in the calendar month after release; `released_at` None: not released yet."""

    released_at: int | None
    ends_at: int | None
    bugs: int
    below: int = FIRST_MONTH_BUGS_BELOW

    def ongoing(self, now: int) -> bool:
        return self.ends_at is not None and now < self.ends_at

    @property
    def met(self) -> bool | None:
        """Whether the target holds (so far, while the month runs); None before release."""
        return None if self.released_at is None else self.bugs < self.below


@dataclass(frozen=True)
class SlaFigures:
    now: int
    by_severity: tuple[SeverityFigures, ...]  # critical, major, minor
    within: int  # resolved, never breached
    judged: int  # resolved, plus open and breached
    open_breached: int
    median_seconds: int | None
    resolutions: tuple[Resolution, ...]  # resolved bugs first, oldest first; then open ones

    @property
    def bugs(self) -> int:
        return sum(s.total for s in self.by_severity)

    @property
    def open(self) -> int:
        return sum(s.open for s in self.by_severity)

    @property
    def resolved(self) -> int:
        return sum(s.resolved for s in self.by_severity)

    @property
    def breached(self) -> int:
        return sum(s.breached for s in self.by_severity)

    @property
    def share_within(self) -> float | None:
        """Resolved within SLA, out of everything judged so far; None when nothing can be judged yet."""
        return self.within / self.judged if self.judged else None


def sla_figures(bugs: Iterable[Bug], now: int) -> SlaFigures:
    """The figures over `bugs` (one bounty's, or every bounty's), as they stand at `now`."""
    found = list(bugs)
    rows = []
    for severity in Severity:
        mine = [b for b in found if b.severity is severity]
        resolved = [b for b in mine if b.state is BugState.RESOLVED]
        rows.append(
            SeverityFigures(
                severity,
                open=len(mine) - len(resolved),
                resolved=len(resolved),
                breached=sum(breached(b, now) for b in mine),
                median_seconds=median(t for b in resolved if (t := time_to_resolve(b)) is not None),
            )
        )
    resolved = [b for b in found if b.state is BugState.RESOLVED]
    open_breached = sum(1 for b in found if b.state is BugState.OPEN and breached(b, now))
    resolutions = [
        Resolution(b.id, b.bounty_id, b.severity, time_to_resolve(b) or 0, True, not breached(b, now))
        for b in sorted(resolved, key=lambda b: (b.resolved_at or 0, b.id))
    ]
    resolutions += [
        Resolution(b.id, b.bounty_id, b.severity, running(b, now), False, not breached(b, now))
        for b in found
        if b.state is BugState.OPEN
    ]
    return SlaFigures(
        now=now,
        by_severity=tuple(rows),
        within=sum(1 for b in resolved if not breached(b, now)),
        judged=len(resolved) + open_breached,
        open_breached=open_breached,
        median_seconds=median(t for b in resolved if (t := time_to_resolve(b)) is not None),
        resolutions=tuple(resolutions),
    )


def running(bug: Bug, now: int) -> int:
    """Seconds an open bug's clock has run so far (a paused clock stopped when it was paused)."""
    until = bug.paused_at if bug.paused_at is not None else now
    return max(0, until - bug.opened_at - bug.paused_seconds)


def first_month(bugs: Iterable[Bug], released_at: int | None, below: int = FIRST_MONTH_BUGS_BELOW) -> FirstMonth:
    """Bugs opened in the calendar month from `released_at` (when the bounty first entered `released`)."""
    if released_at is None:
        return FirstMonth(None, None, 0, below)
    ends_at = add_months(released_at, 1)
    count = sum(1 for b in bugs if released_at <= b.opened_at < ends_at)
    return FirstMonth(released_at, ends_at, count, below)


def hours(seconds: int | None) -> str:
    """A duration for people: `45 min`, `13.5 h`, `3.2 days`; `—` for none."""
    if seconds is None:
        return "—"
    if seconds < HOUR:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 72 * HOUR:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / (24 * HOUR):.1f} days"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"
