"""Reports: SLA metrics, usage, the monthly report in the maintenance year and the quarterly review reminder.

Placeholder for issue 11/12: the reports work fills this in; the maintenance year calls it.
"""

from __future__ import annotations

from bot.changes import Change


async def start_maintenance_reports(ch: Change, bounty_id: int, starts_at: int) -> None:
    """The bounty entered its maintenance year at `starts_at`: schedule its monthly report and quarterly review."""
    del ch, bounty_id, starts_at
