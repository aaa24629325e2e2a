"""Who builds each bounty, and when they were last active."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.lifecycle import State


@dataclass(frozen=True)
class Assignment:
    bounty_id: int
    user_id: int
    github_login: str
    assigned_by: int
    assigned_at: int
    last_activity_at: int


_COLUMNS = "bounty_id, user_id, github_login, assigned_by, assigned_at, last_activity_at"


async def assign(
    conn: aiosqlite.Connection, bounty_id: int, user_id: int, login: str, assigned_by: int, now: int
) -> None:
    """Assign (or reassign) the bounty's developer; the activity clock starts now."""
    await conn.execute(
        f"INSERT INTO developer_assignments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (bounty_id) DO UPDATE SET user_id = excluded.user_id, github_login = excluded.github_login,"
        " assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at,"
        " last_activity_at = excluded.last_activity_at",
        (bounty_id, user_id, login, assigned_by, now, now),
    )


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int) -> Assignment | None:
    rows = list(
        await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM developer_assignments WHERE bounty_id = ?", (bounty_id,))
    )
    return Assignment(*rows[0]) if rows else None


async def other_bounties(
    conn: aiosqlite.Connection, user_id: int, login: str, bounty_id: int
) -> list[tuple[int, State]]:
    """The developer's other bounties (by Discord account or GitHub login) and their states."""
    rows = await conn.execute_fetchall(
        "SELECT b.id, b.state FROM developer_assignments d JOIN bounties b ON b.id = d.bounty_id"
        " WHERE (d.user_id = ? OR d.github_login = ? COLLATE NOCASE) AND d.bounty_id != ? ORDER BY b.id",
        (user_id, login, bounty_id),
    )
    return [(int(r[0]), State(r[1])) for r in rows]


async def touch(conn: aiosqlite.Connection, bounty_id: int, now: int) -> None:
    await conn.execute(
        "UPDATE developer_assignments SET last_activity_at = MAX(last_activity_at, ?) WHERE bounty_id = ?",
        (now, bounty_id),
    )


async def unassign(conn: aiosqlite.Connection, bounty_id: int, user_id: int, assigned_at: int) -> bool:
    """Remove that assignment; False when it is no longer the bounty's (someone reassigned first)."""
    cur = await conn.execute(
        "DELETE FROM developer_assignments WHERE bounty_id = ? AND user_id = ? AND assigned_at = ?",
        (bounty_id, user_id, assigned_at),
    )
    return cur.rowcount == 1


async def by_login(conn: aiosqlite.Connection, login: str, states: frozenset[State]) -> list[Assignment]:
    """The assignments of GitHub user `login` (any case) on bounties in `states`."""
    marks = ", ".join("?" for _ in states)
    rows = await conn.execute_fetchall(
        f"SELECT {', '.join('d.' + c.strip() for c in _COLUMNS.split(','))}"
        " FROM developer_assignments d JOIN bounties b ON b.id = d.bounty_id"
        f" WHERE d.github_login = ? COLLATE NOCASE AND b.state IN ({marks}) ORDER BY d.bounty_id",
        (login, *sorted(s.value for s in states)),
    )
    return [Assignment(*r) for r in rows]
