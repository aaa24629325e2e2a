"""`/report sla|usage` (staff): SLA figures with a chart of resolution times; a released connector's usage."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts.drawings import Drawings
from bot.charts.process import drawing_process
from bot.charts.sla import FILENAME, SlaPicture, draw_sla
from bot.domain.bugs import Severity
from bot.domain.notices import COLORS, clip_lines, exchange_name, summarise, ts
from bot.domain.reports import first_month_line, month_name, severity_line, usd, within_line
from bot.domain.sla_metrics import hours
from bot.services.reports import SlaReport, UsageRecorded
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot

NONE = discord.AllowedMentions.none()
SLA_CACHE_SIZE = 64
log = logging.getLogger(__name__)


def _windows(report: SlaReport) -> dict[Severity, str]:
    return {
        Severity.CRITICAL: f"{report.critical_hours} h",
        Severity.MAJOR: f"{report.major_hours} h",
        Severity.MINOR: "next release",
    }


def _released_lines(report: SlaReport) -> str:
    """Overall: each released connector's first month after release, and how many kept the target."""
    if not report.released:
        return "No connector released yet."
    now = report.figures.now
    kept = sum(1 for r in report.released if r.first.met)
    below = report.released[0].first.below
    lines = [
        f"#{r.id} {exchange_name(r)}: {'✅' if r.first.met else '⚠️'} {r.first.bugs}"
        + (" so far" if r.first.ongoing(now) else "")
        for r in report.released
    ]
    head = f"{kept} of {len(report.released)} released connectors under {below} bugs in their first month"
    return clip_lines(head + "\n" + summarise(lines, 900, separator="\n"), 1024)


def sla_title(report: SlaReport) -> str:
    b = report.bounty
    return f"SLA report · bounty #{b.id} {b.exchange}" if b else "SLA report · all bounties"


def sla_embed(report: SlaReport, *, picture: bool) -> discord.Embed:
    f = report.figures
    b = report.bounty
    title = f"SLA report · bounty #{b.id} {exchange_name(b)}" if b else "SLA report · all bounties"
    if not f.bugs:
        description = "No bugs reported yet: nothing to chart."
    else:
        description = f"**{f.bugs}** bugs: {f.open} open · {f.resolved} resolved · {f.breached} breached"
        if not picture:
            description += "\n(The chart could not be drawn this time.)"
    embed = discord.Embed(title=title, description=description, colour=COLORS["info"])
    if f.bugs:
        embed.add_field(name="Within SLA", value=within_line(f).removeprefix("Within SLA: "), inline=True)
        embed.add_field(name="Median time to resolve", value=hours(f.median_seconds), inline=True)
        embed.add_field(name="Open and breached", value=str(f.open_breached), inline=True)
        windows = _windows(report)
        embed.add_field(
            name="By severity (window)",
            value="\n".join(severity_line(f, s, windows[s]) for s in Severity),
            inline=False,
        )
    if b is not None:
        assert report.first is not None
        embed.add_field(
            name="First month after release",
            value=first_month_line(report.first, f.now).removeprefix("Bugs in the first month after release: "),
            inline=False,
        )
    else:
        embed.add_field(name="First month after release", value=_released_lines(report), inline=False)
    if picture:
        embed.set_image(url=f"attachment://{FILENAME}")
    return embed


def usage_text(done: UsageRecorded) -> str:
    b, u, t = done.bounty, done.usage, done.targets
    text = (
        f"Usage recorded for bounty #{b.id} {exchange_name(b)}, {month_name(done.month)} "
        f"({ts(done.start, 'D')} – {ts(done.end, 'D')}): **{u.users:,} users** and **{usd(u.volume_cents)}** "
        f"trading volume (targets: {t.users:,} users, ${t.volume_usd:,})."
    )
    if done.replaced is not None:
        text += f" It replaces {done.replaced.users:,} users and {usd(done.replaced.volume_cents)}."
    if done.reported:
        text += " That month's report already went out; the figures are kept for the quarterly review."
    else:
        text += " They go into that month's report."
    return text


class ReportCog(commands.GroupCog, group_name="report", group_description="Program reports (staff)"):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        # Drawn in the drawing process, never on the event loop; the same figures are drawn once and kept.
        self.charts: Drawings[SlaPicture] = Drawings(draw_sla, SLA_CACHE_SIZE, name="sla", runner=drawing_process.run)
        super().__init__()

    @app_commands.command(
        name="sla", description="Bugs by severity, share within SLA, time to resolve, with a chart (staff)"
    )
    @app_commands.describe(bounty="Bounty number (leave it out for every bounty)")
    async def sla(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        # Acknowledged first: the figures read every bug, and the chart is drawn in another process.
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.services.reports.sla(actor_for(interaction), bounty)
        if not report.figures.resolutions:
            await interaction.followup.send(embed=sla_embed(report, picture=False), ephemeral=True)
            return
        sla = self.bot.config.sla
        picture = SlaPicture.of(
            sla_title(report),
            report.figures.resolutions,
            sla.critical_hours,
            sla.major_hours,
            overall=report.bounty is None,
        )
        try:
            png = await self.charts.one(picture)
        except Exception:
            # The chart illustrates the figures; it must never be the reason someone gets none.
            log.exception("SLA chart failed; the report goes without it")
            await interaction.followup.send(embed=sla_embed(report, picture=False), ephemeral=True)
            return
        await interaction.followup.send(
            embed=sla_embed(report, picture=True), file=discord.File(io.BytesIO(png), FILENAME), ephemeral=True
        )

    @app_commands.command(
        name="usage", description="Record a released connector's users and volume for a month (staff)"
    )
    @app_commands.describe(
        bounty="Bounty number",
        users="Users of the connector that month, like 120 or 1,200",
        volume="Trading volume through it that month in USD, like 250000 or 1,250,000.50",
        month="Month of the maintenance year, 1-12 (default: the current one)",
    )
    async def usage(
        self,
        interaction: discord.Interaction[Any],
        bounty: app_commands.Range[int, 1],
        users: app_commands.Range[str, 1, 30],
        volume: app_commands.Range[str, 1, 40],
        month: app_commands.Range[int, 1, 12] | None = None,
    ) -> None:
        done = await self.bot.services.reports.record_usage(actor_for(interaction), bounty, users, volume, month)
        await interaction.response.send_message(usage_text(done), ephemeral=True, allowed_mentions=NONE)


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(ReportCog(bot))
