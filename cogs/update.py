"""`/update post`: the developer's weekly update, in a modal. Parse, check, call the service, reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import InvalidInput
from bot.domain.updates import FIELD_MAX
from bot.tree import actor_for, report_error
from cogs.retry import RetryView, modal_id

if TYPE_CHECKING:
    from bot.app import BountyBot


class UpdateModal(discord.ui.Modal):
    def __init__(
        self,
        bounty_id: int,
        exchange: str,
        opened_by: discord.Interaction[Any],
        previous: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            title=f"Weekly update · {exchange}"[:45],
            custom_id=modal_id(f"update:{bounty_id}", opened_by),
            timeout=1800,
        )
        self.bounty_id = bounty_id
        self.exchange = exchange
        p = previous or {}
        paragraph = discord.TextStyle.paragraph
        self.done: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="done",
            label="Done this week",
            style=paragraph,
            max_length=FIELD_MAX,
            default=p.get("done") or None,
        )
        self.next: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="next", label="Next", style=paragraph, max_length=FIELD_MAX, default=p.get("next") or None
        )
        self.blockers: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="blockers",
            label="Blockers (optional)",
            style=paragraph,
            max_length=FIELD_MAX,
            required=False,
            default=p.get("blockers") or None,
            placeholder="Waiting on the exchange? Say what for.",
        )
        self.percent: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="percent",
            label="Percent complete (0–100)",
            max_length=4,
            default=p.get("percent") or None,
            placeholder=p.get("last_percent") or "e.g. 40",
        )
        for item in (self.done, self.next, self.blockers, self.percent):
            self.add_item(item)

    def answers(self) -> dict[str, str]:
        return {
            "done": self.done.value,
            "next": self.next.value,
            "blockers": self.blockers.value,
            "percent": self.percent.value,
        }

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        typed = self.answers()
        # Acknowledge first: the post commits a transaction (state, audit, timers, outbox) that must not eat
        # into Discord's 3-second deadline when many people submit at once.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            bounty, update = await bot.services.updates.post(
                actor_for(interaction),
                self.bounty_id,
                typed["done"],
                typed["next"],
                typed["blockers"],
                typed["percent"],
            )
        except InvalidInput as exc:
            bounty_id, exchange = self.bounty_id, self.exchange
            await interaction.followup.send(
                f"The update needs fixing:\n{exc.message}",
                ephemeral=True,
                view=RetryView(interaction.user.id, lambda again: UpdateModal(bounty_id, exchange, again, typed)),
            )
            return
        await interaction.followup.send(
            f"Update posted for bounty #{bounty.id} ({update.percent}% complete). The exchange sees it in the "
            "bounty channel, and it is mirrored on the public GitHub issue.",
            ephemeral=True,
        )

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]  # discord.py types Modal.on_error like a View's
        await report_error(interaction, error)


class UpdateCog(commands.GroupCog, group_name="update", group_description="Weekly updates from the developer"):
    """`/update …`. Discord cannot run a command that has subcommands, so even posting is `/update post`."""

    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="post",
        description="Post your weekly update: done, next, blockers, percent complete (developer)",
    )
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def post(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        # Check first, so that someone who may not post learns it before typing a whole update.
        found = await self.bot.services.updates.check(actor_for(interaction), bounty, interaction.channel_id)
        last = found.last_percent
        previous = {"last_percent": f"last week: {last}%"} if last is not None else None
        await interaction.response.send_modal(UpdateModal(found.bounty_id, found.exchange, interaction, previous))


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(UpdateCog(bot))
