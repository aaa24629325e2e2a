"""What a bounty owes (DESIGN.md §6): the fee, then one renewal per maintenance year renewed.

Placeholder for issue 12: the dues work fills this in; the maintenance year calls it.
"""

from __future__ import annotations

from bot.changes import Change


async def open_renewal(ch: Change, bounty_id: int, year: int) -> None:
    """Open the renewal due for maintenance year `year` (2 = the first renewal), with its own Solana Pay reference.

    Called inside the maintenance year's change when the first renewal notice goes out; idempotent per year.
    """
    del ch, bounty_id, year
