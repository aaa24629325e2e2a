"""Discord's rules, applied to the bot as Discord applies them.

The OpenAPI description says what a request may look like; it does not say what the bot may do, or the
limits Discord enforces server-side. This module does, each rule with where it is documented:

- the bot's own permissions, per route and channel, overwrites included (topics/permissions);
- which overwrites the bot may set: only permissions it has itself, and ``MANAGE_ROLES`` only as an
  administrator or with a ``MANAGE_ROLES`` overwrite of its own in that channel (API changelog 2021-01-22,
  resources/channel "Edit Channel Permissions");
- message, embed, component, modal, channel and scheduled-event limits (resources/message "Embed Limits",
  components/reference, resources/channel, resources/guild-scheduled-event);
- interaction deadlines: the initial response within 3 s, once; follow-ups for 15 minutes
  (interactions/receiving-and-responding).

A refusal is a :class:`DiscordError` carrying Discord's own status and JSON error code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from bot.sandbox.discord.state import (
    ADMINISTRATOR,
    CATEGORY,
    MANAGE_ROLES,
    TEXT,
    SandboxState,
    permission_names,
)


class DiscordError(Exception):
    """A refusal in Discord's own terms. `bot_fault` marks one that only a bug in the bot can cause (as
    opposed to the world changing under it: a full category, a member who closed their DMs)."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        bot_fault: bool = True,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.bot_fault = bot_fault


# --- permissions ----------------------------------------------------------------------------------------


def missing_permissions(state: SandboxState, need: int, channel_id: str | None = None) -> DiscordError:
    return DiscordError(
        403,
        50013,
        f"Missing Permissions ({', '.join(permission_names(need))}"
        + (f" in <#{channel_id}>" if channel_id else " in the server")
        + ")",
    )


def require(state: SandboxState, need: int, channel_id: str | None = None) -> None:
    """Refuse (403, 50013) unless the bot holds every bit of `need`, in the guild or in `channel_id`."""
    bot = state.bot_id
    have = state.permissions_in(bot, channel_id) if channel_id else state.base_permissions(bot)
    if have & need != need:
        raise missing_permissions(state, need & ~have, channel_id)


def check_overwrites(
    state: SandboxState,
    overwrites: list[dict[str, Any]],
    *,
    channel_id: str | None,
    parent_id: str | None,
    where: str | None = "permission_overwrites",
) -> None:
    """The overwrites the bot asks for on a channel (new: `channel_id` None) are ones Discord lets it set.

    Every overwrite is first checked for what Discord checks of anyone, administrators included: a
    snowflake id, a type of 0 (role) or 1 (member), numeric allow/deny, and, for a role, a role of this
    guild. A member overwrite may name any user: Discord accepts overwrites "with any user id, regardless
    of presence in the guild" (discord/discord-api-docs#2856, answered by Discord staff). `where` is the
    body field holding the list (None: the body is the one overwrite, as for Edit Channel Permissions).

    Then the bot's own rights (resources/channel, Create Guild Channel / Edit Channel Permissions): "only
    permissions your bot has in the guild or parent channel (if applicable) can be allowed/denied (unless
    your bot has a MANAGE_ROLES overwrite in the channel)", and, since 2021-01-22, "setting MANAGE_ROLES
    permission in channel overwrites is only possible for guild administrators or users with MANAGE_ROLES
    as a permission overwrite in the channel".
    """
    for i, overwrite in enumerate(overwrites):
        _check_overwrite_shape(state, overwrite, f"{where}.{i}." if where else "")
    bot = state.bot_id
    if state.is_admin(bot):
        return
    own_manage_roles = channel_id is not None and _has_manage_roles_overwrite(state, channel_id)
    if own_manage_roles:
        return
    have = state.permissions_in(bot, parent_id) if parent_id else state.base_permissions(bot)
    for overwrite in overwrites:
        bits = int(overwrite.get("allow") or 0) | int(overwrite.get("deny") or 0)
        if bits & MANAGE_ROLES:
            raise DiscordError(
                403,
                50013,
                "Missing Permissions (only administrators, or holders of a Manage Roles overwrite in the channel, "
                "may set Manage Roles / Manage Permissions in channel overwrites)",
            )
        if bits & ~have:
            raise missing_permissions(state, bits & ~have, parent_id)


def _check_overwrite_shape(state: SandboxState, overwrite: dict[str, Any], prefix: str) -> None:
    """One overwrite as Discord validates it before looking at who asks: id, type, allow/deny, target."""
    target = overwrite.get("id")
    if target is None:
        raise form_error(f"{prefix}id", "This field is required", "BASE_TYPE_REQUIRED")
    if not str(target).isdigit():
        raise form_error(f"{prefix}id", f'Value "{target}" is not snowflake.', "NUMBER_TYPE_COERCE")
    for key in ("allow", "deny"):
        value = overwrite.get(key)
        if value is not None and not str(value).isdigit():
            raise form_error(f"{prefix}{key}", f'Value "{value}" is not int.', "NUMBER_TYPE_COERCE")
    kind = overwrite.get("type")
    if str(kind) not in ("0", "1"):
        raise form_error(f"{prefix}type", "Overwrite type must be 0 (role) or 1 (member).", "BASE_TYPE_CHOICES")
    if str(kind) == "0" and str(target) not in state.roles:
        raise DiscordError(404, 10011, "Unknown Role")


def _has_manage_roles_overwrite(state: SandboxState, channel_id: str) -> bool:
    """An allow of MANAGE_ROLES for the bot itself or one of its roles, in this channel."""
    bot = state.bot_id
    targets = {bot, *state.members[bot]["roles"]}
    channel = state.channels[channel_id]
    return any(o["id"] in targets and int(o["allow"]) & MANAGE_ROLES for o in channel.get("permission_overwrites", []))


def check_role_grant(state: SandboxState, user_id: str, role_id: str) -> None:
    """The bot gives a member a role, or takes it away (Add / Remove Guild Member Role).

    resources/guild, "Add Guild Member Role": "Requires the MANAGE_ROLES permission". topics/permissions,
    "Permission Hierarchy": "A bot can grant roles to other users that are of a lower position than its own
    highest role" (discord/discord-api-docs, docs/topics/Permissions.md; Administrator does not lift it, only
    the server's owner stands outside the hierarchy). Discord answers a role at or above the bot's highest
    with 403, 50013 Missing Permissions, as it does a missing Manage Roles; a managed role (a bot's or an
    integration's own) cannot be given or taken by anyone. Unknown role 10011 and unknown member 10007 come
    first, as Discord looks its objects up before checking rights.
    """
    role = state.roles.get(role_id)
    if role is None or role_id == state.guild_id:
        raise DiscordError(404, 10011, "Unknown Role")
    if user_id not in state.members:
        # The world changed under the bot (the member left), not a bug in it.
        raise DiscordError(404, 10007, "Unknown Member", bot_fault=False)
    bot = state.bot_id
    if state.guild.get("owner_id") == bot:
        return
    require(state, MANAGE_ROLES)
    top = state.highest_role(bot)
    if not state.is_above(top, role):
        raise DiscordError(
            403,
            50013,
            f"Missing Permissions (the role {role['name']!r} is not below the bot's highest role {top['name']!r})",
        )
    if role.get("managed"):
        raise DiscordError(403, 50013, f"Missing Permissions (the role {role['name']!r} is managed by an integration)")


def is_administrator(state: SandboxState) -> bool:
    return bool(state.base_permissions(state.bot_id) & ADMINISTRATOR)


# --- limits -----------------------------------------------------------------------------------------------


def form_error(where: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> DiscordError:
    """Discord's 50035 Invalid Form Body, with the nested `errors` object it sends."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(where.split(".")):
        errors = {part: errors}
    return DiscordError(400, 50035, f"Invalid Form Body ({where}: {message})", errors)


def _max(where: str, value: Any, limit: int) -> None:
    if value is not None and len(str(value)) > limit:
        raise form_error(where, f"Must be {limit} or fewer in length.")


# resources/message#embed-object-embed-limits
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT = 2000


def check_message(body: dict[str, Any], *, files: int = 0, partial: bool = False) -> None:
    """A message Discord would accept: content, embeds and components within their limits."""
    content = body.get("content")
    _max("content", content, CONTENT)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_PER_MESSAGE:
        raise form_error("embeds", f"Must be {EMBEDS_PER_MESSAGE} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        where = f"embeds.{i}"
        _max(f"{where}.title", embed.get("title"), 256)
        _max(f"{where}.description", embed.get("description"), 4096)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise form_error(f"{where}.fields", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            _max(f"{where}.fields.{j}.name", f.get("name"), 256)
            _max(f"{where}.fields.{j}.value", f.get("value"), 1024)
            if not str(f.get("name") or "").strip() or not str(f.get("value") or "").strip():
                raise form_error(f"{where}.fields.{j}", "This field is required", "BASE_TYPE_REQUIRED")
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        _max(f"{where}.footer.text", footer, 2048)
        _max(f"{where}.author.name", author, 256)
        total += sum(
            len(str(x or ""))
            for x in [embed.get("title"), embed.get("description"), footer, author]
            + [f.get("name") for f in fields]
            + [f.get("value") for f in fields]
        )
    if total > EMBED_TOTAL:
        raise form_error("embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL}", "MAX_EMBED_SIZE_EXCEEDED")
    check_components(body.get("components") or [])
    if not partial and not (
        content or embeds or body.get("components") or files or body.get("sticker_ids") or body.get("poll")
    ):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def check_components(rows: list[dict[str, Any]]) -> None:
    """components/reference: at most 5 action rows; a row holds 5 buttons or one select; ids ≤ 100, unique."""
    if len(rows) > 5:
        raise form_error("components", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            continue  # other top-level layouts are validated by the description's schema
        inner = row.get("components") or []
        if not 1 <= len(inner) <= 5:
            raise form_error(f"components.{i}.components", "Must be between 1 and 5 in length.")
        if any(c.get("type") in (3, 5, 6, 7, 8) for c in inner) and len(inner) > 1:
            raise form_error(
                f"components.{i}", "A select menu must be alone in its action row.", "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
            )
        for j, c in enumerate(inner):
            where = f"components.{i}.components.{j}"
            cid = c.get("custom_id")
            if cid is not None:
                _max(f"{where}.custom_id", cid, 100)
                if cid in seen:
                    raise form_error(
                        f"{where}.custom_id",
                        "Component custom id cannot be duplicated",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                    )
                seen.add(cid)
            _max(f"{where}.label", c.get("label"), 80)
            _max(f"{where}.placeholder", c.get("placeholder"), 150)
            options = c.get("options") or []
            if len(options) > 25:
                raise form_error(f"{where}.options", "Must be 25 or fewer in length.")
            for k, o in enumerate(options):
                _max(f"{where}.options.{k}.label", o.get("label"), 100)
                _max(f"{where}.options.{k}.value", o.get("value"), 100)
                _max(f"{where}.options.{k}.description", o.get("description"), 100)


def check_modal(data: dict[str, Any]) -> None:
    """interactions/receiving-and-responding#modal: title ≤ 45, custom id ≤ 100, 1–5 top-level components."""
    _max("data.title", data.get("title"), 45)
    _max("data.custom_id", data.get("custom_id"), 100)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise form_error("data.components", "Must be between 1 and 5 in length.")
    for i, top in enumerate(components):
        where = f"data.components.{i}"
        if top.get("type") == 18:  # a Label wrapping one component
            _max(f"{where}.label", top.get("label"), 45)
            _max(f"{where}.description", top.get("description"), 100)
            inner = [top.get("component") or {}]
        else:
            inner = top.get("components") or []
        for c in inner:
            _max(f"{where}.custom_id", c.get("custom_id"), 100)
            _max(f"{where}.label", c.get("label"), 45)
            _max(f"{where}.placeholder", c.get("placeholder"), 100)
            _max(f"{where}.value", c.get("value"), 4000)


# --- channels -----------------------------------------------------------------------------------------------


def normalise_channel_name(name: str, kind: int) -> str:
    """What Discord stores for a text channel name: lower case, spaces and runs of separators as one dash.

    Categories keep their name as typed. Discord's exact rules are not documented; this is what its client
    and API do to the common cases (case, spaces, repeated or edge dashes).
    """
    if kind != TEXT:
        return name
    text = unicodedata.normalize("NFKC", name).lower()
    text = re.sub(r"[\s]+", "-", text)
    text = re.sub(r"[^\w\-]", "", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text


def check_channel(body: dict[str, Any], kind: int) -> str:
    """resources/channel: name 1–100, topic ≤ 1024; returns the name as Discord stores it."""
    name = str(body.get("name") or "")
    _max("name", name, 100)
    stored = normalise_channel_name(name, kind)
    if not 1 <= len(stored) <= 100:
        raise form_error("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
    _max("topic", body.get("topic"), 1024)
    if kind not in (TEXT, CATEGORY):
        raise form_error("type", "The sandbox only has text channels and categories.", "BASE_TYPE_CHOICES")
    return stored


# --- scheduled events ----------------------------------------------------------------------------------------


def check_scheduled_event(body: dict[str, Any], now: float) -> None:
    """resources/guild-scheduled-event: starts in the future; an external event has an end and a location."""
    _max("name", body.get("name"), 100)
    _max("description", body.get("description"), 1000)
    start = _timestamp(body.get("scheduled_start_time"), "scheduled_start_time")
    if start <= now:
        raise form_error(
            "scheduled_start_time", "Cannot schedule event in the past.", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
        )
    if int(body.get("entity_type") or 0) == 3:
        end = body.get("scheduled_end_time")
        if end is None:
            raise form_error("scheduled_end_time", "External events require an end time.", "BASE_TYPE_REQUIRED")
        if _timestamp(end, "scheduled_end_time") <= start:
            raise form_error(
                "scheduled_end_time",
                "The end time must be after the start time.",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            )
        location = ((body.get("entity_metadata") or {}).get("location") or "").strip()
        if not location:
            raise form_error("entity_metadata.location", "External events require a location.", "BASE_TYPE_REQUIRED")
        _max("entity_metadata.location", location, 100)


def _timestamp(value: Any, where: str) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise form_error(where, "Could not parse the time.", "DATE_TIME_TYPE_PARSE") from exc


# --- interactions ---------------------------------------------------------------------------------------------

INITIAL_RESPONSE_SECONDS = 3.0
TOKEN_SECONDS = 15 * 60
