"""The yardstick for interaction latency: one discord.py slash command and nothing else, in a process of its
own, answering like the bot's commands do (an ephemeral embed). bench/interaction_latency.py runs it.

    .venv/bin/python bench/bare_bot.py API_BASE_URL GATEWAY_URL TOKEN GUILD_ID
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

COMMAND = "ping"
READY = "bare bot ready"


async def main(api: str, gateway: str, token: str, guild_id: int) -> None:
    discord.http.Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    guild = discord.Object(guild_id)

    @tree.command(name=COMMAND, description="bare command", guild=guild)
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(embed=discord.Embed(title="pong"), ephemeral=True)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    async def on_ready() -> None:
        print(READY, file=sys.stderr, flush=True)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    client.event(on_ready)
    async with client:
        await client.start(token, reconnect=False)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    api_url, gateway_url, bot_token, guild = sys.argv[1:5]
    with contextlib.suppress(KeyboardInterrupt):  # the benchmark stops it with SIGINT
        asyncio.run(main(api_url, gateway_url, bot_token, int(guild)))
