"""`/bug report|list|resolve|reopen`: parse, check, call the bug service, reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.bugs import DESCRIPTION_MAX, TITLE_MAX, BugState, Severity
from bot.domain.notices import COLORS, bug_line, clip_lines, exchange_name, sla_text
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot

SEVERITY_CHOICES = [
    app_commands.Choice(name="critical (24 h)", value=Severity.CRITICAL.value),
    app_commands.Choice(name="major (48 h)", value=Severity.MAJOR.value),
    app_commands.Choice(name="minor (next release)", value=Severity.MINOR.value),
]
NONE = discord.AllowedMentions.none()


class BugCog(commands.GroupCog, group_name="bug", group_description="Bugs in a bounty's connector, with SLA clocks"):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="report", description="Report a bug; its SLA clock starts now")
    @app_commands.describe(
        severity="critical: trading is broken or funds at risk; major: a feature fails; minor: the rest",
        title="What is wrong, in a few words",
        description="What you did, what happened, what you expected",
        bounty="Bounty number (defaults to this channel's bounty)",
    )
    @app_commands.choices(severity=SEVERITY_CHOICES)
    async def report(
        self,
        interaction: discord.Interaction[Any],
        severity: app_commands.Choice[str],
        title: app_commands.Range[str, 1, TITLE_MAX],
        description: app_commands.Range[str, 1, DESCRIPTION_MAX],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        bug = await self.bot.services.bugs.report(
            actor_for(interaction), bounty, interaction.channel_id, Severity(severity.value), title, description
        )
        await interaction.response.send_message(
            f"Bug #{bug.id} ({bug.severity.label}) is open, {sla_text(bug)}. The developer is told in the bounty "
            "channel, and it gets its own GitHub issue.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="list", description="A bounty's bugs and their SLA")
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def list_(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        found, bugs = await self.bot.services.bugs.list_bugs(actor_for(interaction), bounty, interaction.channel_id)
        now = self.bot.clock.now()
        open_ = [bug_line(b, now) for b in bugs if b.state is BugState.OPEN]
        done = [bug_line(b, now) for b in bugs if b.state is BugState.RESOLVED]
        embed = discord.Embed(
            title=f"Bugs · bounty #{found.id} {exchange_name(found)}",
            description=clip_lines("\n".join(open_) or "No open bugs.", 3000),
            colour=COLORS["warn"] if open_ else COLORS["ok"],
        )
        if done:
            embed.add_field(name=f"Resolved ({len(done)})", value=clip_lines("\n".join(done[-10:]), 1024), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="resolve", description="Mark a bug fixed (developer, staff)")
    @app_commands.describe(id="The bug's number, from /bug list")
    async def resolve(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1]) -> None:
        bug = await self.bot.services.bugs.resolve(actor_for(interaction), id)
        await interaction.response.send_message(
            f"Bug #{bug.id} is resolved; its GitHub issue is closed.", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(
        name="reopen",
        description="Reopen a bug that is not fixed (exchange team, staff)",
    )
    @app_commands.describe(id="The bug's number, from /bug list")
    async def reopen(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1]) -> None:
        bug = await self.bot.services.bugs.reopen(actor_for(interaction), id)
        await interaction.response.send_message(
            f"Bug #{bug.id} is open again, {sla_text(bug)}.", ephemeral=True, allowed_mentions=NONE
        )


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(BugCog(bot))
