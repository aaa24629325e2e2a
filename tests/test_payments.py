"""`/pay` end to end: Discord sandbox + anvil + Solana sandbox, the ledger rules that keep money right, and the
instructions' QR codes and message sizes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from eth_utils import to_checksum_address

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.domain.models import Bounty, ExchangeType, IntakeForm, SubType
from bot.domain.payments import Chain
from bot.sandbox.discord import rules
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, Reply
from bot.sandbox.evm import LocalChain
from bot.sandbox.harness import running_bot, sandbox_config
from bot.sandbox.solana_rpc import SolanaSandbox, new_key
from bot.services.payments import Instructions, PayOption, eip681_link, solana_pay_link
from bot.store import bounties, payments
from bot.store import outbox as outbox_store
from cogs.pay._render import QrCodes, instructions_messages, qr_png
from tests.conftest import START, People
from tests.intake_helpers import start_bounty

RECEIVER_ETH = "0x60D581aEa0644e74df60c7555e5166d32665d6b6"
RECEIVER_BSC = "0xE517b826a26B439eCE92f3220628eC007049d915"
RECEIVER_SOL = "5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i"
SOL_USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDC = 10**6


async def ready_to_pay(bot: BountyBot, people: People, exchange: str = "Backpack", who: str = "exchange") -> int:
    user = getattr(people, who)
    await start_bounty(user, exchange={"exchange": exchange})
    await bot.outbox.drain()
    found = next(b for b in await bounties.list_all(bot.db.conn) if b.exchange == exchange)
    assert found.channel_id is not None
    await people.staff.run("bounty advance", channel=found.channel_id, to="review")
    await people.staff.run("bounty advance", channel=found.channel_id, to="awaiting_payment")
    return found.channel_id


def channel_texts(sandbox: DiscordSandbox, channel_id: int | str) -> list[str]:
    return [
        " ".join([m["content"]] + [f"{e.get('title', '')} {e.get('description', '')}" for e in m["embeds"]])
        for m in sandbox.state.messages[str(channel_id)]
    ]


async def pay(chain: LocalChain, payer: str, to: str, amount: int, token: str = "USDC") -> str:
    await chain.mint(chain.tokens[token], payer, amount)
    return await chain.transfer(chain.tokens[token], payer, to, amount)


async def test_instructions_give_exact_amounts_links_and_qr_codes(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    shown = await people.exchange.run("pay instructions", channel=channel)
    reply = shown.reply
    assert reply.ephemeral
    text = reply.text
    reference = await payments.reference(pay_bot.db.conn, 1)
    assert reference is not None
    assert (
        f"solana:{RECEIVER_SOL}?amount=10000&spl-token={SOL_USDC}&reference={reference}"
        "&label=Hummingbot%20Foundation&message=Connector%20bounty%20%231%20Backpack"
    ) in text
    assert (
        f"ethereum:0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48@1/transfer?address={RECEIVER_ETH}&uint256=10000000000"
    ) in text
    assert (
        "ethereum:0x55d398326f99059fF775485246999027B3197955@56/transfer?"
        f"address={RECEIVER_BSC}&uint256=10000000000000000000000"
    ) in text
    assert "(10000000000000000000000 base units, 18 decimals)" in text and "Option B · escrow" in text
    names = sorted(a["filename"] for a in reply.attachments)
    assert names == [
        "bsc-usdc.png",
        "bsc-usdt.png",
        "ethereum-usdc.png",
        "ethereum-usdt.png",
        "solana-usdc.png",
        "solana-usdt.png",
    ]
    refused = await people.outsider.run("pay instructions", channel="general", bounty=1)
    assert "You are not a member of bounty #1" in refused.reply.text


async def test_wallets_are_validated_and_locked_once_used(
    pay_bot: BountyBot, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    bad = payer[:-1] + ("A" if payer[-1] != "A" else "B")
    typo = await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=bad)
    assert "fails its EIP-55 checksum" in typo.reply.text or "40 hexadecimal" in typo.reply.text
    sol = await people.exchange.run("pay wallet", channel=channel, chain="solana", address="0x123")
    assert "is not a Solana address" in sol.reply.text
    outsider = await people.outsider.run("pay wallet", channel="general", chain="ethereum", address=payer, bounty=1)
    assert "You are not a member" in outsider.reply.text
    ok = await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer.lower())
    assert f"Registered `{payer}`" in ok.reply.text  # stored checksummed
    other = eth_chain.accounts[2]
    changed = await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=other)
    assert "Registered" in changed.reply.text
    tx = await pay(eth_chain, other, RECEIVER_ETH, 1_000 * USDC)
    await eth_chain.finalize()
    await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    locked = await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    assert "can no longer change" in locked.reply.text


async def test_submit_counts_a_final_payment_and_funds_the_bounty(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    tx = await pay(eth_chain, payer, RECEIVER_ETH, 10_000 * USDC)
    early = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "not final yet" in early.reply.text and "reason: not_final" in early.reply.text
    await eth_chain.finalize()
    done = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "Payment confirmed" in done.reply.text and "Bounty #1 is now funded" in done.reply.text
    stored = await bounties.get(pay_bot.db.conn, 1)
    assert stored is not None and stored.state is State.FUNDED
    ledger = await payments.for_bounty(pay_bot.db.conn, 1)
    assert [(p.key, p.amount, p.token) for p in ledger] == [(f"ethereum:{tx}:0", 10_000 * USDC, "USDC")]
    await pay_bot.outbox.drain()
    texts = channel_texts(sandbox, channel)
    assert any("Payment received: 10,000 USDC on Ethereum. The fee is paid in full." in t for t in texts)
    assert any("awaiting payment → funded" in t for t in texts)
    github = await outbox_store.get(pay_bot.db.conn, "bounty:1:github_issue")
    assert github is not None and github.status == "pending"  # waiting for the GitHub mirror

    again = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "already counted" in again.reply.text
    assert len(await payments.for_bounty(pay_bot.db.conn, 1)) == 1


async def test_partial_payments_add_up_and_say_what_is_owed(
    pay_bot: BountyBot, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    first = await pay(eth_chain, payer, RECEIVER_ETH, 4_000 * USDC, "USDT")
    second = await pay(eth_chain, payer, RECEIVER_ETH, 6_000 * USDC)
    await eth_chain.finalize()
    partial = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=first)
    assert "Received 4,000; 6,000 is still owed." in partial.reply.text
    assert "6,000.00 USD" in partial.reply.text
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.AWAITING_PAYMENT  # type: ignore[union-attr]
    rest = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=second)
    assert "Bounty #1 is now funded" in rest.reply.text


async def test_a_transaction_funds_one_bounty_only(pay_bot: BountyBot, people: People, eth_chain: LocalChain) -> None:
    first = await ready_to_pay(pay_bot, people)
    second = await ready_to_pay(pay_bot, people, exchange="Kraken", who="teammate")
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=first, chain="ethereum", address=payer)
    await people.teammate.run("pay wallet", channel=second, chain="ethereum", address=payer)
    tx = await pay(eth_chain, payer, RECEIVER_ETH, 10_000 * USDC)
    await eth_chain.finalize()
    both = await asyncio.gather(
        people.exchange.run("pay submit", channel=first, chain="ethereum", tx=tx),
        people.teammate.run("pay submit", channel=second, chain="ethereum", tx=tx),
    )
    texts = [o.reply.text for o in both]
    assert sum("Payment confirmed" in t for t in texts) == 1
    assert sum("already counted for bounty #" in t for t in texts) == 1
    funded = [b.state for b in await bounties.list_all(pay_bot.db.conn)]
    assert sorted(funded) == sorted([State.FUNDED, State.AWAITING_PAYMENT])


async def test_overpayment_is_counted_and_flagged_for_refund(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    tx = await pay(eth_chain, payer, RECEIVER_ETH, 11_000 * USDC)
    await eth_chain.finalize()
    done = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "1,000 more than owed" in done.reply.text and "Bounty #1 is now funded" in done.reply.text
    assert await payments.refund_flags(pay_bot.db.conn, 1) == [(f"ethereum:{tx}:0", "overpaid", 1_000 * USDC)]
    await pay_bot.outbox.drain()
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert any("Overpayment: refund 1,000 USDC to bounty #1 Backpack" in t for t in alerts)


async def test_a_payment_to_a_cancelled_bounty_is_flagged(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    await people.exchange.run("bounty cancel", channel=channel, reason="changed plans")
    tx = await pay(eth_chain, payer, RECEIVER_ETH, 10_000 * USDC)
    await eth_chain.finalize()
    done = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx)
    assert "is `cancelled` and owes nothing: staff will refund it" in done.reply.text
    assert await payments.refund_flags(pay_bot.db.conn, 1) == [(f"ethereum:{tx}:0", "cancelled", 10_000 * USDC)]
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.CANCELLED  # type: ignore[union-attr]


async def test_six_decimal_thinking_on_bsc_is_a_tiny_partial_payment(
    pay_bot: BountyBot, people: People, bsc_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    payer = bsc_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="bsc", address=payer)
    tx = await pay(bsc_chain, payer, RECEIVER_BSC, 10_000 * USDC, "USDT")  # 10,000 with 6 decimals: wrong here
    await bsc_chain.finalize()
    outcome = await people.exchange.run("pay submit", channel=channel, chain="bsc", tx=tx)
    assert "Received 0.00000001; 9,999.99999999 is still owed." in outcome.reply.text
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.AWAITING_PAYMENT  # type: ignore[union-attr]
    # What is still owed, per token: exact on BSC, rounded up (never down) where 6 decimals cannot say it.
    shown = (await people.exchange.run("pay instructions", channel=channel)).reply.text
    assert "(9999999999990000000000 base units, 18 decimals)" in shown
    assert "paid so far **0.00000001**, still owed **9,999.99999999**" in shown
    assert "(10000000000 base units, 6 decimals)" in shown
    full = await pay(bsc_chain, payer, RECEIVER_BSC, 10_000 * 10**18 - 10_000 * USDC, "USDT")
    await bsc_chain.finalize()
    rest = await people.exchange.run("pay submit", channel=channel, chain="bsc", tx=full)
    assert "Bounty #1 is now funded" in rest.reply.text


async def test_malformed_input_is_explained(pay_bot: BountyBot, people: People) -> None:
    channel = await ready_to_pay(pay_bot, people)
    bad = await people.exchange.run("pay submit", channel=channel, chain="ethereum", tx="0x1234")
    assert "is not a Ethereum transaction hash" in bad.reply.text or "is not an Ethereum" in bad.reply.text
    sol = await people.exchange.run("pay submit", channel=channel, chain="solana", tx="0x" + "ab" * 32)
    assert "is not a Solana transaction signature" in sol.reply.text


async def test_the_watcher_confirms_evm_and_solana_payments_by_itself(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain, solana_rpc: SolanaSandbox
) -> None:
    first = await ready_to_pay(pay_bot, people)
    second = await ready_to_pay(pay_bot, people, exchange="Kraken", who="teammate")
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=first, chain="ethereum", address=payer)
    assert (await pay_bot.watch.scan()).found == 0  # nothing paid yet
    await pay(eth_chain, payer, RECEIVER_ETH, 10_000 * USDC)
    assert (await pay_bot.watch.scan()).found == 0  # not final yet
    await eth_chain.finalize()

    await people.teammate.run("pay instructions", channel=second)  # creates the Solana Pay reference key
    reference = await payments.reference(pay_bot.db.conn, 2)
    assert reference is not None
    solana_rpc.transfer(
        payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=10_000 * USDC, reference=reference
    )
    report = await pay_bot.watch.scan()
    assert report.found == 2 and report.unavailable == ()
    states = {b.exchange: b.state for b in await bounties.list_all(pay_bot.db.conn)}
    assert states == {"Backpack": State.FUNDED, "Kraken": State.FUNDED}
    assert (await pay_bot.watch.scan()).found == 0  # nothing is counted twice


async def test_an_rpc_outage_is_reported_once_and_never_read_as_unpaid(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People, eth_chain: LocalChain
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=eth_chain.accounts[1])
    eth_chain.process.send_signal(19)  # SIGSTOP: the node stops answering
    try:
        first = await pay_bot.watch.scan()
        second = await pay_bot.watch.scan()
    finally:
        eth_chain.process.send_signal(18)  # SIGCONT
    assert first.unavailable == ("ethereum",) and second.unavailable == ("ethereum",)
    await pay_bot.outbox.drain()
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert sum("Ethereum RPC unreachable" in t for t in alerts) == 1
    assert (await bounties.get(pay_bot.db.conn, 1)).state is State.AWAITING_PAYMENT  # type: ignore[union-attr]
    await pay_bot.watch.scan()
    await pay_bot.outbox.drain()
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert sum("Ethereum RPC reachable again" in t for t in alerts) == 1


async def test_escrow_is_declared_by_staff_and_audited(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel = await ready_to_pay(pay_bot, people)
    chosen = await people.exchange.run("pay escrow", channel=channel)
    assert "Option B chosen for bounty #1" in chosen.reply.text
    refused = await people.exchange.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000")
    assert refused.reply.text == "Only Foundation staff can confirm an escrow payment."
    bad = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE 1", amount="ten")
    assert "Reference:" in bad.reply.text and "Amount: `ten`" in bad.reply.text
    part = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="2500.50")
    assert "7,499.50 USD" in part.reply.text
    done = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-2", amount="7,499.50")
    assert "Bounty #1 is now funded" in done.reply.text
    again = await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-2", amount="7499.50")
    assert "already counted" in again.reply.text
    trail = await people.staff.run("audit", channel=channel)
    assert trail.reply.text.count("payment_recorded") == 2 and "escrow_chosen" in trail.reply.text
    await pay_bot.outbox.drain()
    alerts = channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert any("Escrow chosen: bounty #1 Backpack" in t for t in alerts)


@pytest.fixture
async def slow_rpc(solana_rpc: SolanaSandbox) -> AsyncIterator[str]:
    """A Solana endpoint that answers correctly, but only after 2.5 seconds."""
    import aiohttp

    async def slow(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(2.5)
        async with (
            aiohttp.ClientSession() as session,
            session.post(solana_rpc.url, data=body, headers={"Content-Type": "application/json"}) as upstream,
        ):
            return web.Response(body=await upstream.read(), content_type="application/json")

    app = web.Application()
    app.router.add_post("/", slow)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await runner.cleanup()


async def test_a_slow_rpc_gets_a_deferred_follow_up(
    sandbox: DiscordSandbox,
    tmp_path,
    clock,
    people: People,  # type: ignore[no-untyped-def]
    slow_rpc: str,
    solana_rpc: SolanaSandbox,
) -> None:
    config = sandbox_config(
        sandbox,
        tmp_path / "slow.db",
        chains={"solana": {"rpc_urls": [slow_rpc]}},
        payments={"rpc_timeout_seconds": 5.0},
    )
    async with running_bot(config, clock=clock) as bot:
        channel = await ready_to_pay(bot, people)
        payer = new_key()
        await people.exchange.run("pay wallet", channel=channel, chain="solana", address=payer)
        sig = solana_rpc.transfer(payer=payer, recipient=RECEIVER_SOL, mint=SOL_USDC, amount=10_000 * USDC)
        outcome = await people.exchange.run("pay submit", channel=channel, chain="solana", tx=sig, wait=10)
        assert outcome.interaction.callback is not None and outcome.interaction.callback["type"] == 5
        # No timing here: a deferral (type 5) is only ever sent before the RPC's answer, and the sandbox
        # refuses (10062) any acknowledgement after Discord's 3 s, so this reply proves both.
        assert "Bounty #1 is now funded" in outcome.reply.text


# --- the instructions' size, and their QR codes -------------------------------------------------------------


def embed_chars(message: dict[str, Any]) -> int:
    """What Discord counts against a message's 6,000: titles, descriptions, fields, footers and authors."""
    total = 0
    for e in message.get("embeds") or []:
        total += len(e.get("title") or "") + len(e.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields") or [])
        total += len((e.get("footer") or {}).get("text") or "") + len((e.get("author") or {}).get("name") or "")
    return total


def shown_links(embeds: list[dict[str, Any]]) -> list[str]:
    """Each payment link as shown: a field's value, or the description of an embed of its own."""
    in_fields = [f["value"] for e in embeds for f in e.get("fields", []) if "(QR code: " in f["name"]]
    return in_fields + [e["description"] for e in embeds if "(QR code: " in e.get("title", "")]


def qr_names(embeds: list[dict[str, Any]]) -> list[str]:
    """The QR code each shown link names (its label ends "(QR code: name.png)")."""
    labels = [f["name"] for e in embeds for f in e.get("fields", [])] + [e.get("title", "") for e in embeds]
    return [label.split("(QR code: ")[1].rstrip(")") for label in labels if "(QR code: " in label]


async def all_replies(outcome: Outcome, attachments: int) -> list[Reply]:
    """The answer's messages, once `attachments` QR codes have arrived across them."""
    ix = outcome.interaction
    async with asyncio.timeout(10):
        while sum(len(r.attachments) for r in outcome.followups) < attachments:
            ix.changed.clear()
            await ix.changed.wait()
    return outcome.followups  # the first replaced the "thinking…" reply; the rest followed it


def counting(draws: list[str]) -> Callable[[str], bytes]:
    """The real drawing, noting each link it draws."""

    def draw(link: str) -> bytes:
        draws.append(link)
        return qr_png(link)

    return draw


async def test_a_long_exchange_name_never_cuts_a_payment_link(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    name = "The Very Long Named Decentralised Exchange & Derivative Platform"
    assert len(name) == 64  # the longest name the intake accepts
    channel = await ready_to_pay(pay_bot, people, exchange=name)
    # The cog's QR codes, drawn by the real drawing counted (the class the bot loaded: discord.py imports
    # each extension afresh per bot, so not necessarily this file's).
    cog: Any = pay_bot.get_cog("PayCog")
    draws: list[str] = []
    cog.qr_codes = type(cog.qr_codes)(draw=counting(draws))
    # The exchange and staff ask at the same moment: both get every link and QR code, drawn once for both.
    first, beside = await asyncio.gather(
        people.exchange.run("pay instructions", channel=channel), people.staff.run("pay instructions", channel=channel)
    )
    assert beside.reply.text == first.reply.text and len(beside.reply.attachments) == 6
    assert len(draws) == 6
    reference = await payments.reference(pay_bot.db.conn, 1)
    link = (
        f"solana:{RECEIVER_SOL}?amount=10000&spl-token={SOL_USDC}&reference={reference}"
        "&label=Hummingbot%20Foundation&message=Connector%20bounty%20%231%20The%20Very%20Long"
    )
    text = first.reply.text
    start = text.index(link)
    whole = text[start:].split()[0]
    assert whole.endswith("Platform")  # the whole link, not one cut at a field's 1,024 characters
    for embed in first.reply.embeds:
        assert all(len(f["value"]) <= 1024 for f in embed.get("fields", []))
    # With the configured tokens it all fits one message: six links, six QR codes, within 6,000 characters.
    assert len(shown_links(first.reply.embeds)) == 6 and len(first.reply.attachments) == 6
    assert embed_chars(first.reply.message) <= 6000
    # Drawn once, then kept by the cog: the next member's instructions draw nothing.
    again = await people.exchange.run("pay instructions", channel=channel)
    assert len(draws) == 6
    assert [a["filename"] for a in again.reply.attachments] == [a["filename"] for a in first.reply.attachments]


async def test_instructions_too_big_for_one_message_come_in_several(
    sandbox: DiscordSandbox,
    tmp_path: Path,
    clock: ManualClock,
    people: People,
    eth_chain: LocalChain,
    bsc_chain: LocalChain,
    solana_rpc: SolanaSandbox,
) -> None:
    # The largest answer: a 64-character name at its longest in a link (each & is %26 there), and eight
    # tokens configured on every chain: 24 links and QR codes, more than one message can carry (10 files,
    # 6,000 characters). The sandbox refuses any message past Discord's limits, so every one here is proof.
    name = "Q" + "&" * 63
    symbols = ["USDC", "USDT", "PYUSD", "FDUSD", "USDE", "DAI", "TUSD", "USDP"]
    evm = [
        {"symbol": s, "address": to_checksum_address(f"0x{i + 1:040x}"), "decimals": 18} for i, s in enumerate(symbols)
    ]
    sol = [{"symbol": s, "address": new_key(), "decimals": 6} for s in symbols]
    config = sandbox_config(
        sandbox,
        tmp_path / "tokens.db",
        chains={
            "ethereum": {"rpc_urls": [eth_chain.url], "tokens": evm},
            "bsc": {"rpc_urls": [bsc_chain.url], "tokens": evm},
            "solana": {"rpc_urls": [solana_rpc.url], "tokens": sol},
        },
    )
    async with running_bot(config, clock=clock) as bot:
        channel = await ready_to_pay(bot, people, exchange=name)
        shown = await people.exchange.run("pay instructions", channel=channel)
        replies = await all_replies(shown, attachments=24)
        bounty = await bounties.get(bot.db.conn, 1)
        reference = await payments.reference(bot.db.conn, 1)
    assert bounty is not None and reference is not None
    assert len(replies) > 1 and replies[0].embeds[0]["title"] == f"Paying for bounty #1 · {name}"
    for reply in replies:
        assert reply.ephemeral
        assert len(reply.embeds) <= 10 and len(reply.attachments) <= 10 and embed_chars(reply.message) <= 6000
        # Each QR code travels with the link it holds.
        assert sorted(a["filename"] for a in reply.attachments) == sorted(qr_names(reply.embeds))
    expected = [eip681_link(t["address"], 1, RECEIVER_ETH, 10_000 * 10**18) for t in evm]
    expected += [eip681_link(t["address"], 56, RECEIVER_BSC, 10_000 * 10**18) for t in evm]
    expected += [solana_pay_link(RECEIVER_SOL, 10_000 * USDC, 6, t["address"], reference, bounty) for t in sol]
    assert all(link.endswith("%20Q" + "%26" * 63) for link in expected[16:])
    # Every link whole, each once, in the configured order.
    assert [link for reply in replies for link in shown_links(reply.embeds)] == expected


def instructions_with(links: dict[Chain, list[str]]) -> Instructions:
    """Instructions for a bounty with the longest name, showing `links` per chain (a token for each link)."""
    form = IntakeForm(
        exchange="The Very Long Named Decentralised Exchange & Derivative Platform",
        website="https://example.com",
        exchange_type=ExchangeType.CLOB,
        subtypes=(SubType.SPOT,),
        contact="bd@example.com",
        timeline="",
        api_docs_rest="https://docs.example.com",
        api_docs_ws="",
        auth_method="HMAC",
        rate_limits="10/s",
        testnet_url="",
        special_features="",
    )
    bounty = Bounty(1, 1, 1, form, State.AWAITING_PAYMENT, START, 10_000, START, 1)
    receivers = {Chain.ETHEREUM: RECEIVER_ETH, Chain.BSC: RECEIVER_BSC, Chain.SOLANA: RECEIVER_SOL}
    options = [
        PayOption(chain, f"TOKEN{i}", SOL_USDC, 18, 10_000 * 10**18, receivers[chain], link)
        for chain, chain_links in links.items()
        for i, link in enumerate(chain_links)
    ]
    wallets = {"ethereum": RECEIVER_BSC, "bsc": RECEIVER_ETH}
    return Instructions(bounty, 10_000 * 10**18, 0, options, "ref", "https://example.com/escrow", wallets)


@pytest.mark.parametrize(
    "lengths",
    [
        # Links too long for a field (1,024), most an embed of their own: over 45,000 characters of links.
        [1_000, 1_025, 2_000, 3_000, 4_000, 4_096],
        # Thirty tokens on every chain: chain embeds continue in others; 90 QR codes, ten a message at most.
        [450] * 30,
    ],
    ids=["long links", "many tokens"],
)
def test_instructions_split_into_messages_discord_accepts(lengths: list[int]) -> None:
    links = {
        chain: [
            f"{chain.value}:{chain.value[0]}{i}?" + "x" * (n - len(f"{chain.value}:{chain.value[0]}{i}?"))
            for i, n in enumerate(lengths)
        ]
        for chain in Chain
    }
    found = instructions_with(links)
    messages = instructions_messages(found, {o.link: b"PNG" for o in found.options})  # the codes are not read
    assert len(messages) > 1
    shown: list[str] = []
    for embeds, files in messages:
        body = {"embeds": [e.to_dict() for e in embeds]}
        rules.check_message(body, files=len(files))  # Discord's limits, as the sandbox enforces them
        assert len(embeds) <= 10 and len(files) <= 10 and embed_chars(body) <= 6000
        assert sorted(f.filename for f in files) == sorted(qr_names(body["embeds"]))
        shown += shown_links(body["embeds"])
    assert shown == [o.link for o in found.options]  # every link whole, once, in order
    assert messages[0][0][0].title == f"Paying for bounty #1 · {found.bounty.exchange}"


SIX = [f"ethereum:0x{i:040x}@1/transfer?address={RECEIVER_ETH}&uint256=10000000000" for i in range(6)]


async def test_asking_for_the_same_new_links_at_once_draws_each_once() -> None:
    draws: list[str] = []
    codes = QrCodes(draw=counting(draws))
    first, second = await asyncio.gather(codes.get(SIX), codes.get(SIX))
    assert sorted(draws) == sorted(SIX)
    assert first == second == {link: qr_png(link) for link in SIX}
    assert await codes.get(SIX) == first and len(draws) == 6  # kept


async def test_an_asker_cancelled_while_waiting_leaves_the_drawing_to_the_others() -> None:
    drawing, go_on = threading.Event(), threading.Event()
    draws: list[str] = []

    def slow(link: str) -> bytes:
        draws.append(link)
        drawing.set()
        go_on.wait(10)
        return qr_png(link)

    codes = QrCodes(draw=slow)
    try:
        first = asyncio.create_task(codes.get(SIX))
        await asyncio.to_thread(drawing.wait, 10)
        second = asyncio.create_task(codes.get(SIX))
        await asyncio.sleep(0)  # the second asker now waits for the drawings the first started
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
    finally:
        go_on.set()
    assert await second == {link: qr_png(link) for link in SIX}
    assert sorted(draws) == sorted(SIX)  # nothing drawn twice, nothing abandoned


async def test_a_failed_drawing_reaches_everyone_waiting_and_is_tried_again() -> None:
    draws: list[str] = []

    def failing_once(link: str) -> bytes:
        draws.append(link)
        if len(draws) == 1:
            raise ValueError("out of ink")
        return qr_png(link)

    codes = QrCodes(draw=failing_once)
    both = await asyncio.gather(codes.get(SIX[:1]), codes.get(SIX[:1]), return_exceptions=True)
    assert [type(r) for r in both] == [ValueError, ValueError] and len(draws) == 1
    assert await codes.get(SIX[:1]) == {SIX[0]: qr_png(SIX[0])} and len(draws) == 2


async def test_a_code_evicted_while_its_asker_waits_is_still_given() -> None:
    codes = QrCodes(size=2)
    a, d, e = SIX[:3]
    await codes.get([a])
    # One asker draws d and e; another wants e (being drawn) and a (kept). Keeping d and e evicts a
    # while the second still waits for e: it took a before waiting, so it gets both.
    drew, both = await asyncio.gather(codes.get([d, e]), codes.get([e, a]))
    assert both == {e: qr_png(e), a: qr_png(a)} and drew == {d: qr_png(d), e: qr_png(e)}
    assert not codes.cached(a) and codes.cached(d) and codes.cached(e)
    # Least recently used goes first: asking for d again keeps it over e.
    await codes.get([d])
    await codes.get([a])
    assert codes.cached(d) and codes.cached(a) and not codes.cached(e)
