"""`/update post|pause|resume|settings`: the developer's weekly update in a modal, and when they are prompted
for it. Also the buttons of the weekly rhythm: the prompt's **Post my update** (the same form) and staff's
**Reassign**. Parse, check, call the service, reply."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import InvalidInput
from bot.domain.notices import ts
from bot.domain.updates import FIELD_MAX
from bot.domain.weekly import REASON_MAX, TIMEZONE_MAX, WEEKDAYS
from bot.store.updates import Opening
from bot.tree import actor_for, component_origin_ok, report_error
from cogs.components import NUMBER
from cogs.retry import RetryView, modal_id

if TYPE_CHECKING:
    from bot.app import BountyBot

NONE = discord.AllowedMentions.none()
DAY_CHOICES = [app_commands.Choice(name=day.capitalize(), value=day) for day in WEEKDAYS]


class UpdateModal(discord.ui.Modal):
    def __init__(
        self,
        bounty_id: int,
        exchange: str,
        opened_by: discord.Interaction[Any],
        previous: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            title=f"Weekly update · {exchange}"[:45],
            custom_id=modal_id(f"update:{bounty_id}", opened_by),
            timeout=1800,
        )
        self.bounty_id = bounty_id
        self.exchange = exchange
        p = previous or {}
        paragraph = discord.TextStyle.paragraph
        self.done: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="done",
            label="Done this week",
            style=paragraph,
            max_length=FIELD_MAX,
            default=p.get("done") or None,
        )
        self.next: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="next", label="Next", style=paragraph, max_length=FIELD_MAX, default=p.get("next") or None
        )
        self.blockers: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="blockers",
            label="Blockers (optional)",
            style=paragraph,
            max_length=FIELD_MAX,
            required=False,
            default=p.get("blockers") or None,
            placeholder="Waiting on the exchange? Say what for.",
        )
        self.percent: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="percent",
            label="Percent complete (0–100)",
            max_length=4,
            default=p.get("percent") or None,
            placeholder=p.get("last_percent") or "e.g. 40",
        )
        for item in (self.done, self.next, self.blockers, self.percent):
            self.add_item(item)

    def answers(self) -> dict[str, str]:
        return {
            "done": self.done.value,
            "next": self.next.value,
            "blockers": self.blockers.value,
            "percent": self.percent.value,
        }

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        typed = self.answers()
        # Acknowledge first: the post commits a transaction (state, audit, timers, outbox) that must not eat
        # into Discord's 3-second deadline when many people submit at once.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            bounty, update = await bot.services.updates.post(
                actor_for(interaction),
                self.bounty_id,
                typed["done"],
                typed["next"],
                typed["blockers"],
                typed["percent"],
            )
        except InvalidInput as exc:
            bounty_id, exchange = self.bounty_id, self.exchange
            await interaction.followup.send(
                f"The update needs fixing:\n{exc.message}",
                ephemeral=True,
                view=RetryView(interaction.user.id, lambda again: UpdateModal(bounty_id, exchange, again, typed)),
            )
            return
        await interaction.followup.send(
            f"Update posted for bounty #{bounty.id} ({update.percent}% complete). The exchange sees it in the "
            "bounty channel, and it is mirrored on the public GitHub issue.",
            ephemeral=True,
        )

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]  # discord.py types Modal.on_error like a View's
        await report_error(interaction, error)


def update_form(found: Opening, interaction: discord.Interaction[Any]) -> UpdateModal:
    """The weekly update form for a bounty, prefilled with last week's percent as a hint."""
    last = found.last_percent
    previous = {"last_percent": f"last week: {last}%"} if last is not None else None
    return UpdateModal(found.bounty_id, found.exchange, interaction, previous)


class PromptButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"update:prompt:(?P<bounty>{NUMBER})",
):
    """**Post my update** under a weekly prompt, reminder or follow-up: opens the `/update post` form, for the
    bounty's developer or staff (anyone else is told why not). Dynamic, so it outlives restarts."""

    def __init__(self, bounty_id: int, *, button: Any = None) -> None:
        super().__init__(button or discord.ui.Button(custom_id=f"update:prompt:{bounty_id}", label="Post my update"))
        self.bounty_id = bounty_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PromptButton:
        return cls(int(match["bounty"]), button=item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await component_origin_ok(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        try:
            found = await bot.services.updates.check(actor_for(interaction), self.bounty_id, None)
        except Exception as exc:  # noqa: BLE001 - dynamic items have no error hook; report like any other
            await report_error(interaction, exc)
            return
        await interaction.response.send_modal(update_form(found, interaction))


class ReassignButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"bounty:reassign:(?P<bounty>{NUMBER}):(?P<assigned>{NUMBER})",
):
    """**Reassign** under staff's "no activity for 7 days" alert (staff only): unassigns that developer.
    The message then says who did it, and loses its button."""

    def __init__(self, bounty_id: int, assigned_at: int, *, button: Any = None) -> None:
        super().__init__(
            button or discord.ui.Button(custom_id=f"bounty:reassign:{bounty_id}:{assigned_at}", label="Reassign")
        )
        self.bounty_id = bounty_id
        self.assigned_at = assigned_at

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReassignButton:
        return cls(int(match["bounty"]), int(match["assigned"]), button=item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await component_origin_ok(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        try:
            done = await bot.services.developers.reassign_inactive(
                actor_for(interaction), self.bounty_id, self.assigned_at
            )
        except Exception as exc:  # noqa: BLE001 - dynamic items have no error hook; report like any other
            await report_error(interaction, exc)
            return
        message = interaction.message
        embed = message.embeds[0] if message is not None and message.embeds else discord.Embed()
        embed.add_field(
            name="Reassigned",
            value=f"by {interaction.user.mention} {ts(bot.clock.now())}: <@{done.user_id}> is unassigned and bounty "
            f"#{done.bounty.id} is `open`. Next: `/bounty assign`.",
            inline=False,
        )
        await interaction.response.edit_message(embed=embed, view=None, allowed_mentions=NONE)


class UpdateCog(commands.GroupCog, group_name="update", group_description="Weekly updates from the developer"):
    """`/update …`. Discord cannot run a command that has subcommands, so even posting is `/update post`."""

    def __init__(self, bot: BountyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="post",
        description="Post your weekly update: done, next, blockers, percent complete (developer)",
    )
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def post(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        # Check first, so that someone who may not post learns it before typing a whole update.
        found = await self.bot.services.updates.check(actor_for(interaction), bounty, interaction.channel_id)
        await interaction.response.send_modal(update_form(found, interaction))

    @app_commands.command(
        name="pause",
        description="Pause the weekly prompts until a date: vacation, or waiting on the exchange (developer)",
    )
    @app_commands.describe(
        until="The day prompts resume, YYYY-MM-DD (at most 60 days ahead)",
        reason="Why: shown in the bounty channel",
        bounty="Bounty number (defaults to this channel's bounty)",
    )
    async def pause(
        self,
        interaction: discord.Interaction[Any],
        until: app_commands.Range[str, 1, 20],
        reason: app_commands.Range[str, 1, REASON_MAX],
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        done = await self.bot.services.updates.pause(
            actor_for(interaction), bounty, interaction.channel_id, until, reason
        )
        what = "The pause now lasts" if done.moved else "Weekly prompts are paused"
        await interaction.response.send_message(
            f"{what} until {done.until} ({ts(done.until_at, 'F')}) for bounty #{done.bounty.id}. The channel is "
            "told, and told again when they resume; `/update resume` ends the pause early.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="resume", description="End a pause of the weekly prompts now (developer)")
    @app_commands.describe(bounty="Bounty number (defaults to this channel's bounty)")
    async def resume(
        self, interaction: discord.Interaction[Any], bounty: app_commands.Range[int, 1] | None = None
    ) -> None:
        found, first = await self.bot.services.updates.resume(actor_for(interaction), bounty, interaction.channel_id)
        await interaction.response.send_message(
            f"Weekly prompts for bounty #{found.id} resume: the next comes {ts(first, 'F')} ({ts(first)}).",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(
        name="settings",
        description="When the weekly prompt comes: day, hour and your time zone (developer)",
    )
    @app_commands.describe(
        day="The day of the week",
        hour="The hour, 0–23, in your time zone (15 is 3 pm)",
        timezone="Your IANA time zone, like Europe/Paris, America/New_York or Pacific/Auckland",
        bounty="Bounty number (defaults to this channel's bounty)",
    )
    @app_commands.choices(day=DAY_CHOICES)
    async def settings(
        self,
        interaction: discord.Interaction[Any],
        day: app_commands.Choice[str] | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        timezone: app_commands.Range[str, 1, TIMEZONE_MAX] | None = None,
        bounty: app_commands.Range[int, 1] | None = None,
    ) -> None:
        now = await self.bot.services.updates.settings(
            actor_for(interaction), bounty, interaction.channel_id, day.value if day else None, hour, timezone
        )
        head = "are now" if now.changed else "come"
        nxt = f" The next comes {ts(now.next_prompt, 'F')} ({ts(now.next_prompt)})." if now.next_prompt else ""
        paused = " They are paused at the moment: the pause's end starts them again." if now.paused else ""
        await interaction.response.send_message(
            f"Weekly prompts for bounty #{now.bounty.id} {head} {now.rhythm.describe()}.{nxt}{paused}",
            ephemeral=True,
            allowed_mentions=NONE,
        )


async def setup(bot: BountyBot) -> None:
    bot.add_dynamic_items(PromptButton, ReassignButton)
    await bot.add_cog(UpdateCog(bot))
