"""What the bug SLA clock tells people: a pause and a resume, a severity change, a resolve with its note and time
to resolve, a reopen, the thresholds, and the lines of `/bug list`. Plain data, like every notice."""

from __future__ import annotations

from bot.domain.bugs import Bug, BugState, Severity
from bot.domain.inert import for_discord, for_discord_footer
from bot.domain.models import Bounty
from bot.domain.notices import Field, Notice, exchange_name, ts
from bot.domain.sla import duration, remaining


def _title(bug: Bug) -> str:
    return for_discord(bug.title, 200, one_line=True)


def due_text(bug: Bug) -> str:
    """When the bug is due, as a live countdown and an absolute time (each reader's own time zone)."""
    if bug.due_at is None:
        return "due at the next release (no release cut is known yet)"
    return f"due {ts(bug.due_at)} ({ts(bug.due_at, 'f')})"


def resolved_text(bug: Bug) -> str:
    took = bug.time_to_resolve()
    spent = f" after {duration(took)} on the clock" if took is not None else ""
    verdict = {True: ", within its SLA", False: ", after its SLA was breached", None: ""}[bug.within_sla()]
    return f"resolved {ts(bug.resolved_at or bug.opened_at)}{spent}{verdict}"


def paused_text(bug: Bug) -> str:
    reason = for_discord(bug.pause_reason or "", 120, one_line=True)
    left = "" if bug.due_at is None else f"; {duration(remaining(bug.due_at, 0, bug.paused_at))} left when resumed"
    if bug.due_at is not None and bug.paused_at is not None and bug.due_at <= bug.paused_at:
        left = "; already overdue when paused"
    return f"paused since {ts(bug.paused_at or 0)} ({reason}){left}"


def clock_text(bug: Bug, now: int) -> str:
    """The state of a bug's clock in one phrase: running (due, or overdue), paused, or resolved."""
    if bug.state is BugState.RESOLVED:
        return resolved_text(bug)
    if bug.paused_at is not None:
        return "⏸️ " + paused_text(bug)
    if bug.due_at is not None and bug.due_at <= now:
        return f"⚠️ **SLA breached**: was due {ts(bug.due_at)} ({ts(bug.due_at, 'f')})"
    return due_text(bug)


def list_line(bug: Bug, now: int) -> str:
    """One bug in `/bug list`: its number, severity, title, clock, and its GitHub issue (kept whole, at the end)."""
    link = f" · [GitHub #{bug.github_number}]({bug.github_url})" if bug.github_url else ""
    title = for_discord(bug.title, 80, one_line=True)
    return f"**#{bug.id}** {bug.severity.label} · {title} · {clock_text(bug, now)}{link}"


def paused(bug: Bug, actor_id: int) -> Notice:
    return Notice(
        title=f"Bug #{bug.id} paused: {_title(bug)}",
        description=(
            f"<@{actor_id}> paused its SLA clock, waiting on the exchange: "
            f"{for_discord(bug.pause_reason or '', 200, one_line=True)}\n"
            f"The time until it is resumed does not count. Anyone on the bounty can start the clock again with "
            f"`/bug resume {bug.id}`."
        ),
        fields=(Field("SLA", paused_text(bug)),),
        tone="info",
    )


def resumed(bug: Bug, actor_id: int, stopped: int, moved_cut: bool) -> Notice:
    cut = " The release cut passed while it was paused, so it is due at the following one." if moved_cut else ""
    return Notice(
        title=f"Bug #{bug.id} resumed: {_title(bug)}",
        description=f"<@{actor_id}> started its SLA clock again after {duration(stopped)} paused.{cut}",
        fields=(Field("SLA", due_text(bug)),),
        tone="warn",
    )


def severity_changed(bug: Bug, old: Severity, actor_id: int, now: int) -> Notice:
    return Notice(
        title=f"Bug #{bug.id} is now {bug.severity.label} (was {old.label}): {_title(bug)}",
        description=(
            f"<@{actor_id}> changed its severity. Its SLA counts from when it was reported, "
            "less the time it was paused."
        ),
        fields=(Field("SLA", clock_text(bug, now)),),
        tone="alert" if bug.severity is Severity.CRITICAL else "warn",
    )


def resolved(bug: Bug, by: str) -> Notice:
    """`by`: who did it, already in Discord markdown (a mention, or a quoted GitHub login)."""
    fields = [Field("Time to resolve", resolved_text(bug).removeprefix("resolved "))]
    if bug.resolve_note:
        fields.insert(0, Field("Note", for_discord(bug.resolve_note, 1000)))
    return Notice(
        title=f"Bug #{bug.id} resolved: {_title(bug)}",
        description=f"Resolved by {by}.",
        fields=tuple(fields),
        tone="ok",
    )


def reopened(bug: Bug, by: str, stopped: int, now: int) -> Notice:
    return Notice(
        title=f"Bug #{bug.id} reopened: {_title(bug)}",
        description=(
            f"Reopened by {by}. Its SLA clock resumes where it stopped (the {duration(stopped)} it was resolved "
            "do not count)" + ("; it stays breached." if bug.breached_at is not None else ".")
        ),
        fields=(Field("SLA", clock_text(bug, now)),),
        tone="warn",
    )


def threshold(bounty: Bounty, bug: Bug, stage: str) -> Notice:
    """A warning at 50% or 90% of the window, or the breach (which also goes to staff)."""
    if stage == "breach":
        return Notice(
            title=f"SLA breached: bug #{bug.id} ({bug.severity.label}) on bounty #{bounty.id} {exchange_name(bounty)}",
            description=f"{_title(bug)}\nIt was {due_text(bug)} and is still open.",
            tone="alert",
            footer=f"Bounty #{bounty.id} {for_discord_footer(bounty.exchange)}",
        )
    share = "half" if stage == "warn_50" else "90%"
    return Notice(
        title=f"Bug #{bug.id} ({bug.severity.label}): {share} of its SLA window used",
        description=f"{_title(bug)}\n{due_text(bug).capitalize()}.",
        tone="warn",
    )
