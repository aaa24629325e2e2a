"""The delivery guarantee's alerts, as durable timers: days 60, 80 and 90 after funding, to staff and to the
exchange. Scheduled in the transaction that moves the bounty to `funded`, cancelled by the one that delivers,
cancels or refunds it, and checked against the bounty's state when they fire (a timer row outlives whatever
forgot to cancel it)."""

from __future__ import annotations

from bot.changes import Change
from bot.domain.guarantee import ALERT_DAYS, alert, alert_at, alerts_now
from bot.domain.lifecycle import State
from bot.domain.models import MemberRole
from bot.store import bounties
from bot.store.timers import TimerRow

GUARANTEE = "delivery_guarantee"


async def on_transition(ch: Change, subject: str, old: State, new: State) -> None:
    """Called by every lifecycle transition, inside its change."""
    if new is State.FUNDED and old is not State.FUNDED:
        await ch.cancel_timers(subject, GUARANTEE)  # funded once in the lifecycle; never two sets of alerts
        for day in ALERT_DAYS:
            await ch.timer(GUARANTEE, subject, alert_at(ch.now, day), day=day, funded_at=ch.now)
    elif not alerts_now(new):
        await ch.cancel_timers(subject, GUARANTEE)


async def on_guarantee_alert(ch: Change, timer: TimerRow) -> None:
    """Timer handler: the day-60, -80 or -90 alert, unless the connector was delivered or the bounty closed."""
    bounty_id = int(timer.subject.split(":", 1)[1])
    bounty = await bounties.get(ch.tx, bounty_id)
    if bounty is None or not alerts_now(bounty.state):
        return
    day = int(str(timer.payload["day"]))
    funded_at = int(str(timer.payload["funded_at"]))
    leads = tuple(m.user_id for m in await bounties.members(ch.tx, bounty_id) if m.role is MemberRole.LEAD)
    await ch.audit("guarantee_alert", actor_id=None, bounty_id=bounty_id, day=day, funded_at=funded_at)
    staff = alert(bounty, day, funded_at, ch.now, for_staff=True)
    exchange = alert(bounty, day, funded_at, ch.now, for_staff=False, ping=leads)
    await ch.send(f"timer:{timer.id}:staff", "staff.post", notice=staff.to_payload())
    await ch.send(f"timer:{timer.id}:bounty", "bounty.post", bounty_id=bounty_id, notice=exchange.to_payload())
