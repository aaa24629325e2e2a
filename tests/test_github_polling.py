"""The polling fallback reads every page of what changed, not only the first, and asks only for what changed
since it last looked: GitHub's repository comment listing, paged as GitHub pages it."""

from __future__ import annotations

import httpx

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.integrations.github import iso
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.store import audit, developers
from tests.conftest import People
from tests.github_helpers import funded, gh_bot, github, settle

__all__ = ["gh_bot", "github"]  # fixtures, used by name

COMMENTS = "/repos/hummingbot/hummingbot/issues/comments"


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
