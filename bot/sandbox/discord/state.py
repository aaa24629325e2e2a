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

# Permission bits (Discord's values: https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 51) - 1

PERMISSION_NAMES = {
    CREATE_INSTANT_INVITE: "Create Invite",
    ADMINISTRATOR: "Administrator",
    MANAGE_CHANNELS: "Manage Channels",
    ADD_REACTIONS: "Add Reactions",
    VIEW_CHANNEL: "View Channels",
    SEND_MESSAGES: "Send Messages",
    MANAGE_MESSAGES: "Manage Messages",
    EMBED_LINKS: "Embed Links",
    ATTACH_FILES: "Attach Files",
    READ_MESSAGE_HISTORY: "Read Message History",
    MENTION_EVERYONE: "Mention Everyone",
    CHANGE_NICKNAME: "Change Nickname",
    MANAGE_ROLES: "Manage Roles",
    USE_APPLICATION_COMMANDS: "Use Application Commands",
    MANAGE_EVENTS: "Manage Events",
    CREATE_PUBLIC_THREADS: "Create Public Threads",
    CREATE_EVENTS: "Create Events",
}

# What @everyone may do on a freshly created community server (the text-relevant part of Discord's default).
EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
)
# Exactly what the README asks server owners to give the bot, and nothing more: the bot's managed role.
README_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MANAGE_CHANNELS
    | MANAGE_ROLES
    | MANAGE_EVENTS
    | CREATE_PUBLIC_THREADS
)


def permission_names(bits: int) -> list[str]:
    return [name for bit, name in PERMISSION_NAMES.items() if bits & bit] or [f"0x{bits:x}"]


TEXT, DM, CATEGORY, PUBLIC_THREAD = 0, 1, 4, 11
# A message's flag once a thread was started from it (resources/message#message-object-message-flags).
HAS_THREAD = 1 << 5
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
    # The bot's managed role, as invited with the README's permissions. Tests take some away to see
    # the bot say so; nothing gives it more (it is never the owner, never an administrator).
    bot_permissions: int = README_BOT_PERMISSIONS
    # The role the invite creates sits above the roles the bot manages (Discord's role hierarchy).
    bot_role_position: int = 10
    # Roles with "Allow anyone to @mention this role" on: the alerts role, as the README asks server owners
    # to set it, so that governance announcements ping it (the bot holds no Mention Everyone).
    mentionable_roles: tuple[str, ...] = ("governance-alerts",)


@dataclass
class SandboxState:
    ids: Snowflakes = field(default_factory=Snowflakes)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)  # public threads, by id (= their message's)
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    guild: dict[str, Any] = field(default_factory=dict)
    application: dict[str, Any] = field(default_factory=dict)
    bot_user: dict[str, Any] = field(default_factory=dict)
    owner: dict[str, Any] = field(default_factory=dict)
    closed_dms: set[str] = field(default_factory=set)  # members who turned off DMs from server members

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def build(cls, layout: GuildLayout) -> SandboxState:
        s = cls()
        guild_id = s.ids.next()
        s.bot_user = s.new_user("BountyBot", bot=True)
        app_id = s.ids.next()
        s.application = {"id": app_id, "name": "BountyBot", "flags": 0}
        # A person owns the server; the bot is a member like any other, with only its role's permissions.
        s.owner = s.new_user("Server Owner")
        s.guild = {"id": guild_id, "name": layout.name, "owner_id": s.owner["id"]}
        s.roles[guild_id] = s._role(guild_id, "@everyone", EVERYONE_DEFAULT, 0)
        bot_role = s.ids.next()
        s.roles[bot_role] = s._role(
            bot_role, "BountyBot", layout.bot_permissions, layout.bot_role_position, managed=True
        )
        s.roles[bot_role]["tags"] = {"bot_id": s.bot_user["id"]}
        for position, name in enumerate(layout.roles, start=1):
            rid = s.ids.next()
            s.roles[rid] = s._role(rid, name, 0, position)
            s.roles[rid]["mentionable"] = name in layout.mentionable_roles
        s.add_member(s.owner, [])
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

    @property
    def bot_id(self) -> str:
        return str(self.bot_user["id"])

    def bot_role(self) -> dict[str, Any]:
        return next(r for r in self.roles.values() if r.get("tags", {}).get("bot_id") == self.bot_id)

    def role_named(self, name: str) -> dict[str, Any]:
        return next(r for r in self.roles.values() if r["name"] == name)

    def highest_role(self, user_id: str) -> dict[str, Any]:
        """The member's highest role: the greatest position, ties going to the older (lower) id, as Discord
        and discord.py order roles; @everyone (position 0) when they hold none."""
        held = [self.roles[r] for r in self.members[user_id]["roles"] if r in self.roles]
        return max([self.roles[self.guild_id], *held], key=lambda r: (int(r["position"]), -int(r["id"])))

    def is_above(self, role: dict[str, Any], other: dict[str, Any]) -> bool:
        """Whether `role` sits higher than `other` in the server's role list."""
        return (int(role["position"]), -int(role["id"])) > (int(other["position"]), -int(other["id"]))

    def channel_named(self, name: str) -> dict[str, Any]:
        return next(c for c in self.channels.values() if c.get("name") == name)

    def dm_channel(self, user_id: str) -> dict[str, Any]:
        """The DM channel between the bot and `user_id`, opened on first use (as POST /users/@me/channels)."""
        for channel in self.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == user_id:
                return channel
        cid = self.ids.next()
        channel = {"id": cid, "type": DM, "flags": 0, "recipients": [self.users[user_id]], "last_message_id": None}
        self.channels[cid] = channel
        self.messages[cid] = []
        return channel

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

    def is_admin(self, user_id: str) -> bool:
        return self.base_permissions(user_id) == ALL_PERMISSIONS

    def permissions_in(self, user_id: str, channel_id: str) -> int:
        perms = self.base_permissions(user_id)
        if perms & ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        channel = self.channels[channel_id]
        if channel["type"] == DM:
            return perms
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
        if not perms & VIEW_CHANNEL:
            # Discord: a member who cannot see a channel has no permission in it at all.
            return 0
        return perms

    def overwrite_for(self, channel_id: str, target_id: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id) or {}
        return next((o for o in channel.get("permission_overwrites", []) if o["id"] == target_id), None)

    def can_view(self, user_id: str, channel_id: str) -> bool:
        return bool(self.permissions_in(user_id, channel_id) & VIEW_CHANNEL)

    def viewers(self, channel_id: str) -> set[str]:
        """Every member who can see the channel."""
        return {uid for uid in self.members if self.can_view(uid, channel_id)}
