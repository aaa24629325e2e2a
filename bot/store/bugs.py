"""Bugs and their GitHub issues."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.domain.bugs import Bug, BugState, Severity

COLUMNS = (
    "id, bounty_id, severity, title, description, reporter_id, state, opened_at, due_at, resolved_at,"
    " resolved_by, github_number, github_url, paused_at, pause_reason, paused_seconds, resolve_note, breached_at"
)


def row_to_bug(row: Any) -> Bug:
    return Bug(
        int(row[0]),
        int(row[1]),
        Severity(row[2]),
        row[3],
        row[4],
        int(row[5]),
        BugState(row[6]),
        int(row[7]),
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        int(row[15]),
        row[16],
        row[17],
    )


async def create(
    conn: aiosqlite.Connection,
    bounty_id: int,
    severity: Severity,
    title: str,
    description: str,
    reporter_id: int,
    now: int,
    due_at: int | None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO bugs (bounty_id, severity, title, description, reporter_id, state, opened_at, due_at)"
        " VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
        (bounty_id, severity.value, title, description, reporter_id, now, due_at),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get(conn: aiosqlite.Connection, bug_id: int) -> Bug | None:
    rows = list(await conn.execute_fetchall(f"SELECT {COLUMNS} FROM bugs WHERE id = ?", (bug_id,)))
    return row_to_bug(rows[0]) if rows else None


async def by_github_number(conn: aiosqlite.Connection, number: int) -> Bug | None:
    rows = list(await conn.execute_fetchall(f"SELECT {COLUMNS} FROM bugs WHERE github_number = ?", (number,)))
    return row_to_bug(rows[0]) if rows else None


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int, *, open_only: bool = False) -> list[Bug]:
    where = " AND state = 'open'" if open_only else ""
    rows = await conn.execute_fetchall(
        f"SELECT {COLUMNS} FROM bugs WHERE bounty_id = ?{where} ORDER BY state, id", (bounty_id,)
    )
    return [row_to_bug(r) for r in rows]


async def resolve(conn: aiosqlite.Connection, bug_id: int, now: int, by: str) -> None:
    await conn.execute(
        "UPDATE bugs SET state = 'resolved', resolved_at = ?, resolved_by = ? WHERE id = ?", (now, by, bug_id)
    )


async def reopen(conn: aiosqlite.Connection, bug_id: int, due_at: int | None) -> None:
    """Open again, with a fresh SLA window."""
    await conn.execute(
        "UPDATE bugs SET state = 'open', resolved_at = NULL, resolved_by = NULL, due_at = ? WHERE id = ?",
        (due_at, bug_id),
    )


async def set_github(conn: aiosqlite.Connection, bug_id: int, number: int, url: str) -> None:
    await conn.execute("UPDATE bugs SET github_number = ?, github_url = ? WHERE id = ?", (number, url, bug_id))
