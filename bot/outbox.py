"""The outbox worker: delivers effects recorded by committed changes, at least once, retried with backoff.

Each item carries an idempotency key (enqueueing the same key twice does nothing) and handlers are
written so that a retry after an ambiguous failure does not repeat the effect (they look for their
own marker first). An item whose handler raises :class:`PermanentFailure` is given up at once; any
other error is retried with exponential backoff and jitter, up to the configured number of attempts.

Before each attempt the item is claimed in a transaction of its own, so two bots on one database never
deliver it twice. A claim is a lease: it ends with the attempt, and another bot takes the item over only
if the one that claimed it died mid-attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable

from bot.changes import Changes
from bot.clock import Clock
from bot.config import OutboxConfig
from bot.store import outbox as store
from bot.store.outbox import OutboxItem

log = logging.getLogger(__name__)

OutboxHandler = Callable[[dict[str, object]], Awaitable[dict[str, object]]]
_IDLE_POLL_SECONDS = 30.0
_UNHANDLED_RETRY_SECONDS = 3600
# How long a bot's claim holds the items of one pass (up to 50, attempted in turn). Handlers do not wait out
# GitHub's limits (they raise RetryLater) and discord.py's own waits are seconds, so a claim still unfinished
# after this belongs to a bot that died mid-way: another may then take the items over.
LEASE_SECONDS = 600


class PermanentFailure(Exception):
    """Retrying cannot help (the request itself is wrong); give the item up."""


class RetryLater(Exception):
    """Not possible yet (e.g. the channel it posts to is still being created); try again soon."""

    def __init__(self, message: str, after: float = 2.0) -> None:
        super().__init__(message)
        self.after = after


class Outbox:
    def __init__(self, changes: Changes, clock: Clock, config: OutboxConfig, *, rng: random.Random | None = None):
        self.changes = changes
        self.clock = clock
        self.config = config
        self.rng = rng or random.Random()
        self.handlers: dict[str, OutboxHandler] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiters: dict[str, list[asyncio.Future[OutboxItem]]] = {}
        # One drain at a time: the worker and a caller draining by hand must never deliver an item twice.
        self._drain_lock = asyncio.Lock()
        self.delivered = 0
        changes.on_outbox = self.wake
        clock.on_jump(self.wake)

    def register(self, kind: str, handler: OutboxHandler) -> None:
        if kind in self.handlers:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        self.handlers[kind] = handler

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: exponential, capped, with full jitter on the upper half."""
        ceiling = min(self.config.max_delay_seconds, self.config.base_delay_seconds * (2**attempts))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    async def wait_for(self, key: str, timeout: float) -> OutboxItem | None:
        """Wait until the item with `key` is delivered; None if it is not done within `timeout`."""
        item = await store.get(self.changes.db.conn, key)
        if item is not None and item.status == "done":
            return item
        future: asyncio.Future[OutboxItem] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(future)
        self.wake()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            # Another bot on this database may have claimed and delivered it: its own waiters were told, not ours.
            item = await store.get(self.changes.db.conn, key)
            return item if item is not None and item.status == "done" else None
        finally:
            waiters = self._waiters.get(key, [])
            if future in waiters:
                waiters.remove(future)

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
                next_at = await store.next_attempt_at(self.changes.db.conn)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox worker pass failed; trying again shortly")
                next_at = self.clock.now() + 5
            delay = _IDLE_POLL_SECONDS if next_at is None else max(0.0, next_at - self.clock.now())
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), min(delay, _IDLE_POLL_SECONDS))
            self._wake.clear()

    async def drain(self) -> int:
        """Deliver every item due now. Returns how many were delivered."""
        delivered = 0
        async with self._drain_lock:
            while True:
                self._wake.clear()
                items = await store.due(self.changes.db.conn, self.clock.now())
                if not items:
                    return delivered
                claimed = await self._claim(items)
                for n, item in enumerate(claimed):
                    try:
                        delivered += await self._deliver(item)
                    except asyncio.CancelledError:
                        await self._release(claimed[n:])
                        raise

    async def _release(self, items: list[OutboxItem]) -> None:
        """Stopped mid-way (the bot is shutting down): what this bot claimed and did not finish is due again at
        once for the next start, as before the claim, not only after the lease. Never in the way of the stop."""
        try:
            async with self.changes.db.transaction() as tx:
                for item in items:
                    await store.release(tx, item.id, item.attempts + 1, self.clock.now())
        except Exception:
            log.exception("could not give back %s claimed outbox items; they are due again after the lease", len(items))

    async def _claim(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Claim `items` (read outside any transaction) for this bot; returns those it is to attempt now.

        Another bot on this database may have read the same items: each claim, a conditional update inside one
        write transaction, decides which bot delivers it. One transaction for the batch, not one per item: a
        claim must not double what each delivery costs the write lock that commands wait on.
        """
        now = self.clock.now()
        mine: list[OutboxItem] = []
        async with self.changes.db.transaction() as tx:
            for item in items:
                if not await store.claim(tx, item, now, now + LEASE_SECONDS):
                    continue
                if item.kind not in self.handlers:
                    # Kept, not dropped: the capability that delivers it may not be switched on yet (the GitHub
                    # mirror, say); it is delivered once a handler is registered.
                    log.info("outbox item %s waits: nothing delivers %s yet", item.key, item.kind)
                    await store.mark_failed(
                        tx,
                        item.id,
                        item.attempts + 1,
                        f"no handler for {item.kind} yet",
                        now + _UNHANDLED_RETRY_SECONDS,
                        dead=False,
                    )
                    continue
                mine.append(item)
        return mine

    async def _deliver(self, item: OutboxItem) -> int:
        """One attempt at an item this bot has claimed."""
        handler = self.handlers[item.kind]
        conn_tx = self.changes.db.transaction
        attempt = item.attempts + 1
        try:
            result = await handler(item.payload)
        except RetryLater as exc:
            async with conn_tx() as tx:
                # Never less than a second: "retry in 0.4 s" must not become "retry now, forever".
                later = self.clock.now() + max(1, math.ceil(exc.after))
                await store.mark_failed(tx, item.id, attempt, str(exc), later, dead=False)
            return 0
        except PermanentFailure as exc:
            log.error("outbox item %s (%s) failed for good: %s", item.key, item.kind, exc)
            async with conn_tx() as tx:
                await store.mark_failed(tx, item.id, attempt, str(exc), self.clock.now(), dead=True)
            return 0
        except Exception as exc:  # noqa: BLE001 - any other failure is retried, never lost
            dead = attempt >= self.config.max_attempts
            delay = self.backoff(item.attempts)
            log.warning(
                "outbox item %s (%s) attempt %s failed: %s%s",
                item.key,
                item.kind,
                attempt,
                exc,
                "; giving up" if dead else f"; retrying in {delay:.0f}s",
            )
            async with conn_tx() as tx:
                await store.mark_failed(
                    tx, item.id, attempt, f"{type(exc).__name__}: {exc}", self.clock.now() + round(delay), dead=dead
                )
            return 0
        async with conn_tx() as tx:
            if not await store.mark_done(tx, item.id, attempt, result, self.clock.now()):
                # Its lease ran out mid-attempt and another worker took it over; handlers are safe to run twice.
                log.warning("outbox item %s (%s) took longer than its lease of %ss", item.key, item.kind, LEASE_SECONDS)
        self.delivered += 1
        done = OutboxItem(item.id, item.key, item.kind, item.payload, attempt, "done", result)
        for future in self._waiters.pop(item.key, []):
            if not future.done():
                future.set_result(done)
        return 1
