"""`/governance checklist|link|resubmit`: parse, call the governance service, reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.governance import NOTE_MAX, ProposalItem, proposal_link
from bot.domain.notices import exchange_name, ts
from bot.tree import actor_for

if TYPE_CHECKING:
    from bot.app import BountyBot
    from bot.services.governance import Linked

NONE = discord.AllowedMentions.none()
ITEM_CHOICES = [app_commands.Choice(name=item.label, value=item.value) for item in ProposalItem]
PROPOSAL_HELP = "The Snapshot proposal: its id (0x and 64 hex digits) or its snapshot.org link"


class GovernanceCog(
    commands.GroupCog, group_name="governance", group_description="The community vote on a bounty's connector"
):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="checklist", description="Record an item of the proposal checklist (staff)")
    @app_commands.describe(
        bounty="Bounty number",
        item="technical specification, testing results or maintenance commitment",
        note="Where it is (a link) or what it says",
        done="False takes the item back",
    )
    @app_commands.choices(item=ITEM_CHOICES)
    async def checklist(
        self,
        interaction: discord.Interaction[Any],
        bounty: app_commands.Range[int, 1],
        item: app_commands.Choice[str],
        note: app_commands.Range[str, 0, NOTE_MAX] = "",
        done: bool = True,
    ) -> None:
        outcome = await self.bot.services.governance.checklist(
            actor_for(interaction), bounty, ProposalItem(item.value), done, note
        )
        state = "recorded" if outcome.done else "taken back"
        rest = (
            "The proposal checklist is complete: `/governance link` opens the discussion."
            if not outcome.missing
            else "Still needed: " + ", ".join(i.label for i in outcome.missing) + "."
        )
        await interaction.response.send_message(
            f"Proposal checklist of bounty #{outcome.bounty.id}: {outcome.item.label} {state}. {rest}",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="link", description="Link the Snapshot proposal and open the discussion (staff)")
    @app_commands.describe(bounty="Bounty number", proposal=PROPOSAL_HELP)
    async def link(
        self,
        interaction: discord.Interaction[Any],
        bounty: app_commands.Range[int, 1],
        proposal: app_commands.Range[str, 1, 200],
    ) -> None:
        # The hub is asked before anything is recorded: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        linked = await self.bot.services.governance.link(actor_for(interaction), bounty, proposal)
        await interaction.followup.send(_linked(linked, "linked"), ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="resubmit", description="After a failed vote: link the new proposal (staff)")
    @app_commands.describe(bounty="Bounty number", proposal=PROPOSAL_HELP)
    async def resubmit(
        self,
        interaction: discord.Interaction[Any],
        bounty: app_commands.Range[int, 1],
        proposal: app_commands.Range[str, 1, 200],
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        linked = await self.bot.services.governance.resubmit(actor_for(interaction), bounty, proposal)
        await interaction.followup.send(_linked(linked, "resubmitted"), ephemeral=True, allowed_mentions=NONE)


def _linked(linked: Linked, what: str) -> str:
    t = linked.tracked
    return (
        f"Proposal {what} for bounty #{linked.bounty.id} {exchange_name(linked.bounty)}: "
        f"<{proposal_link(t.space, t.proposal_id)}>. The discussion is open in the governance channel; "
        f"the vote opens {ts(t.start)} and ends {ts(t.end)}."
    )


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(GovernanceCog(bot))
