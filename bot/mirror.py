"""Outbox handlers for GitHub: the bounty issue, the Bounties Board item and its Status, phase labels and
comments, weekly updates, the checklist's task list, and bugs as their own issues. Only these are mirrored;
a private channel's chat never is.

Every write is idempotent, so that a retry after an ambiguous failure (a 502, a timeout, a crash: GitHub may
have made the thing and the bot never heard) repeats nothing. An issue is looked up by its hidden marker
before it is created; a comment carries a hidden marker of its own, and a retry after an unanswered attempt
looks for it among the issue's comments first. Both lookups list (GitHub's search index trails writes).
Adding to the board returns the existing item, labels are sets, and the body edits rewrite to a target.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.changes import Changes
from bot.config import Config
from bot.domain import github_text, notices
from bot.domain.bugs import Bug, BugState
from bot.domain.checklists import ChecklistKind, tasks
from bot.domain.lifecycle import State
from bot.domain.models import Bounty
from bot.integrations.github import Board, GitHubClient, GitHubRateLimited, GitHubRejected
from bot.outbox import Outbox, PermanentFailure, RetryLater
from bot.store import bounties, bugs, checklists, payouts
from bot.store import github as store

log = logging.getLogger(__name__)
Payload = dict[str, Any]
PHASE_LABEL = "phase: "
# How far before an unanswered attempt a retry looks for its comment: GitHub dates the comment by its own
# clock, the attempt is dated by the bot's.
CLOCK_SKEW_SECONDS = 600


def write_key(kind: str, payload: Payload) -> str:
    """One outbox item's write, named by what it is (the outbox queues each once under its own key)."""
    return hashlib.sha256(f"{kind}\n{json.dumps(payload, sort_keys=True)}".encode()).hexdigest()[:20]


def write_marker(key: str) -> str:
    return f"<!-- bountybot:write:{key} -->"


def marked(body: str, key: str) -> str:
    """`body` with the write's hidden marker on its first line, after the bot's own (so it stays the bot's)."""
    marker = write_marker(key)
    if body.startswith(github_text.COMMENT_MARKER):
        return github_text.COMMENT_MARKER + marker + body[len(github_text.COMMENT_MARKER) :]
    return f"{marker}\n{body}"


class GitHubMirror:
    def __init__(self, client: GitHubClient | None, changes: Changes, config: Config) -> None:
        self.client = client
        self.changes = changes
        self.config = config
        self._board: Board | None = None

    def register(self, outbox: Outbox) -> None:
        handlers: dict[str, Callable[[Payload], Awaitable[Payload]]] = {
            "github.bounty_issue": self.bounty_issue,
            "github.board": self.board_status,
            "github.phase": self.phase,
            "github.comment": self.comment,
            "github.checklist": self.checklist,
            "github.bug_issue": self.bug_issue,
            "github.bug_state": self.bug_state,
            "github.bug_label": self.bug_label,
            "github.bug_comment": self.bug_comment,
        }
        for kind, handler in handlers.items():
            outbox.register(kind, self._guarded(handler))

    def _guarded(self, handler: Callable[[Payload], Awaitable[Payload]]) -> Callable[[Payload], Awaitable[Payload]]:
        async def run(payload: Payload) -> Payload:
            if self.client is None:
                raise RetryLater("the GitHub mirror is not configured (no GITHUB_TOKEN)", after=3600)
            try:
                return await handler(payload)
            except GitHubRateLimited as exc:
                raise RetryLater(str(exc), after=exc.retry_after) from exc  # honour Retry-After exactly
            except GitHubRejected as exc:
                raise PermanentFailure(str(exc)) from exc

        return run

    @property
    def _live(self) -> GitHubClient:
        """The client, inside a handler (where `_guarded` has checked it exists)."""
        assert self.client is not None
        return self.client

    async def bounty_issue(self, payload: Payload) -> Payload:
        client = self._live
        bounty_id = int(payload["bounty_id"])
        conn = self.changes.db.conn
        existing = await store.issue_for(conn, bounty_id)
        if existing is not None:
            return {"number": existing.number, "url": existing.url}
        bounty = await bounties.get(conn, bounty_id)
        if bounty is None:
            raise PermanentFailure(f"bounty {bounty_id} does not exist")
        marker = github_text.marker(bounty_id)
        # Look before creating: a previous attempt's response may have been lost after GitHub made the issue.
        labels = self.config.github.labels
        issue = await client.find_marked_issue(marker, label=labels[0] if labels else None)
        if issue is None:
            await client.ensure_labels(self.config.github.labels)
            review = await bounties.review(conn, bounty_id)
            body = github_text.issue_body(bounty, review, developer_portion=self.config.github.developer_portion)
            issue = await client.create_issue(github_text.issue_title(bounty), body, self.config.github.labels)
        async with self.changes.begin() as ch:
            await store.save_issue(ch.tx, bounty_id, issue.number, issue.url, issue.node_id, ch.now)
            await ch.audit(
                "github_issue_created", actor_id=None, bounty_id=bounty_id, number=issue.number, url=issue.url
            )
            await ch.send(
                f"bounty:{bounty_id}:github_link",
                "bounty.post",
                bounty_id=bounty_id,
                notice=notices.Notice(
                    title="Your bounty is public on GitHub",
                    description=f"{issue.url}\nIt is on the Bounties Board; developer selection begins.",
                    tone="ok",
                ).to_payload(),
            )
            await ch.send(f"bounty:{bounty_id}:board", "github.board", bounty_id=bounty_id)
        return {"number": issue.number, "url": issue.url}

    async def _issue(self, bounty_id: int) -> store.IssueRow:
        """The bounty's public issue; an effect that needs it waits until it exists."""
        row = await store.issue_for(self.changes.db.conn, bounty_id)
        if row is None:
            raise RetryLater(f"bounty {bounty_id} has no GitHub issue yet", after=30)
        return row

    async def _published(self, bounty_id: int) -> tuple[store.IssueRow, Bounty]:
        row = await self._issue(bounty_id)
        bounty = await bounties.get(self.changes.db.conn, bounty_id)
        if bounty is None:
            raise PermanentFailure(f"bounty {bounty_id} does not exist")
        return row, bounty

    async def _the_board(self, client: GitHubClient) -> Board:
        if self._board is None:
            gh = self.config.github
            self._board = await client.board(gh.project_owner, gh.project_number)
        return self._board

    async def board_status(self, payload: Payload) -> Payload:
        client = self._live
        bounty_id = int(payload["bounty_id"])
        row, bounty = await self._published(bounty_id)
        payout = await payouts.get(self.changes.db.conn, bounty_id)
        status = github_text.board_status(bounty.state, developer_paid=payout is not None and payout.paid)
        if status is None:
            return {"skipped": bounty.state.value}
        board = await self._the_board(client)
        item_id = row.project_item_id or await client.add_to_board(board, row.node_id)
        if row.board_status != status:
            await client.set_status(board, item_id, status)
        async with self.changes.begin() as ch:
            await store.set_board(ch.tx, bounty_id, item_id, status)
        return {"item": item_id, "status": status}

    async def phase(self, payload: Payload) -> Payload:
        client = self._live
        bounty_id = int(payload["bounty_id"])
        row = await self._issue(bounty_id)
        old, new = State(str(payload["old"])), State(str(payload["new"]))
        await client.add_labels(row.number, (PHASE_LABEL + new.label,), replacing=PHASE_LABEL)
        comment_id = await self._comment_once(
            "github.phase", payload, row.number, github_text.phase_comment(old, new, "")
        )
        async with self.changes.begin() as ch:
            await ch.send(f"bounty:{bounty_id}:board:{payload['marker']}", "github.board", bounty_id=bounty_id)
        return {"comment": comment_id}

    async def comment(self, payload: Payload) -> Payload:
        """A mirrored update (weekly updates use it): neutralised text as a comment on the bounty issue."""
        row = await self._issue(int(payload["bounty_id"]))
        comment_id = await self._comment_once(
            "github.comment", payload, row.number, github_text.bot_comment(str(payload["body"]))
        )
        return {"comment": comment_id}

    async def _comment_once(self, kind: str, payload: Payload, number: int, body: str) -> int:
        """Post the outbox item's comment unless an earlier, unanswered attempt already did."""
        client = self._live
        client.pace(write=True)  # (a comment that cannot go yet is not noted as sent, nor looked for)
        key = write_key(kind, payload)
        async with self.changes.begin() as ch:
            earlier = await store.write_begun(ch.tx, key, ch.now)
        if earlier is not None:
            found = await client.find_marked_comment(number, write_marker(key), since=earlier - CLOCK_SKEW_SECONDS)
            if found is not None:
                log.info("comment %s on #%s was made by an attempt whose answer was lost", key, number)
                await self._settled(key)
                return found
        try:
            comment_id = await client.comment(number, marked(body, key))
        except (GitHubRateLimited, GitHubRejected):
            await self._settled(key)  # refused before anything was made: nothing to look for next time
            raise
        # (Any other failure, a 5xx, a timeout, a dropped connection or a crash, keeps the note: GitHub may
        # have made the comment, and the retry looks for it.)
        await self._settled(key)
        return comment_id

    async def _settled(self, key: str) -> None:
        async with self.changes.begin() as ch:
            await store.write_settled(ch.tx, key)

    async def checklist(self, payload: Payload) -> Payload:
        """Tick the issue's task list as the checklist stands now (GitHub's other edits to the body are kept)."""
        client = self._live
        bounty_id = int(payload["bounty_id"])
        row, bounty = await self._published(bounty_id)
        done = await checklists.done(self.changes.db.conn, bounty_id, ChecklistKind.IMPLEMENTATION)
        all_tasks = tasks(ChecklistKind.IMPLEMENTATION, bounty.form.exchange_type)
        edited = await client.edit_body(row.number, lambda body: github_text.tick_tasks(body, all_tasks, done))
        return {"edited": edited}

    async def _bug(self, payload: Payload) -> Bug:
        bug = await bugs.get(self.changes.db.conn, int(payload["bug_id"]))
        if bug is None:
            raise PermanentFailure(f"bug {payload['bug_id']} does not exist")
        return bug

    async def _bug_issue_number(self, payload: Payload) -> tuple[Bug, int]:
        """The bug and its own issue's number; an effect that needs the issue waits until it exists."""
        bug = await self._bug(payload)
        if bug.github_number is None:
            raise RetryLater(f"bug {bug.id} has no GitHub issue yet", after=30)
        return bug, bug.github_number

    async def bug_issue(self, payload: Payload) -> Payload:
        """The bug's own issue, labelled `bug` and its severity, linked from the bounty issue."""
        client = self._live
        bug = await self._bug(payload)
        if bug.github_number is not None:
            return {"number": bug.github_number}
        row, bounty = await self._published(bug.bounty_id)
        labels = github_text.bug_labels(bug)
        issue = await client.find_marked_issue(github_text.bug_marker(bug.id), label=labels[0])
        if issue is None:
            await client.ensure_labels(labels, {"bug": "d73a4a"})
            body = github_text.bug_body(bug, row.number)
            issue = await client.create_issue(github_text.bug_title(bug, bounty), body, labels)
        async with self.changes.begin() as ch:
            await bugs.set_github(ch.tx, bug.id, issue.number, issue.url)
            await ch.audit(
                "bug_issue_created", actor_id=None, bounty_id=bug.bounty_id, bug_id=bug.id, number=issue.number
            )
            await ch.send(
                f"bug:{bug.id}:github_link",
                "github.comment",
                bounty_id=bug.bounty_id,
                body=github_text.bug_link_text(bug, issue.number),
            )
            now = await bugs.get(ch.tx, bug.id)
            if now is not None and now.state is BugState.RESOLVED:
                # Resolved in Discord before its issue existed: the issue must not stay open.
                await ch.send(f"bug:{bug.id}:github_state:created", "github.bug_state", bug_id=bug.id)
        return {"number": issue.number, "url": issue.url}

    async def bug_state(self, payload: Payload) -> Payload:
        """Close or reopen the bug's issue to match the bug as it is now."""
        client = self._live
        bug, number = await self._bug_issue_number(payload)
        await client.set_open(number, bug.state is BugState.OPEN)
        return {"open": bug.state is BugState.OPEN}

    async def bug_label(self, payload: Payload) -> Payload:
        client = self._live
        _, number = await self._bug_issue_number(payload)
        label = str(payload["label"])
        await client.ensure_labels((label,), {label: "b60205"})
        # `replacing`: a label prefix whose other labels go (a severity change swaps `severity: …`).
        replacing = payload.get("replacing")
        if replacing:
            await client.add_labels(number, (label,), replacing=str(replacing))
        else:
            await client.add_labels(number, (label,))
        return {"label": label}

    async def bug_comment(self, payload: Payload) -> Payload:
        """A comment on the bug's own issue (its resolve note and time to resolve, a severity change)."""
        _, number = await self._bug_issue_number(payload)
        comment_id = await self._comment_once(
            "github.bug_comment", payload, number, github_text.bot_comment(str(payload["body"]))
        )
        return {"comment": comment_id}
