"""`/bounty list` with 10,000 bounties: how long it holds the event loop, and how long staff wait.

The bot runs in this process (asyncio's debug mode reports every callback slower than a threshold, and only
in the loop it watches), with the Discord stand-in beside it; the longest callback seen while the command
runs is the figure. Budget (DESIGN.md §12): nothing blocks the event loop for more than 50 ms.

    .venv/bin/python bench/bounty_list.py [--bounties 10000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.world import WorldSize, build
from bot.clock import SystemClock
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import add_user
from bot.sandbox.harness import running_bot, sandbox_config

BLOCK_BUDGET_MS = 50.0
THRESHOLD_S = 0.005  # callbacks longer than this are reported by asyncio and kept


class SlowCallbacks(logging.Handler):
    """Collects asyncio debug mode's "Executing <…> took 0.123 seconds" reports."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if found := re.search(r" took (\d+\.\d+) seconds", record.getMessage()):
            self.seconds.append(float(found[1]))


def block(ms: float) -> str:
    return f"{ms:6.1f} ms" if ms else f"< {THRESHOLD_S * 1000:.0f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bounties", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    sandbox = DiscordSandbox(validate=False)
    await sandbox.start()
    staff = add_user(sandbox, "Sam Staff", roles=("hummingbot-foundation",))
    slow = SlowCallbacks()
    results: dict[str, tuple[list[float], list[float], str]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = Path(tmp) / "list.db"
            await build(database, int(time.time()), WorldSize(args.bounties, 0, 0), guild_id=sandbox.guild_id)
            # Some bounties await payment, so the watcher looks: at an address where nothing listens.
            dead = {"rpc_urls": ["http://127.0.0.1:9"]}
            config = sandbox_config(sandbox, database, chains={c: dead for c in ("ethereum", "bsc", "solana")})
            async with running_bot(config, clock=SystemClock()) as bot:
                await asyncio.sleep(1)  # the start's own work settles
                loop = asyncio.get_running_loop()
                logging.getLogger("asyncio").addHandler(slow)
                for label, options in (("all bounties", {}), ("phase: development", {"phase": "development"})):
                    blocks, waits = [], []
                    text = ""
                    for _ in range(args.runs):
                        slow.seconds.clear()
                        loop.set_debug(True)
                        loop.slow_callback_duration = THRESHOLD_S
                        try:
                            outcome = await staff.run("bounty list", channel="general", **options)
                        finally:
                            loop.set_debug(False)
                        assert outcome.latency is not None and outcome.reply.embeds, outcome.reply.text
                        blocks.append(max(slow.seconds, default=0.0) * 1000)
                        waits.append(outcome.latency * 1000)
                        text = outcome.reply.text
                    results[label] = (blocks, waits, text)
                logging.getLogger("asyncio").removeHandler(slow)
                assert bot.is_ready()
    finally:
        await sandbox.stop()

    print(f"/bounty list with {args.bounties:,} bounties, {args.runs} runs each, staff waiting one at a time")
    ok = True
    for label, (blocks, waits, text) in results.items():
        worst = max(blocks)
        ok &= worst <= BLOCK_BUDGET_MS
        title = text.splitlines()[0] if text else ""
        last = text.splitlines()[-1] if text else ""
        print(
            f"{label:<20} longest loop block: median {block(statistics.median(blocks))}, max {block(worst)} · "
            f"answered in median {statistics.median(waits):6.1f} ms · shows “{title}” … “{last[:70]}”"
        )
    print(f"budget: no callback over {BLOCK_BUDGET_MS:.0f} ms — " + ("within budget" if ok else "OVER BUDGET"))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
