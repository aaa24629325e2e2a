"""`/pay`: the fee, by crypto (option A) or escrow (option B)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.pay._cog import PayCog

if TYPE_CHECKING:
    from bot.app import BountyBot


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(PayCog(bot))
