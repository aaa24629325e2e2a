"""Nothing the bot does blocks the event loop for more than 50 ms (asyncio debug mode watches every callback)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import add_user
from bot.sandbox.harness import running_bot, sandbox_config
from tests.intake_helpers import start_bounty


@pytest.fixture
async def quiet_sandbox() -> AsyncIterator[DiscordSandbox]:
    # Validation is other tests' job: here it would only add the validator's own time to the loop.
    sb = DiscordSandbox(validate=False)
    await sb.start()
    yield sb
    await sb.stop()


async def test_the_lifecycle_never_blocks_the_loop(
    quiet_sandbox: DiscordSandbox, tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Earlier tests leave a large heap behind; freezing it keeps their garbage out of this measurement
    # (a full collection over it can pause any callback for 100 ms, whoever owns it).
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 0.05
    try:
        exchange = add_user(quiet_sandbox, "Erin")
        staff = add_user(quiet_sandbox, "Sam", roles=("hummingbot-foundation",))
        config = sandbox_config(quiet_sandbox, tmp_path / "loop.db")
        async with running_bot(config, clock=clock) as bot:
            with caplog.at_level(logging.WARNING, logger="asyncio"):
                await start_bounty(exchange)
                await bot.outbox.drain()
                for item in ("api_docs", "authentication", "rate_limits", "testnet", "special_features"):
                    await staff.run("bounty review", channel="general", item=item, result="ok", bounty=1)
                await asyncio.gather(*(staff.run("bounty status", channel="general", bounty=1) for _ in range(20)))
                clock.advance(8 * 86400)
                await bot.timers.run_due()
                await bot.outbox.drain()
    finally:
        loop.set_debug(False)
        gc.unfreeze()
    slow = [r.getMessage() for r in caplog.records if r.name == "asyncio" and "took" in r.getMessage()]
    assert slow == []
