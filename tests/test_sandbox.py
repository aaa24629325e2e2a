"""The Discord sandbox itself: it refuses what Discord would refuse, and serves files, DMs, roles and events.

These drive the real discord.py client (through the bot's own Discord adapter where it has one), so the
shapes checked are the ones the library really sends.
"""

from __future__ import annotations

import io

import discord
import pytest

from bot.app import BountyBot
from bot.domain.notices import Notice
from bot.sandbox.discord.server import DiscordSandbox
from tests.conftest import People


async def test_a_request_discord_would_reject_is_caught(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    channel = sandbox.state.channel_named("general")
    too_long = {"embeds": [{"title": "x" * 300}]}  # Discord caps embed titles at 256 characters
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel["id"])
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.request(route, json=too_long)
    assert caught.value.status == 400
    assert any("embeds/0/title" in v for v in sandbox.violations)
    sandbox.violations.clear()  # expected here; any other test with a violation fails


async def test_a_wrong_content_type_is_refused(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    import aiohttp

    channel = sandbox.state.channel_named("general")
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{sandbox.api_base_url}/channels/{channel['id']}/messages",
            data=b'{"content": "hi"}',
            headers={"Authorization": f"Bot {sandbox.token}", "Content-Type": "application/json; charset=utf-8"},
        )
        assert response.status == 400
        assert "Content-Type must be application/json" in (await response.json())["message"]


async def test_unknown_tokens_are_unauthorized(bot: BountyBot, sandbox: DiscordSandbox) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        response = await session.get(f"{sandbox.api_base_url}/users/@me", headers={"Authorization": "Bot wrong"})
        assert response.status == 401


async def test_files_dms_roles_and_events_work_through_discord_py(
    bot: BountyBot, sandbox: DiscordSandbox, people: People
) -> None:
    general = bot.adapter.text_channel("general")
    assert general is not None
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    sent = await general.send("a file", file=discord.File(io.BytesIO(png), filename="qr.png"))
    stored = sandbox.state.messages[str(general.id)][-1]
    assert stored["id"] == str(sent.id)
    assert stored["attachments"][0]["filename"] == "qr.png" and stored["attachments"][0]["_data"] == png

    await bot.adapter.dm(people.exchange.id, Notice(title="Hello", description="A direct message"))
    dms = people.exchange.dms()
    assert len(dms) == 1 and dms[0].embeds[0]["title"] == "Hello"

    roles = await bot.guilds[0].fetch_roles()
    assert {"hummingbot-foundation", "governance-alerts"} <= {r.name for r in roles}
    assert bot.adapter.role("hummingbot-foundation") is not None

    event_id = await bot.adapter.ensure_external_event(
        name="Kick-off",
        description="Kick-off call",
        start=2_000_000_000,
        minutes=30,
        location="Discord",
        marker="[bounty:9]",
    )
    again = await bot.adapter.ensure_external_event(
        name="Kick-off",
        description="Kick-off call",
        start=2_000_000_000,
        minutes=30,
        location="Discord",
        marker="[bounty:9]",
    )
    assert again == event_id and len(sandbox.state.events) == 1
