"""A restart: a new bot on the same database keeps every bounty, fires what fell due while it was down
exactly once, and delivers what was still waiting in the outbox exactly once."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.config import Config
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.harness import running_bot
from bot.store import bounties
from bot.store import outbox as outbox_store
from tests.conftest import People
from tests.intake_helpers import start_bounty


def titled(sandbox: DiscordSandbox, channel_id: str | int, prefix: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        m
        for m in sandbox.state.messages[str(channel_id)]
        if m["embeds"] and m["embeds"][0].get("title", "").startswith(prefix)
    ]


async def test_restart_keeps_bounties_fires_due_timers_once_and_delivers_pending_items_once(
    config: Config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    async with running_bot(config, clock=clock) as first:
        await start_bounty(people.exchange)
        await start_bounty(people.teammate, exchange={"exchange": "Kraken", "subtypes": ["spot"]})
        await first.outbox.drain()
        one = await bounties.get(first.db.conn, 1)
        assert one is not None and one.channel_id is not None
        # Discord stops accepting messages; a review note is queued but cannot be delivered.
        sandbox.fail("POST", r"^/channels/\d+/messages$")
        await people.staff.run(
            "bounty review", channel=one.channel_id, item="testnet", result="missing", note="No testnet keys yet"
        )
        await first.outbox.drain()
        pending = await outbox_store.get(first.db.conn, "bounty:1:review:5")
        assert pending is not None and pending.status == "pending" and pending.attempts >= 1

    # While the bot is down, Discord recovers and eight days pass: the 7-day Setup target is overrun.
    sandbox.heal()
    clock.advance(8 * 86400)

    async with running_bot(config, clock=clock) as second:
        await second.outbox.drain()
        kept = await bounties.list_all(second.db.conn)
        assert [(b.id, b.exchange, b.state) for b in kept] == [
            (1, "Backpack", State.REVIEW),
            (2, "Kraken", State.INTAKE),
        ]
        assert len(titled(sandbox, staff_alerts, "Overrun: bounty #1 Backpack")) == 1
        assert len(titled(sandbox, staff_alerts, "Overrun: bounty #2 Kraken")) == 1
        assert len(titled(sandbox, one.channel_id, "Technical review: Testnet/sandbox availability is missing")) == 1
        status = await people.exchange.run("bounty status", channel=one.channel_id)
        assert "🟥 Setup" in status.reply.text  # the overrun shows in the timeline too

    # A third start finds nothing left to do: nothing fires or is delivered twice.
    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        assert await third.timers.run_due() == 0
        assert len(titled(sandbox, staff_alerts, "Overrun: bounty #1 Backpack")) == 1
        assert len(titled(sandbox, one.channel_id, "Technical review: Testnet/sandbox availability is missing")) == 1
