"""The maintenance year after release (DESIGN.md §2, §7): its end, renewal notices, renewal or end.

Placeholder for issue 12: the release and maintenance work fills this in; the dues work calls it.
"""

from __future__ import annotations

from bot.changes import Change


async def renewal_paid(ch: Change, bounty_id: int) -> None:
    """The renewal due was paid in full, inside the change that recorded the payment: a new maintenance year."""
    del ch, bounty_id
