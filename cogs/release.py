"""`/release record bounty version`: parse, call the release service, reply. No rules and no storage here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.notices import exchange_name, ts
from bot.domain.releases import MAX_VERSION
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot

NONE = discord.AllowedMentions.none()


class ReleaseCog(commands.GroupCog, group_name="release", group_description="Releases of bounty connectors"):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="record", description="Record that an approved bounty shipped in a release (staff)")
    @app_commands.describe(
        bounty="Bounty number",
        version="The Hummingbot release it shipped in, like 2.14.0 or v2.14.0",
    )
    async def record(
        self,
        interaction: discord.Interaction[Any],
        bounty: app_commands.Range[int, 1],
        version: app_commands.Range[str, 1, MAX_VERSION],
    ) -> None:
        done = await self.bot.services.releases.record(actor_for(interaction), bounty, version)
        b = done.bounty
        await interaction.response.send_message(
            f"Recorded: bounty #{b.id} {exchange_name(b)} shipped in Hummingbot **{done.release.version}**. It is "
            f"now **{b.state.label}**; maintenance year 1 ends {ts(done.year.ends_at, 'D')} "
            f"({ts(done.year.ends_at)}). Announced in the announcements and bounty channels and on GitHub.",
            ephemeral=True,
            allowed_mentions=NONE,
        )


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(ReleaseCog(bot))
