"""Embeds for bounty commands: presentation only, built from what the services return."""

from __future__ import annotations

import discord

from bot.charts.timeline import FILENAME, TimelinePicture
from bot.domain import governance_notices, notices, qa_notices
from bot.domain.bugs import REPORTABLE
from bot.domain.checklists import ChecklistKind, Progress, tasks
from bot.domain.inert import for_discord_code
from bot.domain.lifecycle import PAID, PHASE_TITLES, PROCESS_PHASE, State
from bot.domain.links import discord_link
from bot.domain.models import MemberRole
from bot.domain.notices import COLORS, ts
from bot.domain.qa import QaProgress
from bot.domain.reports import first_month_line, within_line
from bot.domain.sla_metrics import hours
from bot.services.bounties import BountyStatus, Listing
from bot.services.reports import BountyMetrics

_PAYMENT = {
    State.INTAKE: "Not yet due: the technical review comes first.",
    State.REVIEW: "Not yet due: the technical review is in progress.",
    State.AWAITING_PAYMENT: "Awaiting payment: option A (USDC/USDT on-chain) or option B (escrow).",
    State.CANCELLED: "None due: the bounty was cancelled.",
    State.REFUNDED: "Refunded.",
}


def _development(status: BountyStatus) -> tuple[str, str]:
    """The checklist and open-bugs fields."""
    snap = status.snapshot
    b = snap.bounty
    if snap.developer is None:
        checklist = "Starts when a developer is assigned."
    else:
        kind = ChecklistKind.IMPLEMENTATION
        progress = Progress(kind, tasks(kind, b.form.exchange_type), snap.ticks[kind])
        parts = [f"Implementation: **{progress.summary}**", qa_notices.status_text(QaProgress(snap.qa))]
        if snap.percent is not None:
            parts.append(f"Last update: **{snap.percent}%** complete")
        checklist = "\n".join(parts)
    if snap.open_bugs:
        lines = [notices.bug_line(bug, status.now) for bug in snap.open_bugs[:8]]
        if len(snap.open_bugs) > 8:
            lines.append(f"…and {len(snap.open_bugs) - 8} more: `/bug list`")
        bugs = notices.clip_lines("\n".join(lines), 1024)
    else:
        bugs = "None."
    return checklist, bugs


def _release(status: BountyStatus) -> str | None:
    """The release and the maintenance year, once shipped."""
    release = status.release
    if release is None:
        return None
    lines = [f"Hummingbot **{release.version}**, {ts(release.released_at, 'D')}"]
    if release.url:
        lines[0] += f" · {discord_link(release.url)}"
    current = next((y for y in reversed(status.years) if y.starts_at <= status.now), None)
    if current is not None:
        ended = status.bounty.state is State.ENDED
        verb = "ended" if ended else "ends"
        lines.append(f"Maintenance year {current.year} {verb} {ts(current.ends_at, 'D')} ({ts(current.ends_at)})")
        following = next((y for y in status.years if y.year == current.year + 1), None)
        if following is not None:
            lines.append(f"Renewed: year {following.year} runs until {ts(following.ends_at, 'D')}")
        elif not ended:
            lines.append("Renewal not paid yet: notices 60 and 30 days before the end")
    return "\n".join(lines)


def timeline_picture(status: BountyStatus) -> TimelinePicture:
    """What the status's picture shows (drawn by the cog's `Drawings`, kept for the hour)."""
    b = status.bounty
    return TimelinePicture.of(b.id, f"Bounty #{b.id} · {b.exchange}", status.snapshot.periods, status.timeline)


def sla_field(state: State, metrics: BountyMetrics | None, now: int) -> str | None:
    """The status's SLA metrics (issue 11): share within SLA, median time to resolve, open and breached bugs,
    and the first month after release. None before bugs can be reported."""
    if metrics is None or (not metrics.figures.bugs and state not in REPORTABLE and state is not State.ENDED):
        return None
    f = metrics.figures
    if not f.bugs:
        lines = ["No bugs reported."]
    else:
        lines = [
            within_line(f),
            f"Median time to resolve: {hours(f.median_seconds)}",
            f"{f.open} open · {f.breached} breached in all",
        ]
    if metrics.first.released_at is not None:
        lines.append(first_month_line(metrics.first, now))
    return "\n".join(lines)


def status_embed(status: BountyStatus, *, picture: bool = False, metrics: BountyMetrics | None = None) -> discord.Embed:
    """The status embed; with `picture`, it shows the timeline picture attached as FILENAME."""
    snap = status.snapshot
    b = status.bounty
    phase = PROCESS_PHASE[b.state]
    phase_text = PHASE_TITLES[phase] if phase else b.state.label.capitalize()
    embed = discord.Embed(
        title=f"Bounty #{b.id} · {notices.exchange_name(b)}",
        description=f"**{b.state.label.capitalize()}** ({phase_text}) since {ts(b.state_since)}"
        + (f" · <#{b.channel_id}>" if b.channel_id else ""),
        colour=COLORS["alert"] if b.state in (State.CANCELLED, State.REFUNDED, State.REJECTED) else COLORS["info"],
    )
    embed.add_field(
        name="Timeline against targets",
        value="\n".join(notices.timeline_lines(status.timeline)),
        inline=False,
    )
    if picture:
        embed.set_image(url=f"attachment://{FILENAME}")
    payment = _PAYMENT.get(b.state) or (f"Funded: {b.fee_usd:,} USD." if b.state in PAID else "Paid.")
    embed.add_field(name=f"Payment · {b.fee_usd:,} USDC/USDT", value=payment, inline=False)
    embed.add_field(name="Technical review", value=notices.review_summary(b, snap.review), inline=False)
    if snap.github is not None:
        url, board = snap.github
        embed.add_field(name="GitHub", value=f"{url}\nBounties Board: **{board or 'adding…'}**", inline=False)
    elif b.state in PAID:
        embed.add_field(name="GitHub", value="The public issue is being created.", inline=False)
    checklist, bugs = _development(status)
    if snap.developer is not None:
        user_id, login, active = snap.developer
        embed.add_field(
            name="Developer",
            value=f"<@{user_id}> · GitHub {for_discord_code(login)} · last active {ts(active)}",
            inline=False,
        )
    embed.add_field(name="Checklist", value=checklist, inline=True)
    embed.add_field(name="Open bugs", value=bugs, inline=True)
    if (sla := sla_field(b.state, metrics, status.now)) is not None:
        embed.add_field(name="SLA", value=sla, inline=True)
    governance = governance_notices.status_line(b.state.value, status.proposal_checklist, status.proposal, status.now)
    embed.add_field(name="Governance", value=governance, inline=governance == "Not started.")
    if (shipped := _release(status)) is not None:
        embed.add_field(name="Release and maintenance", value=shipped, inline=False)
    lead = [f"<@{m.user_id}>" for m in status.members if m.role is MemberRole.LEAD]
    others = [f"<@{m.user_id}>" for m in status.members if m.role is MemberRole.EXCHANGE]
    # A field holds 1,024 characters: about 40 mentions. A big team is summarised, never cut mid-mention.
    team = f"\nTeam ({len(others)}): {notices.summarise(others, 900)}" if others else ""
    embed.add_field(name="Members", value=f"Lead: {', '.join(lead) or '—'}{team}", inline=False)
    embed.set_footer(text=f"{b.form.exchange_type.label} · {', '.join(s.label for s in b.form.subtypes)}")
    return embed


# Forty lines fill an embed's description (4,096 characters) with room to spare; the rest is counted, not read.
LIST_LINES = 40


def list_embed(listing: Listing, state: State | None) -> discord.Embed:
    """The newest bounties first, then how many more there are and how to narrow them down."""
    title = f"Bounties in {state.label}" if state else "All bounties"
    text = ""
    shown = 0
    for b in listing.lines:
        line = (
            f"**#{b.id} {notices.exchange_name(b)}** · {b.state.label} since {ts(b.state_since)}"
            + (f" · <#{b.channel_id}>" if b.channel_id else "")
            + "\n"
        )
        if len(text) + len(line) > 3900:  # long exchange names: fewer lines fit
            break
        text += line
        shown += 1
    more = listing.total - shown
    if more:
        narrow = "" if state else "; filter with the `phase` option"
        text += f"…and {more:,} more (older){narrow}."
    return discord.Embed(
        title=f"{title} ({listing.total:,}), newest first",
        description=text or "None.",
        colour=COLORS["neutral"],
    )
