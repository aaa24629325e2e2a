"""The payment ledger: wallets, reference keys, counted transfers, escrow requests and refund flags."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.dues import FEE_PAYABLE, RENEWAL_PAYABLE
from bot.domain.payments import normalized
from bot.store import dues


@dataclass(frozen=True)
class PaymentRow:
    key: str
    chain: str
    tx: str
    bounty_id: int
    token: str
    token_address: str
    decimals: int
    amount: int
    sender: str
    source: str
    recorded_by: int | None
    recorded_at: int

    @property
    def normalized(self) -> int:
        return normalized(self.amount, self.decimals)


@dataclass(frozen=True)
class Wallet:
    bounty_id: int
    chain: str
    address: str


async def set_wallet(conn: aiosqlite.Connection, bounty_id: int, chain: str, address: str, by: int, now: int) -> None:
    await conn.execute(
        "INSERT INTO wallets (bounty_id, chain, address, registered_by, registered_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (bounty_id, chain) DO UPDATE SET address = excluded.address,"
        " registered_by = excluded.registered_by, registered_at = excluded.registered_at",
        (bounty_id, chain, address, by, now),
    )


async def wallets(conn: aiosqlite.Connection, bounty_id: int) -> dict[str, str]:
    rows = await conn.execute_fetchall("SELECT chain, address FROM wallets WHERE bounty_id = ?", (bounty_id,))
    return {r[0]: r[1] for r in rows}


async def reference(conn: aiosqlite.Connection, bounty_id: int) -> str | None:
    """The fee's Solana Pay reference key (each due has its own: bot/store/dues.py)."""
    return await dues.fee_reference(conn, bounty_id)


async def save_reference(conn: aiosqlite.Connection, bounty_id: int, key: str, now: int) -> str:
    """Give the fee its Solana Pay reference unless it has one; returns the one it has."""
    del now
    return await dues.set_reference(conn, await dues.fee_due_id(conn, bounty_id), key)


async def funding_bounty(conn: aiosqlite.Connection, chain: str, tx: str) -> int | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT bounty_id FROM funding_transactions WHERE chain = ? AND tx = ?", (chain, tx)
        )
    )
    return int(rows[0][0]) if rows else None


async def counted(conn: aiosqlite.Connection, key: str) -> PaymentRow | None:
    rows = list(await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM payments WHERE key = ?", (key,)))
    return _row(rows[0]) if rows else None


_COLUMNS = "key, chain, tx, bounty_id, token, token_address, decimals, amount, sender, source, recorded_by, recorded_at"


def _row(r: aiosqlite.Row) -> PaymentRow:
    return PaymentRow(r[0], r[1], r[2], int(r[3]), r[4], r[5], int(r[6]), int(r[7]), r[8], r[9], r[10], int(r[11]))


async def record(conn: aiosqlite.Connection, row: PaymentRow) -> None:
    """Count one transfer. The caller has checked the transaction is free or already this bounty's; the
    primary keys make a second count of the same transfer, or a second bounty for the transaction, fail."""
    await conn.execute(
        "INSERT OR IGNORE INTO funding_transactions (chain, tx, bounty_id) VALUES (?, ?, ?)",
        (row.chain, row.tx, row.bounty_id),
    )
    owner = await funding_bounty(conn, row.chain, row.tx)
    if owner != row.bounty_id:
        raise aiosqlite.IntegrityError(f"{row.chain}:{row.tx} already funds bounty {owner}")
    await conn.execute(
        f"INSERT INTO payments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.key,
            row.chain,
            row.tx,
            row.bounty_id,
            row.token,
            row.token_address,
            row.decimals,
            str(row.amount),
            row.sender,
            row.source,
            row.recorded_by,
            row.recorded_at,
        ),
    )


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int) -> list[PaymentRow]:
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM payments WHERE bounty_id = ? ORDER BY recorded_at, key", (bounty_id,)
    )
    return [_row(r) for r in rows]


async def wallet_has_paid(
    conn: aiosqlite.Connection, bounty_id: int, chain: str, address: str, due_ids: tuple[int, ...]
) -> bool:
    """Whether a payment from `address` was counted toward one of the dues `due_ids` (the ones still open)."""
    marks = ", ".join("?" for _ in due_ids) or "NULL"
    rows = list(
        await conn.execute_fetchall(
            "SELECT 1 FROM payments p JOIN due_payments dp ON dp.payment_key = p.key"
            f" WHERE p.bounty_id = ? AND p.chain = ? AND lower(p.sender) = lower(?) AND dp.due_id IN ({marks}) LIMIT 1",
            (bounty_id, chain, address, *due_ids),
        )
    )
    return bool(rows)


async def flag_refund(
    conn: aiosqlite.Connection, bounty_id: int, payment_key: str, reason: str, excess: int, now: int
) -> None:
    await conn.execute(
        "INSERT INTO refund_flags (bounty_id, payment_key, reason, excess, created_at) VALUES (?, ?, ?, ?, ?)",
        (bounty_id, payment_key, reason, str(excess), now),
    )


async def refund_flags(conn: aiosqlite.Connection, bounty_id: int) -> list[tuple[str, str, int]]:
    rows = await conn.execute_fetchall(
        "SELECT payment_key, reason, excess FROM refund_flags WHERE bounty_id = ? AND resolved_at IS NULL ORDER BY id",
        (bounty_id,),
    )
    return [(r[0], r[1], int(r[2])) for r in rows]


async def request_escrow(conn: aiosqlite.Connection, bounty_id: int, by: int, now: int) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO escrow_requests (bounty_id, requested_by, requested_at) VALUES (?, ?, ?)",
        (bounty_id, by, now),
    )
    return cur.rowcount == 1


async def watch_cursor(conn: aiosqlite.Connection, chain: str) -> int | None:
    rows = list(await conn.execute_fetchall("SELECT last_block FROM payment_watch WHERE chain = ?", (chain,)))
    return int(rows[0][0]) if rows else None


async def set_watch_cursor(conn: aiosqlite.Connection, chain: str, block: int) -> None:
    await conn.execute(
        "INSERT INTO payment_watch (chain, last_block) VALUES (?, ?)"
        " ON CONFLICT (chain) DO UPDATE SET last_block = excluded.last_block",
        (chain, block),
    )


async def watch_targets(conn: aiosqlite.Connection) -> list[tuple[int, str, str]]:
    """(bounty, chain, wallet) for every bounty with an open due, and (bounty, 'solana-reference', key) for each
    open due's Solana Pay reference."""
    wallets, references = await dues.watched(conn, FEE_PAYABLE, RENEWAL_PAYABLE)
    return wallets + [(bounty_id, "solana-reference", key) for bounty_id, key in references]
