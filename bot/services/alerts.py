"""`/alerts on|off` and `/alerts dm on|off` (DESIGN.md §1, §9): the governance alerts role, and DMs on request.

The role lives in Discord (it is what the governance channel's announcements ping); the DM wish lives in the
database. Both changes are audited. Whether the bot may give the role is decided from what Discord says about
the server (bot.domain.alerts), before asking Discord to do it, so a member meets a sentence naming what staff
must fix rather than a refusal.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.domain.access import Actor, authorize
from bot.domain.alerts import AlertsRoleFacts, role_blocker, setup_problems
from bot.domain.errors import RuleViolation
from bot.domain.inert import for_discord_code
from bot.integrations.discord import DiscordAdapter, DiscordRejected
from bot.services.context import ServiceContext
from bot.store import alerts

log = logging.getLogger(__name__)


class Toggle(StrEnum):
    """What a toggle did: switched it, or found it already so."""

    CHANGED = "changed"
    ALREADY = "already"


class AlertService:
    def __init__(self, ctx: ServiceContext, adapter: DiscordAdapter) -> None:
        self.ctx = ctx
        self.adapter = adapter

    def facts(self) -> AlertsRoleFacts:
        d = self.ctx.config.discord
        return self.adapter.alerts_role_facts(d.alerts_role, d.governance_channel)

    def setup_problems(self) -> list[str]:
        """What staff must fix for alerts to work (checked at start: the log and #staff-alerts)."""
        return setup_problems(self.facts())

    async def set_role(self, actor: Actor, held_role_ids: frozenset[int], on: bool) -> tuple[Toggle, str]:
        """Give `actor` the alerts role or take it away. `held_role_ids`: the roles they hold now (their member
        object, as the interaction brought it). Returns what happened and the role's name."""
        command = "alerts on" if on else "alerts off"
        authorize(actor, command)
        facts = self.facts()
        role = self.adapter.role(self.ctx.config.discord.alerts_role)
        if role is None:
            raise RuleViolation(role_blocker(facts) or "The governance alerts role does not exist.")
        if (role.id in held_role_ids) == on:
            return Toggle.ALREADY, role.name
        blocker = role_blocker(facts)
        if blocker is not None:
            raise RuleViolation(blocker)
        try:
            await self.adapter.set_member_role(actor.user_id, role.id, on, reason=f"/{command}")
        except DiscordRejected as exc:
            # The server changed since the bot last heard (a role moved while the gateway was away, say).
            log.warning("/%s for %s refused by Discord: %s", command, actor.user_id, exc)
            shown = for_discord_code(role.name, 100)
            raise RuleViolation(
                f"Discord refused to {'give' if on else 'take'} the {shown} role. Foundation staff must make sure "
                f"the bot's role has Manage Roles and sits above {shown} (Server Settings → Roles)."
            ) from exc
        async with self.ctx.changes.begin() as ch:
            await ch.audit(
                "alerts_role_on" if on else "alerts_role_off", actor_id=actor.user_id, bounty_id=None, role=role.name
            )
        return Toggle.CHANGED, role.name

    async def set_dms(self, actor: Actor, on: bool) -> Toggle:
        """Opt `actor` in or out of governance DMs (stored and audited in one change)."""
        authorize(actor, "alerts dm on" if on else "alerts dm off")
        async with self.ctx.changes.begin() as ch:
            if not await alerts.set_dms(ch.tx, actor.user_id, on, ch.now):
                return Toggle.ALREADY
            await ch.audit("alerts_dm_on" if on else "alerts_dm_off", actor_id=actor.user_id, bounty_id=None)
        return Toggle.CHANGED
