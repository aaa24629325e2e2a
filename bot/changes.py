"""One change = one transaction: state, audit row, timers and outbox rows commit together.

Services open a change with ``async with changes.begin() as ch`` and record everything through it.
When the transaction commits, the timer scheduler and the outbox worker are woken so new timers
and messages are picked up at once; if it rolls back, none of it ever existed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiosqlite

from bot.clock import Clock
from bot.store import audit, outbox, timers
from bot.store.db import Database


@dataclass
class Change:
    tx: aiosqlite.Connection
    now: int
    timers_added: bool = False
    outbox_added: bool = False
    audit_ids: list[int] = field(default_factory=list)

    async def audit(self, action: str, *, actor_id: int | None, bounty_id: int | None, **detail: object) -> None:
        self.audit_ids.append(
            await audit.append(
                self.tx, at=self.now, actor_id=actor_id, bounty_id=bounty_id, action=action, detail=detail
            )
        )

    async def timer(self, kind: str, subject: str, due_at: int, **payload: object) -> int:
        self.timers_added = True
        return await timers.create(self.tx, kind=kind, subject=subject, due_at=due_at, now=self.now, payload=payload)

    async def timer_batch(self, rows: list[timers.TimerSpec]) -> None:
        """Many timers (kind, subject, due_at, payload) at once: one statement, not a round trip each."""
        if rows:
            self.timers_added = True
            await timers.create_many(self.tx, rows, self.now)

    async def cancel_timers(self, subject: str, kind: str | None = None) -> int:
        return await timers.cancel(self.tx, subject=subject, kind=kind, now=self.now)

    async def send(self, key: str, kind: str, **payload: object) -> bool:
        """Queue an outbound effect under an idempotency key."""
        added = await outbox.enqueue(self.tx, key=key, kind=kind, payload=payload, now=self.now)
        self.outbox_added = self.outbox_added or added
        return added


class Changes:
    """Opens changes and wakes the workers that act on what they recorded."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.on_timers: Callable[[], None] = lambda: None
        self.on_outbox: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Change]:
        async with self.db.transaction() as tx:
            change = Change(tx=tx, now=self.clock.now())
            yield change
        if change.timers_added:
            self.on_timers()
        if change.outbox_added:
            self.on_outbox()
