"""GitHub mirror drain: 1,000 queued writes (comments) through the outbox against a GitHub stand-in that
enforces GitHub's documented limits: 80 content-generating requests a minute and 500 an hour (secondary),
5,000 requests an hour (primary).

The clock is simulated and starts now: the bot and the stand-in share one clock that jumps to the next moment
anything is due, so a drain that takes GitHub-hours runs in seconds. Reports the requests refused for rate
limits (budget 0), the time to drain on that clock against the least the limits allow, and the real seconds.

    .venv/bin/python bench/github_drain.py [--writes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
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
from bot.sandbox.github import CONTENT_WRITES_PER_HOUR, CONTENT_WRITES_PER_MINUTE, REQUESTS_PER_HOUR, GitHubSandbox
from bot.store import github as github_store
from bot.store import outbox as outbox_store
from bot.store.db import open_database


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    clock = ManualClock(int(time.time()))
    sandbox = GitHubSandbox(
        clock=lambda: float(clock.now()),
        validate=False,
        writes_per_minute=CONTENT_WRITES_PER_MINUTE,
        writes_per_hour=CONTENT_WRITES_PER_HOUR,
        requests_per_hour=REQUESTS_PER_HOUR,
    )
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
        gh = config.github
        pacer = Pacer(
            gh.content_writes_per_minute,
            gh.requests_per_hour,
            writes_per_hour=gh.content_writes_per_hour,
            clock=lambda: float(clock.now()),
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
    minimum = least_time(args.writes, gh.content_writes_per_minute, gh.content_writes_per_hour)
    print(
        f"{args.writes} queued writes (comments); limits {gh.content_writes_per_minute} content writes/min, "
        f"{gh.content_writes_per_hour} content writes/h, {gh.requests_per_hour} requests/h (stand-in: "
        f"{sandbox.writes_per_minute}/min, {sandbox.writes_per_hour}/h, {sandbox.requests_per_hour}/h)"
    )
    print(f"delivered: {comments} comments in {len(sandbox.log)} requests; outbox: {counts}")
    print(f"refused for rate limits: {len(sandbox.refused)} (budget 0)")
    ratio = f" ({elapsed / minimum:.2f}×)" if minimum else ""
    print(
        f"time to drain on the injected clock: {elapsed} s ({elapsed / 3600:.2f} h) against the least the limits "
        f"allow, {minimum} s{ratio}; {real:.1f} s real"
    )
    ok = not sandbox.refused and comments == args.writes
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


def least_time(writes: int, per_minute: int, per_hour: int) -> int:
    """Seconds from the first write to the last at the limits, the windows empty at the start: the hour's
    allowance goes out a minute's worth at a time, then the next hour's once the first writes leave its window."""
    hours, rest = divmod(writes - 1, per_hour)
    return hours * 3600 + (rest // per_minute) * 60


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
