"""The command tree: one global error handler and the staff gate for every command.

Expected refusals (a :class:`UserFacingError`) become one clear ephemeral sentence. Anything else
is logged with its traceback under a short error id, and the user gets an apology quoting that id.
Replies work whether or not the interaction was already answered.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.domain.access import Access, Actor
from bot.domain.errors import UserFacingError

if TYPE_CHECKING:
    from bot.app import BountyBot

log = logging.getLogger(__name__)


class AccessDenied(app_commands.CheckFailure):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def actor_for(interaction: discord.Interaction[Any]) -> Actor:
    """Who is asking: staff means holding the configured staff role, whatever Discord permissions they have."""
    bot: BountyBot = interaction.client
    staff = bot.config.discord.staff_role
    roles = getattr(interaction.user, "roles", [])
    is_staff = any(r.name == staff or str(r.id) == staff for r in roles)
    return Actor(user_id=interaction.user.id, is_staff=is_staff)


def command_access(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | None) -> Access | None:
    if command is None:
        return None
    value = command.extras.get("access")
    return Access(value) if value is not None else None


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately, as a first response or as a followup, never pinging anyone."""
    none = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id, exc_info=True)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    if isinstance(error, AccessDenied):
        await send_ephemeral(interaction, error.message)
        return
    if isinstance(original, UserFacingError):
        await send_ephemeral(interaction, original.message)
        return
    if isinstance(error, app_commands.CommandOnCooldown):
        await send_ephemeral(interaction, f"Slow down: try again in {error.retry_after:.0f} seconds.")
        return
    if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
        await send_ephemeral(interaction, str(error))
        return
    error_id = secrets.token_hex(4)
    command = interaction.command.qualified_name if interaction.command else "component"
    log.error("error %s in %s for user %s", error_id, command, interaction.user.id, exc_info=original)
    await send_ephemeral(
        interaction,
        f"Sorry, something went wrong on our side (error id `{error_id}`). Nothing you sent was lost; "
        "please try again in a minute, and quote the error id to Foundation staff if it keeps happening.",
    )


class BountyTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.guild_id is None:
            raise AccessDenied("BountyBot works inside the Hummingbot server, not in direct messages.")
        if command_access(interaction.command) is Access.STAFF and not actor_for(interaction).is_staff:
            raise AccessDenied("Only Foundation staff can use this command.")
        return True

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        await report_error(interaction, error)
