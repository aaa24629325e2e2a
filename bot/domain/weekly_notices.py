"""What the weekly rhythm tells people: the prompt, the reminder, the follow-up, staff's escalation and the
question whether to reassign, pauses, and the reassignment itself. Plain data, like every notice."""

from __future__ import annotations

from datetime import date

from bot.domain.inert import for_discord, for_discord_code
from bot.domain.models import Bounty
from bot.domain.notices import Button, Field, Notice, exchange_name, ts
from bot.domain.weekly import INACTIVE_AFTER, Rhythm, Week

PROMPT_BUTTON = "Post my update"
REASSIGN_BUTTON = "Reassign"
ACTIVITY = "updates, checklist ticks, GitHub comments, commits and pull-request pushes"


def prompt_button(bounty_id: int) -> Button:
    """Opens the `/update post` form (cogs/update.py `PromptButton`)."""
    return Button(PROMPT_BUTTON, f"update:prompt:{bounty_id}")


def reassign_button(bounty_id: int, assigned_at: int) -> Button:
    """Unassigns the developer assigned at `assigned_at` (cogs/update.py `ReassignButton`): a button shown
    before a later assignment cannot unassign the next developer."""
    return Button(REASSIGN_BUTTON, f"bounty:reassign:{bounty_id}:{assigned_at}", "danger")


def _rhythm_footer(bounty: Bounty, rhythm: Rhythm) -> str:
    return (
        f"Bounty #{bounty.id} · prompted {rhythm.describe()} · change it with /update settings; "
        "away or waiting on the exchange? /update pause"
    )


def prompt(bounty: Bounty, developer_id: int, week: Week, rhythm: Rhythm, *, already_posted: bool) -> Notice:
    if already_posted:
        # The prompt came late (the bot was down) and the update is in already: nothing to ask.
        return Notice(
            title="Weekly update: this week's is in",
            description=f"<@{developer_id}> already posted this week's update. The next week starts "
            f"{ts(week.end, 'F')}.",
            tone="ok",
            footer=_rhythm_footer(bounty, rhythm),
        )
    return Notice(
        title=f"Weekly update time · {exchange_name(bounty)} connector",
        description=(
            f"<@{developer_id}>, a new week starts: post this week's update (done, next, blockers, percent "
            f"complete) with the button below or `/update post`. Any time before {ts(week.end, 'F')} "
            f"({ts(week.end)}) counts."
        ),
        tone="info",
        footer=_rhythm_footer(bounty, rhythm),
        ping_user_ids=(developer_id,),
        buttons=(prompt_button(bounty.id),),
    )


def reminder(bounty: Bounty, developer_id: int, week: Week) -> Notice:
    return Notice(
        title="Reminder: this week's update",
        description=(
            f"<@{developer_id}>, most of the week has passed without an update. It is due {ts(week.end)} "
            f"({ts(week.end, 'F')})."
        ),
        tone="warn",
        footer=f"Bounty #{bounty.id} · a missed week is followed up the next day and told to staff after three days",
        ping_user_ids=(developer_id,),
        buttons=(prompt_button(bounty.id),),
    )


def follow_up(bounty: Bounty, developer_id: int, week: Week) -> Notice:
    return Notice(
        title="Missed: last week's update",
        description=(
            f"<@{developer_id}>, no update came in for the week of {ts(week.start, 'D')} to {ts(week.end, 'D')}. "
            "Post one now: Foundation staff are told if there is still none "
            f"{ts(week.escalate_at)}."
        ),
        tone="warn",
        footer=f"Bounty #{bounty.id}",
        ping_user_ids=(developer_id,),
        buttons=(prompt_button(bounty.id),),
    )


def escalation(bounty: Bounty, developer_id: int, login: str, week: Week, last_active: int) -> Notice:
    return Notice(
        title=f"No weekly update: bounty #{bounty.id} {exchange_name(bounty)}",
        description=(
            f"<@{developer_id}> (GitHub {for_discord_code(login)}) has posted no update since the week that began "
            f"{ts(week.start, 'D')}; it ended {ts(week.end)} and was followed up a day later. Last active "
            f"{ts(last_active)}."
        ),
        tone="warn",
        footer="Seven days without any activity and you are asked whether to reassign.",
    )


def reassign_ask(bounty: Bounty, developer_id: int, login: str, quiet_since: int, assigned_at: int) -> Notice:
    days = INACTIVE_AFTER // 86400
    return Notice(
        title=f"Reassign? Bounty #{bounty.id} {exchange_name(bounty)}: no activity for {days} days",
        description=(
            f"<@{developer_id}> (GitHub {for_discord_code(login)}) has shown no activity ({ACTIVITY}) since "
            f"{ts(quiet_since, 'F')} ({ts(quiet_since)})."
        ),
        fields=(
            Field(
                "Reassign",
                "Unassigns them: they leave the bounty channel, the Bounties Board says Open again, the bounty "
                "goes back to `open` and the public issue says so. Then assign the next developer with "
                "`/bounty assign`.",
            ),
        ),
        tone="alert",
        buttons=(reassign_button(bounty.id, assigned_at),),
    )


def paused(bounty: Bounty, until: date, until_at: int, reason: str, actor_id: int, *, moved: bool) -> Notice:
    return Notice(
        title=("Pause moved: weekly prompts resume " if moved else "Weekly prompts paused until ") + until.isoformat(),
        description=(
            f"{for_discord(reason, 300)}\n"
            f"No prompts, reminders or escalations until {ts(until_at, 'F')} ({ts(until_at)}), by <@{actor_id}>. "
            "`/update resume` ends the pause early."
        ),
        tone="neutral",
        footer=f"Bounty #{bounty.id}",
    )


def resumed(bounty: Bounty, next_prompt: int, *, early_by: int | None) -> Notice:
    why = f"The pause was ended early by <@{early_by}>." if early_by is not None else "The pause has ended."
    return Notice(
        title="Weekly prompts resume",
        description=f"{why} The next prompt comes {ts(next_prompt, 'F')} ({ts(next_prompt)}).",
        tone="info",
        footer=f"Bounty #{bounty.id}",
    )


def rhythm_set(bounty: Bounty, developer_id: int, rhythm: Rhythm, next_prompt: int | None, actor_id: int) -> Notice:
    when = f" The next one comes {ts(next_prompt, 'F')} ({ts(next_prompt)})." if next_prompt is not None else ""
    return Notice(
        title=f"Weekly prompts: {rhythm.describe()}",
        description=f"<@{developer_id}> is prompted {rhythm.describe()} from now on (set by <@{actor_id}>).{when}",
        tone="neutral",
        footer=f"Bounty #{bounty.id}",
    )


def unassigned(bounty: Bounty, developer_id: int, login: str, actor_id: int) -> Notice:
    days = INACTIVE_AFTER // 86400
    return Notice(
        title=f"Developer unassigned: {for_discord(login, one_line=True)}",
        description=(
            f"<@{developer_id}> (GitHub {for_discord_code(login)}) showed no activity for {days} days and was "
            f"unassigned by <@{actor_id}>. The Foundation is choosing the next developer; the work so far, the "
            "checklist and the updates stay with the bounty."
        ),
        tone="warn",
        footer=f"Bounty #{bounty.id}",
    )


def next_developer(bounty: Bounty, developer_id: int, login: str, actor_id: int) -> Notice:
    return Notice(
        title=f"Bounty #{bounty.id} {exchange_name(bounty)} needs a developer",
        description=(
            f"<@{actor_id}> unassigned <@{developer_id}> (GitHub {for_discord_code(login)}): the bounty is `open` "
            f"again. Assign the next developer with `/bounty assign` (`bounty: {bounty.id}`)."
        ),
        tone="warn",
    )


def unassigned_comment(login: str) -> str:
    """For the public issue (a validated GitHub login; the mirror neutralises mentions anyway)."""
    days = INACTIVE_AFTER // 86400
    return f"Developer unassigned: {login} (no activity for {days} days). This bounty is open for a new developer."
