"""What the bot tells people, as plain data: titles, text, fields. Rendering to embeds is the adapter's job.

Notices travel through the outbox as JSON, so they hold only strings, numbers and lists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.domain.lifecycle import PROCESS_PHASE, State, describe_moves
from bot.domain.models import Bounty, ReviewEntry, ReviewItem, ReviewStatus, StatePeriod
from bot.domain.timeline import PHASE_TITLES, ProcessPhase

COLORS = {"info": 0x5865F2, "ok": 0x57F287, "warn": 0xFEE75C, "alert": 0xED4245, "neutral": 0x99AAB5}


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Notice:
    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    tone: str = "info"
    footer: str = ""
    # Users to ping in the message content. Nobody else is ever pinged, whatever the text contains.
    ping_user_ids: tuple[int, ...] = field(default_factory=tuple)

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(f) for f in self.fields]
        data["ping_user_ids"] = list(self.ping_user_ids)
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
        )


def ts(unix: int, style: str = "R") -> str:
    """A Discord timestamp: every client renders it in the reader's own time zone (R = live countdown)."""
    return f"<t:{unix}:{style}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def welcome(bounty: Bounty, *, fee_usd: int, setup_days: int) -> Notice:
    f = bounty.form
    subtypes = ", ".join(s.label for s in f.subtypes)
    review = "\n".join(
        f"• **{item.label}**: {clip(value or 'not given yet', 180)}"
        for item, value in (
            (
                ReviewItem.API_DOCS,
                f.api_docs_rest
                if f.api_docs_rest == f.api_docs_ws
                else f"{f.api_docs_rest} (REST), {f.api_docs_ws} (WebSocket)",
            ),
            (ReviewItem.AUTHENTICATION, f.auth_method),
            (ReviewItem.RATE_LIMITS, f.rate_limits),
            (ReviewItem.TESTNET, f.testnet_url or "none"),
            (ReviewItem.SPECIAL_FEATURES, f.special_features or "none"),
        )
    )
    setup_due = bounty.created_at + setup_days * 86400
    return Notice(
        title=f"Welcome, {f.exchange}: connector bounty #{bounty.id}",
        description=(
            f"This private channel is where the Hummingbot Foundation and your team follow the "
            f"**{f.exchange_type.label}** connector ({subtypes}) from here to release. "
            f"Your fee of **{fee_usd:,} USDC/USDT** covers every sub-type listed, a year of maintenance included."
        ),
        fields=(
            Field("Technical review (day 3–4)", clip(review, 1024)),
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
        footer=f"Bounty #{bounty.id} · contact: {clip(f.contact, 100)}",
        ping_user_ids=(bounty.requester_id,),
    )


def state_changed(bounty: Bounty, old: State, new: State, *, reason: str) -> Notice:
    return Notice(
        title=f"Bounty #{bounty.id} {bounty.exchange}: {old.label} → {new.label}",
        description=clip(reason, 1000) if reason else "",
        tone="alert" if new in (State.CANCELLED, State.REFUNDED, State.REJECTED) else "ok",
        footer=describe_moves(new),
    )


def phase_overrun(bounty: Bounty, phase: ProcessPhase, target_days: int, since: int) -> Notice:
    return Notice(
        title=f"Overrun: bounty #{bounty.id} {bounty.exchange} is past its {PHASE_TITLES[phase]} target",
        description=(
            f"{PHASE_TITLES[phase]} started {ts(since)} and its target is {target_days} days. "
            f"The bounty is still `{bounty.state.label}`."
        ),
        tone="warn",
    )


def review_summary(bounty: Bounty, entries: dict[ReviewItem, ReviewEntry]) -> str:
    lines = []
    for item in ReviewItem:
        entry = entries.get(item)
        if entry is None:
            lines.append(f"⬜ {item.label}: not reviewed")
        elif entry.status is ReviewStatus.OK:
            lines.append(f"✅ {item.label}" + (f": {clip(entry.note, 80)}" if entry.note else ""))
        else:
            lines.append(f"❌ {item.label}: missing" + (f" ({clip(entry.note, 80)})" if entry.note else ""))
    return "\n".join(lines)


def timeline_lines(periods: list[StatePeriod], targets: dict[ProcessPhase, int], now: int) -> list[str]:
    """One line per process phase: time spent against its target."""
    spent: dict[ProcessPhase, int] = {}
    started: dict[ProcessPhase, int] = {}
    for period in periods:
        phase = PROCESS_PHASE[period.state]
        if phase is None:
            continue
        end = period.left_at if period.left_at is not None else now
        spent[phase] = spent.get(phase, 0) + max(0, end - period.entered_at)
        started.setdefault(phase, period.entered_at)
    lines = []
    for phase in ProcessPhase:
        target = targets[phase]
        if phase not in spent:
            lines.append(f"⬜ {PHASE_TITLES[phase]}: not started (target {target} d)")
            continue
        days = spent[phase] / 86400
        bar_len = 10
        filled = min(bar_len, round(bar_len * days / target))
        bar = "█" * filled + "░" * (bar_len - filled)
        mark = "🟥" if days > target else "🟩"
        lines.append(f"{mark} {PHASE_TITLES[phase]} `{bar}` {days:.1f} / {target} d")
    return lines
