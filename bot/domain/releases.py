"""Release and the maintenance year (DESIGN.md §2, §3, §7): pure rules, no I/O.

- A Hummingbot release is named by its version, three numbers (`2.14.0`); its Git tag has a `v` in front
  (`v2.14.0`). Either spelling is accepted and recorded as the numbers.
- Release notes name each new connector with its bounty issue and pull request (`../shared/reference/
  hummingbot.md`): `#7512`, `hummingbot/hummingbot#7512` or the issue's or pull request's URL.
- A maintenance year runs from the release (or the end of the year before) to the same date a year on.
  Renewal notices go out 60 and 30 days before it ends; the first one opens the renewal due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.errors import InvalidInput
from bot.domain.inert import for_discord_code, visible

DAY = 86400
# Renewal notices, in days before the maintenance year ends (Foundation terms: "renewal 2,000/year with 60
# days' notice"; the process document's second reminder at 30). The first opens the renewal due.
NOTICE_DAYS = (60, 30)
FIRST_NOTICE = NOTICE_DAYS[0]
MAX_VERSION = 32

_VERSION = re.compile(r"[vV]?(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def version_of(text: str) -> Version | None:
    """The version a tag or a typed version names (`2.3.0`, `v2.3.0`), or None if it names none."""
    m = _VERSION.fullmatch(text.strip())
    return Version(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def parse_version(text: str) -> Version:
    """A version typed by staff; :class:`InvalidInput` with one sentence when it is not one."""
    cleaned = visible(text).strip()
    found = version_of(cleaned) if len(cleaned) <= MAX_VERSION else None
    if found is None:
        shown = for_discord_code(cleaned, 40) if cleaned else "nothing"
        raise InvalidInput(
            [
                f"Version: give the Hummingbot release as three numbers, like `2.14.0` or its tag `v2.14.0` "
                f"(you gave {shown})."
            ]
        )
    return found


def references(text: str, repository: str) -> frozenset[int]:
    """The issue and pull-request numbers of `repository` that release notes `text` name: `#12`,
    `owner/repo#12`, or a `https://github.com/owner/repo/issues/12` (or `/pull/12`) link. A number of another
    repository (`hummingbot/gateway#12`, its links) is not one of ours."""
    repo = re.escape(repository)
    found: set[int] = set()
    for pattern in (
        rf"https?://(?:www\.)?github\.com/{repo}/(?:issues|pull)/(\d+)(?!\d)",
        rf"(?<![\w.\-/]){repo}#(\d+)(?!\d)",
        # A bare `#12`: not after a word, a slash or `&` (another repository's `x/y#12`, a URL's fragment,
        # an HTML entity such as `&#12;`).
        r"(?<![\w/&#])#(\d+)(?!\d)",
    ):
        found.update(int(n) for n in re.findall(pattern, text, flags=re.IGNORECASE) if len(n) <= 9)
    return frozenset(found)


def one_year_after(moment: int) -> int:
    """The same date and time a year on (29 February becomes 28 February)."""
    start = datetime.fromtimestamp(moment, UTC)
    try:
        end = start.replace(year=start.year + 1)
    except ValueError:
        end = start.replace(year=start.year + 1, day=28)
    return int(end.timestamp())


def notice_at(ends_at: int, days: int) -> int:
    return ends_at - days * DAY


def notice_superseded(days: int, ends_at: int, now: int) -> bool:
    """A notice the bot was down through, when a later one is already due: only the later one is told (the
    renewal due is opened all the same)."""
    later = [d for d in NOTICE_DAYS if d < days]
    return any(now >= notice_at(ends_at, d) for d in later)


@dataclass(frozen=True)
class MaintenanceYear:
    bounty_id: int
    year: int  # 1: included in the fee; 2: the first renewal; …
    starts_at: int
    ends_at: int
    renewed_at: int | None  # when the renewal for the year after was paid

    @property
    def renewed(self) -> bool:
        return self.renewed_at is not None

    def next_year(self) -> MaintenanceYear:
        """The year a renewal paid now adds: it starts where this one ends, whenever it was paid."""
        return MaintenanceYear(self.bounty_id, self.year + 1, self.ends_at, one_year_after(self.ends_at), None)


@dataclass(frozen=True)
class Release:
    bounty_id: int
    version: str
    released_at: int
    source: str  # "command" or "github"
    url: str | None
    github_id: int | None
    recorded_by: int | None
    recorded_at: int
