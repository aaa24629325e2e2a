"""GitHub → Discord: what happens on GitHub that the bounty cares about.

- A pull request that references the bounty's issue (`#123` or its URL) marks the bounty Submitted (the
  lifecycle moves from development to testing); merged, it marks it Merged and the lifecycle moves on to
  governance, if every QA item passes (otherwise it stays in testing and staff are told what is missing).
  Each pull request state is acted on once, whether it arrives by webhook or by polling.
- A bug's issue closed or reopened resolves or reopens the bug.
- A comment by the assigned developer on the bounty's issue (or one of its bugs) counts as activity; the
  bot's own comments, and anyone else's, do not.
- A published release whose notes name the bounty's issue or one of its pull requests records the bounty's
  release (bot/services/releases.py), once, whether it arrives by webhook, by polling or after `/release record`.
- So does the developer's work itself: commits they push (webhook `push`), pushes to their pull request
  (`pull_request` opened, reopened or synchronize, by them) and, when polling, a pull request of theirs that
  changed (dated by its `updated_at`). It counts on every bounty they are building or is under test.
"""

from __future__ import annotations

import re

from bot.domain import qa_notices
from bot.domain.github_text import is_bot_comment
from bot.domain.lifecycle import Role, State
from bot.domain.qa import QaProgress
from bot.domain.weekly import PROMPTED
from bot.integrations.github import (
    MAX_PER_PAGE,
    CommentInfo,
    GitHubClient,
    IssueState,
    PullRequestInfo,
    ReleaseInfo,
    changed_comments,
    changed_issues,
    epoch,
    iso,
    recent_releases,
)
from bot.services import payouts
from bot.services.bugs import BugService
from bot.services.context import ServiceContext
from bot.services.lifecycle import transition
from bot.services.releases import ReleaseService
from bot.store import bounties, bugs, developers, qa
from bot.store import github as store

_REFERENCE = re.compile(r"(?:#|/issues/)(\d+)\b")
# Before the bot's first issue, by this much (GitHub's clock against the bot's): where the first comment poll
# starts. Nothing older can be about a bounty, and a large repository's whole history is not read.
FIRST_POLL_MARGIN_SECONDS = 3600


class GitHubEvents:
    def __init__(self, ctx: ServiceContext, bug_service: BugService, releases: ReleaseService | None = None) -> None:
        self.ctx = ctx
        self.bugs = bug_service
        self.releases = releases

    async def first_delivery(self, delivery: str, event: str) -> bool:
        async with self.ctx.changes.begin() as ch:
            return await store.first_delivery(ch.tx, delivery, event, ch.now)

    async def on_pull_request(self, pr: PullRequestInfo) -> list[int]:
        """Act on one pull request; returns the bounties it moved."""
        moved = []
        state = "merged" if pr.merged else ("open" if pr.open else "closed")
        for number in sorted({int(n) for n in _REFERENCE.findall(f"{pr.title}\n{pr.body}")}):
            row = await store.by_number(self.ctx.conn, number)
            if row is None or await store.pull_state(self.ctx.conn, pr.number) == state:
                continue
            async with self.ctx.changes.begin() as ch:
                await store.set_pull_state(ch.tx, pr.number, row.bounty_id, state, ch.now)
                await ch.audit(
                    "pull_request",
                    actor_id=None,
                    bounty_id=row.bounty_id,
                    number=pr.number,
                    state=state,
                    author=pr.author,
                )
                bounty = await bounties.get(ch.tx, row.bounty_id)
                assert bounty is not None
                steps: list[tuple[State, State, str]] = []
                if state in ("open", "merged"):
                    steps.append((State.DEVELOPMENT, State.TESTING, f"Pull request #{pr.number} submitted."))
                if state == "merged":
                    steps.append((State.TESTING, State.GOVERNANCE, f"Pull request #{pr.number} merged."))
                for before, after, reason in steps:
                    if bounty.state is before and after is State.GOVERNANCE:
                        # The QA gate holds for a merge too: staff are told what is missing, once per pull request.
                        missing = QaProgress(await qa.latest(ch.tx, bounty.id)).not_passing
                        if missing:
                            notice = qa_notices.merge_held(bounty, pr.number, missing).to_payload()
                            await ch.send(f"bounty:{bounty.id}:qa_merge_held:{pr.number}", "staff.post", notice=notice)
                            await ch.audit(
                                "qa_gate_held",
                                actor_id=None,
                                bounty_id=bounty.id,
                                number=pr.number,
                                not_passing={item.key: result.value for item, result in missing},
                            )
                            continue
                    if bounty.state is before:
                        bounty = await transition(
                            ch, self.ctx.config, bounty, after, role=Role.SYSTEM, actor_id=None, reason=reason
                        )
                        moved.append(row.bounty_id)
                if state == "merged":
                    await payouts.on_merged(ch, row.bounty_id)  # the developer is paid within 30 days of it
        return moved

    async def on_release(self, release: ReleaseInfo) -> list[int]:
        """A release published; returns the bounties recorded as released in it now."""
        return await self.releases.on_github_release(release) if self.releases is not None else []

    async def on_issue(self, issue: IssueState) -> bool:
        """An issue closed or reopened; True when it was a bug's and the bug changed."""
        changed = await self.bugs.on_github_issue(issue.number, "open" if issue.open else "closed", issue.by)
        return changed is not None

    async def on_comment(self, comment: CommentInfo) -> bool:
        """True when the comment counted as the assigned developer's activity."""
        if is_bot_comment(comment.body):
            return False
        conn = self.ctx.conn
        row = await store.by_number(conn, comment.issue_number)
        bounty_id = row.bounty_id if row is not None else None
        if bounty_id is None and (bug := await bugs.by_github_number(conn, comment.issue_number)) is not None:
            bounty_id = bug.bounty_id
        if bounty_id is None:
            return False
        assignment = await developers.for_bounty(conn, bounty_id)
        if assignment is None or assignment.github_login.lower() != comment.author.lower():
            return False
        async with self.ctx.changes.begin() as ch:
            # Dated by the comment itself: a poll that finds an old comment does not make it fresh activity.
            await developers.touch(ch.tx, bounty_id, min(ch.now, comment.created_at or ch.now))
            await ch.audit(
                "developer_activity",
                actor_id=None,
                bounty_id=bounty_id,
                source="github_comment",
                issue=comment.issue_number,
                comment=comment.id,
            )
        return True

    async def on_activity(self, login: str, source: str, at: int | None = None, **detail: object) -> list[int]:
        """GitHub user `login` did something (pushed, updated a pull request): activity on each bounty they are
        building. `at`: when GitHub says it happened (a poll finds things late); returns the bounties touched."""
        if not login:
            return []
        found = await developers.by_login(self.ctx.conn, login, PROMPTED)
        if not found:
            return []
        touched = []
        async with self.ctx.changes.begin() as ch:
            when = min(ch.now, at or ch.now)
            for assignment in found:
                current = await developers.for_bounty(ch.tx, assignment.bounty_id)
                # Already counted (a poll lists the same pull request until the listing moves on).
                if current is None or current.user_id != assignment.user_id or when <= current.last_activity_at:
                    continue
                await developers.touch(ch.tx, assignment.bounty_id, when)
                await ch.audit(
                    "developer_activity", actor_id=None, bounty_id=assignment.bounty_id, source=source, **detail
                )
                touched.append(assignment.bounty_id)
        return touched

    async def poll_once(self, client: GitHubClient, base_url: str) -> int:
        """The polling fallback: conditional requests, so a quiet repository costs only 304s (which GitHub does
        not count against the hour). Returns how many things it acted on."""
        issues = await self._poll_issues(client, base_url)
        return issues + await self._poll_comments(client, base_url) + await self._poll_releases(client, base_url)

    async def _poll_releases(self, client: GitHubClient, base_url: str) -> int:
        """The newest releases, conditional on the last page's ETag; asked only while a bounty awaits its release
        (`approved`), so a quiet repository costs nothing. Each release is acted on once per bounty (its
        release row), however often it is listed."""
        if self.releases is None or (await bounties.listing(self.ctx.conn, State.APPROVED, 1)).total == 0:
            return 0
        polled = await recent_releases(client, base_url, await store.etag(self.ctx.conn, "releases"))
        if polled is None:
            return 0
        etag, found = polled
        acted = 0
        for release in sorted(found, key=lambda r: r.id):
            acted += len(await self.on_release(release))
        if etag:
            async with self.ctx.changes.begin() as ch:
                await store.set_etag(ch.tx, "releases", etag)
        return acted

    async def _window(self, listing: str) -> tuple[str, str | None] | None:
        """Where the poll of `listing` starts (its `since`) and its first page's ETag; None before the bot's
        first issue, when nothing on GitHub can be about a bounty yet."""
        conn = self.ctx.conn
        since = await store.etag(conn, f"{listing}:since")
        if since is None:
            first = await store.first_issue_at(conn)
            if first is None:
                return None
            since = iso(first - FIRST_POLL_MARGIN_SECONDS)
        return since, await store.etag(conn, listing)

    async def _looked(
        self, listing: str, since: str, etag: str | None, count: int, newest: int | None, last_id: int | None = None
    ) -> None:
        """Remember where the next poll of `listing` starts.

        `since` stays put, and the first page's ETag answers for the listing, until the listing has grown past a
        page; then `since` moves up to the newest update seen. Moving it on every change would cost a second
        full read after each one (a new `since` is a new query, with no ETag to send); this way a change costs
        one page, and a quiet repository only 304s."""
        async with self.ctx.changes.begin() as ch:
            if count >= MAX_PER_PAGE and newest:
                # A second back: `since` means "updated after", and a change made later in the same second as
                # the newest seen must not be missed (reading that second again acts on nothing twice).
                await store.set_etag(ch.tx, f"{listing}:since", iso(newest - 1))
                await store.set_etag(ch.tx, listing, "")  # the ETag answered the old `since` only
            else:
                await store.set_etag(ch.tx, f"{listing}:since", since)
                if etag:
                    await store.set_etag(ch.tx, listing, etag)
            if last_id is not None:
                await store.set_etag(ch.tx, f"{listing}:last_id", str(last_id))

    async def _poll_issues(self, client: GitHubClient, base_url: str) -> int:
        """Every issue and pull request updated since `since` (all pages), the first page conditional: a pull
        request merged, or a bug's issue closed, among a busy hour's updates is still seen."""
        window = await self._window("issues")
        if window is None:
            return 0
        since, etag = window
        changed = await changed_issues(client, base_url, etag, since)
        if changed is None:
            return 0
        acted = 0
        # Each is acted on once however often it is listed: a pull request's state and a bug's are kept.
        for pr in changed.pulls:
            acted += len(await self.on_pull_request(pr))
            if pr.open or pr.merged:  # a pull request of the developer's that changed: they are at work
                acted += len(await self.on_activity(pr.author, "pull_request", pr.updated_at, number=pr.number))
        for issue in changed.issues:
            acted += await self.on_issue(issue)
        await self._looked("issues", since, changed.etag, changed.count, changed.newest)
        return acted

    async def _poll_comments(self, client: GitHubClient, base_url: str) -> int:
        """Every comment updated since `since` (all pages), the first page conditional."""
        window = await self._window("comments")
        if window is None:
            return 0
        since, etag = window
        polled = await changed_comments(client, base_url, etag, since)
        if polled is None:
            return 0
        new_etag, found = polled
        acted = 0
        # Comment ids only grow: the high-water mark keeps an edited old comment from counting again.
        seen = int(await store.etag(self.ctx.conn, "comments:last_id") or 0)
        for comment in sorted(found, key=lambda c: c.id):
            if comment.id > seen:
                acted += await self.on_comment(comment)
        newest = max((epoch(c.updated_at) or 0 for c in found), default=0)
        last_id = max(seen, *(c.id for c in found)) if found else None
        await self._looked("comments", since, new_etag, len(found), newest or None, last_id)
        return acted
