"""The QA protocol in tests: results recorded through the service, as staff and the exchange would record them."""

from __future__ import annotations

from bot.app import BountyBot
from bot.domain.access import Actor
from bot.domain.qa import ITEMS, QaResult
from tests.conftest import People

EVIDENCE = "https://github.com/hummingbot/hummingbot/actions/runs/4242"


async def pass_qa(bot: BountyBot, people: People, bounty_id: int = 1, *, but: str | None = None) -> None:
    """Every QA item passes (the item keyed `but` fails), recorded by staff with evidence."""
    staff = Actor(people.staff.id, is_staff=True)
    for item in ITEMS:
        result = QaResult.FAIL if item.key == but else QaResult.PASS
        await bot.services.qa.record(staff, bounty_id, item.key, result.value, f"Run: {EVIDENCE}")
