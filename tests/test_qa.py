"""The QA protocol with evidence (issue 11, item 1), through Discord as staff, the exchange and the developer
would use it, mirrored to the GitHub stand-in: results recorded with their note and who verified them when,
who records which group, a failed item opening a bug in one step, the gate before governance and its
override, and progress in `/bounty status` and on the public issue."""

from __future__ import annotations

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.lifecycle import State
from bot.domain.qa import ITEMS, QaGroup
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.github import GitHubSandbox
from bot.store import audit, bounties, bugs, qa
from tests.conftest import People
from tests.github_helpers import funded, gh_bot, github, settle
from tests.inert_helpers import HOSTILE, hostile_live
from tests.qa_helpers import EVIDENCE, pass_qa

__all__ = ["gh_bot", "github"]  # fixtures, used by name

FUNCTIONAL = ITEMS[0]  # Functional: order lifecycle (create, cancel, fill)
RECOVERY = next(i for i in ITEMS if i.label == "Functional: error recovery")
PRODUCTION = next(i for i in ITEMS if i.label == "Exchange validation: production testing")


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


async def in_testing(bot: BountyBot, people: People, dev: SandboxUser, clock: ManualClock) -> int:
    """Bounty #1 (Backpack), its developer assigned, its pull request under test; returns its channel."""
    channel = await funded(bot, people, clock)
    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await people.staff.run("bounty advance", channel=channel, to="testing", reason="PR #77 submitted")
    await settle(bot, clock)
    return channel


async def record(person: SandboxUser, channel: int, item_key: str, values: dict[str, str]):  # type: ignore[no-untyped-def]
    """Open `/checklist checklist:QA`, pick the item, fill in and submit the form."""
    shown = await person.run("checklist", channel=channel, checklist="qa")
    menu = shown.reply.selects[0]
    form = await person.choose(shown.reply, menu["custom_id"], [item_key])
    assert form.modal is not None, form.reply.text
    return await person.submit(form, values)


def channel_texts(sandbox: DiscordSandbox, channel: int) -> list[str]:
    return [Reply(m).text for m in sandbox.state.messages[str(channel)]]


async def test_smoke(gh_bot: BountyBot, sandbox: DiscordSandbox, github: GitHubSandbox, people: People, dev: SandboxUser, clock: ManualClock) -> None:
    channel = await in_testing(gh_bot, people, dev, clock)
    done = await record(people.staff, channel, FUNCTIONAL.key, {"result": "pass", "note": f"Run {EVIDENCE}"})
    print(done.reply.text)
    assert "Recorded **pass**" in done.reply.text
