"""Weekly updates as posted."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from bot.domain.lifecycle import State
from bot.domain.models import Member, MemberRole
from bot.domain.updates import WeeklyUpdate


@dataclass(frozen=True)
class Opening:
    """What opening the weekly update form needs: who may post, in which state, and last week's percent."""

    bounty_id: int
    exchange: str
    state: State
    members: list[Member]
    last_percent: int | None


async def opening(
    conn: aiosqlite.Connection, *, bounty_id: int | None = None, channel_id: int | None = None
) -> Opening | None:
    """One query, not three: the form is opened by many people at once and each waits on this read."""
    where, key = ("b.id = ?", bounty_id) if bounty_id is not None else ("b.channel_id = ?", channel_id)
    sql = (
        "SELECT b.id, b.exchange, b.state,"
        " (SELECT json_group_array(json_array(m.user_id, m.role, m.added_by, m.added_at))"
        "  FROM bounty_members m WHERE m.bounty_id = b.id),"
        " (SELECT w.percent FROM weekly_updates w WHERE w.bounty_id = b.id"
        "  ORDER BY w.posted_at DESC, w.id DESC LIMIT 1)"
        " FROM bounties b WHERE " + where  # `where` is one of two fixed strings, never user text
    )
    # One trip to the database thread (execute, fetch and close together), not three.
    rows = list(await conn.execute_fetchall(sql, (key,)))
    if not rows:
        return None
    row = rows[0]
    members = [Member(int(row[0]), int(u), MemberRole(r), int(by), int(at)) for u, r, by, at in json.loads(row[3])]
    return Opening(int(row[0]), str(row[1]), State(row[2]), members, None if row[4] is None else int(row[4]))


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


async def posted_between(conn: aiosqlite.Connection, bounty_id: int, since: int, before: int) -> int:
    """How many updates were posted in [since, before): whether a week has its update."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT COUNT(*) FROM weekly_updates WHERE bounty_id = ? AND posted_at >= ? AND posted_at < ?",
            (bounty_id, since, before),
        )
    )
    return int(rows[0][0])
