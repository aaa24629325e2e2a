"""A "Fix my answers" button: reopens a modal with what was typed, so a refused form is never retyped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from bot.tree import report_error


class RetryView(discord.ui.View):
    def __init__(self, make_modal: Callable[[], discord.ui.Modal]) -> None:
        super().__init__(timeout=1800)
        self.make_modal = make_modal

    @discord.ui.button(label="Fix my answers", style=discord.ButtonStyle.primary)
    async def fix(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(self.make_modal())

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, item: Any) -> None:
        await report_error(interaction, error)
