from __future__ import annotations

from bot.app import BountyBot
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty


async def test_intake_happy_path(bot: BountyBot, sandbox: DiscordSandbox, people: People) -> None:
    final = await start_bounty(people.exchange)
    reply = final.reply
    assert reply.ephemeral
    assert "Bounty #1 for Backpack is started" in reply.text
    stored = await bounties.get(bot.db.conn, 1)
    assert stored is not None and stored.state is State.INTAKE
    assert stored.channel_id is not None
    assert f"<#{stored.channel_id}>" in reply.text
    welcome = sandbox.state.messages[str(stored.channel_id)]
    assert any("Welcome, Backpack" in (m["embeds"][0]["title"]) for m in welcome if m["embeds"])
