"""Modals that never collide, and a "Fix my answers" button that reopens one with what was typed.

discord.py keeps open modals keyed by their custom id alone (``ViewStore._modals`` in discord/ui/view.py):
two people with the same form open under one id would have one submission answered with the other's
modal, or not at all. Every modal therefore gets an id unique to its opening: the person and the
interaction that opened it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from bot.tree import component_origin_ok, report_error


def modal_id(prefix: str, interaction: discord.Interaction[Any]) -> str:
    """`prefix` made unique to this opening (at most 100 characters, Discord's limit for a custom id)."""
    custom_id = f"{prefix}:{interaction.user.id}:{interaction.id}"
    if len(custom_id) > 100:  # our own prefixes are short; a long one is a bug to fix here, not Discord's 400 later
        raise ValueError(f"modal custom id over Discord's 100 characters: {custom_id!r}")
    return custom_id


class RetryView(discord.ui.View):
    """Under a refused form: reopens it, filled in, for the person who typed it (and only for them)."""

    def __init__(self, owner_id: int, make_modal: Callable[[discord.Interaction[Any]], discord.ui.Modal]) -> None:
        super().__init__(timeout=1800)
        self.owner_id = owner_id
        self.make_modal = make_modal

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if not await component_origin_ok(interaction):
            return False
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These are someone else's answers. Run the command yourself to fill in your own.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Fix my answers", style=discord.ButtonStyle.primary)
    async def fix(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(self.make_modal(interaction))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, item: Any) -> None:
        await report_error(interaction, error)
