"""Driving `/bounty start` through both modals, as an exchange would."""

from __future__ import annotations

from typing import Any

from bot.sandbox.discord.users import Outcome, SandboxUser

EXCHANGE = {
    "exchange": "Backpack",
    "website": "https://backpack.exchange",
    "subtypes": ["spot", "perpetual"],
    "contact": "Erin, erin@backpack.exchange",
    "timeline": "As soon as possible. Intro call 2026-11-27 15:00 UTC",
}
TECHNICAL = {
    "api_docs": "https://docs.backpack.exchange/rest\nhttps://docs.backpack.exchange/ws",
    "auth_method": "ED25519 signed requests",
    "rate_limits": "1200 requests per minute per IP",
    "testnet_url": "https://testnet.backpack.exchange",
    "special_features": "Sub-accounts",
}


async def start_bounty(
    user: SandboxUser,
    *,
    channel: str = "developer",
    exchange: dict[str, Any] | None = None,
    technical: dict[str, Any] | None = None,
) -> Outcome:
    """Run the whole intake; returns the final outcome (the reply after modal 2, or the first refusal)."""
    opened = await user.run("bounty start", channel=channel)
    if opened.modal is None:
        return opened
    step1 = await user.submit(opened, {**EXCHANGE, **(exchange or {})})
    if not step1.reply.buttons or step1.reply.buttons[0]["label"] != "Continue: technical details":
        return step1
    step2 = await user.click(step1.reply, "Continue: technical details")
    if step2.modal is None:
        return step2
    return await user.submit(step2, {**TECHNICAL, **(technical or {})})
