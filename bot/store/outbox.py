"""Outbox rows: outbound effects recorded in the same transaction as the change that caused them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: str
    payload: dict[str, object]
    attempts: int
    status: str = "pending"
    result: dict[str, object] | None = None
    last_error: str | None = None


async def enqueue(conn: aiosqlite.Connection, *, key: str, kind: str, payload: dict[str, object], now: int) -> bool:
    """Add an item; a second item with the same idempotency key is ignored. True if added."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO outbox (key, kind, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)",
        (key, kind, json.dumps(payload, separators=(",", ":"), sort_keys=True), now, now),
    )
    return cur.rowcount == 1


async def due(conn: aiosqlite.Connection, now: int, limit: int = 50) -> list[OutboxItem]:
    rows = await conn.execute_fetchall(
        # INDEXED BY: for ORDER BY id … LIMIT SQLite prefers walking the primary key through every delivered
        # row (8 ms a pass at 100,000 of them); the partial index holds only the pending ones.
        "SELECT id, key, kind, payload, attempts FROM outbox INDEXED BY outbox_due"
        " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (now, limit),
    )
    return [OutboxItem(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]


async def next_attempt_at(conn: aiosqlite.Connection) -> int | None:
    rows = list(await conn.execute_fetchall("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


async def claim(conn: aiosqlite.Connection, item: OutboxItem, now: int, lease_until: int) -> bool:
    """Take `item` (as read by :func:`due`) for one delivery attempt; False when someone else took it first.

    The attempt count is the claim's token: it moves on here, so a second claim on the same read (another
    bot, or this one after the lease ran out) changes nothing. Until `lease_until` the item is not due, so
    nobody else delivers it while this attempt is in flight; if its bot dies, it is due again then.
    """
    cur = await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?"
        " WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?",
        (lease_until, item.id, item.attempts, now),
    )
    return cur.rowcount == 1


async def release(conn: aiosqlite.Connection, item_id: int, attempt: int, now: int) -> None:
    """Give back a claimed item whose attempt was stopped (the bot is shutting down): due again at once."""
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?",
        (now, item_id, attempt),
    )


async def mark_done(
    conn: aiosqlite.Connection, item_id: int, attempt: int, result: dict[str, object], now: int
) -> bool:
    """Record claimed attempt number `attempt` as delivered; False if the claim was lost (its lease ran out)."""
    cur = await conn.execute(
        "UPDATE outbox SET status = 'done', result = ?, done_at = ?, last_error = NULL"
        " WHERE id = ? AND status = 'pending' AND attempts = ?",
        (json.dumps(result, separators=(",", ":")), now, item_id, attempt),
    )
    return cur.rowcount == 1


async def mark_failed(
    conn: aiosqlite.Connection, item_id: int, attempt: int, error: str, next_attempt_at: int, *, dead: bool
) -> bool:
    """Record claimed attempt number `attempt` as failed; False if the claim was lost (its lease ran out)."""
    cur = await conn.execute(
        "UPDATE outbox SET last_error = ?, next_attempt_at = ?, status = ?"
        " WHERE id = ? AND status = 'pending' AND attempts = ?",
        (error[:500], next_attempt_at, "dead" if dead else "pending", item_id, attempt),
    )
    return cur.rowcount == 1


async def get(conn: aiosqlite.Connection, key: str) -> OutboxItem | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT id, key, kind, payload, attempts, status, result, last_error FROM outbox WHERE key = ?", (key,)
        )
    )
    if not rows:
        return None
    r = rows[0]
    return OutboxItem(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], json.loads(r[6]) if r[6] else None, r[7])


async def counts(conn: aiosqlite.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in await conn.execute_fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")}


async def pending_about(conn: aiosqlite.Connection, kind: str, field: str, value: int) -> bool:
    """Whether an effect of `kind` whose payload has `field` = `value` is still waiting to be delivered."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT 1 FROM outbox WHERE status = 'pending' AND kind = ? AND json_extract(payload, ?) = ? LIMIT 1",
            (kind, f"$.{field}", value),
        )
    )
    return bool(rows)
