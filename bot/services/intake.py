"""Day 1–2: an exchange starts a bounty. Two modals (the exchange, then its technical details), then one
change creates the bounty, makes the requester its lead, starts the Setup clock and queues the private
channel, the welcome and (when a time was given) the intro call event."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict

from bot.domain import notices
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, NotAllowed, NotFound, RuleViolation
from bot.domain.intake import (
    ExchangeAnswers,
    TechnicalAnswers,
    build_form,
    exchange_key,
    validate_exchange,
    validate_technical,
)
from bot.domain.lifecycle import ProcessPhase
from bot.domain.models import Bounty, MemberRole
from bot.services.context import ServiceContext
from bot.services.lifecycle import start_timeline
from bot.store import bounties, drafts


def channel_key(bounty_id: int) -> str:
    return f"bounty:{bounty_id}:channel"


class IntakeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def check_channel(self, channel_id: int, intake_channel_id: int | None) -> None:
        """`/bounty start` belongs in the intake channel, where the Foundation watches for new exchanges."""
        if intake_channel_id is None:
            raise NotAllowed(
                "Bounties cannot be started right now: the intake channel is not set up. Please tell Foundation staff."
            )
        if channel_id != intake_channel_id:
            raise NotAllowed(f"Bounties start in <#{intake_channel_id}>: run `/bounty start` there.")

    async def _refuse_duplicate(self, name: str) -> None:
        existing = await bounties.open_by_exchange_key(self.ctx.conn, exchange_key(name))
        if existing is not None:
            where = f" in <#{existing.channel_id}>" if existing.channel_id else ""
            raise RuleViolation(
                f"{notices.exchange_name(existing)} already has an open bounty: #{existing.id} "
                f"({existing.state.label}){where}. "
                "Ask its exchange lead to add you with `/bounty members add`."
            )

    async def save_exchange(self, actor: Actor, guild_id: int, answers: ExchangeAnswers) -> int:
        """Validate modal 1 and keep it as a draft; returns the draft id for modal 2."""
        problems, cleaned = validate_exchange(answers, now=self.ctx.clock.now())
        if problems:
            raise InvalidInput(problems)
        await self._refuse_duplicate(str(cleaned["exchange"]))
        async with self.ctx.changes.begin() as ch:
            return await drafts.save(ch.tx, guild_id=guild_id, user_id=actor.user_id, answers=cleaned, now=ch.now)

    async def draft(self, actor: Actor, draft_id: int) -> dict[str, object]:
        found = await drafts.get(self.ctx.conn, draft_id, actor.user_id)
        if found is None:
            raise NotFound("That bounty form has expired or belongs to someone else; run `/bounty start` again.")
        return found

    async def start(self, actor: Actor, draft_id: int, answers: TechnicalAnswers) -> Bounty:
        """Validate modal 2 and create the bounty in one change."""
        exchange_part = await self.draft(actor, draft_id)
        problems, technical_part = validate_technical(answers)
        if problems:
            raise InvalidInput(problems)
        form = build_form(exchange_part, technical_part)
        await self._refuse_duplicate(form.exchange)
        config = self.ctx.config
        try:
            async with self.ctx.changes.begin() as ch:
                bounty_id = await bounties.insert(
                    ch.tx,
                    guild_id=config.discord.guild_id,
                    requester_id=actor.user_id,
                    form=form,
                    fee_usd=config.fees.default_usd,
                    now=ch.now,
                    key=exchange_key(form.exchange),
                )
                await bounties.add_member(ch.tx, bounty_id, actor.user_id, MemberRole.LEAD, actor.user_id, ch.now)
                await drafts.delete(ch.tx, draft_id)
                await ch.audit("bounty_started", actor_id=actor.user_id, bounty_id=bounty_id, form=asdict(form))
                await start_timeline(ch, config, bounty_id)
                bounty = await bounties.get(ch.tx, bounty_id)
                assert bounty is not None
                await ch.send(channel_key(bounty_id), "bounty.create_channel", bounty_id=bounty_id)
                welcome = notices.welcome(
                    bounty, fee_usd=bounty.fee_usd, setup_days=config.phase_targets[ProcessPhase.SETUP].high
                )
                await ch.send(
                    f"bounty:{bounty_id}:welcome", "bounty.post", bounty_id=bounty_id, notice=welcome.to_payload()
                )
                if form.intro_call_at is not None:
                    await ch.send(
                        f"bounty:{bounty_id}:intro_call",
                        "bounty.intro_call",
                        bounty_id=bounty_id,
                        start=form.intro_call_at,
                    )
                await ch.send(
                    f"bounty:{bounty_id}:staff_new",
                    "staff.post",
                    notice=notices.Notice(
                        title=f"New bounty #{bounty_id}: {notices.exchange_name(bounty)}",
                        description=f"{form.exchange_type.label} ({', '.join(s.label for s in form.subtypes)}), "
                        f"started by <@{actor.user_id}>. Review it with `/bounty review`.",
                    ).to_payload(),
                )
        except sqlite3.IntegrityError:
            # Two people raced past the check above; the database's unique index decided.
            await self._refuse_duplicate(form.exchange)
            raise
        return bounty

    async def wait_for_channel(self, bounty_id: int, timeout: float) -> int | None:
        """The private channel's id once it exists, or None if Discord has not made it within `timeout`."""
        item = await self.ctx.outbox.wait_for(channel_key(bounty_id), timeout)
        if item is None or item.result is None:
            return None
        return int(str(item.result["channel_id"]))
