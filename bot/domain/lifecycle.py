"""The bounty state machine (DESIGN.md §3): every state, every transition and who may trigger it.

Pure rules: nothing here touches Discord or the database. Services ask :func:`check_transition`
before committing a change, and an illegal move is refused with a sentence saying what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import Conflict, RuleViolation


class ProcessPhase(StrEnum):
    """The phases the process document names, each spanning one or more lifecycle states."""

    SETUP = "setup"
    DEVELOPMENT = "development"
    TESTING = "testing"
    GOVERNANCE = "governance"


PHASE_TITLES: dict[ProcessPhase, str] = {
    ProcessPhase.SETUP: "Setup",
    ProcessPhase.DEVELOPMENT: "Development",
    ProcessPhase.TESTING: "Testing & QA",
    ProcessPhase.GOVERNANCE: "Governance",
}


class State(StrEnum):
    INTAKE = "intake"
    REVIEW = "review"
    AWAITING_PAYMENT = "awaiting_payment"
    FUNDED = "funded"
    OPEN = "open"
    DEVELOPMENT = "development"
    TESTING = "testing"
    GOVERNANCE = "governance"
    APPROVED = "approved"
    REJECTED = "rejected"
    RELEASED = "released"
    MAINTENANCE = "maintenance"
    ENDED = "ended"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Role(StrEnum):
    """Who is asking for a transition."""

    SYSTEM = "system"  # the bot itself, on a trigger it can see (payment, vote, merge, timer)
    STAFF = "staff"
    EXCHANGE = "exchange"  # the requester or another member of the exchange team
    DEVELOPER = "developer"


TERMINAL = frozenset({State.ENDED, State.REFUNDED})
# A bounty that still counts as "open" for the one-bounty-per-exchange rule.
CLOSED = frozenset({State.ENDED, State.CANCELLED, State.REFUNDED})
# Money has been received from here on, so leaving the lifecycle means a refund, not a cancel.
PAID = frozenset(
    {
        State.FUNDED,
        State.OPEN,
        State.DEVELOPMENT,
        State.TESTING,
        State.GOVERNANCE,
        State.APPROVED,
        State.REJECTED,
    }
)

S, R = State, Role
_SYS_STAFF = frozenset({R.SYSTEM, R.STAFF})
_STAFF = frozenset({R.STAFF})

# (from, to) -> who may trigger it. This table is the whole lifecycle.
TRANSITIONS: dict[tuple[State, State], frozenset[Role]] = {
    (S.INTAKE, S.REVIEW): _SYS_STAFF,
    (S.REVIEW, S.AWAITING_PAYMENT): _SYS_STAFF,
    (S.AWAITING_PAYMENT, S.REVIEW): _STAFF,  # a review item turned out to be missing after all
    (S.AWAITING_PAYMENT, S.FUNDED): _SYS_STAFF,
    (S.FUNDED, S.OPEN): _SYS_STAFF,
    (S.OPEN, S.DEVELOPMENT): _SYS_STAFF,
    (S.DEVELOPMENT, S.OPEN): _SYS_STAFF,  # the developer is unassigned (7 days silent): open for the next
    (S.DEVELOPMENT, S.TESTING): _SYS_STAFF,
    (S.TESTING, S.DEVELOPMENT): _STAFF,  # QA sends it back
    (S.TESTING, S.GOVERNANCE): _SYS_STAFF,
    (S.GOVERNANCE, S.APPROVED): _SYS_STAFF,
    (S.GOVERNANCE, S.REJECTED): _SYS_STAFF,
    (S.REJECTED, S.GOVERNANCE): _STAFF,  # resubmission after addressing concerns
    (S.APPROVED, S.RELEASED): _SYS_STAFF,
    (S.RELEASED, S.MAINTENANCE): _SYS_STAFF,
    (S.MAINTENANCE, S.MAINTENANCE): _SYS_STAFF,  # renewed: restarts the maintenance year
    (S.MAINTENANCE, S.ENDED): _SYS_STAFF,
    # Leaving before any money arrived: the exchange may withdraw, staff may close.
    (S.INTAKE, S.CANCELLED): frozenset({R.EXCHANGE, R.STAFF}),
    (S.REVIEW, S.CANCELLED): frozenset({R.EXCHANGE, R.STAFF}),
    (S.AWAITING_PAYMENT, S.CANCELLED): frozenset({R.EXCHANGE, R.STAFF}),
    # After payment only staff may stop a bounty, and the money goes back.
    **{(paid, S.CANCELLED): _STAFF for paid in PAID},
    **{(paid, S.REFUNDED): _STAFF for paid in PAID},
    (S.CANCELLED, S.REFUNDED): _STAFF,
}

PROCESS_PHASE: dict[State, ProcessPhase | None] = {
    S.INTAKE: ProcessPhase.SETUP,
    S.REVIEW: ProcessPhase.SETUP,
    S.AWAITING_PAYMENT: ProcessPhase.SETUP,
    S.FUNDED: ProcessPhase.SETUP,
    S.OPEN: ProcessPhase.DEVELOPMENT,
    S.DEVELOPMENT: ProcessPhase.DEVELOPMENT,
    S.TESTING: ProcessPhase.TESTING,
    S.GOVERNANCE: ProcessPhase.GOVERNANCE,
    S.REJECTED: ProcessPhase.GOVERNANCE,
    S.APPROVED: None,
    S.RELEASED: None,
    S.MAINTENANCE: None,
    S.ENDED: None,
    S.CANCELLED: None,
    S.REFUNDED: None,
}


@dataclass(frozen=True)
class Move:
    to: State
    roles: frozenset[Role]


def moves_from(state: State) -> list[Move]:
    """Every transition out of `state`, in lifecycle order."""
    order = list(State)
    return sorted(
        (Move(to, roles) for (frm, to), roles in TRANSITIONS.items() if frm is state),
        key=lambda m: order.index(m.to),
    )


def describe_moves(state: State) -> str:
    moves = moves_from(state)
    if not moves:
        return f"A bounty in `{state.label}` is finished; nothing can move it."
    parts = [f"`{m.to.label}` ({', '.join(sorted(r.value for r in m.roles))})" for m in moves]
    return f"From `{state.label}` a bounty can move to: {', '.join(parts)}."


def check_transition(current: State, target: State, role: Role) -> None:
    """Raise :class:`RuleViolation` unless `role` may move a bounty from `current` to `target`."""
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        raise RuleViolation(f"A bounty cannot go from `{current.label}` to `{target.label}`. {describe_moves(current)}")
    if role not in roles:
        who = " or ".join(sorted(r.value for r in roles))
        raise RuleViolation(
            f"Only {who} can move a bounty from `{current.label}` to `{target.label}`. {describe_moves(current)}"
        )


AGAIN = "run the command again to see what is allowed now"
_MAX_WHY = 200


def moved_meanwhile(bounty_id: int, decided: State, now: State, why: str = "") -> Conflict:
    """The refusal of a change decided while the bounty was in `decided`, found in `now` when it was to be
    written (`why`: the reason recorded with the move that came first). Nothing was done; the person decides
    again on what is true now, because what they asked for may mean something else there (a cancel after a
    payment owes a refund)."""
    why = " ".join(why.split()).rstrip(".")
    if len(why) > _MAX_WHY:
        why = why[: _MAX_WHY - 1].rstrip() + "…"
    because = f" ({why})" if why else ""
    return Conflict(f"Bounty #{bounty_id} moved from `{decided.label}` to `{now.label}` meanwhile{because}; {AGAIN}.")


# Where the technical review is recorded: setup, before the fee is paid.
REVIEWABLE = frozenset({State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT})


def after_review(state: State, *, complete: bool, missing: bool, fee_paid: bool) -> list[State]:
    """The moves one recorded review item makes, from `state` (one of REVIEWABLE): the first record opens the
    review; every item ok asks for payment, or funds the bounty at once if the fee was paid early; an item
    found missing once payment was asked for sends it back to review."""
    moves: list[State] = []
    if state is State.INTAKE:
        state = State.REVIEW
        moves.append(state)
    if complete and state is State.REVIEW:
        moves.append(State.AWAITING_PAYMENT)
        if fee_paid:
            moves.append(State.FUNDED)
    elif missing and state is State.AWAITING_PAYMENT:
        moves.append(State.REVIEW)
    return moves
