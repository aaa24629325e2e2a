"""GitHub stand-in fixtures and steps shared by the GitHub mirror tests."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import Config
from bot.sandbox import github as github_sandbox
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot, sandbox_config
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty

SECRET = "webhook-secret-for-tests"


@pytest.fixture
async def github(clock: ManualClock) -> AsyncIterator[GitHubSandbox]:
    if not github_sandbox.available():
        pytest.skip("run `npm ci --prefix tools` for GitHub's OpenAPI description")
    # GitHub and the bot share the test's clock: GitHub dates what it makes by it and its rate-limit windows
    # move with it, as they would in the hours the test steps over.
    gh = GitHubSandbox(clock=lambda: float(clock.now()))
    await gh.start()
    yield gh
    await gh.stop()
    assert gh.violations == [], "\n".join(gh.violations)


def github_config(sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, *, webhook: bool) -> Config:
    section: dict[str, object] = {"api_base_url": github.url, "graphql_url": f"{github.url}/graphql"}
    if webhook:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            section.update(webhook_port=free.getsockname()[1], webhook_host="127.0.0.1")
    return sandbox_config(
        sandbox, tmp_path / "gh.db", github=section, env={"GITHUB_TOKEN": github.token, "GITHUB_WEBHOOK_SECRET": SECRET}
    )


@pytest.fixture
async def gh_bot(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[BountyBot]:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=False), clock=clock) as bot:
        yield bot


async def funded(bot: BountyBot, people: People, clock: ManualClock, **exchange: object) -> int:
    await start_bounty(people.exchange, exchange=exchange or None)  # type: ignore[arg-type]
    await bot.outbox.drain()
    bounty = (await bounties.list_all(bot.db.conn))[-1]
    assert bounty.channel_id is not None
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=bounty.channel_id, to=state, reason="escrow WIRE-7")
    await settle(bot, clock)
    return bounty.channel_id


async def assigned(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    """A funded bounty with `dev` assigned as dana-dev, mirrored; returns its channel."""
    channel = await funded(bot, people, clock)
    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await settle(bot, clock)
    return channel


async def report_bug(people: People, channel: int) -> None:
    """The exchange reports a major bug (it becomes bug #1, with an issue of its own on GitHub)."""
    done = await people.exchange.run(
        "bug report",
        channel=channel,
        severity="major",
        title="Order book stale",
        description="Stops after a reconnect.",
    )
    assert "Bug #1" in done.reply.text, done.reply.text


async def settle(bot: BountyBot, clock: ManualClock, rounds: int = 6) -> None:
    """Let the outbox deliver everything, stepping the clock past any backoff."""
    for _ in range(rounds):
        await bot.outbox.drain()
        clock.advance(120)
    await bot.outbox.drain()


async def deliver(
    bot: BountyBot, event: str, payload: dict[str, object], *, secret: str = SECRET
) -> tuple[int, dict[str, object]]:
    """POST a signed webhook delivery to the bot's receiver, as GitHub would."""
    assert bot.webhook is not None
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
        "X-Hub-Signature-256": GitHubSandbox.sign(secret, body),
    }
    url = f"http://127.0.0.1:{bot.webhook.port}{bot.config.github.webhook_path}"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as r:
        return r.status, await r.json()
