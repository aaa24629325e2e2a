"""Ticked checklist tasks."""

from __future__ import annotations

import aiosqlite

from bot.domain.checklists import ChecklistKind


async def done(conn: aiosqlite.Connection, bounty_id: int, kind: ChecklistKind) -> frozenset[str]:
    rows = await conn.execute_fetchall(
        "SELECT task FROM checklist_ticks WHERE bounty_id = ? AND list = ?", (bounty_id, kind.value)
    )
    return frozenset(str(r[0]) for r in rows)


async def set_done(
    conn: aiosqlite.Connection, bounty_id: int, kind: ChecklistKind, keys: frozenset[str], by: int, now: int
) -> None:
    """Make exactly `keys` ticked; tasks ticked before keep who ticked them and when."""
    marks = ",".join("?" * len(keys)) or "''"
    await conn.execute(
        f"DELETE FROM checklist_ticks WHERE bounty_id = ? AND list = ? AND task NOT IN ({marks})",
        (bounty_id, kind.value, *sorted(keys)),
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO checklist_ticks (bounty_id, list, task, ticked_by, ticked_at) VALUES (?, ?, ?, ?, ?)",
        [(bounty_id, kind.value, key, by, now) for key in sorted(keys)],
    )
