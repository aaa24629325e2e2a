"""Running one abuse case through the sandbox, and checking what came of it.

Each case is a person doing something through Discord (a command with one hostile option, a form with one
hostile field, a component with a forged custom id, a command from the wrong place) and is checked for:

- an answer within Discord's 3 seconds (the sandbox refuses a late one), and a final answer after a deferral;
- no unexpected-error apology, and no error logged;
- nothing changed in the database when the answer is a refusal, and a refusal where one is owed (a hostile
  URL in a link field, a malformed hash, a command from another server, a forged custom id…);
- no ping: no message the bot sent resolves @everyone/@here, the bystander's user mention or a role it never
  pings; and no live masked link or heading from the input in a public message;
- nothing the bot sent refused by Discord, no outbox item given up.

A case that changed the database is drained (its messages delivered and checked) and the world is put back.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.discord.users import ClientRefused, Outcome, Reply, SandboxUser
from tests.abuse.corpus import SUCCESS_MARKERS, Command, Context, Entry, context_for
from tests.abuse.report import Tally
from tests.abuse.world import MODAL_DEFAULTS, World

APOLOGY = "something went wrong"
CONTROL = Entry(-1, "control", "", "valid values, to show the context lets the input through")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MASKED_LINK = re.compile(r"(?<!\\)\[[^\[\]\n]*\]\(\s*<?https?://evil\.test", re.I)
_HEADING = re.compile(r"^(#{1,3}|-#) \S")


@dataclass
class Trail:
    """The interactions one case sent, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome


Act = Callable[[Trail], Awaitable[None]]


@dataclass(frozen=True)
class Form:
    """A modal a command opens, with its fields as the bot declared them."""

    command: str
    step: int
    fields: tuple[dict[str, Any], ...]  # text inputs (type 4), as in the modal payload
    selects: tuple[str, ...]


def texts(message: dict[str, Any], *, rendered: bool = False) -> list[str]:
    """The readable parts of a message; `rendered`: only those where Discord renders markdown."""
    parts = [str(message.get("content") or "")]
    for embed in message.get("embeds") or []:
        parts.append(str(embed.get("description") or ""))
        parts += [str(f.get("value") or "") for f in embed.get("fields") or []]
        if not rendered:
            parts += [str(embed.get("title") or ""), str((embed.get("footer") or {}).get("text") or "")]
            parts += [str(f.get("name") or "") for f in embed.get("fields") or []]
    return parts


def pings(message: dict[str, Any], *, victim: str | None, role: str, guild: str) -> list[str]:
    """Whom `message` actually pings (as Discord resolved it) that it never should."""
    found = []
    if message.get("mention_everyone"):
        found.append("@everyone/@here")
    roles = {str(r) for r in message.get("mention_roles") or []}
    if role in roles:
        found.append("the bounty-contributor role")
    if guild in roles:
        found.append("the @everyone role")
    if victim is not None and any(str(u["id"]) == victim for u in message.get("mentions") or []):
        found.append("a bystander (Victor)")
    return found


def live_markdown(message: dict[str, Any], headings: list[str]) -> list[str]:
    """Markdown from the input that Discord would render in `message`: a masked link to the corpus's evil
    host (outside code), or one of the input's heading lines standing as a line of its own."""
    rendered = _CODE.sub("", "\n".join(texts(message, rendered=True)))
    found = []
    if _MASKED_LINK.search(rendered):
        found.append("a masked link to evil.test")
    for line in rendered.splitlines():
        if line.strip() in headings:
            found.append(f"the heading {line.strip()[:40]!r}")
    return found


class Runner:
    def __init__(
        self, world: World, tally: Tally, errors: list[logging.LogRecord], *, schema_checks: bool = True
    ) -> None:
        self.world = world
        self.schema_checks = schema_checks
        self.tally = tally
        self.errors = errors
        self.sandbox = world.sandbox
        self._seen = {cid: len(ms) for cid, ms in self.sandbox.state.messages.items()}
        self._forms: dict[str, list[Form]] = {}

    # --- people and places ------------------------------------------------------------------------------

    def person(self, name: str) -> SandboxUser:
        return self.world.people[name]

    def where(self, ctx: Context) -> int | str:
        return self.world.channels[ctx.bounty] if ctx.bounty is not None else ctx.channel

    def options(self, command: Command, ctx: Context, variant: dict[str, Any]) -> dict[str, Any]:
        """Valid values for the command's options: the context's, else a plain one for each required option."""
        given = {**ctx.options, **variant}
        out: dict[str, Any] = {}
        for p in command.params:
            if p.name in given:
                value = given[p.name]
            elif not p.required:
                continue
            elif p.choices:
                value = p.choices[0]
            elif p.kind == "integer":
                value = 1
            elif p.kind == "user":
                value = "victim"
            else:
                value = "A plain sentence"
            out[p.name] = self.user_value(value) if p.kind == "user" else value
        return out

    def user_value(self, name: str) -> SandboxUser | str:
        return str(self.sandbox.state.bot_id) if name == "bot" else self.person(name)

    # --- forms --------------------------------------------------------------------------------------------

    async def control(self, command: Command, ctx: Context, variant: dict[str, Any], *, needed: bool) -> Trail:
        """The command with valid values, as an ordinary case. `needed`: something is fed to this command, so
        the context must let valid values through (else the hostile ones would only ever meet that refusal)."""
        trail = Trail()
        options = self.options(command, ctx, variant)
        label = ", ".join(f"{k}={v}" for k, v in variant.items())

        async def act(trail: Trail) -> None:
            trail.add(await self.person(ctx.actor).run(command.name, channel=self.where(ctx), **options))

        accepted = await self.case(
            command=f"/{command.name}",
            field_=f"control {label}".strip(),
            entry=CONTROL,
            act=act,
            must_refuse=False,
            trail=trail,
        )
        if needed and not accepted:
            self.tally.fail("suite: control refused", f"/{command.name}", label, "control", "", self.last_text(trail))
        return trail

    async def forms(self, command: Command, control: Trail) -> list[Form]:
        """The modals the command opens with valid options (seen in its control): its own, and the one its
        accepted reply leads to."""
        if command.name in self._forms:
            return self._forms[command.name]
        ctx = context_for(command.name)
        found: list[Form] = []
        opened = control.outcomes[-1] if control.outcomes else None
        if opened is not None and opened.modal is not None:
            found.append(self._form(command.name, 1, opened.modal))
            if ctx.then_click:
                second = await self.open_form(command, ctx, 2)
                assert second is not None and second.modal is not None, f"/{command.name}: no second form"
                assert not self.world.changed_tables(), f"/{command.name}: opening the second form changed data"
                found.append(self._form(command.name, 2, second.modal))
        self._forms[command.name] = found
        return found

    @staticmethod
    def _form(command: str, step: int, modal: dict[str, Any]) -> Form:
        fields: list[dict[str, Any]] = []
        selects: list[str] = []
        for row in modal["components"]:
            for c in [row["component"]] if row["type"] == 18 else row["components"]:
                if c["type"] == 4:
                    fields.append(c)
                elif c["type"] == 3:
                    selects.append(c["custom_id"])
        return Form(command, step, tuple(fields), tuple(selects))

    async def open_form(self, command: Command, ctx: Context, step: int, trail: Trail | None = None) -> Outcome | None:
        """Open step 1 (run the command) or step 2 (click `then_click` on the world's saved reply)."""
        trail = Trail() if trail is None else trail
        who = self.person(ctx.actor)
        if step == 1:
            return trail.add(await who.run(command.name, channel=self.where(ctx), **self.options(command, ctx, {})))
        saved = self.world.replies[command.name]
        assert ctx.then_click is not None
        return trail.add(await who.click(saved, ctx.then_click))

    @staticmethod
    def client_sends(component: dict[str, Any], value: str) -> bool:
        """The Discord client's own checks on a text input (the sandbox applies the same)."""
        if not value:
            return not component.get("required", True)
        return component.get("min_length", 0) <= len(value) <= component.get("max_length", 4000)

    def form_values(self, form: Form, changed: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for c in form.fields:
            values[c["custom_id"]] = MODAL_DEFAULTS.get(c["custom_id"], "A plain sentence")
        for cid in form.selects:
            values[cid] = MODAL_DEFAULTS.get(cid, [])
        return values | changed

    # --- one case -----------------------------------------------------------------------------------------

    async def case(
        self,
        *,
        command: str,
        field_: str,
        entry: Entry,
        act: Act,
        must_refuse: bool,
        named_victim: bool = False,
        forged: bool = False,
        trail: Trail | None = None,
    ) -> bool | None:
        """Run `act` (which sends the case's interactions) and check everything the module docstring lists.
        Returns whether the bot took the input (None: it did not answer)."""
        tally = self.tally
        tally.cases += 1
        if entry.index >= 0:
            tally.inputs.add(entry.index)
        trail = Trail() if trail is None else trail
        errors_before, violations_before = len(self.errors), len(self.sandbox.violations)

        def fail(cause: str, detail: str) -> None:
            tally.fail(cause, command, field_, entry.category, entry.label(), detail)

        validator = self.sandbox.validator
        if not self.schema_checks and entry.index >= 0:
            self.sandbox.validator = None
        try:
            try:
                await act(trail)
            except ClientRefused as exc:
                fail("suite: could not reach the field", str(exc))
            except AssertionError as exc:  # the sandbox's verdict on the answer's timing
                text = str(exc)
                fail("answered after the 3 s deadline" if "deadline" in text else "no answer within 3 s", text)
            tally.interactions += len(trail.outcomes)
            accepted = self.judge(trail, fail, forged=forged)
            if accepted is True:
                tally.accepted += 1
                if must_refuse:
                    fail("accepted (must be refused)", self.last_text(trail))
            elif accepted is False:
                tally.refused += 1
            await self.after(trail, entry, fail, refused=accepted is False, named_victim=named_victim)
        finally:
            self.sandbox.validator = validator
        self.check_logs(errors_before, violations_before, fail)
        return accepted

    def judge(self, trail: Trail, fail: Callable[[str, str], None], *, forged: bool) -> bool | None:
        """Whether the bot took the input (True), refused it (False), or did not answer (None)."""
        if not trail.outcomes:
            return None
        for outcome in trail.outcomes:
            for reply in self.replies(outcome):
                if APOLOGY in reply.text.lower():
                    fail("apology", reply.text)
        final = trail.outcomes[-1]
        ix = final.interaction
        if ix.callback is None:
            return None
        if final.deferred:
            fail("no answer after deferring", "the user was left with 'BountyBot is thinking…'")
            return None
        if final.modal is not None:
            accepted = True
        else:
            answer = Reply(ix.original) if ix.original is not None else None
            text = "\n".join(r.text for r in self.replies(final))
            accepted = bool(
                ix.callback["type"] in (6, 7)  # the message the component was on was changed
                or any(r.embeds for r in self.replies(final))
                or any(marker in text for marker in SUCCESS_MARKERS)
            )
            if forged and (
                answer is None or not answer.ephemeral or len(answer.text) > 300 or ix.callback["type"] not in (4, 5)
            ):
                fail("not a short ephemeral answer", f"callback type {ix.callback['type']}: {text[:200]!r}")
        return accepted

    @staticmethod
    def replies(outcome: Outcome) -> list[Reply]:
        ix = outcome.interaction
        found = [Reply(ix.original)] if ix.original is not None else []
        return found + [Reply(m) for m in ix.followups if ix.original is None or m["id"] != ix.original["id"]]

    def last_text(self, trail: Trail) -> str:
        if not trail.outcomes:
            return ""
        final = trail.outcomes[-1]
        if final.modal is not None:
            return f"opened the form {final.modal.get('title')!r}"
        return " | ".join(r.text for r in self.replies(final))[:300] or f"callback {final.interaction.callback}"

    async def after(
        self, trail: Trail, entry: Entry, fail: Callable[[str, str], None], *, refused: bool, named_victim: bool
    ) -> None:
        """Database, delivered messages, pings, and putting the world back."""
        changed = self.world.changed_tables()
        if changed and refused:
            fail("changed on refusal", f"tables {', '.join(changed)}; the reply: {self.last_text(trail)}")
        if changed:
            await self.world.bot.outbox.drain()
            for key, error in self.world.reader.execute(
                "SELECT key, last_error FROM outbox WHERE status = 'dead'"
            ).fetchall():
                fail("outbox gave up", f"{key}: {error}")
        self.check_messages(trail, entry, fail, named_victim=named_victim)
        if changed:
            await self.world.restore()

    def check_messages(
        self, trail: Trail, entry: Entry, fail: Callable[[str, str], None], *, named_victim: bool
    ) -> None:
        state = self.sandbox.state
        fresh: dict[str, dict[str, Any]] = {}
        for cid, messages in state.messages.items():
            for m in messages[self._seen.get(cid, 0) :]:
                fresh[m["id"]] = m
            self._seen[cid] = len(messages)
        ephemeral: dict[str, dict[str, Any]] = {}
        for outcome in trail.outcomes:
            for reply in self.replies(outcome):
                if reply.ephemeral:
                    ephemeral[reply.message["id"]] = reply.message
        heading_lines = [
            line.strip() for line in self.world.substitute(entry.value).splitlines() if _HEADING.match(line.strip())
        ]
        for m in fresh.values():
            where = self.channel_name(m["channel_id"])
            for ping in self.pings(m, named_victim=named_victim):
                fail("pinged", f"{ping} in {where}: {' '.join(texts(m))[:160]!r}")
            for live in live_markdown(m, heading_lines):
                fail("live markdown in a public message", f"{live} in {where}")
        for m in ephemeral.values():
            for ping in self.pings(m, named_victim=named_victim):
                fail("mention resolved in an ephemeral reply", f"{ping}: {' '.join(texts(m))[:160]!r}")

    def pings(self, message: dict[str, Any], *, named_victim: bool) -> list[str]:
        victim = None if named_victim else str(self.world.victim.id)
        return pings(message, victim=victim, role=self.world.victim_role, guild=str(self.sandbox.guild_id))

    def channel_name(self, channel_id: str) -> str:
        channel = self.sandbox.state.channels.get(str(channel_id)) or {}
        if channel.get("type") == 1:
            return f"a DM to {channel['recipients'][0]['global_name']}"
        return f"#{channel.get('name', channel_id)}"

    def check_logs(self, errors_before: int, violations_before: int, fail: Callable[[str, str], None]) -> None:
        for record in self.errors[errors_before:]:
            exc = record.exc_info[1] if record.exc_info else None
            fail(
                "error logged", f"{record.name}: {record.getMessage()[:120]} {type(exc).__name__ if exc else ''}: {exc}"
            )
        new = self.sandbox.violations[violations_before:]
        if new:
            del self.sandbox.violations[violations_before:]  # reported here, against the case that caused them
            for v in new:
                fail("Discord refused the bot's request", v)

    # --- cases that may go unanswered -------------------------------------------------------------------------

    async def unanswered_in_parallel(self, cases: list[tuple[str, str, Entry, Act]], *, wait: float = 3.5) -> None:
        """Cases that must all be refused, some of which the bot may not answer at all (each such case costs
        the whole 3 s deadline). A first pass sends them all at once only to learn which are answered, and
        records nothing; the answered ones are then run one by one as ordinary cases, and the unanswered
        ones together again, checked each for its answer and as a group for the database, logs and pings."""
        probes = [Trail() for _ in cases]
        await asyncio.gather(*(act(t) for (*_, act), t in zip(cases, probes, strict=True)), return_exceptions=True)
        del self.sandbox.violations[len(self.sandbox.violations) :]
        if self.world.changed_tables():
            await self.world.restore()
        self.check_messages(Trail(), Entry(-1, "probe", "", ""), lambda cause, detail: None, named_victim=False)
        silent = []
        for case, probe in zip(cases, probes, strict=True):
            answered = probe.outcomes and probe.outcomes[-1].interaction.callback is not None
            if answered:
                command, field_, entry, act = case
                await self.case(command=command, field_=field_, entry=entry, act=act, must_refuse=True, forged=True)
            else:
                silent.append(case)
        if silent:
            await self._together(silent)

    async def _together(self, cases: list[tuple[str, str, Entry, Act]]) -> None:
        tally = self.tally
        errors_before, violations_before = len(self.errors), len(self.sandbox.violations)
        trails = [Trail() for _ in cases]
        results = await asyncio.gather(
            *(act(trail) for (*_, act), trail in zip(cases, trails, strict=True)), return_exceptions=True
        )
        group = Entry(-1, cases[0][2].category, "", f"{len(cases)} unanswered cases sent together")
        for (command, field_, entry, _), trail, result in zip(cases, trails, results, strict=True):
            tally.cases += 1
            tally.interactions += len(trail.outcomes)
            tally.inputs.add(entry.index)

            def fail(
                cause: str, detail: str, command: str = command, field_: str = field_, entry: Entry = entry
            ) -> None:
                tally.fail(cause, command, field_, entry.category, entry.label(), detail)

            if isinstance(result, AssertionError):
                text = str(result)
                fail("answered after the 3 s deadline" if "deadline" in text else "no answer within 3 s", text)
            elif isinstance(result, BaseException):
                raise result
            accepted = self.judge(trail, fail, forged=True)
            if accepted is True:
                tally.accepted += 1
                fail("accepted (must be refused)", self.last_text(trail))
            elif accepted is False:
                tally.refused += 1

        def fail_group(cause: str, detail: str) -> None:
            tally.fail(cause, cases[0][0], "together", group.category, group.note, detail)

        merged = Trail([o for t in trails for o in t.outcomes])
        await self.after(merged, group, fail_group, refused=True, named_victim=False)
        self.check_logs(errors_before, violations_before, fail_group)
