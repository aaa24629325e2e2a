"""A bounty's dues (the fee, then renewals) and which counted payment went to which due."""

from __future__ import annotations

import aiosqlite

from bot.domain.dues import Due, DueKind
from bot.domain.lifecycle import State
from bot.domain.payments import normalized

_COLUMNS = "d.id, d.bounty_id, d.kind, d.year, COALESCE(d.amount_usd, b.fee_usd), d.reference, d.opened_at, d.paid_at"


async def for_bounty(conn: aiosqlite.Connection, bounty_id: int) -> list[Due]:
    """Every due of the bounty, with what was counted toward each (18-decimal USD), oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM dues d JOIN bounties b ON b.id = d.bounty_id WHERE d.bounty_id = ?"
        " ORDER BY d.kind != 'fee', d.year, d.id",
        (bounty_id,),
    )
    paid = await _paid(conn, bounty_id)
    return [
        Due(
            int(r[0]),
            int(r[1]),
            DueKind(r[2]),
            int(r[3]),
            int(r[4]),
            paid.get(int(r[0]), 0),
            r[5],
            int(r[6]),
            None if r[7] is None else int(r[7]),
        )
        for r in rows
    ]


async def _paid(conn: aiosqlite.Connection, bounty_id: int) -> dict[int, int]:
    """Per due, the 18-decimal USD counted toward it. A share recorded before dues existed (NULL) is the whole
    payment less what its refund flags hold back, which is how the single-fee ledger counted it."""
    rows = await conn.execute_fetchall(
        "SELECT dp.due_id, dp.share, p.amount, p.decimals,"
        " (SELECT group_concat(f.excess, ' ') FROM refund_flags f WHERE f.payment_key = p.key)"
        " FROM due_payments dp JOIN dues d ON d.id = dp.due_id JOIN payments p ON p.key = dp.payment_key"
        " WHERE d.bounty_id = ?",
        (bounty_id,),
    )
    paid: dict[int, int] = {}
    for due_id, share, amount, decimals, flagged in rows:
        if share is not None:
            value = int(share)
        else:
            held = sum(int(x) for x in (flagged or "").split())
            value = max(0, normalized(int(amount) - held, int(decimals)))
        paid[int(due_id)] = paid.get(int(due_id), 0) + value
    return paid


async def add_share(conn: aiosqlite.Connection, due_id: int, payment_key: str, share: int) -> None:
    await conn.execute(
        "INSERT INTO due_payments (due_id, payment_key, share) VALUES (?, ?, ?)", (due_id, payment_key, str(share))
    )


async def mark_paid(conn: aiosqlite.Connection, due_id: int, now: int) -> bool:
    """Note the due as paid in full; False if it already was (so what follows a full payment happens once)."""
    cur = await conn.execute("UPDATE dues SET paid_at = ? WHERE id = ? AND paid_at IS NULL", (now, due_id))
    return cur.rowcount == 1


async def open_renewal(conn: aiosqlite.Connection, bounty_id: int, year: int, amount_usd: int, now: int) -> bool:
    """The renewal due for maintenance year `year`; False if it already exists (one per bounty and year)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO dues (bounty_id, kind, year, amount_usd, opened_at) VALUES (?, 'renewal', ?, ?, ?)",
        (bounty_id, year, amount_usd, now),
    )
    return cur.rowcount == 1


async def set_reference(conn: aiosqlite.Connection, due_id: int, key: str) -> str:
    """Give the due its Solana Pay reference unless it has one; returns the one it has."""
    await conn.execute("UPDATE dues SET reference = ? WHERE id = ? AND reference IS NULL", (key, due_id))
    rows = list(await conn.execute_fetchall("SELECT reference FROM dues WHERE id = ?", (due_id,)))
    return str(rows[0][0])


async def fee_reference(conn: aiosqlite.Connection, bounty_id: int) -> str | None:
    rows = list(
        await conn.execute_fetchall("SELECT reference FROM dues WHERE bounty_id = ? AND kind = 'fee'", (bounty_id,))
    )
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


async def fee_due_id(conn: aiosqlite.Connection, bounty_id: int) -> int:
    rows = list(await conn.execute_fetchall("SELECT id FROM dues WHERE bounty_id = ? AND kind = 'fee'", (bounty_id,)))
    return int(rows[0][0])


async def references(conn: aiosqlite.Connection, bounty_id: int) -> tuple[str, ...]:
    """Every Solana Pay reference the bounty ever showed: any of them identifies the bounty's payment."""
    rows = await conn.execute_fetchall(
        "SELECT reference FROM dues WHERE bounty_id = ? AND reference IS NOT NULL ORDER BY id", (bounty_id,)
    )
    return tuple(str(r[0]) for r in rows)


async def shares_of(conn: aiosqlite.Connection, due_id: int) -> list[tuple[str, int, int]]:
    """(payment key, share in 18-decimal USD, the payment's decimals) of each payment counted toward the due."""
    rows = await conn.execute_fetchall(
        "SELECT dp.payment_key, dp.share, p.amount, p.decimals FROM due_payments dp"
        " JOIN payments p ON p.key = dp.payment_key WHERE dp.due_id = ? ORDER BY p.recorded_at, p.key",
        (due_id,),
    )
    return [(r[0], int(r[1]) if r[1] is not None else normalized(int(r[2]), int(r[3])), int(r[3])) for r in rows]


async def watched(
    conn: aiosqlite.Connection, fee_states: frozenset[State], renewal_states: frozenset[State]
) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """What the watcher looks for: (bounty, chain, wallet) of every bounty with an open due, and (bounty,
    reference) of each open due's Solana Pay reference. The fee is watched while the bounty is before funding,
    an unpaid renewal while it is released or in maintenance."""
    fee = tuple(s.value for s in fee_states)
    renewal = tuple(s.value for s in renewal_states)
    fee_marks = ", ".join("?" for _ in fee)
    renewal_marks = ", ".join("?" for _ in renewal)
    owing = (
        f"(d.kind = 'fee' AND b.state IN ({fee_marks}))"
        f" OR (d.kind = 'renewal' AND d.paid_at IS NULL AND b.state IN ({renewal_marks}))"
    )
    wallets = await conn.execute_fetchall(
        "SELECT w.bounty_id, w.chain, w.address FROM wallets w JOIN bounties b ON b.id = w.bounty_id"
        f" WHERE EXISTS (SELECT 1 FROM dues d WHERE d.bounty_id = w.bounty_id AND ({owing}))",
        (*fee, *renewal),
    )
    refs = await conn.execute_fetchall(
        f"SELECT d.bounty_id, d.reference FROM dues d JOIN bounties b ON b.id = d.bounty_id"
        f" WHERE d.reference IS NOT NULL AND ({owing}) ORDER BY d.id",
        (*fee, *renewal),
    )
    return [(int(r[0]), r[1], r[2]) for r in wallets], [(int(r[0]), r[1]) for r in refs]
