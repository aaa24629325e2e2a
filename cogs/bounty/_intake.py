"""The `/bounty start` modals: (1) the exchange, (2) its technical details.

Discord allows five inputs per modal, so the intake is two steps. Step 1 is kept as a draft in the
database; the "Continue" button carries the draft id in its custom id, so it still works after a restart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import InvalidInput
from bot.domain.intake import LIMITS, ExchangeAnswers, TechnicalAnswers
from bot.domain.models import SubType
from bot.domain.notices import exchange_name
from bot.tree import actor_for, component_origin_ok, report_error
from cogs.components import NUMBER
from cogs.retry import RetryView, modal_id

if TYPE_CHECKING:
    from bot.app import BountyBot

SUBTYPE_OPTIONS = [
    ("CLOB · Spot", SubType.SPOT),
    ("CLOB · Perpetual / futures", SubType.PERPETUAL),
    ("CLOB · Margin", SubType.MARGIN),
    ("AMM/DEX · AMM swap", SubType.AMM),
    ("AMM/DEX · CLMM (concentrated liquidity)", SubType.CLMM),
    ("AMM/DEX · Router aggregation", SubType.ROUTER),
    ("AMM/DEX · Liquidity provision", SubType.LIQUIDITY),
]


def _bot(interaction: discord.Interaction[Any]) -> BountyBot:
    return interaction.client


def _text(
    label: str, key: str, *, default: str = "", placeholder: str = "", required: bool = True, paragraph: bool = False
) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        label=label,
        custom_id=key,
        default=default or None,
        placeholder=placeholder or None,
        required=required,
        max_length=LIMITS[key][1],
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
    )


class ExchangeModal(discord.ui.Modal, title="New connector bounty (1 of 2)"):
    def __init__(self, opened_by: discord.Interaction[Any], previous: dict[str, Any] | None = None) -> None:
        super().__init__(custom_id=modal_id("bounty:intake:exchange", opened_by), timeout=1800)
        p = previous or {}
        self.exchange = _text("Exchange name", "exchange", default=p.get("exchange", ""), placeholder="e.g. Backpack")
        self.website = _text("Website", "website", default=p.get("website", ""), placeholder="https://…")
        chosen = set(p.get("subtypes", []))
        self.subtypes: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="subtypes",
            min_values=1,
            max_values=4,
            placeholder="Pick every sub-type you want built",
            options=[
                discord.SelectOption(label=label, value=value.value, default=value.value in chosen)
                for label, value in SUBTYPE_OPTIONS
            ],
        )
        self.contact = _text("Contact (name, email or Telegram)", "contact", default=p.get("contact", ""))
        self.timeline = _text(
            "Timeline and intro call (optional)",
            "timeline",
            default=p.get("timeline", ""),
            required=False,
            paragraph=True,
            placeholder="Preferred timeline. To book the intro call add a UTC time: 2026-12-01 15:00",
        )
        self.add_item(self.exchange)
        self.add_item(self.website)
        self.add_item(discord.ui.Label(text="Exchange type and sub-types", component=self.subtypes))
        self.add_item(self.contact)
        self.add_item(self.timeline)

    def answers(self) -> ExchangeAnswers:
        return ExchangeAnswers(
            exchange=self.exchange.value,
            website=self.website.value,
            subtypes=list(self.subtypes.values),
            contact=self.contact.value,
            timeline=self.timeline.value,
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        answers = self.answers()
        bot = _bot(interaction)
        # Acknowledged before the database write, which many people submitting at once would queue behind.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            draft_id = await bot.services.intake.save_exchange(
                actor_for(interaction), interaction.guild_id or 0, answers
            )
        except InvalidInput as exc:
            await interaction.followup.send(
                f"Some answers need fixing:\n{exc.message}",
                ephemeral=True,
                view=RetryView(interaction.user.id, lambda again: ExchangeModal(again, vars(answers))),
            )
            return
        await interaction.followup.send(
            "**Step 1 of 2 saved.** Now the technical details the Foundation reviews on day 3–4: "
            "API docs, authentication, rate limits, testnet and special features.",
            ephemeral=True,
            view=discord.ui.View(timeout=None).add_item(ContinueButton(draft_id)),
        )

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]  # discord.py types Modal.on_error like a View's
        await report_error(interaction, error)


class TechnicalModal(discord.ui.Modal, title="New connector bounty (2 of 2)"):
    def __init__(
        self, draft_id: int, opened_by: discord.Interaction[Any], previous: dict[str, Any] | None = None
    ) -> None:
        super().__init__(custom_id=modal_id(f"bounty:intake:technical:{draft_id}", opened_by), timeout=1800)
        self.draft_id = draft_id
        p = previous or {}
        self.api_docs = _text(
            "API docs: REST link, then WebSocket link",
            "api_docs",
            default=p.get("api_docs", ""),
            paragraph=True,
            placeholder="https://docs.example.com/rest\nhttps://docs.example.com/ws",
        )
        self.auth_method = _text(
            "Authentication method",
            "auth_method",
            default=p.get("auth_method", ""),
            placeholder="e.g. HMAC-SHA256 API key + secret",
        )
        self.rate_limits = _text(
            "Rate limits",
            "rate_limits",
            default=p.get("rate_limits", ""),
            placeholder="e.g. 1200 requests/min per IP; 10 orders/s",
        )
        self.testnet_url = _text(
            "Testnet / sandbox URL (or none)",
            "testnet_url",
            required=False,
            default=p.get("testnet_url", ""),
            placeholder="https://testnet.example.com",
        )
        self.special_features = _text(
            "Special features or requirements (optional)",
            "special_features",
            default=p.get("special_features", ""),
            required=False,
            paragraph=True,
        )
        for item in (self.api_docs, self.auth_method, self.rate_limits, self.testnet_url, self.special_features):
            self.add_item(item)

    def answers(self) -> TechnicalAnswers:
        return TechnicalAnswers(
            api_docs=self.api_docs.value,
            auth_method=self.auth_method.value,
            rate_limits=self.rate_limits.value,
            testnet_url=self.testnet_url.value,
            special_features=self.special_features.value,
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        answers = self.answers()
        bot = _bot(interaction)
        draft_id = self.draft_id
        # Acknowledged before the work: the bounty's transaction, then a moment's wait for its channel.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            bounty = await bot.services.intake.start(actor_for(interaction), draft_id, answers)
        except InvalidInput as exc:
            await interaction.followup.send(
                f"Some answers need fixing:\n{exc.message}",
                ephemeral=True,
                view=RetryView(interaction.user.id, lambda again: TechnicalModal(draft_id, again, vars(answers))),
            )
            return
        # Creating the channel is an outbox effect; give Discord a moment so we can link it directly.
        channel_id = await bot.services.intake.wait_for_channel(bounty.id, timeout=2.0)
        if channel_id is not None:
            where = f"Your private channel is <#{channel_id}>: the Foundation team and you will meet there."
        else:
            where = "Your private channel is being created; you will be mentioned in it within a few minutes."
        await interaction.followup.send(
            f"**Bounty #{bounty.id} for {exchange_name(bounty)} is started.** {where}\n"
            "Next: Foundation staff review your technical details, then you choose how to pay.",
            ephemeral=True,
        )

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]  # discord.py types Modal.on_error like a View's
        await report_error(interaction, error)


class ContinueButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"bounty:intake:continue:(?P<draft>{NUMBER})"
):
    """Opens step 2 for a saved draft. Dynamic, so it survives restarts."""

    def __init__(self, draft_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Continue: technical details",
                style=discord.ButtonStyle.primary,
                custom_id=f"bounty:intake:continue:{draft_id}",
            )
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ContinueButton:
        return cls(int(match["draft"]))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await component_origin_ok(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Check the draft is this person's before opening the modal, so a stale button says so at once.
        try:
            await _bot(interaction).services.intake.draft(actor_for(interaction), self.draft_id)
        except Exception as exc:  # noqa: BLE001 - dynamic items have no error hook; report like any other
            await report_error(interaction, exc)
            return
        await interaction.response.send_modal(TechnicalModal(self.draft_id, interaction))
