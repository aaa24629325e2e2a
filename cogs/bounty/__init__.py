"""`/bounty`: intake, status, list, review, members, cancel, advance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.bounty._cog import BountyCog
from cogs.bounty._intake import ContinueButton

if TYPE_CHECKING:
    from bot.app import BountyBot


async def setup(bot: BountyBot) -> None:
    bot.add_dynamic_items(ContinueButton)
    await bot.add_cog(BountyCog(bot))
