"""The developer's weekly status update: what was done, what is next, blockers, and percent complete."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.github_text import inert, inert_title
from bot.domain.inert import for_discord_code, visible

FIELD_MAX = 1000
# ASCII digits only: `\d` would take other scripts' digits too, and `int` would read them.
_PERCENT = re.compile(r"\s*([0-9]{1,3})\s*%?\s*")


@dataclass(frozen=True)
class WeeklyUpdate:
    done: str
    next: str
    blockers: str
    percent: int


def validate(done: str, next_: str, blockers: str, percent: str) -> tuple[list[str], WeeklyUpdate | None]:
    problems: list[str] = []
    # Invisible characters go where the text enters: they only ever hide or reorder what readers see.
    done, next_, blockers = visible(done).strip(), visible(next_).strip(), visible(blockers).strip()
    if not done:
        problems.append("Done this week: say what was finished, even if it is small.")
    if not next_:
        problems.append("Next: say what comes next.")
    for name, value in (("Done this week", done), ("Next", next_), ("Blockers", blockers)):
        if len(value) > FIELD_MAX:
            problems.append(f"{name}: at most {FIELD_MAX} characters (you gave {len(value)}).")
    match = _PERCENT.fullmatch(percent)
    share = int(match.group(1)) if match else -1
    if not 0 <= share <= 100:
        problems.append(
            f"Percent complete: a whole number from 0 to 100, like `40` (you gave {for_discord_code(percent, 20)})."
        )
    if problems:
        return problems, None
    return [], WeeklyUpdate(done, next_, blockers or "None", share)


def github_comment(update: WeeklyUpdate, login: str) -> str:
    """The update as mirrored on the public issue: what the developer typed is shown as typed, never as
    markup (the comment handler also neutralises mentions in the whole comment)."""
    return "\n".join(
        [
            f"### Weekly update from {inert_title(login)} · {update.percent}% complete",
            "",
            f"**Done:** {inert(update.done)}",
            "",
            f"**Next:** {inert(update.next)}",
            "",
            f"**Blockers:** {inert(update.blockers)}",
        ]
    )
