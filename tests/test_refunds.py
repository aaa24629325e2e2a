"""The delivery guarantee and money back (DESIGN.md §6 and §7): the day-60/80/90 alerts as durable timers,
`/bounty refund` against the ledger, and `/bounty fee` before any payment. Every rule is tried from the side
that would break it: more than was paid, the same reference twice, malformed hashes and amounts, the wrong
person, a payment after the fee changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.domain.access import Actor
from bot.domain.errors import RuleViolation
from bot.domain.guarantee import business_days_after
from bot.domain.lifecycle import State
from bot.domain.notices import ts
from bot.domain.payments import NORMAL_DECIMALS, to_base_units
from bot.domain.refunds import Ledger, Purpose, flags_settled, parse_fee, plan_refund
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.evm import LocalChain
from bot.sandbox.harness import running_bot
from bot.services.guarantee import GUARANTEE
from bot.store import audit, bounties, payments, refunds, timers
from tests.conftest import People
from tests.intake_helpers import start_bounty
from tests.qa_helpers import pass_qa

DAY = 86_400
USDC = 10**6
USD = to_base_units(1, NORMAL_DECIMALS)  # one dollar in the ledger's 18-decimal units
RECEIVER_ETH = "0x60D581aEa0644e74df60c7555e5166d32665d6b6"
HASH = "0x" + "ab" * 32


async def ready_to_pay(bot: BountyBot, people: People, exchange: str = "Backpack", who: str = "exchange") -> int:
    """A bounty through review, awaiting payment; returns its channel."""
    await start_bounty(getattr(people, who), exchange={"exchange": exchange})
    await bot.outbox.drain()
    found = next(b for b in await bounties.list_all(bot.db.conn) if b.exchange == exchange)
    assert found.channel_id is not None
    for state in ("review", "awaiting_payment"):
        await people.staff.run("bounty advance", channel=found.channel_id, to=state)
    return found.channel_id


def titled(sandbox: DiscordSandbox, channel: int | str, prefix: str) -> list[dict]:  # type: ignore[type-arg]
    key = str(channel) if str(channel).isdigit() else sandbox.state.channel_named(str(channel))["id"]
    return [
        m
        for m in sandbox.state.messages[str(key)]
        if m["embeds"] and m["embeds"][0].get("title", "").startswith(prefix)
    ]


def said(message: dict) -> str:  # type: ignore[type-arg]
    embed = message["embeds"][0]
    return f"{message['content']} {embed.get('title', '')} {embed.get('description', '')} {embed.get('footer', {})}"


async def guarantee_timers(bot: BountyBot, bounty_id: int) -> list[int]:
    """Days of the guarantee alerts still pending for a bounty."""
    pending = await timers.pending(bot.db.conn, f"bounty:{bounty_id}")
    return [int(str(t.payload["day"])) for t in pending if t.kind == GUARANTEE]


async def audited(bot: BountyBot, bounty_id: int, action: str) -> list[dict]:  # type: ignore[type-arg]
    return [e.detail for e in await audit.for_bounty(bot.db.conn, bounty_id) if e.action == action]


async def fire(bot: BountyBot) -> None:
    await bot.timers.run_due()
    await bot.outbox.drain()


# --- the guarantee, end to end ----------------------------------------------------------------------------------


async def test_the_guarantee_alerts_at_days_60_80_and_90_once_each_across_restarts_then_a_full_refund(
    config: Config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    lead = people.exchange.id
    day60, day80, overdue = "Delivery guarantee: day 60 of 90", "Delivery guarantee: day 80 of 90", "Delivery overdue"
    async with running_bot(config, clock=clock) as first:
        channel = await ready_to_pay(first, people)
        funded = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10,000")
        assert "Bounty #1 is now funded" in funded.reply.text, funded.reply.text
        funded_at = clock.now()
        # Scheduled in the transaction that funded it: three alerts, nothing sent yet.
        assert await guarantee_timers(first, 1) == [60, 80, 90]
        for state in ("open", "development"):
            await people.staff.run("bounty advance", channel=channel, to=state)
        clock.advance(60 * DAY - 60)
        await fire(first)
        assert titled(sandbox, "staff-alerts", "Delivery") == [] and titled(sandbox, channel, "Delivery") == []
        clock.advance(60)
        await fire(first)
        [staff] = titled(sandbox, "staff-alerts", day60)
        [exchange] = titled(sandbox, channel, day60)
        assert "bounty #1 Backpack" in staff["embeds"][0]["title"]
        assert f"by {ts(funded_at + 90 * DAY, 'D')}" in said(staff) and "`development` now" in said(staff)
        assert exchange["content"] == f"<@{lead}>"  # the exchange's lead is told, nobody else is pinged
        assert [u["id"] for u in exchange["mentions"]] == [str(lead)]
        assert len(await audited(first, 1, "guarantee_alert")) == 1

    # A restart right after: nothing is sent again.
    async with running_bot(config, clock=clock) as second:
        await fire(second)
        assert len(titled(sandbox, "staff-alerts", day60)) == 1 and len(titled(sandbox, channel, day60)) == 1
        assert await guarantee_timers(second, 1) == [80, 90]

    # Down over day 80: it fires once when the bot starts again, and never again.
    clock.advance(21 * DAY)
    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        assert len(titled(sandbox, "staff-alerts", day80)) == 1 and len(titled(sandbox, channel, day80)) == 1
        await fire(third)
        assert len(titled(sandbox, "staff-alerts", day80)) == 1
        assert await guarantee_timers(third, 1) == [90]

        clock.advance(9 * DAY)
        await fire(third)
        [staff] = titled(sandbox, "staff-alerts", overdue)
        [exchange] = titled(sandbox, channel, overdue)
        deadline = business_days_after(clock.now(), 14)
        for message in (staff, exchange):
            text = said(message)
            assert "Delivery overdue: bounty #1 Backpack" in text and "delivery is overdue" in text
            assert f"within 14 business days of the request ({ts(deadline, 'D')} if asked today)" in text
        assert "`/bounty refund`" in said(staff) and "/bounty refund" not in said(exchange)
        assert exchange["content"] == f"<@{lead}>"
        await fire(third)
        assert len(titled(sandbox, "staff-alerts", overdue)) == 1 and await guarantee_timers(third, 1) == []

        # The exchange asks; staff send the fee back by wire and record it: the bounty ends `refunded`.
        done = await people.staff.run("bounty refund", channel=channel, amount="10000", via="wire", reference="BACK-1")
        assert "Recorded a refund of **10,000.00 USD** by wire for bounty #1" in done.reply.text, done.reply.text
        assert "bounty #1 is now **refunded**" in done.reply.text
        stored = await bounties.get(third.db.conn, 1)
        assert stored is not None and stored.state is State.REFUNDED
        [row] = await refunds.for_bounty(third.db.conn, 1)
        assert (row.via, row.reference, row.amount, row.decimals, row.purpose) == (
            "wire",
            "BACK-1",
            10**6,
            2,
            "guarantee",
        )
        [recorded] = await audited(third, 1, "refund_recorded")
        assert recorded["purpose"] == "guarantee" and recorded["still_due"] == "0"
        assert [d["new"] for d in await audited(third, 1, "state_changed")][-1] == "refunded"
        await third.outbox.drain()
        for where in ("staff-alerts", channel):
            [sent] = titled(sandbox, where, "Refund sent: bounty #1 Backpack")
            assert "10,000.00 USD sent back by wire (`BACK-1`): the fee, under the delivery guarantee" in said(sent)
            assert titled(sandbox, where, "Bounty #1 Backpack: development → refunded")
        again = await people.staff.run("bounty refund", channel=channel, amount="1", via="wire", reference="BACK-2")
        assert "Everything paid to bounty #1 (10,000.00 USD) was already refunded" in again.reply.text
        assert len(await refunds.for_bounty(third.db.conn, 1)) == 1


async def test_the_alerts_stop_once_delivered_or_cancelled_and_a_cancelled_bounty_is_refunded_in_parts(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    shipped = await ready_to_pay(bot, people)
    stopped = await ready_to_pay(bot, people, exchange="Kraken", who="teammate")
    for channel, wire in ((shipped, "WIRE-1"), (stopped, "WIRE-2")):
        await people.staff.run("pay confirm-escrow", channel=channel, reference=wire, amount="10000")
    for state in ("open", "development", "testing", "governance", "approved", "released"):
        if state == "governance":
            await pass_qa(bot, people)  # the QA gate (tests/test_qa.py)
        await people.staff.run("bounty advance", channel=shipped, to=state)
    assert await guarantee_timers(bot, 1) == []  # delivered: cancelled in the transition to `released`
    await people.staff.run("bounty cancel", channel=stopped, reason="The exchange withdrew")
    assert await guarantee_timers(bot, 2) == []
    clock.advance(91 * DAY)
    await fire(bot)
    assert titled(sandbox, "staff-alerts", "Delivery") == []
    assert titled(sandbox, shipped, "Delivery") == [] and titled(sandbox, stopped, "Delivery") == []

    # The cancel tells staff how much is due and how to record it.
    [due] = titled(sandbox, "staff-alerts", "Refund due: bounty #2 Kraken was cancelled after payment")
    assert "10,000.00 USD paid to it goes back." in said(due)
    assert "`/bounty refund`" in said(due) and "/bounty advance" not in said(due)
    part = await people.staff.run("bounty refund", channel=stopped, amount="4,000", via="wire", reference="BACK-2A")
    assert "Still due back: **6,000.00 USD**" in part.reply.text, part.reply.text
    assert (await bounties.get(bot.db.conn, 2)).state is State.CANCELLED  # type: ignore[union-attr]
    more = await people.staff.run("bounty refund", channel=stopped, amount="6,000.01", via="wire", reference="BACK-2B")
    assert "at most 6,000.00 USD can go back" in more.reply.text, more.reply.text
    rest = await people.staff.run("bounty refund", channel=stopped, amount="6000", via="wire", reference="BACK-2B")
    assert "bounty #2 is now **refunded**" in rest.reply.text, rest.reply.text
    assert [r.purpose for r in await refunds.for_bounty(bot.db.conn, 2)] == ["cancelled", "cancelled"]
    # A delivered bounty owes nothing back: its fee was earned.
    earned = await people.staff.run("bounty refund", channel=shipped, amount="100", via="wire", reference="BACK-1")
    assert "Bounty #1 is `released`: nothing paid to it is due back; it was delivered" in earned.reply.text


# --- an overpayment ------------------------------------------------------------------------------------------------


async def test_an_overpayment_on_chain_is_refunded_and_the_bounty_stays_funded(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    await eth_chain.mint(eth_chain.tokens["USDC"], payer, 11_000 * USDC)
    tx = await eth_chain.transfer(eth_chain.tokens["USDC"], payer, RECEIVER_ETH, 11_000 * USDC)
    await eth_chain.finalize()
    paid = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "1,000 more than owed" in paid.reply.text and "Bounty #1 is now funded" in paid.reply.text
    assert await payments.refund_flags(pay_bot.db.conn, 1) == [(f"ethereum:{tx}:0", "overpaid", 1_000 * USDC)]

    # The payment's own hash is not a refund, a Solana signature is not an Ethereum hash.
    own = await people.staff.run("bounty refund", channel=channel, amount="1000", via="ethereum", reference=tx)
    assert "is the payment counted for bounty #1, not a refund" in own.reply.text, own.reply.text
    wrong = await people.staff.run("bounty refund", channel=channel, amount="1000", via="solana", reference=HASH)
    assert "Reference:" in wrong.reply.text and "is not a Solana transaction signature" in wrong.reply.text

    # The excess goes back, typed in upper-case hex: the flag is settled, the fee stays paid.
    done = await people.staff.run(
        "bounty refund", channel=channel, amount="1,000", via="ethereum", reference="0x" + "AB" * 32
    )
    assert (
        "Recorded a refund of **1,000.00 USD** on Ethereum for bounty #1. Nothing more is due back." in done.reply.text
    )
    assert await payments.refund_flags(pay_bot.db.conn, 1) == []  # resolved
    stored = await bounties.get(pay_bot.db.conn, 1)
    assert stored is not None and stored.state is State.FUNDED
    [row] = await refunds.for_bounty(pay_bot.db.conn, 1)
    assert (row.reference, row.purpose, row.decimals, row.amount) == (HASH, "overpayment", 6, 1_000 * USDC)
    await pay_bot.outbox.drain()
    [sent] = titled(sandbox, channel, "Refund sent: bounty #1 Backpack")
    assert f"1,000.00 USD sent back on Ethereum (`{HASH}`): the overpayment" in said(sent)
    assert "Returned so far: 1,000.00 of 11,000.00 USD received." in said(sent)
    [staff] = titled(sandbox, "staff-alerts", "Refund sent: bounty #1 Backpack")
    assert "Nothing more is due back." in said(staff)
    # The same transaction again (in any case) is refused: each refund is recorded once.
    twice = await people.staff.run("bounty refund", channel=channel, amount="1000", via="ethereum", reference=HASH)
    assert f"Refund `{HASH}` was already recorded for bounty #1 (1,000.00 USD)" in twice.reply.text
    # What is left is the fee: more than that is more than was paid.
    over = await people.staff.run(
        "bounty refund", channel=channel, amount="10000.000001", via="ethereum", reference=HASH[:-1] + "c"
    )
    assert (
        "bounty #1 received 11,000.00 USD, 1,000.00 USD of it already refunded, so at most 10,000.00 USD"
        in over.reply.text
    ), over.reply.text
    assert len(await refunds.for_bounty(pay_bot.db.conn, 1)) == 1


# --- refunds that must fail ------------------------------------------------------------------------------------------


@pytest.fixture
async def overpaid(bot: BountyBot, people: People) -> int:
    """Bounty #1, funded by a wire of 10,500 USD: 500 flagged for refund. Returns its channel."""
    channel = await ready_to_pay(bot, people)
    done = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10,500")
    assert "Bounty #1 is now funded" in done.reply.text, done.reply.text
    return channel


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("NaN", "is not an amount"),
        ("nan", "is not an amount"),
        ("inf", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("-500", "is not an amount"),
        ("+500", "is not an amount"),
        ("5e2", "is not an amount"),
        ("٥٠٠", "is not an amount"),  # Arabic-Indic digits: Decimal would take them
        ("0", "is nothing"),
        ("0.00", "is nothing"),
        ("500.001", "has more than 2 decimals"),
        ("10000000", "more than 1,000,000 USD"),
    ],
)
async def test_a_refund_amount_is_digits_within_bounds(
    bot: BountyBot, people: People, overpaid: int, amount: str, why: str
) -> None:
    done = await people.staff.run("bounty refund", channel=overpaid, amount=amount, via="wire", reference="BACK-1")
    assert "Amount:" in done.reply.text and why in done.reply.text, done.reply.text
    assert await refunds.for_bounty(bot.db.conn, 1) == []


@pytest.mark.parametrize(
    ("via", "reference", "why"),
    [
        ("ethereum", "0x1234", "is not an Ethereum transaction hash"),
        ("bsc", "0x" + "zz" * 32, "BSC transaction hash"),
        ("solana", HASH, "is not a Solana transaction signature"),
        ("wire", "BACK 1", "is not a wire reference"),
        ("wire", "<@123456789012345678>", "is not a wire reference"),
        ("wire", "ab", "is not a wire reference"),
    ],
)
async def test_a_refund_reference_has_its_chain_s_shape(
    bot: BountyBot, people: People, overpaid: int, via: str, reference: str, why: str
) -> None:
    done = await people.staff.run("bounty refund", channel=overpaid, amount="500", via=via, reference=reference)
    assert "Reference:" in done.reply.text and why in done.reply.text, done.reply.text
    assert await refunds.for_bounty(bot.db.conn, 1) == []


async def test_refunds_that_must_fail_change_nothing(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, overpaid: int
) -> None:
    before = len(await audit.for_bounty(bot.db.conn, 1))
    for who in (people.exchange, people.outsider):
        refused = await who.run(
            "bounty refund", channel=overpaid, amount="500", via="wire", reference="BACK-1", bounty=1
        )
        assert refused.reply.text == "Only Foundation staff can record a refund.", refused.reply.text
    # The wire that paid (a bank does not tell `wire-1` from `WIRE-1`) is not a refund.
    wire = await people.staff.run("bounty refund", channel=overpaid, amount="500", via="wire", reference="wire-1")
    assert "`wire-1` is the payment counted for bounty #1, not a refund" in wire.reply.text, wire.reply.text
    more = await people.staff.run("bounty refund", channel=overpaid, amount="10,500.01", via="wire", reference="BACK-1")
    assert "more than was paid: bounty #1 received 10,500.00 USD, so at most 10,500.00 USD" in more.reply.text
    # `refunded` is not offered by `/bounty advance`, and the service refuses it whatever calls it.
    with pytest.raises(RuleViolation, match="A bounty ends `refunded` when its refund is recorded: `/bounty refund`"):
        await bot.services.bounties.advance(Actor(people.staff.id, is_staff=True), 1, None, State.REFUNDED, "sent")
    assert len(await audit.for_bounty(bot.db.conn, 1)) == before

    # Two staff members record the same refund at once: one is recorded, the other is told.
    both = await asyncio.gather(
        people.staff.run("bounty refund", channel=overpaid, amount="500", via="wire", reference="BACK-1"),
        people.staff.run("bounty refund", channel=overpaid, amount="500", via="wire", reference="BACK-1"),
    )
    texts = sorted(o.reply.text for o in both)
    assert "Nothing more is due back" in texts[0] and "was already recorded for bounty #1" in texts[1], texts
    lower = await people.staff.run("bounty refund", channel=overpaid, amount="1", via="wire", reference="back-1")
    assert "Refund `BACK-1` was already recorded for bounty #1 (500.00 USD)" in lower.reply.text, lower.reply.text
    assert len(await refunds.for_bounty(bot.db.conn, 1)) == 1
    assert await payments.refund_flags(bot.db.conn, 1) == []
    assert (await bounties.get(bot.db.conn, 1)).state is State.FUNDED  # type: ignore[union-attr]

    # Before the fee is complete a payment counts toward it: nothing is due back until the bounty is cancelled.
    channel = await ready_to_pay(bot, people, exchange="Kraken", who="teammate")
    await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-2", amount="4000")
    early = await people.staff.run("bounty refund", channel=channel, amount="4000", via="wire", reference="BACK-2")
    assert "Bounty #2 is `awaiting payment`: nothing paid to it is due back" in early.reply.text
    assert "cancel the bounty first (`/bounty cancel`)" in early.reply.text
    # A bounty moved to `funded` by hand has no payment to check a refund against.
    await start_bounty(people.outsider, exchange={"exchange": "Bybit"})
    await bot.outbox.drain()
    third = (await bounties.list_all(bot.db.conn))[-1]
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=third.channel_id or 0, to=state)
    none = await people.staff.run(
        "bounty refund", channel=third.channel_id or 0, amount="1", via="wire", reference="X-3"
    )
    assert f"No payment to bounty #{third.id} is recorded" in none.reply.text, none.reply.text
    assert [r.bounty_id for r in await refunds.for_bounty(bot.db.conn, 2)] == []


# --- the bounty's own fee --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("9,999", "is outside the fee range: 10,000–25,000 USD"),
        ("25001", "is outside the fee range: 10,000–25,000 USD"),
        ("250000", "is outside the fee range"),
        ("12,500.50", "has cents; a bounty's fee is in whole dollars"),
        ("NaN", "is not an amount"),
        ("-15000", "is not an amount"),
        ("1.5e4", "is not an amount"),
        ("15 000", "is not an amount"),
    ],
)
async def test_a_fee_outside_the_range_is_refused(bot: BountyBot, people: People, amount: str, why: str) -> None:
    channel = await ready_to_pay(bot, people)
    done = await people.staff.run("bounty fee", channel=channel, amount=amount)
    assert why in done.reply.text, done.reply.text
    assert (await bounties.get(bot.db.conn, 1)).fee_usd == 10_000  # type: ignore[union-attr]


async def test_the_fee_is_set_by_staff_before_any_payment(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel = await ready_to_pay(bot, people)
    refused = await people.exchange.run("bounty fee", channel=channel, amount="15000")
    assert refused.reply.text == "Only Foundation staff can set a bounty's fee."
    for edge in ("25,000", "10000"):
        done = await people.staff.run("bounty fee", channel=channel, amount=edge)
        assert "Bounty #1's fee is now" in done.reply.text, done.reply.text
    done = await people.staff.run("bounty fee", channel=channel, amount="15,000")
    assert "Bounty #1's fee is now **15,000 USD** (it was 10,000)" in done.reply.text
    same = await people.staff.run("bounty fee", channel=channel, amount="15000")
    assert "already **15,000 USD**" in same.reply.text
    assert [(d["old"], d["new"]) for d in await audited(bot, 1, "fee_set")] == [
        (10_000, 25_000),
        (25_000, 10_000),
        (10_000, 15_000),
    ]
    await bot.outbox.drain()
    assert titled(sandbox, channel, "Fee for bounty #1 Backpack: 15,000 USD")
    shown = await people.exchange.run("pay instructions", channel=channel)
    assert "Fee **15,000 USD**, paid so far **0.00**, still owed **15,000.00**" in shown.reply.text
    assert "uint256=15000000000" in shown.reply.text  # 15,000 USDC in Ethereum's 6 decimals

    # The wire covers the old default only: a partial payment, and from now on the fee is fixed.
    part = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000")
    assert "5,000.00 USD" in part.reply.text, part.reply.text
    fixed = await people.staff.run("bounty fee", channel=channel, amount="10000")
    assert "A payment to bounty #1 was already counted against its fee of 15,000 USD" in fixed.reply.text
    rest = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-2", amount="5000")
    assert "Bounty #1 is now funded" in rest.reply.text, rest.reply.text

    # A bounty funded by hand has no payment, but is past the point where its fee may change.
    await start_bounty(people.teammate, exchange={"exchange": "Kraken"})
    await bot.outbox.drain()
    other = (await bounties.list_all(bot.db.conn))[-1]
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=other.channel_id or 0, to=state)
    late = await people.staff.run("bounty fee", channel=other.channel_id or 0, amount="12000")
    assert "Bounty #2 is `funded`: a fee is set before payment" in late.reply.text


async def test_a_payment_of_the_new_fee_funds_the_bounty_and_the_old_default_is_partial(
    pay_bot: BountyBot, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    await people.staff.run("bounty fee", channel=channel, amount="15000")
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    usdc = eth_chain.tokens["USDC"]
    await eth_chain.mint(usdc, payer, 15_000 * USDC)
    old = await eth_chain.transfer(usdc, payer, RECEIVER_ETH, 10_000 * USDC)
    await eth_chain.finalize()
    partial = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=old)
    assert "Received 10,000; 5,000 is still owed." in partial.reply.text, partial.reply.text
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.AWAITING_PAYMENT  # type: ignore[union-attr]
    # The rest is found by the watcher, which reads the bounty's fee too.
    await eth_chain.transfer(usdc, payer, RECEIVER_ETH, 5_000 * USDC)
    await eth_chain.finalize()
    assert (await pay_bot.watch.scan()).found == 1
    stored = await bounties.get(pay_bot.db.conn, 1)
    assert stored is not None and stored.state is State.FUNDED and stored.fee_usd == 15_000
    assert await payments.refund_flags(pay_bot.db.conn, 1) == []  # exactly the fee: nothing over


# --- the rules, directly ----------------------------------------------------------------------------------------------


def test_fourteen_business_days_skip_weekends() -> None:
    friday = int(datetime(2026, 11, 27, 12, tzinfo=UTC).timestamp())
    assert business_days_after(friday, 14) == int(datetime(2026, 12, 17, 12, tzinfo=UTC).timestamp())
    saturday = int(datetime(2026, 11, 28, 12, tzinfo=UTC).timestamp())
    assert business_days_after(saturday, 1) == int(datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp())


def test_flags_are_settled_oldest_first_and_only_whole() -> None:
    assert flags_settled([5, 3, 2], 0) == 0
    assert flags_settled([5, 3, 2], 7) == 1
    assert flags_settled([5, 3, 2], 8) == 2
    assert flags_settled([5, 3, 2], 100) == 3


def dollars(paid: int, flagged: int, refunded: int, refunded_flagged: int) -> Ledger:
    """A ledger given in whole dollars."""
    return Ledger(paid * USD, flagged * USD, refunded * USD, refunded_flagged * USD)


@pytest.mark.parametrize(
    ("state", "ledger", "amount", "purpose", "ends", "due"),
    [
        # Funded with 1,000 over: the excess is due; the rest may go back only under the guarantee.
        (State.FUNDED, dollars(11_000, 1_000, 0, 0), 1_000, Purpose.OVERPAYMENT, False, 0),
        (State.FUNDED, dollars(11_000, 1_000, 0, 0), 400, Purpose.OVERPAYMENT, False, 600),
        (State.DEVELOPMENT, dollars(11_000, 1_000, 1_000, 1_000), 10_000, Purpose.GUARANTEE, True, 0),
        (State.DEVELOPMENT, dollars(10_000, 0, 0, 0), 10_000, Purpose.GUARANTEE, True, 0),
        # Cancelled: everything is due.
        (State.CANCELLED, dollars(10_000, 0, 0, 0), 4_000, Purpose.CANCELLED, False, 6_000),
        (State.CANCELLED, dollars(10_000, 0, 4_000, 0), 6_000, Purpose.CANCELLED, True, 0),
        # Paid early, before the review closed, and over: the excess only.
        (State.REVIEW, dollars(10_500, 500, 0, 0), 500, Purpose.OVERPAYMENT, False, 0),
        # Delivered, with an old overpayment still waiting.
        (State.MAINTENANCE, dollars(10_200, 200, 0, 0), 200, Purpose.OVERPAYMENT, False, 0),
    ],
)
def test_what_a_refund_does(state: State, ledger: Ledger, amount: int, purpose: Purpose, ends: bool, due: int) -> None:
    plan = plan_refund(1, state, ledger, amount * USD)
    assert (plan.purpose, plan.ends_refunded, plan.due_after) == (purpose, ends, due * USD)
    assert plan.after.refunded == ledger.refunded + amount * USD


@pytest.mark.parametrize(
    ("state", "ledger", "amount", "why"),
    [
        (State.FUNDED, dollars(10_000, 0, 0, 0), 10_001, "more than was paid"),
        (State.FUNDED, dollars(11_000, 1_000, 1_000, 1_000), 10_001, "1,000.00 USD of it already refunded"),
        (State.REFUNDED, dollars(10_000, 0, 10_000, 0), 1, "was already refunded"),
        (State.AWAITING_PAYMENT, dollars(4_000, 0, 0, 0), 1, "cancel the bounty first"),
        (State.REVIEW, dollars(10_500, 500, 0, 0), 501, "only its flagged overpayment can be refunded, 500.00 USD"),
        (State.RELEASED, dollars(10_000, 0, 0, 0), 1, "it was delivered"),
        (State.FUNDED, dollars(0, 0, 0, 0), 1, "No payment to bounty #1 is recorded"),
    ],
)
def test_refunds_the_ledger_refuses(state: State, ledger: Ledger, amount: int, why: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        plan_refund(1, state, ledger, amount * USD)
    assert why in refused.value.message


def test_the_fee_parser() -> None:
    assert parse_fee("15,000", 10_000, 25_000) == (15_000, None)
    assert parse_fee(" 25000.00 ", 10_000, 25_000) == (25_000, None)
    for bad in ("nan", "", "9999.99", "25000.01", "1_5000", "15000 USD"):
        fee, why = parse_fee(bad, 10_000, 25_000)
        assert fee is None and why, bad
