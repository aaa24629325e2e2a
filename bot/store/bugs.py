"""Bugs and their GitHub issues."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite

from bot.domain.bugs import Bug, BugState, Severity

COLUMNS = (
    "id, bounty_id, severity, title, description, reporter_id, state, opened_at, due_at, resolved_at,"
    " resolved_by, github_number, github_url, paused_at, pause_reason, paused_seconds, resolve_note, breached_at,"
    " warned_50_at, warned_90_at"
)
# Recording that an SLA threshold was told, once: the statement per threshold.
_TOLD = {
    "warn_50": "UPDATE bugs SET warned_50_at = ? WHERE id = ? AND warned_50_at IS NULL",
    "warn_90": "UPDATE bugs SET warned_90_at = ? WHERE id = ? AND warned_90_at IS NULL",
    "breach": "UPDATE bugs SET breached_at = ? WHERE id = ? AND breached_at IS NULL",
}


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
        row[18],
        row[19],
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


async def resolve(
    conn: aiosqlite.Connection,
    bug_id: int,
    now: int,
    by: str,
    *,
    note: str | None = None,
    paused_seconds: int,
    due_at: int | None,
) -> bool:
    """Resolve an open bug (a pause running ends here: its time is counted out). False: it was not open."""
    cur = await conn.execute(
        "UPDATE bugs SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolve_note = ?,"
        " paused_at = NULL, pause_reason = NULL, paused_seconds = ?, due_at = ? WHERE id = ? AND state = 'open'",
        (now, by, note, paused_seconds, due_at, bug_id),
    )
    return cur.rowcount == 1


async def reopen(conn: aiosqlite.Connection, bug_id: int, due_at: int | None, paused_seconds: int) -> bool:
    """Open again, the clock resuming where it stopped (the resolved time counted out). False: it was not resolved."""
    cur = await conn.execute(
        "UPDATE bugs SET state = 'open', resolved_at = NULL, resolved_by = NULL, resolve_note = NULL, due_at = ?,"
        " paused_seconds = ? WHERE id = ? AND state = 'resolved'",
        (due_at, paused_seconds, bug_id),
    )
    return cur.rowcount == 1


async def pause(conn: aiosqlite.Connection, bug_id: int, now: int, reason: str) -> bool:
    """Stop an open, running bug's clock. False: it was resolved or paused meanwhile."""
    cur = await conn.execute(
        "UPDATE bugs SET paused_at = ?, pause_reason = ? WHERE id = ? AND state = 'open' AND paused_at IS NULL",
        (now, reason, bug_id),
    )
    return cur.rowcount == 1


async def resume(
    conn: aiosqlite.Connection, bug_id: int, paused_at: int, due_at: int | None, paused_seconds: int
) -> bool:
    """Start a paused bug's clock again. False: it was resumed (or resolved) meanwhile."""
    cur = await conn.execute(
        "UPDATE bugs SET paused_at = NULL, pause_reason = NULL, due_at = ?, paused_seconds = ?"
        " WHERE id = ? AND state = 'open' AND paused_at = ?",
        (due_at, paused_seconds, bug_id, paused_at),
    )
    return cur.rowcount == 1


async def set_severity(
    conn: aiosqlite.Connection, bug_id: int, old: Severity, new: Severity, due_at: int | None
) -> bool:
    """A new severity and the due time it gives. False: the severity changed meanwhile, or the bug was resolved."""
    cur = await conn.execute(
        "UPDATE bugs SET severity = ?, due_at = ? WHERE id = ? AND severity = ? AND state = 'open'",
        (new.value, due_at, bug_id, old.value),
    )
    return cur.rowcount == 1


async def mark_told(conn: aiosqlite.Connection, bug_id: int, stages: Iterable[str], now: int) -> list[str]:
    """Record thresholds as told; returns those that were not told before (each is told once, ever)."""
    fresh = []
    for stage in stages:
        cur = await conn.execute(_TOLD[stage], (now, bug_id))
        if cur.rowcount == 1:
            fresh.append(stage)
    return fresh


async def set_github(conn: aiosqlite.Connection, bug_id: int, number: int, url: str) -> None:
    await conn.execute("UPDATE bugs SET github_number = ?, github_url = ? WHERE id = ?", (number, url, bug_id))
