"""`/alerts on|off` and `/alerts dm on|off`: parse, call the alert service, reply (always privately)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.inert import for_discord_code
from bot.services.alerts import Toggle
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot

NONE = discord.AllowedMentions.none()
WHEN = "when a vote's discussion opens, when voting opens, when 24 hours are left and when the result is in"


class AlertsCog(
    commands.GroupCog, group_name="alerts", group_description="Governance alerts: a role pinged for votes, and DMs"
):
    dm = app_commands.Group(name="dm", description="Governance alerts by direct message")

    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    async def _role(self, interaction: discord.Interaction[Any], on: bool) -> None:
        # Asking Discord to change a role can meet a rate limit: acknowledge first, answer by follow-up.
        await interaction.response.defer(ephemeral=True, thinking=True)
        held = frozenset(r.id for r in getattr(interaction.user, "roles", []))
        done, name = await self.bot.services.alerts.set_role(actor_for(interaction), held, on)
        role = for_discord_code(name, 100)
        if on:
            text = (
                f"You now get governance alerts: the governance channel pings the {role} role {WHEN}. "
                "`/alerts dm on` sends them to your DMs too; `/alerts off` stops them."
                if done is Toggle.CHANGED
                else f"You already get governance alerts (you hold the {role} role); `/alerts off` stops them."
            )
        else:
            text = (
                f"You no longer get governance alerts in the governance channel (the {role} role is removed). "
                "DMs, if you asked for them, stop with `/alerts dm off`."
                if done is Toggle.CHANGED
                else f"You do not get governance alerts (you do not hold the {role} role); `/alerts on` starts them."
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="on", description="Get governance alerts: a role pinged when votes open and close")
    async def on(self, interaction: discord.Interaction[Any]) -> None:
        await self._role(interaction, True)

    @app_commands.command(name="off", description="Stop getting governance alerts in the governance channel")
    async def off(self, interaction: discord.Interaction[Any]) -> None:
        await self._role(interaction, False)

    async def _dms(self, interaction: discord.Interaction[Any], on: bool) -> None:
        done = await self.bot.services.alerts.set_dms(actor_for(interaction), on)
        if on:
            text = (
                f"Governance alerts will also come to your DMs, {WHEN}. Keep direct messages from this server's "
                "members allowed (Privacy Settings), or they are skipped. `/alerts dm off` stops them."
                if done is Toggle.CHANGED
                else "You already get governance alerts by DM; `/alerts dm off` stops them."
            )
        else:
            text = (
                "Governance alerts will no longer come to your DMs. `/alerts off` also stops the pings in the "
                "governance channel."
                if done is Toggle.CHANGED
                else "You do not get governance alerts by DM; `/alerts dm on` starts them."
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @dm.command(name="on", description="Also get governance alerts by direct message")
    async def dm_on(self, interaction: discord.Interaction[Any]) -> None:
        await self._dms(interaction, True)

    @dm.command(name="off", description="Stop getting governance alerts by direct message")
    async def dm_off(self, interaction: discord.Interaction[Any]) -> None:
        await self._dms(interaction, False)


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(AlertsCog(bot))
