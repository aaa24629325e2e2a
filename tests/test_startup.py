"""Starting up: the bot serves its one server as soon as that server has arrived."""

from __future__ import annotations

import asyncio
import contextlib

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from tests.conftest import People
from tests.intake_helpers import start_bounty

TEN_MINUTES = 600.0


async def test_the_bot_is_ready_once_its_server_arrives_without_waiting_for_others(
    config: Config, people: People, clock: ManualClock
) -> None:
    # discord.py waits `guild_ready_timeout` after the last server in case more follow. With ten minutes
    # of it, only a bot that stops waiting once its own server is there gets to answer anyone.
    bot = BountyBot(config, clock=clock, guild_ready_timeout=TEN_MINUTES)
    await bot.login(config.discord_token.get())
    connection = asyncio.create_task(bot.connect(reconnect=False))
    try:
        await asyncio.wait_for(bot.started.wait(), 60)
        assert bot.setup_problems == []
        outcome = await start_bounty(people.exchange)
        assert "Bounty #1 for Backpack is started" in outcome.followups[-1].text
    finally:
        await bot.close()
        connection.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connection
