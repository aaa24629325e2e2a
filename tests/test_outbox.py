"""The outbox: idempotency keys, retries with capped exponential backoff and jitter, give-up rules."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.changes import Changes
from bot.clock import ManualClock
from bot.config import OutboxConfig
from bot.outbox import Outbox, PermanentFailure, RetryLater
from bot.store import outbox as store
from bot.store.db import Database, open_database
from tests.conftest import START


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "o.db")
    await database.migrate()
    yield database
    await database.close()


def make(db: Database, **config: float) -> tuple[Outbox, ManualClock]:
    clock = ManualClock(START)
    return Outbox(Changes(db, clock), clock, OutboxConfig(**config), rng=random.Random(7)), clock  # type: ignore[arg-type]


async def test_the_same_key_is_queued_once(db: Database) -> None:
    outbox, _ = make(db)
    async with outbox.changes.begin() as ch:
        assert await ch.send("k1", "say", text="hi") is True
        assert await ch.send("k1", "say", text="hi again") is False
    assert await store.counts(db.conn) == {"pending": 1}


async def test_a_failing_effect_is_retried_with_backoff_then_delivered_once(db: Database) -> None:
    outbox, clock = make(db, base_delay_seconds=2.0, max_delay_seconds=60.0)
    calls: list[dict[str, object]] = []

    async def flaky(payload: dict[str, object]) -> dict[str, object]:
        calls.append(payload)
        if len(calls) < 3:
            raise ConnectionError("Discord is down")
        return {"ok": True}

    outbox.register("say", flaky)
    async with outbox.changes.begin() as ch:
        await ch.send("k1", "say", text="hi")
    assert await outbox.drain() == 0
    item = await store.get(db.conn, "k1")
    assert item is not None and item.attempts == 1 and "Discord is down" in (item.last_error or "")
    assert await outbox.drain() == 0  # not due yet: the backoff is respected
    clock.advance(2)
    assert await outbox.drain() == 0
    clock.advance(4)
    assert await outbox.drain() == 1
    assert await outbox.drain() == 0
    done = await store.get(db.conn, "k1")
    assert done is not None and done.status == "done" and done.result == {"ok": True} and done.attempts == 3
    assert len(calls) == 3


async def test_backoff_grows_exponentially_within_its_cap_with_jitter(db: Database) -> None:
    outbox, _ = make(db, base_delay_seconds=2.0, max_delay_seconds=60.0)
    for attempts, ceiling in ((0, 2), (1, 4), (3, 16), (10, 60)):
        delays = {outbox.backoff(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: retries of many items do not stampede together


async def test_permanent_failures_and_exhausted_retries_are_given_up(db: Database) -> None:
    outbox, clock = make(db, max_attempts=2, base_delay_seconds=1.0)

    async def refused(payload: dict[str, object]) -> dict[str, object]:
        raise PermanentFailure("Discord said 403")

    async def down(payload: dict[str, object]) -> dict[str, object]:
        raise TimeoutError("still down")

    outbox.register("refused", refused)
    outbox.register("down", down)
    async with outbox.changes.begin() as ch:
        await ch.send("a", "refused")
        await ch.send("b", "down")
    await outbox.drain()
    clock.advance(10)
    await outbox.drain()
    assert await store.counts(db.conn) == {"dead": 2}


async def test_an_effect_nobody_delivers_yet_waits_instead_of_being_dropped(db: Database) -> None:
    outbox, clock = make(db)
    async with outbox.changes.begin() as ch:
        await ch.send("gh", "github.bounty_issue", bounty_id=1)
    await outbox.drain()
    waiting = await store.get(db.conn, "gh")
    assert waiting is not None and waiting.status == "pending" and "no handler" in (waiting.last_error or "")

    async def create_issue(payload: dict[str, object]) -> dict[str, object]:
        return {"issue": 7}

    outbox.register("github.bounty_issue", create_issue)
    clock.advance(3600)
    assert await outbox.drain() == 1


async def test_retry_later_waits_without_burning_attempts_fast(db: Database) -> None:
    outbox, clock = make(db)
    ready = False

    async def needs_channel(payload: dict[str, object]) -> dict[str, object]:
        if not ready:
            raise RetryLater("no channel yet", after=5)
        return {}

    outbox.register("post", needs_channel)
    async with outbox.changes.begin() as ch:
        await ch.send("p", "post")
    await outbox.drain()
    ready = True
    assert await outbox.drain() == 0
    clock.advance(5)
    assert await outbox.drain() == 1


async def test_wait_for_returns_the_delivered_result(db: Database) -> None:
    outbox, _ = make(db)

    async def make_channel(payload: dict[str, object]) -> dict[str, object]:
        return {"channel_id": 42}

    outbox.register("make", make_channel)
    outbox.start()
    try:
        async with outbox.changes.begin() as ch:
            await ch.send("m", "make")
        item = await outbox.wait_for("m", timeout=2)
        assert item is not None and item.result == {"channel_id": 42}
        again = await outbox.wait_for("m", timeout=0.1)  # already done: answered from the database
        assert again is not None and again.result == {"channel_id": 42}
        assert await outbox.wait_for("never", timeout=0.05) is None
    finally:
        await outbox.stop()
