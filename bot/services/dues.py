"""What a bounty owes (DESIGN.md §6): the fee, then one renewal per maintenance year renewed.

The maintenance year opens each renewal due (:func:`open_renewal`, inside the change of the renewal notice);
the payments service settles dues, oldest first (bot/services/payments.py). When a bounty ends with a renewal
partly paid, what was paid toward it is flagged for a staff refund in the same change (:func:`on_transition`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.changes import Change
from bot.config import Config, FeeConfig
from bot.domain import notices
from bot.domain.dues import DueKind
from bot.domain.lifecycle import State
from bot.domain.payments import normalized, show, show_usd
from bot.store import bounties, payments
from bot.store import dues as store


@dataclass
class DueSettings:
    """The configured renewal amount (`[fees] renewal_usd`), set once at start by :func:`configure`."""

    renewal_usd: int = FeeConfig.renewal_usd


SETTINGS = DueSettings()


def configure(config: Config) -> None:
    """Read the renewal amount from configuration (the bot calls this at start)."""
    SETTINGS.renewal_usd = config.fees.renewal_usd


async def open_renewal(ch: Change, bounty_id: int, year: int) -> None:
    """Open the renewal due for maintenance year `year` (2 = the first renewal), with its own Solana Pay reference.

    Called inside the maintenance year's change when the first renewal notice goes out; idempotent per year. The
    amount is `[fees] renewal_usd` (2,000 by default) as configured when it opens. Its Solana Pay reference key is
    made the first time `/pay instructions` shows the due (as the fee's always was): nobody can pay with a key
    before seeing it, and making one imports solders, which must not happen on the event loop.
    """
    if year < 2:
        raise ValueError(f"maintenance year {year} has no renewal: the first renewal buys year 2")
    if await store.open_renewal(ch.tx, bounty_id, year, SETTINGS.renewal_usd, ch.now):
        await ch.audit(
            "due_opened",
            actor_id=None,
            bounty_id=bounty_id,
            kind=DueKind.RENEWAL.value,
            year=year,
            amount_usd=SETTINGS.renewal_usd,
        )


async def on_transition(ch: Change, bounty_id: int, old: State, new: State) -> None:
    """Called by every lifecycle transition, inside its change: a bounty that ends with a renewal partly paid
    owes that money back (the year it was for will not come)."""
    if new is not State.ENDED or old is State.ENDED:
        return
    bounty = await bounties.get(ch.tx, bounty_id)
    assert bounty is not None
    for due in await store.for_bounty(ch.tx, bounty_id):
        if due.kind is not DueKind.RENEWAL or due.paid_at is not None or due.paid == 0:
            continue
        for key, share, decimals in await store.shares_of(ch.tx, due.id):
            units = share // normalized(1, decimals)  # back in the payment's token units
            if units:
                await payments.flag_refund(ch.tx, bounty_id, key, "overpaid", units, ch.now)
        await ch.audit("due_refund_flagged", actor_id=None, bounty_id=bounty_id, year=due.year, paid=str(due.paid))
        await ch.send(
            f"bounty:{bounty_id}:due:{due.id}:ended",
            "staff.post",
            notice=notices.Notice(
                title=f"Refund due: bounty #{bounty_id} {notices.exchange_name(bounty)} ended with "
                f"{due.label} part-paid",
                description=f"{show_usd(due.paid)} USD of the {show(due.amount, 18)} USD renewal was paid before "
                f"the bounty ended; it goes back. {notices.REFUND_STEPS}",
                tone="alert",
            ).to_payload(),
        )
