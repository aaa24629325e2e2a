"""Dues (DESIGN.md §6): the fee, then one renewal per maintenance year, each with its own Solana Pay reference.
A payment settles the oldest open due; partial payments add up; what goes beyond every open due, or reaches a
bounty that owes nothing (ended), is flagged for a staff refund; a transaction counts once across all dues.
Driven through Discord, anvil and the Solana stand-in; the renewal is opened where the maintenance year opens it
(`bot.services.dues.open_renewal`, inside a change)."""

from __future__ import annotations

from pathlib import Path

from bot.app import BountyBot
from bot.domain.dues import Due, DueKind, allocate, settled_text, split
from bot.domain.lifecycle import State
from bot.domain.payments import NORMAL_DECIMALS, to_base_units
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.evm import LocalChain
from bot.sandbox.solana_rpc import SolanaSandbox, new_key
from bot.services import dues
from bot.store import audit, bounties, payments, refunds
from bot.store import dues as dues_store
from bot.store.db import open_database
from bot.store.payments import PaymentRow
from tests.conftest import START, People
from tests.test_payments import RECEIVER_ETH, RECEIVER_SOL, SOL_USDC, USDC, channel_texts, pay, ready_to_pay

USD = to_base_units(1, NORMAL_DECIMALS)
AFTER_MERGE = ("open", "development", "testing", "governance", "approved", "released", "maintenance")


async def into_maintenance(people: People, channel: int) -> None:
    """The fee is paid: the bounty goes through to its maintenance year by hand."""
    for state in AFTER_MERGE:
        moved = await people.staff.run(
            "bounty advance",
            channel=channel,
            to=state,
            reason="moved by hand for the dues tests",
            override=state == "governance",
        )
        assert f"is now **{state}**" in moved.reply.text, moved.reply.text


async def open_renewal(bot: BountyBot, bounty_id: int, year: int) -> None:
    """What the maintenance year does with its 60-day renewal notice."""
    async with bot.changes.begin() as ch:
        await dues.open_renewal(ch, bounty_id, year)


async def renewal(bot: BountyBot, bounty_id: int, year: int) -> Due:
    return next(
        d for d in await dues_store.for_bounty(bot.db.conn, bounty_id) if d.kind is DueKind.RENEWAL and d.year == year
    )


async def test_renewals_settle_oldest_first_partial_payments_add_up_and_the_excess_is_flagged(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    fee_tx = await pay(eth_chain, payer, RECEIVER_ETH, 10_000 * USDC)
    await eth_chain.finalize()
    funded = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=fee_tx)
    assert "Bounty #1 is now funded" in funded.reply.text, funded.reply.text
    await into_maintenance(people, channel)
    # Nothing is owed in maintenance until a renewal opens: a payment now would be refunded whole.
    shown = await people.exchange.run("pay instructions", channel=channel)
    assert "Nothing is owed on bounty #1 now" in shown.reply.text and shown.reply.attachments == []
    await open_renewal(pay_bot, 1, 2)
    await open_renewal(pay_bot, 1, 2)  # idempotent per year
    await open_renewal(pay_bot, 1, 3)  # (a year renewed by hand without payment leaves year 2 open too)
    assert [(d.kind, d.year, d.amount_usd) for d in await dues_store.for_bounty(pay_bot.db.conn, 1)] == [
        (DueKind.FEE, 1, 10_000),
        (DueKind.RENEWAL, 2, 2_000),
        (DueKind.RENEWAL, 3, 2_000),
    ]

    first = await pay(eth_chain, payer, RECEIVER_ETH, 3_000 * USDC)
    await eth_chain.finalize()
    done = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=first)
    text = done.reply.text
    assert (
        "Received 3,000; the renewal for maintenance year 2 is paid in full; 1,000 is still owed on the renewal for "
        "maintenance year 3." in text
    ), text
    assert "Maintenance renewed" in text and "renewal for maintenance year 2 is paid" in text
    assert "1,000.00 USD" in text and "reason: partial" in text
    assert (await renewal(pay_bot, 1, 2)).paid_at is not None
    year3 = await renewal(pay_bot, 1, 3)
    assert year3.paid == 1_000 * USD and year3.paid_at is None
    paid = [e.detail for e in await audit.for_bounty(pay_bot.db.conn, 1) if e.action == "due_paid"]
    assert paid == [{"kind": "fee", "year": 1}, {"kind": "renewal", "year": 2}]

    # The instructions show the open due with what is still owed on it, and its own reference in the link.
    shown = await people.exchange.run("pay instructions", channel=channel)
    assert "Renewal (maintenance year 3) **2,000 USD**, paid so far **1,000.00**, still owed **1,000.00**" in (
        shown.reply.text
    )
    assert f"uint256={1_000 * USDC}" in shown.reply.text
    year3 = await renewal(pay_bot, 1, 3)
    assert year3.reference is not None and year3.reference != await payments.reference(pay_bot.db.conn, 1)
    assert f"reference={year3.reference}" in shown.reply.text

    # 1,500 where 1,000 is owed: year 3 is paid (the parts added up) and 500 goes back.
    second = await pay(eth_chain, payer, RECEIVER_ETH, 1_500 * USDC)
    await eth_chain.finalize()
    over = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=second)
    assert (
        "Received 1,500: the renewal for maintenance year 3 is paid, and 500 more than owed; staff will refund the "
        "difference." in over.reply.text
    ), over.reply.text
    assert await payments.refund_flags(pay_bot.db.conn, 1) == [(f"ethereum:{second}:0", "overpaid", 500 * USDC)]
    assert (await renewal(pay_bot, 1, 3)).paid == 2_000 * USD

    # A transaction counts once, whichever due it went to: the fee's again, or the renewal's again.
    for tx in (fee_tx, first):
        again = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
        assert "already counted" in again.reply.text, again.reply.text
    assert len(await payments.for_bounty(pay_bot.db.conn, 1)) == 3
    assert (await pay_bot.watch.scan()).found == 0  # the watcher, too, counts none of them again

    await pay_bot.outbox.drain()
    texts = channel_texts(sandbox, channel)
    assert any(
        "Payment received: 3,000 USDC on Ethereum. Still owed: 1,000.00 USD on the renewal for" in t for t in texts
    )
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert any("Overpayment: refund 500 USDC to bounty #1 Backpack" in t for t in alerts)


async def test_the_watcher_finds_renewals_on_evm_and_on_solana_by_the_dues_own_reference(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain, solana_rpc: SolanaSandbox
) -> None:
    evm = await ready_to_pay(pay_bot, people)
    sol = await ready_to_pay(pay_bot, people, exchange="Kraken", who="teammate")
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=evm, chain="ethereum", address=payer)
    await people.staff.run("pay confirm-escrow", channel=evm, reference="WIRE-1", amount="10000")
    # Kraken pays its fee with Solana Pay, found by the watcher through the fee's reference.
    await people.teammate.run("pay instructions", channel=sol)
    fee_reference = await payments.reference(pay_bot.db.conn, 2)
    assert fee_reference is not None
    solana_rpc.transfer(
        payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=10_000 * USDC, reference=fee_reference
    )
    assert (await pay_bot.watch.scan()).found == 1
    for channel in (evm, sol):
        await into_maintenance(people, channel)
    await open_renewal(pay_bot, 1, 2)
    await open_renewal(pay_bot, 2, 2)

    # EVM: the renewal paid from the registered wallet is found by itself.
    await pay(eth_chain, payer, RECEIVER_ETH, 2_000 * USDC)
    await eth_chain.finalize()
    # Solana: the renewal's own reference, shown by the instructions, is watched.
    shown = await people.teammate.run("pay instructions", channel=sol)
    reference = (await renewal(pay_bot, 2, 2)).reference
    assert reference is not None and reference != fee_reference
    assert f"solana:{RECEIVER_SOL}?amount=2000&spl-token={SOL_USDC}&reference={reference}" in shown.reply.text, (
        shown.reply.text
    )
    solana_rpc.transfer(
        payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=1_000 * USDC, reference=reference
    )
    report = await pay_bot.watch.scan()
    assert report.found == 2 and report.unavailable == ()
    assert (await renewal(pay_bot, 1, 2)).paid_at is not None
    half = await renewal(pay_bot, 2, 2)
    assert half.paid == 1_000 * USD and half.paid_at is None

    # The rest carries the fee's old reference: the watcher watches only open dues' references, so it is not
    # found by itself; submitted, the reference still identifies the bounty, and the payment settles the oldest
    # open due, the renewal.
    late = solana_rpc.transfer(
        payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=1_000 * USDC, reference=fee_reference
    )
    assert (await pay_bot.watch.scan()).found == 0
    done = await people.teammate.run("pay submit", channel=sol, chain="solana", tx=late)
    assert "Received 1,000: the renewal for maintenance year 2 is paid in full." in done.reply.text, done.reply.text
    assert (await renewal(pay_bot, 2, 2)).paid_at is not None
    assert (await pay_bot.watch.scan()).found == 0  # nothing counted twice, nothing more watched
    await pay_bot.outbox.drain()
    assert any(
        "Payment received: 2,000 USDC on Ethereum. The renewal for maintenance year 2 is paid in full." in t
        for t in channel_texts(sandbox, evm)
    )
    assert any(
        "Still owed: 1,000.00 USD on the renewal for maintenance year 2." in t for t in channel_texts(sandbox, sol)
    )


async def test_a_renewal_paid_after_the_bounty_ended_is_flagged_and_a_part_paid_one_goes_back(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000")
    await into_maintenance(people, channel)
    await open_renewal(pay_bot, 1, 2)
    part = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-R2", amount="500")
    assert "1,500 is still owed on the renewal for maintenance year 2" in part.reply.text, part.reply.text
    # The year ends unpaid: the bounty ends, and the 500 paid toward a year that will not come goes back.
    ended = await people.staff.run("bounty advance", channel=channel, to="ended", reason="not renewed")
    assert "is now **ended**" in ended.reply.text
    assert await payments.refund_flags(pay_bot.db.conn, 1) == [("escrow:WIRE-R2:0", "overpaid", 500 * 100)]

    tx = await pay(eth_chain, payer, RECEIVER_ETH, 2_000 * USDC)
    await eth_chain.finalize()
    late = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "is `ended` and owes nothing: staff will refund it" in late.reply.text, late.reply.text
    assert (await renewal(pay_bot, 1, 2)).paid_at is None  # the renewal was not paid by it
    flags = await payments.refund_flags(pay_bot.db.conn, 1)
    assert flags[-1] == (f"ethereum:{tx}:0", "overpaid", 2_000 * USDC)
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.ENDED  # type: ignore[union-attr]
    await pay_bot.outbox.drain()
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert any("ended with the renewal for maintenance year 2 part-paid" in t for t in alerts)
    assert any("Refund due: 2,000 USDC on Ethereum for bounty #1 Backpack" in t for t in alerts)
    # What is due back is exactly those two, and staff can return it.
    back = await people.staff.run("bounty refund", channel=channel, amount="2,501", via="wire", reference="BACK-9")
    assert "2,500.00 USD" in back.reply.text, back.reply.text
    done = await people.staff.run("bounty refund", channel=channel, amount="2,500", via="wire", reference="BACK-9")
    assert "Recorded a refund of **2,500.00 USD**" in done.reply.text and "Nothing more is due back." in done.reply.text
    assert len(await refunds.for_bounty(pay_bot.db.conn, 1)) == 1


def due(id_: int, kind: DueKind, year: int, usd: int, paid: int = 0) -> Due:
    return Due(id_, 1, kind, year, usd, paid * USD, None, START, None)


def test_allocation_is_oldest_first_exact_and_keeps_the_excess() -> None:
    fee, two = due(1, DueKind.FEE, 1, 10_000, 9_000), due(2, DueKind.RENEWAL, 2, 2_000)
    allocation, parts, excess = split([fee, two], [("a", 500 * USD), ("b", 2_000 * USD)])
    assert [(p.key, p.due.id, p.share // USD) for p in parts] == [("a", 1, 500), ("b", 1, 500), ("b", 2, 1_500)]
    assert excess == {} and allocation.owed_after == 500 * USD and allocation.settled == (fee,)
    assert settled_text("2,500", allocation, [fee, two]) == (
        "Received 2,500; the fee is paid in full; 500 is still owed on the renewal for maintenance year 2."
    )
    # One wei short stays owed; one wei over is flagged: never rounded away.
    short = allocate([two], 2_000 * USD - 1)
    assert short.owed_after == 1 and short.settled == () and short.excess == 0
    over = allocate([two], 2_000 * USD + 1)
    assert over.excess == 1 and over.settled == (two,) and over.owed_after == 0
    assert settled_text("4,000", allocate([fee], 1_000 * USD - 1), [fee]) == (
        "Received 4,000; 0.000000000000000001 is still owed."
    )


async def test_the_migration_makes_the_fee_and_its_reference_the_first_due(tmp_path: Path) -> None:
    from tests.test_timeline import form

    db = await open_database(tmp_path / "old.db")
    try:
        await db.migrate(target=10)
        async with db.transaction() as tx:
            ids = [
                await bounties.insert(
                    tx, guild_id=1, requester_id=7, form=form(n), fee_usd=12_000, now=START, key=f"x{n}"
                )
                for n in (1, 2)
            ]
            await tx.execute(
                "INSERT INTO payment_references (bounty_id, reference, created_at) VALUES (?, ?, ?)",
                (ids[0], "RefKey111111111111111111111111111111111111", START),
            )
            for key, amount, decimals, sender in (
                ("bsc:0xaa:0", 5_000 * 10**18, 18, "0x1"),
                ("escrow:W-1:0", 800_000, 2, "escrow"),
                ("ethereum:0xbb:0", 8_000 * USDC, 6, "0x2"),
            ):
                chain, txid, _ = key.split(":")
                row = PaymentRow(
                    key, chain, txid, ids[0], "USDC", "t", decimals, amount, sender, "watcher", None, START
                )
                await payments.record(tx, row)
            await payments.flag_refund(tx, ids[0], "ethereum:0xbb:0", "overpaid", 1_000 * USDC, START)
        applied = await db.migrate()
        assert 17 in [m.version for m in applied]
        [fee] = await dues_store.for_bounty(db.conn, ids[0])
        # Every payment counts toward the fee as it did before, less the part flagged for refund.
        assert (fee.kind, fee.year, fee.amount_usd) == (DueKind.FEE, 1, 12_000)
        assert fee.reference == "RefKey111111111111111111111111111111111111"
        assert fee.paid == (5_000 + 8_000 + 7_000) * USD and fee.remaining == 0
        assert await payments.reference(db.conn, ids[0]) == fee.reference
        [other] = await dues_store.for_bounty(db.conn, ids[1])
        assert other.paid == 0 and other.reference is None
        # A bounty made after the upgrade has its fee due at once.
        async with db.transaction() as tx:
            new = await bounties.insert(
                tx, guild_id=1, requester_id=7, form=form(3), fee_usd=10_000, now=START, key="x3"
            )
        assert [(d.kind, d.amount_usd) for d in await dues_store.for_bounty(db.conn, new)] == [(DueKind.FEE, 10_000)]
    finally:
        await db.close()
