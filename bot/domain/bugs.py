"""Bugs found in testing and maintenance: severity, the SLA clock (DESIGN.md §7) and what a report must hold.

Critical bugs are due in 24 h and major ones in 48 h (configurable); minor ones at the next release.
Warnings go out at 50% and 90% of the window, and a breach is flagged to staff and on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import sla
from bot.domain.inert import visible
from bot.domain.lifecycle import State


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class BugState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


# Where a bug can be reported: once there is a connector to be wrong, until the maintenance year ends.
REPORTABLE = frozenset(
    {
        State.DEVELOPMENT,
        State.TESTING,
        State.GOVERNANCE,
        State.APPROVED,
        State.REJECTED,
        State.RELEASED,
        State.MAINTENANCE,
    }
)
TITLE_MAX = 120
DESCRIPTION_MAX = 2000
NOTE_MIN, NOTE_MAX = 3, 500  # a resolve note: optional, but a note of one letter says nothing
PAUSE_REASON_MIN, PAUSE_REASON_MAX = 3, 200
# The SLA checkpoints, as fractions of the window: two warnings, then the breach.
CHECKPOINTS = sla.CHECKPOINTS


@dataclass(frozen=True)
class Bug:
    id: int
    bounty_id: int
    severity: Severity
    title: str
    description: str
    reporter_id: int
    state: BugState
    opened_at: int
    due_at: int | None
    resolved_at: int | None = None
    resolved_by: str | None = None
    github_number: int | None = None
    github_url: str | None = None
    # The clock (migration 010): stopped while paused; the stopped time does not count against the SLA.
    paused_at: int | None = None
    pause_reason: str | None = None
    paused_seconds: int = 0
    resolve_note: str | None = None
    breached_at: int | None = None
    # Each threshold is told once (migration 012), whatever later moves the due time.
    warned_50_at: int | None = None
    warned_90_at: int | None = None

    @property
    def ref(self) -> str:
        return f"bug #{self.id}"

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def told(self) -> frozenset[str]:
        """The SLA thresholds already told (warnings) or reached (the breach)."""
        at = {"warn_50": self.warned_50_at, "warn_90": self.warned_90_at, "breach": self.breached_at}
        return frozenset(stage for stage, when in at.items() if when is not None)

    @property
    def stopped_at(self) -> int | None:
        """When the clock stopped, while it is stopped: paused, or resolved."""
        if self.state is BugState.RESOLVED:
            return self.resolved_at
        return self.paused_at

    def time_to_resolve(self) -> int | None:
        """The running time from the opening to the resolve (stopped time left out); None while open."""
        if self.state is not BugState.RESOLVED or self.resolved_at is None:
            return None
        return sla.active_seconds(self.opened_at, self.resolved_at, self.paused_seconds)

    def within_sla(self) -> bool | None:
        """Resolved before any breach; None while open or when it has no due time."""
        if self.state is not BugState.RESOLVED:
            return None
        if self.breached_at is not None:
            return False
        return None if self.due_at is None else (self.resolved_at or 0) <= self.due_at


def sla_hours(severity: Severity, *, critical_hours: int, major_hours: int) -> int | None:
    """The SLA window in hours; None for minor bugs (due at the next release cut)."""
    if severity is Severity.CRITICAL:
        return critical_hours
    if severity is Severity.MAJOR:
        return major_hours
    return None


def checkpoints(opened_at: int, due_at: int) -> list[tuple[str, int]]:
    """The thresholds of a clock that never stopped (see :func:`bot.domain.sla.checkpoints`)."""
    return sla.checkpoints(opened_at, 0, due_at)


def validate_note(note: str | None) -> tuple[str | None, str | None]:
    """A resolve note (optional) cleaned, or the sentence saying what is wrong with it."""
    if note is None:
        return None, None
    note = " ".join(visible(note).split())
    if not note:
        return None, None
    if len(note) < NOTE_MIN:
        return None, f"Note: say in a few words what fixed it (at least {NOTE_MIN} characters), or leave it out."
    if len(note) > NOTE_MAX:
        return None, f"Note: at most {NOTE_MAX} characters (you gave {len(note)}); link a commit for the details."
    return note, None


def validate_pause_reason(reason: str) -> tuple[str, str | None]:
    """A pause reason cleaned, or the sentence saying what is wrong with it."""
    reason = " ".join(visible(reason).split())
    if len(reason) < PAUSE_REASON_MIN:
        return reason, (
            f"Reason: say what you are waiting for from the exchange (at least {PAUSE_REASON_MIN} characters)."
        )
    if len(reason) > PAUSE_REASON_MAX:
        return reason, f"Reason: at most {PAUSE_REASON_MAX} characters (you gave {len(reason)})."
    return reason, None


def validate_report(title: str, description: str) -> tuple[list[str], str, str]:
    """Problems with a report, and its cleaned title and description."""
    problems: list[str] = []
    # Invisible characters go where the text enters: they only ever hide or reorder what readers see.
    title = " ".join(visible(title).split())
    description = visible(description).strip()
    if len(title) < 5:
        problems.append("Title: say in a few words what is wrong (at least 5 characters).")
    elif len(title) > TITLE_MAX:
        problems.append(f"Title: at most {TITLE_MAX} characters (you gave {len(title)}).")
    if len(description) < 10:
        problems.append("Description: say what you did, what happened and what you expected (at least 10 characters).")
    elif len(description) > DESCRIPTION_MAX:
        problems.append(f"Description: at most {DESCRIPTION_MAX} characters (you gave {len(description)}).")
    return problems, title, description
