"""GitHub mirror drain: 1,000 queued writes (comments) through the outbox against a GitHub stand-in that
enforces GitHub's documented limits (80 content-creating requests a minute, 5,000 requests an hour).

The clock is simulated: the bot and the stand-in share one clock that jumps to the next moment anything is
due, so a drain that takes GitHub-minutes runs in seconds. Reports the requests refused for rate limits
(budget 0) and the time to drain against the theoretical minimum (writes / 80 per minute).

    .venv/bin/python bench/github_drain.py [--writes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.changes import Changes
from bot.clock import ManualClock
from bot.config import OutboxConfig, parse_config
from bot.integrations.github import GitHubClient, Pacer
from bot.mirror import GitHubMirror
from bot.outbox import Outbox
from bot.sandbox.github import GitHubSandbox
from bot.store import github as github_store
from bot.store import outbox as outbox_store
from bot.store.db import open_database


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    clock = ManualClock(1_800_000_000)
    sandbox = GitHubSandbox(clock=lambda: float(clock.now()), validate=False)
    await sandbox.start()
    sandbox.issues[1] = sandbox._issue(1, "Bounty - add Bench connector", "<!-- bountybot:bounty:1 -->", [], "bot")
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_database(Path(tmp) / "drain.db")
        await db.migrate()
        config = parse_config(
            {
                "discord": {"guild_id": 1},
                "github": {"api_base_url": sandbox.url, "graphql_url": f"{sandbox.url}/graphql"},
            },
            {"GITHUB_TOKEN": sandbox.token},
        )
        changes = Changes(db, clock)
        outbox = Outbox(changes, clock, OutboxConfig(max_attempts=1_000_000))
        pacer = Pacer(
            config.github.content_writes_per_minute, config.github.requests_per_hour, clock=lambda: float(clock.now())
        )
        client = await asyncio.to_thread(
            GitHubClient,
            sandbox.token,
            config.github.repository,
            base_url=sandbox.url,
            graphql_url=f"{sandbox.url}/graphql",
            pacer=pacer,
        )
        GitHubMirror(client, changes, config).register(outbox)
        async with changes.begin() as ch:
            await ch.tx.execute(
                "INSERT INTO bounties (id, guild_id, requester_id, exchange, exchange_key, form, state, state_since,"
                " fee_usd, created_at, updated_at) VALUES (1, 1, 1, 'Bench', 'bench', '{}', 'development', 0, 10000,"
                " 0, 0)"
            )
            await github_store.save_issue(
                ch.tx, 1, 1, "https://github.com/hummingbot/hummingbot/issues/1", "I_1", ch.now
            )
            for n in range(args.writes):
                await ch.send(f"bench:{n}", "github.comment", bounty_id=1, body=f"Weekly update {n}")
        start_clock, start_real = clock.now(), time.perf_counter()
        while True:
            await outbox.drain()
            next_at = await outbox_store.next_attempt_at(db.conn)
            if next_at is None:
                break
            clock.advance(max(1, next_at - clock.now()))  # jump to the next moment something is due
        elapsed = clock.now() - start_clock
        real = time.perf_counter() - start_real
        counts = await outbox_store.counts(db.conn)
        await client.close()
        await db.close()
    await sandbox.stop()
    comments = len(sandbox.comments.get(1, []))
    # The window starts empty, so the first batch goes at once: (batches - 1) minutes at the least.
    per_minute = config.github.content_writes_per_minute
    minimum = max(60, (math.ceil(args.writes / per_minute) - 1) * 60)
    print(
        f"{args.writes} queued writes (comments), limits {config.github.content_writes_per_minute} content "
        f"writes/min and {config.github.requests_per_hour} requests/h"
    )
    print(f"delivered: {comments} comments; outbox: {counts}")
    print(f"refused for rate limits: {len(sandbox.refused)} (budget 0)")
    print(
        f"time to drain: {elapsed:.0f} s GitHub-time against a theoretical minimum of {minimum:.0f} s "
        f"({elapsed / minimum:.2f}×); {real:.1f} s real"
    )
    ok = not sandbox.refused and comments == args.writes
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
