"""Start to ready with 10,000 bounties and 100,000 pending timers, and resident memory at that size.

Builds the database through the real schema (bench/world.py), then starts the bot the way production does,
`python -m bot run --config …`, in a fresh process: the clock runs from just before the interpreter is
launched (interpreter start and every import included) to the bot's "BountyBot ready" log line, written
when its `started` event is set. The Discord (and GitHub) stand-ins run in this process, so their cost is
not the bot's. Budget (DESIGN.md §12): ≤ 2 s to ready, ≤ 150 MB resident.

Resident memory is read at ready and again once the payment watcher has loaded web3 and solana-py (some
bounties await payment, so its first pass needs them), with the peak so far: the budget applies to the
larger.

    .venv/bin/python bench/startup.py [--runs 3] [--bounties 10000] [--timers 100000] [--no-github]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.process import CHAINS_READY, READY, BotProcess, rss_mb
from bench.world import WorldSize, build, give_channels
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.github import GitHubSandbox

READY_BUDGET_S = 2.0
RSS_BUDGET_MB = 150.0
DEAD_RPC = "http://127.0.0.1:9"  # nothing listens: the watcher's first pass finds the chains unreachable


@dataclass
class Run:
    ready_s: float
    rss_ready: float
    rss_settled: float
    peak: float
    chains_s: float | None


async def one_run(template: Path, workdir: Path, *, github: bool) -> Run:
    database = workdir / "bountybot.db"
    shutil.copyfile(template, database)
    # Validation is the tests' job; here it would only slow the stand-in's answers, which the bot waits for.
    sandbox = DiscordSandbox(validate=False)
    await sandbox.start()
    give_channels(database, sandbox)
    hub = GitHubSandbox(validate=False) if github else None
    if hub is not None:
        await hub.start()
    config: dict[str, Any] = {
        "discord": {
            "guild_id": sandbox.guild_id,
            "api_base_url": sandbox.api_base_url,
            "gateway_url": sandbox.gateway_url,
        },
        "database": {"path": str(database)},
        "chains": {name: {"rpc_urls": [DEAD_RPC]} for name in ("ethereum", "bsc", "solana")},
        "logging": {"level": "INFO"},
    }
    env = {"DISCORD_TOKEN": sandbox.token}
    if hub is not None:
        config["github"] = {"api_base_url": hub.url, "graphql_url": f"{hub.url}/graphql"}
        env["GITHUB_TOKEN"] = hub.token
    bot = BotProcess(config, workdir, env)
    bot.expect(READY, CHAINS_READY)
    try:
        await bot.launch()
        ready = await bot.wait_for(READY, 60)
        if ready is None:
            raise RuntimeError(f"the bot did not become ready:\n{bot.tail()}")
        rss_ready, _ = rss_mb(bot.pid)
        chains = await bot.wait_for(CHAINS_READY, 30)
        await asyncio.sleep(2)  # the watcher's first pass and the GitHub poll finish
        rss_settled, peak = rss_mb(bot.pid)
        problems = bot.problems()
        if problems:
            print("the bot logged problems:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
        return Run(ready, rss_ready, rss_settled, peak, chains)
    finally:
        await bot.stop()
        if hub is not None:
            await hub.stop()
        await sandbox.stop()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bounties", type=int, default=10_000)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--no-github", action="store_true", help="start without a GitHub token")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        built_at = time.perf_counter()
        # The sandbox's guild id is fixed by its layout: build for it so every bounty is in the bot's server.
        guild_id = DiscordSandbox(validate=False).guild_id
        counts = await build(template, int(time.time()), WorldSize(args.bounties, args.timers), guild_id=guild_id)
        print(
            f"database: {counts['bounties']:,} bounties, {counts['pending timers']:,} pending timers "
            f"({counts['due timers']} already due), {counts['bugs']:,} open bugs, "
            f"{counts['audit_log']:,} audit rows, {counts['outbox']:,} delivered outbox items; "
            f"built in {time.perf_counter() - built_at:.1f} s"
        )
        runs = []
        for n in range(args.runs):
            workdir = Path(tmp) / f"run{n}"
            workdir.mkdir()
            run = await one_run(template, workdir, github=not args.no_github)
            runs.append(run)
            chains = f"{run.chains_s:.2f} s" if run.chains_s is not None else "not loaded"
            print(
                f"run {n + 1}: start to ready {run.ready_s:.2f} s · RSS at ready {run.rss_ready:.0f} MB · "
                f"chain clients after {chains} · RSS then {run.rss_settled:.0f} MB (peak {run.peak:.0f} MB)"
            )

    ready = statistics.median(r.ready_s for r in runs)
    rss = max(max(r.rss_settled, r.peak) for r in runs)
    print(
        f"start to ready (median of {len(runs)}): {ready:.2f} s (budget ≤ {READY_BUDGET_S:.0f} s) · "
        f"RSS at ready {statistics.median(r.rss_ready for r in runs):.0f} MB, "
        f"largest after loading the chains {rss:.0f} MB (budget ≤ {RSS_BUDGET_MB:.0f} MB)"
    )
    ok = ready <= READY_BUDGET_S and rss <= RSS_BUDGET_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
