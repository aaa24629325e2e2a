"""Who may do what. Every command's permission decision is made here, from two facts: whether the person
holds the configured staff role, and how they belong to the bounty (if at all)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import NotAllowed
from bot.domain.lifecycle import Role
from bot.domain.models import Member, MemberRole


class Access(StrEnum):
    """The permission decision a command declares (checked by the suite-wide command test)."""

    ANYONE = "anyone"  # e.g. /bounty start (further limited to the intake channel)
    MEMBERS = "members"  # people on that bounty, and staff
    LEAD = "lead"  # the exchange lead, and staff
    EXCHANGE = "exchange"  # the exchange team, and staff
    DEVELOPER = "developer"  # the assigned developer, and staff
    STAFF = "staff"


@dataclass(frozen=True)
class Audience:
    """Who may run one command (or press one button): the declaration the tree, the services and the
    README's permission table all read, so the three can never disagree."""

    access: Access
    doing: str  # completes "Only … can {doing}." in a refusal


# Every command by its qualified name, and every button or menu by its action name. Services call
# `authorize` with these names; tests/test_permissions.py checks that the tree's commands are exactly the
# command entries here and runs every command against every kind of person.
AUDIENCES: dict[str, Audience] = {
    "bounty start": Audience(Access.ANYONE, "start a bounty"),
    "bounty status": Audience(Access.MEMBERS, "see this bounty"),
    "bounty list": Audience(Access.STAFF, "list every bounty"),
    "bounty review": Audience(Access.STAFF, "record the technical review"),
    "bounty members add": Audience(Access.LEAD, "add members to a bounty"),
    "bounty members remove": Audience(Access.LEAD, "remove members from a bounty"),
    "bounty assign": Audience(Access.STAFF, "assign a developer"),
    "bounty advance": Audience(Access.STAFF, "move a bounty by hand"),
    "bounty cancel": Audience(Access.LEAD, "cancel a bounty"),
    "bounty fee": Audience(Access.STAFF, "set a bounty's fee"),
    "bounty refund": Audience(Access.STAFF, "record a refund"),
    "bounty payout record": Audience(Access.STAFF, "record the developer's payout"),
    "pay instructions": Audience(Access.MEMBERS, "see how to pay"),
    "pay wallet": Audience(Access.EXCHANGE, "register the paying wallet"),
    "pay submit": Audience(Access.EXCHANGE, "submit a payment"),
    "pay escrow": Audience(Access.EXCHANGE, "choose to pay by escrow"),
    "pay confirm-escrow": Audience(Access.STAFF, "confirm an escrow payment"),
    "update post": Audience(Access.DEVELOPER, "post the weekly update"),
    "update pause": Audience(Access.DEVELOPER, "pause the weekly prompts"),
    "update resume": Audience(Access.DEVELOPER, "resume the weekly prompts"),
    "update settings": Audience(Access.DEVELOPER, "change when the weekly prompt comes"),
    "checklist": Audience(Access.MEMBERS, "see the checklists"),
    "bug report": Audience(Access.MEMBERS, "report a bug"),
    "bug list": Audience(Access.MEMBERS, "list the bugs"),
    "bug resolve": Audience(Access.DEVELOPER, "resolve a bug"),
    "bug reopen": Audience(Access.EXCHANGE, "reopen a bug"),
    "bug pause": Audience(Access.DEVELOPER, "pause a bug's SLA clock"),
    "bug resume": Audience(Access.MEMBERS, "resume a bug's SLA clock"),
    "bug severity": Audience(Access.STAFF, "change a bug's severity"),
    "audit": Audience(Access.STAFF, "read the audit trail"),
    "alerts on": Audience(Access.ANYONE, "get governance alerts"),
    "alerts off": Audience(Access.ANYONE, "stop governance alerts"),
    "alerts dm on": Audience(Access.ANYONE, "get governance alerts by DM"),
    "alerts dm off": Audience(Access.ANYONE, "stop governance alerts by DM"),
    "release record": Audience(Access.STAFF, "record a release"),
    "report sla": Audience(Access.STAFF, "see the SLA report"),
    "report usage": Audience(Access.STAFF, "record usage figures"),
    "governance checklist": Audience(Access.STAFF, "record the proposal checklist"),
    "governance link": Audience(Access.STAFF, "link a governance proposal"),
    "governance resubmit": Audience(Access.STAFF, "resubmit a governance proposal"),
    # Buttons and menus.
    "checklist tick implementation": Audience(Access.DEVELOPER, "tick the implementation checklist"),
    # The QA protocol: one audience per group of QA items (bot/domain/qa.py, QaGroup.action).
    "qa record functional": Audience(Access.STAFF, "record functional QA results"),
    "qa record integration": Audience(Access.STAFF, "record integration QA results"),
    "qa record exchange validation": Audience(Access.EXCHANGE, "record exchange-validation QA results"),
    "bounty reassign": Audience(Access.STAFF, "reassign a bounty's developer"),
}
# The entries above that are a button or a menu, not a command (the weekly prompt's button is `update post`'s).
COMPONENTS: dict[str, str] = {
    "checklist tick implementation": "menu",
    "qa record functional": "menu",
    "qa record integration": "menu",
    "qa record exchange validation": "menu",
    "bounty reassign": "button",
}


@dataclass(frozen=True)
class Actor:
    user_id: int
    is_staff: bool


def membership(actor: Actor, members: list[Member]) -> MemberRole | None:
    return next((m.role for m in members if m.user_id == actor.user_id), None)


def _require_staff(actor: Actor, doing: str) -> None:
    if not actor.is_staff:
        raise NotAllowed(f"Only Foundation staff can {doing}.")


def _require_member(actor: Actor, members: list[Member], bounty_id: int) -> None:
    if actor.is_staff or membership(actor, members) is not None:
        return
    # Same sentence whether or not the bounty exists: a private bounty is not revealed to outsiders.
    raise NotAllowed(f"You are not a member of bounty #{bounty_id}; ask its exchange lead or Foundation staff.")


def _require_lead(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) is MemberRole.LEAD:
        return
    raise NotAllowed(f"Only the exchange lead or Foundation staff can {doing}.")


def _require_exchange_team(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) in (MemberRole.LEAD, MemberRole.EXCHANGE):
        return
    raise NotAllowed(f"Only the exchange team or Foundation staff can {doing}.")


def _require_developer(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) is MemberRole.DEVELOPER:
        return
    raise NotAllowed(f"Only the bounty's assigned developer or Foundation staff can {doing}.")


def authorize(actor: Actor, action: str, members: list[Member] | None = None, bounty_id: int | None = None) -> None:
    """Refuse `actor` unless they are in `action`'s declared audience (for a bounty: given its members).

    Outsiders always hear the same "not a member" sentence first, so a private bounty is not revealed.
    """
    audience = AUDIENCES[action]
    if audience.access is Access.ANYONE:
        return
    if audience.access is Access.STAFF:
        _require_staff(actor, audience.doing)
        return
    if members is None or bounty_id is None:
        raise TypeError(f"{action!r} is decided per bounty: pass its members and number")
    _require_member(actor, members, bounty_id)
    if audience.access is Access.LEAD:
        _require_lead(actor, members, audience.doing)
    elif audience.access is Access.EXCHANGE:
        _require_exchange_team(actor, members, audience.doing)
    elif audience.access is Access.DEVELOPER:
        _require_developer(actor, members, audience.doing)


def may(actor: Actor, action: str, members: list[Member] | None = None, bounty_id: int | None = None) -> bool:
    """Whether `authorize` would let `actor` through (to decide what to show, e.g. a tick menu)."""
    try:
        authorize(actor, action, members, bounty_id)
    except NotAllowed:
        return False
    return True


def lifecycle_role(actor: Actor, members: list[Member]) -> Role:
    """The role a person acts in when asking for a state change."""
    if actor.is_staff:
        return Role.STAFF
    role = membership(actor, members)
    if role in (MemberRole.LEAD, MemberRole.EXCHANGE):
        return Role.EXCHANGE
    if role is MemberRole.DEVELOPER:
        return Role.DEVELOPER
    raise NotAllowed("You are not a member of this bounty.")


# --- the README's permission table ---------------------------------------------------------------------

# The kinds of person the permission matrix (README, tests/test_permissions.py) checks every command against.
PERSONAS = (
    "stranger",
    "exchange lead",
    "exchange teammate",
    "member of another bounty",
    "assigned developer",
    "staff",
)
_ALLOWED: dict[Access, frozenset[str]] = {
    Access.ANYONE: frozenset(PERSONAS),
    Access.MEMBERS: frozenset({"exchange lead", "exchange teammate", "assigned developer", "staff"}),
    Access.EXCHANGE: frozenset({"exchange lead", "exchange teammate", "staff"}),
    Access.LEAD: frozenset({"exchange lead", "staff"}),
    Access.DEVELOPER: frozenset({"assigned developer", "staff"}),
    Access.STAFF: frozenset({"staff"}),
}
# Rules of the process on top of the audience (decided by the lifecycle or the command's own checks).
CONDITIONS = {
    "bounty start": "only in the intake channel",
    "bounty cancel": "the lead only before payment",
    "bounty fee": "only before any payment",
    "bounty payout record": "after the merge; once per bounty",
    "checklist": "shows a tick or record menu to whoever may use it (below)",
    "update post": "also the **Post my update** button of the weekly prompt",
    "bounty reassign": "under staff's alert after 7 days without activity",
    "qa record functional": "`/checklist checklist:QA`: pick an item, then a form (result, note, open a bug)",
    "qa record integration": "`/checklist checklist:QA`: pick an item, then a form (result, note, open a bug)",
    "qa record exchange validation": "`/checklist checklist:QA`: the exchange team records its own items, staff too",
    "bug pause": "waiting on the exchange",
    "bug resume": "so the exchange can restart the clock when it answers",
    "release record": "once the bounty is approved",
    "governance link": "in `governance`, once the proposal checklist is complete",
    "governance resubmit": "after a failed vote (`rejected`)",
}


def allowed(action: str, persona: str) -> bool:
    """Whether `persona` is in `action`'s declared audience (the expected cell of the permission matrix)."""
    return persona in _ALLOWED[AUDIENCES[action].access]


def permission_table() -> str:
    """The permission matrix as a Markdown table, from `AUDIENCES` (printed by `bountybot permissions`)."""
    head = "| command | " + " | ".join(PERSONAS) + " | also |"
    lines = [head, "|---" * (len(PERSONAS) + 2) + "|"]
    for action in AUDIENCES:
        name = f"{action} ({COMPONENTS[action]})" if action in COMPONENTS else f"`/{action}`"
        cells = " | ".join("✅" if allowed(action, p) else "❌" for p in PERSONAS)
        lines.append(f"| {name} | {cells} | {CONDITIONS.get(action, '')} |")
    return "\n".join(lines)
