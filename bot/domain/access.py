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
class Actor:
    user_id: int
    is_staff: bool


def membership(actor: Actor, members: list[Member]) -> MemberRole | None:
    return next((m.role for m in members if m.user_id == actor.user_id), None)


def require_staff(actor: Actor, doing: str) -> None:
    if not actor.is_staff:
        raise NotAllowed(f"Only Foundation staff can {doing}.")


def require_member(actor: Actor, members: list[Member], bounty_id: int) -> None:
    if actor.is_staff or membership(actor, members) is not None:
        return
    # Same sentence whether or not the bounty exists: a private bounty is not revealed to outsiders.
    raise NotAllowed(f"You are not a member of bounty #{bounty_id}; ask its exchange lead or Foundation staff.")


def require_lead(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) is MemberRole.LEAD:
        return
    raise NotAllowed(f"Only the exchange lead or Foundation staff can {doing}.")


def require_exchange_team(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) in (MemberRole.LEAD, MemberRole.EXCHANGE):
        return
    raise NotAllowed(f"Only the exchange team or Foundation staff can {doing}.")


def require_developer(actor: Actor, members: list[Member], doing: str) -> None:
    if actor.is_staff or membership(actor, members) is MemberRole.DEVELOPER:
        return
    raise NotAllowed(f"Only the bounty's assigned developer or Foundation staff can {doing}.")


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
