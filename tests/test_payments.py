"""`/pay` end to end: Discord sandbox + anvil + Solana sandbox, and the ledger rules that keep money right."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app import BountyBot
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.evm import LocalChain
from bot.sandbox.solana_rpc import SolanaSandbox, new_key
from bot.store import bounties, payments
from bot.store import outbox as outbox_store
from tests.conftest import People
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
    from bot.sandbox.harness import running_bot, sandbox_config

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


async def test_a_long_exchange_name_never_cuts_a_payment_link(
    pay_bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    name = "The Very Long Named Decentralised Exchange & Derivative Platform"
    assert len(name) == 64  # the longest name the intake accepts
    channel = await ready_to_pay(pay_bot, people, exchange=name)
    # The exchange and staff ask at the same moment: both get every link and QR code (drawn once for both).
    first, beside = await asyncio.gather(
        people.exchange.run("pay instructions", channel=channel), people.staff.run("pay instructions", channel=channel)
    )
    assert beside.reply.text == first.reply.text and len(beside.reply.attachments) == 6
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
    assert len(first.reply.attachments) == 6
    # The QR codes were drawn once: the next member's instructions come at once, not after a deferral.
    again = await people.exchange.run("pay instructions", channel=channel)
    links = [f["value"] for e in first.reply.embeds for f in e.get("fields", []) if "QR code" in f["name"]]
    # The module the running bot loaded (discord.py reloads extensions per bot, so not this file's import).
    render = importlib.import_module("cogs.pay._render")
    assert len(links) == 6 and all(render.cached(link) for link in links)  # drawn once, then kept
    assert [a["filename"] for a in again.reply.attachments] == [a["filename"] for a in first.reply.attachments]
