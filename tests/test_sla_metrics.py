"""SLA metrics and the maintenance year's months, as pure arithmetic: times to resolve, breaches, the share within
SLA, medians, the first month after release, the usage figures' parsing, and the chart's picture."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from bot.charts.sla import WIDTH, SlaPicture, draw_sla, height
from bot.domain.bugs import Bug, BugState, Severity
from bot.domain.lifecycle import State
from bot.domain.models import Bounty
from bot.domain.reports import (
    MonthReport,
    Targets,
    Usage,
    month_at,
    month_bugs,
    month_name,
    month_window,
    monthly_comment,
    parse_users,
    parse_volume,
    usage_lines,
)
from bot.domain.sla_metrics import (
    HOUR,
    FirstMonth,
    add_months,
    breached,
    first_month,
    hours,
    median,
    sla_figures,
    time_to_resolve,
)
from tests.test_list import form

T = int(datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp())


def bug(
    bug_id: int,
    severity: Severity = Severity.CRITICAL,
    *,
    opened: float = 0,
    resolved: float | None = None,
    window: float | None = 24,
    paused: float = 0,
    breached_after: float | None = None,
    paused_since: float | None = None,
    bounty_id: int = 1,
) -> Bug:
    """A bug opened `opened` hours after T, resolved `resolved` hours after T, due `window` hours after opening."""
    at = lambda h: T + int(h * HOUR)  # noqa: E731
    due = None if window is None else at(opened + window + paused)
    return Bug(
        bug_id,
        bounty_id,
        severity,
        "Order book stale",
        "After a reconnect",
        7,
        BugState.RESOLVED if resolved is not None else BugState.OPEN,
        at(opened),
        due,
        resolved_at=None if resolved is None else at(resolved),
        paused_seconds=int(paused * HOUR),
        breached_at=None if breached_after is None else at(breached_after),
        paused_at=None if paused_since is None else at(paused_since),
    )


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


# --- months ---------------------------------------------------------------------------------------------------


def test_months_are_calendar_months_in_utc() -> None:
    assert add_months(utc(2027, 1, 31, 10), 1) == utc(2027, 2, 28, 10)  # no 31 February: its last day
    assert add_months(utc(2028, 1, 31), 1) == utc(2028, 2, 29)  # a leap year
    assert add_months(utc(2026, 12, 15), 1) == utc(2027, 1, 15)
    assert add_months(utc(2026, 12, 15), 14) == utc(2028, 2, 15)
    assert add_months(utc(2027, 3, 31), -1) == utc(2027, 2, 28)
    start = utc(2026, 12, 1)
    assert month_window(start, 1) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert month_window(start, 3) == (utc(2027, 2, 1), utc(2027, 3, 1))
    assert month_at(start, start) == 1 and month_at(start, utc(2027, 1, 1) - 1) == 1
    assert month_at(start, utc(2027, 1, 1)) == 2 and month_at(start, start - 5) == 1
    assert month_name(1) == "month 1 of the maintenance year"
    assert month_name(12) == "month 12 of the maintenance year"
    assert month_name(14) == "month 2 of maintenance year 2"


# --- one bug --------------------------------------------------------------------------------------------------


def test_time_to_resolve_leaves_out_the_stopped_time() -> None:
    assert time_to_resolve(bug(1, opened=0, resolved=10)) == 10 * HOUR
    assert time_to_resolve(bug(1, opened=0, resolved=30, paused=8)) == 22 * HOUR
    assert time_to_resolve(bug(1, opened=2)) is None  # still open


def test_a_breach_is_recorded_or_seen_from_the_running_clock() -> None:
    now = T + 100 * HOUR
    assert not breached(bug(1, resolved=23), now)
    assert breached(bug(1, resolved=23, breached_after=24), now)  # recorded: it stays breached once reopened
    assert breached(bug(1, resolved=25), now)  # resolved after its due time, breach not recorded yet
    assert not breached(bug(1, resolved=30, paused=8), now)  # paused 8 h: due at 32 h
    assert breached(bug(1), now) and not breached(bug(1), T + 23 * HOUR)  # open, by now
    assert not breached(bug(1, paused_since=20), now)  # paused before its due time: the clock stopped
    assert not breached(bug(1, Severity.MINOR, window=None), now)  # no due time (not yet given one)


# --- figures ---------------------------------------------------------------------------------------------------


def test_the_share_within_sla_counts_open_breached_bugs_against_it() -> None:
    now = T + 200 * HOUR
    bugs = [
        bug(1, resolved=5),  # critical, within
        bug(2, resolved=30, breached_after=24),  # critical, breached
        bug(3, Severity.MAJOR, resolved=20, window=48),  # major, within
        bug(4, Severity.MAJOR, opened=190, window=48),  # major, open, not yet due: not judged
        bug(5, Severity.MAJOR, opened=100, window=48),  # major, open, breached: against
        bug(6, Severity.MINOR, resolved=90, window=None),  # minor, within (no due time)
    ]
    f = sla_figures(bugs, now)
    assert (f.bugs, f.open, f.resolved, f.breached, f.open_breached) == (6, 2, 4, 2, 1)
    assert (f.within, f.judged) == (3, 5) and f.share_within == pytest.approx(0.6)
    critical, major, minor = f.by_severity
    assert (critical.open, critical.resolved, critical.breached, critical.median_seconds) == (0, 2, 1, 17.5 * HOUR)
    assert (major.open, major.resolved, major.breached, major.median_seconds) == (2, 1, 1, 20 * HOUR)
    assert (minor.total, minor.median_seconds) == (1, 90 * HOUR)
    assert f.median_seconds == 25 * HOUR  # 5, 20, 30, 90 h: between 20 and 30
    # The chart's bars: resolved ones in the order they were resolved, then the open ones so far.
    assert [(r.bug_id, r.resolved, r.within) for r in f.resolutions] == [
        (1, True, True),
        (3, True, True),
        (2, True, False),
        (6, True, True),
        (4, False, True),
        (5, False, False),
    ]
    assert f.resolutions[-1].seconds == 100 * HOUR


def test_no_bugs_or_nothing_judged_yet() -> None:
    empty = sla_figures([], T)
    assert (empty.bugs, empty.share_within, empty.median_seconds, empty.resolutions) == (0, None, None, ())
    waiting = sla_figures([bug(1)], T + HOUR)
    assert waiting.judged == 0 and waiting.share_within is None
    assert median([]) is None and median([3, 1, 2]) == 2 and median([1, 2]) == 2  # 1.5 rounds to even


def test_bugs_in_the_first_month_after_release() -> None:
    assert first_month([bug(1)], None) == FirstMonth(None, None, 0)  # not released yet
    released = T + 10 * HOUR
    ends = add_months(released, 1)
    bugs = [
        bug(1, opened=9),  # before release: not counted
        bug(2, opened=10),  # at release
        bug(3, opened=(ends - T) / HOUR - 0.01),  # the month's last minute
        bug(4, opened=(ends - T) / HOUR),  # the month is over
    ]
    first = first_month(bugs, released)
    assert (first.bugs, first.ends_at, first.met) == (2, ends, True)
    assert first.ongoing(ends - 1) and not first.ongoing(ends)
    assert not first_month([bug(i, opened=10 + i) for i in range(5)], released).met  # 5 is not fewer than 5
    assert first_month([bug(i, opened=10 + i) for i in range(5)], released, below=6).met


def test_durations_read_as_people_say_them() -> None:
    assert [hours(s) for s in (None, 30, 45 * 60, 13.5 * HOUR, 80 * HOUR)] == [
        "—",
        "1 min",
        "45 min",
        "13.5 h",
        "3.3 days",
    ]


# --- usage figures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"), [("120", 120), ("1,200", 1200), ("0", 0), (" 7 ", 7), ("1,000,000,000", 10**9)]
)
def test_users_are_whole_numbers(text: str, users: int) -> None:
    assert parse_users(text) == (users, None)


@pytest.mark.parametrize("text", ["-1", "1.5", "1e3", "twelve", "１００", "1_000", "12,00", "1000000001", ""])
def test_users_refused_say_what_to_write(text: str) -> None:
    value, why = parse_users(text)
    assert value is None and why is not None and why.startswith("Users: ")


@pytest.mark.parametrize(
    ("text", "cents"),
    [("0", 0), ("0.00", 0), ("250000", 25_000_000), ("1,250,000.50", 125_000_050), ("1000000000000", 10**14)],
)
def test_volume_is_an_exact_amount_in_usd(text: str, cents: int) -> None:
    assert parse_volume(text) == (cents, None)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("-5", "is not an amount"),
        ("1e6", "is not an amount"),
        ("NaN", "is not an amount"),
        ("12.345", "more than 2 decimals"),
        ("1000000000000.01", "more than 1,000,000,000,000 USD in a month"),
        ("9" * 30, "more than"),
    ],
)
def test_volume_refused_says_what_was_wrong(text: str, said: str) -> None:
    value, why = parse_volume(text)
    assert value is None and why is not None and why.startswith("Volume: ") and said in why, why


def test_usage_against_the_targets() -> None:
    targets = Targets(users=50, volume_usd=1_000_000)
    assert usage_lines(Usage(120, 125_000_050), targets) == [
        "Users: 120 (✅ target 50)",
        "Trading volume: $1,250,000.50 (✅ target $1,000,000)",
    ]
    assert usage_lines(Usage(10, 0), targets) == ["Users: 10 (target 50)", "Trading volume: $0.00 (target $1,000,000)"]
    assert "not recorded" in usage_lines(None, targets)[0]


def test_a_months_report_is_about_the_bugs_of_that_month() -> None:
    start, end = T, T + 720 * HOUR
    bugs = [
        bug(1, opened=-100, resolved=-50),  # resolved before the month: not in it
        bug(2, opened=-10, resolved=10),  # resolved in it, within its 24 h
        bug(3, Severity.MAJOR, opened=5, window=48),  # reported in it, still open (breached by the end)
        bug(4, Severity.MINOR, opened=800, window=None),  # after it
    ]
    assert [b.id for b in month_bugs(bugs, start, end)] == [2, 3]
    bounty = Bounty(1, 1, 2, form(1), State.MAINTENANCE, T, 10_000, T)
    report = MonthReport.of(
        bounty,
        1,
        start,
        end,
        bugs,
        updates=2,
        usage=Usage(120, 100),
        first=FirstMonth(None, None, 0),
        targets=Targets(),
    )
    assert report.reported == {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 0}
    assert (report.resolved, report.still_open) == (1, 1)
    assert report.bug_text() == "1 reported (major 1); 1 resolved; 1 open"
    # Bug 3 is past its 48 h by the month's end: it counts against the SLA before it is fixed.
    assert report.sla_text() == "Within SLA: 50% (1 of 2); median time to resolve 20.0 h"
    comment = monthly_comment(report)
    assert comment.startswith("### Monthly report: month 1 of the maintenance year (2026-12-01 to 2026-12-31)")
    assert "- **Weekly updates:** 2" in comment and "Users: 120 (✅ target 50)" in comment
    assert "<t:" not in comment  # Discord's timestamps mean nothing on GitHub


# --- the chart ------------------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, tall = struct.unpack(">II", data[16:24])
    return width, tall


@pytest.mark.parametrize("bars", [1, 6, 40])
def test_the_chart_is_a_png_sized_for_its_bars(bars: int) -> None:
    # A minor bug that took weeks puts the hours axis on a log scale; the windows stay drawn.
    bugs = [bug(i, resolved=i * 7, breached_after=24 if i * 7 > 24 else None) for i in range(1, bars)]
    bugs.append(bug(bars, Severity.MINOR, resolved=600, window=None))
    f = sla_figures(bugs, T + 1000 * HOUR)
    picture = SlaPicture.of("Bounty #1 · Backpack 🚀", f.resolutions, 24, 48, overall=False)
    assert len(picture.bars) == min(bars, 30) and picture.title == "Bounty #1 · Backpack"
    assert png_size(draw_sla(picture)) == (WIDTH, height(len(picture.bars)))
