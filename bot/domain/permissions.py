"""What the bot needs from Discord, place by place, and how a missing permission is named.

The README asks for exactly these permissions, and the bot never uses more. Discord only lets the bot
grant, in a channel's overwrites, what it holds itself, so the bounties category needs everything a
bounty channel's members are given (their overwrites are written there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

# discord.py's attribute name -> the name Discord's own settings screen shows.
LABELS = {
    "view_channel": "View Channels",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "manage_channels": "Manage Channels",
    "manage_roles": "Manage Roles",
    "manage_events": "Manage Events",
    "create_public_threads": "Create Public Threads",  # the governance discussion thread
}

# What the bot's role must hold in the server (the README's list).
SERVER = tuple(LABELS)
# Channels it posts in: announcements, governance, staff alerts, intake.
POSTING = ("view_channel", "send_messages", "embed_links", "attach_files", "read_message_history")
# The bounties category: it creates channels there and writes their overwrites.
BOUNTIES_CATEGORY = (*POSTING, "manage_channels", "manage_roles")


class PlaceKind(Enum):
    SERVER = "server"
    CHANNEL = "channel"
    CATEGORY = "category"


@dataclass(frozen=True)
class Place:
    """A configured place: the config key that names it, how people see it, and what it holds."""

    key: str
    label: str
    kind: PlaceKind
    held: frozenset[str]

    @property
    def needs(self) -> tuple[str, ...]:
        if self.kind is PlaceKind.SERVER:
            return SERVER
        if self.kind is PlaceKind.CATEGORY:
            return BOUNTIES_CATEGORY
        return POSTING


def missing(place: Place) -> tuple[str, ...]:
    return tuple(LABELS[p] for p in place.needs if p not in place.held)


def problems(places: Iterable[Place]) -> list[str]:
    """One sentence per place that lacks something, naming each permission and where to fix it."""
    out = []
    for place in places:
        lacking = missing(place)
        if not lacking:
            continue
        where = (
            "in the server (Server Settings → Roles → the bot's role)"
            if place.kind is PlaceKind.SERVER
            else f"in {place.label} (its Permissions settings; `{place.key}` in config.toml)"
        )
        out.append(f"The bot lacks {', '.join(lacking)} {where}.")
    return out
