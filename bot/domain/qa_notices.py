"""What people are told about the QA protocol: the bounty channel's notices, the checklist's lines, the
status's summary. Notes are what a person typed: shown through bot/domain/inert.py, links as `<link>`."""

from __future__ import annotations

from bot.domain.inert import for_discord
from bot.domain.models import Bounty
from bot.domain.notices import Notice, exchange_name, summarise, ts
from bot.domain.qa import ITEMS, QaGroup, QaItem, QaProgress, QaRecord, QaResult, not_passing_text

WHO_RECORDS = {
    QaGroup.FUNCTIONAL: "staff",
    QaGroup.INTEGRATION: "staff",
    QaGroup.EXCHANGE: "the exchange team or staff",
}


def note_text(note: str, limit: int) -> str:
    return for_discord(note, limit) if note else "no note"


def item_line(item: QaItem, record: QaRecord | None, *, note_limit: int = 90) -> str:
    """`✅ Functional: error recovery · pass · <@1> 2 days ago · <https://…>`."""
    if record is None:
        return f"{QaResult.NOT_YET.icon} {item.label}"
    bug = f" · bug #{record.bug_id}" if record.bug_id else ""
    note = for_discord(record.note, note_limit, one_line=True) if record.note else ""
    return (
        f"{record.result.icon} {item.label} · **{record.result.label}** · <@{record.recorded_by}> "
        f"{ts(record.recorded_at)}{bug}" + (f"\n  ↳ {note}" if note else "")
    )


def checklist_lines(progress: QaProgress) -> list[str]:
    """The QA checklist by group, each item with its latest result, who verified it, when, and the evidence."""
    lines: list[str] = []
    for group in QaGroup:
        lines.append(f"**{group.label}** (recorded by {WHO_RECORDS[group]})")
        lines.extend(item_line(i, progress.latest.get(i.key)) for i in ITEMS if i.group is group)
    return lines


def status_text(progress: QaProgress) -> str:
    """`/bounty status`'s QA line: `QA: **10/12** passing`, then the failing items by name."""
    text = f"QA: **{progress.passing}/{progress.total}** passing"
    failing = progress.failing
    if failing:
        text += "\nFailing: " + summarise([i.label for i in failing], 500, separator="; ")
    return text


def recorded(bounty: Bounty, item: QaItem, record: QaRecord, progress: QaProgress) -> Notice:
    """The bounty channel: what was recorded, by whom, with its evidence, and where QA stands."""
    tone = {QaResult.PASS: "ok", QaResult.FAIL: "alert", QaResult.NOT_YET: "neutral"}[record.result]
    return Notice(
        title=f"QA {record.result.icon} {item.label}: {record.result.label}",
        description=f"Recorded by <@{record.recorded_by}>.\nNote: {note_text(record.note, 900)}",
        tone=tone if not (record.result is QaResult.PASS and progress.complete) else "ok",
        footer=f"Bounty #{bounty.id} · QA {progress.summary}"
        + (" · every item passes: ready for governance" if progress.complete else ""),
    )


def gate_overridden(bounty: Bounty, actor_id: int, reason: str, missing: list[tuple[QaItem, QaResult]]) -> Notice:
    """The bounty channel (and staff): governance started although QA items were not passing."""
    return Notice(
        title=f"Bounty #{bounty.id} {exchange_name(bounty)}: QA gate overridden",
        description=(
            f"<@{actor_id}> moved the bounty to governance with {len(missing)} QA item(s) not passing: "
            f"{not_passing_text(missing)}.\nReason: {for_discord(reason, 600)}"
        ),
        tone="warn",
    )


def merge_held(bounty: Bounty, pull: int, missing: list[tuple[QaItem, QaResult]]) -> Notice:
    """Staff: a merged pull request would have moved the bounty on, but QA is not complete."""
    return Notice(
        title=f"Bounty #{bounty.id} {exchange_name(bounty)}: pull request #{pull} merged, QA not complete",
        description=(
            f"The bounty stays in testing: {len(missing)} QA item(s) not passing: {not_passing_text(missing)}. "
            "Record them with `/checklist checklist:QA`; then move it with `/bounty advance to:governance` "
            "(or override the gate there, with a reason)."
        ),
        tone="warn",
    )
