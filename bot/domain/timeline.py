"""A bounty's timeline: when each phase began and ended, against its target range (pure).

The record is the bounty's state periods (one row per state entered, with when it was left). Phases are
derived from them through :data:`lifecycle.PROCESS_PHASE`, so a phase's start and end are never stored a
second time and cannot disagree with the states. Everything here is plain data for the text timeline,
the picture and the overrun timers alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.lifecycle import PHASE_TITLES, PROCESS_PHASE, ProcessPhase
from bot.domain.models import StatePeriod

DAY = 86_400
WEEK = 7 * DAY


class Bound(StrEnum):
    """A threshold of a target range. Each is told to staff and the exchange once per phase."""

    LOW = "low"  # the lower end passed: still within the target, said as information
    HIGH = "high"  # the upper end passed: an overrun


@dataclass(frozen=True)
class TargetRange:
    """A target duration from `low` to `high` days (the process document's "2–4 weeks" is 14–28)."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high:
            raise ValueError(f"a target range needs 0 < low <= high, got {self.low}–{self.high}")

    def bounds(self) -> tuple[tuple[Bound, int], ...]:
        """The thresholds worth telling people about, in days: the lower end where it differs, then the upper."""
        if self.low == self.high:
            return ((Bound.HIGH, self.high),)
        return ((Bound.LOW, self.low), (Bound.HIGH, self.high))

    @property
    def in_weeks(self) -> bool:
        return self.low % 7 == 0 and self.high % 7 == 0

    @property
    def text(self) -> str:
        """As the process document says it: "1 week", "2–4 weeks", "10–20 days"."""
        if self.in_weeks:
            low, high, unit = self.low // 7, self.high // 7, "week"
        else:
            low, high, unit = self.low, self.high, "day"
        if low == high:
            return f"{low} {unit}{'s' if low != 1 else ''}"
        return f"{low}–{high} {unit}s"


# The process document's timeline: setup 1 week, development 2–4 weeks, testing 1–2 weeks, governance
# 1–2 weeks, 4–8 weeks in all.
DEFAULT_PHASE_TARGETS: dict[ProcessPhase, TargetRange] = {
    ProcessPhase.SETUP: TargetRange(7, 7),
    ProcessPhase.DEVELOPMENT: TargetRange(14, 28),
    ProcessPhase.TESTING: TargetRange(7, 14),
    ProcessPhase.GOVERNANCE: TargetRange(7, 14),
}
DEFAULT_TOTAL_TARGET = TargetRange(28, 56)


@dataclass(frozen=True)
class Segment:
    start: int
    end: int | None  # None: still going

    def length(self, now: int) -> int:
        return max(0, (now if self.end is None else self.end) - self.start)


@dataclass(frozen=True)
class PhaseSpan:
    """A phase as it happened: usually one segment; more when QA sent the bounty back to development, or a
    rejected proposal was resubmitted after a pause outside the phase."""

    phase: ProcessPhase
    segments: tuple[Segment, ...]

    @property
    def start(self) -> int:
        return self.segments[0].start

    @property
    def end(self) -> int | None:
        """When the phase was last left; None while the bounty is in it."""
        return self.segments[-1].end

    def spent(self, now: int) -> int:
        """Seconds spent in the phase, all segments together (an ongoing one counts until `now`)."""
        return sum(s.length(now) for s in self.segments)


def _closed(periods: Sequence[StatePeriod]) -> list[tuple[StatePeriod, int | None]]:
    """Each period with its end. A period left open but followed by another (a gap in an old record) ended
    when the next one began."""
    ordered = sorted(periods, key=lambda p: p.entered_at)
    out: list[tuple[StatePeriod, int | None]] = []
    for i, period in enumerate(ordered):
        end = period.left_at
        if end is None and i + 1 < len(ordered):
            end = ordered[i + 1].entered_at
        out.append((period, end))
    return out


def phase_spans(periods: Sequence[StatePeriod]) -> dict[ProcessPhase, PhaseSpan]:
    """The phases a bounty has been through, from its state periods: consecutive states of one phase
    (intake, review, awaiting payment, funded) make one segment; coming back to a phase starts another."""
    segments: dict[ProcessPhase, list[Segment]] = {}
    previous: ProcessPhase | None = None
    for period, end in _closed(periods):
        phase = PROCESS_PHASE[period.state]
        if phase is not None:
            found = segments.setdefault(phase, [])
            if phase is previous and found:
                found[-1] = Segment(found[-1].start, end)
            else:
                found.append(Segment(period.entered_at, end))
        previous = phase
    return {phase: PhaseSpan(phase, tuple(found)) for phase, found in segments.items()}


def process_span(periods: Sequence[StatePeriod]) -> Segment | None:
    """The whole process: from the bounty's start until it first left the phases (approved, cancelled,
    refunded); open while it is still in one."""
    closed = _closed(periods)
    if not closed:
        return None
    start = closed[0][0].entered_at
    for period, _ in closed:
        if PROCESS_PHASE[period.state] is None:
            return Segment(start, period.entered_at)
    return Segment(start, None)


def bounds_ahead(target: TargetRange, spent: int) -> list[tuple[Bound, int]]:
    """The thresholds of `target` not yet reached after `spent` seconds, each with the seconds until it is.

    One already passed (in an earlier stint of the phase) is not reached again: it was told then.
    """
    return [(bound, days * DAY - spent) for bound, days in target.bounds() if days * DAY > spent]


def week_of(seconds: int) -> int:
    """Which week `seconds` into something falls in: day 14 is the first day of the third week."""
    return seconds // WEEK + 1


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(n: int) -> str:
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Standing(StrEnum):
    NOT_STARTED = "not started"
    WITHIN = "within target"
    PAST_LOW = "past the lower end"
    OVERRUN = "overrun"


@dataclass(frozen=True)
class TimelineRow:
    """One phase (or the whole process) as planned and as it went."""

    title: str
    phase: ProcessPhase | None  # None: the whole process
    target: TargetRange
    # When the phase started, or is expected to; None when the bounty left the process before reaching it.
    planned_start: int | None
    actual: tuple[tuple[int, int], ...]  # what happened; an ongoing segment ends at the timeline's `now`
    spent: int  # seconds, all segments together
    ongoing: bool

    @property
    def started(self) -> bool:
        return bool(self.actual)

    @property
    def standing(self) -> Standing:
        if not self.actual:
            return Standing.NOT_STARTED
        if self.spent >= self.target.high * DAY:
            return Standing.OVERRUN
        if self.spent >= self.target.low * DAY:
            return Standing.PAST_LOW
        return Standing.WITHIN


@dataclass(frozen=True)
class Timeline:
    start: int
    now: int
    phases: tuple[TimelineRow, ...]  # in process order
    total: TimelineRow

    @property
    def rows(self) -> tuple[TimelineRow, ...]:
        return (*self.phases, self.total)


def build_timeline(
    periods: Sequence[StatePeriod],
    targets: Mapping[ProcessPhase, TargetRange],
    total: TargetRange,
    now: int,
) -> Timeline:
    """Each phase's actual segments against a planned window of its target range.

    A phase that has started is planned from its actual start. One still ahead is planned from the
    earliest the phase before it can end (its actual end, or its start plus the lower end of its target,
    or now if later), so the plan moves with what really happened instead of condemning a bounty forever
    for one slow week.
    """
    spans = phase_spans(periods)
    process = process_span(periods)
    start = process.start if process else now
    in_process = process is None or process.end is None
    cursor = start
    rows: list[TimelineRow] = []
    for phase in ProcessPhase:
        target = targets[phase]
        span = spans.get(phase)
        if span is None:
            planned = cursor if in_process else None
            rows.append(TimelineRow(PHASE_TITLES[phase], phase, target, planned, (), 0, False))
            if in_process:
                cursor += target.low * DAY
            continue
        actual = tuple((s.start, now if s.end is None else max(s.start, s.end)) for s in span.segments)
        ongoing = span.end is None
        rows.append(TimelineRow(PHASE_TITLES[phase], phase, target, span.start, actual, span.spent(now), ongoing))
        cursor = max(now, span.start + target.low * DAY) if ongoing else max(cursor, actual[-1][1])
    total_actual: tuple[tuple[int, int], ...] = ()
    if process is not None:
        total_actual = ((process.start, now if process.end is None else process.end),)
    spent = process.length(now) if process is not None else 0
    total_row = TimelineRow("Total", None, total, start, total_actual, spent, process is not None and in_process)
    return Timeline(start, now, tuple(rows), total_row)
