"""The developer's payout (issue 12): its 30-day clock from the merge, staff's reminders at days 25 and 30 as
durable timers, and `/bounty payout record`, which records it once and turns the Bounties Board Status to Paid.

The rules and their wording are in bot/domain/payouts.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.changes import Change
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import State
from bot.domain.models import Bounty
from bot.domain.payouts import (
    REMINDER_DAYS,
    STOPPED,
    Network,
    already,
    due_at,
    may_record,
    parse_tx,
    recorded,
    reminder,
    reminder_at,
)
from bot.services.context import ServiceContext
from bot.store import bounties, developers, payments, payouts, refunds
from bot.store.timers import TimerRow

if TYPE_CHECKING:
    # Only a type here: the lifecycle calls this module's hooks, and the bounty service imports the lifecycle.
    from bot.services.bounties import BountyService

PAYOUT_REMINDER = "payout_reminder"


def subject(bounty_id: int) -> str:
    """The bounty's timer subject (bot/services/lifecycle.py names it the same)."""
    return f"bounty:{bounty_id}"


async def start_clock(ch: Change, bounty_id: int, at: int, by: str) -> bool:
    """Start the bounty's 30 days (once): the reminders become durable timers in this change."""
    if not await payouts.start(ch.tx, bounty_id, at, by):
        return False
    for day in REMINDER_DAYS:
        # A clock started late (a merge seen long ago, counted from then) may already be past a reminder: the
        # timer is then due at once and fires on the next pass.
        await ch.timer(PAYOUT_REMINDER, subject(bounty_id), reminder_at(at, day), day=day, started_at=at)
    await ch.audit("payout_clock_started", actor_id=None, bounty_id=bounty_id, since=by, due_at=due_at(at))
    return True


async def on_merged(ch: Change, bounty_id: int) -> None:
    """Inside the change that saw the bounty's pull request merged: the payout is due 30 days from now."""
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is not None and bounty.state not in STOPPED:
        await start_clock(ch, bounty_id, ch.now, "merge")


async def on_transition(ch: Change, bounty_id: int, old: State, new: State) -> None:
    """Called by every lifecycle transition, inside its change. Reaching `released` with no merge seen starts the
    clock there (the fallback); a merge seen without moving the bounty still counts from the merge."""
    if new is State.RELEASED and old is not State.RELEASED:
        merged = await payouts.merged_at(ch.tx, bounty_id)
        if merged is not None:
            await start_clock(ch, bounty_id, merged, "merge")
        else:
            await start_clock(ch, bounty_id, ch.now, "released")
    elif new in STOPPED:
        await ch.cancel_timers(subject(bounty_id), PAYOUT_REMINDER)


async def on_payout_reminder(ch: Change, timer: TimerRow) -> None:
    """Timer handler: remind staff at day 25 and day 30, unless the payout was recorded or the bounty stopped."""
    bounty_id = int(timer.subject.split(":", 1)[1])
    bounty = await bounties.get(ch.tx, bounty_id)
    payout = await payouts.get(ch.tx, bounty_id)
    if bounty is None or payout is None or payout.paid or bounty.state in STOPPED or payout.started_at is None:
        return
    day = int(str(timer.payload["day"]))
    assignment = await developers.for_bounty(ch.tx, bounty_id)
    notice = reminder(
        bounty, day, payout.started_at, payout.started_by or "merge", assignment.github_login if assignment else None
    )
    if await ch.send(f"bounty:{bounty_id}:payout:day{day}", "staff.post", notice=notice.to_payload()):
        await ch.audit("payout_reminder", actor_id=None, bounty_id=bounty_id, day=day)


@dataclass(frozen=True)
class PayoutRecorded:
    bounty: Bounty
    network: Network
    tx: str
    late: bool


class PayoutService:
    def __init__(self, ctx: ServiceContext, bounty_service: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounty_service

    async def record(self, actor: Actor, bounty_id: int | None, channel_id: int | None, tx: str) -> PayoutRecorded:
        """`/bounty payout record`: the developer's payout, once per bounty and once per transaction."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "bounty payout record")
        parsed = parse_tx(tx)
        if isinstance(parsed, str):
            raise InvalidInput([f"Transaction: {parsed}"])
        network, same = parsed
        try:
            async with self.ctx.changes.begin() as ch:
                return await self._record(ch, actor, bounty.id, network, same)
        except sqlite3.IntegrityError:
            # Recorded for another bounty between our read and our write: the unique transaction decided.
            other = await payouts.by_tx(self.ctx.conn, same)
            if other is None:
                raise
            raise RuleViolation(_used(other.bounty_id, same)) from None

    async def _record(self, ch: Change, actor: Actor, bounty_id: int, network: Network, tx: str) -> PayoutRecorded:
        current = await bounties.get(ch.tx, bounty_id)
        assert current is not None
        payout = await payouts.get(ch.tx, bounty_id)
        if payout is not None and payout.paid:
            raise RuleViolation(already(bounty_id, payout.tx or ""))
        if why := may_record(current.state, payout is not None and payout.started_at is not None):
            raise RuleViolation(f"Bounty #{bounty_id}: {why}")
        if (other := await payouts.by_tx(ch.tx, tx)) is not None:
            raise RuleViolation(_used(other.bounty_id, tx))
        await _not_money_in(ch, tx, network)
        await payouts.record(ch.tx, bounty_id, tx, network.value, actor.user_id, ch.now)
        late = payout is not None and payout.started_at is not None and ch.now > due_at(payout.started_at)
        await ch.audit(
            "payout_recorded", actor_id=actor.user_id, bounty_id=bounty_id, network=network.value, tx=tx, late=late
        )
        await ch.cancel_timers(subject(bounty_id), PAYOUT_REMINDER)
        assignment = await developers.for_bounty(ch.tx, bounty_id)
        notice = recorded(
            current, network, tx, actor.user_id, assignment.github_login if assignment else None, late=late
        ).to_payload()
        await ch.send(f"bounty:{bounty_id}:payout:recorded:bounty", "bounty.post", bounty_id=bounty_id, notice=notice)
        await ch.send(f"bounty:{bounty_id}:payout:recorded:staff", "staff.post", notice=notice)
        await ch.send(f"bounty:{bounty_id}:board:payout", "github.board", bounty_id=bounty_id)
        return PayoutRecorded(current, network, tx, late)


async def _not_money_in(ch: Change, tx: str, network: Network) -> None:
    """A payout is money going out to the developer: an exchange's payment to the Foundation, or a refund to it,
    is not one (a pasted hash from the wrong place is the likely mistake)."""
    chains = ("ethereum", "bsc") if network is Network.EVM else ("solana",)
    for chain in chains:
        if (paid := await payments.funding_bounty(ch.tx, chain, tx)) is not None:
            raise RuleViolation(
                f"{for_discord_code(tx)} is the exchange's payment counted for bounty #{paid}, not a payout: give "
                "the transaction that paid the developer."
            )
        if (back := await refunds.by_reference(ch.tx, chain, tx)) is not None:
            raise RuleViolation(
                f"{for_discord_code(tx)} is a refund recorded for bounty #{back.bounty_id}, not a payout: give the "
                "transaction that paid the developer."
            )


def _used(bounty_id: int, tx: str) -> str:
    return (
        f"{for_discord_code(tx)} was already recorded as bounty #{bounty_id}'s developer payout; one transaction pays "
        "one payout."
    )
