"""GitHub → Discord: what a pull request referencing a bounty issue means for the bounty.

A pull request that references the bounty's issue (`#123` or its URL) marks the bounty Submitted (the
lifecycle moves from development to testing); merged, it marks it Merged and the lifecycle moves on to
governance. Each pull request state is acted on once, whether it arrives by webhook or by polling.
"""

from __future__ import annotations

import re

from bot.domain.lifecycle import Role, State
from bot.integrations.github import GitHubClient, PullRequestInfo, changed_pull_requests
from bot.services.context import ServiceContext
from bot.services.lifecycle import transition
from bot.store import bounties
from bot.store import github as store

_REFERENCE = re.compile(r"(?:#|/issues/)(\d+)\b")


class GitHubEvents:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

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
                    if bounty.state is before:
                        bounty = await transition(
                            ch, self.ctx.config, bounty, after, role=Role.SYSTEM, actor_id=None, reason=reason
                        )
                        moved.append(row.bounty_id)
        return moved

    async def poll_once(self, client: GitHubClient, base_url: str) -> int:
        """The polling fallback: one conditional request; a 304 costs nothing against the quota's patience."""
        etag = await store.etag(self.ctx.conn, "issues")
        changed = await changed_pull_requests(client, base_url, etag)
        if changed is None:
            return 0
        new_etag, pulls = changed
        moved = 0
        for pr in pulls:
            moved += len(await self.on_pull_request(pr))
        if new_etag:
            async with self.ctx.changes.begin() as ch:
                await store.set_etag(ch.tx, "issues", new_etag)
        return moved
