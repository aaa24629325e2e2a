"""The abuse suite: every hostile input of `corpus.json` in every command option and form field where it fits,
forged custom ids, commands from the wrong place or person, all through the sandbox Discord.

The commands come from the bot's own tree, so a new command is covered as soon as it exists (it runs as staff
in bounty #1's channel until `corpus.CONTEXTS` gives it a better place; a reply that takes its input without an
embed, a form or one of `corpus.SUCCESS_MARKERS` is read as a refusal, which the checks then hold to "nothing
changed"). What each case is checked for is in `runner`'s docstring; what fits where is `corpus.FITS`.

Each test prints its figures and, when it fails, its failures grouped by cause, command and category; the run
ends with the suite's summary, and `ABUSE_REPORT=path` writes every failure as JSON.

Every request the bot makes is held to Discord's rules (limits, permissions, deadlines) as everywhere else. The
sandbox's OpenAPI schema check, which costs about three quarters of the run's time, is on for building the
world, for the controls (valid values through the same paths) and for every test but the hostile-text ones;
inside a hostile-text case it is off: the input changes the text the bot sends, not the shape of its requests.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import pytest

from bot.sandbox.discord.users import SandboxUser
from tests.abuse.corpus import (
    FITS,
    STRING_CATEGORIES,
    STRING_KINDS,
    USER_TARGETS,
    Command,
    Context,
    Entry,
    Param,
    client_takes_string,
    context_for,
    integer_value,
    load_corpus,
    tree_commands,
)
from tests.abuse.report import REPORT, Tally
from tests.abuse.runner import CONTROL, Act, Form, Runner, Trail, live_markdown, pings
from tests.abuse.world import World

CORPUS = load_corpus()
NOT_TEXT = ("integer", "user")
REQUIRED_CATEGORIES = {
    *STRING_CATEGORIES,
    "forged_custom_id",
    "origin",
    "removed_member",
}


def entries(category: str) -> list[Entry]:
    return [e for e in CORPUS if e.category == category]


def named(category: str, value: str) -> Entry:
    return next(e for e in CORPUS if e.category == category and e.value == value)


async def finish(runner: Runner, tally: Tally, started: float) -> None:
    """The bot is still up (a status works), then the figures, then the verdict."""
    world = runner.world
    tally.seconds = time.perf_counter() - started
    REPORT.tallies.append(tally)
    print(tally.headline())
    status = await world.people["staff"].run("bounty status", channel=world.channels[1])
    assert status.reply.embeds and status.reply.embeds[0]["title"].startswith("Bounty #1"), status.reply.text
    assert not world.bot.is_closed()
    assert not tally.failures, tally.render()


def running(who: SandboxUser, command: str, channel: int | str, options: dict[str, Any], origin: str = "guild") -> Act:
    """The act of `who` running `command` with `options`."""

    async def act(trail: Trail) -> None:
        trail.add(await who.run(command, channel=channel, origin=origin, **options))

    return act


def sandbox_name(world: World, channel_id: int) -> str:
    return str(world.sandbox.state.channels[str(channel_id)]["name"])


def test_the_corpus_covers_every_category() -> None:
    counts = Counter(e.category for e in CORPUS)
    assert len(CORPUS) >= 150, len(CORPUS)
    assert set(counts) == REQUIRED_CATEGORIES, set(counts) ^ REQUIRED_CATEGORIES
    assert all(e.note and isinstance(e.value, str) for e in CORPUS)
    assert all(e.component in ("button", "select", "modal") for e in entries("forged_custom_id"))
    assert {e.value for e in entries("origin")} == {"other-guild", "dm", "dm-after-leaving", "other-channel"}
    assert {e.value for e in entries("removed_member")} == {*USER_TARGETS, "removed-from-bounty"}


def test_the_checks_see_what_they_look_for() -> None:
    """The detectors themselves, on messages shaped as the sandbox records them."""
    ids: dict[str, Any] = {"victim": "11", "role": "22", "guild": "33"}
    quiet = {"content": "<@11> @everyone", "mentions": [], "mention_roles": [], "mention_everyone": False}
    assert pings(quiet, **ids) == []
    loud = {"mentions": [{"id": "11"}], "mention_roles": ["22", "33"], "mention_everyone": True}
    assert len(pings(loud, **ids)) == 4
    assert pings(loud, **{**ids, "victim": None}) == [
        "@everyone/@here",
        "the bounty-contributor role",
        "the @everyone role",
    ]
    link = "[https://good.test](https://evil.test)"
    assert live_markdown({"content": f"Reason: {link}"}, []) == ["a masked link to evil.test"]
    assert live_markdown({"embeds": [{"description": f"> {link}"}]}, []) == ["a masked link to evil.test"]
    assert live_markdown({"content": f"`{link}`"}, []) == []
    assert live_markdown({"content": "\\[https://good.test\\](https://evil.test)"}, []) == []
    assert live_markdown({"embeds": [{"title": link}]}, []) == []  # titles do not render links
    heading = ["# Official announcement"]
    assert live_markdown({"content": "Reason:\n# Official announcement"}, heading) == [
        "the heading '# Official announcement'"
    ]
    assert live_markdown({"content": "Reason: # Official announcement"}, heading) == []
    assert live_markdown({"content": "\\# Official announcement"}, heading) == []


# --- hostile text in every string option and form field ----------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("category", sorted(STRING_CATEGORIES))
async def test_hostile_text(world: World, errors: list[logging.LogRecord], category: str) -> None:
    started = time.perf_counter()
    tally = Tally(f"text · {category}")
    runner = Runner(world, tally, errors, schema_checks=False)
    for command in tree_commands(world.bot):
        ctx = context_for(command.name)
        fed = [p for p in command.params if p.kind in FITS and category in FITS[p.kind] and p.kind not in NOT_TEXT]
        forms: list[Form] = []
        for i, variant in enumerate(ctx.variants):
            control = await runner.control(command, ctx, variant, needed=bool(fed) or bool(forms))
            if i == 0:
                forms = await runner.forms(command, control)
            for p in fed:
                await feed_option(runner, command, ctx, variant, p, category)
        for form in forms:
            await feed_form(runner, command, form, category)
    await finish(runner, tally, started)


async def feed_option(
    runner: Runner, command: Command, ctx: Context, variant: dict[str, Any], p: Param, category: str
) -> None:
    who = runner.person(ctx.actor)
    base = runner.options(command, ctx, variant)
    label = ", ".join(f"{k}={v}" for k, v in variant.items() if k != p.name)
    for entry in entries(category):
        value = runner.world.substitute(entry.value)
        if not client_takes_string(value, p):
            runner.tally.client_refused += 1
            runner.tally.inputs.add(entry.index)
            continue
        await runner.case(
            command=f"/{command.name}",
            field_=f"{p.name} ({label})" if label else p.name,
            entry=entry,
            act=running(who, command.name, runner.where(ctx), {**base, p.name: value}),
            must_refuse=p.kind in entry.refuse,
        )


async def feed_form(runner: Runner, command: Command, form: Form, category: str) -> None:
    ctx = context_for(command.name)
    who = runner.person(ctx.actor)

    def act_with(values: dict[str, Any]) -> Act:
        async def act(trail: Trail) -> None:
            opened = await runner.open_form(command, ctx, form.step, trail)
            assert opened is not None
            trail.add(await who.submit(opened, values))

        return act

    control = Trail()
    if not await runner.case(
        command=f"/{command.name}",
        field_=f"form {form.step}: control",
        entry=CONTROL,
        act=act_with(runner.form_values(form, {})),
        must_refuse=False,
        trail=control,
    ):
        detail = runner.last_text(control)
        runner.tally.fail("suite: control refused", f"/{command.name}", f"form {form.step}", "control", "", detail)
    for component in form.fields:
        cid = component["custom_id"]
        kind = STRING_KINDS.get(cid, "text")
        if category not in FITS[kind]:
            continue
        for entry in entries(category):
            value = runner.world.substitute(entry.value)
            if not runner.client_sends(component, value):
                runner.tally.client_refused += 1
                runner.tally.inputs.add(entry.index)
                continue
            await runner.case(
                command=f"/{command.name}",
                field_=f"form {form.step}: {cid}",
                entry=entry,
                act=act_with(runner.form_values(form, {cid: value})),
                must_refuse=kind in entry.refuse,
            )


# --- numbers in integer options, people in user options ------------------------------------------------------------


@pytest.mark.timeout(300)
async def test_hostile_numbers_and_people(world: World, errors: list[logging.LogRecord]) -> None:
    started = time.perf_counter()
    tally = Tally("integer and user options")
    runner = Runner(world, tally, errors)
    for command in tree_commands(world.bot):
        ctx = context_for(command.name)
        who = runner.person(ctx.actor)
        base = runner.options(command, ctx, {})
        for p in command.params:
            if p.kind not in ("integer", "user"):
                continue
            for entry in CORPUS:
                if entry.category not in FITS[p.kind]:
                    continue
                value: Any
                if p.kind == "integer":
                    value = integer_value(entry, p)
                else:
                    target = USER_TARGETS.get(entry.value)
                    value = runner.user_value(target) if target else None
                if value is None:
                    if p.kind == "integer":
                        tally.client_refused += 1
                        tally.inputs.add(entry.index)
                    continue
                await runner.case(
                    command=f"/{command.name}",
                    field_=p.name,
                    entry=entry,
                    act=running(who, command.name, runner.where(ctx), {**base, p.name: value}),
                    must_refuse=p.kind in entry.refuse,
                    named_victim=isinstance(value, SandboxUser) and value is world.victim,
                )
    await finish(runner, tally, started)


# --- the wrong server, a direct message, someone who left or was removed ---------------------------------------


@pytest.mark.timeout(300)
async def test_wrong_places_and_removed_members(world: World, errors: list[logging.LogRecord]) -> None:
    started = time.perf_counter()
    tally = Tally("other servers, DMs, removed members")
    runner = Runner(world, tally, errors)
    removed, leaver = runner.person("removed"), runner.person("leaver")
    for command in tree_commands(world.bot):
        ctx = context_for(command.name)
        options = runner.options(command, ctx, {})
        if ctx.bounty is not None and any(p.name == "bounty" for p in command.params):
            options["bounty"] = ctx.bounty  # named outright, so that only where it comes from can refuse it
        senders: list[tuple[Entry, SandboxUser, str]] = [
            (named("origin", "other-guild"), runner.person(ctx.actor), "other-guild"),
            (named("origin", "dm"), runner.person(ctx.actor), "dm"),
            (named("origin", "dm-after-leaving"), leaver, "dm"),
        ]
        if command.access != "anyone":
            senders.append((named("removed_member", "removed-from-bounty"), removed, "guild"))
        for entry, who, origin in senders:
            await runner.case(
                command=f"/{command.name}",
                field_=f"as {who.name}",
                entry=entry,
                act=running(who, command.name, runner.where(ctx), options, origin),
                must_refuse=True,
            )
        # Where the channel says which bounty is meant; staff may act on any bounty from anywhere.
        if ctx.actor != "staff" and any(p.name == "bounty" for p in command.params):
            elsewhere = world.channels[1 if ctx.bounty == 3 else 3]  # a bounty the actor is not on
            mine = {k: v for k, v in runner.options(command, ctx, {}).items() if k != "bounty"}
            await runner.case(
                command=f"/{command.name}",
                field_=f"as {runner.person(ctx.actor).name} in #{sandbox_name(world, elsewhere)}",
                entry=named("origin", "other-channel"),
                act=running(runner.person(ctx.actor), command.name, elsewhere, mine),
                must_refuse=True,
            )

    menu, cont = world.checklist_reply, world.continue_reply
    select = menu.selects[0]
    tick = {"custom_id": select["custom_id"], "component_type": 3, "values": [select["options"][0]["value"]]}
    button = {"custom_id": cont.buttons[0]["custom_id"], "component_type": 2}
    components = [
        (named("origin", "other-guild"), runner.person("dev"), "other-guild", tick, menu),
        (named("origin", "dm"), runner.person("dev"), "dm", tick, menu),
        (named("origin", "dm-after-leaving"), leaver, "dm", tick, menu),
        (named("removed_member", "removed-from-bounty"), removed, "guild", tick, menu),
        (named("origin", "other-guild"), runner.person("newcomer"), "other-guild", button, cont),
        (named("origin", "dm"), runner.person("newcomer"), "dm", button, cont),
    ]
    for entry, who, origin, data, reply in components:

        async def click(
            trail: Trail, who: SandboxUser = who, origin: str = origin, data: dict[str, Any] = data, reply: Any = reply
        ) -> None:
            trail.add(
                await who.interact(3, data, channel=reply.message["channel_id"], origin=origin, message=reply.message)
            )

        await runner.case(
            command="component",
            field_=f"{data['custom_id']} as {who.name}",
            entry=entry,
            act=click,
            must_refuse=True,
        )
    await finish(runner, tally, started)


# --- forged custom ids ----------------------------------------------------------------------------------------


@pytest.mark.timeout(120)
async def test_forged_custom_ids(world: World, errors: list[logging.LogRecord]) -> None:
    """Components and forms whose custom ids the bot did not make, or no longer knows: each gets a short
    ephemeral answer and changes nothing. discord.py hands a component to the bot only when the message it
    came on carries it, so the forged id rides on a copy of a real message (as a message from an older
    deployment would); a form submitted after a restart is one the bot no longer has."""
    started = time.perf_counter()
    tally = Tally("forged custom ids")
    runner = Runner(world, tally, errors)
    menu = world.checklist_reply.message
    select = world.checklist_reply.selects[0]
    task = select["options"][0]["value"]
    cases = []
    for sender in (runner.person("dev"), runner.person("outsider")):
        for entry in entries("forged_custom_id"):
            kind, message = 3, menu
            if entry.value == "RETRY_OF_OTHER":  # the real button under Erin's refused form
                message = world.retry_reply.message
                data: dict[str, Any] = {"custom_id": world.retry_reply.buttons[0]["custom_id"], "component_type": 2}
            elif entry.component == "modal":
                kind = 5
                text = {"type": 4, "custom_id": "done", "value": "x"}
                data = {"custom_id": entry.value, "components": [{"type": 1, "components": [text]}]}
            elif entry.component == "select":
                message = carrying(menu, {**select, "custom_id": entry.value})
                data = {"custom_id": entry.value, "component_type": 3, "values": [task]}
            else:
                message = carrying(menu, {"type": 2, "id": 2, "style": 1, "label": "Go", "custom_id": entry.value})
                data = {"custom_id": entry.value, "component_type": 2}
            cases.append(
                ("component", f"{entry.component} as {sender.name}", entry, forged_act(sender, kind, data, message))
            )
    await runner.unanswered_in_parallel(cases)
    await finish(runner, tally, started)


def carrying(message: dict[str, Any], component: dict[str, Any]) -> dict[str, Any]:
    """A copy of `message` whose only component is `component`."""
    return {**message, "components": [{"type": 1, "id": 1, "components": [component]}]}


def forged_act(sender: SandboxUser, kind: int, data: dict[str, Any], message: dict[str, Any]) -> Any:
    async def act(trail: Trail) -> None:
        where = message["channel_id"]
        trail.add(await sender.interact(kind, data, channel=where, message=None if kind == 5 else message, wait=3.5))

    return act
