"""Ambiguous failures: GitHub made the issue or the comment, and the bot never saw the answer (a 502 after the
write, or an answer so late the client gave up). The outbox retries; nothing appears twice on GitHub."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.integrations.github import GitHubClient, GitHubUnavailable, Pacer
from bot.mirror import GitHubMirror
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot, sandbox_config
from bot.store import bugs
from bot.store import outbox as outbox_store
from tests.conftest import People
from tests.github_helpers import assigned, funded, gh_bot, github, github_config, report_bug, settle

__all__ = ["gh_bot", "github"]  # fixtures, used by name

ISSUES = "/repos/hummingbot/hummingbot/issues"
COMMENTS = r"/issues/1/comments$"


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


def bodies(github: GitHubSandbox, number: int, text: str) -> list[str]:
    return [c["body"] for c in github.comments.get(number, []) if text in c["body"]]


async def weekly_update(dev: SandboxUser, channel: int) -> None:
    opened = await dev.run("update post", channel=channel)
    fields = {"done": "Order book stream", "next": "Order placement", "blockers": "", "percent": "40%"}
    assert "40% complete" in (await dev.submit(opened, fields)).reply.text


# --- a 502 after the write, through the bot's own outbox ----------------------------------------------------


async def test_a_bounty_issue_made_before_a_502_is_not_made_again(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    github.fault("POST", r"/issues$", 502, performed=True)
    channel = await funded(gh_bot, people, clock)
    assert len(github.issues) == 1
    assert [e for e in github.log if e[:2] == ("POST", ISSUES)] == [("POST", ISSUES, 502)]  # never sent again
    row = await outbox_store.get(gh_bot.db.conn, "bounty:1:github_issue")
    assert row is not None and row.status == "done" and row.attempts == 2
    status = await people.exchange.run("bounty status", channel=channel)
    assert github.issues[1]["html_url"] in status.reply.text


async def test_a_bug_issue_made_before_a_502_is_not_made_again(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    github.fault("POST", r"/issues$", 502, performed=True)
    await report_bug(people, channel)
    await settle(gh_bot, clock)
    assert sorted(github.issues) == [1, 2] and github.issues[2]["title"].endswith("Order book stale")
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.github_number == 2
    assert len(bodies(github, 1, "Bug reported (Major): #2")) == 1


Action = Callable[[DiscordSandbox, People, SandboxUser, int], Awaitable[None]]


async def advance_to_testing(sandbox: DiscordSandbox, people: People, dev: SandboxUser, channel: int) -> None:
    await people.staff.run("bounty advance", channel=channel, to="testing")


async def post_update(sandbox: DiscordSandbox, people: People, dev: SandboxUser, channel: int) -> None:
    await weekly_update(dev, channel)


async def reassign(sandbox: DiscordSandbox, people: People, dev: SandboxUser, channel: int) -> None:
    await people.staff.run("bounty assign", channel=channel, developer=add_user(sandbox, "Rui"), github="rui")


async def bug_link(sandbox: DiscordSandbox, people: People, dev: SandboxUser, channel: int) -> None:
    await report_bug(people, channel)


@pytest.mark.parametrize(
    ("action", "text"),
    [
        (advance_to_testing, "**development** → **testing**"),  # a phase comment
        (post_update, "Weekly update from dana-dev · 40% complete"),  # a mirrored update
        (reassign, "Developer reassigned: rui."),  # a note on the issue
        (bug_link, "Bug reported (Major): #2"),  # a bug's link from the bounty issue
    ],
    ids=["phase", "weekly-update", "developer", "bug-link"],
)
async def test_a_comment_made_before_a_502_is_not_made_again(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
    action: Action,
    text: str,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    github.fault("POST", COMMENTS, 502, performed=True)
    await action(sandbox, people, dev, channel)
    await settle(gh_bot, clock)
    assert len(bodies(github, 1, text)) == 1
    assert ("POST", f"{ISSUES}/1/comments", 502) in github.log  # the answer was lost once
    counts = await outbox_store.counts(gh_bot.db.conn)
    assert counts.get("pending", 0) == 0 and counts.get("dead", 0) == 0


async def test_the_same_note_asked_for_twice_is_written_twice(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    """Looking for a lost comment must not swallow a later one with the same words."""
    channel = await assigned(gh_bot, people, dev, clock)
    await people.staff.run("bounty advance", channel=channel, to="testing")
    rui, sam = add_user(sandbox, "Rui"), add_user(sandbox, "Sam")
    for who, login in ((rui, "rui"), (sam, "sam"), (rui, "rui")):
        github.fault("POST", COMMENTS, 502, performed=True)  # every answer lost once
        await people.staff.run("bounty assign", channel=channel, developer=who, github=login)
        await settle(gh_bot, clock)
    assert len(bodies(github, 1, "Developer reassigned: rui.")) == 2
    assert len(bodies(github, 1, "Developer reassigned: sam.")) == 1


# --- an answer that comes too late: the client gives up first ----------------------------------------------


@pytest.fixture
async def impatient(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[BountyBot, GitHubMirror]]:
    """The bot without a GitHub token (its own mirror waits), and a mirror on its database whose client gives up
    after a second: each test plays the outbox's attempts by hand, the way the outbox would make them."""
    section = {"api_base_url": github.url, "graphql_url": f"{github.url}/graphql"}
    async with running_bot(sandbox_config(sandbox, tmp_path / "gh.db", github=section), clock=clock) as bot:
        assert bot.github_client is None
        client = await asyncio.to_thread(
            GitHubClient,
            github.token,
            bot.config.github.repository,
            base_url=github.url,
            graphql_url=f"{github.url}/graphql",
            pacer=Pacer(80, 5000, clock=lambda: float(clock.now())),
            timeout=1,
        )
        try:
            yield bot, GitHubMirror(client, bot.changes, bot.config)
        finally:
            await client.close()


async def payload(bot: BountyBot, key: str) -> dict[str, object]:
    item = await outbox_store.get(bot.db.conn, key)
    assert item is not None, key
    return item.payload


async def test_writes_answered_after_the_client_gave_up_are_not_made_again(
    impatient: tuple[BountyBot, GitHubMirror],
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    bot, mirror = impatient
    channel = await funded(bot, people, clock)
    bounty_issue = await payload(bot, "bounty:1:github_issue")
    github.fault("POST", r"/issues$", 0, hang=3)  # made, then no answer for longer than the client waits
    with pytest.raises(GitHubUnavailable):
        await mirror.bounty_issue(bounty_issue)
    assert len(github.issues) == 1  # GitHub has it; the bot does not know
    assert (await mirror.bounty_issue(bounty_issue))["number"] == 1  # the retry finds it
    assert len(github.issues) == 1

    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await report_bug(people, channel)
    bug_issue = await payload(bot, "bug:1:github_issue")
    github.fault("POST", r"/issues$", 502, performed=True, hang=3)
    with pytest.raises(GitHubUnavailable):
        await mirror.bug_issue(bug_issue)
    assert (await mirror.bug_issue(bug_issue))["number"] == 2
    assert sorted(github.issues) == [1, 2]

    comments = [await payload(bot, "bug:1:github_link")]
    await weekly_update(dev, channel)
    comments.append(await payload(bot, "bounty:1:github_update:1"))
    for item in comments:
        github.fault("POST", COMMENTS, 0, hang=3)
        with pytest.raises(GitHubUnavailable):
            await mirror.comment(item)
        made = github.comments[1][-1]["id"]
        assert await mirror.comment(item) == {"comment": made}  # the retry finds what the lost attempt made
    assert len(bodies(github, 1, "Bug reported (Major): #2")) == 1
    assert len(bodies(github, 1, "Weekly update from dana-dev")) == 1
    assert len(github.comments[1]) == 2


# --- an attempt noted by the BountyBot before this one ------------------------------------------------------


def as_written_before_migration_5(path: Path) -> None:
    """Put the database back as BountyBot stood before migration 005: unanswered writes kept among the poll's
    ETags as `write:<key>` rows."""
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO github_poll (resource, etag) SELECT 'write:' || key, CAST(begun_at AS TEXT) FROM github_writes"
        )
        db.execute("DROP TABLE github_writes")
        db.execute("DELETE FROM schema_migrations WHERE version = 5")


async def test_a_comment_whose_answer_was_lost_before_an_upgrade_is_not_made_again_after_it(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People, dev: SandboxUser
) -> None:
    config = github_config(sandbox, github, tmp_path, webhook=False)
    async with running_bot(config, clock=clock) as bot:
        channel = await assigned(bot, people, dev, clock)
        before = len(github.log)
        github.fault("POST", COMMENTS, 502, performed=True)
        await weekly_update(dev, channel)
        await bot.outbox.drain()  # the comment is made, its answer lost; the retry waits for its backoff
        assert len(bodies(github, 1, "Weekly update from dana-dev")) == 1
    as_written_before_migration_5(tmp_path / "gh.db")
    async with running_bot(config, clock=clock) as bot:  # the upgraded bot migrates, then retries
        await settle(bot, clock)
        counts = await outbox_store.counts(bot.db.conn)
        assert counts.get("pending", 0) == 0 and counts.get("dead", 0) == 0
    assert len(bodies(github, 1, "Weekly update from dana-dev")) == 1
    assert [e for e in github.log[before:] if e[:2] == ("POST", f"{ISSUES}/1/comments")] == [
        ("POST", f"{ISSUES}/1/comments", 502)  # never sent again
    ]
