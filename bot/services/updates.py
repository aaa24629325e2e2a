"""`/update`: the developer's weekly status update, shown to the exchange and mirrored on the public issue;
and when the developer is asked for it (`/update settings`), or not (`/update pause`, `/update resume`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import notices
from bot.domain import weekly_notices as say
from bot.domain.access import Actor, authorize, membership
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.lifecycle import State
from bot.domain.models import Bounty, MemberRole
from bot.domain.updates import WeeklyUpdate, github_comment, validate
from bot.domain.weekly import PROMPTED, Rhythm, pause_end, pause_reason, rhythm_from
from bot.services import weekly
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.services.lifecycle import subject
from bot.store import developers, updates
from bot.store import weekly as rhythms
from bot.store.developers import Assignment

# Weekly updates run while the connector is built and tested.
UPDATABLE = frozenset({State.DEVELOPMENT, State.TESTING})


@dataclass(frozen=True)
class Paused:
    bounty: Bounty
    until: str  # YYYY-MM-DD
    until_at: int
    moved: bool  # an existing pause got a new date


@dataclass(frozen=True)
class RhythmNow:
    bounty: Bounty
    developer_id: int
    rhythm: Rhythm
    next_prompt: int | None  # None while paused
    changed: bool
    paused: bool


class UpdateService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    async def check(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> updates.Opening:
        """Who may post, on which bounty; also the last percent, to prefill the form."""
        found = None
        if bounty_id is not None or channel_id is not None:
            found = await updates.opening(self.ctx.conn, bounty_id=bounty_id, channel_id=channel_id)
        if found is None:  # not a bounty's channel: the asker's only bounty, or a clear question
            bounty = await self.bounties.find(bounty_id, channel_id, actor)
            found = await updates.opening(self.ctx.conn, bounty_id=bounty.id)
            if found is None:  # deleted between the two reads: say so rather than crash
                raise NotFound(f"There is no bounty #{bounty.id}.")
        authorize(actor, "update post", found.members, found.bounty_id)
        self._allowed(found.bounty_id, found.state)
        return found

    @staticmethod
    def _allowed(bounty_id: int, state: State) -> None:
        if state not in UPDATABLE:
            raise RuleViolation(
                f"Bounty #{bounty_id} is `{state.label}`; weekly updates run during development and testing."
            )

    async def post(
        self, actor: Actor, bounty_id: int, done: str, next_: str, blockers: str, percent: str
    ) -> tuple[Bounty, WeeklyUpdate]:
        bounty, members = await self.bounties.visible(actor, bounty_id, None, "update post")
        self._allowed(bounty.id, bounty.state)
        problems, update = validate(done, next_, blockers, percent)
        if update is None:
            raise InvalidInput(problems)
        assignment = await developers.for_bounty(self.ctx.conn, bounty.id)
        login = assignment.github_login if assignment else "the developer"
        async with self.ctx.changes.begin() as ch:
            update_id = await updates.add(ch.tx, bounty.id, actor.user_id, update, ch.now)
            await ch.audit(
                "weekly_update",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                update_id=update_id,
                percent=update.percent,
            )
            if membership(actor, members) is MemberRole.DEVELOPER:
                await developers.touch(ch.tx, bounty.id, ch.now)
            await ch.send(
                f"bounty:{bounty.id}:update:{update_id}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.weekly_update(bounty, actor.user_id, update).to_payload(),
            )
            await ch.send(
                f"bounty:{bounty.id}:github_update:{update_id}",
                "github.comment",
                bounty_id=bounty.id,
                body=github_comment(update, login),
            )
        return bounty, update

    async def _prompted(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, action: str
    ) -> tuple[Bounty, Assignment]:
        """The bounty and its developer, for `action` on the weekly prompts (asked of its developer or staff)."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, action)
        if bounty.state not in PROMPTED:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; weekly prompts run during development and testing."
            )
        assignment = await developers.for_bounty(self.ctx.conn, bounty.id)
        if assignment is None:
            raise RuleViolation(f"Bounty #{bounty.id} has no developer yet; staff assign one with `/bounty assign`.")
        return bounty, assignment

    async def pause(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, until: str, reason: str
    ) -> Paused:
        """Stop the prompts, reminders and escalations until a date (a second pause moves the date)."""
        bounty, assignment = await self._prompted(actor, bounty_id, channel_id, "update pause")
        rhythm = await weekly.rhythm_for(self.ctx.conn, self.ctx.config, bounty.id, assignment.user_id)
        end = pause_end(until, self.ctx.clock.now(), rhythm.timezone)
        why = pause_reason(reason)
        day = end.day.isoformat()
        async with self.ctx.changes.begin() as ch:
            existing = await rhythms.active_pause(ch.tx, bounty.id)
            if existing is not None:
                await rhythms.move_pause(ch.tx, existing.id, day, end.at, why, actor.user_id, ch.now)
                await ch.cancel_timers(subject(bounty.id), weekly.PAUSE_END)
                pause_id = existing.id
            else:
                for kind in weekly.RHYTHM:
                    await ch.cancel_timers(subject(bounty.id), kind)
                pause_id = await rhythms.start_pause(ch.tx, bounty.id, day, end.at, why, actor.user_id, ch.now)
            await ch.timer(weekly.PAUSE_END, subject(bounty.id), end.at, pause=pause_id)
            await ch.audit(
                "weekly_paused", actor_id=actor.user_id, bounty_id=bounty.id, until=day, reason=why, pause_id=pause_id
            )
            notice = say.paused(bounty, end.day, end.at, why, actor.user_id, moved=existing is not None)
            await ch.send(
                f"bounty:{bounty.id}:paused:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notice.to_payload(),
            )
        return Paused(bounty, day, end.at, existing is not None)

    async def resume(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> tuple[Bounty, int]:
        """End the pause now; returns when the next prompt comes."""
        bounty, assignment = await self._prompted(actor, bounty_id, channel_id, "update resume")
        async with self.ctx.changes.begin() as ch:
            pause = await rhythms.active_pause(ch.tx, bounty.id)
            if pause is None:
                raise RuleViolation(f"The weekly prompts of bounty #{bounty.id} are not paused.")
            await rhythms.end_pause(ch.tx, pause.id, ch.now, actor.user_id)
            await ch.cancel_timers(subject(bounty.id), weekly.PAUSE_END)
            rhythm = await weekly.rhythm_for(ch.tx, self.ctx.config, bounty.id, assignment.user_id)
            first = await weekly.begin(ch, rhythm, bounty.id, assignment.user_id, ch.now)
            await ch.audit("weekly_resumed", actor_id=actor.user_id, bounty_id=bounty.id, pause_id=pause.id)
            await ch.send(
                f"bounty:{bounty.id}:resumed:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=say.resumed(bounty, first, early_by=actor.user_id).to_payload(),
            )
        return bounty, first

    async def settings(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        day: str | None,
        hour: int | None,
        timezone: str | None,
    ) -> RhythmNow:
        """Set when the developer is prompted (what is not given stays); with nothing given, say what it is."""
        bounty, assignment = await self._prompted(actor, bounty_id, channel_id, "update settings")
        developer = assignment.user_id
        conn = self.ctx.conn
        before = await weekly.rhythm_for(conn, self.ctx.config, bounty.id, developer)
        if day is None and hour is None and timezone is None:
            pending = [t for t in await weekly.pending_timers(conn, bounty.id) if t.kind == weekly.PROMPT]
            paused = await rhythms.active_pause(conn, bounty.id) is not None
            nxt = pending[0].due_at if pending else None
            return RhythmNow(bounty, developer, before, nxt, changed=False, paused=paused)
        rhythm = rhythm_from(
            day if day is not None else before.day_name,
            hour if hour is not None else before.hour,
            timezone if timezone is not None else before.timezone,
        )
        async with self.ctx.changes.begin() as ch:
            await rhythms.set_rhythm(ch.tx, bounty.id, developer, rhythm, actor.user_id, ch.now)
            paused = await rhythms.active_pause(ch.tx, bounty.id) is not None
            # Paused: the pause's end starts the new rhythm.
            nxt = None if paused else await weekly.reschedule(ch, rhythm, bounty.id, developer)
            await ch.audit(
                "weekly_settings",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                user_id=developer,
                weekday=rhythm.day_name.lower(),
                hour=rhythm.hour,
                timezone=rhythm.timezone,
            )
            await ch.send(
                f"bounty:{bounty.id}:rhythm:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=say.rhythm_set(bounty, developer, rhythm, nxt, actor.user_id).to_payload(),
            )
        return RhythmNow(bounty, developer, rhythm, nxt, changed=True, paused=paused)
