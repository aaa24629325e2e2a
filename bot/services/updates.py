"""`/update`: the developer's weekly status update, shown to the exchange and mirrored on the public issue."""

from __future__ import annotations

from bot.domain import notices
from bot.domain.access import Actor, authorize, membership
from bot.domain.errors import InvalidInput, NotFound, RuleViolation
from bot.domain.lifecycle import State
from bot.domain.models import Bounty, MemberRole
from bot.domain.updates import WeeklyUpdate, github_comment, validate
from bot.services.bounties import BountyService
from bot.services.context import ServiceContext
from bot.store import developers, updates

# Weekly updates run while the connector is built and tested.
UPDATABLE = frozenset({State.DEVELOPMENT, State.TESTING})


class UpdateService:
    def __init__(self, ctx: ServiceContext, bounties_: BountyService) -> None:
        self.ctx = ctx
        self.bounties = bounties_

    async def check(self, actor: Actor, bounty_id: int | None, channel_id: int | None) -> updates.Opening:
        """Who may post, on which bounty; also the last percent, to prefill the form."""
        found = None
        if bounty_id is not None or channel_id is not None:
            found = await updates.opening(self.ctx.conn, bounty_id=bounty_id, channel_id=channel_id)
        if found is None:  # not a bounty's channel: the asker's only bounty, or a clear question
            bounty = await self.bounties.find(bounty_id, channel_id, actor)
            found = await updates.opening(self.ctx.conn, bounty_id=bounty.id)
            if found is None:  # deleted between the two reads: say so rather than crash
                raise NotFound(f"There is no bounty #{bounty.id}.")
        authorize(actor, "update post", found.members, found.bounty_id)
        self._allowed(found.bounty_id, found.state)
        return found

    @staticmethod
    def _allowed(bounty_id: int, state: State) -> None:
        if state not in UPDATABLE:
            raise RuleViolation(
                f"Bounty #{bounty_id} is `{state.label}`; weekly updates run during development and testing."
            )

    async def post(
        self, actor: Actor, bounty_id: int, done: str, next_: str, blockers: str, percent: str
    ) -> tuple[Bounty, WeeklyUpdate]:
        bounty, members = await self.bounties.visible(actor, bounty_id, None, "update post")
        self._allowed(bounty.id, bounty.state)
        problems, update = validate(done, next_, blockers, percent)
        if update is None:
            raise InvalidInput(problems)
        assignment = await developers.for_bounty(self.ctx.conn, bounty.id)
        login = assignment.github_login if assignment else "the developer"
        async with self.ctx.changes.begin() as ch:
            update_id = await updates.add(ch.tx, bounty.id, actor.user_id, update, ch.now)
            await ch.audit(
                "weekly_update",
                actor_id=actor.user_id,
                bounty_id=bounty.id,
                update_id=update_id,
                percent=update.percent,
            )
            if membership(actor, members) is MemberRole.DEVELOPER:
                await developers.touch(ch.tx, bounty.id, ch.now)
            await ch.send(
                f"bounty:{bounty.id}:update:{update_id}",
                "bounty.post",
                bounty_id=bounty.id,
                notice=notices.weekly_update(bounty, actor.user_id, update).to_payload(),
            )
            await ch.send(
                f"bounty:{bounty.id}:github_update:{update_id}",
                "github.comment",
                bounty_id=bounty.id,
                body=github_comment(update, login),
            )
        return bounty, update
