"""The pure rules behind development and testing: GitHub logins, weekly updates, SLA windows, task lists."""

from __future__ import annotations

import pytest

from bot.domain import github_text
from bot.domain.bugs import Severity, checkpoints, sla_hours
from bot.domain.checklists import IMPLEMENTATION, ChecklistKind, Progress, changes
from bot.domain.developers import clean_login, github_login_problem
from bot.domain.models import ExchangeType
from bot.domain.updates import validate


@pytest.mark.parametrize("login", ["octo-dev", "a", "A1", "x" * 39, "@dana", "https://github.com/dana-dev/"])
def test_real_github_logins_are_accepted(login: str) -> None:
    assert github_login_problem(login) is None


@pytest.mark.parametrize("login", ["", "-dana", "dana-", "da--na", "x" * 40, "dana dev", "dana_dev", "@"])
def test_anything_else_is_not_a_github_login(login: str) -> None:
    assert github_login_problem(login) is not None


def test_logins_are_cleaned_of_at_signs_and_profile_links() -> None:
    assert clean_login("@dana-dev") == "dana-dev"
    assert clean_login("https://github.com/dana-dev/") == "dana-dev"


@pytest.mark.parametrize(("text", "expected"), [("40", 40), (" 40 % ", 40), ("0", 0), ("100%", 100)])
def test_percent_complete_is_a_whole_number_from_0_to_100(text: str, expected: int) -> None:
    problems, update = validate("done", "next", "", text)
    assert problems == [] and update is not None and update.percent == expected and update.blockers == "None"


@pytest.mark.parametrize("text", ["101", "-5", "4.5", "half", ""])
def test_other_percents_are_refused_by_name(text: str) -> None:
    problems, update = validate("done", "next", "", text)
    assert update is None and problems[0].startswith("Percent complete:")


def test_sla_windows_and_their_checkpoints() -> None:
    assert sla_hours(Severity.CRITICAL, critical_hours=24, major_hours=48) == 24
    assert sla_hours(Severity.MAJOR, critical_hours=24, major_hours=48) == 48
    assert sla_hours(Severity.MINOR, critical_hours=24, major_hours=48) is None
    assert checkpoints(1000, 1000 + 24 * 3600) == [
        ("warn_50", 1000 + 12 * 3600),
        ("warn_90", 1000 + round(0.9 * 24 * 3600)),
        ("breach", 1000 + 24 * 3600),
    ]


def test_ticking_rewrites_only_the_task_boxes() -> None:
    tasks = IMPLEMENTATION[ExchangeType.AMM]
    body = "\n".join(
        ["intro", *(f"- [ ] {t.label}" for t in tasks), "- [ ] A maintainer's own task", "- [x] Swap execution later"]
    )
    done = frozenset({tasks[0].key, tasks[3].key})
    ticked = github_text.tick_tasks(body, tasks, done)
    assert f"- [x] {tasks[0].label}" in ticked and f"- [x] {tasks[3].label}" in ticked
    assert ticked.count("- [x] ") == 3  # two ticked, and the maintainer's line left as it was
    assert "- [ ] A maintainer's own task" in ticked and "- [x] Swap execution later" in ticked
    assert github_text.tick_tasks(ticked, tasks, frozenset()).count("- [x] ") == 1


def test_progress_and_what_a_new_selection_changes() -> None:
    tasks = IMPLEMENTATION[ExchangeType.CLOB]
    progress = Progress(ChecklistKind.IMPLEMENTATION, tasks, frozenset({tasks[0].key}))
    assert progress.summary == "1/7" and progress.lines()[0].startswith("✅")
    ticked, unticked = changes(frozenset({tasks[0].key}), frozenset({tasks[1].key}), tasks)
    assert ticked == [tasks[1]] and unticked == [tasks[0]]
