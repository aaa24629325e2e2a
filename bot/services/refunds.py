"""Money back: `/bounty refund` records a refund sent (an overpayment, a cancelled bounty, or the fee under the
delivery guarantee), settles the refund flags it covers, and ends a bounty whose payment all went back
`refunded`; `/bounty fee` sets a bounty's own fee before anything is paid.

Each decision is made on the ledger as read inside the change that records it, so two staff members recording
at once cannot both return the same money: the second sees the first's refund (or its reference) and is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.changes import Change
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import Role, State
from bot.domain.models import Bounty
from bot.domain.payments import normalized, parse_amount, show_usd
from bot.domain.refunds import (
    RefundPlan,
    RefundVia,
    fee_set,
    flags_settled,
    parse_fee,
    plan_refund,
    reference_problem,
    refund_decimals,
    refund_recorded,
    same_as,
)
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.services.lifecycle import subject, transition
from bot.services.payments import MAX_ESCROW_USD, PAYABLE
from bot.store import bounties, payments, refunds
from bot.store.refunds import RefundRow

# The typo guard of every typed amount: far above any fee, so a refund is bounded by the ledger, not by this.
MAX_REFUND_USD = MAX_ESCROW_USD


@dataclass(frozen=True)
class Refunded:
    bounty: Bounty  # after the refund (`refunded` when everything went back)
    amount: int  # 18-decimal USD
    plan: RefundPlan


@dataclass(frozen=True)
class FeeChange:
    bounty: Bounty
    old: int
    new: int


class RefundService:
    def __init__(self, ctx: ServiceContext, bounty_service: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounty_service

    def _decimals(self, via: RefundVia) -> int:
        chain = via.chain
        tokens = self.ctx.config.chains[chain.value].tokens if chain is not None else ()
        return refund_decimals(via, max((t.decimals for t in tokens), default=2))

    async def refund(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        amount: str,
        via: RefundVia,
        reference: str,
    ) -> Refunded:
        """Record a refund sent `via` a chain or a wire, identified by `reference`."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "bounty refund")
        reference = reference.strip()
        problems = []
        if why := reference_problem(via, reference):
            problems.append(f"Reference: {why}")
        decimals = self._decimals(via)
        units, why = parse_amount(amount, decimals=decimals, maximum=MAX_REFUND_USD, unit="USD")
        if why:
            problems.append(f"Amount: {why}")
        if problems or units is None:
            raise InvalidInput(problems)
        chain = via.chain
        if chain is not None and chain.is_evm:
            reference = reference.lower()  # one transaction, however its hex was typed
        try:
            async with self.ctx.changes.begin() as ch:
                return await self._record(ch, actor, bounty.id, via, reference, units, decimals)
        except sqlite3.IntegrityError:
            # Recorded by someone else between our read and our write: the (via, same_as) key decided.
            existing = await refunds.by_reference(self.ctx.conn, via.value, same_as(via, reference))
            if existing is None:
                raise
            raise RuleViolation(_already(existing)) from None

    async def _record(
        self, ch: Change, actor: Actor, bounty_id: int, via: RefundVia, reference: str, units: int, decimals: int
    ) -> Refunded:
        current = await bounties.get(ch.tx, bounty_id)
        assert current is not None
        existing = await refunds.by_reference(ch.tx, via.value, same_as(via, reference))
        if existing is not None:
            raise RuleViolation(_already(existing))
        chain = via.chain
        if chain is None:
            incoming = await refunds.escrow_payment(ch.tx, reference)
        else:
            incoming = await payments.funding_bounty(ch.tx, chain.value, reference)
        if incoming is not None:
            kind = "wire" if chain is None else "transaction"
            raise RuleViolation(
                f"{for_discord_code(reference)} is the payment counted for bounty #{incoming}, not a refund: give "
                f"the refund's own {kind} reference."
            )
        amount = normalized(units, decimals)
        plan = plan_refund(current.id, current.state, await refunds.ledger(ch.tx, bounty_id), amount)
        await refunds.record(
            ch.tx,
            bounty_id=bounty_id,
            via=via.value,
            reference=reference,
            same_as=same_as(via, reference),
            amount=units,
            decimals=decimals,
            for_flags=plan.for_flags,
            purpose=plan.purpose.value,
            recorded_by=actor.user_id,
            now=ch.now,
        )
        flags = await refunds.flags(ch.tx, bounty_id)
        settled = plan.after.refunded_flagged
        covered = len(flags) if plan.ends_refunded else flags_settled([f.amount for f in flags], settled)
        await refunds.resolve_flags(ch.tx, [f.id for f in flags[:covered] if not f.resolved], ch.now)
        await ch.audit(
            "refund_recorded",
            actor_id=actor.user_id,
            bounty_id=bounty_id,
            via=via.value,
            reference=reference,
            amount=str(units),
            decimals=decimals,
            purpose=plan.purpose.value,
            still_due=str(plan.due_after),
        )
        key = f"refund_sent:{via.value}:{same_as(via, reference)}"
        for_exchange = refund_recorded(current, amount, via, reference, plan, actor.user_id, for_staff=False)
        for_staff = refund_recorded(current, amount, via, reference, plan, actor.user_id, for_staff=True)
        await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty_id, notice=for_exchange.to_payload())
        await ch.send(f"{key}:staff", "staff.post", notice=for_staff.to_payload())
        if plan.ends_refunded:
            current = await transition(
                ch,
                self.ctx.config,
                current,
                State.REFUNDED,
                role=Role.STAFF,
                actor_id=actor.user_id,
                reason=f"Refunded in full: {show_usd(plan.after.refunded)} USD returned.",
            )
            await ch.cancel_timers(subject(bounty_id))  # nothing more is owed to or by a bounty that ended
        return Refunded(current, amount, plan)

    async def set_fee(self, actor: Actor, bounty_id: int | None, channel_id: int | None, amount: str) -> FeeChange:
        """The bounty's own fee, within the configured range, while nothing has been paid."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "bounty fee")
        fees = self.ctx.config.fees
        usd, why = parse_fee(amount, fees.min_usd, fees.max_usd)
        if why or usd is None:
            raise InvalidInput([f"Amount: {why}"])
        async with self.ctx.changes.begin() as ch:
            # Read here, in the change: a payment counted a moment ago was counted against the old fee.
            current = await bounties.get(ch.tx, bounty.id)
            assert current is not None
            if await payments.for_bounty(ch.tx, bounty.id):
                raise RuleViolation(
                    f"A payment to bounty #{bounty.id} was already counted against its fee of {current.fee_usd:,} "
                    "USD, so the fee can no longer change."
                )
            if current.state not in PAYABLE:
                raise RuleViolation(
                    f"Bounty #{bounty.id} is `{current.state.label}`: a fee is set before payment, while the bounty "
                    "is in intake, review or awaiting payment."
                )
            if usd == current.fee_usd:
                return FeeChange(current, usd, usd)
            await bounties.set_fee(ch.tx, bounty.id, usd, ch.now)
            await ch.audit("fee_set", actor_id=actor.user_id, bounty_id=bounty.id, old=current.fee_usd, new=usd)
            await ch.send(
                f"bounty:{bounty.id}:fee:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=fee_set(current, current.fee_usd, usd, actor.user_id).to_payload(),
            )
            updated = await bounties.get(ch.tx, bounty.id)
            assert updated is not None
        return FeeChange(updated, current.fee_usd, usd)


def _already(row: RefundRow) -> str:
    return (
        f"Refund {for_discord_code(row.reference)} was already recorded for bounty #{row.bounty_id} "
        f"({show_usd(row.normalized)} USD); each refund is recorded once."
    )
