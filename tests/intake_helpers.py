"""Driving `/bounty start` through both modals, as an exchange would."""

from __future__ import annotations

import time
from typing import Any

from bot.clock import Clock
from bot.sandbox.discord.users import Outcome, SandboxUser
from tests.conftest import START

DAY = 86400
EXCHANGE = {
    "exchange": "Backpack",
    "website": "https://backpack.exchange",
    "subtypes": ["spot", "perpetual"],
    "contact": "Erin, erin@backpack.exchange",
}
TECHNICAL = {
    "api_docs": "https://docs.backpack.exchange/rest\nhttps://docs.backpack.exchange/ws",
    "auth_method": "ED25519 signed requests",
    "rate_limits": "1200 requests per minute per IP",
    "testnet_url": "https://testnet.backpack.exchange",
    "special_features": "Sub-accounts",
}


def intro_call_at(now: int) -> int:
    """Three days on at 15:00 UTC: always ahead of `now`, so the call can be booked whatever the date."""
    return now - now % DAY + 3 * DAY + 15 * 3600


def timeline(now: int) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(intro_call_at(now)))
    return f"As soon as possible. Intro call {when} UTC"


def exchange_answers(now: int, **changes: Any) -> dict[str, Any]:
    """The first modal's answers, with the intro call dated from `now`."""
    return {**EXCHANGE, "timeline": timeline(now), **changes}


async def start_bounty(
    user: SandboxUser,
    *,
    channel: str = "developer",
    exchange: dict[str, Any] | None = None,
    technical: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> Outcome:
    """Run the whole intake; returns the final outcome (the reply after modal 2, or the first refusal).

    The intro call is dated from `clock`, the bot's clock; without one, from the tests' ManualClock(START).
    """
    opened = await user.run("bounty start", channel=channel)
    if opened.modal is None:
        return opened
    step1 = await user.submit(opened, exchange_answers(clock.now() if clock else START, **(exchange or {})))
    if not step1.reply.buttons or step1.reply.buttons[0]["label"] != "Continue: technical details":
        return step1
    step2 = await user.click(step1.reply, "Continue: technical details")
    if step2.modal is None:
        return step2
    return await user.submit(step2, {**TECHNICAL, **(technical or {})})
