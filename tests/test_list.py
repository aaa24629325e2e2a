"""`/bounty list`: staff see the newest bounties first, how many more there are, and can narrow them by phase."""

from __future__ import annotations

import re

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.domain.lifecycle import State
from bot.domain.models import ExchangeType, IntakeForm, SubType
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty

# Every third of the older bounties is in review, the rest in intake.
OLDER = 60


def form(n: int) -> IntakeForm:
    return IntakeForm(
        exchange=f"Exchange{n:03d}",
        website=f"https://exchange{n:03d}.example",
        exchange_type=ExchangeType.CLOB,
        subtypes=(SubType.SPOT,),
        contact="bd@example.com",
        timeline="This quarter",
        api_docs_rest="https://docs.example.com/rest",
        api_docs_ws="https://docs.example.com/ws",
        auth_method="HMAC",
        rate_limits="1200/min",
        testnet_url="none",
        special_features="",
    )


async def older_bounties(bot: BountyBot, clock: ManualClock) -> None:
    # Through the store's own insert: sixty intakes through Discord would only make the test slow.
    async with bot.db.transaction() as tx:
        for n in range(1, OLDER + 1):
            bounty_id = await bounties.insert(
                tx,
                guild_id=bot.config.discord.guild_id,
                requester_id=10_000 + n,
                form=form(n),
                fee_usd=10_000,
                now=clock.now() - 86400,
                key=f"exchange{n:03d}",
            )
            if n % 3 == 0:
                await bounties.set_state(tx, bounty_id, State.REVIEW, clock.now() - 3600, expected=State.INTAKE)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("**#")]


async def test_staff_see_the_newest_bounties_first_and_how_many_more_there_are(
    bot: BountyBot, people: People, clock: ManualClock
) -> None:
    await older_bounties(bot, clock)
    await start_bounty(people.exchange)  # the newest, #61, with its private channel
    await bot.outbox.drain()

    listed = await people.staff.run("bounty list", channel="general")

    assert listed.reply.ephemeral
    embed = listed.reply.embeds[0]
    assert embed["title"] == "All bounties (61), newest first"
    shown = lines(embed["description"])
    assert shown[0].startswith("**#61 Backpack** · intake since <t:")
    assert re.search(r"<#\d+>$", shown[0])  # a link to its channel
    assert shown[1].startswith("**#60 Exchange060** · review since")
    numbers = [int(re.match(r"\*\*#(\d+)", line)[1]) for line in shown]  # type: ignore[index]
    assert numbers == list(range(61, 61 - len(numbers), -1))
    assert embed["description"].endswith(f"…and {61 - len(shown)} more (older); filter with the `phase` option.")
    assert 1 not in numbers


async def test_staff_narrow_the_list_to_one_phase(bot: BountyBot, people: People, clock: ManualClock) -> None:
    await older_bounties(bot, clock)

    listed = await people.staff.run("bounty list", channel="general", phase="review")

    embed = listed.reply.embeds[0]
    assert embed["title"] == f"Bounties in review ({OLDER // 3}), newest first"
    shown = lines(embed["description"])
    assert len(shown) == OLDER // 3
    assert all(" · review since " in line for line in shown)
    assert "more" not in embed["description"]

    nothing = await people.staff.run("bounty list", channel="general", phase="funded")
    assert nothing.reply.embeds[0]["title"] == "Bounties in funded (0), newest first"
    assert nothing.reply.embeds[0]["description"] == "None."
