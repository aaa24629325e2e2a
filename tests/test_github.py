"""The GitHub mirror: PyGithub and httpx against the GitHub stand-in (REST validated against GitHub's own
OpenAPI description, GraphQL executed against the Projects schema), driven through Discord as people would."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import aiohttp
import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.store import bounties
from bot.store import outbox as outbox_store
from tests.conftest import People
from tests.github_helpers import SECRET, funded, gh_bot, github, github_config, settle
from tests.intake_helpers import start_bounty
from tests.qa_helpers import pass_qa

__all__ = ["gh_bot", "github"]  # fixtures, used by name


def written(github: GitHubSandbox) -> str:
    """Everything the bot wrote to GitHub."""
    parts = [f"{i['title']}\n{i['body']}" for i in github.issues.values()]
    parts += [c["body"] for cs in github.comments.values() for c in cs]
    return "\n".join(parts)


async def test_funding_opens_the_bounty_issue_and_board_item(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    assert len(github.issues) == 1
    issue = github.issues[1]
    assert issue["title"] == "Bounty - add Backpack connector"
    assert {label["name"] for label in issue["labels"]} == {"bounty", "new connector"}
    assert {"bounty", "new connector"} <= set(github.labels)
    body = issue["body"]
    for expected in (
        "<!-- bountybot:bounty:1 -->",
        "## Description",
        "Spot, Perpetual",
        # Autolinks: literal inside, so a link's `_` or `*` never becomes markup or another address.
        "- REST: <https://docs.backpack.exchange/rest>",
        "- WebSocket: <https://docs.backpack.exchange/ws>",
        "## Technical review",
        "- [ ] Order placement and cancellation",
        "## Bounty",
        "- Sponsor: Backpack",
        "- Bounty amount: 10,000 USD",
        "- Developer portion: TBA",
    ):
        assert expected in body, expected
    assert list(github.board_items.values()) == [{"content": issue["node_id"], "status": "Open"}]
    messages = [m for m in sandbox.state.messages[str(channel)] if m["embeds"]]
    assert any(issue["html_url"] in m["embeds"][0].get("description", "") for m in messages)
    status = await people.exchange.run("bounty status", channel=channel)
    assert issue["html_url"] in status.reply.text and "Bounties Board: **Open**" in status.reply.text


async def test_a_single_sub_type_is_named_in_the_title(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    await funded(gh_bot, people, clock, subtypes=["perpetual"])
    assert github.issues[1]["title"] == "Bounty - add Backpack Perpetual connector"


async def test_exactly_one_issue_after_a_lost_response_and_a_retry(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    github.fault("POST", r"/issues$", status=0)  # GitHub makes the issue; the answer never arrives
    await funded(gh_bot, people, clock)
    assert len(github.issues) == 1
    assert [entry for entry in github.log if entry[:2] == ("POST", "/repos/hummingbot/hummingbot/issues")] == []
    row = await outbox_store.get(gh_bot.db.conn, "bounty:1:github_issue")
    assert row is not None and row.status == "done" and row.attempts == 2


async def test_rate_limits_are_honoured_with_retry_after(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    github.fault("POST", r"/issues$", status=429, headers={"Retry-After": "300"}, message="slow down")
    await start_bounty(people.exchange)
    await gh_bot.outbox.drain()
    bounty = (await bounties.list_all(gh_bot.db.conn))[0]
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=bounty.channel_id or 0, to=state)
    await gh_bot.outbox.drain()
    row = await outbox_store.get(gh_bot.db.conn, "bounty:1:github_issue")
    assert row is not None and row.status == "pending" and "rate limit" in (row.last_error or "")
    clock.advance(299)
    await gh_bot.outbox.drain()
    assert github.issues == {}  # not before Retry-After
    github.fault(
        "POST",
        r"/issues$",
        status=403,
        headers={"Retry-After": "60"},
        message="You have exceeded a secondary rate limit",
    )
    clock.advance(1)
    await gh_bot.outbox.drain()
    assert github.issues == {}
    row = await outbox_store.get(gh_bot.db.conn, "bounty:1:github_issue")
    assert row is not None and "secondary" in (row.last_error or "")
    clock.advance(60)
    await settle(gh_bot, clock)
    assert len(github.issues) == 1


async def test_a_5xx_storm_then_recovery_loses_nothing(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    github.fault("*", r".", status=502, times=8)
    channel = await funded(gh_bot, people, clock)
    await people.staff.run("bounty advance", channel=channel, to="open")
    await settle(gh_bot, clock, rounds=10)
    assert len(github.issues) == 1
    assert any(label["name"] == "phase: open" for label in github.issues[1]["labels"])
    assert len(github.comments[1]) == 1 and "funded** → **open**" in github.comments[1][0]["body"]
    counts = await outbox_store.counts(gh_bot.db.conn)
    assert counts.get("dead", 0) == 0 and counts.get("pending", 0) == 0


async def test_mentions_and_closing_keywords_are_neutralised(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    await start_bounty(
        people.exchange,
        technical={
            "special_features": "ask @octocat; fixes #1 and Closes org/repo#2",
            "auth_method": "HMAC, see @hummingbot/core",
        },
    )
    await gh_bot.outbox.drain()
    bounty = (await bounties.list_all(gh_bot.db.conn))[0]
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=bounty.channel_id or 0, to=state)
    await settle(gh_bot, clock)
    text = written(github)
    assert "octocat" in text and "@octocat" not in text and "@hummingbot/core" not in text
    assert not re.search(r"\b(close[sd]?|fix(es|ed)?|resolve[sd]?)\s*:?\s+\S*#\d", text, re.IGNORECASE)


async def test_private_chat_and_private_details_never_reach_github(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    await people.staff.run("bounty advance", channel=channel, to="open", reason="internal: pricing is 12k")
    await settle(gh_bot, clock)
    text = written(github)
    assert "erin@backpack.exchange" not in text  # the contact stays private
    assert "pricing is 12k" not in text and "escrow WIRE-7" not in text  # staff reasons stay private
    assert "Welcome, Backpack" not in text  # nothing said in the private channel is copied


async def test_pull_requests_move_the_bounty_by_webhook_signed_and_once(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    async with running_bot(github_config(sandbox, github, tmp_path, webhook=True), clock=clock) as bot:
        assert bot.webhook is not None
        url = f"http://127.0.0.1:{bot.webhook.port}/github/webhook"
        channel = await funded(bot, people, clock)
        for state in ("open", "development"):
            await people.staff.run("bounty advance", channel=channel, to=state)
        pr = {
            "action": "opened",
            "pull_request": {
                "number": 41,
                "title": "Add Backpack connector",
                "body": "Resolves the bounty #1",
                "state": "open",
                "merged": False,
                "merged_at": None,
                "user": {"login": "dev"},
            },
        }
        body = json.dumps(pr).encode()

        async def deliver(payload: bytes, signature: str | None, delivery: str) -> tuple[int, dict[str, object]]:
            headers = {
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": delivery,
                "Content-Type": "application/json",
            }
            if signature is not None:
                headers["X-Hub-Signature-256"] = signature
            async with aiohttp.ClientSession() as session, session.post(url, data=payload, headers=headers) as r:
                return r.status, await r.json()

        forged = await deliver(body, GitHubSandbox.sign("wrong-secret", body), str(uuid.uuid4()))
        missing = await deliver(body, None, str(uuid.uuid4()))
        assert forged[0] == 401 and missing[0] == 401
        assert (await bounties.get(bot.db.conn, 1)).state is State.DEVELOPMENT  # type: ignore[union-attr]

        delivery = str(uuid.uuid4())
        status, answer = await deliver(body, GitHubSandbox.sign(SECRET, body), delivery)
        assert status == 200 and answer["moved"] == [1]
        replay = await deliver(body, GitHubSandbox.sign(SECRET, body), delivery)
        assert replay == (200, {"ignored": "delivery already handled"})
        assert (await bounties.get(bot.db.conn, 1)).state is State.TESTING  # type: ignore[union-attr]

        await pass_qa(bot, people)  # the QA gate holds for a merge too (tests/test_qa.py)
        merged = {
            **pr,
            "action": "closed",
            "pull_request": {
                **pr["pull_request"],
                "state": "closed",  # type: ignore[dict-item]
                "merged": True,
                "merged_at": "2026-12-01T10:00:00Z",
            },
        }
        mbody = json.dumps(merged).encode()
        status, answer = await deliver(mbody, GitHubSandbox.sign(SECRET, mbody), str(uuid.uuid4()))
        assert status == 200 and answer["moved"] == [1]
        await settle(bot, clock)
        assert (await bounties.get(bot.db.conn, 1)).state is State.GOVERNANCE  # type: ignore[union-attr]
        assert next(iter(github.board_items.values()))["status"] == "Merged"


async def test_polling_uses_conditional_requests_and_acts_once(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    for state in ("open", "development"):
        await people.staff.run("bounty advance", channel=channel, to=state)
    await settle(gh_bot, clock)
    assert gh_bot.github_client is not None
    base = gh_bot.config.github.api_base_url
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 0
    github.add_pull_request("Backpack connector", f"Implements {github.issues[1]['html_url']}")
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 1
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.TESTING  # type: ignore[union-attr]
    await settle(gh_bot, clock)  # the move is mirrored (a label, a comment) …
    assert next(iter(github.board_items.values()))["status"] == "Submitted"
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 0  # … and read back once
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(gh_bot.github_client, base) == 0
    assert github.log[before:] == [
        ("GET", "/repos/hummingbot/hummingbot/issues", 304),
        ("GET", "/repos/hummingbot/hummingbot/issues/comments", 304),
    ]


def test_the_pacer_keeps_under_both_limits_and_counts_only_what_it_lets_through() -> None:
    from bot.integrations.github import GitHubRateLimited, Pacer

    now = [0.0]
    pacer = Pacer(writes_per_minute=3, per_hour=5, clock=lambda: now[0])
    for _ in range(3):
        pacer.admit(True)
    with pytest.raises(GitHubRateLimited) as caught:
        pacer.admit(True)
    assert caught.value.retry_after == 60
    pacer.admit(False)  # reads are not content writes
    with pytest.raises(GitHubRateLimited):
        pacer.admit(True, requests=2)  # all or nothing: nothing counted
    now[0] = 60
    pacer.admit(True)  # 5 of 5 this hour
    with pytest.raises(GitHubRateLimited) as hourly:
        pacer.admit(False)
    assert hourly.value.retry_after == 3540  # the oldest of the hour leaves the window at 3,600 s
    pacer.hold_until(4000)
    now[0] = 3700
    with pytest.raises(GitHubRateLimited) as held:
        pacer.admit(False)
    assert held.value.retry_after == 300  # a Retry-After GitHub announced is honoured
