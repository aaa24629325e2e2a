"""Operations on an existing bounty: status, list, technical review, members, cancel, advance, audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.changes import Change
from bot.domain import notices, qa_notices
from bot.domain import qa as qa_rules
from bot.domain.access import AUDIENCES, Access, Actor, authorize, lifecycle_role
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.governance import ProposalItem, Tracking
from bot.domain.inert import for_discord, visible
from bot.domain.lifecycle import CLOSED, PAID, REVIEWABLE, Role, State, after_review
from bot.domain.models import (
    AuditEntry,
    Bounty,
    Member,
    MemberRole,
    ReviewEntry,
    ReviewItem,
    ReviewStatus,
)
from bot.domain.payments import NORMAL_DECIMALS, show_usd, to_base_units
from bot.domain.releases import MaintenanceYear, Release, one_year_after
from bot.domain.timeline import Timeline, build_timeline
from bot.services.context import ServiceContext
from bot.services.lifecycle import still, transition
from bot.store import audit, bounties, governance, payments, qa, refunds, releases
from bot.store.bounties import Listing, Snapshot

MAX_NOTE = 300
# States with a release and maintenance years to show (read only for these: the status is the hot read path).
SHIPPED = frozenset({State.RELEASED, State.MAINTENANCE, State.ENDED})
# From testing on, the status shows the governance proposal's checklist and stage.
VOTED_ON = SHIPPED | {State.TESTING, State.GOVERNANCE, State.APPROVED, State.REJECTED}
MAX_REASON = 500


@dataclass(frozen=True)
class BountyStatus:
    snapshot: Snapshot
    now: int
    timeline: Timeline
    release: Release | None = None  # once shipped
    years: tuple[MaintenanceYear, ...] = field(default_factory=tuple)  # the maintenance years, oldest first
    proposal_checklist: dict[ProposalItem, str] = field(default_factory=dict)  # from testing on
    proposal: Tracking | None = None  # the current round's Snapshot proposal, once linked

    @property
    def bounty(self) -> Bounty:
        return self.snapshot.bounty

    @property
    def members(self) -> list[Member]:
        return self.snapshot.members


@dataclass(frozen=True)
class Advanced:
    bounty: Bounty
    overridden: tuple[tuple[qa_rules.QaItem, qa_rules.QaResult], ...]  # QA items not passing, moved anyway


@dataclass(frozen=True)
class ReviewOutcome:
    bounty: Bounty
    review: dict[ReviewItem, ReviewEntry]
    moved_to: State | None


async def queue_access(ch: Change, bounty_id: int, user_id: int, *, allow: bool) -> None:
    """Let someone into the bounty's private channel, or out of it, keyed by the audit row just written."""
    await ch.send(
        f"bounty:{bounty_id}:access:{ch.audit_ids[-1]}",
        "bounty.access",
        bounty_id=bounty_id,
        user_id=user_id,
        allow=allow,
    )


class BountyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def find(self, bounty_id: int | None, channel_id: int | None, actor: Actor) -> Bounty:
        """The bounty named, else the one whose channel this is, else the asker's only bounty."""
        conn = self.ctx.conn
        if bounty_id is not None:
            bounty = await bounties.get(conn, bounty_id)
            if bounty is None:
                raise NotFound(f"There is no bounty #{bounty_id}. `/bounty list` shows them all (staff).")
            return bounty
        if channel_id is not None and (bounty := await bounties.by_channel(conn, channel_id)) is not None:
            return bounty
        mine = [b for b in await bounties.for_member(conn, actor.user_id) if b.state not in CLOSED]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise NotFound("Which bounty? Give its number, or run the command in the bounty's channel.")
        numbers = ", ".join(f"#{b.id} {notices.exchange_name(b)}" for b in mine)
        raise NotFound(f"You are on several bounties ({numbers}); give the number of the one you mean.")

    async def visible(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, action: str
    ) -> tuple[Bounty, list[Member]]:
        """The bounty meant, and its members, once `actor` is found to be in `action`'s declared audience."""
        if AUDIENCES[action].access is Access.STAFF:
            authorize(actor, action)  # before any lookup: nothing about the bounty is read for a refusal
        bounty = await self.find(bounty_id, channel_id, actor)
        members = await bounties.members(self.ctx.conn, bounty.id)
        authorize(actor, action, members, bounty.id)
        return bounty, members

    async def status(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> BountyStatus:
        # The hot read path: one query when the bounty is named or this is its channel.
        found = None
        if bounty_id is not None:
            found = await bounties.snapshot(self.ctx.conn, bounty_id=bounty_id)
        elif channel_id is not None:
            found = await bounties.snapshot(self.ctx.conn, channel_id=channel_id)
        if found is None:
            bounty = await self.find(bounty_id, channel_id, actor)
            found = await bounties.snapshot(self.ctx.conn, bounty_id=bounty.id)
            assert found is not None
        authorize(actor, "bounty status", found.members, found.bounty.id)
        now = self.ctx.clock.now()
        config = self.ctx.config
        timeline = build_timeline(found.periods, config.phase_targets, config.total_target, now)
        if found.bounty.state not in VOTED_ON:
            return BountyStatus(found, now=now, timeline=timeline)
        # Governance (and then the release) only matter from testing on: earlier statuses stay one query.
        checklist = await governance.checklist(self.ctx.conn, found.bounty.id)
        proposal = await governance.current(self.ctx.conn, found.bounty.id)
        if found.bounty.state not in SHIPPED:
            return BountyStatus(found, now=now, timeline=timeline, proposal_checklist=checklist, proposal=proposal)
        release = await releases.for_bounty(self.ctx.conn, found.bounty.id)
        years = tuple(await releases.years(self.ctx.conn, found.bounty.id))
        return BountyStatus(
            found,
            now=now,
            timeline=timeline,
            release=release,
            years=years,
            proposal_checklist=checklist,
            proposal=proposal,
        )

    async def list_bounties(self, actor: Actor, state: State | None, limit: int) -> Listing:
        """The newest `limit` bounties (in `state`, if given) and how many there are in all."""
        authorize(actor, "bounty list")
        return await bounties.listing(self.ctx.conn, state, limit)

    async def review(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        item: ReviewItem,
        status: ReviewStatus,
        note: str,
    ) -> ReviewOutcome:
        """Record one technical-review item. The first record opens the review; all five ok completes it."""
        authorize(actor, "bounty review")
        note = visible(note).strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput([f"Note: at most {MAX_NOTE} characters (you gave {len(note)})."])
        if status is ReviewStatus.MISSING and not note:
            raise InvalidInput(["Note: say what is missing, so the exchange knows what to send."])
        bounty = await self.find(bounty_id, channel_id, actor)
        if bounty.state not in REVIEWABLE:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; the technical review is part of setup and is closed."
            )
        moved_to: State | None = None
        async with self.ctx.changes.begin() as ch:
            # Another review (or a payment) may have moved it since the read above: the moves are decided on
            # the bounty as it is inside this change, and a review that setup has closed meanwhile is refused.
            current = await still(ch, bounty, within=REVIEWABLE)
            await bounties.record_review(ch.tx, bounty.id, item, status, note, actor.user_id, ch.now)
            await ch.audit(
                "review_recorded",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                item=item.value,
                status=status.value,
                note=note,
            )
            entries = await bounties.review(ch.tx, bounty.id)
            complete = len(entries) == len(ReviewItem) and all(e.status is ReviewStatus.OK for e in entries.values())
            paid = sum(r.normalized for r in await payments.for_bounty(ch.tx, bounty.id)) if complete else 0
            fee_paid = complete and paid >= to_base_units(current.fee_usd, NORMAL_DECIMALS)
            reasons = {
                State.REVIEW: "Technical review started."
                if current.state is State.INTAKE
                else f"{item.label} is missing: {note}",
                State.AWAITING_PAYMENT: "Technical review complete: every item is ok. Payment is next.",
                # Paid early (before the review closed): the fee is already complete, so it is funded now.
                State.FUNDED: "The fee was already paid in full.",
            }
            for target in after_review(
                current.state, complete=complete, missing=status is ReviewStatus.MISSING, fee_paid=fee_paid
            ):
                current = await transition(
                    ch,
                    self.ctx.config,
                    current,
                    target,
                    role=Role.STAFF,
                    actor_id=actor.user_id,
                    reason=reasons[target],
                )
                moved_to = target
            if status is ReviewStatus.MISSING:
                await ch.send(
                    f"bounty:{bounty.id}:review:{ch.audit_ids[0]}",
                    "bounty.post",
                    bounty_id=bounty.id,
                    notice=notices.Notice(
                        title=f"Technical review: {item.label} is missing",
                        description=for_discord(note),
                        tone="warn",
                        footer="Reply here with what is needed; staff will update the review.",
                    ).to_payload(),
                )
        return ReviewOutcome(current, entries, moved_to)

    async def add_member(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, user_id: int, user_is_bot: bool
    ) -> Bounty:
        bounty, members = await self.visible(actor, bounty_id, channel_id, "bounty members add")
        if user_is_bot:
            raise InvalidInput(["Member: bots cannot be added to a bounty."])
        if bounty.state in CLOSED:
            raise RuleViolation(f"Bounty #{bounty.id} is `{bounty.state.label}`; its membership is closed.")
        if any(m.user_id == user_id for m in members):
            raise RuleViolation(f"<@{user_id}> is already a member of bounty #{bounty.id}.")
        async with self.ctx.changes.begin() as ch:
            await bounties.add_member(ch.tx, bounty.id, user_id, MemberRole.EXCHANGE, actor.user_id, ch.now)
            await ch.audit("member_added", actor_id=actor.user_id, bounty_id=bounty.id, user_id=user_id)
            marker = ch.audit_ids[-1]
            await queue_access(ch, bounty.id, user_id, allow=True)
            await ch.send(
                f"bounty:{bounty.id}:joined:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.Notice(
                    title="New member", description=f"<@{user_id}> was added by <@{actor.user_id}>.", tone="neutral"
                ).to_payload(),
            )
        return bounty

    async def remove_member(self, actor: Actor, bounty_id: int | None, channel_id: int | None, user_id: int) -> Bounty:
        bounty, members = await self.visible(actor, bounty_id, channel_id, "bounty members remove")
        target = next((m for m in members if m.user_id == user_id), None)
        if target is None:
            raise RuleViolation(f"<@{user_id}> is not a member of bounty #{bounty.id}.")
        if target.role is MemberRole.LEAD:
            raise RuleViolation("The exchange lead cannot be removed; Foundation staff can hand the lead over.")
        async with self.ctx.changes.begin() as ch:
            await bounties.remove_member(ch.tx, bounty.id, user_id)
            await ch.audit("member_removed", actor_id=actor.user_id, bounty_id=bounty.id, user_id=user_id)
            await queue_access(ch, bounty.id, user_id, allow=False)
        return bounty

    async def cancel(self, actor: Actor, bounty_id: int | None, channel_id: int | None, reason: str) -> Bounty:
        bounty, members = await self.visible(actor, bounty_id, channel_id, "bounty cancel")
        reason = visible(reason).strip()
        if not reason:
            raise InvalidInput(["Reason: say why the bounty is cancelled; it is kept in the audit trail."])
        if len(reason) > MAX_REASON:
            raise InvalidInput([f"Reason: at most {MAX_REASON} characters (you gave {len(reason)})."])
        role = lifecycle_role(actor, members)
        async with self.ctx.changes.begin() as ch:
            # Decided on the state read above. If a payment landed since, cancelling now means something else
            # (a refund is owed, and only staff may do it): refused, saying what happened, not done blind.
            bounty = await still(ch, bounty)
            updated = await transition(
                ch, self.ctx.config, bounty, State.CANCELLED, role=role, actor_id=actor.user_id, reason=reason
            )
            await ch.cancel_timers(f"bounty:{bounty.id}")
            # What came in must go back: read in this change, so a payment counted a moment ago is included.
            money = await refunds.ledger(ch.tx, bounty.id)
            if money.paid or bounty.state in PAID:
                owed = f"{show_usd(money.returnable)} USD paid to it goes back. " if money.paid else ""
                await ch.send(
                    f"bounty:{bounty.id}:refund_due",
                    "staff.post",
                    notice=notices.Notice(
                        title=f"Refund due: bounty #{bounty.id} {notices.exchange_name(bounty)} was cancelled "
                        "after payment",
                        description=owed + (notices.REFUND_STEPS if money.paid else notices.REFUND_STEPS_UNRECORDED),
                        tone="alert",
                    ).to_payload(),
                )
        return updated

    async def advance(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None, target: State, reason: str
    ) -> Bounty:
        return (await self.move(actor, bounty_id, channel_id, target, reason)).bounty

    async def move(
        self,
        actor: Actor,
        bounty_id: int | None,
        channel_id: int | None,
        target: State,
        reason: str,
        *,
        override: bool = False,
    ) -> Advanced:
        """`/bounty advance`. From testing to governance only when every QA item passes, or with `override`
        and a reason (audited with the items that were not passing, and told in the bounty channel)."""
        authorize(actor, "bounty advance")
        if target is State.REFUNDED:
            # `refunded` says the ledger's money went back; only a refund checked against the ledger may say so.
            raise RuleViolation(
                "A bounty ends `refunded` when its refund is recorded: `/bounty refund` records what was sent back "
                "and moves the bounty once everything paid has gone back."
            )
        bounty = await self.find(bounty_id, channel_id, actor)
        reason = visible(reason).strip()
        if len(reason) > MAX_REASON:
            raise InvalidInput([f"Reason: at most {MAX_REASON} characters (you gave {len(reason)})."])
        if override:
            if target is not State.GOVERNANCE or bounty.state is not State.TESTING:
                raise InvalidInput(
                    [
                        f"Override: it only lifts the QA gate between testing and governance (bounty #{bounty.id} "
                        f"is `{bounty.state.label}`); run the command again without it."
                    ]
                )
            if (problem := qa_rules.override_problem(reason)) is not None:
                raise InvalidInput([problem])
        async with self.ctx.changes.begin() as ch:
            current = await still(ch, bounty)
            missing: list[tuple[qa_rules.QaItem, qa_rules.QaResult]] = []
            if current.state is State.TESTING and target is State.GOVERNANCE:
                # The gate, on the results as they are inside this change.
                missing = qa_rules.QaProgress(await qa.latest(ch.tx, bounty.id)).not_passing
                if missing and not override:
                    raise RuleViolation(qa_rules.gate_refusal(bounty.id, missing))
                if missing:
                    await ch.audit(
                        "qa_gate_overridden",
                        actor_id=actor.user_id,
                        bounty_id=bounty.id,
                        reason=reason,
                        not_passing={item.key: result.value for item, result in missing},
                    )
                    notice = qa_notices.gate_overridden(current, actor.user_id, reason, missing).to_payload()
                    marker = ch.audit_ids[-1]
                    await ch.send(
                        f"bounty:{bounty.id}:qa_override:{marker}", "bounty.post", bounty_id=bounty.id, notice=notice
                    )
                    await ch.send(f"staff:qa_override:{marker}", "staff.post", notice=notice)
            moved = await transition(
                ch,
                self.ctx.config,
                current,
                target,
                role=Role.STAFF,
                actor_id=actor.user_id,
                reason=reason or "Moved by staff.",
            )
            if target is State.MAINTENANCE and not await releases.years(ch.tx, bounty.id):
                await self._start_year_by_hand(ch, bounty.id, actor.user_id)
        return Advanced(moved, tuple(missing))

    async def _start_year_by_hand(self, ch: Change, bounty_id: int, actor_id: int) -> None:
        """Moved into maintenance by hand, without a recorded release: the maintenance year still starts (now),
        or the bounty would never be asked for its renewal, never be reported on, and never end."""
        from bot.services import maintenance, reports  # they build on this service

        await maintenance.start_year(ch, MaintenanceYear(bounty_id, 1, ch.now, one_year_after(ch.now), None))
        await reports.start_maintenance_reports(ch, bounty_id, ch.now)
        await ch.audit("maintenance_year_started", actor_id=actor_id, bounty_id=bounty_id, year=1, by_hand=True)

    async def audit_trail(
        self, actor: Actor, bounty_id: int | None, channel_id: int | None
    ) -> tuple[Bounty, list[AuditEntry]]:
        authorize(actor, "audit")
        bounty = await self.find(bounty_id, channel_id, actor)
        return bounty, await audit.for_bounty(self.ctx.conn, bounty.id)
