"""`/checklist`: view and tick the implementation checklist (developer, staff).

Ticks show in the bounty channel; the implementation checklist is also the public issue's task list. The QA
checklist is not ticked: each item gets a recorded result with evidence (bot/services/qa.py).
"""

from __future__ import annotations

from bot.domain import notices
from bot.domain.access import Actor, may, membership
from bot.domain.checklists import ChecklistKind, Progress, changes, tasks
from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import State
from bot.domain.models import Bounty, MemberRole
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.store import checklists, developers

# A checklist can be ticked from the developer's assignment until the bounty leaves testing.
TICKABLE = frozenset({State.DEVELOPMENT, State.TESTING})


def tick_action(kind: ChecklistKind) -> str:
    """The declared audience of ticking `kind` (only the implementation checklist is ticked)."""
    return f"checklist tick {kind.value}"


QA_IS_RECORDED = (
    "QA items are not ticked: each is recorded with its result and evidence. Run `/checklist checklist:QA` and "
    "pick the item."
)


class ChecklistService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    async def view(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, kind: ChecklistKind
    ) -> tuple[Bounty, Progress, bool]:
        """The checklist, and whether this person may tick it."""
        bounty, members = await self.bounties.visible(actor, bounty_id, channel_id, "checklist")
        done = await checklists.done(self.ctx.conn, bounty.id, kind)
        progress = Progress(kind, tasks(kind, bounty.form.exchange_type), done)
        may_tick = (
            kind is ChecklistKind.IMPLEMENTATION
            and bounty.state in TICKABLE
            and may(actor, tick_action(kind), members, bounty.id)
        )
        return bounty, progress, may_tick

    async def tick(self, actor: Actor, bounty_id: int, kind: ChecklistKind, selected: list[str]) -> Progress:
        """Make the ticked tasks exactly `selected`."""
        if kind is ChecklistKind.QA:
            raise RuleViolation(QA_IS_RECORDED)
        bounty, members = await self.bounties.visible(actor, bounty_id, None, tick_action(kind))
        if bounty.state not in TICKABLE:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; checklists are ticked during development and testing."
            )
        all_tasks = tasks(kind, bounty.form.exchange_type)
        known = {t.key for t in all_tasks}
        unknown = [key for key in selected if key not in known]
        if unknown:
            raise InvalidInput(
                [
                    f"Checklist: {for_discord_code(unknown[0], 40)} is not a task of this checklist; "
                    "run `/checklist` again."
                ]
            )
        after = frozenset(selected)
        async with self.ctx.changes.begin() as ch:
            before = await checklists.done(ch.tx, bounty.id, kind)
            ticked, unticked = changes(before, after, all_tasks)
            progress = Progress(kind, all_tasks, after)
            if not ticked and not unticked:
                return progress
            await checklists.set_done(ch.tx, bounty.id, kind, after, actor.user_id, ch.now)
            await ch.audit(
                "checklist_ticked",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                list=kind.value,
                ticked=[t.key for t in ticked],
                unticked=[t.key for t in unticked],
            )
            marker = ch.audit_ids[-1]
            if membership(actor, members) is MemberRole.DEVELOPER:
                await developers.touch(ch.tx, bounty.id, ch.now)
            await ch.send(
                f"bounty:{bounty.id}:checklist:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.checklist_changed(progress, ticked, unticked, actor.user_id).to_payload(),
            )
            # The handler writes the task list as it is when it runs, so edits never go back in time.
            await ch.send(f"bounty:{bounty.id}:github_checklist:{marker}", "github.checklist", bounty_id=bounty.id)
        return progress
