"""Buttons, menus and forms: the shapes their custom ids may take, and an answer for those nobody handles.

A custom id comes back from Discord as the client sent it, so it is input like any other: a forged one
may carry any text. Ours are parsed by templates with bounded numbers (a 23-digit "bounty number" would
overflow SQLite's integers), and anything that matches no live button, menu or form gets one short
private sentence instead of Discord's "This interaction failed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.tree import origin_problem, send_ephemeral

if TYPE_CHECKING:
    from bot.app import BountyBot

# A bounty or draft number inside a custom id: positive, at most 15 digits (well inside SQLite's int64).
NUMBER = r"[1-9][0-9]{0,14}"

STALE_BUTTON = "This button is no longer valid. Run the command again to get a fresh one."
STALE_FORM = "This form is no longer open (it expired or the bot restarted). Run the command again."


def handled(client: discord.Client, interaction: discord.Interaction[Any]) -> bool:
    """Whether discord.py found a live handler for this component or form.

    Mirrors `ViewStore.dispatch_view` / `dispatch_modal` of discord.py 2.7 (discord/ui/view.py), which
    silently discard anything unknown; the store is private, hence the getattr fallbacks.
    """
    store = getattr(getattr(client, "_connection", None), "_view_store", None)
    if store is None:
        return True  # cannot tell: better silent than a second answer
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    custom_id = str(data.get("custom_id", ""))
    if interaction.type is discord.InteractionType.modal_submit:
        return custom_id in getattr(store, "_modals", {})
    if any(pattern.fullmatch(custom_id) for pattern in getattr(store, "_dynamic_items", {})):
        # discord.py rebuilds a dynamic item from the message it is on, and drops the click if it is not there.
        return interaction.message is not None and custom_id in _custom_ids(interaction.message)
    key = (int(data.get("component_type", 0)), custom_id)
    views = getattr(store, "_views", {})
    message_id = interaction.message.id if interaction.message is not None else None
    return key in views.get(message_id, {}) or key in views.get(None, {})


def _custom_ids(message: discord.Message) -> set[str]:
    found: set[str] = set()
    for row in message.components:
        for child in getattr(row, "children", [row]):
            if isinstance(getattr(child, "custom_id", None), str):
                found.add(child.custom_id)
    return found


class ComponentsCog(commands.Cog):
    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # discord.py has already handed known components to their handlers by the time this event runs; those
        # check where they come from themselves. Here only what nobody will answer.
        if interaction.type is discord.InteractionType.component:
            if not handled(self.bot, interaction):
                await send_ephemeral(interaction, origin_problem(interaction) or STALE_BUTTON)
        elif interaction.type is discord.InteractionType.modal_submit and not handled(self.bot, interaction):
            await send_ephemeral(interaction, origin_problem(interaction) or STALE_FORM)


async def setup(bot: BountyBot) -> None:
    await bot.add_cog(ComponentsCog(bot))
