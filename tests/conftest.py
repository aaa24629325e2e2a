"""Fixtures: a fresh database, the Discord sandbox, a manual clock, the real bot, and people to drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.harness import running_bot, sandbox_config

START = int(datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    sb = DiscordSandbox()
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
