"""The timeline: phase spans from the state periods, targets as ranges, each threshold told once to staff and
the bounty channel, the picture `/bounty status` attaches, and the migration that rebuilds old periods."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import BountyBot
from bot.charts.process import DrawingProcess, drawing_process
from bot.charts.timeline import FILENAME, HEIGHT, WIDTH, TimelinePicture, draw_timeline
from bot.clock import ManualClock
from bot.config import ConfigError, parse_config
from bot.domain.lifecycle import State
from bot.domain.models import StatePeriod
from bot.domain.notices import timeline_lines
from bot.domain.timeline import (
    DAY,
    DEFAULT_PHASE_TARGETS,
    DEFAULT_TOTAL_TARGET,
    Bound,
    ProcessPhase,
    Segment,
    Standing,
    TargetRange,
    Timeline,
    bounds_ahead,
    build_timeline,
    ordinal,
    phase_spans,
    process_span,
)
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.harness import running_bot
from bot.services.lifecycle import PHASE_OVERRUN, subject
from bot.store import audit, bounties
from bot.store.db import open_database
from tests.conftest import START, People
from tests.intake_helpers import start_bounty
from tests.qa_helpers import pass_qa
from tests.test_list import form
from tests.test_restart import titled

T = START


def at(days: float) -> int:
    return T + int(days * DAY)


def period(state: State, entered: float, left: float | None) -> StatePeriod:
    return StatePeriod(state, at(entered), None if left is None else at(left))


# Setup 9 days, development 20, QA sends it back after 3, 4 more days of development, 2 more of QA, then
# governance: rejected and resubmitted, still going.
HISTORY = [
    period(State.INTAKE, 0, 1),
    period(State.REVIEW, 1, 3),
    period(State.AWAITING_PAYMENT, 3, 6),
    period(State.FUNDED, 6, 9),
    period(State.OPEN, 9, 10),
    period(State.DEVELOPMENT, 10, 29),
    period(State.TESTING, 29, 32),
    period(State.DEVELOPMENT, 32, 36),
    period(State.TESTING, 36, 38),
    period(State.GOVERNANCE, 38, 41),
    period(State.REJECTED, 41, 43),
    period(State.GOVERNANCE, 43, None),
]


# --- pure: spans, ranges, the timeline ------------------------------------------------------------------


def test_phases_are_spans_of_the_state_periods() -> None:
    spans = phase_spans(HISTORY)
    assert spans[ProcessPhase.SETUP].segments == (Segment(at(0), at(9)),)
    assert spans[ProcessPhase.DEVELOPMENT].segments == (Segment(at(9), at(29)), Segment(at(32), at(36)))
    assert spans[ProcessPhase.TESTING].segments == (Segment(at(29), at(32)), Segment(at(36), at(38)))
    # Rejected belongs to governance: the resubmission continues the same segment.
    assert spans[ProcessPhase.GOVERNANCE].segments == (Segment(at(38), None),)
    assert spans[ProcessPhase.DEVELOPMENT].start == at(9) and spans[ProcessPhase.DEVELOPMENT].end == at(36)
    assert spans[ProcessPhase.DEVELOPMENT].spent(at(100)) == 24 * DAY
    assert spans[ProcessPhase.GOVERNANCE].end is None and spans[ProcessPhase.GOVERNANCE].spent(at(50)) == 12 * DAY
    assert process_span(HISTORY) == Segment(at(0), None)
    approved = [*HISTORY[:-1], period(State.GOVERNANCE, 43, 47), period(State.APPROVED, 47, None)]
    assert process_span(approved) == Segment(at(0), at(47))
    assert phase_spans(approved)[ProcessPhase.GOVERNANCE].end == at(47)
    assert phase_spans([]) == {} and process_span([]) is None


def test_a_period_left_open_before_a_later_one_ends_when_the_later_begins() -> None:
    gappy = [period(State.INTAKE, 0, None), period(State.REVIEW, 2, None), period(State.OPEN, 8, None)]
    spans = phase_spans(gappy)
    assert spans[ProcessPhase.SETUP].segments == (Segment(at(0), at(8)),)
    assert spans[ProcessPhase.DEVELOPMENT].segments == (Segment(at(8), None),)


def test_target_ranges_their_thresholds_and_what_is_left_of_them() -> None:
    development = DEFAULT_PHASE_TARGETS[ProcessPhase.DEVELOPMENT]
    assert development.text == "2–4 weeks" and DEFAULT_PHASE_TARGETS[ProcessPhase.SETUP].text == "1 week"
    assert DEFAULT_TOTAL_TARGET.text == "4–8 weeks" and TargetRange(10, 20).text == "10–20 days"
    assert development.bounds() == ((Bound.LOW, 14), (Bound.HIGH, 28))
    assert DEFAULT_PHASE_TARGETS[ProcessPhase.SETUP].bounds() == ((Bound.HIGH, 7),)  # one threshold, told once
    assert bounds_ahead(development, 0) == [(Bound.LOW, 14 * DAY), (Bound.HIGH, 28 * DAY)]
    # Back in development after QA with 20 days spent: the lower end was told in the first stint.
    assert bounds_ahead(development, 20 * DAY) == [(Bound.HIGH, 8 * DAY)]
    assert bounds_ahead(development, 28 * DAY) == []
    with pytest.raises(ValueError, match="low <= high"):
        TargetRange(14, 7)
    assert [ordinal(n) for n in (1, 3, 10, 11, 12, 21, 22, 23)] == [
        "first", "third", "tenth", "11th", "12th", "21st", "22nd", "23rd",
    ]  # fmt: skip


def test_the_timeline_plans_each_phase_from_what_really_happened() -> None:
    tl = build_timeline(HISTORY, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(50))
    setup, development, testing, governance = tl.phases
    assert (setup.spent, setup.standing, setup.ongoing) == (9 * DAY, Standing.OVERRUN, False)
    assert (development.spent, development.standing) == (24 * DAY, Standing.PAST_LOW)
    assert development.actual == ((at(9), at(29)), (at(32), at(36)))
    assert (testing.spent, testing.standing) == (5 * DAY, Standing.WITHIN)
    assert (governance.spent, governance.standing, governance.ongoing) == (12 * DAY, Standing.PAST_LOW, True)
    assert [r.planned_start for r in tl.phases] == [at(0), at(9), at(29), at(38)]
    assert (tl.total.spent, tl.total.standing, tl.total.actual) == (50 * DAY, Standing.PAST_LOW, ((at(0), at(50)),))

    # Early on, the phases ahead are planned back to back from the earliest the current one can end.
    in_review = [period(State.INTAKE, 0, 1), period(State.REVIEW, 1, None)]
    early = build_timeline(in_review, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(2))
    assert [r.planned_start for r in early.phases] == [at(0), at(7), at(21), at(28)]
    assert [r.standing for r in early.phases] == [Standing.WITHIN, *[Standing.NOT_STARTED] * 3]
    late = build_timeline(in_review, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(12))
    assert [r.planned_start for r in late.phases] == [at(0), at(12), at(26), at(33)]

    # A cancelled bounty never reaches the phases after it stopped.
    cancelled = [period(State.INTAKE, 0, 2), period(State.CANCELLED, 2, None)]
    stopped = build_timeline(cancelled, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(30))
    assert [r.planned_start for r in stopped.phases] == [at(0), None, None, None]
    assert stopped.total.spent == 2 * DAY and not stopped.total.ongoing

    lines = timeline_lines(tl)
    assert lines[0].startswith("🟥 Setup `") and lines[0].endswith("9.0 d of 1 week · done")
    assert lines[1].startswith("🟨 Development") and "24.0 d of 2–4 weeks · done" in lines[1]
    assert lines[2].startswith("🟩 Testing & QA")
    assert lines[4].startswith("🟨 Total") and lines[4].endswith("50.0 d of 4–8 weeks")
    assert timeline_lines(stopped)[1] == "⬜ Development: not reached"
    assert timeline_lines(early)[1] == "⬜ Development: not started (target 2–4 weeks)"


# --- configuration ----------------------------------------------------------------------------------------


def test_targets_are_ranges_and_a_single_number_still_loads_as_the_upper_end() -> None:
    default = parse_config({"discord": {"guild_id": 1}}, {})
    assert default.phase_targets == DEFAULT_PHASE_TARGETS and default.total_target == TargetRange(28, 56)
    config = parse_config(
        {
            "discord": {"guild_id": 1},
            "timeline": {"setup": 10, "development": [10, 20], "testing": 21, "governance": 3, "total_weeks": [3, 6]},
        },
        {},
    )
    assert config.phase_targets[ProcessPhase.SETUP] == TargetRange(7, 10)  # the old single number: upper end
    assert config.phase_targets[ProcessPhase.DEVELOPMENT] == TargetRange(10, 20)
    assert config.phase_targets[ProcessPhase.TESTING] == TargetRange(7, 21)
    assert config.phase_targets[ProcessPhase.GOVERNANCE] == TargetRange(3, 3)  # below the default lower end
    assert config.total_target == TargetRange(21, 42)
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "discord": {"guild_id": 1},
                "timeline": {"setup": [0, 7], "development": [28, 14], "testing": "2 weeks", "total_weeks": [4]},
            },
            {},
        )
    assert caught.value.problems == [
        "[timeline] setup: must be greater than 0, got [0, 7]",
        "[timeline] development: the lower end 28 is above the upper end 14",
        "[timeline] testing: must be a whole number or [low, high], got '2 weeks'",
        "[timeline] total_weeks: must be a whole number or [low, high], got [4]",
    ]


# --- thresholds, told once each ---------------------------------------------------------------------------


def timeline_titles(sandbox: DiscordSandbox, channel_id: str | int) -> list[str]:
    """Every timeline notice in a channel, in order (state changes, "Bounty #1 Backpack: a → b", left out)."""
    wanted = ("Overrun: bounty #1", "Bounty #1 Backpack")
    titles = [m["embeds"][0]["title"] for m in titled(sandbox, channel_id, "")]
    return [t for t in titles if t.startswith(wanted) and "→" not in t]


async def in_development(bot: BountyBot, people: People, *, setup_days: int = 0) -> int:
    """A bounty started now, through setup in `setup_days`, and in development; returns its channel."""
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    bounty = await bounties.get(bot.db.conn, 1)
    assert bounty is not None and bounty.channel_id is not None
    for state in ("review", "awaiting_payment", "funded"):
        await people.staff.run("bounty advance", channel=bounty.channel_id, to=state, reason="escrow WIRE-7")
    assert isinstance(bot.clock, ManualClock)
    await step(bot, bot.clock, setup_days)
    for state in ("open", "development"):
        await people.staff.run("bounty advance", channel=bounty.channel_id, to=state)
    await bot.outbox.drain()
    return bounty.channel_id


async def advance_to(people: People, channel: int, state: str) -> None:
    await people.staff.run("bounty advance", channel=channel, to=state)


async def step(bot: BountyBot, clock: ManualClock, days: float) -> None:
    clock.advance(int(days * DAY))
    await bot.timers.run_due()
    await bot.outbox.drain()


SETUP_OVERRUN = "Overrun: bounty #1 Backpack is past its Setup target"
DEV_THIRD_WEEK = "Bounty #1 Backpack: Development is in its third week"
DEV_OVERRUN = "Overrun: bounty #1 Backpack is past its Development target"
FIFTH_WEEK = "Bounty #1 Backpack is in its fifth week"
EIGHT_WEEKS = "Overrun: bounty #1 Backpack is past the 8-week total"


async def test_each_threshold_is_told_once_to_staff_and_the_bounty_channel(
    bot: BountyBot, people: People, clock: ManualClock, sandbox: DiscordSandbox
) -> None:
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    channel = await in_development(bot, people, setup_days=8)
    await step(bot, clock, 13.5)
    assert timeline_titles(sandbox, channel) == [SETUP_OVERRUN]
    await step(bot, clock, 1)  # 14.5 days in development: past the lower end of 2–4 weeks
    await step(bot, clock, 6)  # day 28.5 of the bounty: past the lower end of 4–8 weeks
    await step(bot, clock, 8)  # 28.5 days in development: past the upper end
    await step(bot, clock, 30)  # day 66.5: past 8 weeks
    await step(bot, clock, 30)  # nothing more to tell
    expected = [SETUP_OVERRUN, DEV_THIRD_WEEK, FIFTH_WEEK, DEV_OVERRUN, EIGHT_WEEKS]
    assert timeline_titles(sandbox, channel) == expected
    assert timeline_titles(sandbox, staff_alerts) == expected
    third_week = titled(sandbox, channel, DEV_THIRD_WEEK)[0]["embeds"][0]
    assert "its target is 2–4 weeks: past the lower end, still within the target" in third_week["description"]
    assert "is in its fifth week" in titled(sandbox, staff_alerts, DEV_OVERRUN)[0]["embeds"][0]["description"]
    trail = [e.action for e in await audit.for_bounty(bot.db.conn, 1)]
    assert [a for a in trail if a.startswith(("phase_", "total_"))] == [
        "phase_overrun",
        "phase_past_lower_end",
        "total_past_lower_end",
        "phase_overrun",
        "total_overrun",
    ]


async def test_a_phase_ended_in_time_says_nothing_and_its_timers_are_cancelled(
    bot: BountyBot, people: People, clock: ManualClock, sandbox: DiscordSandbox
) -> None:
    channel = await in_development(bot, people, setup_days=2)
    await step(bot, clock, 10)
    await advance_to(people, channel, "testing")
    await step(bot, clock, 5)
    await pass_qa(bot, people)  # the QA gate (tests/test_qa.py)
    await advance_to(people, channel, "governance")
    await step(bot, clock, 5)
    await advance_to(people, channel, "approved")  # day 22: out of the process, its total clock stops too
    await step(bot, clock, 100)
    assert timeline_titles(sandbox, channel) == []
    assert await bot.timers.run_due() == 0


async def test_back_in_development_after_qa_only_what_was_not_told_is_told(
    bot: BountyBot, people: People, clock: ManualClock, sandbox: DiscordSandbox
) -> None:
    channel = await in_development(bot, people)
    await step(bot, clock, 15)
    await advance_to(people, channel, "testing")
    await step(bot, clock, 3)
    await advance_to(people, channel, "development")  # QA sends it back with 15 of its 28 days used
    await step(bot, clock, 12.5)
    assert timeline_titles(sandbox, channel) == [DEV_THIRD_WEEK, FIFTH_WEEK]
    await step(bot, clock, 1)  # 28.5 days of development in all
    assert timeline_titles(sandbox, channel) == [DEV_THIRD_WEEK, FIFTH_WEEK, DEV_OVERRUN]


async def test_a_timer_from_before_ranges_is_the_upper_end(
    bot: BountyBot, people: People, clock: ManualClock, sandbox: DiscordSandbox
) -> None:
    channel = await in_development(bot, people)
    async with bot.changes.begin() as ch:
        await ch.cancel_timers(subject(1), PHASE_OVERRUN)
        # As the bot scheduled it before targets were ranges: the phase and when it began, no bound.
        await ch.timer(PHASE_OVERRUN, subject(1), ch.now + 28 * DAY, phase="development", since=ch.now)
    await step(bot, clock, 29)
    assert DEV_OVERRUN in timeline_titles(sandbox, channel) and DEV_THIRD_WEEK not in timeline_titles(sandbox, channel)


async def test_thresholds_that_fell_due_while_the_bot_was_down_are_told_once(
    config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    async with running_bot(config, clock=clock) as first:
        channel = await in_development(first, people)
        await step(first, clock, 15)
        assert timeline_titles(sandbox, channel) == [DEV_THIRD_WEEK]

    clock.advance(14 * DAY)  # down through the upper end of development and the lower end of the total

    async with running_bot(config, clock=clock) as second:
        await second.outbox.drain()
        assert timeline_titles(sandbox, channel) == [DEV_THIRD_WEEK, FIFTH_WEEK, DEV_OVERRUN]
        assert timeline_titles(sandbox, staff_alerts) == [DEV_THIRD_WEEK, FIFTH_WEEK, DEV_OVERRUN]

    async with running_bot(config, clock=clock) as third:
        await third.outbox.drain()
        assert await third.timers.run_due() == 0
        assert timeline_titles(sandbox, channel) == [DEV_THIRD_WEEK, FIFTH_WEEK, DEV_OVERRUN]


async def test_past_both_ends_at_once_only_the_overrun_is_told(
    config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    async with running_bot(config, clock=clock) as first:
        channel = await in_development(first, people)
    clock.advance(30 * DAY)  # down through both ends of development and the lower end of the total
    async with running_bot(config, clock=clock) as second:
        await second.outbox.drain()
        assert timeline_titles(sandbox, channel) == [FIFTH_WEEK, DEV_OVERRUN]


# --- the picture -----------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its signature, then the IHDR chunk)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_picture_of_a_bounty_with_overruns_is_a_png_of_the_expected_size() -> None:
    tl = build_timeline(HISTORY, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(50))
    # What people type is drawn as text: no math ($…$), no control characters, no emoji boxes.
    picture = TimelinePicture.of(1, "Bounty #1 · $\\frac{Back$pack\x07 🚀", HISTORY, tl)
    assert picture.title == "Bounty #1 · $\\frac{Back$pack"
    png = draw_timeline(picture)
    assert png_size(png) == (WIDTH, HEIGHT) == (960, 480)

    # The same bounty, history and hour is the same picture; an hour later, or a new state, is another.
    def at_minute(minutes: int) -> Timeline:
        return build_timeline(HISTORY, DEFAULT_PHASE_TARGETS, DEFAULT_TOTAL_TARGET, at(50) + minutes * 60)

    assert TimelinePicture.of(1, "x", HISTORY, at_minute(10)) == picture
    assert TimelinePicture.of(1, "x", HISTORY, at_minute(60)) != picture
    assert TimelinePicture.of(1, "x", HISTORY[:-1], tl) != picture


async def test_bounty_status_attaches_the_timeline_picture(bot: BountyBot, people: People, clock: ManualClock) -> None:
    channel = await in_development(bot, people, setup_days=9)
    await step(bot, clock, 30)
    # The cog's pictures, drawn by the real drawing counted (the class the bot loaded: discord.py imports each
    # extension afresh per bot, so not necessarily the one this file would import).
    cog: Any = bot.get_cog("BountyCog")
    drawn: list[TimelinePicture] = []

    def counted(picture: TimelinePicture) -> bytes:
        drawn.append(picture)
        return draw_timeline(picture)

    cog.timelines = type(cog.timelines)(counted, 8)
    asked = await asyncio.gather(
        *(who.run("bounty status", channel=channel) for who in (people.exchange, people.staff) * 3)
    )
    for status in asked:
        reply = status.reply
        [attachment] = reply.attachments
        assert attachment["filename"] == FILENAME and attachment["content_type"] == "image/png"
        assert png_size(attachment["_data"]) == (WIDTH, HEIGHT)
        assert reply.embeds[0]["image"]["url"] == f"attachment://{FILENAME}"
        assert "🟥 Setup" in reply.text and "🟥 Development" in reply.text  # the text timeline stays
    assert len(drawn) == 1  # six people asking at once: drawn once, and kept for the hour
    await step(bot, clock, 1 / 24)
    await people.exchange.run("bounty status", channel=channel)
    assert len(drawn) == 2


async def test_the_picture_is_drawn_in_the_drawing_process_which_comes_back_if_it_dies(
    bot: BountyBot, people: People, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    channel = await in_development(bot, people, setup_days=9)
    first = await people.exchange.run("bounty status", channel=channel)
    helper = drawing_process.pid
    assert helper is not None and helper != os.getpid()
    assert png_size(first.reply.attachments[0]["_data"]) == (WIDTH, HEIGHT)

    os.kill(helper, signal.SIGKILL)  # the pool finds it gone when next asked, or while it is being asked
    await step(bot, clock, 1)  # a new hour: a new picture
    again = await people.staff.run("bounty status", channel=channel)
    assert png_size(again.reply.attachments[0]["_data"]) == (WIDTH, HEIGHT)
    assert drawing_process.pid not in (None, helper)
    assert "the drawing process stopped; starting another" in caplog.text


async def test_the_drawing_process_stops_when_idle_and_starts_again_when_needed(
    bot: BountyBot, people: People, clock: ManualClock
) -> None:
    channel = await in_development(bot, people)
    helper = DrawingProcess(idle_seconds=0)  # idle as soon as a drawing is done
    pids: list[int | None] = []

    async def noting_the_helper(draw: Callable[[TimelinePicture], bytes], picture: TimelinePicture) -> bytes:
        png = await helper.run(draw, picture)
        pids.append(helper.pid)  # still running: its idle stop comes after this step
        return png

    cog: Any = bot.get_cog("BountyCog")
    cog.timelines = type(cog.timelines)(draw_timeline, 8, runner=noting_the_helper)
    for _ in range(2):
        status = await people.exchange.run("bounty status", channel=channel)
        assert png_size(status.reply.attachments[0]["_data"]) == (WIDTH, HEIGHT)
        assert helper.pid is None  # stopped once idle
        await step(bot, clock, 1)  # a new hour: a new picture
    assert None not in pids and len(set(pids)) == 2  # a new helper each time


async def test_a_picture_that_cannot_be_drawn_leaves_the_status_whole(
    bot: BountyBot, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    channel = await in_development(bot, people)
    cog: Any = bot.get_cog("BountyCog")

    def out_of_ink(picture: TimelinePicture) -> bytes:
        raise RuntimeError("out of ink")

    cog.timelines = type(cog.timelines)(out_of_ink, 8)
    status = await people.exchange.run("bounty status", channel=channel)
    assert status.reply.attachments == [] and "image" not in status.reply.embeds[0]
    assert "🟩 Development" in status.reply.text and "Technical review" in status.reply.text
    assert "timeline picture for bounty #1 failed" in caplog.text


# --- the migration --------------------------------------------------------------------------------------


async def test_the_migration_rebuilds_periods_from_the_audit_trail(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "old.db")
    try:
        applied = await db.migrate(target=5)
        assert [m.version for m in applied] == [1, 2, 3, 4, 5]
        moves = [(1, "intake", "review"), (3, "review", "awaiting_payment"), (6, "awaiting_payment", "funded")]
        moves += [(8, "funded", "open"), (9, "open", "development")]
        async with db.transaction() as tx:
            ids = [
                await bounties.insert(tx, guild_id=1, requester_id=7, form=form(n), fee_usd=10_000, now=T, key=f"x{n}")
                for n in range(1, 5)
            ]
            # 1: every period lost. 2: complete. 3: the review period lost, so the current one is missing too.
            # 4: no change recorded and no period at all.
            for bounty_id, changes in ((ids[0], moves), (ids[1], moves[:2]), (ids[2], moves[:2])):
                for day, old, new in changes:
                    await bounties.set_state(tx, bounty_id, State(new), at(day), expected=State(old))
                    change = {"old": old, "new": new}
                    await audit.append(
                        tx, at=at(day), actor_id=42, bounty_id=bounty_id, action="state_changed", detail=change
                    )
            # A change whose detail cannot be read is passed over, not a reason to stop the upgrade.
            await audit.append(tx, at=at(9), actor_id=42, bounty_id=ids[0], action="state_changed", detail=None)
            await tx.execute(
                "INSERT INTO audit_log (at, bounty_id, action, detail) VALUES (?, ?, 'state_changed', 'not json')",
                (at(9), ids[0]),
            )
            await tx.execute("DELETE FROM state_periods WHERE bounty_id IN (?, ?)", (ids[0], ids[3]))
            await tx.execute("DELETE FROM state_periods WHERE bounty_id = ? AND state != 'intake'", (ids[2],))
            before = await bounties.state_periods(tx, ids[1])

        assert 8 in [m.version for m in await db.migrate()]
        rebuilt = await bounties.state_periods(db.conn, ids[0])
        assert rebuilt == [
            StatePeriod(State.INTAKE, at(0), at(1)),
            StatePeriod(State.REVIEW, at(1), at(3)),
            StatePeriod(State.AWAITING_PAYMENT, at(3), at(6)),
            StatePeriod(State.FUNDED, at(6), at(8)),
            StatePeriod(State.OPEN, at(8), at(9)),
            StatePeriod(State.DEVELOPMENT, at(9), None),
        ]
        spans = phase_spans(rebuilt)
        assert spans[ProcessPhase.SETUP].segments == (Segment(at(0), at(8)),)
        assert spans[ProcessPhase.DEVELOPMENT].segments == (Segment(at(8), None),)
        assert await bounties.state_periods(db.conn, ids[1]) == before  # complete: untouched
        assert await bounties.state_periods(db.conn, ids[2]) == [
            StatePeriod(State.INTAKE, at(0), at(1)),
            StatePeriod(State.REVIEW, at(1), at(3)),
            StatePeriod(State.AWAITING_PAYMENT, at(3), None),
        ]
        assert await bounties.state_periods(db.conn, ids[3]) == [StatePeriod(State.INTAKE, at(0), None)]
        for bounty_id, periods in ((ids[0], 6), (ids[1], None), (ids[2], 3), (ids[3], 1)):
            # Read as stored: the unreadable detail above would stop `audit.for_bounty`.
            rows = await db.conn.execute_fetchall(
                "SELECT detail FROM audit_log WHERE bounty_id = ? AND action = 'periods_rebuilt'", (bounty_id,)
            )
            notes = [json.loads(row[0]) for row in rows]
            assert notes == ([] if periods is None else [{"source": "audit_log", "migration": 8, "periods": periods}])
    finally:
        await db.close()  # its thread would keep the test process alive after a failure
