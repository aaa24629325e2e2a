"""The bug SLA clock (DESIGN.md §7) as arithmetic: due times with pauses, checkpoints, the release calendar.

Pure functions of numbers (Unix seconds) and dates; the bug service records what they decide.

The clock runs from the bug's opening. It stops while the bug is paused (waiting on the exchange) and while
it is resolved; stopped time is added to `paused_seconds` when the clock starts again, and the due time
moves by it. A critical or major bug is due `window` after its opening plus its stopped time; a minor bug
is due at a release cut, and moves to the following cut only when its cut passed while its clock was stopped.
Warnings go out at 50% and 90% of the running time between the opening and the due time, and the breach at
the due time; each threshold is told once, whatever moves the due time later.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

HOUR = 3600
# The SLA checkpoints, as shares of the running window: two warnings, then the breach.
CHECKPOINTS: tuple[tuple[str, float], ...] = (("warn_50", 0.5), ("warn_90", 0.9), ("breach", 1.0))
STAGES = tuple(stage for stage, _ in CHECKPOINTS)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_RULE = re.compile(r"^\s*(\w+)\s+(\w+)\s*$")


@dataclass(frozen=True)
class MonthlyRule:
    """The `ordinal`-th `weekday` of each month (0 = Monday; ordinal -1 = the last one)."""

    ordinal: int
    weekday: int

    def day_in(self, year: int, month: int) -> date:
        days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month]
        matching = [d for d in days if d.weekday() == self.weekday]
        return matching[-1] if self.ordinal < 0 else matching[self.ordinal - 1]

    def describe(self) -> str:
        word = next(name for name, n in ORDINALS.items() if n == self.ordinal)
        return f"the {word} {WEEKDAYS[self.weekday].capitalize()} of each month"


def parse_rule(text: str) -> tuple[MonthlyRule | None, str | None]:
    """`"first monday"` → the rule; `""` or `"none"` → no rule; anything else → a problem, said plainly."""
    if text.strip().lower() in ("", "none"):
        return None, None
    match = _RULE.match(text.lower())
    if match is None or match.group(1) not in ORDINALS or match.group(2) not in WEEKDAYS:
        return None, (
            f"{text!r} is not a monthly rule: write an ordinal ({', '.join(ORDINALS)}) and a weekday, "
            'like "first monday", or "none" to use only release_dates'
        )
    return MonthlyRule(ORDINALS[match.group(1)], WEEKDAYS.index(match.group(2))), None


def parse_dates(values: object) -> tuple[tuple[date, ...], list[str]]:
    """A list of `YYYY-MM-DD` strings → sorted, distinct dates, and a problem per bad entry."""
    if not isinstance(values, list):
        return (), [f'must be a list of dates like ["2027-01-04", "2027-02-01"], got {values!r}']
    found: set[date] = set()
    problems: list[str] = []
    for i, value in enumerate(values):
        try:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            found.add(date.fromisoformat(value))
        except ValueError:
            problems.append(f"[{i}]: {value!r} is not a date written YYYY-MM-DD (like 2027-01-04)")
    return tuple(sorted(found)), problems


@dataclass(frozen=True)
class ReleaseCalendar:
    """When releases are cut: a monthly rule and/or listed dates, each at `hour` UTC."""

    rule: MonthlyRule | None = MonthlyRule(1, 0)  # the first Monday of each month
    dates: tuple[date, ...] = ()
    hour: int = 12

    def at(self, day: date) -> int:
        return int(datetime(day.year, day.month, day.day, self.hour, tzinfo=UTC).timestamp())

    def next_cut(self, after: int, extra_dates: Iterable[date] = ()) -> int | None:
        """The first release cut strictly after `after`, or None when the calendar has none.

        `extra_dates`: releases known from elsewhere (the release dates recorded with `/release record`)
        count as cuts too.
        """
        candidates = [t for d in (*self.dates, *extra_dates) if (t := self.at(d)) > after]
        if self.rule is not None:
            start = datetime.fromtimestamp(after, UTC)
            year, month = start.year, start.month
            for _ in range(2):  # this month's cut may be behind; next month's is always ahead
                if (t := self.at(self.rule.day_in(year, month))) > after:
                    candidates.append(t)
                    break
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return min(candidates) if candidates else None

    def describe(self) -> str:
        parts = [self.rule.describe()] if self.rule else []
        if self.dates:
            parts.append(f"{len(self.dates)} listed date(s)")
        return (" and ".join(parts) or "no release dates") + f", at {self.hour:02d}:00 UTC"


# --- due times ------------------------------------------------------------------------------------------


def timed_due(opened_at: int, window_hours: int, paused_seconds: int) -> int:
    """A critical or major bug's due time while its clock runs: the window from the opening, plus stopped time."""
    return opened_at + window_hours * HOUR + paused_seconds


def minor_due(opened_at: int, paused_seconds: int, next_cut: NextCut) -> int | None:
    """A minor bug's due time from its opening: the first cut after the opening shifted by the stopped time."""
    return next_cut(opened_at + paused_seconds)


class NextCut:
    """The calendar with the releases recorded so far, as a function of time (see `ReleaseCalendar`).

    A recorded release counts at the moment it shipped (`released_at`), not at the calendar's hour on its date:
    a release at 09:00 is not a cut again at 12:00 the same day.
    """

    def __init__(self, cal: ReleaseCalendar, released_at: Iterable[int] = ()) -> None:
        self.cal = cal
        self.extra = tuple(released_at)

    def __call__(self, after: int) -> int | None:
        found = [t for t in (self.cal.next_cut(after), *self.extra) if t is not None and t > after]
        return min(found) if found else None


def due_after_stop(due_at: int | None, stopped_at: int, now: int, *, minor: bool, next_cut: NextCut) -> int | None:
    """The due time when a clock stopped at `stopped_at` starts again at `now` (a resume, or a reopen).

    Timed bugs: the due time moves by the stopped time. Minor bugs keep their cut, unless it passed while the
    clock was stopped: then the following cut (the first after `now`). A cut that passed before the clock
    stopped was a breach and stays where it was.
    """
    stopped = max(0, now - stopped_at)
    if not minor:
        return None if due_at is None else due_at + stopped
    if due_at is None or stopped_at < due_at <= now:
        return next_cut(now)
    return due_at


def remaining(due_at: int, now: int, paused_at: int | None) -> int:
    """Running seconds left (negative: overdue); while paused, frozen at what was left when it stopped."""
    return due_at - (paused_at if paused_at is not None else now)


def active_seconds(opened_at: int, until: int, paused_seconds: int) -> int:
    """Time the clock ran between the opening and `until` (the time to resolve, when `until` is the resolve)."""
    return max(0, until - opened_at - paused_seconds)


def checkpoints(opened_at: int, paused_seconds: int, due_at: int) -> list[tuple[str, int]]:
    """When each threshold falls, as clock time, given the stopped time so far.

    The window is the running time from the opening to the due time (for a minor bug: to its cut, less the
    stopped time); the breach is the due time itself.
    """
    base = opened_at + paused_seconds
    window = max(0, due_at - base)
    return [(stage, due_at if share == 1.0 else base + round(window * share)) for stage, share in CHECKPOINTS]


@dataclass(frozen=True)
class CheckpointPlan:
    """What to do with the thresholds after the due time was set or moved."""

    schedule: tuple[tuple[str, int], ...] = ()  # thresholds still ahead: a timer each
    alert_now: str | None = None  # the furthest threshold already behind and never told: told now, once
    passed_quietly: frozenset[str] = field(default_factory=frozenset)  # behind, superseded by `alert_now`


def plan(points: list[tuple[str, int]], reference: int, told: frozenset[str]) -> CheckpointPlan:
    """Thresholds never told: those behind `reference` are told once now (only the furthest: a breach says more
    than the warnings it passes, and the lesser ones are counted as passed), those ahead are scheduled.
    Thresholds already told are never told again, wherever the due time moved."""
    behind = [stage for stage, at in points if at <= reference and stage not in told]
    ahead = tuple((stage, at) for stage, at in points if at > reference and stage not in told)
    if not behind:
        return CheckpointPlan(schedule=ahead)
    return CheckpointPlan(schedule=ahead, alert_now=behind[-1], passed_quietly=frozenset(behind[:-1]))


def duration(seconds: int) -> str:
    """`2 d 3 h`, `5 h 12 min`, `40 min`, `under a minute`: how long, for people."""
    seconds = max(0, seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"
