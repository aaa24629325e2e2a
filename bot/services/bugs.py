"""`/bug`: bugs found in testing and maintenance, each with its SLA clock and its own GitHub issue.

A bug is resolved by `/bug resolve` or by closing its GitHub issue, and reopened by `/bug reopen` or by
reopening the issue; either way Discord and GitHub end up telling the same story.

The clock (DESIGN.md §7; the arithmetic is `bot/domain/sla.py`): it runs from the report, stops while the bug
is paused (waiting on the exchange) or resolved, and starts again where it stopped. Every change that moves
the due time re-arms the thresholds through one path, `_arm`: each threshold is told once, ever.
"""

from __future__ import annotations

from dataclasses import replace

import aiosqlite

from bot.changes import Change
from bot.domain import bug_notices, github_text, notices, sla
from bot.domain.access import Actor
from bot.domain.bugs import (
    REPORTABLE,
    Bug,
    BugState,
    Severity,
    sla_hours,
    validate_note,
    validate_pause_reason,
    validate_report,
)
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.models import Bounty, Member, MemberRole
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.store import bounties, bugs, outbox, releases
from bot.store.timers import TimerRow

BUG_SLA = "bug_sla"
SLA_BREACHED_LABEL = "sla-breached"
SEVERITY_LABEL = "severity: "


def subject(bug_id: int) -> str:
    return f"bug:{bug_id}"


async def recorded_releases(conn: aiosqlite.Connection) -> tuple[int, ...]:
    """When each release recorded in the bot (`/release record` or a GitHub release) shipped: release cuts besides
    the configured calendar whenever a minor bug's cut is worked out."""
    return tuple(r.released_at for r in await releases.release_dates(conn))


class BugService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    async def _next_cut(self, conn: aiosqlite.Connection) -> sla.NextCut:
        return sla.NextCut(self.ctx.config.sla.calendar, await recorded_releases(conn))

    async def _due_from_opening(
        self, conn: aiosqlite.Connection, severity: Severity, opened_at: int, paused_seconds: int
    ) -> int | None:
        """The due time while the clock runs: the severity's window from the opening, plus stopped time."""
        cfg = self.ctx.config.sla
        hours = sla_hours(severity, critical_hours=cfg.critical_hours, major_hours=cfg.major_hours)
        if hours is None:
            return sla.minor_due(opened_at, paused_seconds, await self._next_cut(conn))
        return sla.timed_due(opened_at, hours, paused_seconds)

    async def _due_after_stop(self, conn: aiosqlite.Connection, bug: Bug, stopped_at: int, now: int) -> int | None:
        minor = bug.severity is Severity.MINOR
        return sla.due_after_stop(bug.due_at, stopped_at, now, minor=minor, next_cut=await self._next_cut(conn))

    # --- report and list ----------------------------------------------------------------------------------

    async def report(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        severity: Severity,
        title: str,
        description: str,
    ) -> Bug:
        bounty, members = await self.bounties.visible(actor, bounty_id, channel_id, "bug report")
        problems, title, description = validate_report(title, description)
        if problems:
            raise InvalidInput(problems)
        if bounty.state not in REPORTABLE:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; bugs are reported once development has started "
                "and until the maintenance year ends."
            )
        developer = next((m.user_id for m in members if m.role is MemberRole.DEVELOPER), None)
        async with self.ctx.changes.begin() as ch:
            due_at = await self._due_from_opening(ch.tx, severity, ch.now, 0)
            bug_id = await bugs.create(ch.tx, bounty.id, severity, title, description, actor.user_id, ch.now, due_at)
            await ch.audit(
                "bug_reported", actor_id=actor.user_id, bounty_id=bounty.id, bug_id=bug_id, severity=severity.value
            )
            bug = await bugs.get(ch.tx, bug_id)
            assert bug is not None
            await _arm(ch, bounty, bug)
            notice = notices.bug_reported(bounty, bug)
            notice = replace(notice, fields=(notices.Field("SLA", bug_notices.due_text(bug)), *notice.fields[1:]))
            if developer is not None:
                notice = replace(notice, ping_user_ids=(developer,))
            await ch.send(f"bug:{bug_id}:reported", "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
            if severity is Severity.CRITICAL:
                await ch.send(
                    f"bug:{bug_id}:staff", "staff.post", notice=replace(notice, ping_user_ids=()).to_payload()
                )
            await ch.send(f"bug:{bug_id}:github_issue", "github.bug_issue", bug_id=bug_id)
        return bug

    async def list_bugs(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> tuple[Bounty, list[Bug]]:
        """The bounty's bugs by time left: overdue first, then soonest due (paused ones by their frozen time
        left), minor ones with no known cut, then the resolved ones, latest first."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "bug list")
        now = self.ctx.clock.now()
        found = await bugs.for_bounty(self.ctx.conn, bounty.id)
        return bounty, sorted(found, key=lambda b: list_order(b, now))

    async def _bug(self, actor: Actor, bug_id: int, action: str) -> tuple[Bug, Bounty, list[Member]]:
        bug = await bugs.get(self.ctx.conn, bug_id)
        if bug is None:
            raise NotFound(f"There is no bug #{bug_id}. `/bug list` shows a bounty's bugs.")
        bounty, members = await self.bounties.visible(actor, bug.bounty_id, None, action)
        return bug, bounty, members

    # --- pause, resume, severity --------------------------------------------------------------------------

    async def pause(self, actor: Actor, bug_id: int, reason: str) -> Bug:
        """Stop the clock while waiting on the exchange: pending thresholds are cancelled, the channel is told."""
        bug, bounty, _ = await self._bug(actor, bug_id, "bug pause")
        reason, problem = validate_pause_reason(reason)
        if problem:
            raise InvalidInput([problem])
        async with self.ctx.changes.begin() as ch:
            current = await bugs.get(ch.tx, bug.id)
            assert current is not None
            _refuse_unless_running(current, "pause")
            await bugs.pause(ch.tx, bug.id, ch.now, reason)
            await ch.cancel_timers(subject(bug.id), BUG_SLA)
            await ch.audit("bug_paused", actor_id=actor.user_id, bounty_id=bounty.id, bug_id=bug.id, reason=reason)
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
            await ch.send(
                f"bug:{bug.id}:paused:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=bug_notices.paused(updated, actor.user_id).to_payload(),
            )
        return updated

    async def resume(self, actor: Actor, bug_id: int) -> tuple[Bug, int]:
        """Start a paused clock again: the paused time is counted out, the due time and thresholds move.
        Returns the bug and how long it was paused."""
        bug, bounty, _ = await self._bug(actor, bug_id, "bug resume")
        async with self.ctx.changes.begin() as ch:
            current = await bugs.get(ch.tx, bug.id)
            assert current is not None
            if current.state is BugState.RESOLVED:
                raise RuleViolation(
                    f"Bug #{bug.id} is resolved, so its clock is stopped; `/bug reopen` opens it again."
                )
            if current.paused_at is None:
                raise RuleViolation(
                    f"Bug #{bug.id} is not paused: its SLA clock is running, {bug_notices.due_text(current)}."
                )
            stopped = max(0, ch.now - current.paused_at)
            due_at = await self._due_after_stop(ch.tx, current, current.paused_at, ch.now)
            await bugs.resume(ch.tx, bug.id, current.paused_at, due_at, current.paused_seconds + stopped)
            await ch.audit(
                "bug_resumed", actor_id=actor.user_id, bounty_id=bounty.id, bug_id=bug.id, paused_seconds=stopped
            )
            marker = ch.audit_ids[-1]
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
            moved_cut = current.severity is Severity.MINOR and due_at != current.due_at
            await ch.send(
                f"bug:{bug.id}:resumed:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=bug_notices.resumed(updated, actor.user_id, stopped, moved_cut).to_payload(),
            )
            await _arm(ch, bounty, updated)
        return updated, stopped

    async def set_severity(self, actor: Actor, bug_id: int, level: Severity) -> tuple[Bug, Severity]:
        """Staff change the severity: the due time is recomputed from the opening (the new window, plus stopped
        time). Thresholds are re-armed: one already behind and never told is told now, a breach behind breaches
        the bug at once, and nothing already told is told again. Returns the bug and its former severity."""
        bug, bounty, _ = await self._bug(actor, bug_id, "bug severity")
        async with self.ctx.changes.begin() as ch:
            current = await bugs.get(ch.tx, bug.id)
            assert current is not None
            if current.state is BugState.RESOLVED:
                raise RuleViolation(
                    f"Bug #{bug.id} is resolved; its severity is what it was resolved under. `/bug reopen` it first."
                )
            old = current.severity
            if old is level:
                raise RuleViolation(f"Bug #{bug.id} is already {level.label}.")
            due_at = await self._due_from_opening(ch.tx, level, current.opened_at, current.paused_seconds)
            if not await bugs.set_severity(ch.tx, bug.id, old, level, due_at):
                raise RuleViolation(f"Bug #{bug.id} changed a moment ago; look at `/bug list` and try again.")
            await ch.audit(
                "bug_severity",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                bug_id=bug.id,
                old=old.value,
                new=level.value,
                due_at=due_at,
            )
            marker = ch.audit_ids[-1]
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
            await ch.send(
                f"bug:{bug.id}:severity:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=bug_notices.severity_changed(updated, old, actor.user_id, ch.now).to_payload(),
            )
            await ch.send(
                f"bug:{bug.id}:severity_label:{marker}",
                "github.bug_label",
                bug_id=bug.id,
                label=SEVERITY_LABEL + level.value,
                replacing=SEVERITY_LABEL,
            )
            await ch.send(
                f"bug:{bug.id}:severity_comment:{marker}",
                "github.bug_comment",
                bug_id=bug.id,
                body=github_text.bug_severity_comment(updated, old.label),
            )
            await _arm(ch, bounty, updated)
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
        return updated, old

    # --- resolve and reopen -------------------------------------------------------------------------------

    async def resolve(self, actor: Actor, bug_id: int, note: str | None = None) -> Bug:
        """Resolve: the clock stops for good (until a reopen); the note and the time to resolve are recorded."""
        note, problem = validate_note(note)
        bug, bounty, _ = await self._bug(actor, bug_id, "bug resolve")
        if problem:
            raise InvalidInput([problem])
        if bug.state is BugState.RESOLVED:
            raise RuleViolation(f"Bug #{bug.id} is already resolved. `/bug reopen` opens it again.")
        return await self._set(
            bug, bounty, BugState.RESOLVED, actor_id=actor.user_id, by=f"<@{actor.user_id}>", note=note
        )

    async def reopen(self, actor: Actor, bug_id: int) -> Bug:
        bug, bounty, _ = await self._bug(actor, bug_id, "bug reopen")
        if bug.state is BugState.OPEN:
            raise RuleViolation(f"Bug #{bug.id} is still open.")
        return await self._set(bug, bounty, BugState.OPEN, actor_id=actor.user_id, by=f"<@{actor.user_id}>")

    async def on_github_issue(self, number: int, state: str, login: str) -> Bug | None:
        """A bug's GitHub issue was closed or reopened; None when it is not a bug's issue or nothing changed."""
        bug = await bugs.by_github_number(self.ctx.conn, number)
        if bug is None:
            return None
        target = BugState.RESOLVED if state == "closed" else BugState.OPEN
        if bug.state is target:
            return None
        if await outbox.pending_about(self.ctx.conn, "github.bug_state", "bug_id", bug.id):
            # Changed in Discord and not yet written to GitHub: what GitHub shows is the old state.
            return None
        bounty = await bounties.get(self.ctx.conn, bug.bounty_id)
        assert bounty is not None
        by = (
            f"{for_discord_code(login, 40)} on GitHub"
            if login
            else "its GitHub issue being " + ("closed" if state == "closed" else "reopened")
        )
        return await self._set(bug, bounty, target, actor_id=None, by=by, from_github=True)

    async def _set(
        self,
        bug: Bug,
        bounty: Bounty,
        target: BugState,
        *,
        actor_id: int | None,
        by: str,
        from_github: bool = False,
        note: str | None = None,
    ) -> Bug:
        async with self.ctx.changes.begin() as ch:
            # Decided on the bug read before this change: two resolves (or a resolve and the GitHub issue closing)
            # at once must not both write, so the state is read again here.
            current = await bugs.get(ch.tx, bug.id)
            assert current is not None
            if current.state is target:
                if from_github:
                    return current
                word = "resolved" if target is BugState.RESOLVED else "open again"
                raise RuleViolation(f"Bug #{bug.id} is already {word}: someone did it a moment ago.")
            await ch.cancel_timers(subject(bug.id), BUG_SLA)
            stopped = 0
            if target is BugState.RESOLVED:
                # A pause running at the resolve ends there: its time is counted out now.
                paused_seconds, due_at = current.paused_seconds, current.due_at
                if current.paused_at is not None:
                    paused_seconds += max(0, ch.now - current.paused_at)
                    due_at = await self._due_after_stop(ch.tx, current, current.paused_at, ch.now)
                await bugs.resolve(ch.tx, bug.id, ch.now, by, note=note, paused_seconds=paused_seconds, due_at=due_at)
            else:
                # Reopened: the clock resumes where it stopped; the resolved time counts as stopped.
                resolved_at = current.resolved_at if current.resolved_at is not None else ch.now
                stopped = max(0, ch.now - resolved_at)
                due_at = await self._due_after_stop(ch.tx, current, resolved_at, ch.now)
                await bugs.reopen(ch.tx, bug.id, due_at, current.paused_seconds + stopped)
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
            detail: dict[str, object] = {"source": "github" if from_github else "discord"}
            if target is BugState.RESOLVED:
                detail["time_to_resolve"] = updated.time_to_resolve()
            await ch.audit(
                "bug_resolved" if target is BugState.RESOLVED else "bug_reopened",
                actor_id=actor_id,
                bounty_id=bounty.id,
                bug_id=bug.id,
                **detail,
            )
            marker = ch.audit_ids[-1]
            if target is BugState.OPEN:
                notice = bug_notices.reopened(updated, by, stopped, ch.now)
            else:
                notice = bug_notices.resolved(updated, by)
            key = f"bug:{bug.id}:state:{marker}"
            await ch.send(key, "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
            if target is BugState.RESOLVED:
                took = sla.duration(updated.time_to_resolve() or 0)
                await ch.send(
                    f"bug:{bug.id}:resolved_comment:{marker}",
                    "github.bug_comment",
                    bug_id=bug.id,
                    body=github_text.bug_resolved_comment(updated, took),
                )
            if not from_github:
                await ch.send(f"bug:{bug.id}:github_state:{marker}", "github.bug_state", bug_id=bug.id)
            if target is BugState.OPEN:
                await _arm(ch, bounty, updated)
                updated = await bugs.get(ch.tx, bug.id) or updated
        return updated


def _refuse_unless_running(bug: Bug, doing: str) -> None:
    if bug.state is BugState.RESOLVED:
        raise RuleViolation(f"Bug #{bug.id} is resolved, so its clock is already stopped; nothing to {doing}.")
    if bug.paused_at is not None:
        raise RuleViolation(
            f"Bug #{bug.id} is already paused (since <t:{bug.paused_at}:R>); `/bug resume {bug.id}` starts its clock."
        )


def list_order(bug: Bug, now: int) -> tuple[int, int, int]:
    """`/bug list`'s order: open bugs by time left (overdue first; paused ones by what was left when they
    stopped), then open ones with no due time, then the resolved ones, latest first."""
    if bug.state is BugState.RESOLVED:
        return (2, -(bug.resolved_at or 0), bug.id)
    if bug.due_at is None:
        return (1, 0, bug.id)
    return (0, sla.remaining(bug.due_at, now, bug.paused_at), bug.id)


# --- the thresholds ---------------------------------------------------------------------------------------


async def _arm(ch: Change, bounty: Bounty, bug: Bug) -> None:
    """(Re)set the bug's thresholds after its due time was set or moved.

    Pending timers are replaced. A threshold already told is never told again; one already behind and never
    told is told now (only the furthest: a breach makes the warnings it passed moot); those ahead get a timer,
    unless the clock is stopped.
    """
    await ch.cancel_timers(subject(bug.id), BUG_SLA)
    if bug.state is not BugState.OPEN or bug.due_at is None:
        return
    points = sla.checkpoints(bug.opened_at, bug.paused_seconds, bug.due_at)
    reference = bug.paused_at if bug.paused_at is not None else ch.now
    todo = sla.plan(points, reference, bug.told)
    if todo.passed_quietly:
        await bugs.mark_told(ch.tx, bug.id, todo.passed_quietly, ch.now)
    if todo.alert_now is not None and await bugs.mark_told(ch.tx, bug.id, (todo.alert_now,), ch.now):
        marker = f"now:{ch.audit_ids[-1] if ch.audit_ids else ch.now}"
        await _tell(ch, bounty, bug, todo.alert_now, f"bug:{bug.id}:sla:{todo.alert_now}:{marker}")
    if bug.paused_at is None:
        for stage, at in todo.schedule:
            await ch.timer(BUG_SLA, subject(bug.id), at, stage=stage, window_ends=bug.due_at)


async def _tell(ch: Change, bounty: Bounty, bug: Bug, stage: str, key: str) -> None:
    """A threshold reached: the bounty channel is told; a breach also alerts staff and labels the GitHub issue."""
    notice = bug_notices.threshold(bounty, bug, stage).to_payload()
    await ch.audit("bug_sla", actor_id=None, bounty_id=bounty.id, bug_id=bug.id, stage=stage)
    await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty.id, notice=notice)
    if stage == "breach":
        await ch.send(f"{key}:staff", "staff.post", notice=notice)
        await ch.send(f"{key}:github", "github.bug_label", bug_id=bug.id, label=SLA_BREACHED_LABEL)


async def on_bug_sla(ch: Change, timer: TimerRow) -> None:
    """Timer handler: a warning at 50% and 90% of the window, then the breach (staff and GitHub), each once."""
    bug = await bugs.get(ch.tx, int(timer.subject.split(":", 1)[1]))
    stage = str(timer.payload.get("stage"))
    if (
        bug is None
        or bug.state is not BugState.OPEN
        or bug.paused_at is not None
        or bug.due_at != timer.payload.get("window_ends")
        or stage in bug.told
    ):
        return  # resolved, paused, moved (its new timers are pending), or told already: this checkpoint is stale
    if not await bugs.mark_told(ch.tx, bug.id, (stage,), ch.now):
        return
    bounty = await bounties.get(ch.tx, bug.bounty_id)
    assert bounty is not None
    await _tell(ch, bounty, bug, stage, f"timer:{timer.id}")
