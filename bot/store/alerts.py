"""Governance alerts: who asked for DMs, the announcements fanned out, and each DM's outcome."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.domain.alerts import DmOutcome


async def wants_dms(conn: aiosqlite.Connection, user_id: int) -> bool:
    rows = list(await conn.execute_fetchall("SELECT 1 FROM alert_dm_subscribers WHERE user_id = ?", (user_id,)))
    return bool(rows)


async def set_dms(conn: aiosqlite.Connection, user_id: int, on: bool, now: int) -> bool:
    """Opt `user_id` in or out of DMs; True if that changed anything."""
    if on:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO alert_dm_subscribers (user_id, since) VALUES (?, ?)", (user_id, now)
        )
    else:
        cur = await conn.execute("DELETE FROM alert_dm_subscribers WHERE user_id = ?", (user_id,))
    return cur.rowcount == 1


async def dm_subscribers(conn: aiosqlite.Connection) -> list[int]:
    rows = await conn.execute_fetchall("SELECT user_id FROM alert_dm_subscribers ORDER BY since, user_id")
    return [int(r[0]) for r in rows]


async def fan_out(
    conn: aiosqlite.Connection, ref: str, notice: dict[str, Any], recipients: list[int], now: int
) -> bool:
    """Record announcement `ref` and one pending DM per recipient; False (and nothing written) if it was
    recorded before, so its DMs are queued once whatever retries happen."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO alert_announcements (ref, notice, recipients, created_at) VALUES (?, ?, ?, ?)",
        (ref, json.dumps(notice, sort_keys=True, separators=(",", ":")), len(recipients), now),
    )
    if cur.rowcount != 1:
        return False
    await conn.executemany(
        "INSERT OR IGNORE INTO alert_dms (ref, user_id) VALUES (?, ?)", [(ref, uid) for uid in recipients]
    )
    return True


async def announcement(conn: aiosqlite.Connection, ref: str) -> tuple[dict[str, Any], int | None] | None:
    """The announcement's notice and when staff were told its count (None: not yet)."""
    rows = list(
        await conn.execute_fetchall("SELECT notice, summarised_at FROM alert_announcements WHERE ref = ?", (ref,))
    )
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


async def outcome(conn: aiosqlite.Connection, ref: str, user_id: int) -> DmOutcome | None:
    rows = list(
        await conn.execute_fetchall("SELECT outcome FROM alert_dms WHERE ref = ? AND user_id = ?", (ref, user_id))
    )
    return DmOutcome(rows[0][0]) if rows else None


async def mark_sending(conn: aiosqlite.Connection, ref: str, user_id: int, now: int) -> None:
    """Recorded before the DM is sent: after a crash or a lost answer, the next attempt looks first."""
    await conn.execute(
        "UPDATE alert_dms SET outcome = ?, attempted_at = ? WHERE ref = ? AND user_id = ? AND outcome IN (?, ?)",
        (DmOutcome.SENDING, now, ref, user_id, DmOutcome.PENDING, DmOutcome.SENDING),
    )


async def finish(conn: aiosqlite.Connection, ref: str, user_id: int, result: DmOutcome, now: int) -> bool:
    """Settle one DM's outcome; False if it was already settled (another attempt got there first)."""
    cur = await conn.execute(
        "UPDATE alert_dms SET outcome = ?, done_at = ? WHERE ref = ? AND user_id = ? AND outcome IN (?, ?)",
        (result, now, ref, user_id, DmOutcome.PENDING, DmOutcome.SENDING),
    )
    return cur.rowcount == 1


async def counts(conn: aiosqlite.Connection, ref: str) -> dict[DmOutcome, int]:
    rows = await conn.execute_fetchall("SELECT outcome, COUNT(*) FROM alert_dms WHERE ref = ? GROUP BY outcome", (ref,))
    return {DmOutcome(r[0]): int(r[1]) for r in rows}


async def mark_summarised(conn: aiosqlite.Connection, ref: str, now: int) -> bool:
    """Claim telling staff the count; True for the one caller that does."""
    cur = await conn.execute(
        "UPDATE alert_announcements SET summarised_at = ? WHERE ref = ? AND summarised_at IS NULL", (now, ref)
    )
    return cur.rowcount == 1
