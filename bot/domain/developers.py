"""Developer assignment rules: a real GitHub login, and one active bounty per developer unless their pull
request is under review (the Foundation's rule)."""

from __future__ import annotations

import re

from bot.domain.errors import Conflict, RuleViolation
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import AGAIN, State

# GitHub's own rule: 1–39 characters, letters, digits and single hyphens, not at either end.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
ASSIGNABLE = frozenset({State.FUNDED, State.OPEN, State.DEVELOPMENT, State.TESTING})
# A developer whose bounty is in one of these states is busy with it.
ACTIVE = frozenset({State.FUNDED, State.OPEN, State.DEVELOPMENT})
# Seven days without activity: staff are asked to reassign (the Foundation's real rule).
INACTIVE_DAYS = 7


def github_login_problem(login: str) -> str | None:
    value = login.strip().removeprefix("@")
    if value.startswith("https://github.com/"):
        value = value.removeprefix("https://github.com/").strip("/")
    if not _LOGIN.match(value):
        return (
            f"GitHub: {for_discord_code(login, 60)} is not a GitHub username (1–39 letters, digits or single hyphens, "
            "like `octo-dev`)."
        )
    return None


def clean_login(login: str) -> str:
    return login.strip().removeprefix("@").removeprefix("https://github.com/").strip("/")


def check_one_active(user_mention: str, others: list[tuple[int, State]]) -> None:
    """`others`: the developer's other bounties and their states."""
    busy = [(bounty_id, state) for bounty_id, state in others if state in ACTIVE]
    if busy:
        bounty_id, state = busy[0]
        raise RuleViolation(
            f"{user_mention} is already building bounty #{bounty_id} (`{state.label}`). A developer takes one "
            "bounty at a time unless their pull request is under review."
        )


def developer_changed(bounty_id: int, now: tuple[int, str] | None) -> Conflict:
    """The refusal of an assignment decided on one developer (or none) when another was assigned meanwhile:
    replacing someone the person asking never saw is not what they asked for."""
    who = f"it is now <@{now[0]}> (`{now[1]}`)" if now is not None else "it has none now"
    return Conflict(f"The developer of bounty #{bounty_id} changed meanwhile: {who}; {AGAIN}.")
