"""The maintenance year's reports (DESIGN.md §2, §7; issue 12 item 6): its months, the usage figures staff record,
and what the monthly report and the quarterly review reminder say, in Discord and on GitHub. Pure.

Months are calendar months in UTC counted from the maintenance year's start: month k runs from k-1 to k
months after it (a start on the 31st moves to the last day of shorter months). The report for month k goes out
when it ends; past month 12 (a renewed year whose start was not moved) they go on as months of year 2, 3, ….
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.domain import github_text
from bot.domain.bugs import Bug, BugState, Severity
from bot.domain.inert import for_discord_code
from bot.domain.models import Bounty
from bot.domain.notices import Field, Notice, exchange_name, ts
from bot.domain.payments import parse_amount
from bot.domain.sla_metrics import FirstMonth, SlaFigures, add_months, hours, percent, sla_figures

QUARTER_MONTHS = 3
USERS_MAX = 1_000_000_000  # more than any connector's users: a bigger number is a typo
VOLUME_MAX_USD = 1_000_000_000_000  # a trillion USD in a month: a bigger number is a typo
_COUNT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_ZERO = re.compile(r"0+(?:\.0{1,2})?")


# --- months ---------------------------------------------------------------------------------------------------


def month_window(starts_at: int, month: int) -> tuple[int, int]:
    """When month `month` (1-based) of maintenance starting at `starts_at` begins and ends."""
    return add_months(starts_at, month - 1), add_months(starts_at, month)


def month_at(starts_at: int, now: int) -> int:
    """The month of maintenance `now` falls in (1 for anything before the start)."""
    month = 1
    while add_months(starts_at, month) <= now:
        month += 1
    return month


def month_name(month: int) -> str:
    """`month 3 of the maintenance year`, or `month 2 of maintenance year 2` past the first year."""
    year, within = (month - 1) // 12 + 1, (month - 1) % 12 + 1
    return f"month {within} of the maintenance year" if year == 1 else f"month {within} of maintenance year {year}"


def day(unix: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(unix))


# --- usage figures --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    users: int
    volume_cents: int


@dataclass(frozen=True)
class Targets:
    """The seed's targets (`[reports]` in config): users and trading volume a month, bugs in the first month."""

    users: int = 50
    volume_usd: int = 1_000_000
    first_month_bugs_below: int = 5


def parse_users(text: str) -> tuple[int | None, str | None]:
    """(the number of users, None), or (None, the sentence saying what is wrong): digits, `1,200` allowed."""
    text = text.strip()
    shown = for_discord_code(text, 30)
    if not _COUNT.fullmatch(text):
        return None, f"Users: {shown} is not a number of users; write it in digits, like 120 or 1,200."
    users = int(text.replace(",", ""))
    if users > USERS_MAX:
        return None, f"Users: {shown} is more than {USERS_MAX:,}; check the number."
    return users, None


def parse_volume(text: str) -> tuple[int | None, str | None]:
    """(the volume in USD cents, None), or (None, the sentence saying what is wrong). The bounded amount parser
    every amount goes through (digits, thousands separators, up to 2 decimals; no sign, exponent, NaN or
    infinity); unlike a payment, a month without trading is 0."""
    text = text.strip()
    if _ZERO.fullmatch(text):
        return 0, None
    cents, why = parse_amount(text, decimals=2, maximum=VOLUME_MAX_USD * 1000, unit="USD")
    if why or cents is None:
        return None, f"Volume: {why}"
    if cents > VOLUME_MAX_USD * 100:
        shown = for_discord_code(text, 30)
        return None, f"Volume: {shown} is more than {VOLUME_MAX_USD:,} USD in a month; check the amount."
    return cents, None


def usd(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _against(value: str, target: str, met: bool) -> str:
    return f"{value} ({'✅ ' if met else ''}target {target})"


def usage_lines(usage: Usage | None, targets: Targets) -> list[str]:
    if usage is None:
        return ["Users and trading volume: not recorded (staff record them with `/report usage`)."]
    users = _against(f"{usage.users:,}", f"{targets.users:,}", usage.users >= targets.users)
    volume = _against(
        usd(usage.volume_cents), f"${targets.volume_usd:,}", usage.volume_cents >= targets.volume_usd * 100
    )
    return [f"Users: {users}", f"Trading volume: {volume}"]


# --- the figures in words -------------------------------------------------------------------------------------


def severity_line(figures: SlaFigures, severity: Severity, window: str) -> str:
    s = next(f for f in figures.by_severity if f.severity is severity)
    return (
        f"{severity.label} ({window}): {s.open} open · {s.resolved} resolved · {s.breached} breached"
        f" · median {hours(s.median_seconds)}"
    )


def within_line(figures: SlaFigures) -> str:
    if not figures.judged:
        return "Within SLA: nothing to judge yet (no bug resolved or breached)"
    return f"Within SLA: {percent(figures.share_within)} ({figures.within} of {figures.judged})"


def first_month_line(first: FirstMonth, now: int, *, discord: bool = True) -> str:
    if first.released_at is None:
        return "Bugs in the first month after release: not released yet."
    assert first.ends_at is not None
    so_far = " so far" if first.ongoing(now) else ""
    until = (ts(first.ends_at) if discord else day(first.ends_at)) if first.ongoing(now) else ""
    mark = "" if first.met is None else ("✅ " if first.met else "⚠️ ")
    ends = f", the month ends {until}" if until else ""
    return f"Bugs in the first month after release: {mark}{first.bugs}{so_far} (target fewer than {first.below}{ends})"


def month_bugs(bugs: list[Bug], start: int, end: int) -> list[Bug]:
    """The bugs a month's report is about: opened before it ended, and open or resolved since it began."""
    return [
        b
        for b in bugs
        if b.opened_at < end and (b.state is BugState.OPEN or (b.resolved_at is not None and b.resolved_at >= start))
    ]


@dataclass(frozen=True)
class MonthReport:
    """What one month's report says, once the month has ended."""

    bounty: Bounty
    month: int
    start: int
    end: int
    reported: dict[Severity, int]
    resolved: int  # in the month
    still_open: int
    figures: SlaFigures  # over month_bugs, judged at the month's end
    updates: int
    usage: Usage | None
    first: FirstMonth
    targets: Targets

    @classmethod
    def of(
        cls,
        bounty: Bounty,
        month: int,
        start: int,
        end: int,
        bugs: list[Bug],
        *,
        updates: int,
        usage: Usage | None,
        first: FirstMonth,
        targets: Targets,
    ) -> MonthReport:
        mine = month_bugs(bugs, start, end)
        return cls(
            bounty,
            month,
            start,
            end,
            reported={s: sum(1 for b in bugs if b.severity is s and start <= b.opened_at < end) for s in Severity},
            resolved=sum(1 for b in mine if b.resolved_at is not None and start <= b.resolved_at < end),
            still_open=sum(1 for b in mine if b.state is BugState.OPEN),
            figures=sla_figures(mine, end),
            updates=updates,
            usage=usage,
            first=first,
            targets=targets,
        )

    @property
    def title(self) -> str:
        return f"Monthly report: {month_name(self.month)}"

    def bug_text(self) -> str:
        total = sum(self.reported.values())
        split = ", ".join(f"{s.value} {n}" for s, n in self.reported.items() if n)
        split = f" ({split})" if split else ""
        return f"{total} reported{split}; {self.resolved} resolved; {self.still_open} open"

    def sla_text(self) -> str:
        f = self.figures
        return f"{within_line(f)}; median time to resolve {hours(f.median_seconds)}"


def monthly_notice(report: MonthReport) -> Notice:
    """The report in the bounty's channel."""
    b = report.bounty
    bugs = (
        f"{sum(report.reported.values())} reported this month"
        + "".join(f" · {s.label} {n}" for s, n in report.reported.items() if n)
        + f"\n{report.resolved} resolved this month · {report.still_open} open"
    )
    return Notice(
        title=f"{report.title}: bounty #{b.id} {exchange_name(b)}",
        description=f"{ts(report.start, 'D')} – {ts(report.end, 'D')}",
        fields=(
            Field("Bugs", bugs, inline=True),
            Field("SLA", report.sla_text(), inline=True),
            Field("Weekly updates", str(report.updates), inline=True),
            Field("Usage", "\n".join(usage_lines(report.usage, report.targets)), inline=False),
            Field("First month after release", first_month_line(report.first, report.end), inline=False),
        ),
        tone="info",
        footer="Posted on the bounty's GitHub issue too. Staff: /report sla for the full figures.",
    )


def monthly_comment(report: MonthReport) -> str:
    """The same report as a comment on the bounty's GitHub issue (the mirror marks and neutralises it)."""
    usage = "; ".join(usage_lines(report.usage, report.targets)).replace("`/report usage`", "BountyBot")
    lines = [
        f"### {github_text.inert(report.title)} ({day(report.start)} to {day(report.end)})",
        "",
        f"- **Bugs:** {report.bug_text()}",
        f"- **SLA:** {report.sla_text()}",
        f"- **Weekly updates:** {report.updates}",
        f"- **Usage:** {usage}",
        f"- {first_month_line(report.first, report.end, discord=False)}",
    ]
    return "\n".join(lines)


def quarterly_notice(
    bounty: Bounty, quarter: int, starts_at: int, figures: SlaFigures, usage: Usage | None, targets: Targets
) -> Notice:
    """The reminder to staff every three months of maintenance."""
    months = quarter * QUARTER_MONTHS
    return Notice(
        title=f"Quarterly review due: bounty #{bounty.id} {exchange_name(bounty)}",
        description=(
            f"{months} months of maintenance since {ts(starts_at, 'D')}: review the connector with the exchange "
            "(bugs, SLA, API changes, usage) and record the outcome. `/report sla` has the figures."
        ),
        fields=(
            Field("Bugs so far", f"{figures.bugs} · {figures.open} open · {figures.breached} breached", inline=True),
            Field("SLA", f"{within_line(figures)}\nMedian to resolve: {hours(figures.median_seconds)}", inline=True),
            Field("Last recorded usage", "\n".join(usage_lines(usage, targets)), inline=False),
        ),
        tone="info",
    )
