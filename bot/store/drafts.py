"""Intake drafts: modal 1's answers, kept until modal 2 completes the bounty."""

from __future__ import annotations

import json

import aiosqlite


async def save(conn: aiosqlite.Connection, *, guild_id: int, user_id: int, answers: dict[str, object], now: int) -> int:
    # One draft per person: starting again replaces the previous one.
    await conn.execute("DELETE FROM intake_drafts WHERE user_id = ?", (user_id,))
    cur = await conn.execute(
        "INSERT INTO intake_drafts (guild_id, user_id, answers, created_at) VALUES (?, ?, ?, ?)",
        (guild_id, user_id, json.dumps(answers), now),
    )
    return int(cur.lastrowid or 0)


async def get(conn: aiosqlite.Connection, draft_id: int, user_id: int) -> dict[str, object] | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT answers FROM intake_drafts WHERE id = ? AND user_id = ?", (draft_id, user_id)
        )
    )
    return json.loads(rows[0][0]) if rows else None


async def delete(conn: aiosqlite.Connection, draft_id: int) -> None:
    await conn.execute("DELETE FROM intake_drafts WHERE id = ?", (draft_id,))
