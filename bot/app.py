"""The bot: wires configuration, database, timers, outbox, services and cogs together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.changes import Changes
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.delivery import DiscordDelivery
from bot.integrations.discord import DiscordAdapter
from bot.integrations.github import GitHubClient, Pacer
from bot.mirror import GitHubMirror
from bot.outbox import Outbox
from bot.services.bounties import BountyService
from bot.services.bugs import BUG_SLA, BugService, on_bug_sla
from bot.services.checklists import ChecklistService
from bot.services.context import ServiceContext
from bot.services.developers import DeveloperService
from bot.services.github_events import GitHubEvents
from bot.services.intake import IntakeService
from bot.services.lifecycle import PHASE_OVERRUN, on_phase_overrun
from bot.services.payments import PaymentService, PaymentWatch
from bot.services.updates import UpdateService
from bot.services.verification import ChainClients, Verifier
from bot.store.db import Database, open_database
from bot.timers import Timers
from bot.tree import BountyTree
from bot.webhook import WebhookReceiver

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.bounty", "cogs.pay", "cogs.update", "cogs.checklist", "cogs.bug", "cogs.audit")


def point_discord_at(config: Config) -> None:
    """discord.py reads its REST base and gateway from class attributes; set them from configuration."""
    discord.http.Route.BASE = config.discord.api_base_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.discord.gateway_url)


@dataclass(frozen=True)
class Services:
    intake: IntakeService
    bounties: BountyService
    payments: PaymentService
    developers: DeveloperService
    updates: UpdateService
    checklists: ChecklistService
    bugs: BugService


class BountyBot(commands.Bot):
    db: Database
    changes: Changes
    timers: Timers
    outbox: Outbox
    services: Services
    adapter: DiscordAdapter

    def __init__(self, config: Config, *, clock: Clock | None = None, guild_ready_timeout: float = 2.0) -> None:
        point_discord_at(config)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True, guild_scheduled_events=True),
            tree_cls=BountyTree,
            help_command=None,
            # Nothing the bot sends pings anyone unless that message explicitly allows it.
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            # discord.py waits this long after the last GUILD_CREATE before READY; one guild needs little.
            guild_ready_timeout=guild_ready_timeout,
        )
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.setup_problems: list[str] = []
        self.started = asyncio.Event()
        self._started_once = False
        self._watch_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._shutting_down = False
        self.webhook: WebhookReceiver | None = None

    async def setup_hook(self) -> None:
        self.db = await open_database(self.config.database_path)
        await self.db.migrate()
        self.changes = Changes(self.db, self.clock)
        self.timers = Timers(self.changes, self.clock)
        self.outbox = Outbox(self.changes, self.clock, self.config.outbox)
        self.adapter = DiscordAdapter(self, self.config.discord.guild_id)
        DiscordDelivery(self.adapter, self.changes, self.config).register(self.outbox)
        ctx = ServiceContext(self.config, self.clock, self.changes, self.outbox)
        # Building web3 clients costs ~150 ms of CPU: done off the event loop, which must never stall 50 ms.
        self.chain_clients = await asyncio.to_thread(ChainClients.from_config, self.config)
        bounty_service = BountyService(ctx)
        payment_service = PaymentService(ctx, Verifier(self.config, self.chain_clients), bounty_service)
        self.watch = PaymentWatch(payment_service)
        self.github_client = await self._github_client()
        GitHubMirror(self.github_client, self.changes, self.config).register(self.outbox)
        bug_service = BugService(ctx, bounty_service)
        self.github_events = GitHubEvents(ctx, bug_service)
        self.services = Services(
            intake=IntakeService(ctx),
            bounties=bounty_service,
            payments=payment_service,
            developers=DeveloperService(ctx, bounty_service),
            updates=UpdateService(ctx, bounty_service),
            checklists=ChecklistService(ctx, bounty_service),
            bugs=bug_service,
        )

        async def overrun(ch, timer):
            await on_phase_overrun(self.config, ch, timer)

        self.timers.register(PHASE_OVERRUN, overrun)
        self.timers.register(BUG_SLA, on_bug_sla)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        guild = discord.Object(self.config.discord.guild_id)
        self.tree.copy_global_to(guild=guild)
        self.tree.clear_commands(guild=None)
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        if self._started_once:
            return  # a reconnect; everything is already running
        self._started_once = True
        d = self.config.discord
        if self.get_guild(d.guild_id) is None:
            self.setup_problems = [f"[discord] guild_id: the bot is not in a server with id {d.guild_id}"]
        else:
            self.setup_problems = self.adapter.missing(
                channels={
                    "intake_channel": d.intake_channel,
                    "announcements_channel": d.announcements_channel,
                    "governance_channel": d.governance_channel,
                    "staff_alerts_channel": d.staff_alerts_channel,
                },
                categories={"bounties_category": d.bounties_category},
                roles={"staff_role": d.staff_role, "alerts_role": d.alerts_role},
            )
        for problem in self.setup_problems:
            log.warning("configuration: %s", problem)
        await self.timers.start()
        self.outbox.start()
        self._watch_task = asyncio.create_task(self._watch_payments(), name="payment-watch")
        await self._start_github_listening()
        self.started.set()
        log.info("BountyBot ready in guild %s as %s", d.guild_id, self.user)

    async def _github_client(self) -> GitHubClient | None:
        if not self.config.github_token:
            log.warning("GITHUB_TOKEN is not set: GitHub writes wait in the outbox until it is")
            return None
        gh = self.config.github
        clock = self.clock
        pacer = Pacer(gh.content_writes_per_minute, gh.requests_per_hour, clock=lambda: float(clock.now()))
        # PyGithub is synchronous: even building its client stays off the event loop.
        return await asyncio.to_thread(
            GitHubClient,
            self.config.github_token.get(),
            gh.repository,
            base_url=gh.api_base_url,
            graphql_url=gh.graphql_url,
            pacer=pacer,
        )

    async def _start_github_listening(self) -> None:
        """A webhook receiver when configured, else the polling fallback (conditional requests)."""
        gh = self.config.github
        if gh.webhook_port and self.config.github_webhook_secret:
            self.webhook = WebhookReceiver(
                self.config.github_webhook_secret.get(),
                self.github_events,
                host=gh.webhook_host,
                port=gh.webhook_port,
                path=gh.webhook_path,
            )
            await self.webhook.start()
        elif self.github_client is not None:
            self._poll_task = asyncio.create_task(self._poll_github(), name="github-poll")

    async def _poll_github(self) -> None:
        assert self.github_client is not None
        while True:
            try:
                await self.github_events.poll_once(self.github_client, self.config.github.api_base_url)
            except Exception:
                log.exception("GitHub poll failed; trying again next interval")
            await asyncio.sleep(self.config.github.poll_interval_seconds)

    async def _watch_payments(self) -> None:
        """Look for payments every configured interval (30 s by default), so nobody has to submit them."""
        while True:
            try:
                report = await self.watch.scan()
                if report.found:
                    log.info("payment watch found %s payment(s)", report.found)
            except Exception:
                log.exception("payment watch pass failed; trying again next interval")
            await asyncio.sleep(self.config.payments.watch_interval_seconds)

    async def close(self) -> None:
        # discord.py may call close() from its connect task while we call it too: shut down once.
        if self._shutting_down:
            await super().close()
            return
        self._shutting_down = True
        for task in (self._watch_task, self._poll_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.webhook is not None:
            await self.webhook.stop()
        # Stop what uses the outside clients before closing them.
        if hasattr(self, "outbox"):
            await self.outbox.stop()
        if hasattr(self, "timers"):
            self.timers.stop()
        if getattr(self, "github_client", None) is not None:
            assert self.github_client is not None
            await self.github_client.close()
        if hasattr(self, "chain_clients"):
            await self.chain_clients.close()
        await super().close()
        if hasattr(self, "db"):
            await self.db.close()
