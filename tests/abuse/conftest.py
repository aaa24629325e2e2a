"""Fixtures of the abuse suite: the world (on a bot with the local chains) and the errors it logs."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.evm import LocalChain
from bot.sandbox.harness import sandbox_config
from bot.sandbox.snapshot import SnapshotHub
from bot.sandbox.solana_rpc import SolanaSandbox
from tests.abuse.report import REPORT
from tests.abuse.world import World, build_world
from tests.conftest import People


class _Keep(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture
def errors() -> Iterator[list[logging.LogRecord]]:
    """Every record logged at ERROR or above while the test runs (an unexpected error is one, even unseen)."""
    found: list[logging.LogRecord] = []
    handler = _Keep(found)
    root = logging.getLogger()
    root.addHandler(handler)
    yield found
    root.removeHandler(handler)


@pytest.fixture
def pay_config(
    sandbox: DiscordSandbox,
    tmp_path: Path,
    eth_chain: LocalChain,
    bsc_chain: LocalChain,
    solana_rpc: SolanaSandbox,
    snapshot_hub: SnapshotHub,
) -> Config:
    """The payment tests' configuration, with the Snapshot stand-in for the governance commands."""
    return sandbox_config(
        sandbox,
        tmp_path / "pay.db",
        chains={
            "ethereum": {"rpc_urls": [eth_chain.url]},
            "bsc": {"rpc_urls": [bsc_chain.url]},
            "solana": {"rpc_urls": [solana_rpc.url]},
        },
        payments={"rpc_timeout_seconds": 2.0},
        governance={"hub_url": snapshot_hub.graphql_url},
    )


@pytest.fixture
async def world(
    pay_bot: BountyBot,
    sandbox: DiscordSandbox,
    clock: ManualClock,
    people: People,
    tmp_path: Path,
    snapshot_hub: SnapshotHub,
) -> AsyncIterator[World]:
    built = await build_world(pay_bot, sandbox, clock, people, tmp_path, hub=snapshot_hub)
    yield built
    built.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The suite's figures at the end of the run; with ABUSE_REPORT=path, every failure as JSON too."""
    summary = REPORT.render()
    if summary:
        terminalreporter.section("abuse suite")
        terminalreporter.write_line(summary)
    if path := os.environ.get("ABUSE_REPORT"):
        Path(path).write_text(REPORT.to_json(), encoding="utf-8")
