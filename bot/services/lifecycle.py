"""Moving a bounty through its lifecycle: the one place a state change is written.

A transition is checked against the state machine, then committed with its audit row, its phase
timers, the delivery guarantee's alerts (scheduled on funding, cancelled once delivered or closed) and its
announcements in the caller's change (one transaction). It applies only if the bounty is still in the state
it was decided on: a service reads the bounty, decides, and opens its change; if someone else moved the
bounty in between, the change is refused with what happened meanwhile (:func:`still` checks first, and the
write itself is a compare-and-set).

Timeline timers: one per threshold of the current phase's target range (its lower end, then its upper
end) and of the whole process's, each told to staff and the bounty channel once. Leaving a phase cancels
its timers; a threshold already passed in an earlier stint of the phase is not scheduled again, and the
outbox keys name the bounty, phase and threshold, so nothing is told twice whatever happens in between.
"""

from __future__ import annotations

from bot.changes import Change
from bot.config import Config
from bot.domain import notices
from bot.domain.errors import Conflict, NotFound
from bot.domain.lifecycle import PROCESS_PHASE, Role, State, check_transition, moved_meanwhile
from bot.domain.models import Bounty
from bot.domain.timeline import DAY, Bound, TargetRange, bounds_ahead, phase_spans, process_span
from bot.services import dues, guarantee, payouts
from bot.store import audit, bounties
from bot.store.timers import TimerRow

PHASE_OVERRUN = "phase_overrun"  # a phase's threshold: payload phase and bound
TOTAL_OVERRUN = "total_overrun"  # the whole process's threshold: payload bound
# Before funding a bounty is private: nothing about it goes to GitHub.
UNPUBLISHED = frozenset({State.INTAKE, State.REVIEW, State.AWAITING_PAYMENT})


def subject(bounty_id: int) -> str:
    return f"bounty:{bounty_id}"


async def schedule_phase_timers(ch: Change, config: Config, bounty_id: int, state: State) -> None:
    """A timer for each threshold of `state`'s phase not yet reached (the state periods are already written)."""
    phase = PROCESS_PHASE[state]
    if phase is None:
        return
    span = phase_spans(await bounties.state_periods(ch.tx, bounty_id)).get(phase)
    spent = span.spent(ch.now) if span else 0
    for bound, left in bounds_ahead(config.phase_targets[phase], spent):
        await ch.timer(PHASE_OVERRUN, subject(bounty_id), ch.now + left, phase=phase.value, bound=bound.value)


async def start_timeline(ch: Change, config: Config, bounty_id: int) -> None:
    """A new bounty: the timers of its first phase and of the whole process."""
    await schedule_phase_timers(ch, config, bounty_id, State.INTAKE)
    for bound, left in bounds_ahead(config.total_target, 0):
        await ch.timer(TOTAL_OVERRUN, subject(bounty_id), ch.now + left, bound=bound.value)


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
        await schedule_phase_timers(ch, config, bounty.id, target)
    if PROCESS_PHASE[target] is None:
        await ch.cancel_timers(subject(bounty.id), TOTAL_OVERRUN)  # out of the process: its clock stops
    await guarantee.on_transition(ch, subject(bounty.id), bounty.state, target)
    await dues.on_transition(ch, bounty.id, bounty.state, target)
    await payouts.on_transition(ch, bounty.id, bounty.state, target)
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


async def _reached(ch: Change, timer: TimerRow, target: TargetRange, bound: Bound, spent: int) -> bool:
    """Whether `bound` of `target` is reached after `spent` seconds. A threshold moved later by a
    configuration change since the timer was set is not reached yet: the timer is set again for it."""
    days = dict(target.bounds()).get(bound)
    if days is None:
        return False  # the range has no such end any more (its lower end was made its upper end)
    if spent < days * DAY:
        await ch.timer(timer.kind, timer.subject, ch.now + days * DAY - spent, **timer.payload)
        return False
    # Past both ends at once (the bot was down through both): the overrun says it all.
    return not (bound is Bound.LOW and spent >= target.high * DAY)


async def _tell(ch: Change, bounty: Bounty, what: str, bound: Bound, notice: notices.Notice, **detail: object) -> None:
    """Staff and the bounty channel, once per bounty, phase (or the total) and threshold."""
    key = f"bounty:{bounty.id}:timeline:{what}:{bound.value}"
    payload = notice.to_payload()
    told = await ch.send(f"{key}:staff", "staff.post", notice=payload)
    told = await ch.send(f"{key}:bounty", "bounty.post", bounty_id=bounty.id, notice=payload) or told
    if told:
        scope = "total" if what == "total" else "phase"
        action = f"{scope}_overrun" if bound is Bound.HIGH else f"{scope}_past_lower_end"
        await ch.audit(action, actor_id=None, bounty_id=bounty.id, bound=bound.value, **detail)


async def on_phase_overrun(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: the bounty may have reached a threshold of its current phase's target."""
    bounty = await bounties.get(ch.tx, int(timer.subject.split(":", 1)[1]))
    if bounty is None:
        return
    phase = PROCESS_PHASE[bounty.state]
    if phase is None or phase.value != timer.payload.get("phase"):
        return  # it moved on in time; nothing to say
    # Timers set before targets were ranges carry no bound: they stood for the upper end.
    bound = Bound(str(timer.payload.get("bound", Bound.HIGH.value)))
    target = config.phase_targets[phase]
    span = phase_spans(await bounties.state_periods(ch.tx, bounty.id)).get(phase)
    spent = span.spent(ch.now) if span else 0
    if span is None or not await _reached(ch, timer, target, bound, spent):
        return
    notice = notices.phase_threshold(bounty, phase, bound, target, span.start, spent)
    await _tell(ch, bounty, phase.value, bound, notice, phase=phase.value, days=spent // DAY)


async def on_total_overrun(config: Config, ch: Change, timer: TimerRow) -> None:
    """Timer handler: the whole process may have reached a threshold of its 4–8 weeks."""
    bounty = await bounties.get(ch.tx, int(timer.subject.split(":", 1)[1]))
    if bounty is None or PROCESS_PHASE[bounty.state] is None:
        return  # out of the process (approved, cancelled, …): its clock has stopped
    bound = Bound(str(timer.payload.get("bound")))
    process = process_span(await bounties.state_periods(ch.tx, bounty.id))
    spent = process.length(ch.now) if process else 0
    if process is None or not await _reached(ch, timer, config.total_target, bound, spent):
        return
    notice = notices.total_threshold(bounty, bound, config.total_target, process.start, spent)
    await _tell(ch, bounty, "total", bound, notice, days=spent // DAY)
