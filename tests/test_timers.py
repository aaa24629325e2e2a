"""Durable timers: rows in the database, fired once, even across restarts and concurrent runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.changes import Change, Changes
from bot.clock import ManualClock
from bot.store import timers as store
from bot.store.db import Database, open_database
from bot.store.timers import TimerRow
from bot.timers import Timers
from tests.conftest import START


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "t.db")
    await database.migrate()
    yield database
    await database.close()


def recorder(fired: list[str]):  # type: ignore[no-untyped-def]
    async def handler(ch: Change, row: TimerRow) -> None:
        fired.append(row.subject)
        await ch.audit("fired", actor_id=None, bounty_id=None, subject=row.subject)

    return handler


async def add_timer(changes: Changes, subject: str, due: int) -> None:
    async with changes.begin() as ch:
        await ch.timer("reminder", subject, due)


async def test_a_due_timer_fires_once(db: Database) -> None:
    clock = ManualClock(START)
    changes = Changes(db, clock)
    timers = Timers(changes, clock)
    fired: list[str] = []
    timers.register("reminder", recorder(fired))
    await add_timer(changes, "a", START + 60)
    assert await timers.run_due() == 0
    clock.advance(60)
    assert await timers.run_due() == 1
    assert await timers.run_due() == 0
    assert fired == ["a"]


async def test_concurrent_runs_fire_a_timer_once(db: Database) -> None:
    clock = ManualClock(START)
    changes = Changes(db, clock)
    timers = Timers(changes, clock)
    fired: list[str] = []
    timers.register("reminder", recorder(fired))
    for i in range(20):
        await add_timer(changes, f"t{i}", START)
    counts = await asyncio.gather(*(timers.run_due() for _ in range(5)))
    assert sum(counts) == 20 and sorted(fired) == sorted(f"t{i}" for i in range(20))


async def test_a_timer_due_while_down_fires_once_at_start_on_a_new_process(db: Database) -> None:
    clock = ManualClock(START)
    first = Timers(Changes(db, clock), clock)
    await add_timer(first.changes, "while-down", START + 3600)
    # The bot stops; two hours pass; a new one starts on the same database.
    clock.advance(7200)
    fired: list[str] = []
    second = Timers(Changes(db, clock), clock)
    second.register("reminder", recorder(fired))
    await second.start()
    second.stop()
    third = Timers(Changes(db, clock), clock)
    third.register("reminder", recorder(fired))
    await third.start()
    third.stop()
    assert fired == ["while-down"]


async def test_apscheduler_fires_the_next_timer_when_the_clock_moves(db: Database) -> None:
    clock = ManualClock(START)
    timers = Timers(Changes(db, clock), clock)
    fired: list[str] = []
    timers.register("reminder", recorder(fired))
    await timers.start()
    try:
        await add_timer(timers.changes, "later", START + 86400)
        await asyncio.sleep(0.1)
        assert fired == []
        clock.advance(86400)  # a week of tests in a second: the scheduler is woken, not polled
        for _ in range(50):
            if fired:
                break
            await asyncio.sleep(0.02)
        assert fired == ["later"]
    finally:
        timers.stop()


async def test_a_failing_handler_keeps_its_timer_for_later(db: Database) -> None:
    clock = ManualClock(START)
    timers = Timers(Changes(db, clock), clock)
    attempts: list[int] = []

    async def flaky(ch: Change, row: TimerRow) -> None:
        attempts.append(1)
        await ch.audit("tried", actor_id=None, bounty_id=None)
        if len(attempts) == 1:
            raise RuntimeError("downstream hiccup")

    timers.register("reminder", flaky)
    await add_timer(timers.changes, "x", START)
    assert await timers.run_due() == 0
    assert await store.count_pending(db.conn) == 1
    async with db.conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'tried'") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]  # the failed attempt's effects rolled back
    clock.advance(300)
    assert await timers.run_due() == 1
    assert await store.count_pending(db.conn) == 0


async def test_cancelled_timers_never_fire(db: Database) -> None:
    clock = ManualClock(START)
    timers = Timers(Changes(db, clock), clock)
    fired: list[str] = []
    timers.register("reminder", recorder(fired))
    await add_timer(timers.changes, "bounty:1", START + 10)
    async with timers.changes.begin() as ch:
        assert await ch.cancel_timers("bounty:1") == 1
    clock.advance(20)
    assert await timers.run_due() == 0 and fired == []


def test_a_kind_has_one_handler(db: Database) -> None:
    clock = ManualClock(START)
    timers = Timers(Changes(db, clock), clock)
    timers.register("reminder", recorder([]))
    with pytest.raises(ValueError, match="already"):
        timers.register("reminder", recorder([]))
