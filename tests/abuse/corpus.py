"""The hostile corpus, the fields it is fed into (found in the bot's command tree), and where each command runs.

`corpus.json` holds one entry per line: ``{"category", "value", "note"}``, plus, where it applies,
``"refuse"`` (the kinds of field a strict validator must refuse the value in: ``url``, ``amount``,
``percent``, ``tx``, ``address``, ``user``) and, for forged custom ids, ``"component"`` (``button``,
``select`` or ``modal``). Values may name ``$VICTIM$``, ``$VICTIM_ROLE$`` and ``$GUILD$``: the world fills in
the ids of a bystander, of a role the bot never pings, and of the server (``<@&guild>`` is @everyone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app import BountyBot
from bot.domain.access import AUDIENCES

CORPUS_PATH = Path(__file__).with_name("corpus.json")

# Discord delivers integer options between -2**53 and 2**53 (its clients validate them, and so does its API).
DISCORD_INT_MAX = 2**53 - 1

# What each kind of field receives. Every string field is free text to a hostile client, so it gets every
# category made of strings; integer options get what Discord would deliver for an integer; user options get
# people (who left, the bot itself, a bystander).
STRING_CATEGORIES = frozenset(
    {
        "mass_mention",
        "markdown",
        "length",
        "empty_whitespace",
        "invisible",
        "homoglyph",
        "injection",
        "numeric",
        "malformed_crypto",
        "hostile_url",
    }
)
FITS: dict[str, frozenset[str]] = {
    "text": STRING_CATEGORIES,
    "url": STRING_CATEGORIES,
    "amount": STRING_CATEGORIES,
    "percent": STRING_CATEGORIES,
    "tx": STRING_CATEGORIES,
    "address": STRING_CATEGORIES,
    "integer": frozenset({"numeric"}),
    "user": frozenset({"removed_member"}),
}
# A string field's kind, by its name (option name or modal field id); anything else is free text.
STRING_KINDS = {
    "website": "url",
    "api_docs": "url",
    "testnet_url": "url",
    "amount": "amount",
    "percent": "percent",
    "tx": "tx",
    "address": "address",
}
# The people a user option is given, by corpus value (world cast names, or the bot itself).
USER_TARGETS = {"left-guild": "left", "bot-user": "bot", "victim": "victim"}


@dataclass(frozen=True)
class Entry:
    index: int
    category: str
    value: str
    note: str
    refuse: frozenset[str] = frozenset()
    component: str | None = None

    def label(self) -> str:
        shown = self.value if len(self.value) <= 40 else f"{self.value[:30]}…({len(self.value)} chars)"
        return f"#{self.index} {self.note} {shown!r}"


def load_corpus() -> list[Entry]:
    raw = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))
    return [
        Entry(
            index=i,
            category=e["category"],
            value=e["value"],
            note=e["note"],
            refuse=frozenset(e.get("refuse", ())),
            component=e.get("component"),
        )
        for i, e in enumerate(raw)
    ]


# --- the command tree ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # text, url, amount, percent, tx, address, integer, user, choice, or other (not fed)
    required: bool
    low: float | None  # min_length for strings, min_value for integers
    high: float | None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Command:
    name: str  # qualified, like "bounty members add"
    access: str | None
    params: tuple[Param, ...]


def _kind(p: app_commands.Parameter) -> str:
    if p.choices:
        return "choice"  # the client only offers the choices
    if p.type is discord.AppCommandOptionType.string:
        return STRING_KINDS.get(p.name, "text")
    if p.type is discord.AppCommandOptionType.integer:
        return "integer"
    if p.type is discord.AppCommandOptionType.user:
        return "user"
    return "other"


def tree_commands(bot: BountyBot) -> list[Command]:
    """Every runnable command in the bot's tree (groups walked down to their subcommands)."""
    found: list[Command] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, app_commands.Group):
                walk(item.commands)
            elif isinstance(item, app_commands.Command):
                params = tuple(
                    Param(p.name, _kind(p), p.required, p.min_value, p.max_value, tuple(c.value for c in p.choices))
                    for p in item.parameters
                )
                # The one declaration of who may run it (bot/domain/access.py).
                found.append(Command(item.qualified_name, str(AUDIENCES[item.qualified_name].access), params))

    walk(bot.tree.get_commands(guild=discord.Object(bot.config.discord.guild_id)))
    return found


def integer_value(entry: Entry, param: Param) -> int | None:
    """What Discord would deliver for `entry` in an integer option, or None where its client refuses it."""
    if not re.fullmatch(r"-?[0-9]+", entry.value):
        return None
    value = int(entry.value)
    if abs(value) > DISCORD_INT_MAX:
        return None
    if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
        return None
    return value


def client_takes_string(value: str, param: Param) -> bool:
    """Whether the Discord client sends `value` for this string option (its length bounds; empty is no value)."""
    if not value:
        return False
    return not (
        (param.low is not None and len(value) < param.low) or (param.high is not None and len(value) > param.high)
    )


# A well-formed Solana signature (64 bytes) that no transaction has.
SOLANA_SIGNATURE = "99uqd56BHxksGD8TMFFMLMQdt2aHjfQS8wDVYbbNT3kyFrMmSLrerhqhPwqCXwDWuGgKc5jGvRgQ9kASAn8t5LZ"

# --- where each command runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Who runs a command, where, and with which valid options, so that a hostile value reaches the code that
    reads it. `variants` repeat every case with some options changed (each chain, say); `then_click` names a
    button on the accepted reply that opens the next form (the intake's step 2)."""

    actor: str = "staff"
    bounty: int | None = 1  # runs in that bounty's channel; None: `channel`
    channel: str = "general"
    options: dict[str, Any] = field(default_factory=dict)
    variants: tuple[dict[str, Any], ...] = ({},)
    then_click: str | None = None


CONTEXTS: dict[str, Context] = {
    "bounty start": Context(
        actor="newcomer", bounty=None, channel="developer", then_click="Continue: technical details"
    ),
    "bounty status": Context(actor="exchange"),
    "bounty list": Context(bounty=None),
    "bounty review": Context(
        bounty=3, options={"item": "api_docs", "result": "missing", "note": "The WebSocket docs are missing"}
    ),
    "bounty members add": Context(actor="exchange", options={"member": "victim"}),
    "bounty members remove": Context(actor="exchange", options={"member": "teammate"}),
    "bounty cancel": Context(actor="other_lead", bounty=3, options={"reason": "We chose to wait a quarter"}),
    "bounty advance": Context(bounty=3, options={"to": "review", "reason": "Docs received"}),
    "bounty assign": Context(options={"developer": "dev2", "github": "devon-dev"}),
    "bounty fee": Context(bounty=2, options={"amount": "15000"}),
    "bounty refund": Context(options={"amount": "500", "via": "wire", "reference": "REFUND-2026-0001"}),
    # Bounty #4 is past its merge in the world, so its developer's payout can be recorded.
    "bounty payout record": Context(
        bounty=4, options={"tx": "0x" + "ef" * 32}, variants=({}, {"tx": SOLANA_SIGNATURE})
    ),
    "pay instructions": Context(actor="exchange", bounty=2),
    "pay wallet": Context(
        actor="exchange",
        bounty=2,
        options={"chain": "ethereum", "address": "0x60D581aEa0644e74df60c7555e5166d32665d6b6"},
        variants=({}, {"chain": "solana", "address": "Cmn8RVNLZAtyq51B31RXDrrS24DYphEftzDCX4FzPLM"}),
    ),
    "pay submit": Context(
        actor="exchange",
        bounty=2,
        options={"chain": "ethereum", "tx": "0x" + "ab" * 32},
        variants=({}, {"chain": "bsc"}, {"chain": "solana", "tx": SOLANA_SIGNATURE}),
    ),
    "pay escrow": Context(actor="exchange", bounty=2),
    "pay confirm-escrow": Context(bounty=2, options={"reference": "WIRE-2026-0001", "amount": "10000"}),
    "update post": Context(actor="dev"),
    # Bounty #1's weekly prompts are paused in the world: pausing again moves the date, resuming ends it.
    "update pause": Context(actor="dev", options={"until": "2026-12-20", "reason": "Vacation"}),
    "update resume": Context(actor="dev"),
    "update settings": Context(actor="dev", options={"day": "tuesday", "hour": 9, "timezone": "Europe/Paris"}),
    "checklist": Context(actor="dev"),
    "bug report": Context(
        actor="exchange",
        options={"severity": "major", "title": "Fills missing", "description": "No fill events since the upgrade."},
    ),
    "bug list": Context(actor="exchange"),
    "bug resolve": Context(actor="dev", options={"id": 1, "note": "Reset the nonce on reconnect"}),
    "bug reopen": Context(actor="exchange", options={"id": 1}),
    "bug pause": Context(actor="dev", options={"id": 1, "reason": "Waiting on API keys from the exchange"}),
    # Bug #2 is paused in the world: the exchange answered, so its team starts the clock again.
    "bug resume": Context(actor="exchange", options={"id": 2}),
    "bug severity": Context(options={"id": 1, "level": "critical"}),
    "audit": Context(),
    # Anyone, anywhere in the server: a community member in #general.
    "alerts on": Context(actor="exchange", bounty=None),
    "alerts off": Context(actor="exchange", bounty=None),
    "alerts dm on": Context(actor="exchange", bounty=None),
    "alerts dm off": Context(actor="exchange", bounty=None),
    "release record": Context(bounty=4, options={"bounty": 4, "version": "2.14.0"}),
    "report sla": Context(),
    "report usage": Context(bounty=5, options={"bounty": 5, "users": "120", "volume": "1,250,000"}),
    "governance checklist": Context(options={"bounty": 1, "item": "specification", "note": "https://example.com/spec"}),
    # Bounty #6 is in `governance` and #7 `rejected`; the Snapshot stand-in holds these proposals (world.py).
    "governance link": Context(bounty=None, options={"bounty": 6, "proposal": "0x" + "ab" * 32}),
    "governance resubmit": Context(bounty=None, options={"bounty": 7, "proposal": "0x" + "cd" * 32}),
}
DEFAULT_CONTEXT = Context()  # a command added later runs as staff in bounty #1's channel until it has its own

# Replies that say an input was taken (besides any reply with an embed or a form). Anything else is a refusal.
SUCCESS_MARKERS = (
    "Step 1 of 2 saved",
    "is started",
    "Recorded **",
    "can now see",
    "no longer sees",
    "is cancelled",
    "is now **",
    "builds bounty #",
    "Registered `",
    "Option B chosen",
    "Update posted",
    ") is open,",
    "is resolved",
    "is open again",
    "Weekly prompts are paused until",
    "The pause now lasts until",
    "Weekly prompts for bounty #",
    "Recorded a refund of",
    "fee is now **",
    "You now get governance alerts",
    "You already get governance alerts",
    "You no longer get governance alerts",
    "You do not get governance alerts",
    "will also come to your DMs",
    "will no longer come to your DMs",
    "is paused: its SLA clock is stopped",
    "is running again after",
    "shipped in Hummingbot **",
    "Usage recorded for bounty #",
    "Proposal checklist of bounty",
    "Proposal linked for bounty",
    "Proposal resubmitted for bounty",
    "Recorded the developer's payout",
)


def context_for(command: str) -> Context:
    return CONTEXTS.get(command, DEFAULT_CONTEXT)
