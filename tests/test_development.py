"""Development and testing, through Discord as people would, mirrored to the GitHub stand-in: assigning the
developer, weekly updates, the checklists, bugs with their SLA clock, and what GitHub sends back."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.store import audit, bounties, bugs, developers
from tests.conftest import People
from tests.github_helpers import deliver, funded, gh_bot, github, github_config, settle
from tests.intake_helpers import start_bounty

__all__ = ["gh_bot", "github"]  # fixtures, used by name


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


def channel_texts(sandbox: DiscordSandbox, channel_id: int) -> list[str]:
    return [Reply(m).text for m in sandbox.state.messages[str(channel_id)]]


def labels(github: GitHubSandbox, number: int) -> set[str]:
    return {label["name"] for label in github.issues[number]["labels"]}


async def assigned(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    channel = await funded(bot, people, clock)
    outcome = await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    assert "dana-dev" in outcome.reply.text, outcome.reply.text
    await settle(bot, clock)
    return channel


# --- /bounty assign -------------------------------------------------------------------------------


async def test_assigning_the_developer_starts_development_everywhere(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await funded(gh_bot, people, clock)
    assert not dev.can_view(channel)
    for person in (people.exchange, people.outsider, dev):
        refused = await person.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
        assert refused.reply.text == "Only Foundation staff can use this command."
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.now() + 3 * 86400))
    done = await people.staff.run("bounty assign", channel=channel, developer=dev, github="@dana-dev", kickoff=when)
    assert done.reply.ephemeral and "is now **development**" in done.reply.text
    await settle(gh_bot, clock)
    assert dev.can_view(channel)
    bounty = await bounties.get(gh_bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.DEVELOPMENT
    welcome = next(m for m in sandbox.state.messages[str(channel)] if "Developer assigned" in Reply(m).text)
    assert dev.mention in welcome["content"] and [u["id"] for u in welcome["mentions"]] == [str(dev.id)]
    kickoff = [e for e in sandbox.state.events.values() if e["name"].startswith("Kick-off")]
    assert len(kickoff) == 1 and kickoff[0]["scheduled_start_time"].startswith(when.replace(" ", "T"))
    # One phase label at a time on the public issue, and the board says Assigned.
    assert [name for name in labels(github, 1) if name.startswith("phase: ")] == ["phase: development"]
    assert next(iter(github.board_items.values()))["status"] == "Assigned"
    status = await people.exchange.run("bounty status", channel=channel)
    assert "GitHub `dana-dev`" in status.reply.text and "Implementation: **0/7**" in status.reply.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"github": "not a login!"}, "is not a GitHub username"),
        ({"github": "-dash"}, "is not a GitHub username"),
        ({"github": "dana-dev", "kickoff": "next tuesday"}, "write it as YYYY-MM-DD HH:MM in UTC"),
        ({"github": "dana-dev", "kickoff": "2020-01-01 10:00"}, "in the past"),
    ],
)
async def test_assignment_input_is_checked(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock, options: dict[str, str], message: str
) -> None:
    channel = await funded(gh_bot, people, clock)
    refused = await people.staff.run("bounty assign", channel=channel, developer=dev, **options)
    assert message in refused.reply.text
    assert await developers.for_bounty(gh_bot.db.conn, 1) is None


async def test_the_exchange_team_cannot_be_the_developer_nor_can_a_bounty_before_funding(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await funded(gh_bot, people, clock)
    refused = await people.staff.run("bounty assign", channel=channel, developer=people.exchange, github="erin")
    assert "is on the exchange team" in refused.reply.text
    await start_bounty(people.teammate, exchange={"exchange": "Grvt"})  # a second exchange, not yet funded
    early = await people.staff.run("bounty assign", channel="developer", developer=dev, github="dana-dev", bounty=2)
    assert "Bounty #2 is `intake`" in early.reply.text


async def test_one_active_bounty_per_developer_unless_their_pull_request_is_under_review(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    first = await assigned(gh_bot, people, dev, clock)
    second = await funded(gh_bot, people, clock, exchange="Grvt")
    busy = await people.staff.run("bounty assign", channel=second, developer=dev, github="dana-dev")
    assert "already building bounty #1" in busy.reply.text
    other_account = await people.staff.run(
        "bounty assign", channel=second, developer=people.outsider, github="DANA-dev"
    )
    assert "already building bounty #1" in other_account.reply.text  # the same GitHub login is the same developer
    await people.staff.run("bounty advance", channel=first, to="testing", reason="PR under review")
    ok = await people.staff.run("bounty assign", channel=second, developer=dev, github="dana-dev")
    assert "builds bounty #2" in ok.reply.text


async def test_reassignment_moves_access_and_tells_github(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    successor = add_user(sandbox, "Rui Replacement")
    moved = await people.staff.run("bounty assign", channel=channel, developer=successor, github="rui")
    assert f"replacing {dev.mention}" in moved.reply.content
    await settle(gh_bot, clock)
    assert successor.can_view(channel) and not dev.can_view(channel)
    assert "Developer reassigned: rui." in github.comments[1][-1]["body"]
    again = await people.staff.run("bounty assign", channel=channel, developer=successor, github="rui")
    assert "is already the developer" in again.reply.text


# --- /update --------------------------------------------------------------------------------------


async def test_the_weekly_update_is_shown_to_the_exchange_and_mirrored_neutralised(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    for person in (people.exchange, people.outsider):
        refused = await person.run("update", channel=channel)
        assert refused.modal is None and refused.reply.ephemeral
    assert "assigned developer" in (await people.exchange.run("update", channel=channel)).reply.text
    assert "not a member of bounty #1" in (await people.outsider.run("update", channel=channel)).reply.text

    clock.advance(3600)
    posted_at = clock.now()
    opened = await dev.run("update", channel=channel)
    assert opened.modal is not None and opened.modal["title"] == "Weekly update · Backpack"
    posted = await dev.submit(
        opened,
        {
            "done": "Auth and order book. Thanks @octocat, fixes #1",
            "next": "Order placement",
            "blockers": "",
            "percent": "40%",
        },
    )
    assert "40% complete" in posted.reply.text
    await settle(gh_bot, clock)
    shown = channel_texts(sandbox, channel)[-1]
    assert "Weekly update · 40% complete" in shown and "Order placement" in shown
    comment = github.comments[1][-1]["body"]
    assert "Weekly update from dana-dev · 40% complete" in comment and "Auth and order book." in comment
    assert "@octocat" not in comment and not re.search(r"fixes #1\b", comment)
    assignment = await developers.for_bounty(gh_bot.db.conn, 1)
    assert assignment is not None and assignment.last_activity_at == posted_at > assignment.assigned_at


async def test_a_refused_update_keeps_what_was_typed(
    gh_bot: BountyBot, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    opened = await dev.run("update", channel=channel)
    typed = {"done": "Market data", "next": "Orders", "blockers": "Waiting on API keys", "percent": "half"}
    refused = await dev.submit(opened, typed)
    assert "Percent complete: a whole number from 0 to 100" in refused.reply.text
    again = await dev.click(refused.reply, "Fix my answers")
    assert again.modal is not None
    prefilled = {
        row["components"][0]["custom_id"]: row["components"][0].get("value") for row in again.modal["components"]
    }
    assert prefilled == typed
    fixed = await dev.submit(again, {"percent": "50"})
    assert "50% complete" in fixed.reply.text
    await settle(gh_bot, clock)
    assert "**Blockers:** Waiting on API keys" in github.comments[1][-1]["body"]


async def test_updates_wait_for_development(gh_bot: BountyBot, people: People, clock: ManualClock) -> None:
    channel = await funded(gh_bot, people, clock)
    early = await people.staff.run("update", channel=channel)
    assert "weekly updates run during development and testing" in early.reply.text


# --- /checklist -----------------------------------------------------------------------------------


async def test_ticking_the_checklist_edits_the_issue_task_list(
    gh_bot: BountyBot,
    sandbox: DiscordSandbox,
    github: GitHubSandbox,
    people: People,
    dev: SandboxUser,
    clock: ManualClock,
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    # Someone on GitHub edits the issue by hand; the bot's ticks must not undo that.
    github.issues[1]["body"] += "\n\nNote from maintainers: use the v2 API."
    shown = await dev.run("checklist", channel=channel)
    assert "Implementation checklist" in shown.reply.text and "0/7 done" in shown.reply.text
    select = shown.reply.selects[0]
    keys = [o["value"] for o in select["options"]]
    ticked = await dev.choose(shown.reply, select["custom_id"], keys[:3])
    assert "3/7 done" in ticked.reply.text and ticked.reply.text.count("✅") == 3
    await settle(gh_bot, clock)
    body = github.issues[1]["body"]
    assert body.count("- [x] ") == 3 and body.count("- [ ] ") == 4
    assert "- [x] Authentication and connection management" in body
    assert "Note from maintainers: use the v2 API." in body
    assert "Implementation checklist: 3/7 done" in channel_texts(sandbox, channel)[-1]

    fewer = await dev.choose(ticked.reply, select["custom_id"], keys[1:3])
    assert "2/7 done" in fewer.reply.text
    await settle(gh_bot, clock)
    assert "- [ ] Authentication and connection management" in github.issues[1]["body"]
    status = await people.exchange.run("bounty status", channel=channel)
    assert "Implementation: **2/7**" in status.reply.text


async def test_who_may_tick_which_checklist(
    gh_bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock
) -> None:
    channel = await assigned(gh_bot, people, dev, clock)
    exchange_view = await people.exchange.run("checklist", channel=channel)
    assert exchange_view.reply.selects == [] and "View only." in exchange_view.reply.text
    dev_qa = await dev.run("checklist", channel=channel, checklist="qa")
    assert dev_qa.reply.selects == [] and "0/12 done" in dev_qa.reply.text
    staff_qa = await people.staff.run("checklist", channel=channel, checklist="qa")
    assert staff_qa.reply.selects, "staff tick the QA checklist"
    outsider = await people.outsider.run("checklist", channel=channel)
    assert "not a member of bounty #1" in outsider.reply.text
    # A stale menu does not let someone who lost the right tick anyway.
    menu = (await dev.run("checklist", channel=channel)).reply
    await people.staff.run("bounty advance", channel=channel, to="cancelled", reason="exchange withdrew")
    late = await dev.choose(menu, menu.selects[0]["custom_id"], [menu.selects[0]["options"][0]["value"]])
    assert "checklists are ticked during development and testing" in late.reply.text
