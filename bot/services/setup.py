"""Telling staff what the server lacks: configured places that do not exist, permissions the bot lacks."""

from __future__ import annotations

import logging

from bot.changes import Changes
from bot.domain.notices import Field, Notice, clip

log = logging.getLogger(__name__)


def setup_notice(problems: list[str]) -> Notice:
    listed = "\n".join(f"• {p}" for p in problems)
    return Notice(
        title="BountyBot cannot do everything it should in this server",
        description=clip(listed, 3500),
        fields=(
            Field(
                "Why it matters",
                "Without these, bounty channels, announcements or events fail when they are needed. The bot "
                "needs exactly what the README lists; fix the places named above, then restart it.",
            ),
        ),
        tone="alert",
    )


async def report_setup_problems(changes: Changes, problems: list[str]) -> None:
    """Log each problem and queue one staff alert naming them all (once per start)."""
    for problem in problems:
        log.warning("setup: %s", problem)
    if not problems:
        return
    async with changes.begin() as ch:
        await ch.send(f"setup:problems:{ch.now}", "staff.post", notice=setup_notice(problems).to_payload())
