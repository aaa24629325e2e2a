"""`/audit`: the audit trail of one bounty (staff)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.inert import for_discord_code
from bot.domain.notices import COLORS, clip_lines, exchange_name, ts
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot


class AuditCog(commands.Cog):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot

    @app_commands.command(name="audit", description="The audit trail of a bounty (staff)")
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def audit(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        found, entries = await self.bot.services.bounties.audit_trail(
            actor_for(interaction), bounty, interaction.channel_id
        )
        lines = []
        for e in entries[-40:]:
            who = f"<@{e.actor_id}>" if e.actor_id else "BountyBot"
            detail = {k: v for k, v in e.detail.items() if k != "form"}
            # The detail holds what people typed (reasons, notes, references): quoted as code, never markup.
            shown = for_discord_code(json.dumps(detail, ensure_ascii=False), 120) if detail else ""
            lines.append(f"{ts(e.at, 'f')} · {who} · **{e.action}** {shown}")
        embed = discord.Embed(
            title=f"Audit trail · bounty #{found.id} {exchange_name(found)}",
            description=clip_lines("\n".join(lines) or "Empty.", 4000),
            colour=COLORS["neutral"],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(AuditCog(bot))
