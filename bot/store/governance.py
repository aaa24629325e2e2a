"""The proposal checklist and the Snapshot proposals linked to bounties."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.domain.governance import Incident, ProposalItem, Tracking

_COLUMNS = (
    "bounty_id, round, proposal_id, space, title, start_at, end_at, voting_told_at, last_day_told_at, result, incident"
)


def _tracking(row: Any) -> Tracking:
    return Tracking(
        bounty_id=int(row[0]),
        round=int(row[1]),
        proposal_id=row[2],
        space=row[3],
        title=row[4],
        start=int(row[5]),
        end=int(row[6]),
        voting_told=row[7] is not None,
        last_day_told=row[8] is not None,
        result=row[9],
        incident=Incident(row[10]) if row[10] else None,
    )


# --- the checklist -------------------------------------------------------------------------------------------


async def checklist(conn: aiosqlite.Connection, bounty_id: int) -> dict[ProposalItem, str]:
    """Each recorded item and its note."""
    rows = await conn.execute_fetchall("SELECT item, note FROM proposal_checklist WHERE bounty_id = ?", (bounty_id,))
    return {ProposalItem(r[0]): r[1] for r in rows}


async def record_item(
    conn: aiosqlite.Connection, bounty_id: int, item: ProposalItem, note: str, by: int, now: int
) -> None:
    await conn.execute(
        "INSERT INTO proposal_checklist (bounty_id, item, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (bounty_id, item) DO UPDATE SET note = excluded.note, recorded_by = excluded.recorded_by,"
        " recorded_at = excluded.recorded_at",
        (bounty_id, item.value, note, by, now),
    )


async def remove_item(conn: aiosqlite.Connection, bounty_id: int, item: ProposalItem) -> bool:
    cur = await conn.execute("DELETE FROM proposal_checklist WHERE bounty_id = ? AND item = ?", (bounty_id, item.value))
    return cur.rowcount == 1


# --- linked proposals ----------------------------------------------------------------------------------------


async def current(conn: aiosqlite.Connection, bounty_id: int) -> Tracking | None:
    """The bounty's latest round, if any proposal was ever linked."""
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM proposals WHERE bounty_id = ? ORDER BY round DESC LIMIT 1", (bounty_id,)
        )
    )
    return _tracking(rows[0]) if rows else None


async def get(conn: aiosqlite.Connection, bounty_id: int, round_: int) -> Tracking | None:
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_COLUMNS}, superseded_at FROM proposals WHERE bounty_id = ? AND round = ?", (bounty_id, round_)
        )
    )
    if not rows or rows[0][-1] is not None:
        return None  # no such round, or staff replaced it
    return _tracking(rows[0])


async def is_linked_elsewhere(conn: aiosqlite.Connection, proposal_id: str, bounty_id: int) -> int | None:
    """The other bounty this proposal is linked to, if any."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT bounty_id FROM proposals WHERE proposal_id = ? AND bounty_id != ? AND superseded_at IS NULL",
            (proposal_id, bounty_id),
        )
    )
    return int(rows[0][0]) if rows else None


async def insert(conn: aiosqlite.Connection, t: Tracking, *, by: int, now: int) -> None:
    await conn.execute(
        "INSERT INTO proposals (bounty_id, round, proposal_id, space, title, start_at, end_at, linked_by, linked_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (t.bounty_id, t.round, t.proposal_id, t.space, t.title, t.start, t.end, by, now),
    )


async def supersede(conn: aiosqlite.Connection, bounty_id: int, round_: int, now: int) -> None:
    await conn.execute(
        "UPDATE proposals SET superseded_at = ? WHERE bounty_id = ? AND round = ? AND superseded_at IS NULL",
        (now, bounty_id, round_),
    )


async def set_times(conn: aiosqlite.Connection, bounty_id: int, round_: int, start: int, end: int) -> None:
    await conn.execute(
        "UPDATE proposals SET start_at = ?, end_at = ? WHERE bounty_id = ? AND round = ?",
        (start, end, bounty_id, round_),
    )


_TOLD = {
    "voting": "UPDATE proposals SET voting_told_at = COALESCE(voting_told_at, ?) WHERE bounty_id = ? AND round = ?",
    "last_day": "UPDATE proposals SET last_day_told_at = COALESCE(last_day_told_at, ?)"
    " WHERE bounty_id = ? AND round = ?",
}


async def mark_told(conn: aiosqlite.Connection, bounty_id: int, round_: int, what: str, now: int) -> None:
    await conn.execute(_TOLD[what], (now, bounty_id, round_))


async def set_incident(conn: aiosqlite.Connection, bounty_id: int, round_: int, incident: Incident | None) -> None:
    await conn.execute(
        "UPDATE proposals SET incident = ? WHERE bounty_id = ? AND round = ?",
        (incident.value if incident else None, bounty_id, round_),
    )


async def decide(conn: aiosqlite.Connection, bounty_id: int, round_: int, result: str, now: int) -> bool:
    """Record the result once: False if it was already recorded."""
    cur = await conn.execute(
        "UPDATE proposals SET result = ?, decided_at = ?, incident = NULL"
        " WHERE bounty_id = ? AND round = ? AND result IS NULL",
        (result, now, bounty_id, round_),
    )
    return cur.rowcount == 1


async def thread_message(conn: aiosqlite.Connection, bounty_id: int, round_: int) -> int | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT thread_message_id FROM proposals WHERE bounty_id = ? AND round = ?", (bounty_id, round_)
        )
    )
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


async def set_thread_message(conn: aiosqlite.Connection, bounty_id: int, round_: int, message_id: int) -> None:
    await conn.execute(
        "UPDATE proposals SET thread_message_id = ? WHERE bounty_id = ? AND round = ?",
        (message_id, bounty_id, round_),
    )
