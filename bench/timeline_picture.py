"""The timeline picture `/bounty status` attaches: what drawing it costs the bot, and what people wait.

The bot runs in this process against the Discord stand-in, over a database of bounties across the states
(bench/world.py). Figures:

- matplotlib is not imported when the bot is ready (start-up never pays for it);
- the first picture, which starts the drawing process (bot/charts/process.py) and imports matplotlib there,
  and then each new picture: the time to draw, as the bot waits for it;
- 50 staff asking `/bounty status` at once, for one bounty (its picture kept: the comparison) and for 50
  different bounties (50 new pictures): the longest event-loop callback meanwhile (asyncio debug mode), the
  acknowledgement, and the wait for the last answer with its picture;
- resident memory of the bot before the first picture and after all of them, and of the drawing process.

Budget (DESIGN.md §12): nothing blocks the event loop for more than 50 ms; interactions acknowledged fast.

    .venv/bin/python bench/timeline_picture.py [--bounties 2000] [--concurrent 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bounty_list import SlowCallbacks
from bench.world import WorldSize, build
from bot.charts.process import drawing_process
from bot.charts.timeline import TimelinePicture, draw_timeline
from bot.clock import SystemClock
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, add_user
from bot.sandbox.harness import running_bot, sandbox_config

BLOCK_BUDGET_MS = 50.0
THRESHOLD_S = 0.005


def rss_mb(pid: int | None = None) -> float:
    with open(f"/proc/{pid or os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bounties", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()

    sandbox = DiscordSandbox(validate=False)
    await sandbox.start()
    staff = [add_user(sandbox, f"Staff {i}", roles=("hummingbot-foundation",)) for i in range(args.concurrent)]
    slow = SlowCallbacks()
    drawn: list[float] = []

    async def timed(draw: Callable[[TimelinePicture], bytes], picture: TimelinePicture) -> bytes:
        """The bot's own way, in its drawing process, timed from the bot's side."""
        started = time.perf_counter()
        try:
            return await drawing_process.run(draw, picture)
        finally:
            drawn.append(time.perf_counter() - started)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = Path(tmp) / "timeline.db"
            await build(database, int(time.time()), WorldSize(args.bounties, 0, 0), guild_id=sandbox.guild_id)
            dead = {"rpc_urls": ["http://127.0.0.1:9"]}
            config = sandbox_config(sandbox, database, chains={c: dead for c in ("ethereum", "bsc", "solana")})
            async with running_bot(config, clock=SystemClock()) as bot:
                imported_at_ready = "matplotlib" in sys.modules
                await asyncio.sleep(1)  # the start's own work settles
                cog: Any = bot.get_cog("BountyCog")
                cog.timelines = type(cog.timelines)(draw_timeline, 1024, runner=timed)
                rss_before = rss_mb()
                loop = asyncio.get_running_loop()
                logging.getLogger("asyncio").addHandler(slow)
                loop.set_debug(True)
                loop.slow_callback_duration = THRESHOLD_S

                async def burst(bounty_of: Callable[[int], int]) -> tuple[list[Outcome], float, float]:
                    """Everyone asks at once; returns the answers, the longest callback (ms) and the seconds
                    until the last answer arrived with its picture."""
                    slow.seconds.clear()
                    started = time.perf_counter()
                    answers = await asyncio.gather(
                        *(
                            who.run("bounty status", channel="general", bounty=bounty_of(i), wait=60)
                            for i, who in enumerate(staff)
                        )
                    )
                    return list(answers), max(slow.seconds, default=0.0) * 1000, time.perf_counter() - started

                try:
                    first, first_block, _ = await burst(lambda i: 1)  # one picture, importing matplotlib
                    kept, kept_block, kept_s = await burst(lambda i: 1)  # the same picture, kept
                    new, new_block, new_s = await burst(lambda i: 2 + i)  # a new picture each
                finally:
                    loop.set_debug(False)
                    logging.getLogger("asyncio").removeHandler(slow)
                rss_after = rss_mb()
                helper = drawing_process.pid
                helper_rss = rss_mb(helper) if helper is not None else 0.0
                for outcome in [*first, *kept, *new]:
                    assert outcome.reply.attachments, (outcome.interaction.callback, outcome.reply.message)
    finally:
        await sandbox.stop()

    each = drawn[1:]
    n = args.concurrent
    print(f"timeline pictures, {args.bounties:,} bounties in the database, {n} staff asking at once")
    print(f"matplotlib imported at ready: {'yes' if imported_at_ready else 'no'}")
    print(
        f"first picture (starts the drawing process, which imports matplotlib): {drawn[0] * 1000:.0f} ms; "
        f"longest loop callback meanwhile {first_block:.1f} ms"
    )
    print(
        f"each new picture after: median {statistics.median(each) * 1000:.0f} ms, "
        f"p99 {p(each, 0.99) * 1000:.0f} ms, max {max(each) * 1000:.0f} ms (one at a time)"
    )
    for label, answers, block, seconds in (
        ("one bounty (picture kept)", kept, kept_block, kept_s),
        (f"{n} bounties ({n} new pictures)", new, new_block, new_s),
    ):
        acks = [o.latency * 1000 for o in answers if o.latency is not None]
        print(
            f"{label:<28} acknowledged p99 {p(acks, 0.99):6.1f} ms · all answered in {seconds:5.2f} s · "
            f"longest loop callback {block:5.1f} ms"
        )
    print(
        f"resident memory of this process (the bot, and the stand-in serving it): {rss_before:.0f} MB before the "
        f"first picture, {rss_after:.0f} MB after them all; the drawing process: {helper_rss:.0f} MB"
    )
    first_block, burst_block = max(first_block, kept_block), new_block
    ok = not imported_at_ready and max(first_block, burst_block) <= BLOCK_BUDGET_MS
    print(f"budget: no callback over {BLOCK_BUDGET_MS:.0f} ms — " + ("within budget" if ok else "OVER BUDGET"))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
