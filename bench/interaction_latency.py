"""Interaction latency: INTERACTION_CREATE sent → the bot's acknowledgement received, 50 at once.

Measured for each command and modal submit people wait on (`/bounty status`, `/pay instructions`, both
`/bounty start` modal submits, `/checklist`, `/bug list`, `/report sla`, `/update`), and for a bare discord.py command
(bench/bare_bot.py) answering the same way. Each bot runs in a process of its own, one after the other,
against the same Discord stand-in served by this process: what is measured is each bot's own time plus
the same stand-in round trip. Budget (DESIGN.md §12): every p99 ≤ 100 ms and ≤ 1.5 × the bare command's.

Every answer is checked (an embed, the modal, the "Continue" button, the deferral): a fast error is not a
fast answer. An interaction not acknowledged within Discord's 3 s counts as failed, and any failure puts its
line over budget.

    .venv/bin/python bench/interaction_latency.py [--rounds 10] [--intake-rounds 4] [--concurrency 50]
                                                  [--bounties 10000]

The stand-in's OpenAPI validation is off here (the tests do it): it would add the validator's time to
both sides and hide the bots' own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bare_bot
from bench.process import CHAINS_READY, READY, BotProcess, Child, cpu_seconds
from bench.world import WorldSize, build, give_channels
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, SandboxUser, add_user
from tests.intake_helpers import TECHNICAL, exchange_answers

UPDATE_COMMAND = "update post"  # the weekly update: the one place its name is written
STAFF_ROLE = "hummingbot-foundation"
P99_BUDGET_MS = 100.0
RATIO_BUDGET = 1.5
DEAD_RPC = "http://127.0.0.1:9"
ANSWER_WAIT = 10.0  # how long a user waits for a (deferred) answer before giving up


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Figures:
    name: str
    samples: list[float] = field(default_factory=list)  # ms
    failures: list[str] = field(default_factory=list)
    cpu_ms: float | None = None  # the bot process's CPU per interaction while these ran, background work included

    def add(self, outcomes: list[Outcome | BaseException], ok: Callable[[Outcome], bool]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                self.failures.append(f"{type(outcome).__name__}: {str(outcome)[:200]}")
            elif outcome.latency is None or not ok(outcome):
                self.failures.append(describe(outcome))
            else:
                self.samples.append(outcome.latency * 1000)


def describe(outcome: Outcome) -> str:
    ix = outcome.interaction
    if getattr(ix, "late", False) or ix.callback is None:
        return "not acknowledged within 3 s"
    if outcome.modal is not None:
        return f"modal {outcome.modal.get('custom_id')}"
    try:
        return outcome.reply.text[:200]
    except AssertionError as exc:
        return str(exc)[:200]


async def at_once(users: list[SandboxUser], act: Callable[[SandboxUser], Awaitable[Outcome]]) -> list[Any]:
    return list(await asyncio.gather(*(act(u) for u in users), return_exceptions=True))


async def rounds_of(
    figures: Figures,
    users: list[SandboxUser],
    act: Callable[[SandboxUser], Awaitable[Outcome]],
    ok: Callable[[Outcome], bool],
    rounds: int,
    pid: int,
    warm_up: int = 2,
) -> None:
    for _ in range(warm_up):
        await at_once(users, act)
    cpu = cpu_seconds(pid)
    for _ in range(rounds):
        # The stand-in and the fifty users live in this process and keep every interaction: a full
        # collection of that heap here would be timed as the bot's. The bot's own collections still count.
        gc.collect()
        gc.disable()
        try:
            figures.add(await at_once(users, act), ok)
        finally:
            gc.enable()
    figures.cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / (rounds * len(users))


# --- setting the scene (not measured) -------------------------------------------------------------------


def bounty_number(outcome: Outcome) -> int:
    for reply in [outcome.reply, *outcome.followups]:
        if found := re.search(r"Bounty #(\d+)", reply.text):
            return int(found[1])
    raise RuntimeError(f"no bounty number in the intake's answer: {outcome.reply.text[:300]}")


async def intake(user: SandboxUser, name: str) -> Outcome:
    """`/bounty start` through both modals, for the scene (measure_intake measures the submits)."""
    opened = await user.run("bounty start", channel="developer", wait=ANSWER_WAIT)
    if opened.modal is None:
        raise RuntimeError(f"/bounty start opened no modal: {describe(opened)}")
    answers = exchange_answers(int(time.time()), exchange=name, website=f"https://{name.lower()}.example.com")
    step1 = await user.submit(opened, answers, wait=ANSWER_WAIT)
    step2 = await user.click(step1.reply, "Continue: technical details", wait=ANSWER_WAIT)
    return await user.submit(step2, TECHNICAL, wait=ANSWER_WAIT)


async def staff_run(staff: SandboxUser, command: str, **options: Any) -> Outcome:
    outcome = await staff.run(command, channel="general", wait=ANSWER_WAIT, **options)
    text = outcome.reply.text
    if "Only" in text or "went wrong" in text or "cannot" in text.lower():
        raise RuntimeError(f"/{command} {options}: {text[:300]}")
    return outcome


@dataclass
class Scene:
    staff: list[SandboxUser]
    developer: SandboxUser
    building: int  # a bounty in development with the developer assigned
    awaiting: int  # a bounty awaiting payment


async def set_scene(sandbox: DiscordSandbox, concurrency: int) -> Scene:
    staff = [add_user(sandbox, f"Staff {i}", roles=(STAFF_ROLE,)) for i in range(concurrency)]
    lead = add_user(sandbox, "Bench Lead")
    other = add_user(sandbox, "Bench Other Lead")
    developer = add_user(sandbox, "Bench Developer", roles=("bounty-contributor",))
    building = bounty_number(await intake(lead, "Benchbuild"))
    awaiting = bounty_number(await intake(other, "Benchpay"))
    boss = staff[0]
    for to in ("review", "awaiting_payment", "funded"):
        await staff_run(boss, "bounty advance", to=to, bounty=building)
    for to in ("review", "awaiting_payment"):
        await staff_run(boss, "bounty advance", to=to, bounty=awaiting)
    await staff_run(boss, "bounty assign", developer=developer, github="bench-dev", bounty=building)
    return Scene(staff, developer, building, awaiting)


# --- measuring -------------------------------------------------------------------------------------------


def update_command(sandbox: DiscordSandbox) -> str:
    """UPDATE_COMMAND, or plain `/update` when the bot measured still registers it without subcommands."""
    group, _, sub = UPDATE_COMMAND.partition(" ")
    registered = sandbox.state.commands.get(group) or {}
    return UPDATE_COMMAND if any(o["name"] == sub for o in registered.get("options", [])) else group


def has_embed(outcome: Outcome) -> bool:
    return bool(outcome.reply.embeds)


def opened_modal(outcome: Outcome) -> bool:
    return outcome.modal is not None


async def measure_bot(sandbox: DiscordSandbox, args: argparse.Namespace, workdir: Path) -> list[Figures]:
    database = workdir / "bountybot.db"
    if args.bounties:
        await build(database, int(time.time()), WorldSize(args.bounties, args.bounties * 10), guild_id=sandbox.guild_id)
        give_channels(database, sandbox)
    config = {
        "discord": {
            "guild_id": sandbox.guild_id,
            "api_base_url": sandbox.api_base_url,
            "gateway_url": sandbox.gateway_url,
        },
        "database": {"path": str(database)},
        "chains": {name: {"rpc_urls": [DEAD_RPC]} for name in ("ethereum", "bsc", "solana")},
        "logging": {"level": "INFO"},
    }
    bot = BotProcess(config, workdir, {"DISCORD_TOKEN": sandbox.token})
    bot.expect(READY, CHAINS_READY)
    await bot.launch()
    try:
        if await bot.wait_for(READY, 60) is None:
            raise RuntimeError(f"the bot did not become ready:\n{bot.tail()}")
        if args.bounties:
            # Some of those bounties await payment: the watcher's first pass loads web3 and solana-py in a
            # worker thread. Measuring during that second would measure the import.
            await bot.wait_for(CHAINS_READY, 30)
        scene = await set_scene(sandbox, args.concurrency)
        # Let the scene's own deliveries (channels, posts, events) finish before measuring.
        await asyncio.sleep(3)
        staff, n = scene.staff, args.rounds
        status = Figures("/bounty status")
        await rounds_of(
            status,
            staff,
            lambda u: u.run("bounty status", channel="general", bounty=scene.building, wait=ANSWER_WAIT),
            has_embed,
            n,
            bot.pid,
        )
        pay = Figures("/pay instructions")
        await rounds_of(
            pay,
            staff,
            lambda u: u.run("pay instructions", channel="general", bounty=scene.awaiting, wait=ANSWER_WAIT),
            has_embed,
            n,
            bot.pid,
        )
        checklist = Figures("/checklist")
        await rounds_of(
            checklist,
            staff,
            lambda u: u.run("checklist", channel="general", bounty=scene.building, wait=ANSWER_WAIT),
            has_embed,
            n,
            bot.pid,
        )
        bug_list = Figures("/bug list")
        await rounds_of(
            bug_list,
            staff,
            lambda u: u.run("bug list", channel="general", bounty=scene.building, wait=ANSWER_WAIT),
            has_embed,
            n,
            bot.pid,
        )
        # The SLA report over every bounty: acknowledged first, then the figures and the chart follow.
        report = Figures("/report sla (all bounties)")
        await rounds_of(
            report,
            staff,
            lambda u: u.run("report sla", channel="general", wait=ANSWER_WAIT),
            has_embed,
            n,
            bot.pid,
        )
        command = update_command(sandbox)
        update = Figures(f"/{command} (opens the modal)")
        developer = [scene.developer] * args.concurrency
        await rounds_of(
            update,
            developer,
            lambda u: u.run(command, channel="general", bounty=scene.building, wait=ANSWER_WAIT),
            opened_modal,
            n,
            bot.pid,
        )
        first, second = Figures("/bounty start: 1st modal submit"), Figures("/bounty start: 2nd modal submit")
        await measure_intake(sandbox, args, first, second)
        problems = bot.problems()
        if problems:
            print("the bot logged problems:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
        return [status, pay, first, second, checklist, bug_list, report, update]
    finally:
        await bot.stop()


async def measure_intake(sandbox: DiscordSandbox, args: argparse.Namespace, first: Figures, second: Figures) -> None:
    """Each round, `concurrency` new exchanges open `/bounty start` and submit both modals at the same time."""
    for r in range(args.intake_rounds + 1):
        users = [add_user(sandbox, f"Exchange {r}-{i}") for i in range(args.concurrency)]
        names = {u.id: f"Bench{r:02d}x{i:03d}" for i, u in enumerate(users)}
        opened = await at_once(users, lambda u: u.run("bounty start", channel="developer", wait=ANSWER_WAIT))

        def answers(u: SandboxUser, names: dict[int, str] = names) -> dict[str, Any]:
            name = names[u.id]
            return exchange_answers(int(time.time()), exchange=name, website=f"https://{name.lower()}.example.com")

        pairs = [(u, o) for u, o in zip(users, opened, strict=True) if isinstance(o, Outcome) and o.modal is not None]
        step1 = list(
            await asyncio.gather(*(u.submit(o, answers(u), wait=ANSWER_WAIT) for u, o in pairs), return_exceptions=True)
        )
        if r > 0:  # the first round warms up
            first.add(step1, lambda o: any(b.get("label") == "Continue: technical details" for b in o.reply.buttons))
        ready = [(u, o) for (u, _), o in zip(pairs, step1, strict=True) if isinstance(o, Outcome) and o.reply.buttons]
        clicked = list(
            await asyncio.gather(
                *(u.click(o.reply, "Continue: technical details", wait=ANSWER_WAIT) for u, o in ready),
                return_exceptions=True,
            )
        )
        pairs2 = [
            (u, o) for (u, _), o in zip(ready, clicked, strict=True) if isinstance(o, Outcome) and o.modal is not None
        ]
        step2 = list(
            await asyncio.gather(*(u.submit(o, TECHNICAL, wait=ANSWER_WAIT) for u, o in pairs2), return_exceptions=True)
        )
        if r > 0:
            # The acknowledgement is the deferral; the answer with the channel follows.
            second.add(
                step2, lambda o: any("is started" in f.text for f in o.followups) or "is started" in o.reply.text
            )


async def measure_bare(sandbox: DiscordSandbox, args: argparse.Namespace) -> Figures:
    users = [add_user(sandbox, f"Bare {i}") for i in range(args.concurrency)]
    child = Child(
        [str(Path(bare_bot.__file__)), sandbox.api_base_url, sandbox.gateway_url, sandbox.token, str(sandbox.guild_id)],
        {},
    )
    child.expect(bare_bot.READY)
    await child.launch()
    try:
        if await child.wait_for(bare_bot.READY, 30) is None:
            raise RuntimeError(f"the bare bot did not become ready:\n{child.tail()}")
        bare = Figures("bare discord.py command")
        await rounds_of(
            bare,
            users,
            lambda u: u.run(bare_bot.COMMAND, channel="general", wait=ANSWER_WAIT),
            has_embed,
            args.rounds,
            child.pid,
        )
        return bare
    finally:
        await child.stop()


def table(figures: list[Figures], bare: Figures) -> bool:
    """One line per command; `cpu/ix` is the bot process's CPU per interaction while it ran (background work
    included), the figure that sets the others' order of magnitude: 50 at once wait for each other's."""
    bare99 = percentile(bare.samples, 99)
    print(f"{'':<36} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'p99/bare':>9} {'cpu/ix ms':>10}")
    all_ok = True

    def cpu(f: Figures) -> str:
        return f"{f.cpu_ms:>10.2f}" if f.cpu_ms is not None else f"{'—':>10}"

    for f in figures:
        if not f.samples:
            failed = f"{len(f.failures)} failed: {f.failures[0]}"
            print(f"{f.name:<36} {0:>5} {'—':>8} {'—':>8} {'—':>9} {cpu(f)}  OVER BUDGET ({failed})")
            all_ok = False
            continue
        p50, p99 = percentile(f.samples, 50), percentile(f.samples, 99)
        ok = p99 <= P99_BUDGET_MS and p99 <= RATIO_BUDGET * bare99 and not f.failures
        all_ok &= ok
        failed = f" ({len(f.failures)} failed: {f.failures[0]})" if f.failures else ""
        verdict = "within budget" if ok else "OVER BUDGET"
        figures_ = f"{len(f.samples):>5} {p50:>8.1f} {p99:>8.1f} {p99 / bare99:>8.2f}× {cpu(f)}"
        print(f"{f.name:<36} {figures_}  {verdict}{failed}")
    bare50 = percentile(bare.samples, 50)
    print(f"{bare.name:<36} {len(bare.samples):>5} {bare50:>8.1f} {bare99:>8.1f} {'':>9} {cpu(bare)}")
    return all_ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds per command (2 more warm up)")
    parser.add_argument("--intake-rounds", type=int, default=4, help="each makes `concurrency` new bounties")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--bounties", type=int, default=10_000, help="bounties already in the database (0: none)")
    args = parser.parse_args()

    sandbox = DiscordSandbox(validate=False)
    await sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours = await measure_bot(sandbox, args, Path(tmp))
        bare = await measure_bare(sandbox, args)
    finally:
        await sandbox.stop()

    print(
        f"{args.concurrency} interactions at once, INTERACTION_CREATE → acknowledgement, "
        f"{args.bounties:,} bounties in the database; budget: p99 ≤ {P99_BUDGET_MS:.0f} ms and ≤ {RATIO_BUDGET}× bare"
    )
    ok = table(ours, bare)
    print("all within budget" if ok else "OVER BUDGET")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
