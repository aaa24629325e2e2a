"""The weekly rhythm: each developer's prompt day, hour and time zone, and pauses."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.lifecycle import State
from bot.domain.weekly import Rhythm


@dataclass(frozen=True)
class Pause:
    id: int
    bounty_id: int
    until_date: str
    until_at: int
    reason: str
    paused_by: int
    paused_at: int


async def rhythm(conn: aiosqlite.Connection, bounty_id: int, user_id: int) -> Rhythm | None:
    """The rhythm set for this bounty's developer `user_id` (None: the configured default applies)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT weekday, hour, timezone FROM weekly_rhythms WHERE bounty_id = ? AND user_id = ?",
            (bounty_id, user_id),
        )
    )
    return Rhythm(int(rows[0][0]), int(rows[0][1]), str(rows[0][2])) if rows else None


async def set_rhythm(
    conn: aiosqlite.Connection, bounty_id: int, user_id: int, value: Rhythm, set_by: int, now: int
) -> None:
    await conn.execute(
        "INSERT INTO weekly_rhythms (bounty_id, user_id, weekday, hour, timezone, set_by, set_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (bounty_id) DO UPDATE SET user_id = excluded.user_id, weekday = excluded.weekday,"
        " hour = excluded.hour, timezone = excluded.timezone, set_by = excluded.set_by, set_at = excluded.set_at",
        (bounty_id, user_id, value.weekday, value.hour, value.timezone, set_by, now),
    )


_PAUSE = "id, bounty_id, until_date, until_at, reason, paused_by, paused_at"


async def active_pause(conn: aiosqlite.Connection, bounty_id: int) -> Pause | None:
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_PAUSE} FROM weekly_pauses WHERE bounty_id = ? AND ended_at IS NULL", (bounty_id,)
        )
    )
    return Pause(*rows[0]) if rows else None


async def start_pause(
    conn: aiosqlite.Connection, bounty_id: int, until_date: str, until_at: int, reason: str, by: int, now: int
) -> int:
    cur = await conn.execute(
        "INSERT INTO weekly_pauses (bounty_id, until_date, until_at, reason, paused_by, paused_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (bounty_id, until_date, until_at, reason, by, now),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def move_pause(
    conn: aiosqlite.Connection, pause_id: int, until_date: str, until_at: int, reason: str, by: int, now: int
) -> None:
    await conn.execute(
        "UPDATE weekly_pauses SET until_date = ?, until_at = ?, reason = ?, paused_by = ?, paused_at = ?"
        " WHERE id = ? AND ended_at IS NULL",
        (until_date, until_at, reason, by, now, pause_id),
    )


async def end_pause(conn: aiosqlite.Connection, pause_id: int, now: int, by: int | None) -> bool:
    """End the pause; False when it had ended already (then nothing more must happen)."""
    cur = await conn.execute(
        "UPDATE weekly_pauses SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL", (now, by, pause_id)
    )
    return cur.rowcount == 1


async def last_pause_end(conn: aiosqlite.Connection, bounty_id: int) -> int | None:
    sql = "SELECT MAX(ended_at) FROM weekly_pauses WHERE bounty_id = ?"
    rows = list(await conn.execute_fetchall(sql, (bounty_id,)))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


@dataclass(frozen=True)
class Unprompted:
    bounty_id: int
    user_id: int
    rhythm: Rhythm | None  # None: the configured default


async def unprompted(conn: aiosqlite.Connection, states: frozenset[State], kind: str) -> list[Unprompted]:
    """Bounties in `states` with a developer, no pending timer of `kind` and no pause (those assigned before
    the weekly rhythm existed), with the developer's rhythm if one was set. One query, however many."""
    marks = ", ".join("?" for _ in states)
    rows = await conn.execute_fetchall(
        "SELECT d.bounty_id, d.user_id, r.weekday, r.hour, r.timezone FROM developer_assignments d"
        " JOIN bounties b ON b.id = d.bounty_id"
        " LEFT JOIN weekly_rhythms r ON r.bounty_id = d.bounty_id AND r.user_id = d.user_id"
        f" WHERE b.state IN ({marks})"  # placeholders only: the states are bound below
        " AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.subject = 'bounty:' || d.bounty_id AND t.kind = ?"
        "  AND t.fired_at IS NULL AND t.cancelled_at IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM weekly_pauses p WHERE p.bounty_id = d.bounty_id AND p.ended_at IS NULL)"
        " ORDER BY d.bounty_id",
        (*sorted(s.value for s in states), kind),
    )
    return [
        Unprompted(int(r[0]), int(r[1]), None if r[2] is None else Rhythm(int(r[2]), int(r[3]), str(r[4])))
        for r in rows
    ]
