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
    gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock
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
    other_account = await people.staff.run("bounty assign", channel=second, developer=people.outsider, github="DANA-dev")
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

