"""The SLA clock's arithmetic (bot/domain/sla.py) and its configuration: release cuts, due times with pauses,
the thresholds, and what is told again (never) when the due time moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.config import ConfigError, parse_config
from bot.domain import sla
from bot.domain.bugs import Bug, BugState, Severity, validate_note, validate_pause_reason
from bot.domain.sla import HOUR, MonthlyRule, NextCut, ReleaseCalendar


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


FIRST_MONDAY = ReleaseCalendar()  # the default: the first Monday of each month, 12:00 UTC


# --- the release calendar -----------------------------------------------------------------------------------


def test_the_next_cut_is_the_first_monday_of_the_month_at_the_configured_hour() -> None:
    assert FIRST_MONDAY.next_cut(at(2026, 11, 24, 12)) == at(2026, 12, 7, 12)
    assert FIRST_MONDAY.next_cut(at(2026, 12, 7, 11, 59)) == at(2026, 12, 7, 12)
    # A cut is strictly after: opened at the cut itself, the bug waits for the next one (January 4th, 2027).
    assert FIRST_MONDAY.next_cut(at(2026, 12, 7, 12)) == at(2027, 1, 4, 12)
    assert FIRST_MONDAY.next_cut(at(2027, 12, 31, 23)) == at(2028, 1, 3, 12)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("last friday", date(2026, 11, 27)),
        ("third wednesday", date(2026, 12, 16)),
        ("second tuesday", date(2026, 12, 8)),
    ],
)
def test_other_monthly_rules(rule: str, expected: date) -> None:
    parsed, problem = sla.parse_rule(rule)
    assert problem is None and parsed is not None
    assert ReleaseCalendar(rule=parsed, hour=9).next_cut(at(2026, 11, 24, 12)) == at(
        expected.year, expected.month, expected.day, 9
    )


def test_listed_dates_and_recorded_releases_count_as_cuts() -> None:
    listed = ReleaseCalendar(rule=None, dates=(date(2027, 1, 4), date(2027, 2, 1)), hour=12)
    assert listed.next_cut(at(2026, 11, 24)) == at(2027, 1, 4, 12)
    assert listed.next_cut(at(2027, 2, 1, 12)) is None  # no cut known after the last date
    # Releases recorded later (issue 12) are cuts too: an earlier one wins.
    assert listed.next_cut(at(2026, 11, 24), extra_dates=(date(2026, 12, 15),)) == at(2026, 12, 15, 12)
    both = ReleaseCalendar(rule=MonthlyRule(1, 0), dates=(date(2026, 12, 1),), hour=12)
    assert both.next_cut(at(2026, 11, 24)) == at(2026, 12, 1, 12)
    assert NextCut(listed, (at(2026, 12, 15, 9),))(at(2026, 12, 20)) == at(2027, 1, 4, 12)
    # A recorded release counts at the moment it shipped, never again at the calendar's hour that day.
    assert NextCut(listed, (at(2026, 12, 15, 9),))(at(2026, 12, 1)) == at(2026, 12, 15, 9)
    assert NextCut(listed, (at(2026, 12, 15, 9),))(at(2026, 12, 15, 10)) == at(2027, 1, 4, 12)


@pytest.mark.parametrize("text", ["first", "1st monday", "fifth monday", "first mondays", "every monday"])
def test_a_rule_that_is_not_one_is_said_plainly(text: str) -> None:
    rule, problem = sla.parse_rule(text)
    assert rule is None and problem is not None and "first monday" in problem


def test_the_sla_section_is_checked() -> None:
    def problems(section: dict[str, object]) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            parse_config({"discord": {"guild_id": 1}, "sla": section}, {})
        return caught.value.problems

    assert problems({"release_calendar": "every monday"})[0].startswith(
        "[sla] release_calendar: 'every monday' is not a monthly rule"
    )
    assert problems({"release_dates": ["2027-01-04", "2027-13-01", "soon"]}) == [
        "[sla] release_dates[1]: '2027-13-01' is not a date written YYYY-MM-DD (like 2027-01-04)",
        "[sla] release_dates[2]: 'soon' is not a date written YYYY-MM-DD (like 2027-01-04)",
    ]
    assert problems({"release_dates": "2027-01-04"})[0].startswith("[sla] release_dates: must be a list of dates")
    assert problems({"release_hour": 24}) == ["[sla] release_hour: must be 0–23 (UTC), got 24"]
    assert "needs release_dates" in problems({"release_calendar": "none"})[0]
    config = parse_config(
        {
            "discord": {"guild_id": 1},
            "sla": {"release_calendar": "none", "release_dates": ["2027-02-01", "2027-01-04"]},
        },
        {},
    )
    assert config.sla.calendar == ReleaseCalendar(rule=None, dates=(date(2027, 1, 4), date(2027, 2, 1)), hour=12)


# --- due times -------------------------------------------------------------------------------------------------

OPENED = at(2026, 11, 24, 12)


def test_a_timed_due_is_the_window_plus_the_stopped_time() -> None:
    assert sla.timed_due(OPENED, 24, 0) == OPENED + 24 * HOUR
    assert sla.timed_due(OPENED, 24, 3 * HOUR) == OPENED + 27 * HOUR


def test_resuming_moves_a_timed_due_by_the_paused_time() -> None:
    due = OPENED + 24 * HOUR
    cut = NextCut(FIRST_MONDAY)
    assert sla.due_after_stop(due, OPENED + 10 * HOUR, OPENED + 15 * HOUR, minor=False, next_cut=cut) == due + 5 * HOUR


def test_a_minor_bug_keeps_its_cut_unless_the_cut_passed_while_it_was_stopped() -> None:
    cut = NextCut(FIRST_MONDAY)
    december = at(2026, 12, 7, 12)
    assert sla.minor_due(OPENED, 0, cut) == december
    # Paused and resumed before the cut: the same cut.
    assert sla.due_after_stop(december, OPENED + HOUR, at(2026, 12, 1), minor=True, next_cut=cut) == december
    # The cut passed while paused: the following one.
    assert sla.due_after_stop(december, at(2026, 12, 5), at(2026, 12, 9), minor=True, next_cut=cut) == at(
        2027, 1, 4, 12
    )
    # Paused after its cut had passed (breached): the breach stands, the cut does not move.
    assert sla.due_after_stop(december, at(2026, 12, 8), at(2026, 12, 9), minor=True, next_cut=cut) == december


def test_time_left_freezes_while_paused() -> None:
    due = OPENED + 24 * HOUR
    assert sla.remaining(due, OPENED + 20 * HOUR, None) == 4 * HOUR
    assert sla.remaining(due, OPENED + 30 * HOUR, None) == -6 * HOUR
    assert sla.remaining(due, OPENED + 90 * HOUR, paused_at=OPENED + 14 * HOUR) == 10 * HOUR


# --- thresholds ------------------------------------------------------------------------------------------------


def test_thresholds_move_with_the_stopped_time() -> None:
    assert sla.checkpoints(OPENED, 0, OPENED + 24 * HOUR) == [
        ("warn_50", OPENED + 12 * HOUR),
        ("warn_90", OPENED + round(21.6 * HOUR)),
        ("breach", OPENED + 24 * HOUR),
    ]
    # Five hours paused: every threshold five hours later.
    assert sla.checkpoints(OPENED, 5 * HOUR, OPENED + 29 * HOUR) == [
        ("warn_50", OPENED + 17 * HOUR),
        ("warn_90", OPENED + round(26.6 * HOUR)),
        ("breach", OPENED + 29 * HOUR),
    ]


def test_a_threshold_told_is_never_told_again_and_one_behind_is_told_once_now() -> None:
    points = sla.checkpoints(OPENED, 0, OPENED + 24 * HOUR)
    fresh = sla.plan(points, OPENED, frozenset())
    assert fresh.alert_now is None and [s for s, _ in fresh.schedule] == ["warn_50", "warn_90", "breach"]
    # After the 50% warning was told: the rest are scheduled, the warning is not.
    later = sla.plan(points, OPENED + 13 * HOUR, frozenset({"warn_50"}))
    assert later.alert_now is None and [s for s, _ in later.schedule] == ["warn_90", "breach"]
    # A shorter window puts all three behind: only the breach is told; the warnings it passed are moot.
    short = sla.plan(points, OPENED + 30 * HOUR, frozenset())
    assert short.alert_now == "breach" and short.passed_quietly == {"warn_50", "warn_90"} and short.schedule == ()
    # Behind and already told: nothing.
    assert sla.plan(points, OPENED + 30 * HOUR, frozenset({"warn_50", "warn_90", "breach"})) == sla.CheckpointPlan()


def test_time_to_resolve_leaves_the_stopped_time_out() -> None:
    bug = Bug(
        id=1,
        bounty_id=1,
        severity=Severity.MAJOR,
        title="Order book stale",
        description="Stops after a reconnect.",
        reporter_id=1,
        state=BugState.RESOLVED,
        opened_at=OPENED,
        due_at=OPENED + 53 * HOUR,
        resolved_at=OPENED + 30 * HOUR,
        paused_seconds=5 * HOUR,
    )
    assert bug.time_to_resolve() == 25 * HOUR and bug.within_sla() is True
    assert sla.duration(25 * HOUR + 30 * 60) == "1 d 1 h" and sla.duration(5 * HOUR + 12 * 60) == "5 h 12 min"
    assert sla.duration(40 * 60) == "40 min" and sla.duration(20) == "under a minute"


def test_notes_and_pause_reasons_are_checked() -> None:
    assert validate_note(None) == (None, None) and validate_note("   ") == (None, None)
    assert validate_note("  Reset\u200b the nonce\n on reconnect ")[0] == "Reset the nonce on reconnect"
    assert "at least 3" in (validate_note("ok")[1] or "")
    assert "at most 500" in (validate_note("x" * 501)[1] or "")
    assert validate_pause_reason("Waiting on API keys")[1] is None
    assert "at least 3" in (validate_pause_reason(" \u200b ")[1] or "")
