"""`bountybot verify-payment`: the same verifier from a terminal, with stable reason codes and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox.evm import LocalChain
from bot.sandbox.solana_rpc import SolanaSandbox, new_key

RECEIVER_ETH = "0x60D581aEa0644e74df60c7555e5166d32665d6b6"


def write_config(tmp_path: Path, eth: str, sol: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[discord]\nguild_id = 42\n"
        f'[chains.ethereum]\nrpc_urls = ["{eth}"]\n'
        f'[chains.bsc]\nrpc_urls = ["{eth}"]\n'
        f'[chains.solana]\nrpc_urls = ["{sol}"]\n'
        '[logging]\nlevel = "ERROR"\n'
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["verify-payment", *args, "--json"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


async def test_paid_not_paid_and_could_not_tell(
    eth_chain: LocalChain, solana_rpc: SolanaSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, eth_chain.url, solana_rpc.url)
    payer = eth_chain.accounts[1]
    usdc = eth_chain.tokens["USDC"]
    await eth_chain.mint(usdc, payer, 20_000 * 10**6)
    full = await eth_chain.transfer(usdc, payer, RECEIVER_ETH, 10_000 * 10**6)
    short = await eth_chain.transfer(usdc, payer, RECEIVER_ETH, 2_500 * 10**6)
    await eth_chain.finalize()

    # The CLI runs its own event loop, as from a terminal: run it off this test's loop.
    import asyncio

    async def cli(*args: str) -> tuple[int, dict[str, object]]:
        return await asyncio.to_thread(run, capsys, *args)

    code, verdict = await cli("--chain", "ethereum", "--tx", full, "--config", str(config))
    assert code == 0
    assert verdict == {
        "ok": True,
        "reason": "paid",
        "message": "Received 10,000 USDC.",
        "amount_base_units": "10000000000",
        "token": usdc,
        "from": payer.lower(),
        "to": RECEIVER_ETH.lower(),
        "final": True,
    }
    code, verdict = await cli("--chain", "ethereum", "--tx", short, "--config", str(config), "--sender", payer)
    assert code == 1 and verdict["reason"] == "partial" and verdict["amount_base_units"] == "2500000000"
    code, verdict = await cli("--chain", "ethereum", "--tx", short, "--config", str(config), "--amount", "2500")
    assert code == 0 and verdict["reason"] == "paid"
    code, verdict = await cli(
        "--chain", "ethereum", "--tx", full, "--config", str(config), "--sender", eth_chain.accounts[2]
    )
    assert code == 1 and verdict["reason"] == "wrong_sender" and verdict["ok"] is False
    code, verdict = await cli("--chain", "ethereum", "--tx", "0x" + "00" * 32, "--config", str(config))
    assert code == 1 and verdict["reason"] == "not_found"
    code, verdict = await cli("--chain", "ethereum", "--tx", "0xnothex", "--config", str(config))
    assert code == 2 and verdict["reason"] == "invalid_input"

    solana_rpc.fail = "error"
    sig = solana_rpc.transfer(
        payer=new_key(),
        recipient="5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i",
        mint="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        amount=10_000 * 10**6,
    )
    code, verdict = await cli("--chain", "solana", "--tx", sig, "--config", str(config))
    assert code == 2 and verdict["reason"] == "rpc_unavailable"
    solana_rpc.fail = None
    code, verdict = await cli("--chain", "solana", "--tx", sig, "--config", str(config))
    assert code == 0 and verdict["reason"] == "paid"


def test_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    code = main(["verify-payment", "--chain", "bsc", "--tx", "0x" + "11" * 32, "--config", str(config)])
    assert code == 2
    assert capsys.readouterr().out.startswith("COULD NOT TELL (rpc_unavailable):")
