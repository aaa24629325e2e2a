"""The developer's payout (issue 12): due within 30 days of the merge, reminders to staff at days 25 and 30 as
durable timers (once each across restarts), and `/bounty payout record`: staff only, shape-checked, recorded
once, each transaction once, and the Bounties Board Status Paid. Driven through Discord and the GitHub stand-in."""

from __future__ import annotations

from pathlib import Path

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.domain.payouts import Network, parse_tx
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import add_user
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot
from bot.services.payouts import PAYOUT_REMINDER
from bot.store import audit, bounties, payouts, timers
from tests.conftest import People
from tests.github_helpers import assigned, github, github_config, settle
from tests.intake_helpers import start_bounty
from tests.qa_helpers import pass_qa
from tests.test_payments import channel_texts
from tests.test_refunds import ready_to_pay

__all__ = ["github"]  # a fixture, used by name

DAY = 86_400
HASH = "0x" + "5e" * 32
SIGNATURE = "99uqd56BHxksGD8TMFFMLMQdt2aHjfQS8wDVYbbNT3kyFrMmSLrerhqhPwqCXwDWuGgKc5jGvRgQ9kASAn8t5LZ"
SOON, TODAY = "Developer payout due in 5 days: bounty #1", "Developer payout due today: bounty #1"


def alerts(sandbox: DiscordSandbox, title: str) -> list[str]:
    return [t for t in channel_texts(sandbox, sandbox.state.channel_named("staff-alerts")["id"]) if title in t]


HAND = "moved by hand for the payout tests"  # an override of the QA gate needs a reason


async def reminders(bot: BountyBot, bounty_id: int) -> list[int]:
    pending = await timers.pending(bot.db.conn, f"bounty:{bounty_id}")
    return sorted(int(str(t.payload["day"])) for t in pending if t.kind == PAYOUT_REMINDER)


async def fire(bot: BountyBot) -> None:
    await bot.timers.run_due()
    await bot.outbox.drain()


async def test_the_payout_is_due_30_days_after_the_merge_reminded_once_each_across_restarts_then_recorded(
    sandbox: DiscordSandbox, github: GitHubSandbox, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    config = github_config(sandbox, github, tmp_path, webhook=False)
    dev = add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))
    async with running_bot(config, clock=clock) as first:
        channel = await assigned(first, people, dev, clock)
        client, base = first.github_client, first.config.github.api_base_url
        assert client is not None
        pr = github.add_pull_request(
            "Backpack connector", f"Implements #{github.issues[1]['number']}", author="dana-dev"
        )
        await first.github_events.poll_once(client, base)
        assert await reminders(first, 1) == []  # submitted, not merged: no payout is due yet
        await pass_qa(first, people)  # the merge moves the bounty on only once QA passes
        github.merge(pr["number"])
        clock.advance(1)
        assert await first.github_events.poll_once(client, base) >= 1
        merged_at = clock.now()
        assert (await bounties.get(first.db.conn, 1)).state is State.GOVERNANCE  # type: ignore[union-attr]
        clock_row = await payouts.get(first.db.conn, 1)
        assert clock_row is not None and (clock_row.started_at, clock_row.started_by) == (merged_at, "merge")
        assert await reminders(first, 1) == [25, 30]
        await settle(first, clock)
        clock.advance(25 * DAY - 60 - 6 * 120)
        await fire(first)
        assert alerts(sandbox, "Developer payout") == []
        clock.advance(60)
        await fire(first)
        [soon] = alerts(sandbox, SOON)
        assert "dana-dev" in soon and "Once paid, record it with `/bounty payout record`" in soon

    async with running_bot(config, clock=clock) as second:  # a restart right after: nothing again
        await fire(second)
        assert len(alerts(sandbox, SOON)) == 1 and await reminders(second, 1) == [30]

    clock.advance(6 * DAY)  # down over day 30: it fires once at start, never again
    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        await fire(third)
        assert len(alerts(sandbox, TODAY)) == 1 and len(alerts(sandbox, SOON)) == 1
        assert await reminders(third, 1) == []

        # Staff only; the transaction checked for shape before anything is read.
        for who in (people.exchange, dev):
            refused = await who.run("bounty payout record", channel=channel, tx=HASH)
            assert refused.reply.text == "Only Foundation staff can record the developer's payout.", refused.reply.text
        bad = await people.staff.run("bounty payout record", channel=channel, tx="0x1234")
        assert "is not a transaction: give the payout's EVM transaction hash" in bad.reply.text, bad.reply.text
        assert not [e for e in await audit.for_bounty(third.db.conn, 1) if e.action == "payout_recorded"]

        done = await people.staff.run("bounty payout record", channel=channel, tx=HASH.upper().replace("0X", "0x"))
        assert "Recorded the developer's payout for bounty #1 (after the 30 days): EVM transaction" in done.reply.text
        again = await people.staff.run("bounty payout record", channel=channel, tx=SIGNATURE)
        assert "payout was already recorded" in again.reply.text, again.reply.text
        [row] = [e.detail for e in await audit.for_bounty(third.db.conn, 1) if e.action == "payout_recorded"]
        assert row == {"network": "evm", "tx": HASH, "late": True}
        await settle(third, clock)
        assert next(iter(github.board_items.values()))["status"] == "Paid"
        for where in (channel, sandbox.state.channel_named("staff-alerts")["id"]):
            [told] = [t for t in channel_texts(sandbox, where) if "Developer paid: bounty #1 Backpack" in t]
            assert "developer `dana-dev`" in told and HASH in told
        # The board stays Paid as the bounty moves on.
        for state in ("approved", "released"):
            await people.staff.run("bounty advance", channel=channel, to=state)
        await settle(third, clock)
        assert next(iter(github.board_items.values()))["status"] == "Paid"

        # One transaction pays one payout: another bounty, past its merge, cannot reuse it.
        started = await start_bounty(people.teammate, exchange={"exchange": "Kraken"}, clock=clock)
        assert "Bounty #2" in started.reply.text, started.reply.text
        await third.outbox.drain()
        two = await bounties.get(third.db.conn, 2)
        assert two is not None and two.channel_id is not None
        other = two.channel_id
        for state in ("review", "awaiting_payment", "funded", "open", "development", "testing", "governance"):
            await people.staff.run(
                "bounty advance", channel=other, to=state, reason=HAND, override=state == "governance"
            )
        reused = await people.staff.run("bounty payout record", channel=other, tx=HASH)
        assert "was already recorded as bounty #1's developer payout" in reused.reply.text, reused.reply.text
        ok = await people.staff.run("bounty payout record", channel=other, tx=SIGNATURE)
        assert "Recorded the developer's payout for bounty #2: Solana transaction" in ok.reply.text, ok.reply.text


async def test_without_a_merge_seen_the_clock_starts_at_release_and_before_the_merge_nothing_is_due(
    bot: BountyBot, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel = await ready_to_pay(bot, people)
    await people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000")
    for state in ("open", "development"):
        await people.staff.run("bounty advance", channel=channel, to=state)
    early = await people.staff.run("bounty payout record", channel=channel, tx=HASH)
    assert "its pull request has not been merged: the developer is paid after the merge" in early.reply.text
    for state in ("testing", "governance", "approved"):
        await people.staff.run("bounty advance", channel=channel, to=state, reason=HAND, override=state == "governance")
    assert await payouts.get(bot.db.conn, 1) is None  # moved by hand: no merge was seen
    await people.staff.run("bounty advance", channel=channel, to="released")
    released_at = clock.now()
    row = await payouts.get(bot.db.conn, 1)
    assert row is not None and (row.started_at, row.started_by) == (released_at, "released")
    pending = await timers.pending(bot.db.conn, "bounty:1")
    assert sorted(t.due_at for t in pending if t.kind == PAYOUT_REMINDER) == [
        released_at + 25 * DAY,
        released_at + 30 * DAY,
    ]
    clock.advance(25 * DAY)
    await fire(bot)
    [soon] = alerts(sandbox, SOON)
    assert "released (no merge was seen)" in soon
    # Recorded before day 30: the last reminder never comes.
    done = await people.staff.run("bounty payout record", channel=channel, tx=SIGNATURE)
    assert "Recorded the developer's payout for bounty #1: Solana transaction" in done.reply.text, done.reply.text
    assert await reminders(bot, 1) == []
    clock.advance(10 * DAY)
    await fire(bot)
    assert alerts(sandbox, TODAY) == []


def test_a_payout_transaction_is_an_evm_hash_or_a_solana_signature() -> None:
    assert parse_tx(f"  {HASH.upper().replace('0X', '0x')} ") == (Network.EVM, HASH)
    assert parse_tx(SIGNATURE) == (Network.SOLANA, SIGNATURE)
    for wrong in ("", "0x" + "5e" * 31, "WIRE-2026-1", SIGNATURE[:-10], "0x" + "zz" * 32, "<@123>"):
        assert isinstance(parse_tx(wrong), str), wrong
