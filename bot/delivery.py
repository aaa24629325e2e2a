"""Outbox handlers for Discord: how each queued effect is carried out.

Each handler is safe to run twice: channel creation looks for its marker first, and everything else
either overwrites (permissions) or is keyed so that it is queued once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.changes import Changes
from bot.config import Config
from bot.domain.alerts import DmOutcome, announcement_ref, dm_notice, dm_summary
from bot.domain.notices import Notice, ts
from bot.integrations.discord import (
    DiscordAdapter,
    DiscordRejected,
    DiscordUnavailable,
    DmClosed,
    PrivateChannelSpec,
)
from bot.outbox import Outbox, PermanentFailure, RetryLater
from bot.store import alerts, bounties
from bot.store import governance as proposals

log = logging.getLogger(__name__)

Payload = dict[str, Any]
# Discord only accepts an event that starts in the future; a minute's margin covers the request's trip.
EVENT_LEAD_SECONDS = 60


def channel_name(bounty_id: int, exchange: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", exchange.lower()).strip("-")[:40] or "exchange"
    return f"bounty-{bounty_id}-{slug}"


def channel_marker(bounty_id: int) -> str:
    return f"[bounty:{bounty_id}]"


class DiscordDelivery:
    def __init__(self, adapter: DiscordAdapter, changes: Changes, config: Config) -> None:
        self.adapter = adapter
        self.changes = changes
        self.config = config

    def register(self, outbox: Outbox) -> None:
        handlers: dict[str, Callable[[Payload], Awaitable[Payload]]] = {
            "bounty.create_channel": self.create_channel,
            "bounty.post": self.post_to_bounty,
            "bounty.access": self.access,
            "bounty.intro_call": self.intro_call,
            "bounty.kickoff": self.kickoff,
            "staff.post": self.post_to_staff,
            "governance.announce": self.announce_governance,
            "governance.dm": self.dm_governance,
            "announcements.post": self.post_to_announcements,
            "governance.thread": self.open_discussion_thread,
        }
        for kind, handler in handlers.items():
            outbox.register(kind, self._guarded(handler))

    @staticmethod
    def _guarded(handler: Callable[[Payload], Awaitable[Payload]]) -> Callable[[Payload], Awaitable[Payload]]:
        async def run(payload: Payload) -> Payload:
            try:
                return await handler(payload)
            except DiscordRejected as exc:
                raise PermanentFailure(str(exc)) from exc
            except DiscordUnavailable:
                raise  # retried with backoff by the outbox

        return run

    async def _bounty(self, payload: Payload):
        bounty = await bounties.get(self.changes.db.conn, int(payload["bounty_id"]))
        if bounty is None:
            raise PermanentFailure(f"bounty {payload['bounty_id']} does not exist")
        return bounty

    async def create_channel(self, payload: Payload) -> Payload:
        bounty = await self._bounty(payload)
        if bounty.channel_id is not None:
            return {"channel_id": bounty.channel_id}
        members = await bounties.members(self.changes.db.conn, bounty.id)
        marker = channel_marker(bounty.id)
        spec = PrivateChannelSpec(
            name=channel_name(bounty.id, bounty.exchange),
            topic=f"Connector bounty #{bounty.id}: {bounty.exchange}. Managed by BountyBot. {marker}",
            marker=marker,
            category=self.config.discord.bounties_category,
            member_ids=tuple(m.user_id for m in members),
            role_names=(self.config.discord.staff_role,),
        )
        channel_id = await self.adapter.ensure_private_channel(spec)
        async with self.changes.begin() as ch:
            await bounties.set_channel(ch.tx, bounty.id, channel_id, ch.now)
            await ch.audit("channel_created", actor_id=None, bounty_id=bounty.id, channel_id=channel_id)
        return {"channel_id": channel_id}

    async def post_to_bounty(self, payload: Payload) -> Payload:
        bounty = await self._bounty(payload)
        if bounty.channel_id is None:
            raise RetryLater(f"bounty #{bounty.id} has no channel yet")
        message_id = await self.adapter.post(bounty.channel_id, Notice.from_payload(payload["notice"]))
        return {"message_id": message_id}

    async def post_to_staff(self, payload: Payload) -> Payload:
        channel = self.adapter.text_channel(self.config.discord.staff_alerts_channel)
        if channel is None:
            raise PermanentFailure(f"staff alerts channel {self.config.discord.staff_alerts_channel!r} not found")
        message_id = await self.adapter.post(channel.id, Notice.from_payload(payload["notice"]))
        return {"message_id": message_id}

    async def post_to_announcements(self, payload: Payload) -> Payload:
        """The public announcements channel (a release)."""
        channel = self.adapter.text_channel(self.config.discord.announcements_channel)
        if channel is None:
            raise PermanentFailure(f"announcements channel {self.config.discord.announcements_channel!r} not found")
        message_id = await self.adapter.post(channel.id, Notice.from_payload(payload["notice"]))
        return {"message_id": message_id}

    async def open_discussion_thread(self, payload: Payload) -> Payload:
        """The proposal's discussion: a message in the discussion channel and a public thread on it. The message
        is recorded before the thread is asked for, so a retry never posts it twice."""
        bounty_id, round_ = int(payload["bounty_id"]), int(payload["round"])
        name = self.config.governance.discussion_channel or self.config.discord.governance_channel
        channel = self.adapter.text_channel(name)
        if channel is None:
            raise PermanentFailure(f"discussion channel {name!r} not found")
        message_id = await proposals.thread_message(self.changes.db.conn, bounty_id, round_)
        if message_id is None:
            message_id = await self.adapter.post(channel.id, Notice.from_payload(payload["notice"]))
            async with self.changes.begin() as ch:
                await proposals.set_thread_message(ch.tx, bounty_id, round_, message_id)
        thread_id = await self.adapter.start_thread(channel.id, message_id, str(payload["name"]))
        return {"message_id": message_id, "thread_id": thread_id}

    async def access(self, payload: Payload) -> Payload:
        bounty = await self._bounty(payload)
        if bounty.channel_id is None:
            raise RetryLater(f"bounty #{bounty.id} has no channel yet")
        await self.adapter.set_member_access(bounty.channel_id, int(payload["user_id"]), bool(payload["allow"]))
        return {}

    async def _too_late(self, bounty_id: int, what: str, start: int) -> bool:
        """Discord refuses an event that starts in the past. If the outbox only got through after the time
        passed (Discord was down, say), the event is dropped and the channel told, instead of failing."""
        now = self.changes.clock.now()
        if start > now + EVENT_LEAD_SECONDS:
            return False
        notice = Notice(
            title=f"The {what} was not added to the server's events",
            description=f"Its time, {ts(start, 'F')}, passed before Discord could be reached. "
            "Agree a new time here; staff can book it again.",
            tone="warn",
        )
        async with self.changes.begin() as ch:
            await ch.send(
                f"bounty:{bounty_id}:event-missed:{what}:{start}",
                "bounty.post",
                bounty_id=bounty_id,
                notice=notice.to_payload(),
            )
            await ch.audit("event_dropped", actor_id=None, bounty_id=bounty_id, what=what, start=start)
        return True

    async def intro_call(self, payload: Payload) -> Payload:
        bounty = await self._bounty(payload)
        if await self._too_late(bounty.id, "intro call", int(payload["start"])):
            return {"dropped": "the start time passed"}
        where = f"Discord: #{channel_name(bounty.id, bounty.exchange)}"
        event_id = await self.adapter.ensure_external_event(
            name=f"Intro call: {bounty.exchange} connector bounty",
            description=f"Introduction call for connector bounty #{bounty.id} ({bounty.exchange}).",
            start=int(payload["start"]),
            minutes=30,
            location=where,
            marker=channel_marker(bounty.id),
        )
        return {"event_id": event_id}

    async def kickoff(self, payload: Payload) -> Payload:
        """The development kick-off call, as a scheduled event (one per assignment)."""
        bounty = await self._bounty(payload)
        if await self._too_late(bounty.id, "kick-off call", int(payload["start"])):
            return {"dropped": "the start time passed"}
        event_id = await self.adapter.ensure_external_event(
            name=f"Kick-off: {bounty.exchange} connector with {payload['developer']}",
            description=f"Development kick-off for connector bounty #{bounty.id} ({bounty.exchange}).",
            start=int(payload["start"]),
            minutes=30,
            location=f"Discord: #{channel_name(bounty.id, bounty.exchange)}",
            marker=f"[bounty:{bounty.id}:kickoff:{payload['marker']}]",
        )
        return {"event_id": event_id}

    # --- governance alerts (DESIGN.md §9) ---------------------------------------------------------

    async def announce_governance(self, payload: Payload) -> Payload:
        """A governance announcement: in the governance channel pinging only the alerts role, and by DM to each
        member who asked (`/alerts dm on`).

        The DMs are fanned out first, in one change: the announcement and one `governance.dm` item per opted-in
        member, under keys naming the announcement and the member, so a retry of this item (the post failed,
        the bot restarted) queues nobody twice. Each DM is then its own item, paced by Discord's rate limits.
        """
        notice_payload = payload["notice"]
        notice = Notice.from_payload(notice_payload)
        ref = announcement_ref(notice_payload)
        d = self.config.discord
        channel = self.adapter.text_channel(d.governance_channel)
        if channel is None:
            raise PermanentFailure(f"governance channel {d.governance_channel!r} not found")
        async with self.changes.begin() as ch:
            recipients = await alerts.dm_subscribers(ch.tx)
            if await alerts.fan_out(ch.tx, ref, notice_payload, recipients, ch.now):
                for user_id in recipients:
                    await ch.send(f"governance:dm:{ref}:{user_id}", "governance.dm", ref=ref, user_id=user_id)
        role = self.adapter.role(d.alerts_role)
        facts = self.adapter.alerts_role_facts(d.alerts_role, d.governance_channel)
        if role is None or not (facts.mentionable or facts.bot_mentions_all):
            # Said at start too; the announcement still goes out, without the ping.
            log.warning("governance announcement %s posted without pinging the alerts role %r", ref, d.alerts_role)
        message_id = await self.adapter.announce(channel.id, notice, role.id if role is not None else None)
        return {"message_id": message_id, "ref": ref, "dms": len(recipients)}

    async def dm_governance(self, payload: Payload) -> Payload:
        """One opted-in member's DM of one announcement, sent at most once.

        The attempt is recorded before sending; an attempt after one whose answer was lost looks for the DM in
        the conversation first. A member whose DMs are closed (50007) or who left the server is skipped and
        counted. When the last recipient's turn is over, staff are told the count (once).
        """
        ref, user_id = str(payload["ref"]), int(payload["user_id"])
        conn = self.changes.db.conn
        found = await alerts.announcement(conn, ref)
        previous = await alerts.outcome(conn, ref, user_id)
        if found is None or previous is None:
            raise PermanentFailure(f"governance announcement {ref} has no DM for {user_id}")
        if previous.final:
            return {"outcome": previous.value}
        notice = dm_notice(Notice.from_payload(found[0]), ref)
        if not await alerts.wants_dms(conn, user_id):
            return await self._dm_done(ref, user_id, DmOutcome.OPTED_OUT)
        try:
            if not await self.adapter.is_member(user_id):
                return await self._dm_done(ref, user_id, DmOutcome.LEFT)
            if previous is DmOutcome.SENDING and await self.adapter.dm_carries(user_id, notice.footer):
                return await self._dm_done(ref, user_id, DmOutcome.SENT)
            async with self.changes.begin() as ch:
                await alerts.mark_sending(ch.tx, ref, user_id, ch.now)
            await self.adapter.dm(user_id, notice)
        except DmClosed:
            return await self._dm_done(ref, user_id, DmOutcome.CLOSED)
        except DiscordRejected as exc:
            # Anything else Discord refuses for this one member (an account deleted, say) is counted, not
            # retried; an outage (DiscordUnavailable) is retried with backoff by the outbox.
            log.warning("governance DM %s to %s refused: %s", ref, user_id, exc)
            return await self._dm_done(ref, user_id, DmOutcome.FAILED)
        return await self._dm_done(ref, user_id, DmOutcome.SENT)

    async def _dm_done(self, ref: str, user_id: int, outcome: DmOutcome) -> Payload:
        """Settle one DM; the change that settles the last one queues staff's count."""
        async with self.changes.begin() as ch:
            await alerts.finish(ch.tx, ref, user_id, outcome, ch.now)
            counts = await alerts.counts(ch.tx, ref)
            if all(o.final for o in counts) and await alerts.mark_summarised(ch.tx, ref, ch.now):
                found = await alerts.announcement(ch.tx, ref)
                title = Notice.from_payload(found[0]).title if found is not None else ref
                await ch.send(
                    f"governance:dm-summary:{ref}", "staff.post", notice=dm_summary(title, counts).to_payload()
                )
                await ch.audit(
                    "governance_dms_done",
                    actor_id=None,
                    bounty_id=None,
                    ref=ref,
                    **{o.value: n for o, n in counts.items()},
                )
        return {"outcome": outcome.value}
