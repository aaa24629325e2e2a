"""`/bug`: bugs found in testing and maintenance, each with its SLA clock and its own GitHub issue.

A bug is resolved by `/bug resolve` or by closing its GitHub issue, and reopened by `/bug reopen` or by
reopening the issue; either way Discord and GitHub end up telling the same story.
"""

from __future__ import annotations

from dataclasses import replace

from bot.changes import Change
from bot.domain import notices
from bot.domain.access import Actor
from bot.domain.bugs import REPORTABLE, Bug, BugState, Severity, checkpoints, sla_hours, validate_report
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.models import Bounty, Member, MemberRole
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.store import bounties, bugs, outbox
from bot.store.timers import TimerRow

BUG_SLA = "bug_sla"
SLA_BREACHED_LABEL = "sla-breached"


def subject(bug_id: int) -> str:
    return f"bug:{bug_id}"


class BugService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    def _due(self, severity: Severity, now: int) -> int | None:
        sla = self.ctx.config.sla
        hours = sla_hours(severity, critical_hours=sla.critical_hours, major_hours=sla.major_hours)
        return None if hours is None else now + hours * 3600

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
            due_at = self._due(severity, ch.now)
            bug_id = await bugs.create(ch.tx, bounty.id, severity, title, description, actor.user_id, ch.now, due_at)
            await ch.audit(
                "bug_reported", actor_id=actor.user_id, bounty_id=bounty.id, bug_id=bug_id, severity=severity.value
            )
            bug = await bugs.get(ch.tx, bug_id)
            assert bug is not None
            await self._start_clock(ch, bug)
            notice = notices.bug_reported(bounty, bug)
            if developer is not None:
                notice = replace(notice, ping_user_ids=(developer,))
            await ch.send(f"bug:{bug_id}:reported", "bounty.post", bounty_id=bounty.id, notice=notice.to_payload())
            if severity is Severity.CRITICAL:
                await ch.send(
                    f"bug:{bug_id}:staff", "staff.post", notice=replace(notice, ping_user_ids=()).to_payload()
                )
            await ch.send(f"bug:{bug_id}:github_issue", "github.bug_issue", bug_id=bug_id)
        return bug

    async def _start_clock(self, ch: Change, bug: Bug) -> None:
        if bug.due_at is None:
            return
        for stage, at in checkpoints(ch.now, bug.due_at):
            await ch.timer(BUG_SLA, subject(bug.id), at, stage=stage, window_ends=bug.due_at)

    async def list_bugs(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> tuple[Bounty, list[Bug]]:
        bounty, _ = await self.bounties.visible(actor, bounty_id, channel_id, "bug list")
        return bounty, await bugs.for_bounty(self.ctx.conn, bounty.id)

    async def _bug(self, actor: Actor, bug_id: int, action: str) -> tuple[Bug, Bounty, list[Member]]:
        bug = await bugs.get(self.ctx.conn, bug_id)
        if bug is None:
            raise NotFound(f"There is no bug #{bug_id}. `/bug list` shows a bounty's bugs.")
        bounty, members = await self.bounties.visible(actor, bug.bounty_id, None, action)
        return bug, bounty, members

    async def resolve(self, actor: Actor, bug_id: int) -> Bug:
        bug, bounty, _ = await self._bug(actor, bug_id, "bug resolve")
        if bug.state is BugState.RESOLVED:
            raise RuleViolation(f"Bug #{bug.id} is already resolved. `/bug reopen` opens it again.")
        return await self._set(bug, bounty, BugState.RESOLVED, actor_id=actor.user_id, by=f"<@{actor.user_id}>")

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
        self, bug: Bug, bounty: Bounty, target: BugState, *, actor_id: int | None, by: str, from_github: bool = False
    ) -> Bug:
        async with self.ctx.changes.begin() as ch:
            # Decided on the bug read before this change: two resolves (or a resolve and the GitHub issue closing)
            # at once must not both write, so the state is read again here.
            current = await bugs.get(ch.tx, bug.id)
            if current is not None and current.state is target:
                if from_github:
                    return current
                word = "resolved" if target is BugState.RESOLVED else "open again"
                raise RuleViolation(f"Bug #{bug.id} is already {word}: someone did it a moment ago.")
            await ch.cancel_timers(subject(bug.id), BUG_SLA)
            if target is BugState.RESOLVED:
                await bugs.resolve(ch.tx, bug.id, ch.now, by)
            else:
                await bugs.reopen(ch.tx, bug.id, self._due(bug.severity, ch.now))
            await ch.audit(
                "bug_resolved" if target is BugState.RESOLVED else "bug_reopened",
                actor_id=actor_id,
                bounty_id=bounty.id,
                bug_id=bug.id,
                source="github" if from_github else "discord",
            )
            updated = await bugs.get(ch.tx, bug.id)
            assert updated is not None
            if target is BugState.OPEN:
                await self._start_clock(ch, updated)
            marker = ch.audit_ids[-1]
            await ch.send(
                f"bug:{bug.id}:state:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.bug_state_changed(updated, by).to_payload(),
            )
            if not from_github:
                await ch.send(f"bug:{bug.id}:github_state:{marker}", "github.bug_state", bug_id=bug.id)
        return updated


async def on_bug_sla(ch: Change, timer: TimerRow) -> None:
    """Timer handler: a warning at 50% and 90% of the window, then the breach (staff and GitHub)."""
    bug = await bugs.get(ch.tx, int(timer.subject.split(":", 1)[1]))
    if bug is None or bug.state is not BugState.OPEN or bug.due_at != timer.payload.get("window_ends"):
        return  # resolved, or reopened with a new window: this checkpoint is stale
    bounty = await bounties.get(ch.tx, bug.bounty_id)
    assert bounty is not None
    stage = str(timer.payload.get("stage"))
    notice = notices.bug_sla(bounty, bug, stage).to_payload()
    await ch.audit("bug_sla", actor_id=None, bounty_id=bounty.id, bug_id=bug.id, stage=stage)
    await ch.send(f"timer:{timer.id}:bounty", "bounty.post", bounty_id=bounty.id, notice=notice)
    if stage == "breach":
        await ch.send(f"timer:{timer.id}:staff", "staff.post", notice=notice)
        await ch.send(f"timer:{timer.id}:github", "github.bug_label", bug_id=bug.id, label=SLA_BREACHED_LABEL)
