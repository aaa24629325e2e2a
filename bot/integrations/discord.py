"""The one place that knows discord.py's REST side: channels, permission overwrites, messages, events.

It knows nothing of bounties: it is asked for "a private channel with this marker, visible to these
people" and answers with ids. Discord's refusals become :class:`DiscordRejected` (retrying cannot help);
outages and rate limits become :class:`DiscordUnavailable` (retry later).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord

from bot.domain.alerts import AlertsRoleFacts
from bot.domain.notices import COLORS, Notice, clip, clip_lines
from bot.domain.permissions import LABELS, Place, PlaceKind

log = logging.getLogger(__name__)

CATEGORY_LIMIT = 50  # Discord allows 50 channels in one category
EMBED_TOTAL = 6000  # characters across one embed's title, description, fields, footer and author


def member_access() -> discord.PermissionOverwrite:
    """What a person on a bounty may do in its private channel."""
    return discord.PermissionOverwrite(
        view_channel=True, send_messages=True, read_message_history=True, attach_files=True, embed_links=True
    )


def bot_access() -> discord.PermissionOverwrite:
    """What the bot gives itself in a channel hidden from @everyone: only what it must, and only what it has.

    Discord refuses an overwrite granting Manage Roles ("Manage Permissions") to anyone but an administrator
    or a holder of such an overwrite in that channel (API changelog, 2021-01-22), and any overwrite allowing
    a permission the bot does not hold itself. Editing the channel's overwrites later needs no overwrite: the
    bot's Manage Roles and Manage Channels come from its role and are never denied here.
    """
    return discord.PermissionOverwrite(
        view_channel=True, send_messages=True, read_message_history=True, embed_links=True, attach_files=True
    )


class DiscordUnavailable(Exception):
    """Discord could not be reached or asked us to wait; trying again later may work."""


class DiscordRejected(Exception):
    """Discord refused the request itself; trying again will not help."""


class DmClosed(DiscordRejected):
    """The member does not take DMs from this server's members (Discord 50007): their choice, not a fault."""


# "Cannot send messages to this user" (topics/opcodes-and-status-codes, JSON error codes).
CANNOT_MESSAGE_USER = 50007


@contextmanager
def _translate() -> Iterator[None]:
    try:
        yield
    except discord.Forbidden as exc:
        if exc.code == CANNOT_MESSAGE_USER:
            raise DmClosed(f"missing permission: {exc.text or exc}") from exc
        raise DiscordRejected(f"missing permission: {exc.text or exc}") from exc
    except discord.NotFound as exc:
        raise DiscordRejected(f"not found: {exc.text or exc}") from exc
    except discord.HTTPException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise DiscordUnavailable(f"Discord answered {exc.status}") from exc
        raise DiscordRejected(f"Discord refused the request ({exc.status}): {exc.text}") from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DiscordUnavailable(f"Discord unreachable: {exc}") from exc


def _held(permissions: discord.Permissions) -> frozenset[str]:
    return frozenset(name for name in LABELS if getattr(permissions, name))


@dataclass(frozen=True)
class PrivateChannelSpec:
    name: str
    topic: str
    marker: str  # a unique string kept in the topic, to find the channel again after a lost response
    category: str  # base name of the category; overflow categories are "<name> 2", "<name> 3", …
    member_ids: tuple[int, ...]
    role_names: tuple[str, ...]


def render(notice: Notice) -> tuple[str | None, discord.Embed, discord.AllowedMentions]:
    """A notice as message content (pings only), an embed, and the mentions allowed to ping."""
    # Discord's embed limits (title 256, description 4,096, 25 fields of 256/1,024, footer 2,048, and 6,000
    # characters in all): text is cut between lines, so a mention or a link is shown whole or not at all,
    # and fields that no longer fit are counted in the footer rather than refused by Discord.
    title = clip(notice.title, 256)
    footer = clip(notice.footer, 1900)
    budget = EMBED_TOTAL - len(title) - len(footer) - 40  # room for "(n more fields not shown)"
    description = clip_lines(notice.description, min(4096, budget))
    budget -= len(description)
    embed = discord.Embed(title=title, description=description or None, colour=COLORS.get(notice.tone, COLORS["info"]))
    fields = notice.fields[:25]
    for shown, f in enumerate(fields):
        name, value = clip(f.name, 256), clip_lines(f.value, 1024) or "—"
        if len(name) + len(value) > budget:
            footer = f"{footer} ({len(fields) - shown} more fields not shown)".strip()
            break
        budget -= len(name) + len(value)
        embed.add_field(name=name, value=value, inline=f.inline)
    if footer:
        embed.set_footer(text=footer)
    pings = " ".join(f"<@{uid}>" for uid in notice.ping_user_ids)
    allowed = discord.AllowedMentions(
        everyone=False,
        roles=False,
        replied_user=False,
        users=[discord.Object(uid) for uid in notice.ping_user_ids],
    )
    return pings or None, embed, allowed


_BUTTON_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def buttons_view(notice: Notice) -> discord.ui.View:
    """The notice's buttons, to send with it (at most 5, one row).

    Presses are answered by the dynamic items registered for these custom ids, which outlive the process.
    The view is stopped before sending: discord.py keeps a live view in its store for as long as the process
    runs, one per message, for buttons it would never answer itself."""
    view = discord.ui.View(timeout=None)
    for button in notice.buttons[:5]:
        view.add_item(
            discord.ui.Button(
                label=clip(button.label, 80),
                custom_id=button.custom_id,
                style=_BUTTON_STYLES.get(button.style, discord.ButtonStyle.secondary),
            )
        )
    view.stop()
    return view


class DiscordAdapter:
    def __init__(self, client: discord.Client, guild_id: int) -> None:
        self.client = client
        self.guild_id = guild_id

    @property
    def guild(self) -> discord.Guild:
        guild = self.client.get_guild(self.guild_id)
        if guild is None:
            raise DiscordUnavailable(f"the guild {self.guild_id} is not available yet")
        return guild

    # --- lookups by configured name or id --------------------------------------------------------

    def text_channel(self, name_or_id: str) -> discord.TextChannel | None:
        guild = self.guild
        found = (
            guild.get_channel(int(name_or_id))
            if name_or_id.isdigit()
            else discord.utils.get(guild.text_channels, name=name_or_id)
        )
        return found if isinstance(found, discord.TextChannel) else None

    def category(self, name_or_id: str) -> discord.CategoryChannel | None:
        guild = self.guild
        if name_or_id.isdigit():
            found = guild.get_channel(int(name_or_id))
            return found if isinstance(found, discord.CategoryChannel) else None
        return discord.utils.get(guild.categories, name=name_or_id)

    def role(self, name_or_id: str) -> discord.Role | None:
        guild = self.guild
        return (
            guild.get_role(int(name_or_id)) if name_or_id.isdigit() else discord.utils.get(guild.roles, name=name_or_id)
        )

    def missing(self, channels: dict[str, str], categories: dict[str, str], roles: dict[str, str]) -> list[str]:
        """Each configured channel, category or role that the guild does not have, named by its key."""
        problems = []
        for key, value in channels.items():
            if self.text_channel(value) is None:
                problems.append(f"[discord] {key}: no text channel {value!r} in {self.guild.name}")
        for key, value in categories.items():
            if self.category(value) is None:
                problems.append(f"[discord] {key}: no category {value!r} in {self.guild.name}")
        for key, value in roles.items():
            if self.role(value) is None:
                problems.append(f"[discord] {key}: no role {value!r} in {self.guild.name}")
        return problems

    def own_permissions(self, channels: dict[str, str], categories: dict[str, str]) -> list[Place]:
        """What the bot itself holds in the server and in each configured channel and category that exists.

        discord.py computes it as Discord does (roles, then @everyone, role and member overwrites); places
        that do not exist are reported by :meth:`missing` instead.
        """
        guild = self.guild
        me = guild.me
        places = [Place("guild_id", guild.name, PlaceKind.SERVER, _held(me.guild_permissions))]
        for key, value in channels.items():
            if (channel := self.text_channel(value)) is not None:
                places.append(Place(key, f"#{channel.name}", PlaceKind.CHANNEL, _held(channel.permissions_for(me))))
        for key, value in categories.items():
            if (category := self.category(value)) is not None:
                places.append(
                    Place(key, f"the {category.name} category", PlaceKind.CATEGORY, _held(category.permissions_for(me)))
                )
        return places

    def alerts_role_facts(self, role_ref: str, governance_channel: str) -> AlertsRoleFacts:
        """The alerts role and what the bot may do with it, from the cache the gateway keeps current."""
        guild = self.guild
        me = guild.me
        role = self.role(role_ref)
        channel = self.text_channel(governance_channel)
        perms = channel.permissions_for(me) if channel is not None else me.guild_permissions
        return AlertsRoleFacts(
            configured=role_ref,
            role_name=role.name if role is not None else None,
            managed=role is not None and (role.managed or role.is_default()),
            bot_manages_roles=me.guild_permissions.manage_roles,
            bot_above=role is not None and role < me.top_role,
            bot_top_role=me.top_role.name,
            mentionable=role is not None and role.mentionable,
            bot_mentions_all=perms.mention_everyone,
            governance_channel=f"#{channel.name}" if channel is not None else governance_channel,
        )

    async def set_member_role(self, user_id: int, role_id: int, on: bool, reason: str) -> None:
        """Give a member a role, or take it away (Add / Remove Guild Member Role); both are idempotent."""
        http = self.client.http
        with _translate():
            if on:
                await http.add_role(self.guild_id, user_id, role_id, reason=reason)
            else:
                await http.remove_role(self.guild_id, user_id, role_id, reason=reason)

    async def is_member(self, user_id: int) -> bool:
        """Whether `user_id` is still in the server (asked of Discord: the bot has no members intent)."""
        try:
            with _translate():
                await self.guild.fetch_member(user_id)
        except DiscordRejected as exc:
            if isinstance(exc.__cause__, discord.NotFound):
                return False
            raise
        return True

    # --- private channels ------------------------------------------------------------------------

    def find_marked_channel(self, marker: str) -> discord.TextChannel | None:
        return next((c for c in self.guild.text_channels if c.topic and marker in c.topic), None)

    async def _category_with_room(self, base: str, full: set[int]) -> discord.CategoryChannel:
        guild = self.guild
        numbered = [c for c in guild.categories if c.name == base or c.name.startswith(base + " ")]
        for category in sorted(numbered, key=lambda c: c.position):
            if len(category.channels) < CATEGORY_LIMIT and category.id not in full:
                return category
        name = base if not numbered else f"{base} {len(numbered) + 1}"
        overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: bot_access(),
        }
        with _translate():
            return await guild.create_category(name, overwrites=overwrites, reason="Bounty channels overflow")

    async def ensure_private_channel(self, spec: PrivateChannelSpec) -> int:
        """Create the channel, or find the one a previous attempt created; returns its id."""
        if (existing := self.find_marked_channel(spec.marker)) is not None:
            return existing.id
        guild = self.guild
        overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: bot_access(),
        }
        for name in spec.role_names:
            role = self.role(name)
            if role is None:
                raise DiscordRejected(f"role {name!r} does not exist")
            overwrites[role] = member_access()
        for uid in spec.member_ids:
            overwrites[discord.Object(uid, type=discord.Member)] = member_access()
        full: set[int] = set()
        for _ in range(3):
            category = await self._category_with_room(spec.category, full)
            try:
                with _translate():
                    channel = await guild.create_text_channel(
                        spec.name,
                        category=category,
                        overwrites=overwrites,
                        topic=spec.topic,
                        reason=spec.marker,
                    )
                return channel.id
            except DiscordRejected as exc:
                # Our view of the category was stale (channels made while we were away): try the next one.
                if "Maximum number of channels in category" not in str(exc):
                    raise
                full.add(category.id)
        raise DiscordUnavailable("every bounties category was full; will try again")

    async def set_member_access(self, channel_id: int, user_id: int, allow: bool) -> None:
        """Give one person the channel (an overwrite for them), or take it away (delete their overwrite)."""
        channel = self.guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DiscordRejected(f"channel {channel_id} no longer exists")
        # The person may not be in the member cache (no members intent), so address the overwrite by id.
        http = self.client.http
        with _translate():
            if allow:
                allow_bits, deny_bits = member_access().pair()
                # Sent as integers, the type Discord's OpenAPI description gives these fields.
                allow_value: Any = allow_bits.value
                deny_value: Any = deny_bits.value
                await http.edit_channel_permissions(channel_id, user_id, allow_value, deny_value, 1)
            else:
                await http.delete_channel_permissions(channel_id, user_id)

    # --- messages and events ---------------------------------------------------------------------

    async def post(self, channel_id: int, notice: Notice) -> int:
        channel = self.guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DiscordRejected(f"channel {channel_id} no longer exists")
        content, embed, allowed = render(notice)
        with _translate():
            if notice.buttons:
                view = buttons_view(notice)
                message = await channel.send(content=content, embed=embed, allowed_mentions=allowed, view=view)
            else:
                message = await channel.send(content=content, embed=embed, allowed_mentions=allowed)
        return message.id

    async def announce(self, channel_id: int, notice: Notice, role_id: int | None) -> int:
        """Post `notice` pinging the role `role_id` (if any) and nobody else: allowed_mentions names that role
        alone, so no @everyone, other role or user in the text ever pings."""
        channel = self.guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DiscordRejected(f"channel {channel_id} no longer exists")
        content, embed, allowed = render(notice)
        if role_id is not None:
            content = " ".join(part for part in (f"<@&{role_id}>", content) if part)
            allowed = discord.AllowedMentions(
                everyone=False,
                users=[discord.Object(uid) for uid in notice.ping_user_ids],
                roles=[discord.Object(role_id)],
                replied_user=False,
            )
        with _translate():
            message = await channel.send(content=content, embed=embed, allowed_mentions=allowed)
        return message.id

    async def dm_carries(self, user_id: int, marker: str, *, look_back: int = 20) -> bool:
        """Whether one of the bot's last messages in its DM with `user_id` has `marker` in an embed footer: a DM
        whose answer was lost is found there instead of being sent twice."""
        with _translate():
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            me = self.client.user
            async for message in channel.history(limit=look_back):
                if me is not None and message.author.id != me.id:
                    continue
                if any(marker in (embed.footer.text or "") for embed in message.embeds):
                    return True
        return False

    async def start_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """A public thread on a message (Discord: POST /channels/{id}/messages/{id}/threads); its id is the
        message's. A thread the message already has (a retry after a lost answer) counts as made."""
        try:
            data = await self.client.http.start_thread_with_message(
                channel_id, message_id, name=name[:100], auto_archive_duration=10080
            )
        except discord.HTTPException as exc:
            if exc.code == 160004:  # "A thread has already been created for this message"
                return message_id
            with _translate():
                raise
        return int(data["id"])

    async def dm(self, user_id: int, notice: Notice) -> int:
        content, embed, allowed = render(notice)
        with _translate():
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            message = await user.send(content=content, embed=embed, allowed_mentions=allowed)
        return message.id

    async def ensure_external_event(
        self, *, name: str, description: str, start: int, minutes: int, location: str, marker: str
    ) -> int:
        guild = self.guild
        for event in guild.scheduled_events:
            if event.description and marker in event.description:
                return event.id
        start_at = datetime.fromtimestamp(start, UTC)
        end_at = datetime.fromtimestamp(start + minutes * 60, UTC)
        with _translate():
            event = await guild.create_scheduled_event(
                name=name[:100],
                description=f"{description}\n\n{marker}"[:1000],
                start_time=start_at,
                end_time=end_at,
                entity_type=discord.EntityType.external,
                location=location[:100],
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        return event.id
