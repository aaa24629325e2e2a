"""QA results: every recording of a QA item, the latest per item counting (bot/domain/qa.py)."""

from __future__ import annotations

import aiosqlite

from bot.domain.qa import QaRecord, QaResult

COLUMNS = "id, item, result, note, recorded_by, recorded_at, bug_id"


def row_to_record(row: object) -> QaRecord:
    r = list(row)  # type: ignore[call-overload]
    return QaRecord(int(r[0]), str(r[1]), QaResult(r[2]), str(r[3]), int(r[4]), int(r[5]), r[6])


async def record(
    conn: aiosqlite.Connection, bounty_id: int, item: str, result: QaResult, note: str, by: int, now: int
) -> int:
    cursor = await conn.execute(
        "INSERT INTO qa_results (bounty_id, item, result, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
        (bounty_id, item, result.value, note, by, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def latest(conn: aiosqlite.Connection, bounty_id: int) -> dict[str, QaRecord]:
    """Each item's latest recording (items never recorded are absent: not yet)."""
    rows = await conn.execute_fetchall(
        f"SELECT {COLUMNS} FROM qa_results WHERE id IN "
        "(SELECT max(id) FROM qa_results WHERE bounty_id = ? GROUP BY item)",
        (bounty_id,),
    )
    return {r.item: r for r in map(row_to_record, rows)}


async def history(conn: aiosqlite.Connection, bounty_id: int, item: str) -> list[QaRecord]:
    """Every recording of one item, oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {COLUMNS} FROM qa_results WHERE bounty_id = ? AND item = ? ORDER BY id", (bounty_id, item)
    )
    return [row_to_record(r) for r in rows]


async def set_bug(conn: aiosqlite.Connection, record_id: int, bug_id: int) -> None:
    await conn.execute("UPDATE qa_results SET bug_id = ? WHERE id = ?", (bug_id, record_id))
