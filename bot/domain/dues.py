"""What a bounty owes (DESIGN.md §6): a list of dues, the fee and then one renewal per maintenance year renewed.

Pure rules. Every amount is USD in 18-decimal units (:data:`bot.domain.payments.NORMAL_DECIMALS`), the unit the
ledger compares payments in.

- A due is *open* while something is still owed on it and the bounty is where that due is paid: the fee before
  funding (intake, review, awaiting payment), a renewal while the bounty is `released` or in `maintenance`. A fee
  moved past by hand (funded by escrow declared outside the bot), or a renewal of a bounty that `ended`, is not
  open: nothing more is taken for it.
- A payment settles the oldest open due first (the fee, then the renewals by year); partial payments add up;
  what goes beyond every open due is an overpayment, flagged for a staff refund. With no open due at all (a
  cancelled or ended bounty, a funded one), the whole payment is flagged.
- The payment identifies the bounty (its registered wallet, or on Solana any of the bounty's reference keys),
  never the due: a Solana payment carrying the fee's old reference once the fee is paid settles the open renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.lifecycle import State
from bot.domain.payments import NORMAL_DECIMALS, show_usd, to_base_units
from bot.domain.payments import show as show_units

FEE_PAYABLE = frozenset({State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT})
RENEWAL_PAYABLE = frozenset({State.RELEASED, State.MAINTENANCE})


class DueKind(StrEnum):
    FEE = "fee"
    RENEWAL = "renewal"


@dataclass(frozen=True)
class Due:
    id: int
    bounty_id: int
    kind: DueKind
    year: int  # the fee: 1; a renewal: the maintenance year it buys (2 = the first renewal)
    amount_usd: int  # whole USD
    paid: int  # 18-decimal USD counted toward it
    reference: str | None  # its Solana Pay reference key, once shown
    opened_at: int
    paid_at: int | None

    @property
    def amount(self) -> int:
        return to_base_units(self.amount_usd, NORMAL_DECIMALS)

    @property
    def remaining(self) -> int:
        return max(0, self.amount - self.paid)

    @property
    def label(self) -> str:
        """How a sentence names it: "the fee", "the renewal for maintenance year 2"."""
        return "the fee" if self.kind is DueKind.FEE else f"the renewal for maintenance year {self.year}"

    @property
    def title(self) -> str:
        """How a heading names it: "Fee", "Renewal (maintenance year 2)"."""
        return "Fee" if self.kind is DueKind.FEE else f"Renewal (maintenance year {self.year})"


def payable_in(kind: DueKind, state: State) -> bool:
    return state in (FEE_PAYABLE if kind is DueKind.FEE else RENEWAL_PAYABLE)


def is_open(due: Due, state: State) -> bool:
    """Whether `due` takes payments now, the bounty being in `state`."""
    if due.remaining == 0 or not payable_in(due.kind, state):
        return False
    return due.kind is DueKind.FEE or due.paid_at is None


def open_dues(dues: list[Due], state: State) -> list[Due]:
    """The open dues, oldest first: the order payments settle them in."""
    return sorted((d for d in dues if is_open(d, state)), key=lambda d: (d.kind is not DueKind.FEE, d.year, d.id))


def shown_due(dues: list[Due], state: State) -> Due | None:
    """The due `/pay instructions` is about: the oldest open one, else the latest one (owing nothing now)."""
    ahead = open_dues(dues, state)
    if ahead:
        return ahead[0]
    return max(dues, key=lambda d: (d.kind is not DueKind.FEE, d.year, d.id), default=None)


@dataclass(frozen=True)
class Allocation:
    """What one payment does to a bounty's dues."""

    shares: tuple[tuple[Due, int], ...]  # each due it went to (as it was before), and how much
    excess: int  # beyond every open due: flagged for refund
    owed_after: int  # still owed on the open dues after it

    @property
    def settled(self) -> tuple[Due, ...]:
        """The dues this payment finished."""
        return tuple(due for due, share in self.shares if share >= due.remaining)

    @property
    def last(self) -> Due | None:
        return self.shares[-1][0] if self.shares else None


def allocate(ahead: list[Due], received: int) -> Allocation:
    """Spread `received` over the open dues `ahead` (oldest first): each takes what it still owes."""
    shares: list[tuple[Due, int]] = []
    left = received
    for due in ahead:
        if left == 0:
            break
        share = min(left, due.remaining)
        shares.append((due, share))
        left -= share
    owed = sum(d.remaining for d in ahead) - (received - left)
    return Allocation(tuple(shares), left, owed)


@dataclass(frozen=True)
class Part:
    """One transfer's share of one due (a transfer may finish one due and start the next)."""

    key: str  # the payment's `chain:tx:log-index`
    due: Due
    share: int


def split(ahead: list[Due], amounts: list[tuple[str, int]]) -> tuple[Allocation, list[Part], dict[str, int]]:
    """`amounts` (transfer key, 18-decimal amount), in order, spread over the open dues `ahead`: the allocation as
    a whole, each transfer's parts, and what each transfer brought beyond every open due (its refund)."""
    remaining = {d.id: d.remaining for d in ahead}
    parts: list[Part] = []
    excess: dict[str, int] = {}
    for key, amount in amounts:
        left = amount
        for due in ahead:
            take = min(left, remaining[due.id])
            if take:
                parts.append(Part(key, due, take))
                remaining[due.id] -= take
                left -= take
        if left:
            excess[key] = left
    return allocate(ahead, sum(a for _, a in amounts)), parts, excess


def settled_text(amount_text: str, allocation: Allocation, ahead: list[Due]) -> str:
    """The payer's sentence: what was received, which dues it paid, and what is still owed on which due.

    The fee's sentences are worded as they always were ("Received 4,000; 6,000 is still owed.")."""
    done = allocation.settled
    unfinished = [(d, d.remaining - s) for d, s in allocation.shares if s < d.remaining]
    untouched = [d for d in ahead if all(d.id != s.id for s, _ in allocation.shares)]
    if unfinished:
        due, still = unfinished[0]
        where = "" if due.kind is DueKind.FEE and not done else f" on {due.label}"
        paid = f"{', '.join(d.label for d in done)} {'is' if len(done) == 1 else 'are'} paid in full; " if done else ""
        return f"Received {amount_text}; {paid}{show(still)} is still owed{where}."
    if not done:
        return f"Received {amount_text}, but nothing is owed now: staff will refund {show(allocation.excess)}."
    named = " and ".join(d.label for d in done)
    text = f"Received {amount_text}: {named} {'is' if len(done) == 1 else 'are'}"
    if allocation.excess:
        return f"{text} paid, and {show(allocation.excess)} more than owed; staff will refund the difference."
    after = f" Next: {untouched[0].label}, {show(untouched[0].remaining)}." if untouched else ""
    return f"{text} paid in full.{after}"


def show(amount: int) -> str:
    """An 18-decimal amount as the payer reads it: 6,000 or 9,999.99999999 (no trailing zeros)."""
    return show_units(amount, NORMAL_DECIMALS)


def owed_text(dues: list[Due], state: State) -> str:
    """One line for a status: what is open, or that nothing is owed."""
    ahead = open_dues(dues, state)
    if not ahead:
        return "Nothing is owed now."
    return "; ".join(f"{d.title}: {show_usd(d.remaining)} USD still owed" for d in ahead) + "."
