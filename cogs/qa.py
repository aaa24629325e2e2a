"""The QA checklist in `/checklist checklist:QA`: each item's latest result, a menu of the items this person may
record, and the form that records one (result, note, and a bug opened in the same step when it failed).

The form uses a modal's radio groups inside labels (discord.py 2.7: `discord.ui.RadioGroup` in a
`discord.ui.Label`; Discord's description: `RadioGroupComponentForModalRequest`, 2–10 options, in a
`LabelComponentForModalRequest`), so the three results and the severities are one click each.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.bugs import Severity
from bot.domain.errors import InvalidInput
from bot.domain.inert import for_discord
from bot.domain.notices import COLORS, clip_lines, exchange_name, ts
from bot.domain.qa import NOTE_MAX, QaItem, QaRecord, QaResult
from bot.domain.qa_notices import checklist_lines
from bot.services.qa import QaView, Recorded
from bot.tree import actor_for, component_origin_ok, report_error
from cogs.components import NUMBER
from cogs.retry import RetryView, modal_id

if TYPE_CHECKING:
    from bot.app import BountyBot

NO_BUG = "none"
SEVERITY_CHOICES = (
    (Severity.CRITICAL, "Critical bug (24 h)"),
    (Severity.MAJOR, "Major bug (48 h)"),
    (Severity.MINOR, "Minor bug (next release)"),
)


def qa_embed(view: QaView) -> discord.Embed:
    progress = view.progress
    embed = discord.Embed(
        title=f"QA checklist · bounty #{view.bounty.id} {exchange_name(view.bounty)}",
        description=clip_lines("\n".join(checklist_lines(progress)), 4000),
        colour=COLORS["ok"] if progress.complete else COLORS["alert"] if progress.failing else COLORS["info"],
    )
    hint = "Pick an item in the menu below to record its result." if view.recordable else "View only."
    embed.set_footer(text=f"{progress.summary} · governance needs every item passing · {hint}")
    return embed


class RecordSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"qa:(?P<bounty>{NUMBER})",
):
    """The items this person may record; picking one opens the form. Dynamic, so it outlives restarts."""

    def __init__(self, bounty_id: int, *, view: QaView | None = None, select: Any = None) -> None:
        if select is None:
            assert view is not None
            select = discord.ui.Select(
                custom_id=f"qa:{bounty_id}",
                placeholder="Record the result of…",
                options=[
                    discord.SelectOption(
                        label=item.label[:100],
                        value=item.key,
                        description=f"Now: {view.progress.result(item).label}",
                    )
                    for item in view.recordable
                ],
            )
        super().__init__(select)
        self.bounty_id = bounty_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RecordSelect:
        return cls(int(match["bounty"]), select=item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await component_origin_ok(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        try:
            # Who may record this item is checked before the form opens (and again when it is submitted).
            item, latest = await bot.services.qa.prepare(actor_for(interaction), self.bounty_id, self.item.values[0])
        except Exception as exc:  # noqa: BLE001 - dynamic items have no error hook; report like any other
            await report_error(interaction, exc)
            return
        await interaction.response.send_modal(QaModal(self.bounty_id, item, interaction, latest=latest))


def record_view(view: QaView) -> discord.ui.View:
    return discord.ui.View(timeout=None).add_item(RecordSelect(view.bounty.id, view=view))


class QaModal(discord.ui.Modal):
    def __init__(
        self,
        bounty_id: int,
        item: QaItem,
        opened_by: discord.Interaction[Any],
        *,
        latest: QaRecord | None = None,
        typed: dict[str, str] | None = None,
    ) -> None:
        # The item's number, not its key, keeps the id within Discord's 100 characters with the opener's ids.
        super().__init__(
            title="Record a QA result",
            custom_id=modal_id(f"qa:record:{bounty_id}:{item.index}", opened_by),
            timeout=1800,
        )
        self.bounty_id = bounty_id
        self.item = item
        t = typed or {}
        chosen = t.get("result") or (latest.result.value if latest else "")
        self.result: discord.ui.RadioGroup[Any] = discord.ui.RadioGroup(
            custom_id="result",
            options=[
                discord.RadioGroupOption(label=r.label.capitalize(), value=r.value, default=r.value == chosen)
                for r in QaResult
            ],
        )
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="note",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=NOTE_MAX,
            default=t.get("note") or None,
            placeholder="https://github.com/…/actions/runs/… or what was checked",
        )
        bug = t.get("bug") or NO_BUG
        self.bug: discord.ui.RadioGroup[Any] = discord.ui.RadioGroup(
            custom_id="bug",
            required=False,
            options=[
                discord.RadioGroupOption(label="No bug", value=NO_BUG, default=bug == NO_BUG),
                *(
                    discord.RadioGroupOption(label=label, value=s.value, default=bug == s.value)
                    for s, label in SEVERITY_CHOICES
                ),
            ],
        )
        self.add_item(discord.ui.Label(text="Result", description=item.label[:100], component=self.result))
        self.add_item(
            discord.ui.Label(
                text="Note: the evidence",
                description="A link to the log or run, or what was checked (needed for pass and fail)",
                component=self.note,
            )
        )
        self.add_item(
            discord.ui.Label(
                text="If it failed: open a bug",
                description="Titled from the item, with your note as its description",
                component=self.bug,
            )
        )

    def answers(self) -> dict[str, str]:
        return {"result": self.result.value or "", "note": self.note.value, "bug": self.bug.value or NO_BUG}

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: BountyBot = interaction.client
        typed = self.answers()
        # Acknowledged first: the recording is a transaction, and a bug opened with it is a second one.
        await interaction.response.defer(ephemeral=True, thinking=True)
        severity = None if typed["bug"] == NO_BUG else Severity(typed["bug"])
        try:
            done = await bot.services.qa.record(
                actor_for(interaction), self.bounty_id, self.item.key, typed["result"], typed["note"], severity
            )
        except InvalidInput as exc:
            bounty_id, item = self.bounty_id, self.item
            await interaction.followup.send(
                f"The QA result needs fixing:\n{exc.message}",
                ephemeral=True,
                view=RetryView(interaction.user.id, lambda again: QaModal(bounty_id, item, again, typed=typed)),
            )
            return
        await interaction.followup.send(recorded_text(done), ephemeral=True)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]  # discord.py types Modal.on_error like a View's
        await report_error(interaction, error)


def recorded_text(done: Recorded) -> str:
    """What the recorder is told: what was recorded, where QA stands, and the bug if one was opened."""
    record = done.record
    note = f"\nNote: {for_discord(record.note, 600)}" if record.note else ""
    text = (
        f"Recorded **{record.result.label}** for **{done.item.label}** on bounty #{done.bounty.id}{note}\n"
        f"QA: {done.progress.summary}. The bounty channel is told, and the public issue gets a comment."
    )
    if done.bug is not None:
        bug = done.bug
        due = f", due {ts(bug.due_at)}" if bug.due_at else ""
        text += f"\nBug #{bug.id} ({bug.severity.label}) is open{due}; its GitHub issue follows."
    elif done.bug_problem:
        text += f"\nNo bug was opened: {done.bug_problem} You can open it with `/bug report`."
    return text
