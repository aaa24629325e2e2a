"""Weekly updates as posted."""

from __future__ import annotations

import aiosqlite

from bot.domain.updates import WeeklyUpdate


async def add(conn: aiosqlite.Connection, bounty_id: int, author_id: int, update: WeeklyUpdate, now: int) -> int:
    cur = await conn.execute(
        "INSERT INTO weekly_updates (bounty_id, author_id, done, next, blockers, percent, posted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (bounty_id, author_id, update.done, update.next, update.blockers, update.percent, now),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def latest(conn: aiosqlite.Connection, bounty_id: int) -> tuple[WeeklyUpdate, int] | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT done, next, blockers, percent, posted_at FROM weekly_updates WHERE bounty_id = ?"
            " ORDER BY posted_at DESC, id DESC LIMIT 1",
            (bounty_id,),
        )
    )
    if not rows:
        return None
    r = rows[0]
    return WeeklyUpdate(r[0], r[1], r[2], int(r[3])), int(r[4])
