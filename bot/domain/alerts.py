"""Governance alerts (DESIGN.md §1, §9): who may be given the alerts role, what is said when not, and the
count of an announcement's DMs. Pure: the facts come from the Discord adapter, the decisions are made here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.inert import for_discord_code
from bot.domain.notices import Field, Notice, clip


@dataclass(frozen=True)
class AlertsRoleFacts:
    """What the server says about the configured alerts role and the bot, at one moment."""

    configured: str  # the `alerts_role` value from config.toml (a name or an id)
    role_name: str | None  # None: the server has no such role
    managed: bool  # a bot's or an integration's own role: nobody can give it
    bot_manages_roles: bool  # Manage Roles in the server
    bot_above: bool  # the bot's highest role sits above the alerts role
    bot_top_role: str  # the name of the bot's highest role
    mentionable: bool  # "Allow anyone to @mention this role"
    bot_mentions_all: bool  # Mention Everyone, @here and All Roles, in the governance channel
    governance_channel: str  # how people see it (#governance)


def _role(facts: AlertsRoleFacts) -> str:
    return for_discord_code(facts.role_name or facts.configured, 100)


def _top(facts: AlertsRoleFacts) -> str:
    return for_discord_code(facts.bot_top_role, 100)


def role_blocker(facts: AlertsRoleFacts) -> str | None:
    """Why the bot cannot give or take the alerts role now, said to the member who asked (None: it can).

    Discord lets a bot grant only roles below its own highest role, and only with Manage Roles
    (topics/permissions, "Permission Hierarchy"; resources/guild, "Add Guild Member Role")."""
    if facts.role_name is None:
        return (
            f"Governance alerts are not set up: this server has no role {_role(facts)}. Foundation staff must create "
            "it, or name the right one in `alerts_role` in config.toml."
        )
    if not facts.bot_manages_roles:
        return (
            f"BountyBot cannot give or take the {_role(facts)} role: it lacks the Manage Roles permission. Foundation "
            "staff must give the bot's role Manage Roles (Server Settings → Roles)."
        )
    if facts.managed:
        return (
            f"The {_role(facts)} role belongs to an integration, so nobody can give it. Foundation staff must name "
            "an ordinary role in `alerts_role` in config.toml."
        )
    if not facts.bot_above:
        return (
            f"BountyBot cannot give or take the {_role(facts)} role: Discord only lets a bot manage roles below its "
            f"own highest role ({_top(facts)}). Foundation staff must move the bot's role above "
            f"{_role(facts)} in Server Settings → Roles."
        )
    return None


def setup_problems(facts: AlertsRoleFacts) -> list[str]:
    """What staff must fix for alerts to work, checked at start. A missing role is named by the general check of
    configured places, so it is not repeated here."""
    if facts.role_name is None:
        return []
    role = _role(facts)
    problems = []
    if not facts.bot_manages_roles:
        problems.append(
            f"`/alerts on` cannot give the {role} role: the bot lacks Manage Roles (Server Settings → Roles → the "
            "bot's role)."
        )
    elif facts.managed:
        problems.append(f"`/alerts on` cannot give the {role} role: it belongs to an integration; name another.")
    elif not facts.bot_above:
        problems.append(
            f"`/alerts on` cannot give the {role} role: Discord lets a bot give only roles below its own highest "
            f"role ({_top(facts)}). Move the bot's role above {role} in Server Settings → Roles."
        )
    if not facts.mentionable and not facts.bot_mentions_all:
        problems.append(
            f"Governance announcements in {facts.governance_channel} will not ping {role}: the role is not "
            'mentionable and the bot lacks Mention Everyone there. Turn on "Allow anyone to @mention this role" '
            f"for {role} (Server Settings → Roles)."
        )
    return problems


class DmOutcome(StrEnum):
    """What became of one opted-in member's DM of one announcement."""

    PENDING = "pending"  # queued, not attempted
    SENDING = "sending"  # attempted; whether Discord took it is not known yet
    SENT = "sent"
    CLOSED = "closed"  # their DMs are closed to the server's members (Discord 50007)
    LEFT = "left"  # no longer in the server
    OPTED_OUT = "opted_out"  # turned DMs off between the announcement and their turn
    FAILED = "failed"  # Discord refused it for another reason

    @property
    def final(self) -> bool:
        return self not in (DmOutcome.PENDING, DmOutcome.SENDING)


def announcement_ref(notice_payload: Mapping[str, Any]) -> str:
    """A short stable name for one announcement, from its content: the same notice delivered again (a retry, a
    restart) names the same announcement, so its DMs are fanned out once."""
    canonical = json.dumps(notice_payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


DM_FOOTER = "Governance alerts from BountyBot · /alerts dm off stops these · ref {ref}"


def dm_notice(notice: Notice, ref: str) -> Notice:
    """The announcement as a DM: the same notice, its footer naming the announcement (so a DM already delivered
    is recognised in the conversation after a lost answer) and how to stop them."""
    return Notice(
        title=notice.title,
        description=notice.description,
        fields=notice.fields,
        tone=notice.tone,
        footer=DM_FOOTER.format(ref=ref),
    )


def dm_summary(title: str, counts: Mapping[DmOutcome, int]) -> Notice:
    """Staff's account of one announcement's DMs, once every opted-in member's turn has come."""
    sent = counts.get(DmOutcome.SENT, 0)
    reasons = {
        DmOutcome.CLOSED: "DMs closed",
        DmOutcome.LEFT: "left the server",
        DmOutcome.OPTED_OUT: "turned DMs off meanwhile",
        DmOutcome.FAILED: "refused by Discord",
    }
    skipped = {reason: counts.get(outcome, 0) for outcome, reason in reasons.items() if counts.get(outcome, 0)}
    total_skipped = sum(skipped.values())
    detail = ", ".join(f"{n} {reason}" for reason, n in skipped.items())
    return Notice(
        title=f"Governance DMs sent: {clip(title, 180)}",
        description=f"**{sent}** sent, **{total_skipped}** skipped" + (f" ({detail})." if detail else "."),
        fields=(
            Field(
                "About skips",
                "Members who closed their DMs to this server keep getting the ping in the governance channel; "
                "nothing is retried for them.",
            ),
        )
        if skipped.get("DMs closed")
        else (),
        tone="warn" if total_skipped else "ok",
    )
