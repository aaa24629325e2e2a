"""Governance (DESIGN.md §2, §9): the proposal checklist, `/governance link` and `/governance resubmit`, and
following the linked Snapshot proposal until its result moves the bounty.

Following is durable: one `governance.poll` timer per linked proposal at a time, due at the next moment that
matters (the next regular read, the vote's start, 24 hours before its end, its end). When it fires it only
queues a `governance.read` through the outbox (DESIGN §7: work that asks an outside system is queued); the
outbox handler asks the hub and decides, in a change of its own, on the proposal as re-read inside that change:
what to announce (each announcement keyed, so told once whatever restarts in between), the result, the
incident staff are told of once, and when to read again. A hub that is down, or a proposal gone from it, is
never read as a result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.changes import Change
from bot.domain import governance_notices as says
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, NotFound, RuleViolation, Unavailable
from bot.domain.governance import (
    NOTE_MAX,
    GovernanceRules,
    Incident,
    Proposal,
    ProposalItem,
    Steps,
    Tracking,
    after_answer,
    after_outage,
    check_proposal,
    checklist_missing,
    hbot,
    parse_proposal_ref,
    percent,
    proposal_link,
    require_checklist,
)
from bot.domain.inert import for_discord_code, visible
from bot.domain.lifecycle import Role, State
from bot.domain.models import Bounty
from bot.domain.notices import Notice
from bot.integrations.snapshot import SnapshotClient, SnapshotUnavailable
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.services.lifecycle import still, subject, transition
from bot.store import bounties
from bot.store import governance as store
from bot.store.timers import TimerRow

log = logging.getLogger(__name__)

POLL = "governance.poll"  # timer: payload round
READ = "governance.read"  # outbox: ask the hub about a bounty's round
ANNOUNCE = "governance.announce"  # outbox: a Notice for the governance channel (bot/delivery.py)
THREAD = "governance.thread"  # outbox: the discussion message and its thread (bot/delivery.py)
# Where the proposal checklist may be recorded: from development (the specification) until the vote.
CHECKLIST_STATES = frozenset({State.DEVELOPMENT, State.TESTING, State.GOVERNANCE, State.REJECTED})


@dataclass(frozen=True)
class ChecklistOutcome:
    bounty: Bounty
    item: ProposalItem
    done: bool
    missing: list[ProposalItem]


@dataclass(frozen=True)
class Linked:
    bounty: Bounty
    tracked: Tracking


class GovernanceService:
    def __init__(self, ctx: ServiceContext, bounty_service: BountyService, hub: SnapshotClient) -> None:
        self.ctx = ctx
        self.bounties = bounty_service
        self.hub = hub

    @property
    def rules(self) -> GovernanceRules:
        return self.ctx.config.governance

    # --- the proposal checklist ------------------------------------------------------------------------------

    async def checklist(
        self, actor: Actor, bounty_id: int, item: ProposalItem, done: bool, note: str
    ) -> ChecklistOutcome:
        """Record one item of the proposal checklist (or take it back)."""
        bounty, _ = await self.bounties.visible(actor, bounty_id, None, "governance checklist")
        note = " ".join(visible(note).split())
        if len(note) > NOTE_MAX:
            raise InvalidInput([f"Note: at most {NOTE_MAX} characters (you gave {len(note)})."])
        if bounty.state not in CHECKLIST_STATES:
            raise RuleViolation(
                f"Bounty #{bounty.id} is in `{bounty.state.label}`: the proposal checklist is recorded from "
                "development until the vote."
            )
        async with self.ctx.changes.begin() as ch:
            bounty = await still(ch, bounty, within=CHECKLIST_STATES)
            if done:
                await store.record_item(ch.tx, bounty.id, item, note, actor.user_id, ch.now)
            elif not await store.remove_item(ch.tx, bounty.id, item):
                raise RuleViolation(f"The {item.label} was not recorded for bounty #{bounty.id}; nothing to take back.")
            missing = checklist_missing(set(await store.checklist(ch.tx, bounty.id)))
            await ch.audit(
                "proposal_checklist", actor_id=actor.user_id, bounty_id=bounty.id, item=item.value, done=done, note=note
            )
            notice = says.checklist_recorded(bounty, item, done, missing).to_payload()
            await ch.send(
                f"bounty:{bounty.id}:proposal-checklist:{ch.audit_ids[-1]}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notice,
            )
        return ChecklistOutcome(bounty, item, done, missing)

    # --- linking a proposal ----------------------------------------------------------------------------------

    async def link(self, actor: Actor, bounty_id: int, proposal_text: str) -> Linked:
        """Open the discussion of a bounty in `governance` with its Snapshot proposal."""
        return await self._link(actor, bounty_id, proposal_text, resubmit=False)

    async def resubmit(self, actor: Actor, bounty_id: int, proposal_text: str) -> Linked:
        """After a failed vote: back to `governance` with a new proposal, and a new discussion."""
        return await self._link(actor, bounty_id, proposal_text, resubmit=True)

    async def _link(self, actor: Actor, bounty_id: int, text: str, *, resubmit: bool) -> Linked:
        action = "governance resubmit" if resubmit else "governance link"
        bounty, _ = await self.bounties.visible(actor, bounty_id, None, action)
        ref = parse_proposal_ref(text)
        _expect_state(bounty, resubmit)
        require_checklist(set(await store.checklist(self.ctx.conn, bounty.id)))
        conn = self.ctx.conn
        current = await store.current(conn, bounty.id)
        _may_link(bounty, current, ref.id, resubmit)
        if (other := await store.is_linked_elsewhere(conn, ref.id, bounty.id)) is not None:
            raise RuleViolation(f"That proposal is already linked to bounty #{other}; each bounty has its own.")
        proposal = await self._read_for_link(ref.id)
        check_proposal(proposal, self.rules, self.ctx.clock.now(), ref.space)
        async with self.ctx.changes.begin() as ch:
            bounty = await still(ch, bounty)
            current = await store.current(ch.tx, bounty.id)
            _may_link(bounty, current, ref.id, resubmit)
            if resubmit:
                bounty = await transition(
                    ch,
                    self.ctx.config,
                    bounty,
                    State.GOVERNANCE,
                    role=Role.STAFF,
                    actor_id=actor.user_id,
                    reason=f"Resubmitted to the community with a new proposal: {proposal_link(proposal.space, ref.id)}",
                )
            if current is not None and not current.decided:
                # The hub lost the proposal this round followed: the new one replaces it.
                await store.supersede(ch.tx, bounty.id, current.round, ch.now)
                await ch.cancel_timers(subject(bounty.id), POLL)
            tracked = Tracking(
                bounty_id=bounty.id,
                round=(current.round + 1) if current is not None else 1,
                proposal_id=ref.id,
                space=proposal.space,
                title=proposal.title,
                start=proposal.start,
                end=proposal.end,
            )
            await store.insert(ch.tx, tracked, by=actor.user_id, now=ch.now)
            await ch.audit(
                "proposal_linked",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                round=tracked.round,
                proposal=ref.id,
                space=proposal.space,
                start=proposal.start,
                end=proposal.end,
                resubmitted=resubmit,
            )
            key = f"governance:{bounty.id}:{tracked.round}"
            opened = says.discussion_opened(bounty, tracked, self.rules, resubmitted=resubmit)
            await ch.send(f"{key}:discussion", ANNOUNCE, notice=opened.to_payload())
            await ch.send(
                f"{key}:thread",
                THREAD,
                bounty_id=bounty.id,
                round=tracked.round,
                name=says.thread_name(bounty, tracked),
                notice=says.discussion_thread_opener(bounty, tracked).to_payload(),
            )
            await ch.send(f"{key}:discussion:bounty", "bounty.post", bounty_id=bounty.id, notice=opened.to_payload())
            await ch.timer(
                POLL, subject(bounty.id), min(ch.now + self.rules.poll_minutes * 60, tracked.start), round=tracked.round
            )
        return Linked(bounty, tracked)

    async def _read_for_link(self, proposal_id: str) -> Proposal:
        try:
            proposal = await self.hub.proposal(proposal_id)
        except SnapshotUnavailable:
            raise Unavailable(
                "The Snapshot hub did not answer, so the proposal could not be checked; nothing was linked. "
                "Try again in a few minutes."
            ) from None
        if proposal is None:
            raise NotFound(
                f"The Snapshot hub has no proposal {for_discord_code(proposal_id)}; check the id or copy the "
                "proposal's link from snapshot.org."
            )
        return proposal

    # --- following the proposal -----------------------------------------------------------------------------

    async def on_poll(self, ch: Change, timer: TimerRow) -> None:
        """Timer handler: queue a read of the hub (the answer is decided when it arrives)."""
        bounty_id = int(timer.subject.split(":", 1)[1])
        round_ = int(str(timer.payload["round"]))
        tracked = await store.get(ch.tx, bounty_id, round_)
        if tracked is None or tracked.decided:
            return
        await ch.send(f"governance:{bounty_id}:{round_}:read:{timer.id}", READ, bounty_id=bounty_id, round=round_)

    async def read(self, payload: dict[str, object]) -> dict[str, object]:
        """Outbox handler: ask the hub, then decide on its answer in a change of its own."""
        bounty_id, round_ = int(str(payload["bounty_id"])), int(str(payload["round"]))
        tracked = await store.get(self.ctx.conn, bounty_id, round_)
        if tracked is None or tracked.decided:
            return {"skipped": "nothing to follow"}
        answered = True
        proposal: Proposal | None = None
        try:
            proposal = await self.hub.proposal(tracked.proposal_id)
        except SnapshotUnavailable as exc:
            log.warning("Snapshot read for bounty %s round %s failed: %s", bounty_id, round_, exc)
            answered = False
        except Exception:
            # Anything else is an outage too: the next read must still be scheduled (below), or the vote would
            # never be followed again once the outbox gave up on this item.
            log.exception("Snapshot read for bounty %s round %s failed unexpectedly", bounty_id, round_)
            answered = False
        async with self.ctx.changes.begin() as ch:
            tracked = await store.get(ch.tx, bounty_id, round_)
            if tracked is None or tracked.decided:
                return {"skipped": "decided meanwhile"}
            rules = self.rules
            steps = after_answer(tracked, proposal, rules, ch.now) if answered else after_outage(tracked, rules, ch.now)
            await self._apply(ch, tracked, steps)
        return {"answered": answered, "state": proposal.state if proposal else None}

    async def _apply(self, ch: Change, tracked: Tracking, steps: Steps) -> None:
        bounty = await bounties.get(ch.tx, tracked.bounty_id)
        assert bounty is not None
        b, r = tracked.bounty_id, tracked.round
        key = f"governance:{b}:{r}"
        if (
            steps.start is not None
            and steps.end is not None
            and (steps.start, steps.end) != (tracked.start, tracked.end)
        ):
            await store.set_times(ch.tx, b, r, steps.start, steps.end)
            tracked = replace(tracked, start=steps.start, end=steps.end)
        if steps.incident is not None:
            await store.set_incident(ch.tx, b, r, steps.incident)
            await ch.audit("governance_incident", actor_id=None, bounty_id=b, round=r, incident=steps.incident.value)
            notice = says.incident(bounty, tracked, steps.incident).to_payload()
            await ch.send(f"{key}:incident:{ch.audit_ids[-1]}", "staff.post", notice=notice)
        elif steps.recovered is not None and tracked.incident is not None:
            await store.set_incident(ch.tx, b, r, None)
            await ch.audit("governance_recovered", actor_id=None, bounty_id=b, round=r, incident=tracked.incident.value)
            notice = says.recovered(bounty, tracked, tracked.incident).to_payload()
            await ch.send(f"{key}:recovered:{ch.audit_ids[-1]}", "staff.post", notice=notice)
        if steps.announce_voting:
            await store.mark_told(ch.tx, b, r, "voting", ch.now)
            await ch.send(
                f"{key}:voting", ANNOUNCE, notice=says.voting_opened(bounty, tracked, self.rules).to_payload()
            )
        if steps.announce_last_day:
            await store.mark_told(ch.tx, b, r, "last_day", ch.now)
            await ch.send(f"{key}:last_day", ANNOUNCE, notice=says.last_day(bounty, tracked).to_payload())
        if steps.result is not None:
            await self._decide(ch, bounty, tracked, steps)
        if steps.next_poll_at is not None:
            await ch.timer(POLL, subject(b), steps.next_poll_at, round=r)

    async def _decide(self, ch: Change, bounty: Bounty, tracked: Tracking, steps: Steps) -> None:
        t = steps.result
        assert t is not None
        b, r = tracked.bounty_id, tracked.round
        verdict = "passed" if t.passed else "failed"
        if not await store.decide(ch.tx, b, r, verdict, ch.now):
            return
        await ch.audit(
            "vote_counted",
            actor_id=None,
            bounty_id=b,
            round=r,
            proposal=tracked.proposal_id,
            result=verdict,
            approval=round(t.approval, 4),
            threshold=t.threshold,
            turnout=t.total,
            quorum=t.quorum,
            votes=t.votes,
        )
        notice = says.result(bounty, tracked, t).to_payload()
        await ch.send(f"governance:{b}:{r}:result", ANNOUNCE, notice=notice)
        await ch.send(f"governance:{b}:{r}:result:bounty", "bounty.post", bounty_id=b, notice=notice)
        target = State.APPROVED if t.passed else State.REJECTED
        if bounty.state is not State.GOVERNANCE:
            # Moved by hand while the vote ran: the result is told, and staff decide what it means now.
            await ch.send(
                f"governance:{b}:{r}:result:stale",
                "staff.post",
                notice=Notice(
                    title=f"Vote {verdict} for bounty #{b}, which is in `{bounty.state.label}`",
                    description="The bounty was moved while the vote ran, so it was not moved again. "
                    "Use `/bounty advance` if the result should apply.",
                    tone="warn",
                ).to_payload(),
            )
            return
        why = (
            f"Snapshot vote {verdict}: {percent(t.approval)} For (more than {percent(t.threshold)} needed), "
            f"turnout {hbot(t.total)} of a {hbot(t.quorum)} quorum."
        )
        await transition(ch, self.ctx.config, bounty, target, role=Role.SYSTEM, actor_id=None, reason=why)


def _expect_state(bounty: Bounty, resubmit: bool) -> None:
    if resubmit and bounty.state is not State.REJECTED:
        raise RuleViolation(
            f"Bounty #{bounty.id} is in `{bounty.state.label}`: `/governance resubmit` is for a bounty whose vote "
            "failed (`rejected`)."
            + (" Use `/governance link` to link its proposal." if bounty.state is State.GOVERNANCE else "")
        )
    if not resubmit and bounty.state is not State.GOVERNANCE:
        hint = (
            " After a failed vote, use `/governance resubmit` with the new proposal."
            if bounty.state is State.REJECTED
            else " `/bounty advance` moves a bounty from testing to governance."
            if bounty.state is State.TESTING
            else ""
        )
        raise RuleViolation(
            f"Bounty #{bounty.id} is in `{bounty.state.label}`; a proposal is linked once it is in `governance`.{hint}"
        )


def _may_link(bounty: Bounty, current: Tracking | None, proposal_id: str, resubmit: bool) -> None:
    """Refuse a link that would replace a proposal still being followed, or resubmit the one that failed."""
    if current is None:
        return
    if current.proposal_id == proposal_id and (resubmit or not current.decided):
        raise RuleViolation(
            f"Bounty #{bounty.id} already {'had' if current.decided else 'follows'} that proposal "
            f"(round {current.round}); {'link the new proposal' if resubmit else 'nothing to do'}."
        )
    if not current.decided and current.incident is not Incident.DELETED:
        raise RuleViolation(
            f"Bounty #{bounty.id} already follows proposal {for_discord_code(current.proposal_id[:12] + '…')} "
            f"(round {current.round}). Another can replace it only if the hub loses it, or with "
            "`/governance resubmit` after a failed vote."
        )
