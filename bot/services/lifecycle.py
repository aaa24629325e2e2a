"""Moving a bounty through its lifecycle: the one place a state change is written.

A transition is checked against the state machine, then committed with its audit row, its phase
timers and its announcements in the caller's change (one transaction). It applies only if the bounty is
still in the state it was decided on: a service reads the bounty, decides, and opens its change; if
someone else moved the bounty in between, the change is refused with what happened meanwhile
(:func:`still` checks first, and the write itself is a compare-and-set).
"""

from __future__ import annotations

from bot.changes import Change
from bot.config import Config
from bot.domain import notices
from bot.domain.errors import Conflict, NotFound
from bot.domain.lifecycle import PROCESS_PHASE, Role, State, check_transition, moved_meanwhile
from bot.domain.models import Bounty
from bot.store import audit, bounties
from bot.store.timers import TimerRow

PHASE_OVERRUN = "phase_overrun"
# Before funding a bounty is private: nothing about it goes to GitHub.
UNPUBLISHED = frozenset({State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT})


def subject(bounty_id: int) -> str:
    return f"bounty:{bounty_id}"


async def schedule_phase_timer(ch: Change, config: Config, bounty_id: int, state: State) -> None:
    phase = PROCESS_PHASE[state]
    if phase is None:
        return
    due = ch.now + config.phase_target_days[phase] * 86400
    await ch.timer(PHASE_OVERRUN, subject(bounty_id), due, phase=phase.value, since=ch.now)


async def _moved(ch: Change, bounty_id: int, decided: State, now: State) -> Conflict:
    last = await audit.latest(ch.tx, bounty_id, "state_changed")
    why = str(last.detail.get("reason", "")) if last is not None and last.detail.get("new") == now.value else ""
    return moved_meanwhile(bounty_id, decided, now, why)


async def still(ch: Change, decided: Bounty, *, within: frozenset[State] = frozenset()) -> Bounty:
    """The bounty as it is now, read inside the change `ch`, if it is still in the state `decided` was read in
    (or in one of `within`, states where the caller's decision stands and is simply made again on this read).

    Otherwise someone moved it between the caller's read and its change: :class:`Conflict`, saying what
    happened, and the change (rolled back by the raise) does nothing.
    """
    current = await bounties.get(ch.tx, decided.id)
    if current is None:
        raise NotFound(f"There is no bounty #{decided.id}.")
    if current.state is not decided.state and current.state not in within:
        raise await _moved(ch, decided.id, decided.state, current.state)
    return current


async def transition(
    ch: Change,
    config: Config,
    bounty: Bounty,
    target: State,
    *,
    role: Role,
    actor_id: int | None,
    reason: str = "",
) -> Bounty:
    """Move `bounty` to `target` inside the change `ch`; returns the updated bounty.

    `bounty` is what the move was decided on: if it is no longer in `bounty.state`, :class:`Conflict`.
    """
    check_transition(bounty.state, target, role)
    if not await bounties.set_state(ch.tx, bounty.id, target, ch.now, expected=bounty.state):
        current = await bounties.get(ch.tx, bounty.id)
        raise await _moved(ch, bounty.id, bounty.state, current.state if current is not None else bounty.state)
    await ch.audit(
        "state_changed",
        actor_id=actor_id,
        bounty_id=bounty.id,
        old=bounty.state.value,
        new=target.value,
        role=role.value,
        reason=reason,
    )
    if PROCESS_PHASE[target] != PROCESS_PHASE[bounty.state] or target is bounty.state:
        await ch.cancel_timers(subject(bounty.id), PHASE_OVERRUN)
        await schedule_phase_timer(ch, config, bounty.id, target)
    updated = await bounties.get(ch.tx, bounty.id)
    assert updated is not None
    notice = notices.state_changed(updated, bounty.state, target, reason=reason).to_payload()
    marker = ch.audit_ids[-1]
    await ch.send(f"bounty:{bounty.id}:state:{marker}", "bounty.post", bounty_id=bounty.id, notice=notice)
    await ch.send(f"staff:state:{marker}", "staff.post", notice=notice)
    if target is State.FUNDED:
        # Day 7: the public issue and the Bounties Board entry (delivered by the GitHub mirror).
        await ch.send(f"bounty:{bounty.id}:github_issue", "github.bounty_issue", bounty_id=bounty.id)
    elif bounty.state not in UNPUBLISHED:
        await ch.send(
            f"bounty:{bounty.id}:github_phase:{marker}",
            "github.phase",
            bounty_id=bounty.id,
            old=bounty.state.value,
            new=target.value,
            marker=marker,
        )
    return updated


async def on_phase_overrun(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: the bounty is still in the phase whose target just passed."""
    bounty_id = int(timer.subject.split(":", 1)[1])
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is None:
        return
    phase = PROCESS_PHASE[bounty.state]
    if phase is None or phase.value != timer.payload.get("phase"):
        return  # it moved on in time; nothing to say
    since = int(str(timer.payload.get("since", bounty.state_since)))
    notice = notices.phase_overrun(bounty, phase, config.phase_target_days[phase], since).to_payload()
    await ch.audit("phase_overrun", actor_id=None, bounty_id=bounty.id, phase=phase.value)
    await ch.send(f"timer:{timer.id}:staff", "staff.post", notice=notice)
    await ch.send(f"timer:{timer.id}:bounty", "bounty.post", bounty_id=bounty.id, notice=notice)
