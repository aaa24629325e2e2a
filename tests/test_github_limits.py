"""GitHub's rate limits as GitHub documents them: the stand-in refuses what GitHub would refuse (80 content
writes a minute, 500 an hour, 5,000 requests an hour, a 304 free), and the mirror, paced by the bot, is never
refused. Time is the test's clock, stepped by hand: an hour passes in a moment."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.integrations.github import GitHubClient, GitHubRateLimited, Pacer, changed_issues
from bot.sandbox.github import GitHubSandbox
from bot.store import outbox as outbox_store
from tests.conftest import People
from tests.github_helpers import funded, gh_bot, github

__all__ = ["gh_bot", "github"]  # fixtures, used by name

ISSUES = "/repos/hummingbot/hummingbot/issues"


def client_for(github: GitHubSandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=github.url, headers={"Authorization": f"Bearer {github.token}"})


async def test_the_stand_in_refuses_the_501st_content_write_in_an_hour(
    github: GitHubSandbox, clock: ManualClock
) -> None:
    async with client_for(github) as http:
        answers = []
        for n in range(501):
            if n and n % 80 == 0:
                clock.advance(60)  # never 81 in a minute: only the hourly limit can refuse
            answers.append(await http.post(ISSUES, json={"title": f"Issue {n}"}))
        assert [r.status_code for r in answers[:500]] == [201] * 500
        refused = answers[500]
        assert refused.status_code == 403 and "secondary rate limit" in refused.json()["message"]
        # The first write leaves the hour's window 3,600 s after it was made; six minutes have gone by.
        assert int(refused.headers["retry-after"]) == 3600 - 6 * 60 + 1
        assert len(github.issues) == 500
        assert (await http.get(ISSUES)).status_code == 200  # reads are not content writes
        clock.advance(int(refused.headers["retry-after"]))
        assert (await http.post(ISSUES, json={"title": "An hour later"})).status_code == 201
    assert github.refused == [("POST", ISSUES, 403)]


async def test_the_stand_in_still_refuses_the_81st_content_write_in_a_minute(
    github: GitHubSandbox, clock: ManualClock
) -> None:
    async with client_for(github) as http:
        statuses = [(await http.post(ISSUES, json={"title": f"Issue {n}"})).status_code for n in range(81)]
        assert statuses == [201] * 80 + [403]
        clock.advance(60)
        assert (await http.post(ISSUES, json={"title": "A minute later"})).status_code == 201


async def test_a_304_costs_nothing_against_the_hour_and_the_hour_is_enforced(clock: ManualClock) -> None:
    github = GitHubSandbox(clock=lambda: float(clock.now()), requests_per_hour=3, validate=False)
    await github.start()
    try:
        async with client_for(github) as http:
            first = await http.get(ISSUES)
            assert first.status_code == 200 and first.headers["x-ratelimit-remaining"] == "2"
            for _ in range(10):
                unchanged = await http.get(ISSUES, headers={"If-None-Match": first.headers["etag"]})
                assert unchanged.status_code == 304
                assert unchanged.headers["x-ratelimit-remaining"] == "2"
            assert [(await http.get(ISSUES)).status_code for _ in range(3)] == [200, 200, 403]
            assert github.refused == [("GET", ISSUES, 403)]
    finally:
        await github.stop()


def test_the_pacer_holds_the_501st_write_of_the_hour_and_gives_back_a_304() -> None:
    now = [0.0]
    pacer = Pacer(writes_per_minute=80, per_hour=5000, writes_per_hour=500, clock=lambda: now[0])
    for n in range(500):
        if n and n % 80 == 0:
            now[0] += 60
        pacer.admit(True)
    with pytest.raises(GitHubRateLimited) as held:
        pacer.admit(True)
    assert held.value.retry_after == 3600 - 360  # until the hour's first write leaves the window
    pacer.admit(False)  # reads go on

    quota = Pacer(writes_per_minute=80, per_hour=2, clock=lambda: now[0])
    moment = quota.admit(False)
    quota.refund(moment)  # GitHub answered 304: it did not count
    quota.admit(False)
    quota.admit(False)
    with pytest.raises(GitHubRateLimited):
        quota.admit(False)


async def test_draining_more_than_500_comments_is_never_refused(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    await funded(gh_bot, people, clock)
    before = len(github.comments.get(1, []))
    async with gh_bot.changes.begin() as ch:
        for n in range(520):
            await ch.send(f"bounty:1:github_update:{n}", "github.comment", bounty_id=1, body=f"Weekly update {n}")
    for _ in range(10_000):  # (a bound, never reached)
        await gh_bot.outbox.drain()
        due = await outbox_store.next_attempt_at(gh_bot.db.conn)
        if due is None:
            break
        clock.advance(max(1, due - clock.now()))  # straight to the next moment something is due
    posted = github.comments[1][before:]
    assert [c["body"].split("\n", 1)[1] for c in posted] == [f"Weekly update {n}" for n in range(520)]
    assert github.refused == []  # the stand-in refuses a 501st content write in any hour, and never had to
    counts = await outbox_store.counts(gh_bot.db.conn)
    assert counts.get("dead", 0) == 0 and counts.get("pending", 0) == 0


async def test_quiet_polls_never_use_up_the_bots_hour(github: GitHubSandbox, clock: ManualClock) -> None:
    """A poll answered 304 is given back to the pacer as GitHub gives it back: polling all day costs nothing."""
    client = await asyncio.to_thread(
        GitHubClient,
        github.token,
        "hummingbot/hummingbot",
        base_url=github.url,
        graphql_url=f"{github.url}/graphql",
        pacer=Pacer(80, 3, clock=lambda: float(clock.now())),  # an hour of three requests
    )
    try:
        changed = await changed_issues(client, github.url, None)
        assert changed is not None
        for _ in range(20):
            clock.advance(300)
            assert await changed_issues(client, github.url, changed.etag) is None
        assert await changed_issues(client, github.url, None) is not None  # and the hour still has room
    finally:
        await client.close()


async def test_the_hourly_quota_used_up_elsewhere_holds_every_request_until_its_reset(clock: ManualClock) -> None:
    """The token's hour is shared (another tool may use it): GitHub's X-RateLimit-Reset, read on the bot's
    clock, holds the bot until then, without knocking again in between."""
    github = GitHubSandbox(clock=lambda: float(clock.now()), requests_per_hour=2, validate=False)
    await github.start()
    client = await asyncio.to_thread(
        GitHubClient,
        github.token,
        "hummingbot/hummingbot",
        base_url=github.url,
        graphql_url=f"{github.url}/graphql",
        pacer=Pacer(80, 5000, clock=lambda: float(clock.now())),
    )
    try:
        await changed_issues(client, github.url, None)
        clock.advance(600)
        await changed_issues(client, github.url, None)
        with pytest.raises(GitHubRateLimited) as refused:
            await changed_issues(client, github.url, None)
        assert refused.value.retry_after == 3000  # the first request of the hour leaves it then
        clock.advance(2999)
        with pytest.raises(GitHubRateLimited):
            await changed_issues(client, github.url, None)
        assert len(github.refused) == 1  # held by the bot itself: GitHub was not asked again
        clock.advance(1)
        assert await changed_issues(client, github.url, None) is not None
    finally:
        await client.close()
        await github.stop()
