"""The implementation checklists (per exchange type) and the QA checklist, from the process document.

Each task has a stable key (what the database stores) and the label people read. Progress is the set of
ticked keys; the implementation list is also the "Bounty Goals" task list of the public GitHub issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import ExchangeType


class ChecklistKind(StrEnum):
    IMPLEMENTATION = "implementation"
    QA = "qa"

    @property
    def label(self) -> str:
        return "Implementation checklist" if self is ChecklistKind.IMPLEMENTATION else "QA checklist"


@dataclass(frozen=True)
class Task:
    key: str
    label: str


def _tasks(*labels: str) -> tuple[Task, ...]:
    return tuple(Task(re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60], label) for label in labels)


IMPLEMENTATION: dict[ExchangeType, tuple[Task, ...]] = {
    ExchangeType.CLOB: _tasks(
        "Authentication and connection management",
        "Market data streaming (order book, trades)",
        "Order placement and cancellation",
        "Balance and position queries",
        "Fee structure implementation",
        "Error handling and reconnection",
        "Rate limit management",
    ),
    ExchangeType.AMM: _tasks(
        "Chain connection setup",
        "Wallet integration",
        "Token list and pool fetching",
        "Swap execution",
        "Liquidity provision functions",
        "Gas estimation and optimization",
        "Transaction monitoring",
    ),
}

# Testing & QA (1–2 weeks): functional, integration, exchange validation.
QA: tuple[Task, ...] = _tasks(
    "Functional: order lifecycle (create, cancel, fill)",
    "Functional: market data accuracy",
    "Functional: authentication and security",
    "Functional: error recovery",
    "Functional: rate-limit compliance",
    "Integration: strategy compatibility",
    "Integration: performance benchmarks",
    "Integration: memory and resource usage",
    "Integration: long-running stability",
    "Exchange validation: review by the exchange team",
    "Exchange validation: production testing",
    "Exchange validation: final adjustments",
)


def tasks(kind: ChecklistKind, exchange_type: ExchangeType) -> tuple[Task, ...]:
    return IMPLEMENTATION[exchange_type] if kind is ChecklistKind.IMPLEMENTATION else QA


@dataclass(frozen=True)
class Progress:
    kind: ChecklistKind
    tasks: tuple[Task, ...]
    done: frozenset[str]

    @property
    def count(self) -> int:
        return sum(1 for t in self.tasks if t.key in self.done)

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def summary(self) -> str:
        return f"{self.count}/{self.total}"

    def lines(self) -> list[str]:
        return [f"{'✅' if t.key in self.done else '⬜'} {t.label}" for t in self.tasks]


def changes(
    before: frozenset[str], after: frozenset[str], all_tasks: tuple[Task, ...]
) -> tuple[list[Task], list[Task]]:
    """What a new selection ticks and unticks, in checklist order."""
    ticked = [t for t in all_tasks if t.key in after and t.key not in before]
    unticked = [t for t in all_tasks if t.key in before and t.key not in after]
    return ticked, unticked
