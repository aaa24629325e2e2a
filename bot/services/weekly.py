"""The weekly rhythm as durable timers: prompts, reminders, follow-ups, escalations, the question whether to
reassign a silent developer, and the end of a pause.

Every step is a timer row under the bounty's subject. A prompt, when it fires, schedules the next week's
prompt and this week's reminder in the same transaction, and the previous week's follow-up and escalation
if that week went without an update. Each check decides on what the database says when it fires (was an
update posted since the week began? is the developer still the one it was meant for? is the bounty
paused?), so a timer made stale by an update, a pause or a reassignment simply says nothing.
"""

from __future__ import annotations

import logging

import aiosqlite

from bot.changes import Change
from bot.config import Config
from bot.domain import weekly_notices as say
from bot.domain.models import Bounty
from bot.domain.weekly import (
    INACTIVE_AFTER,
    PROMPTED,
    REASSIGNABLE,
    WEEKDAYS,
    Rhythm,
    Week,
    current_week,
    next_prompt,
    quiet_since,
)
from bot.services.context import ServiceContext
from bot.services.lifecycle import subject
from bot.store import bounties, developers, updates, weekly
from bot.store import timers as timer_rows
from bot.store.developers import Assignment
from bot.store.timers import TimerRow, TimerSpec
from bot.timers import TimerHandler

log = logging.getLogger(__name__)

PROMPT = "weekly_prompt"
REMINDER = "weekly_reminder"
FOLLOW_UP = "weekly_follow_up"
ESCALATION = "weekly_escalation"
INACTIVE = "developer_inactive"
PAUSE_END = "weekly_pause_end"
# What a pause, or a new developer, stops (the pause's own end is not among them).
RHYTHM = (PROMPT, REMINDER, FOLLOW_UP, ESCALATION, INACTIVE)


def default_rhythm(config: Config) -> Rhythm:
    u = config.updates
    return Rhythm(WEEKDAYS.index(u.weekday), u.hour, u.timezone)


async def rhythm_for(conn: aiosqlite.Connection, config: Config, bounty_id: int, user_id: int) -> Rhythm:
    """The developer's own rhythm on this bounty, else the configured default."""
    return await weekly.rhythm(conn, bounty_id, user_id) or default_rhythm(config)


async def stop(ch: Change, bounty_id: int) -> None:
    """No more prompts or checks for this bounty's current developer, and no pause left running."""
    for kind in (*RHYTHM, PAUSE_END):
        await ch.cancel_timers(subject(bounty_id), kind)
    pause = await weekly.active_pause(ch.tx, bounty_id)
    if pause is not None:
        await weekly.end_pause(ch.tx, pause.id, ch.now, None)


async def begin(ch: Change, rhythm: Rhythm, bounty_id: int, developer_id: int, since: int) -> int:
    """Prompt `developer_id` from `since` on: the first prompt at their next slot, and the activity watch.
    Returns when the first prompt comes."""
    first = next_prompt(since, rhythm)
    await ch.timer(PROMPT, subject(bounty_id), first, developer=developer_id, closes=None)
    await ch.timer(INACTIVE, subject(bounty_id), since + INACTIVE_AFTER, developer=developer_id, asked=None)
    return first


async def restart(ch: Change, config: Config, bounty_id: int, developer_id: int) -> int:
    """A developer was just assigned (or replaced the previous one): their rhythm starts now."""
    await stop(ch, bounty_id)
    rhythm = await rhythm_for(ch.tx, config, bounty_id, developer_id)
    return await begin(ch, rhythm, bounty_id, developer_id, ch.now)


async def reschedule(ch: Change, rhythm: Rhythm, bounty_id: int, developer_id: int) -> int:
    """The developer's day, hour or time zone changed: the next prompt moves to the new slot, and the week
    under way ends there (its reminder moves with it; a week that ended already keeps its follow-ups)."""
    pending = [t for t in await pending_timers(ch.tx, bounty_id) if t.kind == PROMPT]
    closes = pending[0].payload.get("closes") if pending else None
    for kind in (PROMPT, REMINDER):
        await ch.cancel_timers(subject(bounty_id), kind)
    nxt = next_prompt(ch.now, rhythm)
    await ch.timer(PROMPT, subject(bounty_id), nxt, developer=developer_id, closes=closes)
    if closes is not None:
        week = Week(int(str(closes)), nxt)
        if week.reminder_at > ch.now:
            await ch.timer(REMINDER, subject(bounty_id), week.reminder_at, developer=developer_id, **_span(week))
    return nxt


async def pending_timers(conn: aiosqlite.Connection, bounty_id: int) -> list[TimerRow]:
    return await timer_rows.pending(conn, subject(bounty_id))


def _span(week: Week) -> dict[str, object]:
    return {"start": week.start, "end": week.end}


def _week(timer: TimerRow) -> Week:
    return Week(int(str(timer.payload["start"])), int(str(timer.payload["end"])))


def _bounty_id(timer: TimerRow) -> int:
    return int(timer.subject.split(":", 1)[1])


class WeeklyPrompts:
    """The timer handlers of the weekly rhythm (registered by the app, one per kind)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, TimerHandler]:
        return {
            PROMPT: self.on_prompt,
            REMINDER: self.on_reminder,
            FOLLOW_UP: self.on_follow_up,
            ESCALATION: self.on_escalation,
            INACTIVE: self.on_inactive,
            PAUSE_END: self.on_pause_end,
        }

    async def adopt(self) -> int:
        """At start: developers assigned before the weekly rhythm existed get their first prompt and their
        activity watch. Returns how many. One transaction and one statement for all of them: after an upgrade
        they may be thousands, and start-up has a budget."""
        async with self.ctx.changes.begin() as ch:
            found = await weekly.unprompted(ch.tx, PROMPTED, PROMPT)
            default = default_rhythm(self.ctx.config)
            rows: list[TimerSpec] = []
            for one in found:
                first = next_prompt(ch.now, one.rhythm or default)
                prompt: dict[str, object] = {"developer": one.user_id, "closes": None}
                watch: dict[str, object] = {"developer": one.user_id, "asked": None}
                rows.append((PROMPT, subject(one.bounty_id), first, prompt))
                rows.append((INACTIVE, subject(one.bounty_id), ch.now + INACTIVE_AFTER, watch))
            await ch.timer_batch(rows)
        if found:
            log.info("weekly prompts scheduled for %s bounties assigned before they existed", len(found))
        return len(found)

    async def _current(self, ch: Change, timer: TimerRow) -> tuple[Bounty, Assignment] | None:
        """The bounty and its assignment, if the timer still concerns them: the bounty is being built or
        tested, by the developer the timer was set for, and is not paused."""
        bounty_id = _bounty_id(timer)
        bounty = await bounties.get(ch.tx, bounty_id)
        assignment = await developers.for_bounty(ch.tx, bounty_id)
        if bounty is None or bounty.state not in PROMPTED or assignment is None:
            return None
        if assignment.user_id != int(str(timer.payload.get("developer"))):
            return None
        if await weekly.active_pause(ch.tx, bounty_id) is not None:
            return None
        return bounty, assignment

    async def _posted(self, ch: Change, bounty_id: int, since: int, before: int) -> bool:
        return await updates.posted_between(ch.tx, bounty_id, since, before) > 0

    async def on_prompt(self, ch: Change, timer: TimerRow) -> None:
        current = await self._current(ch, timer)
        if current is None:
            return  # the developer left, the bounty moved on, or a pause stopped it (its end starts anew)
        bounty, assignment = current
        developer = assignment.user_id
        rhythm = await rhythm_for(ch.tx, self.ctx.config, bounty.id, developer)
        week = current_week(timer.due_at, rhythm, ch.now)
        closes = timer.payload.get("closes")
        if week.start != timer.due_at:
            closes = None  # down for over a week: the missed weeks are not chased one after another
        if closes is not None:
            ended = Week(int(str(closes)), week.start)
            if not await self._posted(ch, bounty.id, ended.start, ended.end):
                await ch.timer(FOLLOW_UP, subject(bounty.id), ended.follow_up_at, developer=developer, **_span(ended))
                await ch.timer(ESCALATION, subject(bounty.id), ended.escalate_at, developer=developer, **_span(ended))
        already = await self._posted(ch, bounty.id, week.start, ch.now + 1)
        notice = say.prompt(bounty, developer, week, rhythm, already_posted=already)
        await ch.send(f"timer:{timer.id}:prompt", "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
        if week.reminder_at > ch.now:
            await ch.timer(REMINDER, subject(bounty.id), week.reminder_at, developer=developer, **_span(week))
        await ch.timer(PROMPT, subject(bounty.id), week.end, developer=developer, closes=week.start)
        await ch.audit("weekly_prompt", actor_id=None, bounty_id=bounty.id, week_start=week.start, week_end=week.end)

    async def on_reminder(self, ch: Change, timer: TimerRow) -> None:
        current = await self._current(ch, timer)
        week = _week(timer)
        if current is None or ch.now >= week.end:
            return  # (fired after its week ended, the bot being down: the follow-up speaks for that week)
        bounty, assignment = current
        if await self._posted(ch, bounty.id, week.start, ch.now + 1):
            return
        notice = say.reminder(bounty, assignment.user_id, week)
        await ch.send(f"timer:{timer.id}:reminder", "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
        await ch.audit("weekly_reminder", actor_id=None, bounty_id=bounty.id, week_start=week.start)

    async def on_follow_up(self, ch: Change, timer: TimerRow) -> None:
        current = await self._current(ch, timer)
        week = _week(timer)
        # Any update since the week began answers it, a late one included.
        if current is None or await self._posted(ch, current[0].id, week.start, ch.now + 1):
            return
        bounty, assignment = current
        notice = say.follow_up(bounty, assignment.user_id, week)
        await ch.send(f"timer:{timer.id}:follow_up", "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
        await ch.audit("weekly_follow_up", actor_id=None, bounty_id=bounty.id, week_start=week.start)

    async def on_escalation(self, ch: Change, timer: TimerRow) -> None:
        current = await self._current(ch, timer)
        week = _week(timer)
        if current is None or await self._posted(ch, current[0].id, week.start, ch.now + 1):
            return
        bounty, assignment = current
        notice = say.escalation(bounty, assignment.user_id, assignment.github_login, week, assignment.last_activity_at)
        await ch.send(f"timer:{timer.id}:escalation", "staff.post", notice=notice.to_payload())
        await ch.audit("weekly_escalation", actor_id=None, bounty_id=bounty.id, week_start=week.start)

    async def on_inactive(self, ch: Change, timer: TimerRow) -> None:
        """Seven days without activity: staff are asked, once per silence, whether to reassign. The watch
        goes on as long as the developer is on the bounty (a pause stops it; its end starts it again)."""
        current = await self._current(ch, timer)
        if current is None:
            return
        bounty, a = current
        quiet = quiet_since(a.last_activity_at, a.assigned_at, await weekly.last_pause_end(ch.tx, bounty.id))
        asked = timer.payload.get("asked")
        due = quiet + INACTIVE_AFTER
        if due > ch.now:  # active since the watch was set: look again seven days after the latest activity
            await ch.timer(INACTIVE, subject(bounty.id), due, developer=a.user_id, asked=asked)
            return
        if bounty.state in REASSIGNABLE and asked != quiet:
            notice = say.reassign_ask(bounty, a.user_id, a.github_login, quiet, a.assigned_at)
            await ch.send(f"timer:{timer.id}:reassign", "staff.post", notice=notice.to_payload())
            await ch.audit("reassign_asked", actor_id=None, bounty_id=bounty.id, user_id=a.user_id, quiet_since=quiet)
            asked = quiet
        await ch.timer(INACTIVE, subject(bounty.id), ch.now + INACTIVE_AFTER, developer=a.user_id, asked=asked)

    async def on_pause_end(self, ch: Change, timer: TimerRow) -> None:
        bounty_id = _bounty_id(timer)
        pause = await weekly.active_pause(ch.tx, bounty_id)
        if pause is None or pause.id != timer.payload.get("pause"):
            return  # ended early, or moved to another date (that date has its own timer)
        await weekly.end_pause(ch.tx, pause.id, ch.now, None)
        await ch.audit("weekly_pause_ended", actor_id=None, bounty_id=bounty_id, pause_id=pause.id)
        bounty = await bounties.get(ch.tx, bounty_id)
        assignment = await developers.for_bounty(ch.tx, bounty_id)
        if bounty is None or bounty.state not in PROMPTED or assignment is None:
            return  # nothing left to prompt for
        rhythm = await rhythm_for(ch.tx, self.ctx.config, bounty_id, assignment.user_id)
        first = await begin(ch, rhythm, bounty_id, assignment.user_id, ch.now)
        notice = say.resumed(bounty, first, early_by=None)
        await ch.send(f"timer:{timer.id}:resumed", "bounty.post", bounty_id=bounty_id, notice=notice.to_payload())
