"""`/bounty start`, driven through the sandbox exactly as an exchange representative would."""

from __future__ import annotations

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.state import CATEGORY, TEXT, VIEW_CHANNEL
from bot.store import audit, bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty


def channel_of(sandbox: DiscordSandbox, channel_id: int | None) -> dict:  # type: ignore[type-arg]
    assert channel_id is not None
    return sandbox.state.channels[str(channel_id)]


async def test_intake_happy_path(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    final = await start_bounty(people.exchange)
    await bot.outbox.drain()
    reply = final.reply
    assert reply.ephemeral
    assert "Bounty #1 for Backpack is started" in reply.text
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.state is State.INTAKE and stored.requester_id == people.exchange.id
    assert f"<#{stored.channel_id}>" in reply.text

    channel = channel_of(sandbox, stored.channel_id)
    assert channel["name"] == "bounty-1-backpack"
    assert sandbox.state.channels[channel["parent_id"]]["name"] == "Bounties"
    welcome = sandbox.state.messages[channel["id"]][0]
    assert welcome["embeds"][0]["title"] == "Welcome, Backpack: connector bounty #1"
    text = str(welcome["embeds"][0])
    for expected in (
        "Technical review",
        "Option A: direct crypto payment",
        "Option B: escrow agreement",
        "Timeline (4–8 weeks)",
        "https://docs.backpack.exchange/ws",
        "ED25519 signed requests",
    ):
        assert expected in text
    assert [u["id"] for u in welcome["mentions"]] == [str(people.exchange.id)]

    events = list(sandbox.state.events.values())
    assert len(events) == 1
    assert events[0]["name"] == "Intro call: Backpack connector bounty"
    assert events[0]["scheduled_start_time"].startswith("2026-11-27T15:00:00")

    staff_alerts = sandbox.state.messages[sandbox.state.channel_named("staff-alerts")["id"]]
    assert any("New bounty #1: Backpack" in m["embeds"][0]["title"] for m in staff_alerts)
    actions = [e.action for e in await audit.for_bounty(bot.db.conn, 1)]
    assert actions[:2] == ["bounty_started", "channel_created"]


async def test_the_private_channel_is_visible_to_exactly_the_requester_staff_and_the_bot(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    await start_bounty(people.exchange)
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None
    channel = channel_of(sandbox, stored.channel_id)
    overwrites = {o["id"]: o for o in channel["permission_overwrites"]}
    everyone = overwrites[sandbox.state.guild_id]
    assert int(everyone["deny"]) & VIEW_CHANNEL and not int(everyone["allow"]) & VIEW_CHANNEL
    staff_role = sandbox.state.role_named("hummingbot-foundation")["id"]
    assert int(overwrites[staff_role]["allow"]) & VIEW_CHANNEL
    assert int(overwrites[str(people.exchange.id)]["allow"]) & VIEW_CHANNEL
    assert set(overwrites) == {
        sandbox.state.guild_id,
        staff_role,
        str(people.exchange.id),
        sandbox.state.bot_user["id"],
    }
    viewers = sandbox.state.viewers(channel["id"])
    # The server's owner sees every channel, as on Discord; nobody else beyond these three does.
    owner = sandbox.state.guild["owner_id"]
    assert viewers == {str(people.exchange.id), str(people.staff.id), sandbox.state.bot_user["id"], owner}
    assert not people.outsider.can_view(channel["id"]) and not people.teammate.can_view(channel["id"])


async def test_start_outside_the_intake_channel_points_to_it(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    outcome = await people.exchange.run("bounty start", channel="general")
    assert outcome.modal is None
    intake = sandbox.state.channel_named("developer")["id"]
    assert outcome.reply.ephemeral
    assert outcome.reply.text == f"Bounties start in <#{intake}>: run `/bounty start` there."


async def test_invalid_answers_are_listed_and_can_be_fixed(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    bad = await start_bounty(people.exchange, exchange={"website": "backpack.exchange", "subtypes": ["spot", "clmm"]})
    assert bad.reply.ephemeral
    assert "Website: `backpack.exchange` must start with https://" in bad.reply.text
    assert "pick CLOB sub-types or AMM/DEX sub-types, not both" in bad.reply.text
    reopened = await people.exchange.click(bad.reply, "Fix my answers")
    assert reopened.modal is not None
    fields = {c["component"]["custom_id"]: c["component"] for c in reopened.modal["components"] if c["type"] == 18}
    fields.update(
        {c["components"][0]["custom_id"]: c["components"][0] for c in reopened.modal["components"] if c["type"] == 1}
    )
    assert fields["website"]["value"] == "backpack.exchange"  # what they typed comes back, ready to fix
    assert await bounties.list_all(bot.db.conn) == []

    bad2 = await start_bounty(people.exchange, technical={"api_docs": "see our website", "testnet_url": "ftp://t.x"})
    assert "API documentation: `see` must start with https://" in bad2.reply.text
    assert "Testnet / sandbox URL:" in bad2.reply.text
    assert await bounties.list_all(bot.db.conn) == []


async def test_a_second_open_bounty_for_the_same_exchange_is_refused_with_a_link(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    await start_bounty(people.exchange)
    first = await bounties.get(bot.db.conn, 1)
    assert first is not None
    again = await start_bounty(people.teammate, exchange={"exchange": "BACKPACK"})
    assert again.reply.ephemeral
    assert f"Backpack already has an open bounty: #1 (intake) in <#{first.channel_id}>" in again.reply.text
    assert len(await bounties.list_all(bot.db.conn)) == 1


async def test_user_text_never_pings_anyone(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    await start_bounty(
        people.exchange,
        exchange={"contact": f"@everyone and {people.staff.mention} @here"},
        technical={"special_features": f"<@&{sandbox.state.role_named('hummingbot-foundation')['id']}>"},
    )
    await bot.outbox.drain()
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None
    for message in sandbox.state.messages[str(stored.channel_id)]:
        assert message["mention_everyone"] is False and message["mention_roles"] == []
        assert [u["id"] for u in message["mentions"]] in ([], [str(people.exchange.id)])


async def test_a_full_category_overflows_into_a_new_one(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    category = sandbox.state.channel_named("Bounties")
    for i in range(50):
        await sandbox.create_channel(f"old-{i}", TEXT, parent_id=category["id"])
    await start_bounty(people.exchange)
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None
    parent = sandbox.state.channels[channel_of(sandbox, stored.channel_id)["parent_id"]]
    assert parent["name"] == "Bounties 2" and parent["type"] == CATEGORY
    assert not people.outsider.can_view(parent["id"])


async def test_a_discord_outage_during_intake_loses_nothing(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    outage = sandbox.fail("POST", r"^/guilds/\d+/channels$", status=503)
    final = await start_bounty(people.exchange)
    assert "Bounty #1 for Backpack is started" in final.reply.text
    assert "being created" in final.reply.text
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.channel_id is None
    assert outage.remaining < 1_000_000  # the bot did try
    sandbox.heal()
    for _ in range(6):
        clock.advance(120)
        await bot.outbox.drain()
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.channel_id is not None
    created = [c for c in sandbox.state.guild_channels() if c["name"] == "bounty-1-backpack"]
    assert len(created) == 1
    welcomes = [
        m
        for m in sandbox.state.messages[str(stored.channel_id)]
        if m["embeds"] and m["embeds"][0]["title"].startswith("Welcome")
    ]
    assert len(welcomes) == 1


@pytest.mark.parametrize("config_change", [{"intake_channel": "no-such-channel"}])
async def test_missing_configured_channels_are_named_at_start(
    sandbox: DiscordSandbox,
    tmp_path,
    clock,  # type: ignore[no-untyped-def]
    config_change: dict[str, str],
) -> None:
    from bot.sandbox.harness import running_bot, sandbox_config

    config = sandbox_config(sandbox, tmp_path / "x.db", discord={**config_change, "alerts_role": "nobody"})
    async with running_bot(config, clock=clock) as bot:
        assert bot.setup_problems == [
            "[discord] intake_channel: no text channel 'no-such-channel' in Hummingbot",
            "[discord] alerts_role: no role 'nobody' in Hummingbot",
        ]


async def test_a_category_filled_behind_the_bots_back_still_overflows(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    category = sandbox.state.channel_named("Bounties")
    for i in range(50):  # made without telling the bot: its cache believes the category has room
        sandbox.state.new_channel(f"old-{i}", TEXT, parent_id=category["id"])
    await start_bounty(people.exchange)
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None
    assert sandbox.state.channels[channel_of(sandbox, stored.channel_id)["parent_id"]]["name"] == "Bounties 2"


async def test_an_intro_call_whose_time_passed_while_discord_was_down_is_dropped_with_a_message(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    sandbox.fail("POST", r"^/guilds/\d+/scheduled-events$", status=503)
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    clock.advance(4 * 86400)  # the call was three days on; Discord stayed down past it
    sandbox.heal()
    for _ in range(6):
        clock.advance(3600)
        await bot.outbox.drain()
    assert sandbox.state.events == {}  # never booked in the past (Discord would refuse it)
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None
    said = [m["embeds"][0] for m in sandbox.state.messages[str(stored.channel_id)] if m["embeds"]]
    missed = next(e for e in said if e["title"] == "The intro call was not added to the server's events")
    assert "passed before Discord could be reached" in missed["description"]
    assert any(a.action == "event_dropped" for a in await audit.for_bounty(bot.db.conn, 1))
