"""The sandbox Discord is as strict as Discord, and the bot lives within its rules.

The first half drives the sandbox with the bot's own discord.py client and raw requests, to show each rule
refuses what Discord refuses (a stand-in more lenient than the platform would hide the bot's mistakes).
The second half shows the bot itself keeps within them: only the README's permissions, forms that never
collide, embeds that never overflow, events that are never booked in the past.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.notices import Field, Notice
from bot.integrations.discord import DiscordRejected
from bot.sandbox.discord import rules
from bot.sandbox.discord.server import DiscordSandbox, Interaction
from bot.sandbox.discord.state import (
    ADMINISTRATOR,
    EMBED_LINKS,
    MANAGE_EVENTS,
    MANAGE_ROLES,
    MENTION_EVERYONE,
    README_BOT_PERMISSIONS,
    VIEW_CHANNEL,
    GuildLayout,
    SandboxState,
)
from bot.sandbox.discord.users import SandboxUser, add_user
from bot.sandbox.harness import running_bot, sandbox_config
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import TECHNICAL, exchange_answers, start_bounty


def refused_code(exc: discord.HTTPException) -> int:
    return int(exc.code)


# --- the sandbox refuses what Discord refuses ------------------------------------------------------------


async def test_the_bot_is_a_member_with_only_the_readmes_permissions(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    state = sandbox.state
    assert state.guild["owner_id"] != state.bot_id  # a person owns the server
    assert not state.base_permissions(state.bot_id) & ADMINISTRATOR
    assert int(state.bot_role()["permissions"]) == README_BOT_PERMISSIONS
    assert bot.setup_problems == []  # the README's permissions are enough
    guild = bot.adapter.guild
    assert not guild.me.guild_permissions.administrator
    assert guild.owner_id != bot.user.id  # type: ignore[union-attr]


async def test_a_missing_permission_is_named_at_start(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = DiscordSandbox(
        layout=GuildLayout(bot_permissions=README_BOT_PERMISSIONS & ~MANAGE_EVENTS), clock=clock.now
    )
    state = sandbox.state
    announcements = state.channel_named("announcements")
    # Someone took Embed Links from the bot's role in #announcements.
    announcements["permission_overwrites"].append(
        {"id": state.bot_role()["id"], "type": 0, "allow": "0", "deny": str(EMBED_LINKS)}
    )
    await sandbox.start()
    try:
        async with running_bot(sandbox_config(sandbox, tmp_path / "perm.db"), clock=clock) as bot:
            await bot.outbox.drain()
            problems = bot.setup_problems
    finally:
        await sandbox.stop()
    assert problems == [
        "The bot lacks Manage Events in the server (Server Settings → Roles → the bot's role).",
        "The bot lacks Embed Links in #announcements "
        "(its Permissions settings; `announcements_channel` in config.toml).",
    ]
    assert all(p in caplog.text for p in problems)
    alert = sandbox.state.messages[state.channel_named("staff-alerts")["id"]][-1]["embeds"][0]
    assert "Manage Events" in alert["description"] and "#announcements" in alert["description"]
    assert sandbox.violations == []


async def test_manage_permissions_in_an_overwrite_is_refused_to_a_bot_that_is_not_an_administrator(
    bot: BountyBot, sandbox: DiscordSandbox
) -> None:
    guild = bot.adapter.guild
    with pytest.raises(discord.Forbidden) as refused:
        await guild.create_text_channel(
            "x", overwrites={guild.me: discord.PermissionOverwrite(view_channel=True, manage_permissions=True)}
        )
    assert refused_code(refused.value) == 50013
    # An overwrite may not allow what the bot does not hold itself either (it has no Manage Messages).
    with pytest.raises(discord.Forbidden):
        await guild.create_text_channel(
            "y", overwrites={guild.default_role: discord.PermissionOverwrite(manage_messages=True)}
        )
    assert len(sandbox.take_violations("missing permission")) == 2
    assert not any(c.get("name") in ("x", "y") for c in sandbox.state.channels.values())


async def test_an_administrator_bot_may_grant_manage_permissions(tmp_path: Path, clock: ManualClock) -> None:
    """The same request passes for an administrator: the rule is Discord's exception, not a blanket ban."""
    sandbox = DiscordSandbox(
        layout=GuildLayout(bot_permissions=README_BOT_PERMISSIONS | ADMINISTRATOR), clock=clock.now
    )
    await sandbox.start()
    try:
        async with running_bot(sandbox_config(sandbox, tmp_path / "admin.db"), clock=clock) as bot:
            guild = bot.adapter.guild
            channel = await guild.create_text_channel(
                "Admin Room", overwrites={guild.me: discord.PermissionOverwrite(manage_permissions=True)}
            )
            assert channel.name == "admin-room"  # normalised as Discord does
    finally:
        await sandbox.stop()
    assert sandbox.violations == []


async def test_messages_and_embeds_past_discords_limits_are_refused(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    channel = bot.adapter.text_channel("general")
    assert channel is not None
    big = {"type": "rich", "title": "t"}
    attempts: list[dict[str, Any]] = [
        {"content": "x" * 2001},
        {"embeds": [{"description": "a" * 4000}, {"description": "b" * 3000}]},  # 7,000 characters in all
        {"embeds": [big] * 11},
        {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
        {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "x" * 101}]}]},
    ]
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    for payload in attempts:
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.request(route, json=payload)
        assert refused_code(refused.value) == 50035
    # Some of these limits the OpenAPI description encodes too; each refusal fails the test that caused it.
    assert len(sandbox.take_violations(f"/channels/{channel.id}/messages")) >= len(attempts)
    assert sandbox.state.messages[str(channel.id)] == []


async def test_posting_needs_the_channels_own_permissions(tmp_path: Path, clock: ManualClock) -> None:
    sandbox = DiscordSandbox(clock=clock.now)
    state = sandbox.state
    general = state.channel_named("general")
    # A server admin took Embed Links away from the bot's role in #general only.
    general["permission_overwrites"].append(
        {"id": state.bot_role()["id"], "type": 0, "allow": "0", "deny": str(EMBED_LINKS)}
    )
    await sandbox.start()
    try:
        async with running_bot(sandbox_config(sandbox, tmp_path / "p.db"), clock=clock) as bot:
            with pytest.raises(DiscordRejected, match="Embed Links"):
                await bot.adapter.post(int(general["id"]), Notice(title="hello"))
    finally:
        await sandbox.stop()
    assert sandbox.take_violations("missing permission")


async def test_events_must_start_in_the_future_and_external_ones_need_an_end_and_a_place(
    bot: BountyBot, sandbox: DiscordSandbox, clock: ManualClock
) -> None:
    guild = bot.adapter.guild
    past = datetime.fromtimestamp(clock.now(), UTC) - timedelta(hours=1)
    with pytest.raises(discord.HTTPException) as refused:
        await guild.create_scheduled_event(
            name="late",
            start_time=past,
            end_time=past + timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="Discord",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
    assert refused_code(refused.value) == 50035
    future = datetime.fromtimestamp(clock.now(), UTC) + timedelta(days=1)
    route = discord.http.Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=guild.id)
    payload = {
        "name": "no end",
        "privacy_level": 2,
        "scheduled_start_time": future.isoformat(),
        "entity_type": 3,
        "entity_metadata": {"location": "Discord"},
    }
    with pytest.raises(discord.HTTPException) as no_end:
        await bot.http.request(route, json=payload)
    assert "end time" in str(no_end.value)
    assert len(sandbox.take_violations("invalid form body")) == 2
    assert sandbox.state.events == {}


async def _callback(sandbox: DiscordSandbox, interaction: Interaction, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"{sandbox.api_base_url}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


def _pending(sandbox: DiscordSandbox, user: SandboxUser, *, age: float) -> Interaction:
    """An interaction Discord sent `age` seconds ago, not dispatched to the bot (the test answers it)."""
    iid = sandbox.state.ids.next()
    channel = sandbox.state.channel_named("general")["id"]
    ix = Interaction(iid, f"itoken-{iid}", 2, {}, str(user.id), channel)
    ix.sent_at = time.perf_counter() - age
    sandbox.interactions[ix.token] = ix
    return ix


async def test_an_interaction_is_answered_once_within_three_seconds_and_followed_up_within_fifteen_minutes(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    message = {"type": 4, "data": {"content": "hi", "flags": 64}}
    late = _pending(sandbox, people.exchange, age=3.5)
    assert await _callback(sandbox, late, message) == (404, {"code": 10062, "message": "Unknown interaction"})
    assert late.late and late.callback is None
    on_time = _pending(sandbox, people.exchange, age=0.1)
    assert (await _callback(sandbox, on_time, message))[0] == 204
    status, body = await _callback(sandbox, on_time, message)
    assert (status, body["code"]) == (400, 40060)
    on_time.sent_at -= 15 * 60 + 1
    url = f"{sandbox.api_base_url}/webhooks/{sandbox.state.application['id']}/{on_time.token}"
    async with aiohttp.ClientSession() as session, session.post(url, json={"content": "late"}) as response:
        assert response.status == 401 and (await response.json())["code"] == 50027
    assert len(sandbox.take_violations("interaction")) == 3


async def test_a_modal_holds_at_most_five_components(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    row = {"type": 1, "components": [{"type": 4, "custom_id": "a", "label": "A", "style": 1}]}
    ix = _pending(sandbox, people.exchange, age=0)
    status, body = await _callback(
        sandbox, ix, {"type": 9, "data": {"custom_id": "m", "title": "Form", "components": [row] * 6}}
    )
    assert (status, body["code"]) == (400, 50035)
    assert sandbox.take_violations("invalid form body")


async def test_dms_to_a_member_who_closed_them_are_refused(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    sandbox.close_dms(people.outsider.id)
    with pytest.raises(DiscordRejected, match="Cannot send messages to this user"):
        await bot.adapter.dm(people.outsider.id, Notice(title="Vote opened"))
    assert people.outsider.dms() == []
    await bot.adapter.dm(people.exchange.id, Notice(title="Vote opened"))
    assert people.exchange.dms()[0].embeds[0]["title"] == "Vote opened"
    assert sandbox.violations == []  # a closed inbox is the member's choice, not the bot's mistake


async def test_a_role_is_pinged_only_if_mentionable_or_the_bot_may_mention_everyone(
    bot: BountyBot, sandbox: DiscordSandbox
) -> None:
    state = sandbox.state
    general = state.channel_named("general")
    quiet = state.role_named("hummingbot-foundation")  # the sandbox's other roles are not mentionable
    loud = state.role_named("governance-alerts")
    loud["mentionable"] = False  # the sandbox's alerts role is mentionable, as the README asks; start from neither
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=int(general["id"]))
    everything = {"parse": ["users", "roles", "everyone"]}

    async def send(allowed: dict[str, Any] = everything) -> dict[str, Any]:
        content = f"<@&{quiet['id']}> <@&{loud['id']}> <@&{quiet['id']}> <@&123> @everyone"
        sent: dict[str, Any] = await bot.http.request(route, json={"content": content, "allowed_mentions": allowed})
        return sent

    plain = await send()  # the README gives the bot no Mention Everyone
    assert (plain["mention_roles"], plain["mention_everyone"]) == ([], False)
    loud["mentionable"] = True  # "Allow anyone to @mention this role"
    opened = await send()
    assert (opened["mention_roles"], opened["mention_everyone"]) == ([loud["id"]], False)
    # Mention @everyone, @here and All Roles, granted to the bot's role in #general only.
    general["permission_overwrites"].append(
        {"id": state.bot_role()["id"], "type": 0, "allow": str(MENTION_EVERYONE), "deny": "0"}
    )
    entitled = await send()
    assert entitled["mention_roles"] == [quiet["id"], loud["id"]]  # each once; an unknown role pings nobody
    assert entitled["mention_everyone"] is True
    # allowed_mentions still has the last word.
    muted = await send({"parse": [], "roles": [loud["id"]]})
    assert (muted["mention_roles"], muted["mention_everyone"]) == ([loud["id"]], False)
    elsewhere = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=int(state.channel_named("developer")["id"])
    )
    outside: dict[str, Any] = await bot.http.request(
        elsewhere, json={"content": f"<@&{quiet['id']}> @here", "allowed_mentions": everything}
    )
    assert (outside["mention_roles"], outside["mention_everyone"]) == ([], False)


def _admin_state() -> SandboxState:
    return SandboxState.build(GuildLayout(bot_permissions=README_BOT_PERMISSIONS | ADMINISTRATOR))


def _manage_roles_overwrite_state() -> tuple[SandboxState, str]:
    """A bot that is no administrator but holds a Manage Roles overwrite of its own in #general."""
    state = SandboxState.build(GuildLayout())
    general = state.channel_named("general")
    general["permission_overwrites"].append({"id": state.bot_id, "type": 1, "allow": str(MANAGE_ROLES), "deny": "0"})
    return state, general["id"]


@pytest.mark.parametrize("who", ["administrator", "manage roles overwrite", "plain"])
def test_every_overwrite_is_validated_whoever_asks(who: str) -> None:
    """Administrators and holders of a Manage Roles overwrite skip the permission checks, not the shape ones."""
    if who == "administrator":
        state, channel_id = _admin_state(), None
    elif who == "manage roles overwrite":
        state, channel_id = _manage_roles_overwrite_state()
    else:
        state, channel_id = SandboxState.build(GuildLayout()), None
    role = state.role_named("governance-alerts")["id"]

    def check(*overwrites: dict[str, Any], **where: str | None) -> None:
        rules.check_overwrites(state, list(overwrites), channel_id=channel_id, parent_id=None, **where)

    good = {"id": role, "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"}
    stranger = {"id": "123456789012345678", "type": 1, "allow": str(VIEW_CHANNEL)}
    check(good, stranger)  # any user id will do for a member overwrite (discord-api-docs#2856)
    refusals: list[tuple[dict[str, Any], int, int, str]] = [
        ({**good, "type": 2}, 400, 50035, "permission_overwrites.1.type"),
        ({k: v for k, v in good.items() if k != "type"}, 400, 50035, "permission_overwrites.1.type"),
        ({**good, "id": "not-a-snowflake"}, 400, 50035, "permission_overwrites.1.id"),
        ({**good, "allow": "lots"}, 400, 50035, "permission_overwrites.1.allow"),
        ({**good, "id": "123456789012345678"}, 404, 10011, "Unknown Role"),
    ]
    for bad, status, code, message in refusals:
        with pytest.raises(rules.DiscordError) as refused:
            check(good, bad)
        assert (refused.value.status, refused.value.code) == (status, code)
        assert message in refused.value.message
    # Edit Channel Permissions: the body is the overwrite itself.
    with pytest.raises(rules.DiscordError, match=r"\(type:"):
        check({**good, "type": 9}, where=None)


async def test_only_renames_and_topic_changes_meet_the_two_per_ten_minutes_limit(sandbox: DiscordSandbox) -> None:
    state = sandbox.state
    channel = state.channel_named("general")
    role = state.role_named("governance-alerts")["id"]
    url = f"{sandbox.api_base_url}/channels/{channel['id']}"
    headers = {"Authorization": f"Bot {sandbox.token}"}

    async def patch(session: aiohttp.ClientSession, body: dict[str, Any]) -> aiohttp.ClientResponse:
        async with session.patch(url, json=body, headers=headers) as response:
            await response.read()
            return response

    overwrites = {"permission_overwrites": [{"id": role, "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"}]}
    async with aiohttp.ClientSession() as session:
        for _ in range(4):  # more edits of the overwrites than the rename limit allows: all answered
            assert (await patch(session, overwrites)).status == 200
        assert (await patch(session, {"topic": "one"})).status == 200
        assert (await patch(session, {"name": "two", "position": 1})).status == 200
        third = await patch(session, {"topic": "three"})
        assert third.status == 429
        # A sub-limit: the route's own bucket still has room, only retry_after says how long to wait.
        assert int(third.headers["X-RateLimit-Remaining"]) > 0
        assert (await patch(session, {"parent_id": None, **overwrites})).status == 200
    assert channel["topic"] == "one" and channel["name"] == "two"
    assert [m for m, _, _ in sandbox.rate_limits.refused] == ["PATCH"]


# --- rate limits at their real size ---------------------------------------------------------------------------


@pytest.fixture
async def real_limits(clock: ManualClock) -> AsyncIterator[DiscordSandbox]:
    sandbox = DiscordSandbox(clock=clock.now, rate_limit_scale=1.0)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()
    assert sandbox.violations == []


async def test_the_bot_keeps_within_discords_buckets_and_rides_out_a_429_storm(
    real_limits: DiscordSandbox, tmp_path: Path, clock: ManualClock
) -> None:
    sandbox = real_limits
    staff = int(sandbox.state.channel_named("staff-alerts")["id"])
    async with running_bot(sandbox_config(sandbox, tmp_path / "rl.db"), clock=clock) as bot:
        # Seven messages at once into one channel, whose bucket holds five per five seconds: discord.py
        # reads the X-RateLimit headers and waits for the reset instead of being refused.
        await asyncio.gather(*(bot.adapter.post(staff, Notice(title=f"alert {i}")) for i in range(7)))
        assert sandbox.rate_limits.refused == []
        sandbox.rate_limits.storm(r"/channels/\d+/messages", times=2, retry_after=0.3)
        await bot.adapter.post(staff, Notice(title="after the storm"))
    titles = [m["embeds"][0]["title"] for m in sandbox.state.messages[str(staff)]]
    assert sorted(titles) == sorted([f"alert {i}" for i in range(7)] + ["after the storm"])
    assert len(sandbox.rate_limits.refused) == 2  # the storm's two 429s, each retried after retry_after


# --- the bot within the rules -------------------------------------------------------------------------------


async def test_two_people_filling_in_the_intake_at_once_are_both_answered(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    first = await people.exchange.run("bounty start", channel="developer")
    second = await people.outsider.run("bounty start", channel="developer")
    assert first.modal is not None and second.modal is not None
    assert first.modal["custom_id"] != second.modal["custom_id"]
    saved = await asyncio.gather(
        people.exchange.submit(first, exchange_answers(clock.now())),
        people.outsider.submit(second, exchange_answers(clock.now(), exchange="Kraken", website="https://kraken.com")),
    )
    assert all("Step 1 of 2 saved" in s.reply.text for s in saved)
    opened = await asyncio.gather(
        people.exchange.click(saved[0].reply, "Continue: technical details"),
        people.outsider.click(saved[1].reply, "Continue: technical details"),
    )
    done = await asyncio.gather(
        people.exchange.submit(opened[0], TECHNICAL), people.outsider.submit(opened[1], TECHNICAL)
    )
    assert "Bounty #" in done[0].reply.text and "Backpack" in done[0].reply.text
    assert "Kraken" in done[1].reply.text
    assert {b.exchange for b in await bounties.list_all(bot.db.conn)} == {"Backpack", "Kraken"}


async def test_fix_my_answers_belongs_to_the_person_who_typed_them(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    opened = await people.exchange.run("bounty start", channel="developer")
    refused = await people.exchange.submit(opened, exchange_answers(clock.now(), website="not a link"))
    assert refused.reply.buttons[0]["label"] == "Fix my answers"
    stolen = await people.outsider.click(refused.reply, "Fix my answers")
    assert stolen.modal is None and "someone else's answers" in stolen.reply.text
    mine = await people.exchange.click(refused.reply, "Fix my answers")
    assert mine.modal is not None
    typed = {
        c["component"]["custom_id"]: c["component"].get("value") for c in mine.modal["components"] if "component" in c
    }
    typed |= {c["custom_id"]: c.get("value") for row in mine.modal["components"] for c in row.get("components", [])}
    assert typed.get("website") == "not a link"


async def test_a_big_team_is_summarised_in_the_status(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    found = await bounties.get(bot.db.conn, 1)
    assert found is not None and found.channel_id is not None
    team = [add_user(sandbox, f"Teammate {i}") for i in range(45)]
    for mate in team:
        added = await people.exchange.run("bounty members add", channel=found.channel_id, member=mate)
        assert "can now see" in added.reply.text or "added" in added.reply.text.lower(), added.reply.text
    await bot.outbox.drain()
    status = await people.exchange.run("bounty status", channel=found.channel_id)
    members = next(f for f in status.reply.embeds[0]["fields"] if f["name"] == "Members")["value"]
    assert len(members) <= 1024 and "Team (45)" in members and "more" in members
    assert members.count("<@") < 46 and not members.rstrip().endswith("<@")
    assert all(mate.can_view(found.channel_id) for mate in team)


async def test_a_long_notice_is_cut_between_lines_within_discords_limits(
    bot: BountyBot, sandbox: DiscordSandbox
) -> None:
    staff = int(sandbox.state.channel_named("staff-alerts")["id"])
    lines = "\n".join(f"<@{1000 + i}> https://example.com/{i}" for i in range(400))
    notice = Notice(
        title="T" * 300, description=lines, fields=tuple(Field(f"f{i}", lines) for i in range(30)), footer="end"
    )
    await bot.adapter.post(staff, notice)
    embed = sandbox.state.messages[str(staff)][-1]["embeds"][0]
    total = len(embed["title"]) + len(embed.get("description", "")) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    assert total <= 6000 and len(embed["title"]) <= 256
    for line in embed["description"].split("\n")[:-1]:
        assert line.startswith("<@") and line.split("/")[-1].isdigit()  # whole lines only
    assert "more fields not shown" in embed["footer"]["text"]


async def test_attachments_past_the_upload_limit_are_refused(sandbox: DiscordSandbox) -> None:
    channel = sandbox.state.channel_named("general")
    url = f"{sandbox.api_base_url}/channels/{channel['id']}/messages"
    headers = {"Authorization": f"Bot {sandbox.token}"}

    def form(size: int) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("payload_json", json.dumps({"content": "chart"}), content_type="application/json")
        data.add_field("files[0]", b"\0" * size, filename="chart.png", content_type="image/png")
        return data

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=form(3 * 1024 * 1024), headers=headers) as response:
            assert response.status == 200  # a large picture, read whole
        async with session.post(url, data=form(10 * 1024 * 1024 + 1), headers=headers) as response:
            assert response.status == 413 and (await response.json())["code"] == 40005
    path = f"/channels/{channel['id']}/messages"
    assert sandbox.violations == [f"Discord refused POST {path}: attachments over the upload limit"]
    sandbox.violations.clear()  # caused on purpose
