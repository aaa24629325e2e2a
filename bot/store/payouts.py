"""The developer's payout per bounty: its 30-day clock and, once recorded, the transaction that paid it."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class Payout:
    bounty_id: int
    started_at: int | None  # the merge, or the release when no merge was seen; None: recorded before any clock
    started_by: str | None  # "merge" or "released"
    tx: str | None
    network: str | None
    recorded_by: int | None
    recorded_at: int | None

    @property
    def paid(self) -> bool:
        return self.tx is not None


_COLUMNS = "bounty_id, started_at, started_by, tx, network, recorded_by, recorded_at"


def _row(r: aiosqlite.Row) -> Payout:
    return Payout(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6])


async def get(conn: aiosqlite.Connection, bounty_id: int) -> Payout | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM payouts WHERE bounty_id = ?", (bounty_id,)))
    return _row(rows[0]) if rows else None


async def start(conn: aiosqlite.Connection, bounty_id: int, at: int, by: str) -> bool:
    """Start the bounty's payout clock; False if it already has one (or its payout was recorded)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO payouts (bounty_id, started_at, started_by) VALUES (?, ?, ?)", (bounty_id, at, by)
    )
    return cur.rowcount == 1


async def by_tx(conn: aiosqlite.Connection, same_as: str) -> Payout | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM payouts WHERE same_as = ?", (same_as,)))
    return _row(rows[0]) if rows else None


async def record(conn: aiosqlite.Connection, bounty_id: int, tx: str, network: str, recorded_by: int, now: int) -> bool:
    """Record the payout's transaction; False if the bounty's payout was already recorded. The unique `same_as`
    makes a transaction already recorded for another bounty fail."""
    await conn.execute("INSERT OR IGNORE INTO payouts (bounty_id) VALUES (?)", (bounty_id,))
    cur = await conn.execute(
        "UPDATE payouts SET tx = ?, same_as = ?, network = ?, recorded_by = ?, recorded_at = ?"
        " WHERE bounty_id = ? AND tx IS NULL",
        (tx, tx, network, recorded_by, now, bounty_id),
    )
    return cur.rowcount == 1


async def merged_at(conn: aiosqlite.Connection, bounty_id: int) -> int | None:
    """When the bot first saw one of the bounty's pull requests merged, if it did."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT MIN(seen_at) FROM github_pull_requests WHERE bounty_id = ? AND state = 'merged'", (bounty_id,)
        )
    )
    return int(rows[0][0]) if rows and rows[0][0] is not None else None
