"""The command tree: where an interaction may come from, and one global error handler.

Who may run a command is not decided here: each command's audience is declared once in
`bot.domain.access.AUDIENCES` and enforced by its service, whatever calls it.

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

from bot.domain.access import Actor
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


def origin_problem(interaction: discord.Interaction[Any]) -> str | None:
    """Why an interaction from here is refused: every bounty lives in the one configured guild, so a DM or
    another server's channel (the bot may have been invited elsewhere) must never act on one."""
    if interaction.guild_id is None:
        return "BountyBot works inside the Hummingbot server, not in direct messages."
    bot: BountyBot = interaction.client
    if interaction.guild_id != bot.config.discord.guild_id:
        return "BountyBot only serves the Hummingbot Foundation's server; use it there."
    return None


async def component_origin_ok(interaction: discord.Interaction[Any]) -> bool:
    """`interaction_check` for buttons, menus and forms: refuse, politely, any from the wrong place."""
    problem = origin_problem(interaction)
    if problem is not None:
        await send_ephemeral(interaction, problem)
        return False
    return True


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
        problem = origin_problem(interaction)
        if problem is not None:
            raise AccessDenied(problem)
        return True

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        await report_error(interaction, error)
