"""What the reports read and keep: every bug (not only the open ones), when bounties were released, the maintenance
year's start, weekly updates in a month, and the usage figures staff record (migration 013)."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.domain.bugs import Bug
from bot.domain.reports import Usage
from bot.store.bugs import COLUMNS, row_to_bug


async def bugs(conn: aiosqlite.Connection, bounty_id: int | None = None) -> list[Bug]:
    """Every bug of one bounty, or of every bounty, open or resolved, in the order they were reported."""
    return bugs_of(await bug_rows(conn, bounty_id))


async def bug_rows(conn: aiosqlite.Connection, bounty_id: int | None = None) -> list[Any]:
    """The rows :func:`bugs` reads, unconverted: tens of thousands of them are turned into bugs off the event loop
    (:func:`bugs_of` in a worker thread)."""
    if bounty_id is None:
        return list(await conn.execute_fetchall(f"SELECT {COLUMNS} FROM bugs ORDER BY id"))
    return list(
        await conn.execute_fetchall(f"SELECT {COLUMNS} FROM bugs WHERE bounty_id = ? ORDER BY id", (bounty_id,))
    )


def bugs_of(rows: list[Any]) -> list[Bug]:
    return [row_to_bug(r) for r in rows]


_FOR_BOUNTY = f"""
SELECT (SELECT MIN(entered_at) FROM state_periods WHERE bounty_id = :id AND state = 'released'),
  (SELECT json_group_array(json_array({COLUMNS})) FROM (SELECT * FROM bugs WHERE bounty_id = :id ORDER BY id))
"""


async def bounty_bugs(conn: aiosqlite.Connection, bounty_id: int) -> tuple[int | None, list[Bug]]:
    """When the bounty first entered `released` (None: not yet), and all its bugs: one trip (the status reads it)."""
    row = next(iter(await conn.execute_fetchall(_FOR_BOUNTY, {"id": bounty_id})))
    return row[0], [row_to_bug(r) for r in json.loads(row[1])]


async def released(conn: aiosqlite.Connection) -> list[tuple[int, str, int]]:
    """Each bounty ever released: its number, its exchange, and when it first entered `released`."""
    rows = await conn.execute_fetchall(
        "SELECT b.id, b.exchange, MIN(p.entered_at) FROM state_periods p JOIN bounties b ON b.id = p.bounty_id"
        " WHERE p.state = 'released' GROUP BY b.id ORDER BY b.id"
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


async def reports_start(conn: aiosqlite.Connection, bounty_id: int) -> int | None:
    """The start the monthly reports are counted from, as `start_maintenance_reports` set it."""
    rows = list(
        await conn.execute_fetchall("SELECT starts_at FROM maintenance_reports WHERE bounty_id = ?", (bounty_id,))
    )
    return int(rows[0][0]) if rows else None


async def set_maintenance_start(conn: aiosqlite.Connection, bounty_id: int, starts_at: int, now: int) -> None:
    await conn.execute(
        "INSERT INTO maintenance_reports (bounty_id, starts_at, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (bounty_id) DO UPDATE SET starts_at = excluded.starts_at, updated_at = excluded.updated_at",
        (bounty_id, starts_at, now),
    )


async def maintenance_start(conn: aiosqlite.Connection, bounty_id: int) -> int | None:
    """The maintenance year's start: as the reports were started, else when the bounty last entered maintenance,
    else when it was first released (figures may be recorded from release on)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT COALESCE("
            " (SELECT starts_at FROM maintenance_reports WHERE bounty_id = :id),"
            " (SELECT MAX(entered_at) FROM state_periods WHERE bounty_id = :id AND state = 'maintenance'),"
            " (SELECT MIN(entered_at) FROM state_periods WHERE bounty_id = :id AND state = 'released'))",
            {"id": bounty_id},
        )
    )
    return rows[0][0] if rows and rows[0][0] is not None else None


async def updates_between(conn: aiosqlite.Connection, bounty_id: int, start: int, end: int) -> int:
    rows = list(
        await conn.execute_fetchall(
            "SELECT COUNT(*) FROM weekly_updates WHERE bounty_id = ? AND posted_at >= ? AND posted_at < ?",
            (bounty_id, start, end),
        )
    )
    return int(rows[0][0])


async def record_usage(
    conn: aiosqlite.Connection, bounty_id: int, month_start: int, usage: Usage, by: int, now: int
) -> Usage | None:
    """Keep the month's figures (a second record replaces the first); returns what was there before."""
    before = await usage_for(conn, bounty_id, month_start)
    await conn.execute(
        "INSERT INTO usage_figures (bounty_id, month_start, users, volume_cents, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bounty_id, month_start) DO UPDATE SET users = excluded.users,"
        " volume_cents = excluded.volume_cents, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        (bounty_id, month_start, usage.users, usage.volume_cents, by, now),
    )
    return before


async def usage_for(conn: aiosqlite.Connection, bounty_id: int, month_start: int) -> Usage | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT users, volume_cents FROM usage_figures WHERE bounty_id = ? AND month_start = ?",
            (bounty_id, month_start),
        )
    )
    return Usage(int(rows[0][0]), int(rows[0][1])) if rows else None


async def latest_usage(conn: aiosqlite.Connection, bounty_id: int) -> Usage | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT users, volume_cents FROM usage_figures WHERE bounty_id = ? ORDER BY month_start DESC LIMIT 1",
            (bounty_id,),
        )
    )
    return Usage(int(rows[0][0]), int(rows[0][1])) if rows else None
