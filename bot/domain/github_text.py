"""What the GitHub mirror writes: the bounty issue in the Foundation's own style, phase comments, board status.

Pure text. Anything that came from a person passes through :func:`inert` (bodies) or :func:`inert_title`
(titles) first: it shows as typed, a mirrored `@someone` pings nobody, `#12` links to no issue, a
`fixes #12` closes nothing, and no HTML (such as a copy of the bot's hidden markers) gets through. Whole
bodies are also passed through :func:`neutralize` on the way out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.domain.bugs import Bug
from bot.domain.checklists import IMPLEMENTATION, Task
from bot.domain.inert import visible
from bot.domain.lifecycle import State
from bot.domain.links import idn_forms, url_problem
from bot.domain.models import Bounty, ExchangeType, ReviewEntry, ReviewItem, ReviewStatus

ZWSP = "\u200b"
# Not after a letter (an e-mail address) or an opening backtick of the bot's own code span; after an escaped
# backtick (`\``, typed by someone) a mention is live, so it is broken too.
_MENTION = re.compile(r"(?<!\w)(?<!(?<!\\)`)@(?=[A-Za-z0-9][A-Za-z0-9-]*)")
_CLOSING = re.compile(
    r"\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(\s*:?\s+)((?:[\w.-]+/[\w.-]+)?#\d+|https?://github\.com/\S+/(?:issues|pull)/\d+)",
    re.IGNORECASE,
)

# The Bounties Board's Status column, following the bounty.
BOARD_STATUS: dict[State, str] = {
    State.FUNDED: "Open",
    State.OPEN: "Open",
    State.DEVELOPMENT: "Assigned",
    State.TESTING: "Submitted",
    State.GOVERNANCE: "Merged",
    State.REJECTED: "Merged",
    State.APPROVED: "Merged",
    State.RELEASED: "Merged",
    State.MAINTENANCE: "Merged",
    State.ENDED: "Merged",
}


def board_status(state: State, *, developer_paid: bool) -> str | None:
    """The Bounties Board Status of a published bounty: Paid once the developer's payout is recorded (from the
    merge on), else what its state says; None before publication or once stopped (the item is left as it was)."""
    status = BOARD_STATUS.get(state)
    if status is None:
        return None
    return "Paid" if developer_paid else status


def marker(bounty_id: int) -> str:
    """Hidden in every issue the bot opens: how a retry finds the issue a lost response already created."""
    return f"<!-- bountybot:bounty:{bounty_id} -->"


def bug_marker(bug_id: int) -> str:
    return f"<!-- bountybot:bug:{bug_id} -->"


# Starts every comment the bot writes, so that a webhook for it is known as the bot's own.
COMMENT_MARKER = "<!-- bountybot -->"


def is_bot_comment(body: str) -> bool:
    return body.startswith(COMMENT_MARKER)


def bot_comment(text: str) -> str:
    return f"{COMMENT_MARKER}\n{neutralize(text)}"


def neutralize(text: str) -> str:
    """Break mentions and closing keywords with a zero-width space; the text reads the same."""
    text = _MENTION.sub("@" + ZWSP, text)
    return _CLOSING.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:] + m.group(2) + m.group(3), text)


# GitHub markdown that works anywhere in a line: escapes, code, emphasis, links and images, strikethrough,
# tables, math. (`<`, `>` and `&` become entities instead, so that no HTML or hidden comment survives.)
_GITHUB_ANYWHERE = frozenset("\\`*_[]~|$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What gives a line meaning from its first character: headings, lists, setext underlines, numbered lists.
_GITHUB_LINE_START = re.compile(r"^(#|-|\+|=|\d+(?=[.)]))")
# `#12`, `owner/repo#12` and `GH-12` link to an issue and add an entry to its timeline.
_REFERENCE = re.compile(r"(#|\bGH-)(?=\d)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
_URL_CHARS = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\""


def _escape_github(text: str) -> str:
    out = "".join(_HTML.get(ch) or ("\\" + ch if ch in _GITHUB_ANYWHERE else ch) for ch in text)
    return _REFERENCE.sub(lambda m: m.group(1) + ZWSP, out)


def _github_url(url: str) -> str:
    cut = len(url)
    while cut and (url[cut - 1] in _URL_TRAILING or (url[cut - 1] == ")" and "(" not in url[:cut])):
        cut -= 1
    url, rest = url[:cut], url[cut:]
    if _URL_CHARS.match(url) and len(url) > len("https://"):
        # An autolink is literal inside: escaping its `_` would change the address it opens.
        return f"<{url}>" + _escape_github(rest)
    return _escape_github(url + rest)


def _inert_line(line: str) -> str:
    # Leading spaces go: four of them would make the line a code block.
    line = line.lstrip()
    parts: list[str] = []
    at = 0
    for match in _URL.finditer(line):
        parts.append(_escape_github(line[at : match.start()]))
        parts.append(_github_url(match.group()))
        at = match.end()
    parts.append(_escape_github(line[at:]))
    out = "".join(parts)
    # Digits stay and their `.` or `)` is escaped (`1\. text`); any other mark gets a backslash before it.
    return _GITHUB_LINE_START.sub(
        lambda m: (m.group(1) + "\\") if m.group(1)[0].isdigit() else ("\\" + m.group(1)), out, count=1
    )


def inert(text: str) -> str:
    """What a person typed, as plain words in an issue or comment body: markdown escaped, HTML as entities,
    line starts that would make a heading, list or quote escaped, links shown whole, mentions, issue
    references and closing keywords broken, invisible characters dropped."""
    return neutralize("\n".join(_inert_line(line) for line in visible(text).split("\n")))


def inert_title(text: str) -> str:
    """What a person typed, in an issue title (plain text on GitHub, where only mentions and references act)."""
    return neutralize(_REFERENCE.sub(lambda m: m.group(1) + ZWSP, " ".join(visible(text).split())))


def github_link(url: str) -> str:
    """A link the bot accepted, for a GitHub body: an autolink (literal inside, opened as shown), with the
    host's Unicode form beside its punycode form when they differ, so a look-alike host shows."""
    if url_problem(url) is not None:
        return inert(url)  # typed before links were checked: shown as text
    opened, unicode = idn_forms(url)
    # An accepted link holds no backtick, `<`, `>` or space, so neither the autolink nor the code span breaks.
    return f"<{opened}>" + (f" (Unicode form: `{unicode}`)" if unicode else "")


def issue_title(bounty: Bounty) -> str:
    """`Bounty - add <Exchange> connector`, naming the sub-type when there is only one (the Foundation's style)."""
    subtypes = bounty.form.subtypes
    kind = f" {subtypes[0].label}" if len(subtypes) == 1 else ""
    return f"Bounty - add {inert_title(bounty.exchange)}{kind} connector"


def issue_body(
    bounty: Bounty, review: dict[ReviewItem, ReviewEntry], *, developer_portion: str, done: frozenset[str] = frozenset()
) -> str:
    f = bounty.form
    exchange = inert(f.exchange)
    subtypes = ", ".join(s.label for s in f.subtypes)
    docs = [f"- REST: {github_link(f.api_docs_rest)}"]
    if f.api_docs_ws != f.api_docs_rest:
        docs.append(f"- WebSocket: {github_link(f.api_docs_ws)}")
    else:
        docs[0] = f"- REST and WebSocket: {github_link(f.api_docs_rest)}"
    review_lines = []
    for item in ReviewItem:
        entry = review.get(item)
        if entry is None:
            review_lines.append(f"- {item.label}: not reviewed")
        else:
            status = "ok" if entry.status is ReviewStatus.OK else "missing"
            review_lines.append(f"- {item.label}: {status}" + (f" ({inert(entry.note)})" if entry.note else ""))
    checklist = [f"- [{'x' if t.key in done else ' '}] {t.label}" for t in IMPLEMENTATION[f.exchange_type]]
    guide = "CLOB connector" if f.exchange_type is ExchangeType.CLOB else "Gateway connector"
    text = "\n".join(
        [
            marker(bounty.id),
            "## Description",
            "",
            f"Build a Hummingbot {guide} for **{exchange}** ({github_link(f.website)}): {f.exchange_type.label}, "
            f"sub-types {subtypes}. Sponsored by the exchange through the Connector Bounty program.",
            *(["", f"Special features: {inert(f.special_features)}"] if f.special_features else []),
            *(["", f"Testnet / sandbox: {github_link(f.testnet_url)}"] if f.testnet_url else []),
            "",
            "## API documentation",
            "",
            *docs,
            f"- Authentication: {inert(f.auth_method)}",
            f"- Rate limits: {inert(f.rate_limits)}",
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
            f"- Sponsor: {exchange}",
            f"- Bounty amount: {bounty.fee_usd:,} USD",
            f"- Developer portion: {developer_portion}",
        ]
    )
    return neutralize(text)


def phase_comment(old: State, new: State, reason: str) -> str:
    line = f"Bounty status: **{old.label}** → **{new.label}**."
    return bot_comment(line + (f"\n\n{inert(reason)}" if reason else ""))


def bug_title(bug: Bug, bounty: Bounty) -> str:
    return f"[{bug.severity.label}] {inert_title(bounty.exchange)} connector: {inert_title(bug.title)}"


def bug_labels(bug: Bug) -> tuple[str, str]:
    return ("bug", f"severity: {bug.severity.value}")


def sla_line(bug: Bug) -> str:
    """The SLA as GitHub readers see it (Discord's live timestamps do not render there)."""
    if bug.due_at is None:
        return "due at the next release"
    return "due by " + datetime.fromtimestamp(bug.due_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def bug_body(bug: Bug, bounty_issue: int) -> str:
    """The bug's own issue. `#<bounty issue>` makes GitHub link it from the bounty issue's timeline."""
    return "\n".join(
        [
            bug_marker(bug.id),
            f"Reported against the connector bounty #{bounty_issue} (bounty {bug.bounty_id} in BountyBot).",
            "",
            f"**Severity:** {bug.severity.label} · **SLA:** {sla_line(bug)}",
            "",
            "## Description",
            "",
            inert(bug.description),
            "",
            "Closing this issue resolves the bug in BountyBot; reopening it reopens the bug.",
        ]
    )


def _utc(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")


def bug_resolved_comment(bug: Bug, time_to_resolve: str) -> str:
    """The bug issue's closing comment: the time to resolve (stopped time left out) and the note, made inert."""
    lines = [f"Resolved in BountyBot after {time_to_resolve} on the SLA clock ({sla_line(bug)} when resolved)."]
    if bug.breached_at is not None:
        lines.append(f"The SLA was breached at {_utc(bug.breached_at)}.")
    if bug.resolve_note:
        lines += ["", "**Note:** " + inert(bug.resolve_note)]
    return "\n".join(lines)


def bug_severity_comment(bug: Bug, old_label: str) -> str:
    """The bug issue's comment when staff change its severity."""
    return f"Severity changed from {old_label} to {bug.severity.label}; SLA: {sla_line(bug)}."


def bug_link_text(bug: Bug, bug_issue: int) -> str:
    """The bounty issue's comment linking a bug's issue (the comment handler marks and neutralises it)."""
    return f"Bug reported ({bug.severity.label}): #{bug_issue} {inert(bug.title)}"


def tick_tasks(body: str, all_tasks: tuple[Task, ...], done: frozenset[str]) -> str:
    """The body with each checklist task's box ticked or cleared; every other line is left as it is."""
    for task in all_tasks:
        mark = "x" if task.key in done else " "
        label = neutralize(task.label)
        line = re.compile(rf"^- \[[ xX]\] {re.escape(label)}$", re.MULTILINE)
        body = line.sub(f"- [{mark}] {label}".replace("\\", "\\\\"), body)
    return body


def qa_comment(item_label: str, result: str, note: str, verifier: str, at: int, passing: int, total: int) -> str:
    """A QA recording mirrored on the bounty issue (the comment handler marks and neutralises it). `verifier`
    says who in words ("Foundation staff", "the exchange team"): Discord accounts mean nothing on GitHub. The
    note is the evidence, as typed and inert: links whole, mentions, references and closing keywords broken."""
    when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"QA: **{item_label}**: **{result}**, verified by {verifier} on {when}."]
    if note:
        lines += ["", "> " + "\n> ".join(inert(note).split("\n"))]
    lines += ["", f"QA progress: {passing}/{total} passing."]
    return "\n".join(lines)
