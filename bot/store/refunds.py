"""Refunds sent back, and the refund flags they settle (the payment ledger raises them: bot/store/payments.py)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.payments import normalized
from bot.domain.refunds import Ledger
from bot.store import payments


@dataclass(frozen=True)
class RefundRow:
    id: int
    bounty_id: int
    via: str
    reference: str
    amount: int  # base units of `decimals`
    decimals: int
    for_flags: int  # 18-decimal USD
    purpose: str
    recorded_by: int
    recorded_at: int

    @property
    def normalized(self) -> int:
        return normalized(self.amount, self.decimals)


@dataclass(frozen=True)
class Flag:
    id: int
    amount: int  # 18-decimal USD
    resolved: bool


_COLUMNS = "id, bounty_id, via, reference, amount, decimals, for_flags, purpose, recorded_by, recorded_at"


def _row(r: aiosqlite.Row) -> RefundRow:
    return RefundRow(int(r[0]), int(r[1]), r[2], r[3], int(r[4]), int(r[5]), int(r[6]), r[7], int(r[8]), int(r[9]))


async def by_reference(conn: aiosqlite.Connection, via: str, same_as: str) -> RefundRow | None:
    """The refund recorded under `same_as` (bot/domain/refunds.py `same_as`), if any."""
    rows = list(
        await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM refunds WHERE via = ? AND same_as = ?", (via, same_as))
    )
    return _row(rows[0]) if rows else None


async def escrow_payment(conn: aiosqlite.Connection, reference: str) -> int | None:
    """The bounty a wire with this reference (in any case) paid, if one did."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT bounty_id FROM funding_transactions WHERE chain = 'escrow' AND upper(tx) = upper(?)", (reference,)
        )
    )
    return int(rows[0][0]) if rows else None


async def record(
    conn: aiosqlite.Connection,
    *,
    bounty_id: int,
    via: str,
    reference: str,
    same_as: str,
    amount: int,
    decimals: int,
    for_flags: int,
    purpose: str,
    recorded_by: int,
    now: int,
) -> int:
    """One refund. The (via, same_as) key makes a second record of the same transfer fail."""
    cur = await conn.execute(
        "INSERT INTO refunds (bounty_id, via, reference, same_as, amount, decimals, for_flags, purpose, recorded_by,"
        " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (bounty_id, via, reference, same_as, str(amount), decimals, str(for_flags), purpose, recorded_by, now),
    )
    return int(cur.lastrowid or 0)


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int) -> list[RefundRow]:
    rows = await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM refunds WHERE bounty_id = ? ORDER BY id", (bounty_id,))
    return [_row(r) for r in rows]


async def flags(conn: aiosqlite.Connection, bounty_id: int) -> list[Flag]:
    """Every refund flag of the bounty, oldest first, in 18-decimal USD (a flag is in its payment's token units)."""
    rows = await conn.execute_fetchall(
        "SELECT f.id, f.excess, p.decimals, f.resolved_at FROM refund_flags f JOIN payments p ON p.key = f.payment_key"
        " WHERE f.bounty_id = ? ORDER BY f.id",
        (bounty_id,),
    )
    return [Flag(int(r[0]), normalized(int(r[1]), int(r[2])), r[3] is not None) for r in rows]


async def resolve_flags(conn: aiosqlite.Connection, flag_ids: list[int], now: int) -> None:
    for flag_id in flag_ids:
        await conn.execute(
            "UPDATE refund_flags SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL", (now, flag_id)
        )


async def ledger(conn: aiosqlite.Connection, bounty_id: int) -> Ledger:
    """A bounty's money in and out, in 18-decimal USD: what the refund rules decide on."""
    paid = sum(p.normalized for p in await payments.for_bounty(conn, bounty_id))
    flagged = sum(f.amount for f in await flags(conn, bounty_id))
    rows = await for_bounty(conn, bounty_id)
    return Ledger(paid, flagged, sum(r.normalized for r in rows), sum(r.for_flags for r in rows))
