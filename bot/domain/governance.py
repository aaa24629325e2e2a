"""Governance rules (DESIGN.md §2, §9): the presets, the proposal checklist, which Snapshot proposals are
accepted, the tally, and what each answer from the hub means for a tracked proposal.

Pure: no I/O. The Snapshot adapter reads proposals; the governance service carries out what is decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import InvalidInput, RuleViolation
from bot.domain.inert import for_discord, for_discord_code

DAY = 86_400
HOUR = 3_600


class Preset(StrEnum):
    PROCESS = "process"  # the Connector Bounty process document
    HGP = "hgp"  # what the Foundation runs since HGP-77 (early 2026)


@dataclass(frozen=True)
class GovernanceRules:
    """The rules one configuration runs under: a preset, overridden field by field."""

    preset: Preset = Preset.PROCESS
    discussion_days: int = 7
    vote_days: int = 7
    approval_threshold: float = 50.0  # percent of For / (For + Against) that must be exceeded
    quorum: int = 4_000_000  # HBOT, used when a proposal carries no quorum of its own
    space: str = "hbot-ncp.eth"
    proposal_threshold: int = 0  # HBOT needed to propose (0: the rules name none)
    discussion_channel: str = ""  # where the discussion thread opens ("": the governance channel)
    yes_choices: tuple[str, ...] = ("For", "Yes")
    no_choices: tuple[str, ...] = ("Against", "No")
    hub_url: str = "https://hub.snapshot.org/graphql"
    poll_minutes: int = 60  # how often a pending or active proposal is read
    retry_minutes: int = 10  # how soon after a failed read, or while the scores are not final


# The two presets (reference/hummingbot.md, "Governance"). The process document names no space and no
# proposal threshold; its proposals went to the historic NCP space.
PRESETS: dict[Preset, dict[str, Any]] = {
    Preset.PROCESS: {
        "discussion_days": 7,
        "vote_days": 7,
        "approval_threshold": 50.0,
        "quorum": 4_000_000,
        "space": "hbot-ncp.eth",
        "proposal_threshold": 0,
        "discussion_channel": "",
    },
    Preset.HGP: {
        "discussion_days": 2,
        "vote_days": 3,
        "approval_threshold": 50.0,
        "quorum": 5_000_000,
        "space": "hbot.eth",
        "proposal_threshold": 200_000,
        "discussion_channel": "proposals",
    },
}


def rules_for(preset: Preset, **overrides: Any) -> GovernanceRules:
    """A preset's rules with some fields overridden."""
    return GovernanceRules(preset=preset, **{**PRESETS[preset], **overrides})


def hbot(amount: float) -> str:
    """An HBOT amount as people read it: whole tokens with thousands separators."""
    return f"{round(amount):,} HBOT"


def percent(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


# --- the proposal checklist ----------------------------------------------------------------------------------


class ProposalItem(StrEnum):
    """What a New Connector Proposal must carry (DESIGN.md §2, Governance)."""

    SPECIFICATION = "specification"
    TESTING = "testing"
    MAINTENANCE = "maintenance"

    @property
    def label(self) -> str:
        return _ITEM_LABELS[self]


_ITEM_LABELS = {
    ProposalItem.SPECIFICATION: "technical specification",
    ProposalItem.TESTING: "testing results",
    ProposalItem.MAINTENANCE: "maintenance commitment",
}
NOTE_MAX = 300


def checklist_missing(done: set[ProposalItem]) -> list[ProposalItem]:
    return [item for item in ProposalItem if item not in done]


def require_checklist(done: set[ProposalItem]) -> None:
    """Refuse opening the discussion until every item of the proposal checklist is recorded."""
    missing = checklist_missing(done)
    if missing:
        names = ", ".join(i.label for i in missing)
        raise RuleViolation(
            f"The proposal checklist is not complete (missing: {names}). Record each item with "
            "`/governance checklist` before opening the discussion."
        )


# --- which proposals are accepted ----------------------------------------------------------------------------

_ID = r"0x[0-9a-fA-F]{64}"
_ID_RE = re.compile(rf"^{_ID}$")
# https://snapshot.org/#/<space>/proposal/<id> (reference/hummingbot.md); Snapshot's newer interface writes the
# same link on snapshot.box with the space as `s:<space>`.
_URL_RE = re.compile(rf"^https://(?:www\.)?snapshot\.(?:org|box)/#/(?:s:)?([A-Za-z0-9.-]{{1,64}})/proposal/({_ID})/?$")
PROPOSAL_HELP = "a proposal id (`0x` and 64 hex digits) or its link, `https://snapshot.org/#/<space>/proposal/0x…`"


@dataclass(frozen=True)
class ProposalRef:
    id: str  # lower case, as the hub stores it
    space: str | None  # from a link; None for a bare id


def parse_proposal_ref(text: str) -> ProposalRef:
    """A typed proposal id or link, or :class:`InvalidInput` saying what is wrong."""
    text = text.strip()
    if _ID_RE.match(text):
        return ProposalRef(text.lower(), None)
    if match := _URL_RE.match(text):
        return ProposalRef(match.group(2).lower(), match.group(1).lower())
    if text.lower().startswith("0x"):
        why = f"{for_discord_code(text[:80])} is not a proposal id: it must be `0x` and 64 hex digits"
    else:
        why = f"{for_discord_code(text[:80])} is not a Snapshot proposal"
    raise InvalidInput([f"Proposal: {why}; give {PROPOSAL_HELP}."])


def proposal_link(space: str, proposal_id: str) -> str:
    return f"https://snapshot.org/#/{space}/proposal/{proposal_id}"


@dataclass(frozen=True)
class Proposal:
    """A proposal as the hub reports it (the Snapshot adapter's typed result)."""

    id: str
    title: str
    space: str
    state: str  # pending, active, closed
    start: int
    end: int
    choices: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    scores_total: float = 0.0
    scores_state: str = ""  # "final" once the hub has counted for good
    quorum: float = 0.0
    votes: int = 0
    author: str = ""


def _named(choice: str, names: tuple[str, ...]) -> bool:
    return choice.strip().casefold() in {n.casefold() for n in names}


def check_proposal(proposal: Proposal, rules: GovernanceRules, now: int, ref_space: str | None) -> None:
    """Refuse a proposal the rules cannot track: another space, already over, no yes or no choice, a discussion
    or a vote shorter than the rules ask."""
    if ref_space is not None and ref_space != rules.space:
        raise RuleViolation(
            f"That link is to a proposal on the space `{ref_space}`; the rules take proposals on `{rules.space}`."
        )
    if proposal.space.casefold() != rules.space.casefold():
        raise RuleViolation(
            f"Proposal {for_discord_code(proposal.id[:12] + '…')} is on the space "
            f"{for_discord_code(proposal.space)}; the rules take proposals on `{rules.space}`."
        )
    if proposal.state == "closed" or proposal.end <= now:
        raise RuleViolation("That proposal's vote is already over; link a proposal whose vote is still to come.")
    shown = ", ".join(for_discord(c) for c in proposal.choices) or "none"
    if not any(_named(c, rules.yes_choices) for c in proposal.choices) or not any(
        _named(c, rules.no_choices) for c in proposal.choices
    ):
        raise RuleViolation(
            f"The proposal's choices ({shown}) need one of {', '.join(rules.yes_choices)} and one of "
            f"{', '.join(rules.no_choices)} to be counted (`yes_choices` and `no_choices` under `[governance]`)."
        )
    if proposal.start - now < rules.discussion_days * DAY:
        raise RuleViolation(
            f"The vote starts {_when(proposal.start)}: the rules ask for at least {rules.discussion_days} days of "
            "discussion before it. Link a proposal whose vote starts later (or change `discussion_days`)."
        )
    if proposal.end - proposal.start < rules.vote_days * DAY:
        days = (proposal.end - proposal.start) / DAY
        raise RuleViolation(
            f"The vote lasts {days:.1f} days; the rules ask for {rules.vote_days} days. Link a proposal with "
            "the full voting period (or change `vote_days`)."
        )


def _when(unix: int) -> str:
    return f"<t:{unix}:R>"


# --- the tally -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    yes: float
    no: float
    abstain: float
    total: float
    votes: int
    threshold: float  # percent to exceed
    quorum: float
    quorum_from_proposal: bool

    @property
    def approval(self) -> float:
        """Percent of yes among yes and no; abstentions count for the quorum only."""
        decided = self.yes + self.no
        return 100.0 * self.yes / decided if decided > 0 else 0.0

    @property
    def approval_met(self) -> bool:
        return self.yes + self.no > 0 and self.approval > self.threshold

    @property
    def quorum_met(self) -> bool:
        return self.total >= self.quorum

    @property
    def passed(self) -> bool:
        return self.approval_met and self.quorum_met


def tally(proposal: Proposal, rules: GovernanceRules) -> Tally:
    """The result of a counted proposal under `rules`: yes and no are the choices named in the rules,
    everything else is abstention; the quorum is the proposal's own, or the configured one where it has none."""
    yes = no = 0.0
    for choice, score in zip(proposal.choices, proposal.scores, strict=False):
        if _named(choice, rules.yes_choices):
            yes += score
        elif _named(choice, rules.no_choices):
            no += score
    total = max(proposal.scores_total, sum(proposal.scores))
    own = proposal.quorum > 0
    return Tally(
        yes=yes,
        no=no,
        abstain=max(0.0, total - yes - no),
        total=total,
        votes=proposal.votes,
        threshold=rules.approval_threshold,
        quorum=proposal.quorum if own else float(rules.quorum),
        quorum_from_proposal=own,
    )


# --- following a proposal --------------------------------------------------------------------------------------


class Incident(StrEnum):
    HUB_DOWN = "hub_down"
    DELETED = "deleted"


@dataclass(frozen=True)
class Tracking:
    """What the bot knows of one linked proposal (one round of a bounty's governance)."""

    bounty_id: int
    round: int
    proposal_id: str
    space: str
    title: str
    start: int
    end: int
    voting_told: bool = False
    last_day_told: bool = False
    result: str | None = None  # "passed" or "failed" once counted
    incident: Incident | None = None

    @property
    def decided(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Steps:
    """What one answer from the hub means: what to announce, what to record, when to read again."""

    next_poll_at: int | None
    start: int | None = None  # the vote's times as the hub has them now (a pending proposal may be edited)
    end: int | None = None
    announce_voting: bool = False
    announce_last_day: bool = False
    result: Tally | None = None
    incident: Incident | None = None  # a new incident to tell staff about
    recovered: Incident | None = None  # the incident that is over


def after_answer(tracked: Tracking, proposal: Proposal | None, rules: GovernanceRules, now: int) -> Steps:
    """What the hub's answer about `tracked` means at `now` (None: the hub has no such proposal any more)."""
    poll, retry = rules.poll_minutes * 60, rules.retry_minutes * 60
    if tracked.decided:
        return Steps(next_poll_at=None)
    if proposal is None:
        # Deleted (or hidden) on the hub: never read as a result. Staff are told once; it is read again,
        # in case the hub comes back with it.
        new = None if tracked.incident is Incident.DELETED else Incident.DELETED
        return Steps(next_poll_at=now + retry, incident=new)
    recovered = tracked.incident
    start, end = proposal.start, proposal.end
    if proposal.state == "closed" or now >= end:
        if proposal.state == "closed" and proposal.scores_state == "final":
            return Steps(next_poll_at=None, start=start, end=end, result=tally(proposal, rules), recovered=recovered)
        # Closed but still being counted (or the hub not yet closed it): read again soon.
        return Steps(next_poll_at=now + retry, start=start, end=end, recovered=recovered)
    if proposal.state == "active" or now >= start:
        announce_voting = not tracked.voting_told
        # The last day is told once, and not in the same breath as the opening of a vote that short.
        announce_last_day = not tracked.last_day_told and now >= end - DAY and not announce_voting
        last_day_told = tracked.last_day_told or announce_last_day
        candidates = [now + poll, end]
        if not last_day_told and end - DAY > now:
            candidates.append(end - DAY)
        elif not last_day_told:
            candidates.append(now + 1)  # announce the last day on the next read
        return Steps(
            next_poll_at=max(now + 1, min(candidates)),
            start=start,
            end=end,
            announce_voting=announce_voting,
            announce_last_day=announce_last_day,
            recovered=recovered,
        )
    # Pending: the discussion goes on until the vote starts.
    return Steps(next_poll_at=max(now + 1, min(now + poll, start)), start=start, end=end, recovered=recovered)


def after_outage(tracked: Tracking, rules: GovernanceRules, now: int) -> Steps:
    """The hub did not answer: never a result; staff are told once per incident, and it is read again soon."""
    if tracked.decided:
        return Steps(next_poll_at=None)
    new = None if tracked.incident is Incident.HUB_DOWN else Incident.HUB_DOWN
    return Steps(next_poll_at=now + rules.retry_minutes * 60, incident=new)
