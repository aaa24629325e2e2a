"""Moving a bounty through its lifecycle: the one place a state change is written.

A transition is checked against the state machine, then committed with its audit row, its phase
timers, the delivery guarantee's alerts (scheduled on funding, cancelled once delivered or closed) and its
announcements in the caller's change (one transaction).
"""

from __future__ import annotations

from bot.changes import Change
from bot.config import Config
from bot.domain import notices
from bot.domain.lifecycle import PROCESS_PHASE, Role, State, check_transition
from bot.domain.models import Bounty
from bot.services import guarantee
from bot.store import bounties
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
    """Move `bounty` to `target` inside the change `ch`; returns the updated bounty."""
    check_transition(bounty.state, target, role)
    await bounties.set_state(ch.tx, bounty.id, target, ch.now)
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
    await guarantee.on_transition(ch, subject(bounty.id), bounty.state, target)
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
