"""The polling fallback reads every page of what changed, not only the first, and asks only for what changed
since it last looked: GitHub's repository issue and comment listings, paged as GitHub pages them."""

from __future__ import annotations

import httpx

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.integrations.github import iso
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.store import audit, bounties, bugs, developers
from tests.conftest import People
from tests.github_helpers import assigned, funded, gh_bot, github, report_bug, settle
from tests.qa_helpers import pass_qa

__all__ = ["gh_bot", "github"]  # fixtures, used by name

COMMENTS = "/repos/hummingbot/hummingbot/issues/comments"
ISSUES = "/repos/hummingbot/hummingbot/issues"


async def test_the_comment_listing_pages_and_filters_as_github_does(github: GitHubSandbox, clock: ManualClock) -> None:
    github.issues[1] = github._issue(1, "Bounty - add Backpack connector", "", [], "bountybot")
    for n in range(150):
        github.add_comment(1, f"comment {n}", author="someone")
    clock.advance(60)
    later = [github.add_comment(1, f"later {n}", author="someone") for n in range(3)]
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {github.token}"}) as http:
        first = await http.get(
            f"{github.url}{COMMENTS}", params={"sort": "updated", "direction": "desc", "per_page": 500}
        )
        assert len(first.json()) == 100  # per_page is at most 100
        assert [c["body"] for c in first.json()[:3]] == ["later 2", "later 1", "later 0"]
        assert first.links["last"]["url"] == first.links["next"]["url"]
        second = await http.get(first.links["next"]["url"])
        assert len(second.json()) == 53 and set(second.links) == {"first", "prev"}  # the last page
        unsorted = await http.get(f"{github.url}{COMMENTS}", params={"per_page": 100})
        assert unsorted.json()[0]["body"] == "comment 0"  # without sort: ascending id
        since = await http.get(f"{github.url}{COMMENTS}", params={"since": iso(clock.now() - 60)})
        assert [c["id"] for c in since.json()] == [c["id"] for c in later]  # only what was updated after
        conditional = await http.get(
            first.url, headers={"If-None-Match": first.headers["etag"]}
        )  # unchanged first page: 304
        assert conditional.status_code == 304


async def test_a_developer_comment_on_the_third_page_counts_as_activity(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    dev: SandboxUser = add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))
    channel = await funded(gh_bot, people, clock)
    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await settle(gh_bot, clock)
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await gh_bot.github_events.poll_once(client, base)  # catch up with what the bot wrote itself
    assigned_at = (await developers.for_bounty(gh_bot.db.conn, 1)).last_activity_at  # type: ignore[union-attr]

    clock.advance(3600)
    github.add_comment(1, "Order book done, starting on orders", author="dana-dev")
    said_at = clock.now()
    for n in range(230):  # a busy hour on the repository: the developer's comment is now on page 3
        clock.advance(15)
        github.add_comment(1, f"+1 from watcher {n}", author=f"watcher-{n}")
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(client, base) == 1
    pages = [entry for entry in github.log[before:] if entry[1] == COMMENTS]
    assert pages == [("GET", COMMENTS, 200)] * 3
    activity = await developers.for_bounty(gh_bot.db.conn, 1)
    assert activity is not None and activity.last_activity_at == said_at > assigned_at
    trail = [e.action for e in await audit.for_bounty(gh_bot.db.conn, 1)]
    assert trail.count("developer_activity") == 1

    # The next look asks only for what changed since the newest comment seen: one page, not three again.
    clock.advance(3600)
    github.add_comment(1, "Orders done", author="dana-dev")
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(client, base) == 1
    assert [entry for entry in github.log[before:] if entry[1] == COMMENTS] == [("GET", COMMENTS, 200)]
    activity = await developers.for_bounty(gh_bot.db.conn, 1)
    assert activity is not None and activity.last_activity_at == clock.now()
    # And nothing changed: a 304, nothing counted twice.
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(client, base) == 0
    assert [entry for entry in github.log[before:] if entry[1] == COMMENTS] == [("GET", COMMENTS, 304)]


def busy_hour(github: GitHubSandbox, clock: ManualClock, updates: int) -> None:
    """Issues and pull requests by other people, none about a bounty, each updated after the one before."""
    for n in range(updates):
        clock.advance(15)
        if n % 3:
            github.add_issue(f"Question {n} about the gateway", "How do I configure it?")
        else:
            github.add_pull_request(f"Fix typo {n}", "Docs only.", author=f"contributor-{n}")


async def test_a_pull_request_merged_on_the_last_page_still_moves_the_bounty_on(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    for state in ("open", "development"):
        await people.staff.run("bounty advance", channel=channel, to=state)
    await settle(gh_bot, clock)
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await gh_bot.github_events.poll_once(client, base)  # catch up with what the bot wrote itself

    await pass_qa(gh_bot, people)  # the QA gate holds for a merge too (tests/test_qa.py)
    clock.advance(60)
    pr = github.add_pull_request("Backpack connector", f"Implements {github.issues[1]['html_url']}", author="dana-dev")
    clock.advance(60)
    github.merge(pr["number"])
    busy_hour(github, clock, 130)  # the merged pull request is now on the second and last page
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(client, base) == 2  # submitted, then merged
    assert (await bounties.get(gh_bot.db.conn, 1)).state is State.GOVERNANCE  # type: ignore[union-attr]
    assert [e for e in github.log[before:] if e[1] == ISSUES] == [("GET", ISSUES, 200)] * 2
    await settle(gh_bot, clock)
    assert next(iter(github.board_items.values()))["status"] == "Merged"
    status = await people.exchange.run("bounty status", channel=channel)
    assert "Bounties Board: **Merged**" in status.reply.text

    # The next look asks only for what changed since the newest update seen: one page, not two again.
    clock.advance(60)
    github.add_issue("Another question")
    before = len(github.log)
    await gh_bot.github_events.poll_once(client, base)
    assert [e for e in github.log[before:] if e[1] == ISSUES] == [("GET", ISSUES, 200)]
    before = len(github.log)
    await gh_bot.github_events.poll_once(client, base)
    assert [e for e in github.log[before:] if e[1] == ISSUES] == [("GET", ISSUES, 304)]


async def test_a_bug_issue_closed_on_the_second_page_resolves_its_bug(
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, clock: ManualClock
) -> None:
    dev: SandboxUser = add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))
    channel = await assigned(gh_bot, people, dev, clock)
    await report_bug(people, channel)
    await settle(gh_bot, clock)
    bug = await bugs.get(gh_bot.db.conn, 1)
    assert bug is not None and bug.github_number is not None and bug.state.value == "open"
    client, base = gh_bot.github_client, gh_bot.config.github.api_base_url
    assert client is not None
    await gh_bot.github_events.poll_once(client, base)  # catch up with what the bot wrote itself

    clock.advance(60)
    github.set_open(bug.github_number, False)  # the developer closes the bug's issue on GitHub
    busy_hour(github, clock, 120)  # … and the bug's issue is now on page 2
    before = len(github.log)
    assert await gh_bot.github_events.poll_once(client, base) == 1
    assert (await bugs.get(gh_bot.db.conn, 1)).state.value == "resolved"  # type: ignore[union-attr]
    assert [e for e in github.log[before:] if e[1] == ISSUES] == [("GET", ISSUES, 200)] * 2
    assert await gh_bot.github_events.poll_once(client, base) == 0  # nothing new, nothing twice
