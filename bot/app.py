"""The bot: wires configuration, database, timers, outbox, services and cogs together."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from dataclasses import dataclass
from typing import Any

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.changes import Changes
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.delivery import DiscordDelivery
from bot.domain.permissions import problems as permission_problems
from bot.integrations.discord import DiscordAdapter
from bot.integrations.github import GitHubClient, Pacer
from bot.integrations.snapshot import SnapshotClient
from bot.mirror import GitHubMirror
from bot.outbox import Outbox
from bot.services import dues, maintenance
from bot.services.alerts import AlertService
from bot.services.bounties import BountyService
from bot.services.bugs import BUG_SLA, BugService, on_bug_sla
from bot.services.checklists import ChecklistService
from bot.services.context import ServiceContext
from bot.services.developers import DeveloperService
from bot.services.github_events import GitHubEvents
from bot.services.governance import POLL as GOVERNANCE_POLL
from bot.services.governance import READ as GOVERNANCE_READ
from bot.services.governance import GovernanceService
from bot.services.guarantee import GUARANTEE, on_guarantee_alert
from bot.services.intake import IntakeService
from bot.services.lifecycle import PHASE_OVERRUN, TOTAL_OVERRUN, on_phase_overrun, on_total_overrun
from bot.services.payments import PaymentService, PaymentWatch
from bot.services.payouts import PAYOUT_REMINDER, PayoutService, on_payout_reminder
from bot.services.qa import QaService
from bot.services.refunds import RefundService
from bot.services.releases import ReleaseService
from bot.services.reports import MONTHLY_REPORT, QUARTERLY_REVIEW, ReportService, on_monthly_report, on_quarterly_review
from bot.services.setup import report_setup_problems
from bot.services.updates import UpdateService
from bot.services.verification import Verifier
from bot.services.weekly import WeeklyPrompts
from bot.store.db import Database, open_database
from bot.timers import Timers
from bot.tree import BountyTree
from bot.webhook import WebhookReceiver

log = logging.getLogger(__name__)

# What has been frozen in this process (see freeze_heap).
_frozen: set[str] = set()


def freeze_heap(moment: str) -> None:
    """Move every object alive now out of the garbage collector's sight (`gc.freeze()`), once per process
    and `moment`: what exists at ready (or once the chain libraries are loaded) lives as long as the bot,
    and a full collection walking it costs 70-150 ms on a warm bot, a stall every callback behind it would
    feel. Once: the tests run many bots in one process, and freezing at each would keep every earlier
    test's garbage forever."""
    if moment not in _frozen:
        _frozen.add(moment)
        gc.freeze()


EXTENSIONS = (
    "cogs.bounty",
    "cogs.pay",
    "cogs.update",
    "cogs.checklist",
    "cogs.bug",
    "cogs.audit",
    "cogs.governance",
    "cogs.components",
    "cogs.alerts",
    "cogs.release",
    "cogs.report",
)


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
    refunds: RefundService
    qa: QaService
    alerts: AlertService
    releases: ReleaseService
    reports: ReportService
    governance: GovernanceService
    payouts: PayoutService


class BountyBot(commands.Bot):
    db: Database
    changes: Changes
    timers: Timers
    outbox: Outbox
    services: Services
    weekly: WeeklyPrompts
    adapter: DiscordAdapter

    def __init__(self, config: Config, *, clock: Clock | None = None, guild_ready_timeout: float = 2.0) -> None:
        """`guild_ready_timeout` is only the fallback: the bot is ready as soon as its configured server arrives,
        and waits that long after the last server only when the configured one does not come."""
        point_discord_at(config)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True, guild_scheduled_events=True),
            tree_cls=BountyTree,
            help_command=None,
            # Nothing the bot sends pings anyone unless that message explicitly allows it.
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            # discord.py waits this long after the last GUILD_CREATE before READY; see dispatch().
            guild_ready_timeout=guild_ready_timeout,
        )
        self._guild_ready_timeout = guild_ready_timeout
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.setup_problems: list[str] = []
        self.started = asyncio.Event()
        self._started_once = False
        self._watch_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._freeze_task: asyncio.Task[None] | None = None
        self._github_build: asyncio.Task[GitHubClient | None] | None = None
        self.github_client: GitHubClient | None = None
        self._shutting_down = False
        self.webhook: WebhookReceiver | None = None

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # discord.py only calls the bot ready `guild_ready_timeout` (2 s by default) after the last
        # GUILD_CREATE, in case more servers follow. This bot serves one server: once it has arrived there is
        # nothing to wait for. `_delay_ready` reads the timeout afresh before each wait, and events are
        # dispatched synchronously from it, so zeroing it here ends the wait at once.
        state = self._connection
        if event_name == "connect":
            state.guild_ready_timeout = self._guild_ready_timeout  # a new session waits for its server again
        elif event_name == "guild_available" and args and getattr(args[0], "id", None) == self.config.discord.guild_id:
            state.guild_ready_timeout = 0
        super().dispatch(event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        # PyGithub is built in a worker thread while the rest starts up and the gateway connects; it is
        # awaited before the outbox starts delivering (see on_ready).
        self._github_build = asyncio.create_task(self._github_client(), name="github-client")
        self.db = await open_database(self.config.database_path)
        await self.db.migrate()
        self.changes = Changes(self.db, self.clock)
        self.timers = Timers(self.changes, self.clock)
        self.outbox = Outbox(self.changes, self.clock, self.config.outbox)
        self.adapter = DiscordAdapter(self, self.config.discord.guild_id)
        DiscordDelivery(self.adapter, self.changes, self.config).register(self.outbox)
        ctx = ServiceContext(self.config, self.clock, self.changes, self.outbox)
        # No chain client yet: web3 and solana-py cost ~1.3 s and ~20 MB to import. The verifier builds them in a
        # worker thread the first time a payment is checked (the watcher's first pass, when a bounty awaits one).
        self.verifier = Verifier(self.config)
        bounty_service = BountyService(ctx)
        self.snapshot = SnapshotClient(self.config.governance.hub_url)
        payment_service = PaymentService(ctx, self.verifier, bounty_service)
        self.watch = PaymentWatch(payment_service)
        bug_service = BugService(ctx, bounty_service)
        release_service = ReleaseService(ctx, bounty_service)
        self.github_events = GitHubEvents(ctx, bug_service, release_service)
        self.services = Services(
            intake=IntakeService(ctx),
            bounties=bounty_service,
            payments=payment_service,
            developers=DeveloperService(ctx, bounty_service),
            updates=UpdateService(ctx, bounty_service),
            checklists=ChecklistService(ctx, bounty_service),
            bugs=bug_service,
            refunds=RefundService(ctx, bounty_service),
            qa=QaService(ctx, bounty_service, bug_service),
            alerts=AlertService(ctx, self.adapter),
            releases=release_service,
            reports=ReportService(ctx, bounty_service),
            governance=GovernanceService(ctx, bounty_service, self.snapshot),
            payouts=PayoutService(ctx, bounty_service),
        )
        dues.configure(self.config)  # the renewal amount a renewal due opens with

        self.timers.register(PHASE_OVERRUN, functools.partial(on_phase_overrun, self.config))
        self.timers.register(TOTAL_OVERRUN, functools.partial(on_total_overrun, self.config))
        self.timers.register(BUG_SLA, on_bug_sla)
        self.timers.register(GUARANTEE, on_guarantee_alert)
        for kind, handler in maintenance.handlers(self.config).items():
            self.timers.register(kind, handler)
        self.timers.register(MONTHLY_REPORT, functools.partial(on_monthly_report, self.config))
        self.timers.register(QUARTERLY_REVIEW, functools.partial(on_quarterly_review, self.config))
        self.timers.register(GOVERNANCE_POLL, self.services.governance.on_poll)
        self.outbox.register(GOVERNANCE_READ, self.services.governance.read)
        self.timers.register(PAYOUT_REMINDER, on_payout_reminder)
        self.weekly = WeeklyPrompts(ctx)
        for kind, handler in self.weekly.handlers().items():
            self.timers.register(kind, handler)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
            # Loading one runs its module (discord.py executes it afresh each time): let the loop breathe between
            # them, so that a dozen cogs never add up to one long pause.
            await asyncio.sleep(0)
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
            channels = {
                "intake_channel": d.intake_channel,
                "announcements_channel": d.announcements_channel,
                "governance_channel": d.governance_channel,
                "staff_alerts_channel": d.staff_alerts_channel,
            }
            categories = {"bounties_category": d.bounties_category}
            self.setup_problems = self.adapter.missing(
                channels=channels,
                categories=categories,
                roles={"staff_role": d.staff_role, "alerts_role": d.alerts_role},
            )
            # Each permission the bot lacks, where: in the log and to staff, before anyone meets the failure.
            self.setup_problems += permission_problems(self.adapter.own_permissions(channels, categories))
            # The alerts role: the bot must be able to give it (Manage Roles, above it) and to ping it.
            self.setup_problems += self.services.alerts.setup_problems()
            discussion = self.config.governance.discussion_channel
            if discussion and self.adapter.text_channel(discussion) is None:
                self.setup_problems.append(
                    f"[governance] discussion_channel: no text channel {discussion!r} in {self.adapter.guild.name}"
                )
        await report_setup_problems(self.changes, self.setup_problems)
        await self.weekly.adopt()  # developers assigned before weekly prompts existed get theirs
        await self.timers.start()
        assert self._github_build is not None
        self.github_client = await self._github_build
        GitHubMirror(self.github_client, self.changes, self.config).register(self.outbox)
        self.outbox.start()
        self._watch_task = asyncio.create_task(self._watch_payments(), name="payment-watch")
        await self._start_github_listening()
        self.started.set()
        log.info("BountyBot ready in guild %s as %s", d.guild_id, self.user)
        freeze_heap("ready")
        self._freeze_task = asyncio.create_task(self._freeze_chain_libraries(), name="freeze-chains")

    async def _freeze_chain_libraries(self) -> None:
        """The chain clients are built on first need (the watcher's first pass when a bounty awaits payment,
        or the first `/pay submit`); web3's and solana-py's modules then join the frozen heap."""
        await self.verifier.built.wait()
        freeze_heap("chain clients")

    async def _github_client(self) -> GitHubClient | None:
        if not self.config.github_token:
            log.warning("GITHUB_TOKEN is not set: GitHub writes wait in the outbox until it is")
            return None
        gh = self.config.github
        clock = self.clock
        pacer = Pacer(
            gh.content_writes_per_minute,
            gh.requests_per_hour,
            writes_per_hour=gh.content_writes_per_hour,
            clock=lambda: float(clock.now()),
        )
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
        for task in (self._watch_task, self._poll_task, self._freeze_task):
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
        if self._github_build is not None and self.github_client is None:
            # Closed before ready: the client may still be under construction; close it once it exists.
            with contextlib.suppress(Exception):
                self.github_client = await self._github_build
        if self.github_client is not None:
            await self.github_client.close()
        if hasattr(self, "verifier"):
            await self.verifier.close()
        if hasattr(self, "snapshot"):
            await self.snapshot.close()
        await super().close()
        if hasattr(self, "db"):
            await self.db.close()
