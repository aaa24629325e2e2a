"""The developer's weekly status update: what was done, what is next, blockers, and percent complete."""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD_MAX = 1000
_PERCENT = re.compile(r"^\s*(\d{1,3})\s*%?\s*$")


@dataclass(frozen=True)
class WeeklyUpdate:
    done: str
    next: str
    blockers: str
    percent: int


def validate(done: str, next_: str, blockers: str, percent: str) -> tuple[list[str], WeeklyUpdate | None]:
    problems: list[str] = []
    done, next_, blockers = done.strip(), next_.strip(), blockers.strip()
    if not done:
        problems.append("Done this week: say what was finished, even if it is small.")
    if not next_:
        problems.append("Next: say what comes next.")
    for name, value in (("Done this week", done), ("Next", next_), ("Blockers", blockers)):
        if len(value) > FIELD_MAX:
            problems.append(f"{name}: at most {FIELD_MAX} characters (you gave {len(value)}).")
    match = _PERCENT.match(percent)
    share = int(match.group(1)) if match else -1
    if not 0 <= share <= 100:
        problems.append(f"Percent complete: a whole number from 0 to 100, like `40` (you gave `{percent[:20]}`).")
    if problems:
        return problems, None
    return [], WeeklyUpdate(done, next_, blockers or "None", share)


def github_comment(update: WeeklyUpdate, login: str) -> str:
    """The update as mirrored on the public issue (the caller neutralises it)."""
    return "\n".join(
        [
            f"### Weekly update from {login} · {update.percent}% complete",
            "",
            f"**Done:** {update.done}",
            "",
            f"**Next:** {update.next}",
            "",
            f"**Blockers:** {update.blockers}",
        ]
    )
