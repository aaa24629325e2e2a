"""The QA protocol (DESIGN.md §2, Testing & QA): each item of the QA checklist gets a recorded result, pass,
fail or not yet, with a note (the evidence: a link to a log or a run, or what was checked) and who verified it
when. Every recording is kept; the latest for an item is the one that counts.

Who records what: staff record the functional and integration items; the exchange team (and staff) records
the exchange-validation items. The declared audience of each group is `AUDIENCES[group.action]`.

The gate: a bounty moves from testing to governance only when every item's latest result is a pass, or when
staff override it with a reason (audited with the items that were not passing).

Pure rules: nothing here touches Discord, GitHub or the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.checklists import QA, Task
from bot.domain.inert import for_discord_code, visible
from bot.domain.links import url_problem


class QaGroup(StrEnum):
    FUNCTIONAL = "functional"
    INTEGRATION = "integration"
    EXCHANGE = "exchange validation"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def action(self) -> str:
        """Its entry in `AUDIENCES` (bot/domain/access.py): who may record this group's items."""
        return f"qa record {self.value}"


class QaResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_YET = "not_yet"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def icon(self) -> str:
        return {"pass": "✅", "fail": "❌", "not_yet": "⬜"}[self.value]


@dataclass(frozen=True)
class QaItem:
    key: str  # the QA checklist task's key (what the database stores)
    label: str
    group: QaGroup
    index: int  # its place in the checklist (short enough for a form's custom id)


_PREFIX = {"Functional": QaGroup.FUNCTIONAL, "Integration": QaGroup.INTEGRATION}


def _group(task: Task) -> QaGroup:
    return _PREFIX.get(task.label.split(":", 1)[0], QaGroup.EXCHANGE)


ITEMS: tuple[QaItem, ...] = tuple(QaItem(t.key, t.label, _group(t), i) for i, t in enumerate(QA))
BY_KEY: dict[str, QaItem] = {item.key: item for item in ITEMS}

NOTE_MAX = 500
# An override is a decision somebody will read later: it must say why.
OVERRIDE_REASON_MIN = 20
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_LINK_TRAILING = ".,;:!?'\")]}>"


@dataclass(frozen=True)
class QaRecord:
    """One recording of an item's result (the latest for an item is the one that counts)."""

    id: int
    item: str
    result: QaResult
    note: str
    recorded_by: int
    recorded_at: int
    bug_id: int | None = None


def links_in(note: str) -> list[str]:
    """The web links in a note, without the punctuation that ends the sentence they are in."""
    return [m.group().rstrip(_LINK_TRAILING) for m in _LINK.finditer(note)]


def clean_note(result: QaResult, note: str) -> tuple[list[str], str]:
    """Problems with a note for `result`, and the note as kept (invisible characters dropped, trimmed).

    A pass needs its evidence and a fail what failed; every link in the note must be one the bot accepts
    (bot/domain/links.py), since it is shown in the bounty channel and on the public issue.
    """
    note = visible(note).strip()
    problems: list[str] = []
    if len(note) > NOTE_MAX:
        problems.append(f"Note: at most {NOTE_MAX} characters (you gave {len(note)}); link to the full log instead.")
    elif result is QaResult.PASS and len(note) < 3:
        problems.append("Note: give the evidence for the pass, a link to the log or run, or say what was checked.")
    elif result is QaResult.FAIL and len(note) < 3:
        problems.append("Note: say what failed, with a link to the log or run if there is one.")
    for link in links_in(note):
        if (problem := url_problem(link)) is not None:
            problems.append(f"Note: the link {problem}")
            break
    return problems, note


@dataclass(frozen=True)
class QaProgress:
    """Where the QA checklist stands: each item's latest result (none recorded counts as not yet)."""

    latest: dict[str, QaRecord]

    def result(self, item: QaItem) -> QaResult:
        record = self.latest.get(item.key)
        return record.result if record is not None else QaResult.NOT_YET

    @property
    def passing(self) -> int:
        return sum(1 for item in ITEMS if self.result(item) is QaResult.PASS)

    @property
    def total(self) -> int:
        return len(ITEMS)

    @property
    def summary(self) -> str:
        return f"{self.passing}/{self.total} passing"

    @property
    def failing(self) -> list[QaItem]:
        return [item for item in ITEMS if self.result(item) is QaResult.FAIL]

    @property
    def not_passing(self) -> list[tuple[QaItem, QaResult]]:
        """What stands between the bounty and governance, in checklist order."""
        return [(item, self.result(item)) for item in ITEMS if self.result(item) is not QaResult.PASS]

    @property
    def complete(self) -> bool:
        return not self.not_passing


def not_passing_text(missing: list[tuple[QaItem, QaResult]]) -> str:
    """`Functional: error recovery (fail), Integration: … (not yet)`."""
    return ", ".join(f"{item.label} ({result.label})" for item, result in missing)


def gate_refusal(bounty_id: int, missing: list[tuple[QaItem, QaResult]]) -> str:
    """Why the bounty cannot go to governance yet, and the two ways forward."""
    return (
        f"Bounty #{bounty_id} cannot move to governance: {len(missing)} of {len(ITEMS)} QA items "
        f"{'is' if len(missing) == 1 else 'are'} not passing: {not_passing_text(missing)}. Record each with "
        "`/checklist checklist:QA`, or, as staff, run `/bounty advance` again with `override:True` and a reason "
        f"of at least {OVERRIDE_REASON_MIN} characters."
    )


def override_problem(reason: str) -> str | None:
    if len(reason) < OVERRIDE_REASON_MIN:
        return (
            f"Reason: an override of the QA gate needs a reason of at least {OVERRIDE_REASON_MIN} characters "
            f"(you gave {len(reason)}); say why governance should start with QA items not passing."
        )
    return None


def bug_title(item: QaItem) -> str:
    """The title of the bug a failed item opens (bug titles are 5–120 characters)."""
    return f"QA failed: {item.label}"[:120]


def bug_description(item: QaItem, note: str) -> str:
    """The bug's description: the item and the note recorded with the fail."""
    return f"The QA item “{item.label}” failed.\n\n{note}"


def unknown_item(key: str) -> str:
    return f"QA item: {for_discord_code(key, 60)} is not an item of the QA checklist; run `/checklist` again."
