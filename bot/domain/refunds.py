"""Money back, and the bounty's own fee: pure rules over the ledger (DESIGN.md §6 and §7).

Every amount here is USD in 18-decimal units (:data:`bot.domain.payments.NORMAL_DECIMALS`), the unit the
ledger compares payments in, so a refund typed in cents and a payment in BSC's 18 decimals add up exactly.

What may go back is bounded by what came in: a refund never exceeds what was paid less what was already
refunded. Which part of that is *due* depends on the bounty: everything for a cancelled bounty, the flagged
overpayments otherwise; the rest of a paid bounty's money goes back only under the delivery guarantee,
which staff decide on (the exchange asks), so it is allowed but never "due".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import PAID, State
from bot.domain.models import Bounty
from bot.domain.notices import Notice, exchange_name
from bot.domain.payments import Chain, parse_amount, show_usd, tx_problem, wire_reference_problem

# Money received by a bounty in these states may all go back: it was paid for a connector (the guarantee), or
# for a bounty that was cancelled. In any other state only flagged overpayments are refundable: before the fee
# is complete a payment counts toward it, and once delivered the fee was earned.
WHOLLY_REFUNDABLE = PAID | {State.CANCELLED, State.REFUNDED}
# A refund that returns everything paid ends the bounty here (the lifecycle allows it from these, for staff).
ENDS_REFUNDED = PAID | {State.CANCELLED}


class RefundVia(StrEnum):
    """How a refund was sent: a transaction on one of the payment chains, or a wire."""

    ETHEREUM = "ethereum"
    BSC = "bsc"
    SOLANA = "solana"
    WIRE = "wire"

    @property
    def chain(self) -> Chain | None:
        return None if self is RefundVia.WIRE else Chain(self.value)

    @property
    def label(self) -> str:
        chain = self.chain
        return "by wire" if chain is None else f"on {chain.label}"


class Purpose(StrEnum):
    OVERPAYMENT = "overpayment"  # the flagged excess of a payment
    CANCELLED = "cancelled"  # everything paid to a bounty that was stopped
    GUARANTEE = "guarantee"  # the fee, because delivery did not come within the guarantee


@dataclass(frozen=True)
class Ledger:
    """A bounty's money, in 18-decimal USD units."""

    paid: int  # every counted payment
    flagged: int  # flagged for refund: overpayments, payments to a bounty that owed nothing
    refunded: int  # every recorded refund
    refunded_flagged: int  # the part of `refunded` that settled flags

    @property
    def returnable(self) -> int:
        """The most that can still go back: never more than came in."""
        return max(0, self.paid - self.refunded)

    @property
    def flagged_due(self) -> int:
        return min(self.returnable, max(0, self.flagged - self.refunded_flagged))


def still_due(state: State, ledger: Ledger) -> int:
    """What must still go back: everything for a cancelled bounty, else the flags not yet settled."""
    if state in (State.CANCELLED, State.REFUNDED):
        return ledger.returnable
    return ledger.flagged_due


def refundable(state: State, ledger: Ledger) -> int:
    """The largest refund staff may record now."""
    return ledger.returnable if state in WHOLLY_REFUNDABLE else ledger.flagged_due


@dataclass(frozen=True)
class RefundPlan:
    purpose: Purpose
    for_flags: int  # the part that settles flags (flags are settled first, oldest first)
    after: Ledger
    ends_refunded: bool  # everything paid has now gone back: the bounty moves to `refunded`
    due_after: int


def plan_refund(bounty_id: int, state: State, ledger: Ledger, amount: int) -> RefundPlan:
    """What recording a refund of `amount` does, or the one sentence saying why it cannot be recorded."""
    if ledger.paid == 0:
        raise RuleViolation(
            f"No payment to bounty #{bounty_id} is recorded, so there is nothing to refund against (a bounty moved "
            "to `funded` by hand has no payment in the ledger). Record what was received first with "
            "`/pay confirm-escrow`; a payment to a bounty that owes nothing is flagged for refund at once."
        )
    cap = refundable(state, ledger)
    if amount > cap:
        asked = f"A refund of {show_usd(amount)} USD"
        if ledger.returnable == 0:
            raise RuleViolation(
                f"Everything paid to bounty #{bounty_id} ({show_usd(ledger.paid)} USD) was already refunded; "
                "nothing more can go back."
            )
        if state not in WHOLLY_REFUNDABLE:
            if cap == 0:
                why = (
                    "the payments so far count toward its fee. To give them back, cancel the bounty first "
                    "(`/bounty cancel`)."
                    if state in (State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT)
                    else "it was delivered, and no overpayment is waiting to go back."
                )
                raise RuleViolation(f"Bounty #{bounty_id} is `{state.label}`: nothing paid to it is due back; {why}")
            raise RuleViolation(
                f"{asked} is more than bounty #{bounty_id} owes back: it is `{state.label}`, so only its flagged "
                f"overpayment can be refunded, {show_usd(cap)} USD."
            )
        already = f", {show_usd(ledger.refunded)} USD of it already refunded" if ledger.refunded else ""
        raise RuleViolation(
            f"{asked} is more than was paid: bounty #{bounty_id} received {show_usd(ledger.paid)} USD{already}, "
            f"so at most {show_usd(cap)} USD can go back."
        )
    for_flags = min(amount, ledger.flagged_due)
    if state in (State.CANCELLED, State.REFUNDED):
        purpose = Purpose.CANCELLED
    elif amount <= ledger.flagged_due:
        purpose = Purpose.OVERPAYMENT
    else:
        purpose = Purpose.GUARANTEE
    after = Ledger(ledger.paid, ledger.flagged, ledger.refunded + amount, ledger.refunded_flagged + for_flags)
    ends = state in ENDS_REFUNDED and after.returnable == 0
    final = State.REFUNDED if ends else state
    return RefundPlan(purpose, for_flags, after, ends, still_due(final, after))


def flags_settled(flags: list[int], settled: int) -> int:
    """How many of `flags` (amounts, oldest first) `settled` covers whole: those are resolved."""
    count = 0
    for amount in flags:
        if amount > settled:
            break
        settled -= amount
        count += 1
    return count


def reference_problem(via: RefundVia, reference: str) -> str | None:
    """Why `reference` cannot identify a refund sent `via`: a transaction of that chain, or a wire."""
    chain = via.chain
    return wire_reference_problem(reference) if chain is None else tx_problem(chain, reference)


def same_as(via: RefundVia, reference: str) -> str:
    """`reference` as two records of one refund compare: a Solana signature exactly, an EVM hash in lower case,
    a wire reference in upper case (a bank does not tell `back-1` from `BACK-1`)."""
    chain = via.chain
    if chain is None:
        return reference.upper()
    return reference.lower() if chain.is_evm else reference


def refund_decimals(via: RefundVia, token_decimals: int) -> int:
    """How finely a refund's amount may be given: cents by wire; on a chain, its tokens' own decimals, so that
    an overpayment of 0.000001 USDC can be returned exactly."""
    return 2 if via is RefundVia.WIRE else token_decimals


# --- the fee ----------------------------------------------------------------------------------------------------

FEE_TYPO_GUARD = 1_000_000  # parsed first with the payments' bound, so "250000" gets the range sentence


def parse_fee(text: str, minimum: int, maximum: int) -> tuple[int | None, str | None]:
    """(the fee in whole USD, None), or (None, the sentence saying what is wrong). The same digits-only parser
    as every amount; a fee is whole dollars, the unit the issue, the welcome and the ledger show it in."""
    cents, why = parse_amount(text, decimals=2, maximum=FEE_TYPO_GUARD, unit="USD")
    shown = for_discord_code(text.strip(), 30)
    if why or cents is None:
        return None, why
    if cents % 100:
        return None, f"{shown} has cents; a bounty's fee is in whole dollars, like 12500 or 12,500."
    usd = cents // 100
    if not minimum <= usd <= maximum:
        return None, f"{shown} is outside the fee range: {minimum:,}–{maximum:,} USD."
    return usd, None


# --- what the bot says --------------------------------------------------------------------------------------------


def refund_recorded(
    bounty: Bounty,
    amount: int,
    via: RefundVia,
    reference: str,
    plan: RefundPlan,
    actor_id: int,
    *,
    for_staff: bool,
) -> Notice:
    what = {
        Purpose.OVERPAYMENT: "the overpayment",
        Purpose.CANCELLED: "the payment to a cancelled bounty",
        Purpose.GUARANTEE: "the fee, under the delivery guarantee",
    }[plan.purpose]
    lines = [
        f"{show_usd(amount)} USD sent back {via.label} ({for_discord_code(reference)}): {what}. "
        f"Recorded by <@{actor_id}>.",
        f"Returned so far: {show_usd(plan.after.refunded)} of {show_usd(plan.after.paid)} USD received.",
    ]
    if plan.ends_refunded:
        lines.append("Everything paid has gone back: the bounty ends `refunded`.")
    elif for_staff:
        lines.append(
            f"Still due back: {show_usd(plan.due_after)} USD." if plan.due_after else "Nothing more is due back."
        )
    return Notice(
        title=f"Refund sent: bounty #{bounty.id} {exchange_name(bounty)}",
        description="\n".join(lines),
        tone="ok" if plan.due_after == 0 else "warn",
    )


def fee_set(bounty: Bounty, old: int, new: int, actor_id: int) -> Notice:
    return Notice(
        title=f"Fee for bounty #{bounty.id} {exchange_name(bounty)}: {new:,} USD",
        description=f"Set by <@{actor_id}> (it was {old:,} USD). `/pay instructions` shows the exact amounts to pay.",
        tone="info",
    )
