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
    async with conn.execute(
        # INDEXED BY: for ORDER BY id … LIMIT SQLite prefers walking the primary key through every delivered
        # row (8 ms a pass at 100,000 of them); the partial index holds only the pending ones.
        "SELECT id, key, kind, payload, attempts FROM outbox INDEXED BY outbox_due"
        " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (now, limit),
    ) as cur:
        rows = await cur.fetchall()
    return [OutboxItem(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]


async def next_attempt_at(conn: aiosqlite.Connection) -> int | None:
    async with conn.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def mark_done(conn: aiosqlite.Connection, item_id: int, result: dict[str, object], now: int) -> None:
    await conn.execute(
        "UPDATE outbox SET status = 'done', result = ?, done_at = ?, attempts = attempts + 1, last_error = NULL"
        " WHERE id = ?",
        (json.dumps(result, separators=(",", ":")), now, item_id),
    )


async def mark_failed(
    conn: aiosqlite.Connection, item_id: int, error: str, next_attempt_at: int, *, dead: bool
) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?",
        (error[:500], next_attempt_at, "dead" if dead else "pending", item_id),
    )


async def get(conn: aiosqlite.Connection, key: str) -> OutboxItem | None:
    async with conn.execute(
        "SELECT id, key, kind, payload, attempts, status, result, last_error FROM outbox WHERE key = ?", (key,)
    ) as cur:
        r = await cur.fetchone()
    if r is None:
        return None
    return OutboxItem(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], json.loads(r[6]) if r[6] else None, r[7])


async def counts(conn: aiosqlite.Connection) -> dict[str, int]:
    async with conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cur:
        return {r[0]: r[1] for r in await cur.fetchall()}


async def pending_about(conn: aiosqlite.Connection, kind: str, field: str, value: int) -> bool:
    """Whether an effect of `kind` whose payload has `field` = `value` is still waiting to be delivered."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT 1 FROM outbox WHERE status = 'pending' AND kind = ? AND json_extract(payload, ?) = ? LIMIT 1",
            (kind, f"$.{field}", value),
        )
    )
    return bool(rows)
