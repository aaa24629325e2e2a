"""The QA protocol: record a QA item's result (pass, fail or not yet) with its evidence, open a bug from a
failed item in the same step, and the gate that keeps a bounty out of governance until every item passes.

Staff record the functional and integration items, the exchange team (and staff) the exchange-validation
items: each group's audience is declared in `AUDIENCES` and checked here, whatever calls the service. Every
recording is a row and an audit row; the bounty channel is told and the public issue gets a comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.changes import Change
from bot.domain import github_text, qa_notices
from bot.domain.access import Actor, may, membership
from bot.domain.bugs import Bug, Severity
from bot.domain.errors import InvalidInput, RuleViolation, UserFacingError
from bot.domain.lifecycle import State
from bot.domain.models import Bounty, Member, MemberRole
from bot.domain.qa import (
    BY_KEY,
    ITEMS,
    QaItem,
    QaProgress,
    QaRecord,
    QaResult,
    bug_description,
    bug_title,
    clean_note,
    unknown_item,
)
from bot.services.bounties import BountyService
from bot.services.bugs import BugService
from bot.services.context import ServiceContext
from bot.services.lifecycle import still
from bot.store import qa

# QA is recorded from the developer's assignment (a functional test on a testnet build) until the bounty leaves
# testing; the gate reads the results when it moves on.
RECORDABLE = frozenset({State.DEVELOPMENT, State.TESTING})


@dataclass(frozen=True)
class QaView:
    bounty: Bounty
    progress: QaProgress
    recordable: tuple[QaItem, ...]  # the items this person may record now (none: view only)


@dataclass(frozen=True)
class Recorded:
    bounty: Bounty
    item: QaItem
    record: QaRecord
    progress: QaProgress
    bug: Bug | None = None
    bug_problem: str | None = None  # why the bug asked for could not be opened (the result is recorded)


async def progress_in(ch: Change, bounty_id: int) -> QaProgress:
    """Where QA stands, read inside the change that decides on it."""
    return QaProgress(await qa.latest(ch.tx, bounty_id))


def verifier(actor: Actor, members: list[Member]) -> str:
    """Who verified an item, in words for GitHub."""
    if actor.is_staff:
        return "Foundation staff"
    if membership(actor, members) in (MemberRole.LEAD, MemberRole.EXCHANGE):
        return "the exchange team"
    return "a bounty member"


class QaService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService, bugs_: BugService) -> None:
        self.ctx = ctx
        self.bounties = bounties_
        self.bugs = bugs_

    async def view(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> QaView:
        """The QA checklist with each item's latest result, and which items this person may record."""
        bounty, members = await self.bounties.visible(actor, bounty_id, channel_id, "checklist")
        progress = QaProgress(await qa.latest(self.ctx.conn, bounty.id))
        recordable: tuple[QaItem, ...] = ()
        if bounty.state in RECORDABLE:
            recordable = tuple(i for i in ITEMS if may(actor, i.group.action, members, bounty.id))
        return QaView(bounty, progress, recordable)

    def _item(self, key: str) -> QaItem:
        item = BY_KEY.get(key)
        if item is None:
            raise InvalidInput([unknown_item(key)])
        return item

    async def _open(self, actor: Actor, bounty_id: int, item: QaItem) -> tuple[Bounty, list[Member]]:
        """The bounty, once `actor` is found to be in the audience of `item`'s group and QA is being recorded."""
        bounty, members = await self.bounties.visible(actor, bounty_id, None, item.group.action)
        if bounty.state not in RECORDABLE:
            raise RuleViolation(
                f"Bounty #{bounty.id} is `{bounty.state.label}`; QA results are recorded during development and "
                "testing."
            )
        return bounty, members

    async def prepare(self, actor: Actor, bounty_id: int, key: str) -> tuple[QaItem, QaRecord | None]:
        """Before the form opens: may `actor` record this item now, and its latest result (to start from)."""
        item = self._item(key)
        bounty, _ = await self._open(actor, bounty_id, item)
        return item, (await qa.latest(self.ctx.conn, bounty.id)).get(item.key)

    async def record(
        self,
        actor: Actor,
        bounty_id: int,
        key: str,
        result: str,
        note: str,
        open_bug: Severity | None = None,
    ) -> Recorded:
        """Record `result` for the QA item `key`, with its note; a fail with `open_bug` also opens a bug."""
        item = self._item(key)
        bounty, members = await self._open(actor, bounty_id, item)
        try:
            outcome = QaResult(result)
        except ValueError:
            raise InvalidInput(["Result: choose pass, fail or not yet."]) from None
        problems, note = clean_note(outcome, note)
        if open_bug is not None and outcome is not QaResult.FAIL:
            problems.append("Open a bug: only a failed item opens a bug; choose fail, or no bug.")
        if problems:
            raise InvalidInput(problems)
        async with self.ctx.changes.begin() as ch:
            # Decided on the state read above; recording stays open while it is still development or testing.
            bounty = await still(ch, bounty, within=RECORDABLE)
            before = (await qa.latest(ch.tx, bounty.id)).get(item.key)
            record_id = await qa.record(ch.tx, bounty.id, item.key, outcome, note, actor.user_id, ch.now)
            await ch.audit(
                "qa_recorded",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                item=item.key,
                group=item.group.value,
                result=outcome.value,
                note=note,
                previous=before.result.value if before else None,
            )
            marker = ch.audit_ids[-1]
            progress = await progress_in(ch, bounty.id)
            record = progress.latest[item.key]
            await ch.send(
                f"bounty:{bounty.id}:qa:{marker}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=qa_notices.recorded(bounty, item, record, progress).to_payload(),
            )
            body = github_text.qa_comment(
                item.label,
                outcome.label,
                note,
                verifier(actor, members),
                ch.now,
                progress.passing,
                progress.total,
            )
            await ch.send(f"bounty:{bounty.id}:github_qa:{marker}", "github.comment", bounty_id=bounty.id, body=body)
        done = Recorded(bounty, item, record, progress)
        if open_bug is None:
            return done
        return await self._open_bug(actor, done, record_id, open_bug)

    async def _open_bug(self, actor: Actor, done: Recorded, record_id: int, severity: Severity) -> Recorded:
        """The bug a failed item opens: titled from the item, described by the note, linked to the result."""
        try:
            bug = await self.bugs.report(
                actor,
                done.bounty.id,
                None,
                severity,
                bug_title(done.item),
                bug_description(done.item, done.record.note),
            )
        except UserFacingError as exc:
            # The result stands (it is what was found); the bug can still be opened with /bug report.
            return Recorded(done.bounty, done.item, done.record, done.progress, bug_problem=exc.message)
        async with self.ctx.changes.begin() as ch:
            await qa.set_bug(ch.tx, record_id, bug.id)
            await ch.audit(
                "qa_bug_opened", actor_id=actor.user_id, bounty_id=done.bounty.id, item=done.item.key, bug_id=bug.id
            )
            progress = await progress_in(ch, done.bounty.id)
        return Recorded(done.bounty, done.item, progress.latest[done.item.key], progress, bug=bug)
