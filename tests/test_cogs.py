"""Suite-wide sanity: every cog loads, no two commands clash, every command has a description and
a declared audience, and what Discord received is what the tree holds."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import EXTENSIONS, BountyBot
from bot.domain.access import AUDIENCES
from bot.sandbox.discord.server import DiscordSandbox


def leaves(bot: BountyBot) -> list[app_commands.Command]:  # type: ignore[type-arg]
    found = []
    for command in bot.tree.walk_commands(guild=discord.Object(bot.config.discord.guild_id)):
        if isinstance(command, app_commands.Command):
            found.append(command)
    return found


async def test_every_extension_loads_and_every_command_declares_its_access(
    bot: BountyBot, sandbox: DiscordSandbox
) -> None:
    assert set(bot.extensions) == set(EXTENSIONS)
    commands = leaves(bot)
    names = [c.qualified_name for c in commands]
    assert len(names) == len(set(names))
    assert {
        "bounty start",
        "bounty status",
        "bounty list",
        "bounty review",
        "bounty members add",
        "bounty members remove",
        "bounty cancel",
        "bounty advance",
        "bounty assign",
        "bounty fee",
        "bounty refund",
        "update post",
        "checklist",
        "bug report",
        "bug list",
        "bug resolve",
        "bug reopen",
        "audit",
        "report sla",
        "report usage",
    } <= set(names)
    for command in commands:
        assert command.description and command.description != "…", command.qualified_name
        assert command.qualified_name in AUDIENCES, f"{command.qualified_name} has no declared audience"
        for parameter in command.parameters:
            assert parameter.description and parameter.description != "…", (command.qualified_name, parameter.name)
    # Synced to the configured guild at start, so they are usable at once.
    assert set(sandbox.state.commands) == {
        "bounty",
        "pay",
        "update",
        "checklist",
        "bug",
        "audit",
        "alerts",
        "release",
        "report",
        "governance",
    }
