"""The program's phases and their target durations (the process document's timeline)."""

from __future__ import annotations

from enum import StrEnum


class ProcessPhase(StrEnum):
    """The phases the process document names, each spanning one or more lifecycle states."""

    SETUP = "setup"
    DEVELOPMENT = "development"
    TESTING = "testing"
    GOVERNANCE = "governance"


# Upper ends of the process document's ranges: setup 1 week, development 2–4 weeks,
# testing 1–2 weeks, governance 1–2 weeks. An overrun is flagged past these.
DEFAULT_PHASE_TARGET_DAYS: dict[ProcessPhase, int] = {
    ProcessPhase.SETUP: 7,
    ProcessPhase.DEVELOPMENT: 28,
    ProcessPhase.TESTING: 14,
    ProcessPhase.GOVERNANCE: 14,
}

PHASE_TITLES: dict[ProcessPhase, str] = {
    ProcessPhase.SETUP: "Setup",
    ProcessPhase.DEVELOPMENT: "Development",
    ProcessPhase.TESTING: "Testing & QA",
    ProcessPhase.GOVERNANCE: "Governance",
}

TOTAL_WEEKS = (4, 8)
