"""The weekly rhythm (DESIGN.md §7): when a developer is prompted, what a week is, and when a missed update is
reminded, followed up and escalated. Pure: times in, times out.

A developer is prompted on their weekday at their hour, in their own IANA time zone, so a prompt keeps its
local time across daylight-saving changes (a week is then 167 or 169 hours long). The week a prompt opens
runs to the next prompt; an update posted at any moment within it satisfies it. A reminder goes out when
80% of the week has passed without one, a follow-up the day after the week ended, an escalation to staff
three days after; seven days without any activity at all, staff are asked to reassign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.developers import INACTIVE_DAYS
from bot.domain.errors import InvalidInput
from bot.domain.inert import for_discord_code, visible
from bot.domain.lifecycle import State

DAY = 86400
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Prompts, reminders and escalations run while the connector is built and tested (as `/update post` does).
PROMPTED = frozenset({State.DEVELOPMENT, State.TESTING})
# Staff are asked to reassign only during development: that is where the lifecycle can go back to `open`.
REASSIGNABLE = frozenset({State.DEVELOPMENT})
REMINDER_SHARE = 0.8
FOLLOW_UP_AFTER = 1 * DAY  # after the week ended without an update
ESCALATE_AFTER = 3 * DAY
INACTIVE_AFTER = INACTIVE_DAYS * DAY
MAX_PAUSE_DAYS = 60
REASON_MIN, REASON_MAX = 3, 200
TIMEZONE_MAX = 64  # the longest IANA name is 32 characters
# Names zoneinfo accepts that are not a place: the server's own zone, and tzdata's internals.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Rhythm:
    """When a developer is prompted: `weekday` (0 = Monday) at `hour`:00 in `timezone`."""

    weekday: int
    hour: int
    timezone: str

    @property
    def day_name(self) -> str:
        return WEEKDAYS[self.weekday].capitalize()

    def describe(self) -> str:
        """e.g. "Mondays at 09:00 (Pacific/Auckland)"."""
        return f"{self.day_name}s at {self.hour:02d}:00 ({self.timezone})"


@dataclass(frozen=True)
class Week:
    """One week of the rhythm: from a prompt (`start`) to the next (`end`)."""

    start: int
    end: int

    @property
    def reminder_at(self) -> int:
        return self.start + round((self.end - self.start) * REMINDER_SHARE)

    @property
    def follow_up_at(self) -> int:
        return self.end + FOLLOW_UP_AFTER

    @property
    def escalate_at(self) -> int:
        return self.end + ESCALATE_AFTER


def at_local(day: date, hour: int, timezone: str) -> int:
    """Unix time of `hour`:00 on `day` in `timezone`.

    On the day clocks go forward, an hour that does not exist is read with the offset before the change, so it
    lands an hour later in the new time (02:00 becomes 03:00); on the day they go back, an hour that happens
    twice is its first occurrence. Both are zoneinfo's rules for `fold=0`."""
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(timezone)).timestamp())


def next_prompt(after: int, rhythm: Rhythm) -> int:
    """The first prompt time strictly after `after`."""
    local = datetime.fromtimestamp(after, ZoneInfo(rhythm.timezone))
    first = local.date() + timedelta(days=(rhythm.weekday - local.weekday()) % 7)
    for weeks in range(3):  # this week's slot may be past already (or, on a DST day, a moment before `after`)
        moment = at_local(first + timedelta(weeks=weeks), rhythm.hour, rhythm.timezone)
        if moment > after:
            return moment
    raise AssertionError("a weekly slot always comes within three weeks")  # pragma: no cover


def week_from(start: int, rhythm: Rhythm) -> Week:
    return Week(start, next_prompt(start, rhythm))


def current_week(start: int, rhythm: Rhythm, now: int) -> Week:
    """The week that contains `now`, counting on from a prompt due at `start` (which may have been missed
    while the bot was down: weeks that ended meanwhile are skipped, not prompted one after another)."""
    week = week_from(start, rhythm)
    while week.end <= now:
        week = week_from(week.end, rhythm)
    return week


def quiet_since(last_activity_at: int, assigned_at: int, pause_ended_at: int | None) -> int:
    """Since when the developer has shown no activity: a pause is not silence, so its end restarts the count."""
    return max(last_activity_at, assigned_at, pause_ended_at or 0)


# --- what people type ---------------------------------------------------------------------------------------


def timezone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone name, or None."""
    shown = for_discord_code(name, 40)
    hint = "like `Europe/Paris`, `America/New_York`, `Pacific/Auckland` or `UTC` (capitals matter)"
    if not name or len(name) > TIMEZONE_MAX or name in _NOT_PLACES:
        return f"Time zone: {shown} is not an IANA time zone name; give one {hint}."
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # unknown, a malformed path, or a directory such as `America`
        return f"Time zone: {shown} is not an IANA time zone name; give one {hint}."
    return None


def rhythm_from(weekday: str, hour: int, timezone: str) -> Rhythm:
    """A rhythm from what was given (a day name, an hour, a time zone), or :class:`InvalidInput` naming each
    problem. The command's choices and bounds already keep a Discord client within these; a forged or
    scripted request is checked here the same way."""
    problems = []
    day = weekday.strip().lower()
    if day not in WEEKDAYS:
        problems.append(f"Day: {for_discord_code(weekday, 20)} is not a day of the week; pick Monday … Sunday.")
    if not 0 <= hour <= 23:
        problems.append(f"Hour: {hour} is not an hour of the day; give a whole hour from 0 to 23 (15 is 3 pm).")
    timezone = visible(timezone).strip()
    if why := timezone_problem(timezone):
        problems.append(why)
    if problems:
        raise InvalidInput(problems)
    return Rhythm(WEEKDAYS.index(day), hour, timezone)


@dataclass(frozen=True)
class PauseEnd:
    day: date
    at: int  # the start of `day` in the developer's time zone: prompting resumes then


def pause_end(text: str, now: int, timezone: str) -> PauseEnd:
    """`until` of `/update pause`: a date (YYYY-MM-DD) after today in the developer's time zone, at most
    `MAX_PAUSE_DAYS` ahead; prompting resumes at the start of that day."""
    text = text.strip()
    shown = for_discord_code(text, 30)
    try:
        day = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput([f"Until: {shown} is not a date; write it as YYYY-MM-DD, like `2026-12-24`."])
    today = datetime.fromtimestamp(now, ZoneInfo(timezone)).date()
    if day <= today:
        raise InvalidInput(
            [
                f"Until: {day.isoformat()} is not after today ({today.isoformat()} in {timezone}); "
                "give the day prompts resume."
            ]
        )
    if (day - today).days > MAX_PAUSE_DAYS:
        latest = (today + timedelta(days=MAX_PAUSE_DAYS)).isoformat()
        raise InvalidInput(
            [f"Until: a pause lasts at most {MAX_PAUSE_DAYS} days (until {latest}); staff can agree a longer one."]
        )
    return PauseEnd(day, at_local(day, 0, timezone))


def pause_reason(text: str) -> str:
    reason = visible(text).strip()
    if len(reason) < REASON_MIN:
        raise InvalidInput(["Reason: say why, in a few words (vacation, waiting on the exchange's API keys, …)."])
    if len(reason) > REASON_MAX:
        raise InvalidInput([f"Reason: at most {REASON_MAX} characters (you gave {len(reason)})."])
    return reason
