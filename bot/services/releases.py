"""Release (DESIGN.md §2, §3, §8): a bounty's connector ships in a Hummingbot release.

Recorded by staff (`/release record bounty version`) or found in a published GitHub release whose notes name
the bounty's issue or one of its pull requests (webhook `release` or the polling fallback). Either way, one
change records the release, moves the bounty `approved → released → maintenance` (two audited,
compare-and-set transitions), starts maintenance year 1 (its end stored, its timers scheduled), starts the
maintenance reports, announces it in the announcements channel and the bounty channel, and comments on the
bounty's GitHub issue. A bounty's release is recorded once: the command and the webhook for the same release,
in either order or at the same moment, record it once (the second is told, or ignored).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.changes import Change
from bot.domain import release_notices
from bot.domain.access import Actor, authorize
from bot.domain.errors import RuleViolation
from bot.domain.lifecycle import Role, State
from bot.domain.links import url_problem
from bot.domain.models import Bounty
from bot.domain.notices import Notice, exchange_name, ts
from bot.domain.releases import MaintenanceYear, Release, one_year_after, parse_version, references, version_of
from bot.integrations.github import ReleaseInfo
from bot.services import reports
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.services.lifecycle import still, transition
from bot.services.maintenance import start_year
from bot.store import bounties, releases
from bot.store import github as github_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    bounty: Bounty
    release: Release
    year: MaintenanceYear


def _already(bounty: Bounty, release: Release) -> RuleViolation:
    where = "from its GitHub release" if release.source == "github" else "by staff"
    return RuleViolation(
        f"Bounty #{bounty.id} {exchange_name(bounty)} is already recorded as released in {release.version} "
        f"({ts(release.released_at, 'D')}, {where}); a bounty ships once."
    )


def _not_approved(bounty: Bounty) -> RuleViolation:
    return RuleViolation(
        f"Bounty #{bounty.id} is `{bounty.state.label}`: a release is recorded once the governance vote has "
        "approved it (`approved`), and moves it to `released` and then `maintenance`."
    )


class ReleaseService:
    def __init__(self, ctx: ServiceContext, bounty_service: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounty_service

    async def record(self, actor: Actor, bounty_id: int, version_text: str) -> Recorded:
        """`/release record`: staff say the bounty shipped in `version_text` (now)."""
        authorize(actor, "release record")
        version = parse_version(version_text)
        bounty = await self.bounties.find(bounty_id, None, actor)
        async with self.ctx.changes.begin() as ch:
            existing = await releases.for_bounty(ch.tx, bounty.id)
            if existing is not None:
                raise _already(bounty, existing)
            if bounty.state is not State.APPROVED:
                raise _not_approved(bounty)
            current = await still(ch, bounty)  # a vote (or a GitHub release) may have moved it meanwhile
            release = Release(bounty.id, str(version), ch.now, "command", None, None, actor.user_id, ch.now)
            return await self._record(ch, current, release, role=Role.STAFF, actor_id=actor.user_id)

    async def on_github_release(self, info: ReleaseInfo) -> list[int]:
        """A published GitHub release: each approved bounty whose issue or pull request its notes name is
        released in it. Returns the bounties recorded now (none for a release seen before)."""
        version = version_of(info.tag) or version_of(info.name)
        if info.draft or info.prerelease or version is None:
            return []  # a draft or a release candidate ships nothing; a tag that is no version is not Hummingbot's
        conn = self.ctx.conn
        named = references(info.body, self.ctx.config.github.repository)
        candidates: set[int] = set()
        for number in sorted(named):
            issue = await github_store.by_number(conn, number)
            if issue is not None:
                candidates.add(issue.bounty_id)
            pull = await github_store.pull_bounty(conn, number)
            if pull is not None:
                candidates.add(pull)
        url = info.url if info.url and url_problem(info.url) is None else None
        recorded: list[int] = []
        for bounty_id in sorted(candidates):
            async with self.ctx.changes.begin() as ch:
                # Decided inside the change: `/release record` for the same bounty may have committed a moment ago.
                bounty = await bounties.get(ch.tx, bounty_id)
                if bounty is None or await releases.for_bounty(ch.tx, bounty_id) is not None:
                    continue
                if bounty.state is not State.APPROVED:
                    await self._not_yet(ch, bounty, str(version), info)
                    continue
                released_at = min(ch.now, info.published_at or ch.now)
                release = Release(bounty_id, str(version), released_at, "github", url, info.id, None, ch.now)
                await self._record(ch, bounty, release, role=Role.SYSTEM, actor_id=None)
                recorded.append(bounty_id)
        return recorded

    async def _not_yet(self, ch: Change, bounty: Bounty, version: str, info: ReleaseInfo) -> None:
        """A release names a bounty that is not approved: nothing moves; staff are told, once per release."""
        notice = Notice(
            title=f"Release {version} names bounty #{bounty.id} {exchange_name(bounty)}, which is not approved",
            description=(
                f"The bounty is `{bounty.state.label}`, so the release was not recorded for it. If it did ship, "
                "move it on once approved and record it with `/release record`."
            ),
            tone="warn",
        )
        await ch.send(f"bounty:{bounty.id}:release_unapproved:{info.id}", "staff.post", notice=notice.to_payload())

    async def _record(
        self, ch: Change, bounty: Bounty, release: Release, *, role: Role, actor_id: int | None
    ) -> Recorded:
        """Inside one change: the release row, both transitions, year 1, reports, announcements, GitHub."""
        if not await releases.record(ch.tx, release):
            raise _already(bounty, release)
        await ch.audit(
            "release_recorded",
            actor_id=actor_id,
            bounty_id=bounty.id,
            version=release.version,
            released_at=release.released_at,
            source=release.source,
            url=release.url,
        )
        reason = f"Released in Hummingbot {release.version}."
        bounty = await transition(
            ch, self.ctx.config, bounty, State.RELEASED, role=role, actor_id=actor_id, reason=reason
        )
        bounty = await transition(
            ch,
            self.ctx.config,
            bounty,
            State.MAINTENANCE,
            role=role,
            actor_id=actor_id,
            reason="Maintenance year 1 begins.",
        )
        year = MaintenanceYear(bounty.id, 1, release.released_at, one_year_after(release.released_at), None)
        await start_year(ch, year)
        await reports.start_maintenance_reports(ch, bounty.id, release.released_at)
        key = f"bounty:{bounty.id}:release"
        public = release_notices.release_announcement(bounty, release.version, release.url)
        await ch.send(f"{key}:announcement", "announcements.post", notice=public.to_payload())
        channel = release_notices.released(bounty, release.version, release.released_at, year, release.url)
        await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty.id, notice=channel.to_payload())
        await ch.send(
            f"{key}:github",
            "github.comment",
            bounty_id=bounty.id,
            body=release_notices.release_comment(release.version, release.url, year),
        )
        return Recorded(bounty, release, year)
