"""`/bounty …`: parse, check, call a service, reply. No rules and no storage here."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts.drawings import Drawings
from bot.charts.process import drawing_process
from bot.charts.timeline import FILENAME, TimelinePicture, draw_timeline
from bot.domain.errors import InvalidInput
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import State
from bot.domain.models import ReviewItem, ReviewStatus
from bot.domain.notices import exchange_name, review_summary, ts
from bot.domain.payments import show_usd
from bot.domain.qa import not_passing_text
from bot.domain.refunds import RefundVia
from bot.tree import actor_for
from cogs.bounty._intake import ExchangeModal
from cogs.bounty._render import LIST_LINES, list_embed, status_embed, timeline_picture

if TYPE_CHECKING:
    from bot.app import BountyBot
    from bot.services.bounties import BountyService
    from bot.services.intake import IntakeService

STATE_CHOICES = [app_commands.Choice(name=s.label, value=s.value) for s in State]
# `refunded` is reached by recording the refund (`/bounty refund`), never by hand.
ADVANCE_CHOICES = [c for c in STATE_CHOICES if c.value != State.REFUNDED.value]
REFUND_VIA_CHOICES = [
    app_commands.Choice(name="Ethereum transaction", value=RefundVia.ETHEREUM.value),
    app_commands.Choice(name="BSC transaction", value=RefundVia.BSC.value),
    app_commands.Choice(name="Solana transaction", value=RefundVia.SOLANA.value),
    app_commands.Choice(name="Wire transfer", value=RefundVia.WIRE.value),
]
REVIEW_CHOICES = [app_commands.Choice(name=i.label, value=i.value) for i in ReviewItem]
BOUNTY_DESCRIPTION = "Bounty number (defaults to this channel's bounty)"
NONE = discord.AllowedMentions.none()
TIMELINE_CACHE_SIZE = 256

log = logging.getLogger(__name__)


def in_server(person: discord.Member | discord.User) -> None:
    """Discord resolves a user option to a plain User when the person is not (or no longer) in the server:
    they could not see the channel they would be given, so say so rather than add them."""
    if not isinstance(person, discord.Member):
        raise InvalidInput(
            [f"{person.mention} is not in this server (any more); they must join it before they can be added."]
        )


class BountyCog(commands.GroupCog, group_name="bounty", group_description="Connector bounties"):
    members = app_commands.Group(name="members", description="Who can see a bounty's private channel")
    payout = app_commands.Group(name="payout", description="The developer's payout, due within 30 days of the merge")

    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        # This cog's own: each bounty's picture drawn at most once an hour (and when its state changes), in the
        # drawing process, so that matplotlib neither slows the event loop nor weighs on the bot's memory.
        self.timelines: Drawings[TimelinePicture] = Drawings(
            draw_timeline, TIMELINE_CACHE_SIZE, name="timeline", runner=drawing_process.run
        )
        super().__init__()

    @property
    def intake(self) -> IntakeService:
        return self.bot.services.intake

    @property
    def bounties(self) -> BountyService:
        return self.bot.services.bounties

    @app_commands.command(name="start", description="Start a connector bounty for your exchange")
    async def start(self, interaction: discord.Interaction[Any]) -> None:
        intake_channel = self.bot.adapter.text_channel(self.bot.config.discord.intake_channel)
        self.intake.check_channel(interaction.channel_id or 0, intake_channel.id if intake_channel else None)
        await interaction.response.send_modal(ExchangeModal(interaction))

    @app_commands.command(
        name="status",
        description="Where a bounty stands: phase, timeline, payment, review",
    )
    @app_commands.describe(bounty=BOUNTY_DESCRIPTION)
    async def status(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        # Acknowledged first: the status is the most asked-for read, often by many people at once.
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bounties.status(actor_for(interaction), bounty, interaction.channel_id)
        metrics = await self.bot.services.reports.metrics(found.bounty.id)
        try:
            png = await self.timelines.one(timeline_picture(found))
        except Exception:
            # The picture illustrates the status; it must never be the reason someone gets none.
            log.exception("timeline picture for bounty #%s failed; the status goes without it", found.bounty.id)
            await interaction.followup.send(embed=status_embed(found, metrics=metrics), ephemeral=True)
            return
        await interaction.followup.send(
            embed=status_embed(found, picture=True, metrics=metrics),
            file=discord.File(io.BytesIO(png), FILENAME),
            ephemeral=True,
        )

    @app_commands.command(name="list", description="Every bounty, optionally in one state (staff)")
    @app_commands.describe(phase="Only bounties in this state")
    @app_commands.choices(phase=STATE_CHOICES)
    async def list_(self, interaction: discord.Interaction[Any], phase: app_commands.Choice[str] | None = None) -> None:
        state = State(phase.value) if phase else None
        found = await self.bounties.list_bounties(actor_for(interaction), state, LIST_LINES)
        await interaction.response.send_message(embed=list_embed(found, state), ephemeral=True)

    @app_commands.command(
        name="review",
        description="Record a technical-review item as ok or missing (staff)",
    )
    @app_commands.describe(
        item="The review item",
        result="ok, or missing",
        note="What was checked, or what is missing",
        bounty=BOUNTY_DESCRIPTION,
    )
    @app_commands.choices(
        item=REVIEW_CHOICES,
        result=[app_commands.Choice(name="ok", value="ok"), app_commands.Choice(name="missing", value="missing")],
    )
    async def review(
        self,
        interaction: discord.Interaction[Any],
        item: app_commands.Choice[str],
        result: app_commands.Choice[str],
        note: app_commands.Range[str, 0, 300] = "",
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        outcome = await self.bounties.review(
            actor_for(interaction),
            bounty,
            interaction.channel_id,
            ReviewItem(item.value),
            ReviewStatus(result.value),
            note,
        )
        moved = f"\nBounty #{outcome.bounty.id} is now **{outcome.moved_to.label}**." if outcome.moved_to else ""
        await interaction.response.send_message(
            f"Recorded **{ReviewItem(item.value).label}: {result.value}** for bounty #{outcome.bounty.id}.{moved}\n"
            + review_summary(outcome.bounty, outcome.review),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @members.command(
        name="add",
        description="Let someone see the bounty's private channel (exchange lead, staff)",
    )
    @app_commands.describe(member="Who to add", bounty=BOUNTY_DESCRIPTION)
    async def members_add(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | discord.User,
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        in_server(member)
        found = await self.bounties.add_member(
            actor_for(interaction), bounty, interaction.channel_id, member.id, member.bot
        )
        await interaction.response.send_message(
            f"{member.mention} can now see bounty #{found.id}'s channel.", ephemeral=True, allowed_mentions=NONE
        )

    @members.command(
        name="remove",
        description="Remove someone from the bounty's channel (exchange lead, staff)",
    )
    @app_commands.describe(member="Who to remove", bounty=BOUNTY_DESCRIPTION)
    async def members_remove(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | discord.User,
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        found = await self.bounties.remove_member(actor_for(interaction), bounty, interaction.channel_id, member.id)
        await interaction.response.send_message(
            f"{member.mention} no longer sees bounty #{found.id}'s channel.", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(
        name="cancel",
        description="Cancel a bounty (exchange lead before payment, staff any time)",
    )
    @app_commands.describe(reason="Why; kept in the audit trail", bounty=BOUNTY_DESCRIPTION)
    async def cancel(
        self,
        interaction: discord.Interaction[Any],
        reason: app_commands.Range[str, 1, 500],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        found = await self.bounties.cancel(actor_for(interaction), bounty, interaction.channel_id, reason)
        await interaction.response.send_message(
            f"Bounty #{found.id} for {exchange_name(found)} is cancelled.", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="advance", description="Move a bounty's lifecycle by hand (staff)")
    @app_commands.describe(
        to="The state to move to",
        reason="Why; kept in the audit trail",
        override="Testing → governance with QA items not passing (needs a reason of 20+ characters)",
        bounty=BOUNTY_DESCRIPTION,
    )
    @app_commands.choices(to=ADVANCE_CHOICES)
    async def advance(
        self,
        interaction: discord.Interaction[Any],
        to: app_commands.Choice[str],
        reason: app_commands.Range[str, 0, 500] = "",
        override: bool = False,
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        done = await self.bounties.move(
            actor_for(interaction), bounty, interaction.channel_id, State(to.value), reason, override=override
        )
        text = f"Bounty #{done.bounty.id} is now **{done.bounty.state.label}**."
        if done.overridden:
            text += (
                f" QA gate overridden with {len(done.overridden)} item(s) not passing: "
                f"{not_passing_text(list(done.overridden))}. The bounty channel and staff are told, and the "
                "audit trail keeps your reason."
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(
        name="assign",
        description="Assign the developer who builds the connector, and book the kick-off (staff)",
    )
    @app_commands.describe(
        developer="The developer (a member of this server)",
        github="Their GitHub username",
        kickoff="Kick-off call, YYYY-MM-DD HH:MM in UTC (default: tomorrow)",
        bounty=BOUNTY_DESCRIPTION,
    )
    async def assign(
        self,
        interaction: discord.Interaction[Any],
        developer: discord.Member | discord.User,
        github: app_commands.Range[str, 1, 80],
        kickoff: app_commands.Range[str, 0, 40] = "",
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        in_server(developer)
        done = await self.bot.services.developers.assign(
            actor_for(interaction), bounty, interaction.channel_id, developer.id, developer.bot, github, kickoff
        )
        before = f" (replacing <@{done.replaced}>)" if done.replaced else ""
        await interaction.response.send_message(
            f"{developer.mention} ({for_discord_code(done.login)}) builds bounty #{done.bounty.id} "
            f"{exchange_name(done.bounty)}{before}. "
            f"It is now **{done.bounty.state.label}**; kick-off {ts(done.kickoff_at, 'F')}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="fee", description="Set the bounty's own fee, before any payment (staff)")
    @app_commands.describe(
        amount="The fee in whole USD within the fee range (10,000–25,000 by default), like 15000",
        bounty=BOUNTY_DESCRIPTION,
    )
    async def fee(
        self,
        interaction: discord.Interaction[Any],
        amount: app_commands.Range[str, 1, 30],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        done = await self.bot.services.refunds.set_fee(actor_for(interaction), bounty, interaction.channel_id, amount)
        text = (
            f"Bounty #{done.bounty.id}'s fee is now **{done.new:,} USD** (it was {done.old:,}). "
            "`/pay instructions` shows the new amounts."
            if done.new != done.old
            else f"Bounty #{done.bounty.id}'s fee is already **{done.new:,} USD**."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="refund", description="Record a refund sent back to the exchange (staff)")
    @app_commands.describe(
        amount="Amount sent back in USD, like 1000 or 1,000.50",
        via="How it was sent",
        reference="The refund's transaction hash (Solana: signature) or wire reference",
        bounty=BOUNTY_DESCRIPTION,
    )
    @app_commands.choices(via=REFUND_VIA_CHOICES)
    async def refund(
        self,
        interaction: discord.Interaction[Any],
        amount: app_commands.Range[str, 1, 30],
        via: app_commands.Choice[str],
        reference: app_commands.Range[str, 1, 100],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        way = RefundVia(via.value)
        done = await self.bot.services.refunds.refund(
            actor_for(interaction), bounty, interaction.channel_id, amount, way, reference
        )
        if done.plan.ends_refunded:
            after = f"Everything paid has gone back: bounty #{done.bounty.id} is now **refunded**."
        elif done.plan.due_after:
            after = f"Still due back: **{show_usd(done.plan.due_after)} USD**."
        else:
            after = "Nothing more is due back."
        await interaction.response.send_message(
            f"Recorded a refund of **{show_usd(done.amount)} USD** {way.label} for bounty #{done.bounty.id}. {after}",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @payout.command(name="record", description="Record the developer's payout, once it is sent (staff)")
    @app_commands.describe(
        tx="The payout's transaction: an EVM hash (0x…) or a Solana signature",
        bounty=BOUNTY_DESCRIPTION,
    )
    async def payout_record(
        self,
        interaction: discord.Interaction[Any],
        tx: app_commands.Range[str, 1, 100],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        done = await self.bot.services.payouts.record(actor_for(interaction), bounty, interaction.channel_id, tx)
        late = " (after the 30 days)" if done.late else ""
        await interaction.response.send_message(
            f"Recorded the developer's payout for bounty #{done.bounty.id}{late}: {done.network.label} "
            f"{for_discord_code(done.tx)}. The channel and staff are told, and the Bounties Board shows **Paid**.",
            ephemeral=True,
            allowed_mentions=NONE,
        )
