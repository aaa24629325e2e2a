"""Typed, validated configuration.

`config.toml` holds no secrets: tokens and keys come from the environment only and are wrapped in
:class:`Secret` so that printing a config, logging it or putting it in an error never reveals them.
Validation collects every problem at once so that `bountybot check-config` can name them all.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.domain.governance import PRESETS, GovernanceRules, Preset
from bot.domain.sla import ReleaseCalendar, parse_dates, parse_rule
from bot.domain.timeline import DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, ProcessPhase, TargetRange


class Secret:
    """A value that never shows itself in `repr`, `str` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class ConfigError(Exception):
    """The configuration has problems; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DiscordConfig:
    guild_id: int
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    intake_channel: str = "developer"
    announcements_channel: str = "announcements"
    governance_channel: str = "governance"
    staff_alerts_channel: str = "staff-alerts"
    bounties_category: str = "Bounties"
    staff_role: str = "hummingbot-foundation"
    alerts_role: str = "governance-alerts"


@dataclass(frozen=True)
class FeeConfig:
    default_usd: int = 10_000
    min_usd: int = 10_000
    max_usd: int = 25_000
    renewal_usd: int = 2_000


@dataclass(frozen=True)
class SlaConfig:
    critical_hours: int = 24
    major_hours: int = 48
    # Minor bugs are due at the next release cut: a monthly rule ("first monday"; "none" for none) and/or
    # listed dates, each at `release_hour` UTC.
    release_calendar: str = "first monday"
    release_dates: tuple[date, ...] = ()
    release_hour: int = 12

    @property
    def calendar(self) -> ReleaseCalendar:
        rule, _ = parse_rule(self.release_calendar)
        return ReleaseCalendar(rule=rule, dates=self.release_dates, hour=self.release_hour)


@dataclass(frozen=True)
class ReportsConfig:
    """The seed's targets the maintenance year's reports measure against (issue 12, DESIGN.md §2)."""

    users_target: int = 50  # users of the connector in a month
    volume_target_usd: int = 1_000_000  # trading volume through it in a month
    first_month_bugs_below: int = 5  # bugs in the first month after release: fewer than this


@dataclass(frozen=True)
class UpdatesConfig:
    weekday: str = "monday"
    hour: int = 15
    timezone: str = "UTC"


@dataclass(frozen=True)
class OutboxConfig:
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 600.0
    max_attempts: int = 12


@dataclass(frozen=True)
class TokenConfig:
    symbol: str
    address: str  # EVM contract or Solana mint
    decimals: int


@dataclass(frozen=True)
class ChainConfig:
    name: str  # ethereum, bsc, solana
    rpc_urls: tuple[Secret, ...]  # tried in order; may embed API keys, so never logged
    receiver: str
    tokens: tuple[TokenConfig, ...]
    chain_id: int | None = None  # EVM only
    # EVM: "finalized" uses the chain's finalized block; a number N counts N confirmations instead.
    finality: str | int = "finalized"
    seconds_per_block: float = 12.0


DEFAULT_CHAINS: dict[str, dict[str, Any]] = {
    "ethereum": {
        "chain_id": 1,
        "rpc_urls": ["https://ethereum-rpc.publicnode.com"],
        "receiver": "0x60D581aEa0644e74df60c7555e5166d32665d6b6",
        "seconds_per_block": 12.0,
        "tokens": [
            {"symbol": "USDC", "address": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "decimals": 6},
            {"symbol": "USDT", "address": "0xdAC17F958D2ee523a2206206994597C13D831ec7", "decimals": 6},
        ],
    },
    "bsc": {
        "chain_id": 56,
        "rpc_urls": ["https://bsc-dataseed.bnbchain.org"],
        "receiver": "0xE517b826a26B439eCE92f3220628eC007049d915",
        "seconds_per_block": 0.75,
        "tokens": [
            {"symbol": "USDC", "address": "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", "decimals": 18},
            {"symbol": "USDT", "address": "0x55d398326f99059fF775485246999027B3197955", "decimals": 18},
        ],
    },
    "solana": {
        "rpc_urls": ["https://api.mainnet-beta.solana.com"],
        "receiver": "5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i",
        "seconds_per_block": 0.4,
        "tokens": [
            {"symbol": "USDC", "address": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "decimals": 6},
            {"symbol": "USDT", "address": "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB", "decimals": 6},
        ],
    },
}


@dataclass(frozen=True)
class PaymentsConfig:
    watch_interval_seconds: float = 30.0
    rpc_timeout_seconds: float = 10.0
    escrow_agreement_url: str = "https://hummingbot.org/bounties/escrow-agreement/"


@dataclass(frozen=True)
class GitHubConfig:
    repository: str = "hummingbot/hummingbot"
    api_base_url: str = "https://api.github.com"
    graphql_url: str = "https://api.github.com/graphql"
    project_owner: str = "hummingbot"  # the organisation that owns the Bounties Board
    project_number: int = 7
    labels: tuple[str, ...] = ("bounty", "new connector")
    developer_portion: str = "TBA"
    # GitHub's documented limits: 80 content-generating requests a minute and 500 an hour (secondary), 5,000
    # requests an hour (primary). https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
    content_writes_per_minute: int = 80
    content_writes_per_hour: int = 500
    requests_per_hour: int = 5000
    poll_interval_seconds: float = 300.0  # the fallback when no webhook is configured
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 0  # 0: no webhook receiver
    webhook_path: str = "/github/webhook"


@dataclass(frozen=True)
class Config:
    discord: DiscordConfig
    database_path: Path = Path("bountybot.db")
    fees: FeeConfig = field(default_factory=FeeConfig)
    sla: SlaConfig = field(default_factory=SlaConfig)
    updates: UpdatesConfig = field(default_factory=UpdatesConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    # Days per phase, low to high; the whole process in days too (the config says it in weeks).
    phase_targets: Mapping[ProcessPhase, TargetRange] = field(default_factory=lambda: dict(DEFAULT_PHASE_TARGETS))
    total_target: TargetRange = DEFAULT_TOTAL_TARGET
    log_level: str = "INFO"
    discord_token: Secret = field(default_factory=lambda: Secret(""))
    payments: PaymentsConfig = field(default_factory=PaymentsConfig)
    chains: Mapping[str, ChainConfig] = field(default_factory=dict)
    github: GitHubConfig = field(default_factory=GitHubConfig)
    github_token: Secret = field(default_factory=lambda: Secret(""))
    github_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    governance: GovernanceRules = field(default_factory=GovernanceRules)

    @property
    def secrets(self) -> list[str]:
        """Every secret value in use, for the log filter."""
        rpc = [url for chain in self.chains.values() for url in chain.rpc_urls]
        return [s.get() for s in (self.discord_token, self.github_token, self.github_webhook_secret, *rpc) if s]


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_NAME_RE = re.compile(r"^[^\s#@][^#@]{0,99}$")

# Which keys each section accepts; anything else is reported, so that a typo never silently
# falls back to a default.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "discord": tuple(DiscordConfig.__dataclass_fields__),
    "database": ("path",),
    "fees": tuple(FeeConfig.__dataclass_fields__),
    "sla": tuple(SlaConfig.__dataclass_fields__),
    "updates": tuple(UpdatesConfig.__dataclass_fields__),
    "outbox": tuple(OutboxConfig.__dataclass_fields__),
    "timeline": (*(p.value for p in ProcessPhase), "total_weeks"),
    "logging": ("level",),
    "payments": tuple(PaymentsConfig.__dataclass_fields__),
    "chains": tuple(DEFAULT_CHAINS),
    "github": tuple(GitHubConfig.__dataclass_fields__),
    "reports": tuple(ReportsConfig.__dataclass_fields__),
    "governance": tuple(GovernanceRules.__dataclass_fields__),
}
_CHAIN_KEYS = ("chain_id", "rpc_urls", "receiver", "tokens", "finality", "seconds_per_block")


class _Reader:
    """Reads typed values out of the parsed TOML, collecting problems instead of stopping."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            self.problems.append(f"[{name}] must be a table")
            return {}
        for key in value:
            if key not in _SECTIONS[name]:
                self.problems.append(f"[{name}] {key}: unknown key (accepted: {', '.join(_SECTIONS[name])})")
        return value

    def get(self, sec: str, table: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.problems.append(f"[{sec}] {key}: must be a whole number, got {value!r}")
            return default
        if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
            self.problems.append(f"[{sec}] {key}: must be a number, got {value!r}")
            return default
        if kind is str and not isinstance(value, str):
            self.problems.append(f"[{sec}] {key}: must be a string, got {value!r}")
            return default
        return float(value) if kind is float else value

    def name(self, sec: str, table: Mapping[str, Any], key: str, default: str) -> str:
        value: str = self.get(sec, table, key, str, default)
        if not _NAME_RE.match(value):
            self.problems.append(
                f"[{sec}] {key}: {value!r} is not a channel, category or role name "
                "(give the plain name without # or @, or its numeric id)"
            )
        return value

    def url(self, sec: str, table: Mapping[str, Any], key: str, default: str, schemes: tuple[str, ...]) -> str:
        value: str = self.get(sec, table, key, str, default)
        parsed = urlparse(value)
        if parsed.scheme not in schemes or not parsed.netloc:
            self.problems.append(f"[{sec}] {key}: {value!r} must be a {' or '.join(schemes)} URL")
        return value.rstrip("/") if "http" in schemes else value

    def target_range(self, sec: str, table: Mapping[str, Any], key: str, default: TargetRange) -> TargetRange:
        """`[low, high]`, or one number: the upper end (what a single target meant before ranges), with the
        default lower end unless that is higher."""
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = min(default.low, value), value
        elif (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            low, high = value
        else:
            self.problems.append(f"[{sec}] {key}: must be a whole number or [low, high], got {value!r}")
            return default
        if low <= 0:
            self.problems.append(f"[{sec}] {key}: must be greater than 0, got {value!r}")
            return default
        if low > high:
            self.problems.append(f"[{sec}] {key}: the lower end {low} is above the upper end {high}")
            return default
        return TargetRange(low, high)

    def positive(self, sec: str, table: Mapping[str, Any], key: str, default: int) -> int:
        value: int = self.get(sec, table, key, int, default)
        if value <= 0:
            self.problems.append(f"[{sec}] {key}: must be greater than 0, got {value}")
        return value


def parse_config(data: Mapping[str, Any], env: Mapping[str, str], *, base_dir: Path = Path()) -> Config:
    """Build a :class:`Config` from parsed TOML and the environment, or raise :class:`ConfigError`."""
    r = _Reader(data)
    for name in data:
        if name not in _SECTIONS:
            r.problems.append(f"[{name}]: unknown section (accepted: {', '.join(_SECTIONS)})")

    d = r.section("discord")
    guild_id = d.get("guild_id")
    if guild_id is None:
        r.problems.append("[discord] guild_id: missing (the id of the server the bot runs in)")
        guild_id = 0
    elif isinstance(guild_id, bool) or not isinstance(guild_id, int) or guild_id <= 0:
        r.problems.append(f"[discord] guild_id: must be a Discord id (a positive number), got {guild_id!r}")
        guild_id = 0
    defaults = DiscordConfig(guild_id=0)
    discord = DiscordConfig(
        guild_id=guild_id,
        api_base_url=r.url("discord", d, "api_base_url", defaults.api_base_url, ("http", "https")),
        gateway_url=r.url("discord", d, "gateway_url", defaults.gateway_url, ("ws", "wss")),
        **{
            key: r.name("discord", d, key, getattr(defaults, key))
            for key in (
                "intake_channel",
                "announcements_channel",
                "governance_channel",
                "staff_alerts_channel",
                "bounties_category",
                "staff_role",
                "alerts_role",
            )
        },
    )

    db = r.section("database")
    db_path = Path(r.get("database", db, "path", str, "bountybot.db"))
    if not db_path.is_absolute():
        db_path = base_dir / db_path

    f = r.section("fees")
    fees = FeeConfig(
        default_usd=r.positive("fees", f, "default_usd", FeeConfig.default_usd),
        min_usd=r.positive("fees", f, "min_usd", FeeConfig.min_usd),
        max_usd=r.positive("fees", f, "max_usd", FeeConfig.max_usd),
        renewal_usd=r.positive("fees", f, "renewal_usd", FeeConfig.renewal_usd),
    )
    if not fees.min_usd <= fees.default_usd <= fees.max_usd:
        r.problems.append(
            f"[fees] default_usd: {fees.default_usd} must lie between min_usd ({fees.min_usd}) "
            f"and max_usd ({fees.max_usd})"
        )

    sla = _parse_sla(r)

    u = r.section("updates")
    weekday = r.get("updates", u, "weekday", str, UpdatesConfig.weekday).lower()
    if weekday not in _WEEKDAYS:
        r.problems.append(f"[updates] weekday: {weekday!r} is not a day of the week (monday … sunday)")
    hour = r.get("updates", u, "hour", int, UpdatesConfig.hour)
    if not 0 <= hour <= 23:
        r.problems.append(f"[updates] hour: must be 0–23, got {hour}")
    tz = r.get("updates", u, "timezone", str, UpdatesConfig.timezone)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (KeyError, ValueError):
        r.problems.append(f"[updates] timezone: {tz!r} is not an IANA time zone (e.g. UTC, Europe/Paris)")
    updates = UpdatesConfig(weekday=weekday, hour=hour, timezone=tz)

    o = r.section("outbox")
    outbox = OutboxConfig(
        base_delay_seconds=r.get("outbox", o, "base_delay_seconds", float, OutboxConfig.base_delay_seconds),
        max_delay_seconds=r.get("outbox", o, "max_delay_seconds", float, OutboxConfig.max_delay_seconds),
        max_attempts=r.positive("outbox", o, "max_attempts", OutboxConfig.max_attempts),
    )

    t = r.section("timeline")
    targets = {
        phase: r.target_range("timeline", t, phase.value, DEFAULT_PHASE_TARGETS[phase]) for phase in ProcessPhase
    }
    weeks = TargetRange(DEFAULT_TOTAL_TARGET.low // 7, DEFAULT_TOTAL_TARGET.high // 7)
    total_weeks = r.target_range("timeline", t, "total_weeks", weeks)

    lg = r.section("logging")
    level = r.get("logging", lg, "level", str, "INFO").upper()
    if level not in _LOG_LEVELS:
        r.problems.append(f"[logging] level: must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")

    pay = r.section("payments")
    payments = PaymentsConfig(
        watch_interval_seconds=r.get("payments", pay, "watch_interval_seconds", float, 30.0),
        rpc_timeout_seconds=r.get("payments", pay, "rpc_timeout_seconds", float, 10.0),
        escrow_agreement_url=r.url(
            "payments", pay, "escrow_agreement_url", PaymentsConfig.escrow_agreement_url, ("http", "https")
        ),
    )
    if payments.watch_interval_seconds <= 0:
        r.problems.append("[payments] watch_interval_seconds: must be greater than 0")
    chains = _parse_chains(r, env)
    github = _parse_github(r)
    rp = r.section("reports")
    reports = ReportsConfig(
        **{key: r.positive("reports", rp, key, getattr(ReportsConfig, key)) for key in _SECTIONS["reports"]}
    )
    governance = _parse_governance(r)

    if r.problems:
        raise ConfigError(r.problems)
    return Config(
        discord=discord,
        database_path=db_path,
        fees=fees,
        sla=sla,
        updates=updates,
        outbox=outbox,
        phase_targets=targets,
        total_target=TargetRange(total_weeks.low * 7, total_weeks.high * 7),
        log_level=level,
        discord_token=Secret(env.get("DISCORD_TOKEN", "")),
        payments=payments,
        chains=chains,
        github=github,
        github_token=Secret(env.get("GITHUB_TOKEN", "")),
        github_webhook_secret=Secret(env.get("GITHUB_WEBHOOK_SECRET", "")),
        reports=reports,
        governance=governance,
    )


def _parse_sla(r: _Reader) -> SlaConfig:
    s = r.section("sla")
    rule_text = r.get("sla", s, "release_calendar", str, SlaConfig.release_calendar)
    rule, problem = parse_rule(rule_text)
    if problem:
        r.problems.append(f"[sla] release_calendar: {problem}")
    dates: tuple[date, ...] = ()
    if "release_dates" in s:
        dates, bad = parse_dates(s["release_dates"])
        r.problems.extend(f"[sla] release_dates{p if p.startswith('[') else ': ' + p}" for p in bad)
    hour = r.get("sla", s, "release_hour", int, SlaConfig.release_hour)
    if not 0 <= hour <= 23:
        r.problems.append(f"[sla] release_hour: must be 0–23 (UTC), got {hour}")
        hour = SlaConfig.release_hour
    if rule is None and not dates and not problem:
        r.problems.append(
            '[sla] release_calendar: "none" needs release_dates (minor bugs are due at the next release cut); '
            'give a rule like "first monday" or list the dates'
        )
    return SlaConfig(
        critical_hours=r.positive("sla", s, "critical_hours", SlaConfig.critical_hours),
        major_hours=r.positive("sla", s, "major_hours", SlaConfig.major_hours),
        release_calendar=rule_text,
        release_dates=dates,
        release_hour=hour,
    )


def _parse_github(r: _Reader) -> GitHubConfig:
    g = r.section("github")
    d = GitHubConfig()
    repository = r.get("github", g, "repository", str, d.repository)
    if not re.match(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", repository):
        r.problems.append(f"[github] repository: {repository!r} must be owner/name, like hummingbot/hummingbot")
    labels = g.get("labels", list(d.labels))
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        r.problems.append("[github] labels: must be a list of label names")
        labels = list(d.labels)
    path = r.get("github", g, "webhook_path", str, d.webhook_path)
    if not path.startswith("/"):
        r.problems.append(f"[github] webhook_path: {path!r} must start with /")
    port = r.get("github", g, "webhook_port", int, d.webhook_port)
    if not 0 <= port <= 65535:
        r.problems.append(f"[github] webhook_port: must be 0 (off) to 65535, got {port}")
    return GitHubConfig(
        repository=repository,
        api_base_url=r.url("github", g, "api_base_url", d.api_base_url, ("http", "https")),
        graphql_url=r.url("github", g, "graphql_url", d.graphql_url, ("http", "https")),
        project_owner=r.get("github", g, "project_owner", str, d.project_owner),
        project_number=r.positive("github", g, "project_number", d.project_number),
        labels=tuple(labels),
        developer_portion=r.get("github", g, "developer_portion", str, d.developer_portion),
        content_writes_per_minute=r.positive("github", g, "content_writes_per_minute", d.content_writes_per_minute),
        content_writes_per_hour=r.positive("github", g, "content_writes_per_hour", d.content_writes_per_hour),
        requests_per_hour=r.positive("github", g, "requests_per_hour", d.requests_per_hour),
        poll_interval_seconds=r.get("github", g, "poll_interval_seconds", float, d.poll_interval_seconds),
        webhook_host=r.get("github", g, "webhook_host", str, d.webhook_host),
        webhook_port=port,
        webhook_path=path,
    )


_SPACE_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _parse_governance(r: _Reader) -> GovernanceRules:
    """`[governance]`: a preset (`process` or `hgp`), then any of its fields overridden one by one."""
    g = r.section("governance")
    name = r.get("governance", g, "preset", str, Preset.PROCESS.value)
    if name not in {p.value for p in Preset}:
        r.problems.append(f"[governance] preset: {name!r} is not a preset (process or hgp)")
        name = Preset.PROCESS.value
    preset = Preset(name)
    base = GovernanceRules(preset=preset, **PRESETS[preset])
    sec = "governance"
    threshold = r.get(sec, g, "approval_threshold", float, base.approval_threshold)
    if not 50 <= threshold < 100:
        r.problems.append(
            f"[governance] approval_threshold: the percent of For votes to exceed must be 50–99.99, got {threshold}"
        )
    space = r.get(sec, g, "space", str, base.space)
    if not _SPACE_RE.match(space):
        r.problems.append(f"[governance] space: {space!r} is not a Snapshot space id (like hbot.eth)")
    channel = r.get(sec, g, "discussion_channel", str, base.discussion_channel)
    if channel and not _NAME_RE.match(channel):
        r.problems.append(
            f"[governance] discussion_channel: {channel!r} is not a channel name "
            '(give the plain name without #, its numeric id, or "" for the governance channel)'
        )
    choices = {}
    for key in ("yes_choices", "no_choices"):
        value = g.get(key, list(getattr(base, key)))
        if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
            r.problems.append(f'[governance] {key}: must be a non-empty list of choice names, like ["For", "Yes"]')
            value = list(getattr(base, key))
        choices[key] = tuple(c.strip() for c in value)
    both = {c.casefold() for c in choices["yes_choices"]} & {c.casefold() for c in choices["no_choices"]}
    if both:
        r.problems.append(f"[governance] yes_choices and no_choices both name {', '.join(sorted(both))}")
    proposal_threshold = r.get(sec, g, "proposal_threshold", int, base.proposal_threshold)
    if proposal_threshold < 0:
        r.problems.append(f"[governance] proposal_threshold: must be 0 or more HBOT, got {proposal_threshold}")
    return GovernanceRules(
        preset=preset,
        discussion_days=r.positive(sec, g, "discussion_days", base.discussion_days),
        vote_days=r.positive(sec, g, "vote_days", base.vote_days),
        approval_threshold=threshold,
        quorum=r.positive(sec, g, "quorum", base.quorum),
        space=space,
        proposal_threshold=proposal_threshold,
        discussion_channel=channel,
        yes_choices=choices["yes_choices"],
        no_choices=choices["no_choices"],
        hub_url=r.url(sec, g, "hub_url", base.hub_url, ("http", "https")),
        poll_minutes=r.positive(sec, g, "poll_minutes", base.poll_minutes),
        retry_minutes=r.positive(sec, g, "retry_minutes", base.retry_minutes),
    )


def _parse_chains(r: _Reader, env: Mapping[str, str]) -> dict[str, ChainConfig]:
    from bot.domain.payments import evm_address_problem, solana_address_problem

    given = r.section("chains")
    chains: dict[str, ChainConfig] = {}
    for name, defaults in DEFAULT_CHAINS.items():
        table = given.get(name, {})
        sec = f"chains.{name}"
        if not isinstance(table, Mapping):
            r.problems.append(f"[{sec}] must be a table")
            continue
        for key in table:
            if key not in _CHAIN_KEYS:
                r.problems.append(f"[{sec}] {key}: unknown key (accepted: {', '.join(_CHAIN_KEYS)})")
        merged = {**defaults, **table}
        check = solana_address_problem if name == "solana" else evm_address_problem
        # RPC URLs can embed API keys, so the environment may supply them instead of the file.
        env_urls = env.get(f"BOUNTYBOT_RPC_{name.upper()}")
        raw_urls = env_urls.split(",") if env_urls else merged["rpc_urls"]
        urls = []
        if not isinstance(raw_urls, list | tuple) or not raw_urls:
            r.problems.append(f"[{sec}] rpc_urls: must be a non-empty list of URLs")
            raw_urls = []
        for url in raw_urls:
            parsed = urlparse(str(url).strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                # Only the scheme and host are shown: the rest may be a key.
                r.problems.append(
                    f"[{sec}] rpc_urls: {parsed.scheme or '?'}://{parsed.hostname or '?'}… must be an http or https URL"
                )
            urls.append(Secret(str(url).strip()))
        receiver = str(merged["receiver"])
        if problem := check(receiver):
            r.problems.append(f"[{sec}] receiver: {problem}")
        tokens = []
        for i, token in enumerate(merged["tokens"]):
            if not isinstance(token, Mapping) or set(token) != {"symbol", "address", "decimals"}:
                r.problems.append(f"[{sec}] tokens[{i}]: needs exactly symbol, address and decimals")
                continue
            if problem := check(str(token["address"])):
                r.problems.append(f"[{sec}] tokens[{i}] address: {problem}")
            decimals = token["decimals"]
            # At most 18: the ledger compares amounts exactly after scaling them all to 18 decimals.
            if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 18:
                r.problems.append(f"[{sec}] tokens[{i}] decimals: must be a whole number 0–18, got {decimals!r}")
                continue
            tokens.append(TokenConfig(str(token["symbol"]), str(token["address"]), decimals))
        finality = merged.get("finality", "finalized")
        if not (
            finality == "finalized" or (isinstance(finality, int) and not isinstance(finality, bool) and finality > 0)
        ):
            r.problems.append(f'[{sec}] finality: "finalized" or a number of confirmations, got {finality!r}')
        chain_id = merged.get("chain_id")
        if name != "solana" and (isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0):
            r.problems.append(f"[{sec}] chain_id: must be a positive whole number, got {chain_id!r}")
        chains[name] = ChainConfig(
            name=name,
            rpc_urls=tuple(urls),
            receiver=receiver,
            tokens=tuple(tokens),
            chain_id=chain_id if name != "solana" else None,
            finality=finality,
            seconds_per_block=float(merged.get("seconds_per_block", 12.0)),
        )
    return chains


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a TOML file; problems with the file itself are reported like any other."""
    env = os.environ if env is None else env
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found (copy config.example.toml to {path.name} and edit it)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None
    return parse_config(data, env, base_dir=path.resolve().parent)
