"""Durable timers: rows in the database, driven by APScheduler.

Only the earliest pending timer is scheduled with APScheduler at any moment (one job, rescheduled as
timers are added or fire), so start-up cost does not grow with the number of pending timers. When the
job runs, every due row is claimed and handled in its own transaction together with its effects, so a
timer fires once: a crash before the commit leaves it pending, and a claimed row is never handled again.
A timer that fell due while the bot was down is due at start and fires then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.changes import Change, Changes
from bot.clock import Clock
from bot.store import timers as store
from bot.store.timers import TimerRow

log = logging.getLogger(__name__)

TimerHandler = Callable[[Change, TimerRow], Awaitable[None]]
_JOB_ID = "bountybot-next-timer"
_RETRY_FAILED_AFTER = 300


class Timers:
    def __init__(self, changes: Changes, clock: Clock) -> None:
        self.changes = changes
        self.clock = clock
        self.handlers: dict[str, TimerHandler] = {}
        self.scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._wake_pending = False  # a pass is asked for and has not begun: further wakes need no other
        self.fired = 0
        changes.on_timers = self.wake
        clock.on_jump(self.wake)

    def register(self, kind: str, handler: TimerHandler) -> None:
        if kind in self.handlers:
            raise ValueError(f"timer kind {kind!r} already has a handler")
        self.handlers[kind] = handler

    async def start(self) -> None:
        """Begin scheduling; anything already due (the bot was down) fires now."""
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.start()
        await self.run_due()

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    def wake(self) -> None:
        """Something changed (a timer was added, the clock jumped): look again now.

        Every commit that adds a timer wakes the timers; fifty people starting bounties at once would ask
        for fifty passes (each an APScheduler job and two queries, competing with their own commands for
        the database). One pass that has not begun yet answers them all.
        """
        if self.scheduler is not None and not self._wake_pending:
            self._wake_pending = True
            self._schedule_in(0)

    def _schedule_in(self, seconds: float) -> None:
        assert self.scheduler is not None
        run_at = datetime.now(UTC) + timedelta(seconds=max(0.0, seconds))
        self.scheduler.add_job(
            self._job,
            "date",
            run_date=run_at,
            id=_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            # A wake while a pass is running may start another; they queue on the lock instead of being skipped.
            max_instances=3,
        )

    async def _job(self) -> None:
        # A pass still running when the bot shuts down is cancelled: that is the end of it, not an error.
        with contextlib.suppress(asyncio.CancelledError):
            await self.run_due()

    async def run_due(self) -> int:
        """Fire every due timer once, then schedule the next. Returns how many fired."""
        fired = 0
        async with self._lock:
            self._wake_pending = False  # what changes from now on may not be seen by this pass: wake again
            while True:
                now = self.clock.now()
                rows = await store.due(self.changes.db.conn, now)
                if not rows:
                    break
                for row in rows:
                    fired += await self._fire(row)
            next_due = await store.next_due_at(self.changes.db.conn)
            if self._wake_pending and self.scheduler is not None:
                self._schedule_in(0)  # woken during this pass: the wake's job must not be replaced by a later one
            elif next_due is not None and self.scheduler is not None:
                # Never sleep longer than an hour at a time: a cheap guard against a clock change.
                self._schedule_in(min(next_due - self.clock.now(), 3600))
        self.fired += fired
        return fired

    async def _fire(self, row: TimerRow) -> int:
        handler = self.handlers.get(row.kind)
        try:
            async with self.changes.begin() as ch:
                if not await store.mark_fired(ch.tx, row.id, ch.now):
                    return 0
                if handler is None:
                    log.warning("timer %s (%s) has no handler; marking it fired", row.id, row.kind)
                else:
                    await handler(ch, row)
        except Exception:
            log.exception(
                "timer %s (%s, %s) failed; retrying in %ss", row.id, row.kind, row.subject, _RETRY_FAILED_AFTER
            )
            async with self.changes.db.transaction() as tx:
                await store.postpone(tx, row.id, self.clock.now() + _RETRY_FAILED_AFTER)
            return 0
        log.info("timer %s fired: %s for %s", row.id, row.kind, row.subject)
        return 1
