"""Durable timer rows: the database is the truth about what is due."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class TimerRow:
    id: int
    kind: str
    subject: str
    due_at: int
    payload: dict[str, object]


async def create(
    conn: aiosqlite.Connection, *, kind: str, subject: str, due_at: int, now: int, payload: dict[str, object]
) -> int:
    cur = await conn.execute(
        "INSERT INTO timers (kind, subject, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        (kind, subject, due_at, json.dumps(payload, separators=(",", ":")), now),
    )
    return int(cur.lastrowid or 0)


TimerSpec = tuple[str, str, int, dict[str, object]]  # kind, subject, due_at, payload


async def create_many(conn: aiosqlite.Connection, rows: list[TimerSpec], now: int) -> None:
    """Many timers (kind, subject, due_at, payload) in one statement."""
    await conn.executemany(
        "INSERT INTO timers (kind, subject, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        [(kind, subject, due, json.dumps(payload, separators=(",", ":")), now) for kind, subject, due, payload in rows],
    )


async def cancel(conn: aiosqlite.Connection, *, subject: str, kind: str | None, now: int) -> int:
    if kind is None:
        cur = await conn.execute(
            "UPDATE timers SET cancelled_at = ? WHERE subject = ? AND fired_at IS NULL AND cancelled_at IS NULL",
            (now, subject),
        )
    else:
        cur = await conn.execute(
            "UPDATE timers SET cancelled_at = ? WHERE subject = ? AND kind = ?"
            " AND fired_at IS NULL AND cancelled_at IS NULL",
            (now, subject, kind),
        )
    return cur.rowcount


async def next_due_at(conn: aiosqlite.Connection) -> int | None:
    rows = list(
        await conn.execute_fetchall("SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
    )
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


async def due(conn: aiosqlite.Connection, now: int, limit: int = 100) -> list[TimerRow]:
    rows = await conn.execute_fetchall(
        "SELECT id, kind, subject, due_at, payload FROM timers"
        " WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (now, limit),
    )
    return [TimerRow(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


async def mark_fired(conn: aiosqlite.Connection, timer_id: int, now: int) -> bool:
    """Claim a timer. False when it already fired (or was cancelled): then it must not fire again."""
    cur = await conn.execute(
        "UPDATE timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL", (now, timer_id)
    )
    return cur.rowcount == 1


async def pending(conn: aiosqlite.Connection, subject: str) -> list[TimerRow]:
    rows = await conn.execute_fetchall(
        "SELECT id, kind, subject, due_at, payload FROM timers"
        " WHERE subject = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at",
        (subject,),
    )
    return [TimerRow(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


async def postpone(conn: aiosqlite.Connection, timer_id: int, due_at: int) -> None:
    await conn.execute("UPDATE timers SET due_at = ? WHERE id = ? AND fired_at IS NULL", (due_at, timer_id))


async def count_pending(conn: aiosqlite.Connection) -> int:
    rows = list(
        await conn.execute_fetchall("SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
    )
    return int(rows[0][0]) if rows else 0
