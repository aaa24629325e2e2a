"""`/bug report|list|resolve|reopen|pause|resume|severity`: parse, check, call the bug service, reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import bug_notices
from bot.domain.bugs import DESCRIPTION_MAX, NOTE_MAX, PAUSE_REASON_MAX, TITLE_MAX, BugState, Severity
from bot.domain.notices import COLORS, clip_lines, exchange_name
from bot.domain.sla import duration
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
            f"Bug #{bug.id} ({bug.severity.label}) is open, {bug_notices.due_text(bug)}. The developer is told in "
            "the bounty channel, and it gets its own GitHub issue.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="list", description="A bounty's bugs by SLA time left, with live countdowns")
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def list_(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        found, bugs = await self.bot.services.bugs.list_bugs(actor_for(interaction), bounty, interaction.channel_id)
        now = self.bot.clock.now()
        open_ = [bug_notices.list_line(b, now) for b in bugs if b.state is BugState.OPEN]
        done = [bug_notices.list_line(b, now) for b in bugs if b.state is BugState.RESOLVED]
        embed = discord.Embed(
            title=f"Bugs · bounty #{found.id} {exchange_name(found)}",
            description=clip_lines("\n".join(open_) or "No open bugs.", 3000),
            colour=COLORS["warn"] if open_ else COLORS["ok"],
        )
        if done:
            embed.add_field(name=f"Resolved ({len(done)})", value=clip_lines("\n".join(done[:10]), 1024), inline=False)
        embed.set_footer(text="Open bugs by SLA time left, overdue first; paused clocks are stopped.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="resolve", description="Mark a bug fixed; its clock stops (developer, staff)")
    @app_commands.describe(
        id="The bug's number, from /bug list",
        note="What fixed it (optional; shown in the channel and on the GitHub issue)",
    )
    async def resolve(
        self,
        interaction: discord.Interaction[Any],
        id: app_commands.Range[int, 1],
        note: app_commands.Range[str, 1, NOTE_MAX] | None = None,
    ) -> None:
        bug = await self.bot.services.bugs.resolve(actor_for(interaction), id, note)
        took = duration(bug.time_to_resolve() or 0)
        with_note = " with your note" if bug.resolve_note else ""
        await interaction.response.send_message(
            f"Bug #{bug.id} is resolved after {took} on its SLA clock; its GitHub issue is closed{with_note}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(
        name="reopen",
        description="Reopen a bug that is not fixed (exchange team, staff)",
    )
    @app_commands.describe(id="The bug's number, from /bug list")
    async def reopen(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1]) -> None:
        bug = await self.bot.services.bugs.reopen(actor_for(interaction), id)
        await interaction.response.send_message(
            f"Bug #{bug.id} is open again: its clock resumes where it stopped, "
            f"{bug_notices.clock_text(bug, self.bot.clock.now())}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="pause", description="Stop a bug's SLA clock while waiting on the exchange")
    @app_commands.describe(
        id="The bug's number, from /bug list",
        reason="What you are waiting for from the exchange (shown in the bounty channel)",
    )
    async def pause(
        self,
        interaction: discord.Interaction[Any],
        id: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, PAUSE_REASON_MAX],
    ) -> None:
        bug = await self.bot.services.bugs.pause(actor_for(interaction), id, reason)
        await interaction.response.send_message(
            f"Bug #{bug.id} is paused: its SLA clock is stopped ({bug_notices.paused_text(bug)}). "
            f"Anyone on the bounty can start it again with `/bug resume {bug.id}`.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="resume", description="Start a paused bug's SLA clock again (the exchange answered)")
    @app_commands.describe(id="The bug's number, from /bug list")
    async def resume(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1]) -> None:
        bug, stopped = await self.bot.services.bugs.resume(actor_for(interaction), id)
        await interaction.response.send_message(
            f"Bug #{bug.id} is running again after {duration(stopped)} paused, {bug_notices.due_text(bug)}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="severity", description="Change a bug's severity; its SLA counts from the report")
    @app_commands.describe(id="The bug's number, from /bug list", level="The new severity")
    @app_commands.choices(level=SEVERITY_CHOICES)
    async def severity(
        self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1], level: app_commands.Choice[str]
    ) -> None:
        bug, old = await self.bot.services.bugs.set_severity(actor_for(interaction), id, Severity(level.value))
        await interaction.response.send_message(
            f"Bug #{bug.id} is now **{bug.severity.label}** (was {old.label}), "
            f"{bug_notices.clock_text(bug, self.bot.clock.now())}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(BugCog(bot))
