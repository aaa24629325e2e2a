"""The state machine of DESIGN.md §3: every state reachable, every transition's roles explicit."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.errors import RuleViolation
from bot.domain.lifecycle import (
    CLOSED,
    PAID,
    TERMINAL,
    TRANSITIONS,
    Role,
    State,
    check_transition,
    moves_from,
)

HAPPY_PATH = [
    State.INTAKE,
    State.REVIEW,
    State.AWAITING_PAYMENT,
    State.FUNDED,
    State.OPEN,
    State.DEVELOPMENT,
    State.TESTING,
    State.GOVERNANCE,
    State.APPROVED,
    State.RELEASED,
    State.MAINTENANCE,
    State.ENDED,
]


def test_the_happy_path_is_walkable_by_staff() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        check_transition(current, target, Role.STAFF)


def test_every_state_is_reachable_and_only_terminal_states_are_dead_ends() -> None:
    reachable = {State.INTAKE}
    frontier = [State.INTAKE]
    while frontier:
        for move in moves_from(frontier.pop()):
            if move.to not in reachable:
                reachable.add(move.to)
                frontier.append(move.to)
    assert reachable == set(State)
    for state in State:
        assert bool(moves_from(state)) == (state not in TERMINAL), state


def test_a_failed_vote_can_be_resubmitted_and_maintenance_renewed() -> None:
    check_transition(State.GOVERNANCE, State.REJECTED, Role.SYSTEM)
    check_transition(State.REJECTED, State.GOVERNANCE, Role.STAFF)
    check_transition(State.MAINTENANCE, State.MAINTENANCE, Role.SYSTEM)


def test_the_exchange_may_withdraw_only_before_paying() -> None:
    for state in (State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT):
        check_transition(state, State.CANCELLED, Role.EXCHANGE)
    for state in PAID:
        with pytest.raises(RuleViolation, match="Only staff"):
            check_transition(state, State.CANCELLED, Role.EXCHANGE)
        check_transition(state, State.REFUNDED, Role.STAFF)


@pytest.mark.parametrize("role", [Role.EXCHANGE, Role.DEVELOPER])
def test_nobody_but_staff_and_the_bot_moves_the_lifecycle_forward(role: Role) -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        with pytest.raises(RuleViolation):
            check_transition(current, target, role)


def test_an_illegal_transition_says_what_is_allowed() -> None:
    with pytest.raises(RuleViolation) as caught:
        check_transition(State.INTAKE, State.RELEASED, Role.STAFF)
    message = caught.value.message
    assert "cannot go from `intake` to `released`" in message
    assert "`review` (staff, system)" in message and "`cancelled` (exchange, staff)" in message


def test_finished_bounties_cannot_move() -> None:
    for state in TERMINAL:
        with pytest.raises(RuleViolation, match="finished"):
            check_transition(state, State.INTAKE, Role.STAFF)
    assert TERMINAL <= CLOSED


def test_every_transition_names_who_may_trigger_it() -> None:
    for (current, target), roles in TRANSITIONS.items():
        assert roles, (current, target)
        assert roles <= set(Role)
