"""`/bounty assign`: the developer who builds the connector, their kick-off, and their activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.changes import Change
from bot.domain import notices
from bot.domain import weekly_notices as say
from bot.domain.access import Actor, authorize
from bot.domain.developers import (
    ASSIGNABLE,
    check_one_active,
    clean_login,
    developer_changed,
    github_login_problem,
)
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import Role, State
from bot.domain.models import Bounty, MemberRole
from bot.domain.notices import ts
from bot.domain.weekly import INACTIVE_AFTER, PROMPTED, REASSIGNABLE, quiet_since
from bot.services import weekly
from bot.services.bounties import BountyService, queue_access
from bot.services.context import ServiceContext
from bot.services.lifecycle import still, transition
from bot.store import audit, bounties, developers
from bot.store import weekly as rhythms

KICKOFF_FORMAT = "%Y-%m-%d %H:%M"
MAX_KICKOFF_AHEAD = 60 * 86400


@dataclass(frozen=True)
class Assigned:
    bounty: Bounty
    login: str
    kickoff_at: int
    replaced: int | None  # the previous developer's user id, on a reassignment


@dataclass(frozen=True)
class Unassigned:
    bounty: Bounty
    user_id: int
    login: str


def parse_kickoff(text: str, now: int, default_hour: int) -> int:
    """`YYYY-MM-DD HH:MM` in UTC; empty means the next day at the configured update hour."""
    text = text.strip()
    if not text:
        tomorrow = datetime.fromtimestamp(now, UTC) + timedelta(days=1)
        return int(tomorrow.replace(hour=default_hour, minute=0, second=0, microsecond=0).timestamp())
    try:
        when = int(datetime.strptime(text, KICKOFF_FORMAT).replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise InvalidInput(
            [f"Kick-off: {for_discord_code(text, 40)} is not a date and time; write it as YYYY-MM-DD HH:MM in UTC."]
        ) from None
    if when <= now:
        raise InvalidInput(["Kick-off: that time is in the past; pick a future time (UTC)."])
    if when - now > MAX_KICKOFF_AHEAD:
        raise InvalidInput(["Kick-off: it must be within the next 60 days."])
    return when


def _who(assignment: developers.Assignment | None) -> tuple[int, str] | None:
    return (assignment.user_id, assignment.github_login) if assignment is not None else None


class DeveloperService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    async def assign(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        user_id: int,
        user_is_bot: bool,
        github: str,
        kickoff: str = "",
    ) -> Assigned:
        authorize(actor, "bounty assign")
        problems = []
        if user_is_bot:
            problems.append("Developer: a bot cannot build a connector; pick a person.")
        if why := github_login_problem(github):
            problems.append(why)
        if problems:
            raise InvalidInput(problems)
        login = clean_login(github)
        bounty = await self.bounties.find(bounty_id, channel_id, actor)
        if bounty.state not in ASSIGNABLE:
            allowed = ", ".join(f"`{s.label}`" for s in sorted(ASSIGNABLE, key=list(State).index))
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; a developer is assigned while it is {allowed}."
            )
        # Who builds it as the person asking saw it: the assignment is decided on this.
        decided = _who(await developers.for_bounty(self.ctx.conn, bounty.id))
        kickoff_at = parse_kickoff(kickoff, self.ctx.clock.now(), self.ctx.config.updates.hour)
        async with self.ctx.changes.begin() as ch:
            # Read again inside the change: another assignment may have landed since, here or in another process.
            # It is refused, not silently replaced; every other check is made on what is true now.
            bounty = await still(ch, bounty)
            current = await developers.for_bounty(ch.tx, bounty.id)
            if _who(current) != decided:
                raise developer_changed(bounty.id, _who(current))
            members = await bounties.members(ch.tx, bounty.id)
            role = next((m.role for m in members if m.user_id == user_id), None)
            if role in (MemberRole.LEAD, MemberRole.EXCHANGE):
                raise RuleViolation(f"<@{user_id}> is on the exchange team of bounty #{bounty.id}; pick someone else.")
            check_one_active(f"<@{user_id}>", await developers.other_bounties(ch.tx, user_id, login, bounty.id))
            if current is not None and current.user_id == user_id and current.github_login == login:
                raise RuleViolation(
                    f"<@{user_id}> ({for_discord_code(login)}) is already the developer of bounty #{bounty.id}."
                )
            replaced = current.user_id if current is not None and current.user_id != user_id else None
            if replaced is not None:
                await bounties.remove_member(ch.tx, bounty.id, replaced)
                await ch.audit("developer_unassigned", actor_id=actor.user_id, bounty_id=bounty.id, user_id=replaced)
                await queue_access(ch, bounty.id, replaced, allow=False)
            if role is None:
                await bounties.add_member(ch.tx, bounty.id, user_id, MemberRole.DEVELOPER, actor.user_id, ch.now)
            await developers.assign(ch.tx, bounty.id, user_id, login, actor.user_id, ch.now)
            await ch.audit(
                "developer_assigned", actor_id=actor.user_id, bounty_id=bounty.id, user_id=user_id, github=login
            )
            marker = ch.audit_ids[-1]
            await queue_access(ch, bounty.id, user_id, allow=True)
            updated = await self._start_development(ch, bounty, actor, user_id, login)
            if updated.state in PROMPTED:
                await weekly.restart(ch, self.ctx.config, bounty.id, user_id)
            await ch.send(
                f"bounty:{bounty.id}:developer:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.developer_assigned(updated, user_id, login, kickoff_at, replaced).to_payload(),
            )
            await ch.send(
                f"bounty:{bounty.id}:kickoff:{marker}",
                "bounty.kickoff",
                bounty_id=bounty.id,
                start=kickoff_at,
                developer=login,
                marker=marker,
            )
            if bounty.state not in (State.FUNDED, State.OPEN):
                # Already under way: the public issue says who builds it now (the phase comment did otherwise).
                await ch.send(
                    f"bounty:{bounty.id}:github_developer:{marker}",
                    "github.comment",
                    bounty_id=bounty.id,
                    body=f"Developer {'reassigned' if current is not None else 'assigned'}: {login}.",
                )
        return Assigned(updated, login, kickoff_at, replaced)

    async def _start_development(self, ch: Change, bounty: Bounty, actor: Actor, user_id: int, login: str) -> Bounty:
        """Funded → open → development: developer selection is over."""
        # Plain text, like every reason: the notice shows it as typed (the assignment notice mentions them).
        reason = f"Developer {login} (GitHub) assigned."
        for before, after in ((State.FUNDED, State.OPEN), (State.OPEN, State.DEVELOPMENT)):
            if bounty.state is before:
                bounty = await transition(
                    ch, self.ctx.config, bounty, after, role=Role.STAFF, actor_id=actor.user_id, reason=reason
                )
        return bounty

    async def reassign_inactive(self, actor: Actor, bounty_id: int, assigned_at: int) -> Unassigned:
        """The **Reassign** button under a "no activity for 7 days" alert: unassign the developer who was
        assigned at `assigned_at`, and put the bounty back to `open` for the next one.

        Decided inside the transaction on what it reads there: of two staff pressing at once, the second
        finds the assignment gone and is told who moved first."""
        authorize(actor, "bounty reassign")
        async with self.ctx.changes.begin() as ch:
            bounty = await bounties.get(ch.tx, bounty_id)
            if bounty is None:
                raise NotFound(f"There is no bounty #{bounty_id}.")
            current = await developers.for_bounty(ch.tx, bounty_id)
            if current is None or current.assigned_at != assigned_at:
                raise RuleViolation(await self._already(ch, bounty_id))
            if bounty.state not in REASSIGNABLE:
                raise RuleViolation(
                    f"Bounty #{bounty.id} is `{bounty.state.label}` now, no longer in development; nothing was changed."
                )
            pause_end = await rhythms.last_pause_end(ch.tx, bounty_id)
            paused = await rhythms.active_pause(ch.tx, bounty_id)
            quiet = quiet_since(current.last_activity_at, current.assigned_at, pause_end)
            if paused is not None or quiet + INACTIVE_AFTER > ch.now:
                raise RuleViolation(
                    f"<@{current.user_id}> has been active since this was asked (last {ts(quiet)})"
                    + (" and the weekly prompts are paused" if paused is not None else "")
                    + "; nothing was changed. `/bounty assign` still replaces them."
                )
            user_id, login = current.user_id, current.github_login
            await developers.unassign(ch.tx, bounty_id, user_id, assigned_at)
            await bounties.remove_member(ch.tx, bounty_id, user_id)
            await ch.audit(
                "developer_unassigned", actor_id=actor.user_id, bounty_id=bounty_id, user_id=user_id, reason="inactive"
            )
            marker = ch.audit_ids[-1]
            await queue_access(ch, bounty_id, user_id, allow=False)
            await weekly.stop(ch, bounty_id)
            days = INACTIVE_AFTER // 86400
            updated = await transition(
                ch,
                self.ctx.config,
                bounty,
                State.OPEN,
                role=Role.STAFF,
                actor_id=actor.user_id,
                reason=f"Developer {login} (GitHub) unassigned: no activity for {days} days.",
            )
            await ch.send(
                f"bounty:{bounty_id}:unassigned:{marker}",
                "bounty.post",
                bounty_id=bounty_id,
                notice=say.unassigned(updated, user_id, login, actor.user_id).to_payload(),
            )
            await ch.send(
                f"bounty:{bounty_id}:github_unassigned:{marker}",
                "github.comment",
                bounty_id=bounty_id,
                body=say.unassigned_comment(login),
            )
            await ch.send(
                f"staff:next_developer:{marker}",
                "staff.post",
                notice=say.next_developer(updated, user_id, login, actor.user_id).to_payload(),
            )
        return Unassigned(updated, user_id, login)

    @staticmethod
    async def _already(ch: Change, bounty_id: int) -> str:
        """Why a Reassign button no longer applies: who reassigned first, and when."""
        last = await audit.latest(ch.tx, bounty_id, "developer_unassigned")
        if last is not None and last.actor_id is not None:
            return f"Bounty #{bounty_id}'s developer was already reassigned by <@{last.actor_id}> {ts(last.at)}."
        return f"Bounty #{bounty_id} no longer has the developer this button was for; nothing was changed."
