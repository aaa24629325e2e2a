"""The weekly rhythm's arithmetic (bot/domain/weekly.py): local times kept across daylight saving, developers
far east and far west of UTC, the week's checkpoints, and what people type."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.weekly import (
    Rhythm,
    current_week,
    next_prompt,
    pause_end,
    pause_reason,
    quiet_since,
    rhythm_from,
    timezone_problem,
    week_from,
)

H = 3600
MONDAY, SUNDAY = 0, 6


def utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[arg-type, misc]


def test_a_prompt_is_the_next_slot_strictly_after() -> None:
    monday_3pm = Rhythm(MONDAY, 15, "UTC")
    tuesday = utc(2026, 11, 24, 12)
    assert next_prompt(tuesday, monday_3pm) == utc(2026, 11, 30, 15)
    assert next_prompt(utc(2026, 11, 30, 14, 59), monday_3pm) == utc(2026, 11, 30, 15)
    assert next_prompt(utc(2026, 11, 30, 15), monday_3pm) == utc(2026, 12, 7, 15)  # strictly after


def test_a_week_across_the_spring_change_is_167_hours_and_keeps_the_local_hour() -> None:
    berlin = Rhythm(MONDAY, 9, "Europe/Berlin")
    week = week_from(next_prompt(utc(2027, 3, 18, 12), berlin), berlin)
    assert week.start == utc(2027, 3, 22, 8)  # 09:00 CET
    assert week.end == utc(2027, 3, 29, 7)  # 09:00 CEST: clocks went forward on Sunday 28 March
    assert week.end - week.start == 167 * H
    assert week.reminder_at == week.start + round(0.8 * 167 * H)
    assert week.follow_up_at == week.end + 24 * H and week.escalate_at == week.end + 72 * H


def test_a_week_across_the_autumn_change_is_169_hours() -> None:
    berlin = Rhythm(MONDAY, 9, "Europe/Berlin")
    week = week_from(next_prompt(utc(2026, 10, 15, 12), berlin), berlin)
    assert (week.start, week.end) == (utc(2026, 10, 19, 7), utc(2026, 10, 26, 8))
    assert week.end - week.start == 169 * H


def test_an_hour_that_does_not_exist_or_happens_twice() -> None:
    # 02:00 on the spring Sunday does not exist in Berlin: it is read as 03:00 CEST.
    assert next_prompt(utc(2027, 3, 27, 12), Rhythm(SUNDAY, 2, "Europe/Berlin")) == utc(2027, 3, 28, 1)
    # 02:00 on the autumn Sunday happens twice: the first one (CEST).
    assert next_prompt(utc(2026, 10, 24, 12), Rhythm(SUNDAY, 2, "Europe/Berlin")) == utc(2026, 10, 25, 0)


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("Pacific/Auckland", utc(2026, 11, 29, 20)),  # UTC+13 in November (NZDT): Monday 09:00 is Sunday in UTC
        ("Pacific/Tongatapu", utc(2026, 11, 29, 20)),  # UTC+13 all year
        ("Pacific/Honolulu", utc(2026, 11, 30, 19)),  # UTC−10: Monday 09:00 is Monday evening in UTC
    ],
)
def test_developers_far_from_utc_are_prompted_at_their_own_nine_oclock(timezone: str, expected: int) -> None:
    rhythm = Rhythm(MONDAY, 9, timezone)
    first = next_prompt(utc(2026, 11, 24, 12), rhythm)
    assert first == expected
    assert datetime.fromtimestamp(first, rhythm_zone(timezone)).strftime("%A %H:%M") == "Monday 09:00"
    assert next_prompt(first, rhythm) - first == 7 * 24 * H


def rhythm_zone(name: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def test_auckland_across_its_own_spring_change() -> None:
    auckland = Rhythm(MONDAY, 9, "Pacific/Auckland")  # NZST (+12) until Sunday 27 September 2026, then NZDT (+13)
    week = week_from(next_prompt(utc(2026, 9, 18), auckland), auckland)
    assert (week.start, week.end) == (utc(2026, 9, 20, 21), utc(2026, 9, 27, 20))
    assert week.end - week.start == 167 * H


def test_prompts_missed_while_down_are_not_chased_one_by_one() -> None:
    rhythm = Rhythm(MONDAY, 15, "UTC")
    due = utc(2026, 11, 30, 15)
    assert current_week(due, rhythm, due + 60).start == due
    three_weeks_late = due + 20 * 24 * H
    week = current_week(due, rhythm, three_weeks_late)
    assert week.start == utc(2026, 12, 14, 15) and week.start <= three_weeks_late < week.end


def test_a_pause_restarts_the_silence_count() -> None:
    assert quiet_since(100, 50, None) == 100
    assert quiet_since(100, 50, 400) == 400


def test_settings_are_checked_with_clear_sentences() -> None:
    assert rhythm_from("Tuesday", 9, " Europe/Paris ") == Rhythm(1, 9, "Europe/Paris")
    with pytest.raises(InvalidInput) as refused:
        rhythm_from("someday", 24, "Mars/Olympus")
    assert refused.value.problems == [
        "Day: `someday` is not a day of the week; pick Monday … Sunday.",
        "Hour: 24 is not an hour of the day; give a whole hour from 0 to 23 (15 is 3 pm).",
        "Time zone: `Mars/Olympus` is not an IANA time zone name; give one like `Europe/Paris`, "
        "`America/New_York`, `Pacific/Auckland` or `UTC` (capitals matter).",
    ]
    for bad in ("europe/paris", "America", "../../etc/passwd", "localtime", "", "x" * 100, "Europe/Paris\x00"):
        assert timezone_problem(bad) is not None, bad
    for good in ("UTC", "Pacific/Auckland", "America/Argentina/Buenos_Aires", "Etc/GMT+10"):
        assert timezone_problem(good) is None, good


def test_a_pause_runs_to_a_date_after_today_in_the_developers_zone() -> None:
    now = utc(2026, 11, 24, 12)  # Tuesday 24 November in UTC; already Wednesday 25th in Auckland
    end = pause_end("2026-12-01", now, "Europe/Paris")
    assert end.day == date(2026, 12, 1) and end.at == utc(2026, 11, 30, 23)  # midnight in Paris
    with pytest.raises(InvalidInput, match="not after today"):
        pause_end("2026-11-25", now, "Pacific/Auckland")
    assert pause_end("2026-11-25", now, "Pacific/Honolulu").at == utc(2026, 11, 25, 10)
    with pytest.raises(InvalidInput, match="at most 60 days"):
        pause_end("2027-01-24", now, "UTC")
    for text in ("next week", "2026-13-01", "2026-02-30", "26-12-01", "２０２６-12-01"):
        with pytest.raises(InvalidInput, match="write it as YYYY-MM-DD"):
            pause_end(text, now, "UTC")
    assert pause_reason("  Vacation\u200b ") == "Vacation"
    with pytest.raises(InvalidInput, match="say why"):
        pause_reason("  ")
    with pytest.raises(InvalidInput, match="at most 200"):
        pause_reason("x" * 201)
