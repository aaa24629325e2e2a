"""What governance tells people: the discussion opened, the vote opened (with its countdown), 24 hours left,
the result with its numbers, and staff's notes when the hub is down or a proposal disappears. Plain data."""

from __future__ import annotations

from bot.domain.governance import (
    GovernanceRules,
    Incident,
    ProposalItem,
    Tally,
    Tracking,
    hbot,
    percent,
    proposal_link,
)
from bot.domain.inert import for_discord
from bot.domain.models import Bounty
from bot.domain.notices import Field, Notice, exchange_name, ts


def _title(tracked: Tracking) -> str:
    return for_discord(tracked.title, 150, one_line=True) or "(untitled)"


def _link(tracked: Tracking) -> str:
    return f"<{proposal_link(tracked.space, tracked.proposal_id)}>"


def _rules_line(rules: GovernanceRules) -> str:
    parts = [
        f"more than {percent(rules.approval_threshold)} approval",
        f"quorum {hbot(rules.quorum)} unless the proposal sets its own",
    ]
    if rules.proposal_threshold:
        parts.append(f"{hbot(rules.proposal_threshold)} to propose")
    return f"Rules ({rules.preset.value}): " + ", ".join(parts) + "."


def discussion_opened(bounty: Bounty, tracked: Tracking, rules: GovernanceRules, *, resubmitted: bool) -> Notice:
    again = " (resubmitted)" if resubmitted else ""
    return Notice(
        title=f"Discussion open{again}: {exchange_name(bounty)} connector (bounty #{bounty.id})",
        description=(
            f"**{_title(tracked)}**\n{_link(tracked)}\n\n"
            f"The community discussion runs until the vote opens {ts(tracked.start)} ({ts(tracked.start, 'f')}). "
            f"The vote lasts until {ts(tracked.end, 'f')}.\n{_rules_line(rules)}"
        ),
        tone="info",
        footer=f"Bounty #{bounty.id} · proposal round {tracked.round}",
    )


def discussion_thread_opener(bounty: Bounty, tracked: Tracking) -> Notice:
    return Notice(
        title=f"Discuss: {exchange_name(bounty)} connector (bounty #{bounty.id})",
        description=f"**{_title(tracked)}**\n{_link(tracked)}\n\nQuestions and concerns about the proposal go in "
        f"this message's thread, until the vote opens {ts(tracked.start)}.",
    )


def thread_name(bounty: Bounty, tracked: Tracking) -> str:
    """The discussion thread's name (Discord: 1–100 characters)."""
    name = " ".join(f"Bounty #{bounty.id} {bounty.exchange} connector: proposal {tracked.round}".split())
    return name[:100]


def voting_opened(bounty: Bounty, tracked: Tracking, rules: GovernanceRules) -> Notice:
    return Notice(
        title=f"Vote open: {exchange_name(bounty)} connector (bounty #{bounty.id})",
        description=(
            f"**{_title(tracked)}**\nVote on Snapshot: {_link(tracked)}\n\n"
            f"Voting ends {ts(tracked.end)} ({ts(tracked.end, 'f')}).\n{_rules_line(rules)}"
        ),
        tone="info",
        footer=f"Bounty #{bounty.id} · proposal round {tracked.round}",
    )


def last_day(bounty: Bounty, tracked: Tracking) -> Notice:
    return Notice(
        title=f"24 hours left to vote: {exchange_name(bounty)} connector (bounty #{bounty.id})",
        description=f"**{_title(tracked)}**\nVote on Snapshot: {_link(tracked)}\n\nVoting ends {ts(tracked.end)}.",
        tone="warn",
        footer=f"Bounty #{bounty.id} · proposal round {tracked.round}",
    )


def result(bounty: Bounty, tracked: Tracking, t: Tally) -> Notice:
    verdict = "passed" if t.passed else "failed"
    why = []
    if not t.approval_met:
        why.append("approval not above the threshold")
    if not t.quorum_met:
        why.append("quorum not reached")
    reason = f" ({'; '.join(why)})" if why else ""
    source = "the proposal's" if t.quorum_from_proposal else "the configured"
    return Notice(
        title=f"Vote {verdict}: {exchange_name(bounty)} connector (bounty #{bounty.id}){reason}",
        description=f"**{_title(tracked)}**\n{_link(tracked)}",
        fields=(
            Field(
                "Approval",
                f"{percent(t.approval)} For (needs more than {percent(t.threshold)}) "
                f"{'✅' if t.approval_met else '❌'}",
                inline=True,
            ),
            Field(
                "Turnout",
                f"{hbot(t.total)} of {hbot(t.quorum)} quorum ({source}) {'✅' if t.quorum_met else '❌'}",
                inline=True,
            ),
            Field(
                "Votes",
                f"{t.votes:,} votes · For {hbot(t.yes)} · Against {hbot(t.no)} · Abstain {hbot(t.abstain)}",
            ),
        ),
        tone="ok" if t.passed else "alert",
        footer=f"Bounty #{bounty.id} · proposal round {tracked.round}",
    )


def incident(bounty: Bounty, tracked: Tracking, what: Incident) -> Notice:
    if what is Incident.HUB_DOWN:
        return Notice(
            title=f"Snapshot hub unreachable: bounty #{bounty.id} {exchange_name(bounty)}",
            description=(
                f"The hub did not answer about {_link(tracked)}. Nothing is read as a result; the bot keeps "
                "trying and says so here when it answers again."
            ),
            tone="warn",
        )
    return Notice(
        title=f"Proposal missing on Snapshot: bounty #{bounty.id} {exchange_name(bounty)}",
        description=(
            f"The hub no longer has {_link(tracked)} (deleted?). Nothing is read as a result; the bot keeps "
            "checking. If it was replaced, link the new proposal with `/governance link`."
        ),
        tone="alert",
    )


def recovered(bounty: Bounty, tracked: Tracking, what: Incident) -> Notice:
    was = "answers again" if what is Incident.HUB_DOWN else "has the proposal again"
    return Notice(
        title=f"Snapshot {was}: bounty #{bounty.id} {exchange_name(bounty)}",
        description=f"Tracking {_link(tracked)} goes on.",
        tone="ok",
    )


def checklist_recorded(bounty: Bounty, item: ProposalItem, done: bool, missing: list[ProposalItem]) -> Notice:
    state = "recorded" if done else "taken back"
    rest = (
        "The proposal checklist is complete: staff can open the discussion with `/governance link`."
        if not missing
        else "Still needed: " + ", ".join(i.label for i in missing) + "."
    )
    return Notice(title=f"Proposal checklist: {item.label} {state} (bounty #{bounty.id})", description=rest)


# States in which the governance field of `/bounty status` has something to say.
_BEFORE_VOTE = ("testing",)


def status_line(state: str, checklist: dict[ProposalItem, str], tracked: Tracking | None, now: int) -> str:
    """The Governance field of `/bounty status`: the proposal checklist, then the linked proposal's stage."""
    if tracked is None:
        if state not in (*_BEFORE_VOTE, "governance"):
            return "Not started."
        missing = [item.label for item in ProposalItem if item not in checklist]
        if missing:
            return f"Proposal checklist {3 - len(missing)}/3: still needs {', '.join(missing)}."
        return "Proposal checklist complete: staff link the Snapshot proposal with `/governance link`."
    head = f"Proposal (round {tracked.round}): {_title(tracked)}\n{_link(tracked)}"
    if tracked.result is not None:
        stage = f"Vote **{tracked.result}** (closed {ts(tracked.end, 'f')})."
    elif now < tracked.start:
        stage = f"Discussion until the vote opens {ts(tracked.start)}; it ends {ts(tracked.end, 'f')}."
    elif now < tracked.end:
        stage = f"Voting now on Snapshot: ends {ts(tracked.end)}."
    else:
        stage = f"Vote closed {ts(tracked.end)}: waiting for the hub's final count."
    if tracked.incident is Incident.HUB_DOWN:
        stage += " The Snapshot hub is not answering; the bot keeps trying."
    elif tracked.incident is Incident.DELETED:
        stage += " The proposal is missing on the hub; staff are told."
    return f"{head}\n{stage}"
