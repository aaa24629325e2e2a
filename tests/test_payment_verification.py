"""DESIGN.md §6, rule by rule, each with a transaction that tries to break it.

EVM: real transfers on anvil (chain 1 with 6-decimal tokens, chain 56 with 18) at the real USDC/USDT
addresses, plus receipts recorded from Ethereum mainnet. Solana: solana-py against the sandbox JSON-RPC
with mainnet's jsonParsed shapes, plus a recorded mainnet transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Config, parse_config
from bot.domain.payments import (
    Chain,
    Reason,
    evm_address_problem,
    payment_key,
    show,
    solana_address_problem,
    tx_problem,
)
from bot.integrations.evm import EvmClient
from bot.sandbox.evm import LocalChain, start_chain
from bot.sandbox.evm_recorded import RecordedEvmRpc
from bot.sandbox.solana_rpc import TOKEN_2022, SolanaSandbox, new_key
from bot.services.verification import ChainClients, Verifier

FIXTURES = Path(__file__).parent / "fixtures" / "mainnet"
ETH_USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
ETH_USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
BSC_USDC = "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d"
BSC_USDT = "0x55d398326f99059fF775485246999027B3197955"
SOL_USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
RECEIVER_ETH = "0x60D581aEa0644e74df60c7555e5166d32665d6b6"
RECEIVER_SOL = "5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i"
FEE_6 = 10_000 * 10**6
FEE_18 = 10_000 * 10**18

needs_anvil = pytest.mark.usefixtures("anvil_installed")


def verifier_for(**rpc: list[str]) -> Verifier:
    chains = {name: {"rpc_urls": urls} for name, urls in rpc.items()}
    config: Config = parse_config(
        {"discord": {"guild_id": 1}, "chains": chains, "payments": {"rpc_timeout_seconds": 1.0}}, {}
    )
    return Verifier(config, ChainClients.from_config(config))


@pytest.fixture
async def eth() -> AsyncIterator[LocalChain]:
    chain = await start_chain(1, {"USDC": (ETH_USDC, 6), "USDT": (ETH_USDT, 6)})
    yield chain
    await chain.stop()


@pytest.fixture
async def solana() -> AsyncIterator[SolanaSandbox]:
    sb = SolanaSandbox()
    await sb.start()
    yield sb
    await sb.stop()


# --- input validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0x60D581aEa0644e74df60c7555e5166d32665d6b6", None),
        ("0x60d581aea0644e74df60c7555e5166d32665d6b6", None),  # no checksum given: accepted and checksummed
        ("0x60D581aEa0644e74df60c7555e5166d32665d6B6", "fails its EIP-55 checksum"),
        ("0x60D581aEa0644e74df60c7555e5166d32665d6b", "40 hexadecimal characters"),
        ("60D581aEa0644e74df60c7555e5166d32665d6b6", "40 hexadecimal characters"),
        ("0xZZD581aEa0644e74df60c7555e5166d32665d6b6", "40 hexadecimal characters"),
    ],
)
def test_evm_addresses_are_checked(value: str, expected: str | None) -> None:
    problem = evm_address_problem(value)
    assert (problem is None) if expected is None else (expected in (problem or ""))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (RECEIVER_SOL, None),
        ("5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8I", "base58"),  # I is not base58
        ("5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593", "32 bytes"),
        ("0x60D581aEa0644e74df60c7555e5166d32665d6b6", "base58"),
    ],
)
def test_solana_addresses_are_checked(value: str, expected: str | None) -> None:
    problem = solana_address_problem(value)
    assert (problem is None) if expected is None else (expected in (problem or ""))


def test_transaction_hashes_are_checked() -> None:
    assert tx_problem(Chain.ETHEREUM, "0x" + "ab" * 32) is None
    assert "64 hexadecimal" in (tx_problem(Chain.BSC, "0x" + "ab" * 31) or "")
    assert "64 hexadecimal" in (tx_problem(Chain.ETHEREUM, "ab" * 32) or "")
    assert "Solana transaction signature" in (tx_problem(Chain.SOLANA, "0x" + "ab" * 32) or "")


def test_amounts_are_exact_integers() -> None:
    assert show(FEE_6, 6) == "10,000" and show(FEE_18, 18) == "10,000"
    assert show(1, 18) == "0.000000000000000001"
    assert show(10_000 * 10**6, 18) == "0.00000001"  # 6-decimal thinking on an 18-decimal chain


# --- EVM on anvil ---------------------------------------------------------------------------------


@needs_anvil
async def test_a_final_transfer_from_the_registered_wallet_counts(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    payer = eth.accounts[1]
    await eth.mint(eth.tokens["USDT"], payer, FEE_6)
    tx = await eth.transfer(eth.tokens["USDT"], payer, RECEIVER_ETH, FEE_6)
    expect = verifier.expectation(Chain.ETHEREUM, sender=payer)
    early = await verifier.check(Chain.ETHEREUM, tx, expect)
    assert early.reason is Reason.NOT_FINAL and "not final yet; it will be in about 1 minute" in early.message
    await eth.finalize()
    verdict = await verifier.check(Chain.ETHEREUM, tx, expect)
    assert verdict.reason is Reason.PAID and verdict.amount == FEE_6
    assert [m.key for m in verdict.matches] == [payment_key(Chain.ETHEREUM, tx, 0)]
    assert verdict.matches[0].token.symbol == "USDT"


@needs_anvil
async def test_a_look_alike_token_is_refused_by_address(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    payer = eth.accounts[1]
    fake = await eth.deploy_token(6)  # the same code, decimals and "symbol", at another address
    await eth.mint(fake, payer, FEE_6)
    tx = await eth.transfer(fake, payer, RECEIVER_ETH, FEE_6)
    await eth.finalize()
    verdict = await verifier.check(Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender=payer))
    assert verdict.reason is Reason.WRONG_TOKEN and fake.lower() in verdict.message.lower()
    assert verdict.matches == ()


@needs_anvil
async def test_the_wrong_recipient_and_the_wrong_sender_are_named(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    payer, stranger = eth.accounts[1], eth.accounts[2]
    usdc = eth.tokens["USDC"]
    for who in (payer, stranger):
        await eth.mint(usdc, who, FEE_6)
    elsewhere = await eth.transfer(usdc, payer, eth.accounts[3], FEE_6)
    other_wallet = await eth.transfer(usdc, stranger, RECEIVER_ETH, FEE_6)
    await eth.finalize()
    expect = verifier.expectation(Chain.ETHEREUM, sender=payer)
    wrong_to = await verifier.check(Chain.ETHEREUM, elsewhere, expect)
    assert wrong_to.reason is Reason.WRONG_RECIPIENT and eth.accounts[3].lower() in wrong_to.message.lower()
    wrong_from = await verifier.check(Chain.ETHEREUM, other_wallet, expect)
    assert wrong_from.reason is Reason.WRONG_SENDER and stranger.lower() in wrong_from.message.lower()
    unregistered = await verifier.check(Chain.ETHEREUM, other_wallet, verifier.expectation(Chain.ETHEREUM, sender=None))
    assert unregistered.reason is Reason.WRONG_SENDER and "/pay wallet" in unregistered.message


@needs_anvil
async def test_a_reverted_transfer_never_counts(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    payer = eth.accounts[1]
    tx = await eth.transfer(eth.tokens["USDC"], payer, RECEIVER_ETH, FEE_6, gas=100_000)  # no balance: reverts
    await eth.finalize()
    verdict = await verifier.check(Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender=payer))
    assert verdict.reason is Reason.FAILED and verdict.matches == ()


@needs_anvil
async def test_transfer_from_counts_for_the_token_payer_not_the_caller(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    payer, spender = eth.accounts[1], eth.accounts[4]
    await eth.mint(eth.tokens["USDC"], payer, FEE_6)
    tx = await eth.transfer_from(eth.tokens["USDC"], spender, payer, RECEIVER_ETH, FEE_6)
    await eth.finalize()
    assert (
        await verifier.check(Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender=payer))
    ).reason is Reason.PAID
    assert (
        await verifier.check(Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender=spender))
    ).reason is Reason.WRONG_SENDER


@needs_anvil
async def test_an_unknown_hash_is_not_found(eth: LocalChain) -> None:
    verifier = verifier_for(ethereum=[eth.url])
    verdict = await verifier.check(Chain.ETHEREUM, "0x" + "12" * 32, verifier.expectation(Chain.ETHEREUM, sender=None))
    assert verdict.reason is Reason.NOT_FOUND and "check the hash and the chain" in verdict.message


@needs_anvil
async def test_bsc_uses_18_decimals() -> None:
    bsc = await start_chain(56, {"USDC": (BSC_USDC, 18), "USDT": (BSC_USDT, 18)})
    try:
        verifier = verifier_for(bsc=[bsc.url])
        payer = bsc.accounts[1]
        await bsc.mint(bsc.tokens["USDT"], payer, FEE_18)
        six_decimal_thinking = await bsc.transfer(
            bsc.tokens["USDT"], payer, "0xE517b826a26B439eCE92f3220628eC007049d915", FEE_6
        )
        await bsc.finalize()
        verdict = await verifier.check(Chain.BSC, six_decimal_thinking, verifier.expectation(Chain.BSC, sender=payer))
        assert verdict.reason is Reason.PAID and verdict.amount == FEE_6
        assert verdict.matches[0].token.decimals == 18  # the ledger will see 0.00000001 USDT, not 10,000
    finally:
        await bsc.stop()


@needs_anvil
async def test_rpc_endpoints_are_tried_in_turn_and_counted(eth: LocalChain) -> None:
    dead = "http://127.0.0.1:9"  # nothing listens there
    verifier = verifier_for(ethereum=[dead, eth.url])
    payer = eth.accounts[1]
    await eth.mint(eth.tokens["USDC"], payer, FEE_6)
    tx = await eth.transfer(eth.tokens["USDC"], payer, RECEIVER_ETH, FEE_6)
    await eth.finalize()
    verdict = await verifier.check(Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender=payer))
    assert verdict.reason is Reason.PAID
    solo = verifier_for(ethereum=[eth.url])
    await solo.check(Chain.ETHEREUM, tx, solo.expectation(Chain.ETHEREUM, sender=payer))
    assert solo.clients.calls() <= 3  # the budget: receipt and finalized block


# --- RPC failures are "could not tell", never "not paid" -------------------------------------------


async def _stub(handler: web.Handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


async def test_an_rpc_that_times_out_is_unavailable_not_unpaid() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    runner, url = await _stub(slow)
    try:
        verifier = verifier_for(ethereum=[url])
        verdict = await verifier.check(
            Chain.ETHEREUM, "0x" + "ab" * 32, verifier.expectation(Chain.ETHEREUM, sender=None)
        )
        assert verdict.reason is Reason.RPC_UNAVAILABLE and "Nothing is lost" in verdict.message
        assert url.split(":")[-1] not in verdict.message or "127.0.0.1" in verdict.message  # host only, no path
    finally:
        await runner.cleanup()


async def test_an_rpc_answering_errors_is_unavailable(solana: SolanaSandbox) -> None:
    async def broken(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": "busy"}})

    runner, url = await _stub(broken)
    try:
        verifier = verifier_for(ethereum=[url], solana=[solana.url])
        verdict = await verifier.check(
            Chain.ETHEREUM, "0x" + "ab" * 32, verifier.expectation(Chain.ETHEREUM, sender=None)
        )
        assert verdict.reason is Reason.RPC_UNAVAILABLE
        solana.fail = "error"
        sig = solana.transfer(payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6)
        sol = await verifier.check(Chain.SOLANA, sig, verifier.expectation(Chain.SOLANA, sender=None))
        assert sol.reason is Reason.RPC_UNAVAILABLE
    finally:
        await runner.cleanup()


# --- recorded mainnet responses -------------------------------------------------------------------


@pytest.fixture
async def recorded() -> AsyncIterator[RecordedEvmRpc]:
    rpc = RecordedEvmRpc(FIXTURES)
    await rpc.start()
    yield rpc
    await rpc.stop()


def mainnet_verifier(url: str, receiver: str) -> Verifier:
    config = parse_config(
        {"discord": {"guild_id": 1}, "chains": {"ethereum": {"rpc_urls": [url], "receiver": receiver}}}, {}
    )
    return Verifier(config, ChainClients.from_config(config))


async def test_a_recorded_mainnet_usdc_transfer_is_read_exactly(recorded: RecordedEvmRpc) -> None:
    tx = "0x513a4abc759c2d30fd7f5a7e5239e72fccc1b24491b1ed99fa9f24b96e36fc88"
    verifier = mainnet_verifier(recorded.url, "0x91a559d248a216d1dd17c4d39f51bda9bd1de7e2")
    verdict = await verifier.check(
        Chain.ETHEREUM, tx, verifier.expectation(Chain.ETHEREUM, sender="0x7b60e46eba142b7e95e967c1e34cfb862385ee53")
    )
    assert verdict.reason is Reason.PAID and verdict.amount == 1_800_000_000
    assert verdict.matches[0].key == f"ethereum:{tx}:176"  # log index 0xb0


async def test_recorded_transfer_from_and_reverted_and_statusless_receipts(recorded: RecordedEvmRpc) -> None:
    verifier = mainnet_verifier(recorded.url, "0x01c74100d2ac9a3aa4e4cf2f5d3a8bb2e4d7b79a")
    usdt_from = next(h for h in recorded.receipts if h.startswith("0xcf2e9d72"))
    payer = "0xcfc9a13f" + "0" * 0  # the token payer, not the transaction's sender
    receipt = recorded.receipts[usdt_from]
    payer = "0x" + receipt["logs"][0]["topics"][1][-40:]
    receiver = "0x" + receipt["logs"][0]["topics"][2][-40:]
    verifier = mainnet_verifier(recorded.url, receiver)
    verdict = await verifier.check(Chain.ETHEREUM, usdt_from, verifier.expectation(Chain.ETHEREUM, sender=payer))
    assert verdict.reason is Reason.PAID and verdict.amount == 214_354_782
    tx_sender = receipt["from"]
    assert (
        await verifier.check(Chain.ETHEREUM, usdt_from, verifier.expectation(Chain.ETHEREUM, sender=tx_sender))
    ).reason is Reason.WRONG_SENDER
    for prefix in ("0x2358b391", "0x3104e59d", "0x3baa13bd", "0x763a6deb", "0x5e8969e7"):
        reverted = next(h for h in recorded.receipts if h.startswith(prefix))
        assert (
            await verifier.check(Chain.ETHEREUM, reverted, verifier.expectation(Chain.ETHEREUM, sender=payer))
        ).reason is Reason.FAILED
    old = next(h for h in recorded.receipts if h.startswith("0x2e3dcd05"))
    statusless = await verifier.check(Chain.ETHEREUM, old, verifier.expectation(Chain.ETHEREUM, sender=payer))
    assert statusless.reason is Reason.FAILED and "no success status" in statusless.message


async def test_every_transfer_in_a_recorded_block_parses(recorded: RecordedEvmRpc) -> None:
    from bot.integrations.evm import transfers_in

    usdc_transfers = [
        t for r in recorded.receipts.values() for t in transfers_in(r["logs"]) if t.token == ETH_USDC.lower()
    ]
    assert any(t.amount == 1_800_000_000 for t in usdc_transfers)


async def test_recorded_bsc_logs_parse_for_the_watcher(recorded: RecordedEvmRpc) -> None:
    client = EvmClient(Chain.BSC, [recorded.url], timeout=2, finality="finalized")
    found = await client.transfers_to("0xe9e7cea3dedca5984780bafc599bd69add087d56", "0x" + "0" * 40, None, 1, 2)
    # 11 logs were recorded: 9 Transfer events and 2 Approval events, which must not be read as payments.
    assert len(recorded.logs) == 11 and len(found) == 9
    assert all(tx.startswith("0x") and len(tx) == 66 for tx, _ in found)
    assert {t.index for _, t in found} == {0x5, 0x9, 0x1F, 0x69, 0x6D, 0x8A, 0xA8, 0xE4, 0xF4}


# --- Solana -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"kind": "transfer"},
        {"create_account": True},
        {"program": TOKEN_2022},
        {"inner": True},
    ],
)
async def test_solana_transfers_count_in_every_mainnet_shape(solana: SolanaSandbox, shape: dict[str, object]) -> None:
    verifier = verifier_for(solana=[solana.url])
    payer = new_key()
    sig = solana.transfer(payer=payer, recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6, **shape)  # type: ignore[arg-type]
    verdict = await verifier.check(Chain.SOLANA, sig, verifier.expectation(Chain.SOLANA, sender=payer))
    assert verdict.reason is Reason.PAID and verdict.amount == FEE_6, verdict.message


async def test_solana_breakers(solana: SolanaSandbox) -> None:
    verifier = verifier_for(solana=[solana.url])
    payer = new_key()
    expect = verifier.expectation(Chain.SOLANA, sender=payer)
    pending = solana.transfer(payer=payer, recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6, finalized=False)
    assert (await verifier.check(Chain.SOLANA, pending, expect)).reason is Reason.NOT_FINAL
    solana.finalize(pending)
    assert (await verifier.check(Chain.SOLANA, pending, expect)).reason is Reason.PAID
    failed = solana.transfer(payer=payer, recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6, failed=True)
    assert (await verifier.check(Chain.SOLANA, failed, expect)).reason is Reason.FAILED
    fake_mint = new_key()
    fake = solana.transfer(payer=payer, recipient=RECEIVER_SOL, mint=fake_mint, amount=FEE_6)
    wrong = await verifier.check(Chain.SOLANA, fake, expect)
    assert wrong.reason is Reason.WRONG_TOKEN and fake_mint in wrong.message
    elsewhere = solana.transfer(payer=payer, recipient=new_key(), mint=SOL_USDC, amount=FEE_6)
    assert (await verifier.check(Chain.SOLANA, elsewhere, expect)).reason is Reason.WRONG_RECIPIENT
    stranger = solana.transfer(payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6)
    assert (await verifier.check(Chain.SOLANA, stranger, expect)).reason is Reason.WRONG_SENDER
    missing = str(__import__("solders.signature", fromlist=["Signature"]).Signature.new_unique())
    assert (await verifier.check(Chain.SOLANA, missing, expect)).reason is Reason.NOT_FOUND


async def test_a_solana_pay_reference_identifies_the_bounty_without_a_wallet(solana: SolanaSandbox) -> None:
    verifier = verifier_for(solana=[solana.url])
    reference = new_key()
    sig = solana.transfer(payer=new_key(), recipient=RECEIVER_SOL, mint=SOL_USDC, amount=FEE_6, reference=reference)
    verdict = await verifier.check(
        Chain.SOLANA, sig, verifier.expectation(Chain.SOLANA, sender=None, reference=reference)
    )
    assert verdict.reason is Reason.PAID
    other = await verifier.check(
        Chain.SOLANA, sig, verifier.expectation(Chain.SOLANA, sender=None, reference=new_key())
    )
    assert other.reason is Reason.WRONG_SENDER
    assert await verifier.clients.solana.signatures_for(reference) == [sig]


async def test_the_recorded_mainnet_solana_transfer_with_a_new_token_account(solana: SolanaSandbox) -> None:
    sig = solana.load_recorded(
        FIXTURES / "solana" / "getTransaction_jsonParsed_usdc_transferChecked_2S2rTZ.response.json"
    )
    config = parse_config(
        {
            "discord": {"guild_id": 1},
            "chains": {
                "solana": {"rpc_urls": [solana.url], "receiver": "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"}
            },
        },
        {},
    )
    verifier = Verifier(config, ChainClients.from_config(config))
    verdict = await verifier.check(
        Chain.SOLANA, sig, verifier.expectation(Chain.SOLANA, sender="8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t")
    )
    assert verdict.reason is Reason.PAID and verdict.amount == 1000  # created in the same tx: starts from 0
    assert verdict.matches[0].key == f"solana:{sig}:2"


def test_settling_is_exact_across_decimals() -> None:
    from bot.domain.payments import Match, Token, normalized, settle

    usdc6 = Token("USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6)
    usdt18 = Token("USDT", "0x55d398326f99059fF775485246999027B3197955", 18)
    owed = normalized(10_000 * 10**6, 6)
    exact = settle((Match("k", usdt18, 10_000 * 10**18, "a", "b"),), owed)
    assert exact.reason is Reason.PAID
    one_wei_short = settle((Match("k", usdt18, 10_000 * 10**18 - 1, "a", "b"),), owed)
    assert one_wei_short.reason is Reason.PARTIAL and "0.000000000000000001 is still owed" in one_wei_short.message
    over = settle((Match("k", usdc6, 11_000 * 10**6, "a", "b"),), owed)
    assert over.reason is Reason.OVERPAID and "1,000 more than owed" in over.message
    two = settle((Match("a", usdc6, 4_000 * 10**6, "x", "y"), Match("b", usdc6, 6_000 * 10**6, "x", "y")), owed)
    assert two.reason is Reason.PAID and two.amount == 10_000 * 10**6
