"""The sandbox guild: users, roles, members, channels, messages, events and commands, in Discord's JSON shapes.

Tests read it as a user would see the server: which channels exist, who can view them (computed with
Discord's own permission algorithm), what messages and embeds were posted, which events were created.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (Discord's values).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_CHANNELS = 1 << 4
MANAGE_ROLES = 1 << 28
ADMINISTRATOR = 1 << 3
MANAGE_EVENTS = 1 << 33
ALL_PERMISSIONS = (1 << 50) - 1
EVERYONE_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | (1 << 31)
BOT_PERMISSIONS = EVERYONE_DEFAULT | MANAGE_CHANNELS | MANAGE_ROLES | MANAGE_EVENTS | (1 << 13)

TEXT, DM, CATEGORY = 0, 1, 4
CATEGORY_CHANNEL_LIMIT = 50


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), UTC).isoformat()


class Snowflakes:
    def __init__(self) -> None:
        self._seq = itertools.count(1)

    def next(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._seq) & 0x3FFFFF))


@dataclass
class GuildLayout:
    """What the sandbox guild starts with. Names match the bot's default configuration."""

    name: str = "Hummingbot"
    text_channels: tuple[str, ...] = ("developer", "announcements", "governance", "staff-alerts", "general")
    categories: tuple[str, ...] = ("Bounties",)
    roles: tuple[str, ...] = ("hummingbot-foundation", "governance-alerts", "bounty-contributor")


@dataclass
class SandboxState:
    ids: Snowflakes = field(default_factory=Snowflakes)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    guild: dict[str, Any] = field(default_factory=dict)
    application: dict[str, Any] = field(default_factory=dict)
    bot_user: dict[str, Any] = field(default_factory=dict)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def build(cls, layout: GuildLayout) -> SandboxState:
        s = cls()
        guild_id = s.ids.next()
        s.bot_user = s.new_user("BountyBot", bot=True)
        app_id = s.ids.next()
        s.application = {"id": app_id, "name": "BountyBot", "flags": 0}
        s.guild = {"id": guild_id, "name": layout.name, "owner_id": s.bot_user["id"]}
        s.roles[guild_id] = s._role(guild_id, "@everyone", EVERYONE_DEFAULT, 0)
        bot_role = s.ids.next()
        s.roles[bot_role] = s._role(bot_role, "BountyBot", BOT_PERMISSIONS, 10, managed=True)
        for position, name in enumerate(layout.roles, start=1):
            rid = s.ids.next()
            s.roles[rid] = s._role(rid, name, EVERYONE_DEFAULT, position)
        s.add_member(s.bot_user, [bot_role])
        for position, name in enumerate(layout.categories):
            s.new_channel(name, CATEGORY, position=position)
        for position, name in enumerate(layout.text_channels):
            s.new_channel(name, TEXT, position=position)
        return s

    def _role(self, rid: str, name: str, perms: int, position: int, managed: bool = False) -> dict[str, Any]:
        return {
            "id": rid,
            "name": name,
            "description": None,
            "permissions": str(perms),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def new_user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        uid = self.ids.next()
        user = {
            "id": uid,
            "username": name.lower().replace(" ", "_"),
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": bot,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        self.users[uid] = user
        return user

    def add_member(self, user: dict[str, Any], role_ids: list[str]) -> dict[str, Any]:
        member = {
            "user": user,
            "roles": list(role_ids),
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        self.members[user["id"]] = member
        return member

    def new_channel(
        self,
        name: str,
        kind: int,
        *,
        parent_id: str | None = None,
        position: int = 0,
        overwrites: list[dict[str, Any]] | None = None,
        topic: str | None = None,
    ) -> dict[str, Any]:
        cid = self.ids.next()
        channel: dict[str, Any] = {
            "id": cid,
            "type": kind,
            "name": name,
            "guild_id": self.guild["id"],
            "position": position,
            "permission_overwrites": overwrites or [],
            "parent_id": parent_id,
            "flags": 0,
            "nsfw": False,
        }
        if kind == TEXT:
            channel.update(topic=topic, last_message_id=None, rate_limit_per_user=0, last_pin_timestamp=None)
        self.channels[cid] = channel
        self.messages[cid] = []
        return channel

    # --- lookups ----------------------------------------------------------------------------------

    @property
    def guild_id(self) -> str:
        return str(self.guild["id"])

    def role_named(self, name: str) -> dict[str, Any]:
        return next(r for r in self.roles.values() if r["name"] == name)

    def channel_named(self, name: str) -> dict[str, Any]:
        return next(c for c in self.channels.values() if c.get("name") == name)

    def guild_channels(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c["type"] != DM]

    def children(self, category_id: str) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c.get("parent_id") == category_id]

    # --- permissions (Discord's algorithm) -------------------------------------------------------

    def base_permissions(self, user_id: str) -> int:
        member = self.members.get(user_id)
        if member is None:
            return 0
        if self.guild.get("owner_id") == user_id:
            return ALL_PERMISSIONS
        perms = int(self.roles[self.guild_id]["permissions"])
        for rid in member["roles"]:
            if rid in self.roles:
                perms |= int(self.roles[rid]["permissions"])
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_in(self, user_id: str, channel_id: str) -> int:
        perms = self.base_permissions(user_id)
        if perms & ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        channel = self.channels[channel_id]
        overwrites = {o["id"]: o for o in channel.get("permission_overwrites", [])}
        everyone = overwrites.get(self.guild_id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in self.members[user_id]["roles"]:
            if (o := overwrites.get(rid)) is not None:
                allow |= int(o["allow"])
                deny |= int(o["deny"])
        perms = (perms & ~deny) | allow
        if (o := overwrites.get(user_id)) is not None:
            perms = (perms & ~int(o["deny"])) | int(o["allow"])
        return perms

    def can_view(self, user_id: str, channel_id: str) -> bool:
        return bool(self.permissions_in(user_id, channel_id) & VIEW_CHANNEL)

    def viewers(self, channel_id: str) -> set[str]:
        """Every member who can see the channel."""
        return {uid for uid in self.members if self.can_view(uid, channel_id)}
