"""Fixtures: a fresh database, the Discord sandbox, a manual clock, the real bot, and people to drive it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.sandbox import evm as local_evm
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.evm import LocalChain, start_chain
from bot.sandbox.harness import running_bot, sandbox_config
from bot.sandbox.snapshot import SnapshotHub
from bot.sandbox.solana_rpc import SolanaSandbox

START = int(datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[DiscordSandbox]:
    # Discord's buckets with windows 50× shorter: the same counts and headers, in less real time
    # (tests/test_discord_rules.py meets them at full length).
    sb = DiscordSandbox(clock=clock.now, rate_limit_scale=0.02)
    await sb.start()
    yield sb
    await sb.stop()
    # Every request the bot made and every answer given must be what Discord's description allows.
    assert sb.violations == [], "\n".join(sb.violations)


@pytest.fixture
def config(sandbox: DiscordSandbox, tmp_path: Path) -> Config:
    return sandbox_config(sandbox, tmp_path / "bountybot.db")


@pytest.fixture
async def bot(config: Config, clock: ManualClock) -> AsyncIterator[BountyBot]:
    async with running_bot(config, clock=clock) as running:
        yield running


@dataclass
class People:
    exchange: SandboxUser  # the exchange representative who starts the bounty
    teammate: SandboxUser
    staff: SandboxUser
    outsider: SandboxUser


@pytest.fixture
def people(sandbox: DiscordSandbox) -> People:
    return People(
        exchange=add_user(sandbox, "Erin Exchange"),
        teammate=add_user(sandbox, "Tom Teammate"),
        staff=add_user(sandbox, "Sam Staff", roles=("hummingbot-foundation",)),
        outsider=add_user(sandbox, "Olga Outsider", roles=("bounty-contributor",)),
    )


# --- chains ------------------------------------------------------------------------------------------

ETH_TOKENS = {
    "USDC": ("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
    "USDT": ("0xdAC17F958D2ee523a2206206994597C13D831ec7", 6),
}
BSC_TOKENS = {
    "USDC": ("0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", 18),
    "USDT": ("0x55d398326f99059fF775485246999027B3197955", 18),
}


@pytest.fixture
def anvil_installed() -> None:
    if not local_evm.available():
        # A missing tool fails the run: a skipped payment test would hide exactly what it exists to check.
        pytest.fail("anvil and solcjs are missing: run `npm ci --prefix tools`")


@pytest.fixture
async def eth_chain() -> AsyncIterator[LocalChain]:
    if not local_evm.available():
        # A missing tool fails the run: a skipped payment test would hide exactly what it exists to check.
        pytest.fail("anvil and solcjs are missing: run `npm ci --prefix tools`")
    chain = await start_chain(1, ETH_TOKENS)
    yield chain
    await chain.stop()


@pytest.fixture
async def bsc_chain() -> AsyncIterator[LocalChain]:
    if not local_evm.available():
        # A missing tool fails the run: a skipped payment test would hide exactly what it exists to check.
        pytest.fail("anvil and solcjs are missing: run `npm ci --prefix tools`")
    chain = await start_chain(56, BSC_TOKENS)
    yield chain
    await chain.stop()


@pytest.fixture
async def solana_rpc() -> AsyncIterator[SolanaSandbox]:
    rpc = SolanaSandbox()
    await rpc.start()
    yield rpc
    await rpc.stop()


@pytest.fixture
def pay_config(
    sandbox: DiscordSandbox, tmp_path: Path, eth_chain: LocalChain, bsc_chain: LocalChain, solana_rpc: SolanaSandbox
) -> Config:
    return sandbox_config(
        sandbox,
        tmp_path / "pay.db",
        chains={
            "ethereum": {"rpc_urls": [eth_chain.url]},
            "bsc": {"rpc_urls": [bsc_chain.url]},
            "solana": {"rpc_urls": [solana_rpc.url]},
        },
        payments={"rpc_timeout_seconds": 2.0},
    )


@pytest.fixture
async def pay_bot(pay_config: Config, clock: ManualClock) -> AsyncIterator[BountyBot]:
    async with running_bot(pay_config, clock=clock) as running:
        yield running


@pytest.fixture
async def snapshot_hub(clock: ManualClock) -> AsyncIterator[SnapshotHub]:
    """The Snapshot hub stand-in, on the test's clock (a proposal's state follows it, as the hub's does)."""
    hub = SnapshotHub(clock=lambda: float(clock.now()))
    await hub.start()
    yield hub
    await hub.stop()
    # Every query the bot sent must be one the hub's schema accepts.
    assert hub.violations == [], "\n".join(hub.violations)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging for a terminal; put the test run's logging back after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    discord_level = logging.getLogger("discord").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("discord").setLevel(discord_level)
