"""`/pay …`: instructions, wallet, submit, escrow, confirm-escrow. Parse, check, call the service, reply."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.payments import Chain
from bot.tree import actor_for
from cogs.pay._render import QrCodes, instructions_messages, verdict_embed

if TYPE_CHECKING:
    from bot.app import BountyBot
    from bot.services.payments import PaymentService

CHAIN_CHOICES = [app_commands.Choice(name=c.label, value=c.value) for c in Chain]
BOUNTY_DESCRIPTION = "Bounty number (defaults to this channel's bounty)"
ANSWER_WITHIN = 2.0  # seconds before a slow RPC turns the reply into a deferred follow-up


class PayCog(commands.GroupCog, group_name="pay", group_description="Paying the bounty fee"):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        self.qr_codes = QrCodes()  # this cog's own: drawn once per link, kept while the cog is loaded
        super().__init__()

    @property
    def payments(self) -> PaymentService:
        return self.bot.services.payments

    @app_commands.command(
        name="instructions",
        description="How to pay: addresses, exact amounts, links, QR codes",
    )
    @app_commands.describe(bounty=BOUNTY_DESCRIPTION)
    async def instructions(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        # Acknowledged first: the answer carries six QR codes (drawn off the loop the first time, kept
        # after) and its upload is the heaviest reply the bot sends; 50 members asking at once must all be
        # acknowledged within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.payments.instructions(actor_for(interaction), bounty, interaction.channel_id)
        codes = await self.qr_codes.get([o.link for o in found.options])
        # Usually one message; more only when the embeds would pass Discord's limits for one. The first
        # follow-up replaces the "thinking…" reply, the rest follow it in order.
        for embeds, files in instructions_messages(found, codes):
            await interaction.followup.send(embeds=embeds, files=files, ephemeral=True)

    @app_commands.command(name="wallet", description="Register the wallet the fee will be paid from")
    @app_commands.describe(
        chain="The chain you pay on", address="Your paying wallet's address", bounty=BOUNTY_DESCRIPTION
    )
    @app_commands.choices(chain=CHAIN_CHOICES)
    async def wallet(
        self,
        interaction: discord.Interaction[Any],
        chain: app_commands.Choice[str],
        address: app_commands.Range[str, 1, 100],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        found, saved = await self.payments.register_wallet(
            actor_for(interaction), bounty, interaction.channel_id, Chain(chain.value), address
        )
        await interaction.response.send_message(
            f"Registered `{saved}` as bounty #{found.id}'s paying wallet on {Chain(chain.value).label}. "
            "Payments from it are found by the bot within a minute of finality.",
            ephemeral=True,
        )

    @app_commands.command(name="submit", description="Check a payment transaction now")
    @app_commands.describe(
        chain="The chain of the transaction",
        tx="Transaction hash (EVM) or signature (Solana)",
        bounty=BOUNTY_DESCRIPTION,
    )
    @app_commands.choices(chain=CHAIN_CHOICES)
    async def submit(
        self,
        interaction: discord.Interaction[Any],
        chain: app_commands.Choice[str],
        tx: app_commands.Range[str, 1, 100],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        work = asyncio.ensure_future(
            self.payments.submit(actor_for(interaction), bounty, interaction.channel_id, Chain(chain.value), tx)
        )
        done, _ = await asyncio.wait({work}, timeout=ANSWER_WITHIN)
        if work in done:
            await interaction.response.send_message(embed=verdict_embed(work.result()), ephemeral=True)
            return
        # The chain is slow to answer: acknowledge now ("thinking…") and follow up with the verdict.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(embed=verdict_embed(await work), ephemeral=True)

    @app_commands.command(name="escrow", description="Pay by escrow agreement and wire (option B)")
    @app_commands.describe(bounty=BOUNTY_DESCRIPTION)
    async def escrow(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        found, url = await self.payments.choose_escrow(actor_for(interaction), bounty, interaction.channel_id)
        await interaction.response.send_message(
            f"Option B chosen for bounty #{found.id}. Sign the Bounty Escrow Agreement ({url}); Foundation staff "
            "will post wire instructions in the bounty channel. Processing takes 2–3 business days.",
            ephemeral=True,
        )

    @app_commands.command(name="confirm-escrow", description="Record a received wire (staff)")
    @app_commands.describe(
        reference="The wire's reference",
        amount="Amount received in USD, like 10000 or 10000.50",
        bounty=BOUNTY_DESCRIPTION,
    )
    async def confirm_escrow(
        self,
        interaction: discord.Interaction[Any],
        reference: app_commands.Range[str, 1, 100],
        amount: app_commands.Range[str, 1, 30],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        recorded = await self.payments.confirm_escrow(
            actor_for(interaction), bounty, interaction.channel_id, reference, amount
        )
        await interaction.response.send_message(embed=verdict_embed(recorded), ephemeral=True)
