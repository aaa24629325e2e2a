"""What the GitHub mirror writes: the bounty issue in the Foundation's own style, phase comments, board status.

Pure text. Anything that came from a person passes through :func:`neutralize` first, so a mirrored
`@someone` pings nobody and a `fixes #12` closes nothing.
"""

from __future__ import annotations

import re

from bot.domain.lifecycle import State
from bot.domain.models import Bounty, ExchangeType, ReviewEntry, ReviewItem, ReviewStatus

ZWSP = "\u200b"
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9][A-Za-z0-9-]*)")
_CLOSING = re.compile(
    r"\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(\s*:?\s+)((?:[\w.-]+/[\w.-]+)?#\d+|https?://github\.com/\S+/(?:issues|pull)/\d+)",
    re.IGNORECASE,
)

CHECKLISTS: dict[ExchangeType, tuple[str, ...]] = {
    ExchangeType.CLOB: (
        "Authentication and connection management",
        "Market data streaming (order book, trades)",
        "Order placement and cancellation",
        "Balance and position queries",
        "Fee structure implementation",
        "Error handling and reconnection",
        "Rate limit management",
    ),
    ExchangeType.AMM: (
        "Chain connection setup",
        "Wallet integration",
        "Token list and pool fetching",
        "Swap execution",
        "Liquidity provision functions",
        "Gas estimation and optimization",
        "Transaction monitoring",
    ),
}

# The Bounties Board's Status column, following the bounty.
BOARD_STATUS: dict[State, str] = {
    State.FUNDED: "Open",
    State.OPEN: "Open",
    State.DEVELOPMENT: "Assigned",
    State.TESTING: "Submitted",
    State.GOVERNANCE: "Merged",
    State.REJECTED: "Merged",
    State.APPROVED: "Merged",
    State.RELEASED: "Paid",
    State.MAINTENANCE: "Paid",
    State.ENDED: "Paid",
}


def marker(bounty_id: int) -> str:
    """Hidden in every issue the bot opens: how a retry finds the issue a lost response already created."""
    return f"<!-- bountybot:bounty:{bounty_id} -->"


def neutralize(text: str) -> str:
    """Break mentions and closing keywords with a zero-width space; the text reads the same."""
    text = _MENTION.sub("@" + ZWSP, text)
    return _CLOSING.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:] + m.group(2) + m.group(3), text)


def issue_title(bounty: Bounty) -> str:
    """`Bounty - add <Exchange> connector`, naming the sub-type when there is only one (the Foundation's style)."""
    subtypes = bounty.form.subtypes
    kind = f" {subtypes[0].label}" if len(subtypes) == 1 else ""
    return neutralize(f"Bounty - add {bounty.exchange}{kind} connector")


def issue_body(
    bounty: Bounty, review: dict[ReviewItem, ReviewEntry], *, developer_portion: str, done: frozenset[str] = frozenset()
) -> str:
    f = bounty.form
    subtypes = ", ".join(s.label for s in f.subtypes)
    docs = [f"- REST: {f.api_docs_rest}"]
    if f.api_docs_ws != f.api_docs_rest:
        docs.append(f"- WebSocket: {f.api_docs_ws}")
    else:
        docs[0] = f"- REST and WebSocket: {f.api_docs_rest}"
    review_lines = []
    for item in ReviewItem:
        entry = review.get(item)
        if entry is None:
            review_lines.append(f"- {item.label}: not reviewed")
        else:
            status = "ok" if entry.status is ReviewStatus.OK else "missing"
            review_lines.append(f"- {item.label}: {status}" + (f" ({entry.note})" if entry.note else ""))
    checklist = [f"- [{'x' if task in done else ' '}] {task}" for task in CHECKLISTS[f.exchange_type]]
    guide = "CLOB connector" if f.exchange_type is ExchangeType.CLOB else "Gateway connector"
    text = "\n".join(
        [
            marker(bounty.id),
            "## Description",
            "",
            f"Build a Hummingbot {guide} for **{f.exchange}** ({f.website}): {f.exchange_type.label}, "
            f"sub-types {subtypes}. Sponsored by the exchange through the Connector Bounty program.",
            *(["", f"Special features: {f.special_features}"] if f.special_features else []),
            *(["", f"Testnet / sandbox: {f.testnet_url}"] if f.testnet_url else []),
            "",
            "## API documentation",
            "",
            *docs,
            f"- Authentication: {f.auth_method}",
            f"- Rate limits: {f.rate_limits}",
            "",
            "## Technical review",
            "",
            *review_lines,
            "",
            "## Bounty Goals",
            "",
            *checklist,
            "",
            "## Bounty",
            "",
            f"- Sponsor: {f.exchange}",
            f"- Bounty amount: {bounty.fee_usd:,} USD",
            f"- Developer portion: {developer_portion}",
        ]
    )
    return neutralize(text)


def phase_comment(old: State, new: State, reason: str) -> str:
    line = f"Bounty status: **{old.label}** → **{new.label}**."
    return neutralize(line + (f"\n\n{reason}" if reason else ""))
