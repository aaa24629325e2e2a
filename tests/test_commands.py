"""`/bounty status|list|review|members|cancel|advance` and `/audit`: who may run them and what they do."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import BountyBot
from bot.domain.access import AUDIENCES
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty

STAFF_ONLY = [
    ("bounty list", {}),
    ("bounty review", {"item": "api_docs", "result": "ok", "bounty": 1}),
    ("bounty advance", {"to": "review", "bounty": 1}),
    ("audit", {"bounty": 1}),
]


async def started(bot: BountyBot, people: People) -> int:
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    bounty = await bounties.get(bot.db.conn, 1)
    assert bounty is not None and bounty.channel_id is not None
    return bounty.channel_id


def texts(sandbox: DiscordSandbox, channel_id: int | str) -> list[str]:
    out = []
    for m in sandbox.state.messages[str(channel_id)]:
        out.append(
            " ".join(
                [m["content"]] + [str(e.get("title", "")) + " " + str(e.get("description", "")) for e in m["embeds"]]
            )
        )
    return out


@pytest.mark.parametrize(("command", "options"), STAFF_ONLY)
async def test_staff_commands_are_refused_to_everyone_else(
    bot: BountyBot, people: People, command: str, options: dict[str, Any]
) -> None:
    channel_id = await started(bot, people)
    for person in (people.exchange, people.outsider, people.teammate):
        outcome = await person.run(command, channel=channel_id, **options)
        assert outcome.reply.ephemeral
        assert outcome.reply.text == f"Only Foundation staff can {AUDIENCES[command].doing}."
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.state is State.INTAKE


@pytest.mark.parametrize(("command", "options"), STAFF_ONLY)
async def test_staff_commands_work_for_staff(
    bot: BountyBot, people: People, command: str, options: dict[str, Any]
) -> None:
    channel_id = await started(bot, people)
    outcome = await people.staff.run(command, channel=channel_id, **options)
    assert outcome.reply.ephemeral
    assert "Only Foundation staff" not in outcome.reply.text
    assert "Sorry, something went wrong" not in outcome.reply.text


async def test_status_for_members_and_staff_not_outsiders(bot: BountyBot, people: People) -> None:
    channel_id = await started(bot, people)
    mine = await people.exchange.run("bounty status", channel="general")  # the asker's only bounty
    assert mine.reply.ephemeral
    assert mine.reply.embeds[0]["title"] == "Bounty #1 · Backpack"
    assert "Timeline against targets" in mine.reply.text and "Setup `" in mine.reply.text
    here = await people.staff.run("bounty status", channel=channel_id)
    assert here.reply.embeds[0]["title"] == "Bounty #1 · Backpack"
    refused = await people.outsider.run("bounty status", channel="general", bounty=1)
    assert refused.reply.text == "You are not a member of bounty #1; ask its exchange lead or Foundation staff."
    missing = await people.staff.run("bounty status", channel="general", bounty=99)
    assert "There is no bounty #99" in missing.reply.text
    vague = await people.outsider.run("bounty status", channel="general")
    assert "Which bounty?" in vague.reply.text


async def test_the_technical_review_moves_the_bounty_to_payment(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel_id = await started(bot, people)
    no_note = await people.staff.run("bounty review", channel=channel_id, item="testnet", result="missing")
    assert "Note: say what is missing" in no_note.reply.text

    first = await people.staff.run("bounty review", channel=channel_id, item="api_docs", result="ok")
    assert "Bounty #1 is now **review**" in first.reply.text
    for item in ("authentication", "rate_limits", "special_features"):
        await people.staff.run("bounty review", channel=channel_id, item=item, result="ok")
    last = await people.staff.run("bounty review", channel=channel_id, item="testnet", result="ok")
    assert "Bounty #1 is now **awaiting payment**" in last.reply.text
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.state is State.AWAITING_PAYMENT

    back = await people.staff.run(
        "bounty review", channel=channel_id, item="testnet", result="missing", note="The testnet keys do not work"
    )
    assert "Bounty #1 is now **review**" in back.reply.text
    await bot.outbox.drain()
    seen = texts(sandbox, channel_id)
    assert any(
        "Technical review: Testnet/sandbox availability is missing The testnet keys do not work" in t for t in seen
    )
    assert any("review → awaiting payment" in t for t in seen)


async def test_members_are_managed_by_the_lead_and_staff(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel_id = await started(bot, people)
    added = await people.exchange.run("bounty members add", channel=channel_id, member=people.teammate)
    assert added.reply.text == f"{people.teammate.mention} can now see bounty #1's channel."
    await bot.outbox.drain()
    assert people.teammate.can_view(channel_id)

    again = await people.exchange.run("bounty members add", channel=channel_id, member=people.teammate)
    assert "already a member" in again.reply.text
    by_teammate = await people.teammate.run("bounty members add", channel=channel_id, member=people.outsider)
    assert by_teammate.reply.text == "Only the exchange lead or Foundation staff can add members to a bounty."
    by_outsider = await people.outsider.run("bounty members add", channel="general", member=people.outsider, bounty=1)
    assert "You are not a member of bounty #1" in by_outsider.reply.text
    lead = await people.staff.run("bounty members remove", channel=channel_id, member=people.exchange)
    assert "The exchange lead cannot be removed" in lead.reply.text

    removed = await people.staff.run("bounty members remove", channel=channel_id, member=people.teammate)
    assert "no longer sees bounty #1" in removed.reply.text
    await bot.outbox.drain()
    assert not people.teammate.can_view(channel_id)
    assert not people.outsider.can_view(channel_id)


async def test_cancel_rules_follow_the_money(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    channel_id = await started(bot, people)
    outsider = await people.outsider.run("bounty cancel", channel="general", reason="spam", bounty=1)
    assert "You are not a member of bounty #1" in outsider.reply.text

    await people.staff.run("bounty advance", channel=channel_id, to="review")
    await people.staff.run("bounty advance", channel=channel_id, to="awaiting_payment")
    paid = await people.staff.run("bounty advance", channel=channel_id, to="funded", reason="escrow received")
    assert paid.reply.text == "Bounty #1 is now **funded**."
    lead = await people.exchange.run("bounty cancel", channel=channel_id, reason="changed our minds")
    assert lead.reply.text.startswith("Only staff can move a bounty from `funded` to `cancelled`.")
    staff = await people.staff.run("bounty cancel", channel=channel_id, reason="exchange closed")
    assert staff.reply.text == "Bounty #1 for Backpack is cancelled."
    await bot.outbox.drain()
    alerts = texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"])
    assert any("Refund due: bounty #1 Backpack was cancelled after payment" in t for t in alerts)


async def test_the_exchange_lead_may_withdraw_before_paying(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    channel_id = await started(bot, people)
    done = await people.exchange.run("bounty cancel", channel=channel_id, reason="not now")
    assert done.reply.text == "Bounty #1 for Backpack is cancelled."
    await bot.outbox.drain()
    assert any("intake → cancelled" in t for t in texts(sandbox, channel_id))
    # Cancelled bounties no longer block a fresh start for the same exchange.
    again = await start_bounty(people.exchange)
    assert "Bounty #2 for Backpack is started" in again.reply.text


async def test_an_illegal_move_says_what_is_allowed(bot: BountyBot, people: People) -> None:
    channel_id = await started(bot, people)
    outcome = await people.staff.run("bounty advance", channel=channel_id, to="released")
    assert outcome.reply.text == (
        "A bounty cannot go from `intake` to `released`. From `intake` a bounty can move to: "
        "`review` (staff, system), `cancelled` (exchange, staff)."
    )


async def test_the_audit_trail_lists_what_happened(bot: BountyBot, people: People) -> None:
    channel_id = await started(bot, people)
    await people.staff.run("bounty advance", channel=channel_id, to="review", reason="starting")
    trail = await people.staff.run("audit", channel=channel_id)
    text = trail.reply.text
    assert "Audit trail · bounty #1 Backpack" in text
    assert text.index("bounty_started") < text.index("channel_created") < text.index("state_changed")


async def test_unexpected_errors_get_an_apology_with_an_id_and_a_logged_traceback(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    @app_commands.command(name="explode", description="test-only command that fails")
    async def explode(interaction: discord.Interaction[Any]) -> None:
        raise RuntimeError("kaboom")

    bot.tree.add_command(explode, guild=discord.Object(bot.config.discord.guild_id))
    await bot.tree.sync(guild=discord.Object(bot.config.discord.guild_id))
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        outcome = await people.outsider.run("explode", channel="general")
    match = re.search(r"error id `([0-9a-f]{8})`", outcome.reply.text)
    assert outcome.reply.ephemeral and match
    assert "kaboom" not in outcome.reply.text and "Traceback" not in outcome.reply.text
    record = next(r for r in caplog.records if match.group(1) in r.getMessage())
    assert record.exc_info is not None and "kaboom" in str(record.exc_info[1])
