"""`/checklist`: view the implementation checklist and tick it with a select menu, or the QA checklist and
record its items' results (cogs/qa.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.checklists import ChecklistKind, Progress
from bot.domain.models import Bounty
from bot.domain.notices import COLORS, exchange_name
from bot.tree import actor_for, component_origin_ok, report_error
from cogs.components import NUMBER
from cogs.qa import RecordSelect, qa_embed, record_view

if TYPE_CHECKING:
    from bot.app import BountyBot

KIND_CHOICES = [
    app_commands.Choice(name="implementation", value=ChecklistKind.IMPLEMENTATION.value),
    app_commands.Choice(name="QA", value=ChecklistKind.QA.value),
]


def checklist_embed(bounty: Bounty, progress: Progress, may_tick: bool) -> discord.Embed:
    embed = discord.Embed(
        title=f"{progress.kind.label} · bounty #{bounty.id} {exchange_name(bounty)}",
        description="\n".join(progress.lines()),
        colour=COLORS["ok"] if progress.count == progress.total else COLORS["info"],
    )
    hint = "Pick every task that is done in the menu below." if may_tick else "View only."
    embed.set_footer(text=f"{progress.summary} done · {hint}")
    return embed


class TickSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"checklist:(?P<bounty>{NUMBER}):(?P<kind>implementation|qa)",
):
    """The menu that sets which tasks are done. Dynamic, so a menu shown before a restart still works."""

    def __init__(
        self, bounty_id: int, kind: ChecklistKind, *, progress: Progress | None = None, select: Any = None
    ) -> None:
        if select is None:
            assert progress is not None
            select = discord.ui.Select(
                custom_id=f"checklist:{bounty_id}:{kind.value}",
                placeholder="Tasks that are done",
                min_values=0,
                max_values=progress.total,
                options=[
                    discord.SelectOption(label=t.label[:100], value=t.key, default=t.key in progress.done)
                    for t in progress.tasks
                ],
            )
        super().__init__(select)
        self.bounty_id = bounty_id
        self.kind = kind

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TickSelect:
        return cls(int(match["bounty"]), ChecklistKind(match["kind"]), select=item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await component_origin_ok(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        actor = actor_for(interaction)
        try:
            await bot.services.checklists.tick(actor, self.bounty_id, self.kind, list(self.item.values))
            bounty, progress, may_tick = await bot.services.checklists.view(actor, self.bounty_id, None, self.kind)
        except Exception as exc:  # noqa: BLE001 - dynamic items have no error hook; report like any other
            await report_error(interaction, exc)
            return
        await interaction.response.edit_message(
            embed=checklist_embed(bounty, progress, may_tick), view=tick_view(bounty.id, progress)
        )


def tick_view(bounty_id: int, progress: Progress) -> discord.ui.View:
    return discord.ui.View(timeout=None).add_item(TickSelect(bounty_id, progress.kind, progress=progress))


class ChecklistCog(commands.Cog):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="checklist",
        description="The implementation checklist (the developer ticks it) or the QA checklist and its results",
    )
    @app_commands.describe(checklist="Which checklist (default: implementation)", bounty="Bounty number")
    @app_commands.choices(checklist=KIND_CHOICES)
    async def checklist(
        self,
        interaction: discord.Interaction[Any],
        checklist: app_commands.Choice[str] | None = None,
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        kind = ChecklistKind(checklist.value) if checklist else ChecklistKind.IMPLEMENTATION
        # Acknowledged first: reading the bounty, its ticks and who may tick is a few queries.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if kind is ChecklistKind.QA:
            view = await self.bot.services.qa.view(actor_for(interaction), bounty, interaction.channel_id)
            if view.recordable:
                await interaction.followup.send(embed=qa_embed(view), view=record_view(view), ephemeral=True)
            else:
                await interaction.followup.send(embed=qa_embed(view), ephemeral=True)
            return
        found, progress, may_tick = await self.bot.services.checklists.view(
            actor_for(interaction), bounty, interaction.channel_id, kind
        )
        embed = checklist_embed(found, progress, may_tick)
        if may_tick:
            await interaction.followup.send(embed=embed, view=tick_view(found.id, progress), ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: BountyBot) -> None:
    bot.add_dynamic_items(TickSelect, RecordSelect)
    await bot.add_cog(ChecklistCog(bot))
