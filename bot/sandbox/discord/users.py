"""People in the sandbox guild, driving the bot the way a Discord client would.

A :class:`SandboxUser` runs slash commands (with the options the bot registered), fills in modals (the
client's own checks on required fields and lengths apply), and clicks buttons. What comes back is a
:class:`Reply`, a message as that user sees it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.discord.server import EPHEMERAL, DiscordSandbox, Interaction
from bot.sandbox.discord.state import DM, EVERYONE_DEFAULT, TEXT

_OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "user": 6, "channel": 7, "role": 8, "number": 10}


class ClientRefused(AssertionError):
    """The Discord client itself would not let the user do this (unknown command, missing option…)."""


@dataclass
class Reply:
    """A message as its reader sees it."""

    message: dict[str, Any]

    @property
    def content(self) -> str:
        return str(self.message.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.message.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.message.get("flags") or 0) & EPHEMERAL)

    @property
    def text(self) -> str:
        """Everything readable: content, then each embed's title, description, fields and footer."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        out = []
        for row in self.message.get("components") or []:
            for c in row.get("components", []):
                if c.get("type") == 2:
                    out.append(c)
        return out

    @property
    def selects(self) -> list[dict[str, Any]]:
        return [c for row in self.message.get("components") or [] for c in row.get("components", []) if c["type"] == 3]

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.message.get("attachments") or [])

    def __contains__(self, needle: str) -> bool:
        return needle in self.text


@dataclass
class Outcome:
    """The bot's answer to one interaction."""

    interaction: Interaction
    sandbox: DiscordSandbox

    @property
    def latency(self) -> float | None:
        ix = self.interaction
        return None if ix.callback_at is None else ix.callback_at - ix.sent_at

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.interaction.modal

    @property
    def reply(self) -> Reply:
        ix = self.interaction
        if ix.original is None:
            raise AssertionError(f"no visible reply; callback was {ix.callback}")
        return Reply(ix.original)

    @property
    def followups(self) -> list[Reply]:
        return [Reply(m) for m in self.interaction.followups]

    @property
    def deferred(self) -> bool:
        ix = self.interaction
        return ix.original is not None and bool(ix.original["flags"] & 128)


class SandboxUser:
    def __init__(self, sandbox: DiscordSandbox, user: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.user = user

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def name(self) -> str:
        return str(self.user["global_name"])

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def __repr__(self) -> str:
        return f"<SandboxUser {self.name}>"

    # --- what this person can see ---------------------------------------------------------------

    def can_view(self, channel_id: int | str) -> bool:
        return self.sandbox.state.can_view(str(self.id), str(channel_id))

    def dms(self) -> list[Reply]:
        for channel in self.sandbox.state.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(self.id):
                return [Reply(m) for m in self.sandbox.state.messages[channel["id"]]]
        return []

    # --- acting ---------------------------------------------------------------------------------

    def dm(self) -> int:
        """The id of this person's DM channel with the bot (to run a command or press a button from a DM)."""
        return int(self.sandbox.state.dm_channel(str(self.id))["id"])

    async def run(
        self,
        command: str,
        *,
        channel: str | int,
        origin: str = "guild",
        wait: float = 5.0,
        guild_id: str | None = None,
        **options: Any,
    ) -> Outcome:
        """Run a slash command like ``"bounty status"`` in `channel` (a name or an id); `origin` as for
        :meth:`interact`, or `guild_id` to send it from that channel as if it belonged to another server."""
        s = self.sandbox.state
        channel_id = str(channel) if str(channel).isdigit() else s.channel_named(str(channel))["id"]
        words = command.split()
        registered = s.commands.get(words[0])
        if registered is None:
            raise ClientRefused(f"/{words[0]} is not a registered command (known: {sorted(s.commands)})")
        spec_options = registered.get("options", [])
        nested: list[dict[str, Any]] = []
        data: dict[str, Any] = {"id": registered["id"], "name": words[0], "type": 1}
        if s.channels[channel_id]["type"] != DM:
            data["guild_id"] = guild_id or s.guild_id
        container = data
        resolved: dict[str, Any] = {}
        for word in words[1:]:
            sub = next((o for o in spec_options if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                raise ClientRefused(f"/{command}: `{word}` is not a subcommand")
            entry: dict[str, Any] = {"name": word, "type": sub["type"], "options": []}
            container.setdefault("options", []).append(entry)
            container = entry
            spec_options = sub.get("options", [])
            nested.append(entry)
        given = dict(options)
        for opt in spec_options:
            if opt["name"] not in given:
                if opt.get("required"):
                    raise ClientRefused(f"/{command}: the required option `{opt['name']}` is missing")
                continue
            value = given.pop(opt["name"])
            if opt["type"] == 6:
                target = value if isinstance(value, SandboxUser) else None
                uid = str(target.id if target else value)
                resolved.setdefault("users", {})[uid] = s.users[uid]
                if uid in s.members:
                    resolved.setdefault("members", {})[uid] = {
                        k: v for k, v in s.members[uid].items() if k != "user"
                    } | {"permissions": "0"}
                value = uid
            elif opt["type"] == 4:
                value = int(value)
            choices = opt.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise ClientRefused(f"/{command}: `{value}` is not one of the choices for `{opt['name']}`")
            container.setdefault("options", []).append({"name": opt["name"], "type": opt["type"], "value": value})
        if given:
            raise ClientRefused(f"/{command}: unknown option(s) {sorted(given)}")
        data.setdefault("options", [])
        if resolved:
            data["resolved"] = resolved
        if guild_id is not None:
            interaction = await self.sandbox.send_interaction(2, str(self.id), channel_id, data, guild_id=guild_id)
            return await self._settle(interaction, wait)
        return await self.interact(2, data, channel=channel_id, origin=origin, wait=wait)

    async def interact(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        channel: str | int = "general",
        origin: str = "guild",
        message: dict[str, Any] | None = None,
        wait: float = 5.0,
    ) -> Outcome:
        """Send an interaction of `kind` carrying `data` exactly as given, as a stale or modified client could
        (a custom id no message offers, say), from `origin`: ``"guild"`` (`channel` of the sandbox guild),
        ``"other-guild"`` (a channel of a server that is not the bot's configured one; the command data still
        names the sandbox guild's command) or ``"dm"`` (a direct message with the bot, which a person can still
        use after leaving the server)."""
        s = self.sandbox.state
        if origin == "guild":
            channel_id = str(channel) if str(channel).isdigit() else s.channel_named(str(channel))["id"]
            interaction = await self.sandbox.send_interaction(kind, str(self.id), channel_id, data, message=message)
            return await self._settle(interaction, wait)
        iid = s.ids.next()
        payload: dict[str, Any] = {
            "id": iid,
            "application_id": s.application["id"],
            "type": kind,
            "token": f"itoken-{iid}",
            "version": 1,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10485760,
        }
        if origin == "other-guild":
            guild_id = s.ids.next()
            channel_data: dict[str, Any] = {
                "id": s.ids.next(),
                "type": TEXT,
                "name": "general",
                "guild_id": guild_id,
                "position": 0,
                "permission_overwrites": [],
                "parent_id": None,
                "flags": 0,
                "nsfw": False,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "last_pin_timestamp": None,
            }
            member = s.members[str(self.id)]  # the same person, also a member of that other server
            payload.update(
                context=0,
                authorizing_integration_owners={"0": guild_id},
                app_permissions=str(EVERYONE_DEFAULT),
                guild_id=guild_id,
                guild_locale="en-US",
                guild={"id": guild_id, "locale": "en-US", "features": []},
                # Their membership of that other server: none of the sandbox guild's roles exist there.
                member={**member, "roles": [], "permissions": str(EVERYONE_DEFAULT)},
            )
        elif origin == "dm":
            channel_data = next(
                (c for c in s.channels.values() if c["type"] == DM and c["recipients"][0]["id"] == str(self.id)),
                {},
            )
            if not channel_data:
                channel_data = {
                    "id": s.ids.next(),
                    "type": DM,
                    "flags": 0,
                    "recipients": [self.user],
                    "last_message_id": None,
                }
                s.channels[channel_data["id"]] = channel_data
                s.messages[channel_data["id"]] = []
            payload.update(
                context=1, authorizing_integration_owners={"0": s.guild_id}, app_permissions="0", user=self.user
            )
        else:
            raise ValueError(f"unknown origin {origin!r}: guild, other-guild or dm")
        payload.update(channel_id=channel_data["id"], channel=dict(channel_data))
        if message is not None:
            payload["message"] = self.sandbox.public(message)
        interaction = Interaction(iid, payload["token"], kind, payload, str(self.id), channel_data["id"])
        self.sandbox.interactions[interaction.token] = interaction
        interaction.sent_at = time.perf_counter()
        await self.sandbox.dispatch("INTERACTION_CREATE", payload)
        return await self._settle(interaction, wait)

    async def submit(self, outcome: Outcome, values: dict[str, Any], *, wait: float = 5.0) -> Outcome:
        """Fill in the modal `outcome` opened, by each field's custom_id, and submit it."""
        modal = outcome.modal
        if modal is None:
            raise ClientRefused("that interaction did not open a modal")
        submitted = []
        for component in modal["components"]:
            if component["type"] == 18:
                inner = component["component"]
                submitted.append({"type": 18, "component": self._fill(inner, values, component.get("label", ""))})
            elif component["type"] == 1:
                submitted.append(
                    {
                        "type": 1,
                        "components": [self._fill(c, values, c.get("label", "")) for c in component["components"]],
                    }
                )
        data = {"custom_id": modal["custom_id"], "components": submitted}
        interaction = await self.sandbox.send_interaction(5, str(self.id), outcome.interaction.channel_id, data)
        return await self._settle(interaction, wait)

    def _fill(self, component: dict[str, Any], values: dict[str, Any], label: str) -> dict[str, Any]:
        cid = component["custom_id"]
        if component["type"] == 4:
            value = str(values.get(cid, component.get("value") or ""))
            if component.get("required", True) and not value:
                raise ClientRefused(f"the client will not submit: `{label or cid}` is required")
            if len(value) > component.get("max_length", 4000):
                raise ClientRefused(f"the client will not submit: `{label or cid}` is longer than its maximum")
            if value and len(value) < component.get("min_length", 0):
                raise ClientRefused(f"the client will not submit: `{label or cid}` is shorter than its minimum")
            return {"type": 4, "custom_id": cid, "value": value}
        if component["type"] == 3:
            chosen = list(values.get(cid, []))
            valid = {o["value"] for o in component.get("options", [])}
            if any(v not in valid for v in chosen):
                raise ClientRefused(f"the client only offers {sorted(valid)} for `{label or cid}`")
            if len(chosen) < component.get("min_values", 1) or len(chosen) > component.get("max_values", 1):
                raise ClientRefused(f"the client will not submit `{label or cid}` with {len(chosen)} choice(s)")
            return {"type": 3, "custom_id": cid, "values": chosen, "component_type": 3}
        if component["type"] == 21:
            # A radio group: one option or none. The client starts on the default option; a required group
            # cannot be submitted empty. Its submission is `{type: 21, custom_id, value}` (value null if none).
            options = component.get("options", [])
            preset = next((o["value"] for o in options if o.get("default")), None)
            picked = values.get(cid, preset)
            if picked is not None and picked not in {o["value"] for o in options}:
                raise ClientRefused(f"the client only offers {[o['value'] for o in options]} for `{label or cid}`")
            if picked is None and component.get("required", True):
                raise ClientRefused(f"the client will not submit: `{label or cid}` is required")
            return {"type": 21, "custom_id": cid, "value": picked}
        raise ClientRefused(f"unsupported modal component type {component['type']}")

    async def click(self, reply: Reply, label_or_id: str, *, wait: float = 5.0) -> Outcome:
        """Click the button whose label or custom_id is `label_or_id` on `reply`."""
        button = next(
            (b for b in reply.buttons if b.get("label") == label_or_id or b.get("custom_id") == label_or_id), None
        )
        if button is None:
            raise ClientRefused(f"no button {label_or_id!r}; buttons: {[b.get('label') for b in reply.buttons]}")
        if button.get("disabled"):
            raise ClientRefused(f"the button {label_or_id!r} is disabled")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        interaction = await self.sandbox.send_interaction(
            3, str(self.id), reply.message["channel_id"], data, message=reply.message
        )
        return await self._settle(interaction, wait)

    async def choose(self, reply: Reply, custom_id: str, values: list[str], *, wait: float = 5.0) -> Outcome:
        """Pick `values` in the string select `custom_id` on `reply` (the client enforces options and counts)."""
        select = next((c for c in reply.selects if c["custom_id"] == custom_id), None)
        if select is None:
            raise ClientRefused(f"no select {custom_id!r}; selects: {[c['custom_id'] for c in reply.selects]}")
        valid = {o["value"] for o in select.get("options", [])}
        if any(v not in valid for v in values):
            raise ClientRefused(f"the select only offers {sorted(valid)}")
        if not select.get("min_values", 1) <= len(values) <= select.get("max_values", 1):
            raise ClientRefused(f"the select will not take {len(values)} choice(s)")
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        interaction = await self.sandbox.send_interaction(
            3, str(self.id), reply.message["channel_id"], data, message=reply.message
        )
        return await self._settle(interaction, wait)

    async def press(
        self,
        custom_id: str,
        *,
        channel: str | int,
        values: list[str] | None = None,
        message: dict[str, Any] | None = None,
        guild_id: str | None = None,
        wait: float = 5.0,
    ) -> Outcome:
        """Send a component interaction with any custom id, as a modified client can: a forged or stale button
        (or, with `values`, a select menu), from any channel, DM or other server."""
        s = self.sandbox.state
        channel_id = str(channel) if str(channel).isdigit() else s.channel_named(str(channel))["id"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            data["values"] = values
        interaction = await self.sandbox.send_interaction(
            3, str(self.id), channel_id, data, message=message, guild_id=guild_id
        )
        return await self._settle(interaction, wait)

    async def _settle(self, interaction: Interaction, wait: float) -> Outcome:
        """Wait for the callback; after a deferral, wait for the deferred reply too."""
        deadline = time.monotonic() + wait
        while True:
            if interaction.late:
                raise AssertionError(
                    f"the bot answered interaction {interaction.id} after Discord's 3-second deadline: "
                    'the user saw "The application did not respond"'
                )
            done = interaction.callback is not None and not (
                interaction.original is not None and interaction.original["flags"] & 128
            )
            if done:
                return Outcome(interaction, self.sandbox)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interaction.callback is None:
                    raise AssertionError(f"the bot did not answer interaction {interaction.id} within {wait}s")
                return Outcome(interaction, self.sandbox)
            interaction.changed.clear()
            try:
                await asyncio.wait_for(interaction.changed.wait(), remaining)
            except TimeoutError:
                continue


def add_user(sandbox: DiscordSandbox, name: str, *, roles: tuple[str, ...] = ()) -> SandboxUser:
    """A new member of the sandbox guild holding the named roles."""
    state = sandbox.state
    user = state.new_user(name)
    state.add_member(user, [state.role_named(r)["id"] for r in roles])
    return SandboxUser(sandbox, user)
