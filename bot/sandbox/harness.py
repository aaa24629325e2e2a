"""Run the real bot against the sandbox: shared by the tests, `bountybot demo` and the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import BountyBot
from bot.clock import Clock
from bot.config import Config, parse_config
from bot.sandbox.discord.server import DiscordSandbox


def sandbox_config(
    sandbox: DiscordSandbox, database: Path, *, env: dict[str, str] | None = None, **sections: dict[str, Any]
) -> Config:
    """A configuration pointing every Discord endpoint at the sandbox."""
    data: dict[str, Any] = {
        "discord": {
            "guild_id": sandbox.guild_id,
            "api_base_url": sandbox.api_base_url,
            "gateway_url": sandbox.gateway_url,
        },
        "database": {"path": str(database)},
        # Tests and the demo call the watcher themselves; the background pass stays out of their way.
        "payments": {"watch_interval_seconds": 3600.0},
        # Never the real hub: a local port nothing listens on, until a test or the demo starts the Snapshot
        # stand-in (bot/sandbox/snapshot.py) and passes `governance={"hub_url": hub.graphql_url}`.
        "governance": {"hub_url": "http://127.0.0.1:9/graphql"},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse_config(data, {"DISCORD_TOKEN": sandbox.token, **(env or {})})


@contextlib.asynccontextmanager
async def running_bot(config: Config, *, clock: Clock | None = None, timeout: float = 15.0) -> AsyncIterator[BountyBot]:
    """Log in, connect, wait until the bot has started its timers and outbox; close on exit."""
    bot = BountyBot(config, clock=clock, guild_ready_timeout=0.05)
    task: asyncio.Task[None] | None = None
    try:
        await bot.login(config.discord_token.get())
        task = asyncio.create_task(bot.connect(reconnect=False), name="bot-connect")
        waiter = asyncio.create_task(bot.started.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if task in done:
                task.result()  # raise what stopped it
            raise TimeoutError("the bot did not become ready against the sandbox")
        yield bot
    finally:
        await bot.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
