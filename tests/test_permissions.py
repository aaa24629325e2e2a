"""Who may run what: one declaration (`bot.domain.access.AUDIENCES`), enforced by the services, shown in the
README, and checked here cell by cell for every command against six kinds of person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import BountyBot
from bot.domain.access import AUDIENCES, COMPONENTS, PERSONAS, Actor, allowed, permission_table
from bot.domain.bugs import Severity
from bot.domain.checklists import ChecklistKind
from bot.domain.errors import NotAllowed
from bot.domain.lifecycle import State
from bot.domain.models import ReviewItem, ReviewStatus
from bot.domain.payments import Chain
from bot.domain.qa import ITEMS as QA_ITEMS
from bot.domain.qa import QaGroup
from bot.domain.refunds import RefundVia
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, SandboxUser, add_user
from bot.store import audit, bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty

README = Path(__file__).resolve().parents[1] / "README.md"
# The two sentences a refusal for the audience starts with (bot/domain/access.py).
REFUSED = re.compile(r"^(Only .*Foundation staff can |You are not a member of bounty #)")


def tree_commands(bot: BountyBot) -> set[str]:
    guild = discord.Object(bot.config.discord.guild_id)
    return {c.qualified_name for c in bot.tree.walk_commands(guild=guild) if isinstance(c, app_commands.Command)}


async def test_every_command_has_exactly_one_declared_audience(bot: BountyBot) -> None:
    commands = tree_commands(bot)
    assert set(COMPONENTS) <= set(AUDIENCES)
    assert commands == set(AUDIENCES) - set(COMPONENTS), "declare each command's audience in AUDIENCES"
    menus = {a for a, kind in COMPONENTS.items() if kind == "menu"}
    assert menus == set(MENUS)


def test_the_readme_table_is_the_declaration() -> None:
    assert permission_table() in README.read_text(), "paste the output of `bountybot permissions` into the README"


# --- the matrix, through the sandbox ------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, SandboxUser]
    channel: int  # bounty #1's channel
    spare: SandboxUser  # someone to add, remove or assign


@pytest.fixture
async def world(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> World:
    """Bounty #1 (Backpack): lead, a teammate, an assigned developer, in development, with bug #1.
    Bounty #2 (Kraken) belongs to someone else."""
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None and one.channel_id is not None
    developer = add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))
    other = add_user(sandbox, "Kim Kraken")
    spare = add_user(sandbox, "Sol Spare")
    staff, channel = people.staff, one.channel_id
    added = await people.exchange.run("bounty members add", channel=channel, member=people.teammate)
    assert people.teammate.mention in added.reply.text, added.reply.text
    for state in ("review", "awaiting_payment", "funded"):
        await staff.run("bounty advance", channel=channel, to=state, reason="escrow WIRE-7")
    assigned = await staff.run("bounty assign", channel=channel, developer=developer, github="dana-dev")
    assert "builds bounty #1" in assigned.reply.text, assigned.reply.text
    reported = await people.exchange.run(
        "bug report", channel=channel, severity="major", title="Order book stale", description="Stops after reconnect."
    )
    assert "Bug #1" in reported.reply.text, reported.reply.text
    second = await start_bounty(other, exchange={"exchange": "Kraken", "website": "https://kraken.com"})
    assert "Bounty #2" in second.reply.text, second.reply.text
    await bot.outbox.drain()
    return World(
        people={
            "stranger": people.outsider,
            "exchange lead": people.exchange,
            "exchange teammate": people.teammate,
            "member of another bounty": other,
            "assigned developer": developer,
            "staff": staff,
        },
        channel=channel,
        spare=spare,
    )


def options(command: str, w: World) -> dict[str, Any]:
    """Options a real client would send for `command` about bounty #1."""
    return {
        "bounty start": {},
        "bounty list": {},
        "bounty review": {"item": "api_docs", "result": "ok", "bounty": 1},
        "bounty members add": {"member": w.spare, "bounty": 1},
        "bounty members remove": {"member": w.spare, "bounty": 1},
        "bounty assign": {"developer": w.spare, "github": "sol-dev", "bounty": 1},
        "bounty advance": {"to": "testing", "reason": "matrix", "bounty": 1},
        "bounty cancel": {"reason": "matrix", "bounty": 1},
        "bounty fee": {"amount": "15000", "bounty": 1},
        "bounty refund": {"amount": "100", "via": "wire", "reference": "BACK-1", "bounty": 1},
        "bounty payout record": {"tx": "0x" + "ef" * 32, "bounty": 1},
        "pay wallet": {"chain": "ethereum", "address": "0x" + "ab" * 20, "bounty": 1},
        "pay submit": {"chain": "ethereum", "tx": "0x" + "cd" * 32, "bounty": 1},
        "pay confirm-escrow": {"reference": "WIRE-8", "amount": "10000", "bounty": 1},
        "bug report": {"severity": "minor", "title": "Typo in docs", "description": "A typo in the docs page."},
        "bug resolve": {"id": 1},
        "bug reopen": {"id": 1},
        "bug pause": {"id": 1, "reason": "Waiting on API keys"},
        "bug resume": {"id": 1},
        "bug severity": {"id": 1, "level": "critical"},
        "update pause": {"until": "2026-12-10", "reason": "Vacation", "bounty": 1},
        "update settings": {"day": "tuesday", "hour": 9, "timezone": "Europe/Paris", "bounty": 1},
        "alerts on": {},
        "alerts off": {},
        "alerts dm on": {},
        "alerts dm off": {},
        "release record": {"bounty": 1, "version": "2.14.0"},
        "report usage": {"bounty": 1, "users": "120", "volume": "250000"},
        "governance checklist": {"item": "specification", "note": "https://example.com/spec", "bounty": 1},
        "governance link": {"proposal": "0x" + "ab" * 32, "bounty": 1},
        "governance resubmit": {"proposal": "0x" + "ab" * 32, "bounty": 1},
    }.get(command, {"bounty": 1})


def outcome_text(done: Outcome) -> str:
    if done.modal is not None:
        return "(a form opened)"
    replies = [done.reply, *done.followups]
    return " ".join(r.text for r in replies)


COMMANDS = [a for a in AUDIENCES if a not in COMPONENTS]


@pytest.mark.parametrize("command", COMMANDS)
async def test_permission_matrix(bot: BountyBot, world: World, command: str) -> None:
    before = len(await audit.for_bounty(bot.db.conn, 1))
    refused_first = sorted(PERSONAS, key=lambda p: allowed(command, p))  # refusals must change nothing
    for persona in refused_first:
        person = world.people[persona]
        channel: int | str = "developer" if command == "bounty start" else world.channel
        done = await person.run(command, channel=channel, **options(command, world))
        text = outcome_text(done)
        assert "something went wrong" not in text, (command, persona, text)
        if allowed(command, persona):
            assert not REFUSED.match(text), f"/{command} refused {persona}: {text}"
        else:
            assert REFUSED.match(text), f"/{command} let {persona} in: {text}"
            assert done.reply.ephemeral
            assert len(await audit.for_bounty(bot.db.conn, 1)) == before, f"/{command} by {persona} changed bounty #1"


# Each menu: the checklist it is on, and the option pressed (for the QA menu, an item of that group).
MENUS: dict[str, tuple[ChecklistKind, str | None]] = {
    "checklist tick implementation": (ChecklistKind.IMPLEMENTATION, None),
    **{g.action: (ChecklistKind.QA, next(i.key for i in QA_ITEMS if i.group is g)) for g in QaGroup},
}


@pytest.mark.parametrize("action", list(MENUS))
async def test_the_checklist_menus_follow_their_audience(
    bot: BountyBot, sandbox: DiscordSandbox, world: World, action: str
) -> None:
    kind, option = MENUS[action]
    staff_view = await world.people["staff"].run("checklist", channel=world.channel, checklist=kind.value, bounty=1)
    menu = staff_view.reply.selects[0]
    first = option or menu["options"][0]["value"]
    for persona in sorted(PERSONAS, key=lambda p: allowed(action, p)):
        before = len(await audit.for_bounty(bot.db.conn, 1))
        done = await world.people[persona].press(
            menu["custom_id"], channel=world.channel, values=[first], message=staff_view.reply.message
        )
        text = outcome_text(done)
        if allowed(action, persona):
            assert not REFUSED.match(text), f"{action} refused {persona}: {text}"
        else:
            assert REFUSED.match(text), f"{action} let {persona} in: {text}"
            assert len(await audit.for_bounty(bot.db.conn, 1)) == before


# --- the services refuse whatever calls them ------------------------------------------------------------------


async def test_services_refuse_outside_their_audience_without_the_tree(bot: BountyBot, world: World) -> None:
    """Called directly, as a future cog, timer or webhook might: the declaration still decides."""
    s = bot.services
    teammate = Actor(world.people["exchange teammate"].id, is_staff=False)
    lead = Actor(world.people["exchange lead"].id, is_staff=False)
    developer = Actor(world.people["assigned developer"].id, is_staff=False)
    calls: list[Any] = [
        lambda: s.bounties.list_bounties(lead, None, 10),
        lambda: s.bounties.review(lead, 1, None, ReviewItem.API_DOCS, ReviewStatus.OK, ""),
        lambda: s.bounties.advance(lead, 1, None, State.TESTING, "x"),
        lambda: s.bounties.audit_trail(lead, 1, None),
        lambda: s.bounties.cancel(teammate, 1, None, "not the lead"),
        lambda: s.refunds.set_fee(lead, 1, None, "15000"),
        lambda: s.refunds.refund(lead, 1, None, "100", RefundVia.WIRE, "BACK-1"),
        lambda: s.payments.register_wallet(developer, 1, None, Chain.ETHEREUM, "0x" + "ab" * 20),
        lambda: s.payments.confirm_escrow(teammate, 1, None, "WIRE-9", "10000"),
        lambda: s.bugs.resolve(lead, 1),
        lambda: s.bugs.reopen(developer, 1),
        lambda: s.bugs.pause(lead, 1, "Waiting on API keys"),
        lambda: s.bugs.set_severity(developer, 1, Severity.CRITICAL),
        lambda: s.checklists.tick(lead, 1, ChecklistKind.IMPLEMENTATION, []),
        lambda: s.qa.record(lead, 1, QA_ITEMS[0].key, "pass", "https://github.com/hummingbot/hummingbot/pull/1"),
        lambda: s.qa.record(teammate, 1, QA_ITEMS[5].key, "fail", "Strategy stops after an hour"),
        lambda: s.qa.record(developer, 1, QA_ITEMS[-1].key, "pass", "Adjusted the tick sizes"),
        lambda: s.updates.pause(lead, 1, None, "2026-12-10", "Vacation"),
        lambda: s.updates.resume(teammate, 1, None),
        lambda: s.updates.settings(lead, 1, None, "monday", 9, "UTC"),
        lambda: s.developers.reassign_inactive(developer, 1, 1),
        lambda: s.releases.record(lead, 1, "2.14.0"),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            await call()
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None and one.state is State.DEVELOPMENT


# --- where interactions come from -----------------------------------------------------------------------------


async def test_commands_from_another_server_or_a_dm_are_refused(bot: BountyBot, world: World) -> None:
    lead = world.people["exchange lead"]
    foreign = await lead.run(
        "bounty cancel", channel=world.channel, guild_id="999999999999999999", reason="x", bounty=1
    )
    assert foreign.reply.ephemeral and "only serves the Hummingbot Foundation's server" in foreign.reply.text
    dm = await lead.run("bounty status", channel=lead.dm(), bounty=1)
    assert "not in direct messages" in dm.reply.text
    one = await bounties.get(bot.db.conn, 1)
    assert one is not None and one.state is State.DEVELOPMENT


async def checklist_message(world: World) -> dict[str, Any]:
    shown = await world.people["assigned developer"].run("checklist", channel=world.channel, bounty=1)
    return shown.reply.message


async def test_a_checklist_menu_pressed_from_a_dm_or_another_server_ticks_nothing(bot: BountyBot, world: World) -> None:
    dev = world.people["assigned developer"]
    message = await checklist_message(world)
    before = len(await audit.for_bounty(bot.db.conn, 1))
    done = await dev.press("checklist:1:implementation", channel=dev.dm(), values=["auth"], message=message)
    assert "not in direct messages" in done.reply.text
    done = await dev.press(
        "checklist:1:implementation", channel=world.channel, values=["auth"], message=message, guild_id="42"
    )
    assert "only serves" in done.reply.text
    assert len(await audit.for_bounty(bot.db.conn, 1)) == before


@pytest.mark.parametrize(
    "custom_id",
    [
        "checklist:" + "9" * 23 + ":implementation",  # would overflow SQLite's integers
        "checklist:0:implementation",
        "checklist:1:everything",
        "checklist:2:implementation",  # a real shape, but not on this message
        "bounty:intake:continue:" + "1" * 40,
        "bounty:intake:continue:",
        "nonsense",
        "x" * 100,
    ],
)
async def test_a_forged_or_stale_custom_id_is_answered_briefly(bot: BountyBot, world: World, custom_id: str) -> None:
    dev = world.people["assigned developer"]
    message = await checklist_message(world)
    before = len(await audit.for_bounty(bot.db.conn, 1))
    values = ["auth"] if custom_id.startswith("check") else None
    done = await dev.press(custom_id, channel=world.channel, values=values, message=message)
    assert done.reply.ephemeral and done.reply.text.startswith("This button is no longer valid"), done.reply.text
    assert len(await audit.for_bounty(bot.db.conn, 1)) == before
