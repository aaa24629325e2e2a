"""The delivery guarantee (DESIGN.md §7), the Foundation's current terms: a connector delivered within 90 days
of funding, or a full refund processed within 14 business days. Staff and the exchange are alerted at days
60, 80 and 90.

Pure rules and what the bot says about them; the timers that carry them are in bot/services/guarantee.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.lifecycle import PAID, State
from bot.domain.models import Bounty
from bot.domain.notices import Notice, exchange_name, ts

GUARANTEE_DAYS = 90
ALERT_DAYS = (60, 80, 90)
REFUND_BUSINESS_DAYS = 14
DAY = 86_400

# While the connector is still owed: from funding until it ships. From `released` on it is delivered, and a
# cancelled or refunded bounty is settled by the refund rules instead: an alert then would only confuse.
AWAITING_DELIVERY = PAID


def alert_at(funded_at: int, day: int) -> int:
    return funded_at + day * DAY


def delivery_due(funded_at: int) -> int:
    return alert_at(funded_at, GUARANTEE_DAYS)


def alerts_now(state: State) -> bool:
    """Whether a guarantee alert falling due now is still worth sending."""
    return state in AWAITING_DELIVERY


def business_days_after(moment: int, days: int) -> int:
    """`moment` plus `days` working days (Monday to Friday, UTC). Public holidays differ by country and are
    not counted out: the date is the latest the terms allow, shown as a guide, not a promise to the minute."""
    at = datetime.fromtimestamp(moment, UTC)
    counted = 0
    while counted < days:
        at += timedelta(days=1)
        if at.weekday() < 5:
            counted += 1
    return int(at.timestamp())


def alert(bounty: Bounty, day: int, funded_at: int, now: int, *, for_staff: bool, ping: tuple[int, ...] = ()) -> Notice:
    """The day-`day` alert, for staff (#staff-alerts) or for the exchange (the bounty channel)."""
    due = delivery_due(funded_at)
    name = f"bounty #{bounty.id} {exchange_name(bounty)}"
    if day < GUARANTEE_DAYS:
        text = (
            f"The Foundation's terms promise delivery within {GUARANTEE_DAYS} days of funding ({ts(funded_at, 'D')}): "
            f"by {ts(due, 'D')} ({ts(due)}). The bounty is `{bounty.state.label}` now."
        )
        footer = "Next alert at day 80." if day < 80 else f"At day {GUARANTEE_DAYS} a full refund may be asked for."
        return Notice(
            title=f"Delivery guarantee: day {day} of {GUARANTEE_DAYS} for {name}",
            description=text,
            tone="warn",
            footer=footer,
            ping_user_ids=ping,
        )
    deadline = business_days_after(now, REFUND_BUSINESS_DAYS)
    text = (
        f"Funded {ts(funded_at, 'D')}, {GUARANTEE_DAYS} days ago, and still `{bounty.state.label}`: delivery is "
        f"overdue. Under the Foundation's delivery guarantee the exchange may now ask for a full refund of the fee, "
        f"processed within {REFUND_BUSINESS_DAYS} business days of the request ({ts(deadline, 'D')} if asked today)."
    )
    if for_staff:
        text += (
            "\nOnce the refund is sent, record it with `/bounty refund` (amount, how it was sent, the transaction "
            "hash or wire reference); when everything paid is returned the bounty ends `refunded`."
        )
    else:
        text += "\nTo ask for it, or to agree on more time, reply here to Foundation staff."
    return Notice(title=f"Delivery overdue: {name}", description=text, tone="alert", ping_user_ids=ping)
