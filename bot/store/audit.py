"""The append-only audit log (the database refuses updates and deletes with triggers)."""

from __future__ import annotations

import json

import aiosqlite

from bot.domain.models import AuditEntry


async def append(
    conn: aiosqlite.Connection,
    *,
    at: int,
    actor_id: int | None,
    bounty_id: int | None,
    action: str,
    detail: dict[str, object] | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO audit_log (at, actor_id, bounty_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor_id, bounty_id, action, json.dumps(detail or {}, separators=(",", ":"), sort_keys=True)),
    )
    return int(cur.lastrowid or 0)


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int, limit: int = 100) -> list[AuditEntry]:
    rows = await conn.execute_fetchall(
        "SELECT id, at, actor_id, bounty_id, action, detail FROM audit_log WHERE bounty_id = ? ORDER BY id LIMIT ?",
        (bounty_id, limit),
    )
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


async def latest(conn: aiosqlite.Connection, bounty_id: int, action: str) -> AuditEntry | None:
    """The bounty's most recent entry of `action` (what moved it last, say)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT id, at, actor_id, bounty_id, action, detail FROM audit_log"
            " WHERE bounty_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
            (bounty_id, action),
        )
    )
    if not rows:
        return None
    r = rows[0]
    return AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]))
