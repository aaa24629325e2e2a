"""Bugs found in testing and maintenance: severity, the SLA clock (DESIGN.md §7) and what a report must hold.

Critical bugs are due in 24 h and major ones in 48 h (configurable); minor ones at the next release.
Warnings go out at 50% and 90% of the window, and a breach is flagged to staff and on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
# The SLA checkpoints, as fractions of the window: two warnings, then the breach.
CHECKPOINTS: tuple[tuple[str, float], ...] = (("warn_50", 0.5), ("warn_90", 0.9), ("breach", 1.0))


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

    @property
    def ref(self) -> str:
        return f"bug #{self.id}"


def sla_hours(severity: Severity, *, critical_hours: int, major_hours: int) -> int | None:
    """The SLA window in hours; None for minor bugs (due at the next release cut)."""
    if severity is Severity.CRITICAL:
        return critical_hours
    if severity is Severity.MAJOR:
        return major_hours
    return None


def checkpoints(opened_at: int, due_at: int) -> list[tuple[str, int]]:
    window = due_at - opened_at
    return [(stage, opened_at + round(window * share)) for stage, share in CHECKPOINTS]


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
