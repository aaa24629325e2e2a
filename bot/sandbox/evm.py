"""Local EVM chains for tests, the demo and benchmarks: anvil (npm `@foundry-rs/anvil`) with an ERC-20
compiled by solcjs (npm `solc`) placed at the real USDC and USDT addresses with `anvil_setCode`.

`--slots-in-an-epoch 2` makes anvil's `finalized` block trail the head by a few blocks, so "final"
means something: a transfer becomes final after `anvil_mine` adds blocks on top of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import AsyncHTTPProvider, AsyncWeb3

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "node_modules" / ".bin"
CONTRACT = Path(__file__).with_name("contracts") / "TestToken.sol"
FINALITY_DEPTH = 5  # blocks anvil_mine adds so that a transfer is at or below `finalized`


def tool(name: str) -> Path | None:
    if name == "anvil":
        # The npm package's `anvil` is a node wrapper around a per-platform binary; run the binary itself,
        # so that signals (a test pausing the node to simulate an outage) reach the real process.
        native = sorted((TOOLS.parent / "@foundry-rs").glob("anvil-*/bin/anvil"))
        if native:
            return native[0]
    path = TOOLS / name
    return path if path.exists() else (Path(found) if (found := shutil.which(name)) else None)


def available() -> bool:
    return tool("anvil") is not None and tool("solcjs") is not None


@functools.cache
def compiled() -> tuple[list[Any], str]:
    """(abi, bytecode) of the test token, compiled once per process with solcjs."""
    solcjs = tool("solcjs")
    if solcjs is None:
        raise RuntimeError("solcjs not found: run `npm ci --prefix tools`")
    out = Path(tempfile.mkdtemp(prefix="bountybot-solc-"))
    subprocess.run(
        [str(solcjs), "--bin", "--abi", "--optimize", "-o", str(out), CONTRACT.name],
        cwd=CONTRACT.parent,
        check=True,
        capture_output=True,
    )
    abi = json.loads((out / "TestToken_sol_TestToken.abi").read_text())
    return abi, "0x" + (out / "TestToken_sol_TestToken.bin").read_text().strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalChain:
    """One running anvil with test tokens; `accounts` are anvil's unlocked, funded accounts."""

    chain_id: int
    port: int
    process: subprocess.Popen[bytes]
    w3: AsyncWeb3
    accounts: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # symbol -> address

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def rpc(self, method: str, params: list[Any]) -> Any:
        return (await self.w3.provider.make_request(method, params))["result"]

    async def place_token(self, address: str, decimals: int) -> str:
        """Put the test token's code at `address` (e.g. the real USDC) with the given decimals."""
        abi, bytecode = compiled()
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx = await factory.constructor(decimals).transact({"from": self.accounts[0]})
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx)
        deployed = receipt["contractAddress"]
        assert deployed is not None
        code = await self.w3.eth.get_code(deployed)
        await self.rpc("anvil_setCode", [address, "0x" + code.hex().removeprefix("0x")])
        return AsyncWeb3.to_checksum_address(address)

    async def deploy_token(self, decimals: int) -> str:
        """A token at a fresh address: a look-alike of USDC/USDT that must never count."""
        abi, bytecode = compiled()
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx = await factory.constructor(decimals).transact({"from": self.accounts[0]})
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx)
        return str(receipt["contractAddress"])

    def token(self, address: str) -> Any:
        abi, _ = compiled()
        return self.w3.eth.contract(address=AsyncWeb3.to_checksum_address(address), abi=abi)

    async def mint(self, token: str, to: str, amount: int) -> None:
        tx = (
            await self.token(token)
            .functions.mint(AsyncWeb3.to_checksum_address(to), amount)
            .transact({"from": self.accounts[0]})
        )
        await self.w3.eth.wait_for_transaction_receipt(tx)

    async def transfer(self, token: str, sender: str, to: str, amount: int, *, gas: int | None = None) -> str:
        """A real ERC-20 transfer; with `gas` set, a failing one is mined as reverted instead of refused."""
        options: dict[str, Any] = {"from": AsyncWeb3.to_checksum_address(sender)}
        if gas is not None:
            options["gas"] = gas
        tx = await self.token(token).functions.transfer(AsyncWeb3.to_checksum_address(to), amount).transact(options)
        await self.w3.eth.wait_for_transaction_receipt(tx)
        return "0x" + tx.hex().removeprefix("0x")

    async def transfer_from(self, token: str, spender: str, payer: str, to: str, amount: int) -> str:
        contract = self.token(token)
        approve = await contract.functions.approve(AsyncWeb3.to_checksum_address(spender), amount).transact(
            {"from": AsyncWeb3.to_checksum_address(payer)}
        )
        await self.w3.eth.wait_for_transaction_receipt(approve)
        tx = await contract.functions.transferFrom(
            AsyncWeb3.to_checksum_address(payer), AsyncWeb3.to_checksum_address(to), amount
        ).transact({"from": AsyncWeb3.to_checksum_address(spender)})
        await self.w3.eth.wait_for_transaction_receipt(tx)
        return "0x" + tx.hex().removeprefix("0x")

    async def finalize(self, blocks: int = FINALITY_DEPTH) -> None:
        await self.rpc("anvil_mine", [hex(blocks)])

    async def stop(self) -> None:
        await self.w3.provider.disconnect()
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.process.poll() is None:
            self.process.kill()


async def start_chain(chain_id: int, tokens: dict[str, tuple[str, int]]) -> LocalChain:
    """Start anvil for `chain_id` and place each token (symbol -> (address, decimals))."""
    anvil = tool("anvil")
    if anvil is None:
        raise RuntimeError("anvil not found: run `npm ci --prefix tools`")
    port = _free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - starting a server does not wait for it
        [
            str(anvil),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--slots-in-an-epoch",
            "2",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    w3 = AsyncWeb3(AsyncHTTPProvider(f"http://127.0.0.1:{port}"))
    chain = LocalChain(chain_id, port, process, w3)
    for _ in range(100):
        try:
            chain.accounts = [str(a) for a in await w3.eth.accounts]
            break
        except Exception:  # noqa: BLE001 - not listening yet
            await asyncio.sleep(0.05)
    else:
        await chain.stop()
        raise RuntimeError("anvil did not start")
    for symbol, (address, decimals) in tokens.items():
        chain.tokens[symbol] = await chain.place_token(address, decimals)
    await chain.finalize(10)
    return chain
