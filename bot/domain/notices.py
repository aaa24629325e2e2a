"""What the bot tells people, as plain data: titles, text, fields. Rendering to embeds is the adapter's job.

Notices travel through the outbox as JSON, so they hold only strings, numbers and lists. Their text is
Discord markdown: whatever a person typed is put in through :mod:`bot.domain.inert`, so it shows as typed
and never as a link, a mention, a heading or formatting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from bot.domain.bugs import Bug, BugState
from bot.domain.checklists import Progress, Task
from bot.domain.inert import for_discord, for_discord_code, for_discord_footer
from bot.domain.lifecycle import PHASE_TITLES, PROCESS_PHASE, ProcessPhase, State, describe_moves
from bot.domain.links import discord_link
from bot.domain.models import Bounty, ReviewEntry, ReviewItem, ReviewStatus
from bot.domain.timeline import DAY, Bound, Standing, TargetRange, Timeline, TimelineRow, ordinal, week_of
from bot.domain.updates import WeeklyUpdate

COLORS = {"info": 0x5865F2, "ok": 0x57F287, "warn": 0xFEE75C, "alert": 0xED4245, "neutral": 0x99AAB5}


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Button:
    """A button under a notice. Its custom id is answered by a dynamic item in `cogs/` (so it still works
    after a restart); `style` is "primary", "secondary", "success" or "danger"."""

    label: str
    custom_id: str
    style: str = "primary"


@dataclass(frozen=True)
class Notice:
    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    tone: str = "info"
    footer: str = ""
    # Users to ping in the message content. Nobody else is ever pinged, whatever the text contains.
    ping_user_ids: tuple[int, ...] = field(default_factory=tuple)
    buttons: tuple[Button, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(f) for f in self.fields]
        data["ping_user_ids"] = list(self.ping_user_ids)
        data["buttons"] = [asdict(b) for b in self.buttons]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Notice:
        return cls(
            title=data["title"],
            description=data.get("description", ""),
            fields=tuple(Field(**f) for f in data.get("fields", [])),
            tone=data.get("tone", "info"),
            footer=data.get("footer", ""),
            ping_user_ids=tuple(int(u) for u in data.get("ping_user_ids", [])),
            buttons=tuple(Button(**b) for b in data.get("buttons", [])),
        )


def ts(unix: int, style: str = "R") -> str:
    """A Discord timestamp: every client renders it in the reader's own time zone (R = live countdown)."""
    return f"<t:{unix}:{style}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_lines(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut only between lines, so no mention or link is ever cut in half.

    A first line that alone is too long is cut at its last space that fits: a link or mention has no space.
    """
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        more = "" if last else f"…and {len(lines) - i - 1} more line(s)"
        if len("\n".join([*kept, line, *([more] if more else [])])) <= limit:
            kept.append(line)
            continue
        if kept:
            return "\n".join([*kept, f"…and {len(lines) - i} more line(s)"])
        return _cut_at_space(line, limit)
    return "\n".join(kept)


def _cut_at_space(text: str, limit: int) -> str:
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head).rstrip() + "…"


def summarise(items: list[str], limit: int, *, separator: str = ", ") -> str:
    """As many whole `items` as fit in `limit` characters, then "and N more": a list never overflows a field."""
    shown: list[str] = []
    for i, item in enumerate(items):
        rest = len(items) - i - 1
        tail = f" and {rest} more" if rest else ""
        if len(separator.join([*shown, item])) + len(tail) > limit:
            if not shown:
                return f"{len(items)} in all, too long to list here"
            return separator.join(shown) + f" and {len(items) - i} more"
        shown.append(item)
    return separator.join(shown)


# How staff return money: sent outside the bot, then recorded with `/bounty refund`, which checks it against
# the ledger and ends the bounty `refunded` once everything paid has gone back.
REFUND_STEPS = (
    "Send it back outside the bot (to the wallet it came from, or by wire for escrow), then record it with "
    "`/bounty refund` (the amount, how it was sent, and the transaction hash or wire reference). Once everything "
    "paid has gone back, the bounty ends `refunded`."
)
# A bounty moved to `funded` by hand has no payment in the ledger to check a refund against.
REFUND_STEPS_UNRECORDED = (
    "No payment to it is in the ledger (it was moved to `funded` by hand). Record what was received with "
    "`/pay confirm-escrow` (on a cancelled bounty it is flagged for refund at once), send it back, then record the "
    "refund with `/bounty refund`."
)


class HasExchange(Protocol):
    """A bounty, or a row of a bounty listing."""

    @property
    def exchange(self) -> str: ...


def exchange_name(bounty: HasExchange) -> str:
    """The exchange's name as typed, for a title or a line of a message."""
    return for_discord(bounty.exchange, 80, one_line=True)


def welcome(bounty: Bounty, *, fee_usd: int, setup_days: int) -> Notice:
    f = bounty.form
    subtypes = ", ".join(s.label for s in f.subtypes)
    # Links are shown whole (a cut link would open somewhere else) with any Unicode host's punycode beside it.
    docs = (
        discord_link(f.api_docs_rest)
        if f.api_docs_rest == f.api_docs_ws
        else f"{discord_link(f.api_docs_rest)} (REST), {discord_link(f.api_docs_ws)} (WebSocket)"
    )
    review = "\n".join(
        f"• **{item.label}**: {value}"
        for item, value in (
            (ReviewItem.API_DOCS, docs),
            (ReviewItem.AUTHENTICATION, for_discord(f.auth_method or "not given yet", 180)),
            (ReviewItem.RATE_LIMITS, for_discord(f.rate_limits or "not given yet", 180)),
            (ReviewItem.TESTNET, discord_link(f.testnet_url) if f.testnet_url else "none"),
            (ReviewItem.SPECIAL_FEATURES, for_discord(f.special_features or "none", 180)),
        )
    )
    setup_due = bounty.created_at + setup_days * 86400
    return Notice(
        title=f"Welcome, {exchange_name(bounty)}: connector bounty #{bounty.id}",
        description=(
            f"This private channel is where the Hummingbot Foundation and your team follow the "
            f"**{f.exchange_type.label}** connector ({subtypes}) from here to release. "
            f"Your fee of **{fee_usd:,} USDC/USDT** covers every sub-type listed, a year of maintenance included."
        ),
        fields=(
            Field("Technical review (day 3–4)", clip_lines(review, 1024)),
            Field(
                "Option A: direct crypto payment",
                f"{fee_usd:,} USDC or USDT on Ethereum, BSC or Solana, confirmed on-chain within the hour. "
                "Addresses and exact amounts are given once the technical review is complete.",
            ),
            Field(
                "Option B: escrow agreement",
                "Sign the Bounty Escrow Agreement; the Foundation sends wire instructions. "
                "Processing takes 2–3 business days.",
            ),
            Field(
                "Timeline (4–8 weeks)",
                f"Setup 1 week (target {ts(setup_due, 'D')}) → Development 2–4 weeks → "
                "Testing & QA 1–2 weeks → Governance 1–2 weeks → monthly release → 1 year of maintenance.",
            ),
            Field(
                "Next steps",
                "1. Foundation staff review the technical details above.\n"
                "2. You pay (option A or B).\n"
                "3. Day 7: the public GitHub issue and the Bounties Board entry, then developer selection.\n"
                "Add teammates with `/bounty members add`; follow progress with `/bounty status`.",
            ),
        ),
        tone="info",
        footer=f"Bounty #{bounty.id} · contact: {for_discord_footer(f.contact, 100)}",
        ping_user_ids=(bounty.requester_id,),
    )


def state_changed(bounty: Bounty, old: State, new: State, *, reason: str) -> Notice:
    return Notice(
        title=f"Bounty #{bounty.id} {exchange_name(bounty)}: {old.label} → {new.label}",
        description=for_discord(reason, 1000) if reason else "",
        tone="alert" if new in (State.CANCELLED, State.REFUNDED, State.REJECTED) else "ok",
        footer=describe_moves(new),
    )


def _elapsed(target: TargetRange, spent: int) -> str:
    """How far in, in the target's own unit: "in its third week", or "10 days in"."""
    if target.in_weeks:
        return f"in its {ordinal(week_of(spent))} week"
    return f"{spent // DAY} days in"


def phase_threshold(
    bounty: Bounty, phase: ProcessPhase, bound: Bound, target: TargetRange, since: int, spent: int
) -> Notice:
    """A phase past the lower end of its target (information) or past the upper end (an overrun)."""
    name = PHASE_TITLES[phase]
    if bound is Bound.LOW:
        return Notice(
            title=f"Bounty #{bounty.id} {exchange_name(bounty)}: {name} is {_elapsed(target, spent)}",
            description=(
                f"{name} started {ts(since)} and its target is {target.text}: past the lower end, still "
                f"within the target. The bounty is `{bounty.state.label}`."
            ),
            tone="info",
        )
    return Notice(
        title=f"Overrun: bounty #{bounty.id} {exchange_name(bounty)} is past its {name} target",
        description=(
            f"{name} started {ts(since)} and its target is {target.text}; it is {_elapsed(target, spent)}. "
            f"The bounty is still `{bounty.state.label}`."
        ),
        tone="warn",
    )


def total_threshold(bounty: Bounty, bound: Bound, target: TargetRange, since: int, spent: int) -> Notice:
    """The whole process past the lower end of its 4–8 weeks (information) or past the upper end."""
    phase = PROCESS_PHASE[bounty.state]
    where = f"now in {PHASE_TITLES[phase]} (`{bounty.state.label}`)" if phase else f"now `{bounty.state.label}`"
    description = f"The whole process targets {target.text}; this bounty started {ts(since)} and is {where}."
    if bound is Bound.LOW:
        return Notice(
            title=f"Bounty #{bounty.id} {exchange_name(bounty)} is {_elapsed(target, spent)}",
            description=description,
            tone="info",
        )
    upper = f"{target.high // 7}-week" if target.in_weeks else f"{target.high}-day"
    return Notice(
        title=f"Overrun: bounty #{bounty.id} {exchange_name(bounty)} is past the {upper} total",
        description=description,
        tone="alert",
    )


def review_summary(bounty: Bounty, entries: dict[ReviewItem, ReviewEntry]) -> str:
    lines = []
    for item in ReviewItem:
        entry = entries.get(item)
        if entry is None:
            lines.append(f"⬜ {item.label}: not reviewed")
        elif entry.status is ReviewStatus.OK:
            lines.append(f"✅ {item.label}" + (f": {for_discord(entry.note, 80, one_line=True)}" if entry.note else ""))
        else:
            note = for_discord(entry.note, 80, one_line=True)
            lines.append(f"❌ {item.label}: missing" + (f" ({note})" if entry.note else ""))
    return "\n".join(lines)


_STANDING_MARKS = {
    Standing.NOT_STARTED: "⬜",
    Standing.WITHIN: "🟩",
    Standing.PAST_LOW: "🟨",
    Standing.OVERRUN: "🟥",
}


def _timeline_line(row: TimelineRow) -> str:
    if not row.started:
        if row.planned_start is None:
            return f"⬜ {row.title}: not reached"
        return f"⬜ {row.title}: not started (target {row.target.text})"
    days = row.spent / DAY
    bar_len = 10
    filled = min(bar_len, round(bar_len * days / row.target.high))
    bar = "█" * filled + "░" * (bar_len - filled)
    done = "" if row.ongoing else " · done"
    return f"{_STANDING_MARKS[row.standing]} {row.title} `{bar}` {days:.1f} d of {row.target.text}{done}"


def timeline_lines(timeline: Timeline) -> list[str]:
    """One line per process phase and one for the whole process: time spent against the target range."""
    return [_timeline_line(row) for row in timeline.rows]


def developer_assigned(bounty: Bounty, user_id: int, login: str, kickoff_at: int, replaced: int | None) -> Notice:
    before = f" They take over from <@{replaced}>." if replaced else ""
    return Notice(
        title=f"Developer assigned: {for_discord(login, one_line=True)}",
        description=f"<@{user_id}> (GitHub {for_discord_code(login)}) builds the {exchange_name(bounty)} "
        f"connector.{before}\n"
        f"Kick-off call {ts(kickoff_at, 'F')} ({ts(kickoff_at)}), in the server's events.",
        fields=(
            Field(
                "What happens now",
                "The developer posts a weekly update with `/update post` and ticks the implementation checklist with "
                "`/checklist`; both show here and on the public GitHub issue. Report problems with `/bug report`.",
            ),
        ),
        tone="ok",
        ping_user_ids=(user_id,),
    )


def weekly_update(bounty: Bounty, author_id: int, update: WeeklyUpdate) -> Notice:
    bar = "█" * (update.percent // 10) + "░" * (10 - update.percent // 10)
    return Notice(
        title=f"Weekly update · {update.percent}% complete",
        description=f"`{bar}` from <@{author_id}>",
        fields=(
            Field("Done this week", for_discord(update.done, 1024)),
            Field("Next", for_discord(update.next, 1024)),
            Field("Blockers", for_discord(update.blockers, 1024)),
        ),
        tone="warn" if update.blockers != "None" else "info",
        footer=f"Bounty #{bounty.id} {for_discord_footer(bounty.exchange)}",
    )


def checklist_changed(progress: Progress, ticked: list[Task], unticked: list[Task], actor_id: int) -> Notice:
    lines = [f"✅ {t.label}" for t in ticked] + [f"↩️ {t.label} (unticked)" for t in unticked]
    return Notice(
        title=f"{progress.kind.label}: {progress.summary} done",
        description="\n".join(lines) + f"\nby <@{actor_id}>",
        tone="ok" if progress.count == progress.total else "info",
    )


def sla_text(bug: Bug) -> str:
    if bug.state is BugState.RESOLVED:
        return f"resolved {ts(bug.resolved_at or bug.opened_at)}"
    if bug.paused_at is not None:
        return f"paused since {ts(bug.paused_at)} (its SLA clock is stopped)"
    if bug.due_at is None:
        return "due at the next release"
    return f"due {ts(bug.due_at)}"


def bug_line(bug: Bug, now: int) -> str:
    running_late = bug.paused_at is None and bug.due_at is not None and bug.due_at <= now
    late = " ⚠️ **SLA breached**" if bug.state is BugState.OPEN and (running_late or bug.breached_at) else ""
    link = f" · [GitHub #{bug.github_number}]({bug.github_url})" if bug.github_url else ""
    title = for_discord(bug.title, 80, one_line=True)
    return f"**#{bug.id}** {bug.severity.label} · {title} · {sla_text(bug)}{late}{link}"


def bug_reported(bounty: Bounty, bug: Bug) -> Notice:
    return Notice(
        title=f"Bug #{bug.id} ({bug.severity.label}): {for_discord(bug.title, 200, one_line=True)}",
        description=for_discord(bug.description, 1500),
        fields=(Field("SLA", sla_text(bug), inline=True), Field("Reported by", f"<@{bug.reporter_id}>", inline=True)),
        tone="alert" if bug.severity.value == "critical" else "warn",
        footer=f"Bounty #{bounty.id} {for_discord_footer(bounty.exchange)} · "
        "the developer resolves it with /bug resolve",
    )
