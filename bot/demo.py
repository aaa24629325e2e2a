"""`bountybot demo`: the lifecycle so far, played against the local sandbox, printing what each person sees.

Everything is real: the bot is the production `BountyBot`, discord.py talks HTTP and websocket to the
sandbox on 127.0.0.1, and every request is checked against Discord's OpenAPI description.
"""

from __future__ import annotations

import re
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.sandbox import evm as local_evm
from bot.sandbox import github as github_sandbox
from bot.sandbox.discord import spec
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, Reply, SandboxUser, add_user
from bot.sandbox.evm import LocalChain, start_chain
from bot.sandbox.github import GitHubSandbox
from bot.sandbox.harness import running_bot, sandbox_config
from bot.sandbox.snapshot import SnapshotHub
from bot.sandbox.solana_rpc import SolanaSandbox

ETH_TOKENS = {
    "USDC": ("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
    "USDT": ("0xdAC17F958D2ee523a2206206994597C13D831ec7", 6),
}


def _relative(seconds: int) -> str:
    """How Discord renders `<t:…:R>`: "in 3 hours", "2 days ago"."""
    size = abs(seconds)
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
    found = next(((name, length) for name, length in units if size >= length), None)
    if found is None:
        return "now"
    count = round(size / found[1])
    amount = f"{count} {found[0]}{'' if count == 1 else 's'}"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


class Narrator:
    def __init__(self, quiet: bool, sandbox: DiscordSandbox, now: Callable[[], int]) -> None:
        self.quiet = quiet
        self.state = sandbox.state
        self.now = now

    def humanize(self, text: str) -> str:
        """Render mentions and timestamps the way a Discord client would show them."""

        def user(m: re.Match[str]) -> str:
            found = self.state.users.get(m.group(1))
            return f"@{found['global_name']}" if found else m.group(0)

        def channel(m: re.Match[str]) -> str:
            found = self.state.channels.get(m.group(1))
            return f"#{found.get('name', 'dm')}" if found else m.group(0)

        def stamp(m: re.Match[str]) -> str:
            at = int(m.group(1))
            if m.group(2) == "R":  # a live countdown: the client shows it relative to now
                return _relative(at - self.now())
            return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))

        def role(m: re.Match[str]) -> str:
            found = next((r for r in self.state.roles.values() if r["id"] == m.group(1)), None)
            return f"@{found['name']}" if found else m.group(0)

        text = re.sub(r"<@&(\d+)>", role, text)
        text = re.sub(r"<@!?(\d+)>", user, text)
        text = re.sub(r"<#(\d+)>", channel, text)
        return re.sub(r"<t:(\d+)(?::(\w))?>", stamp, text)

    def step(self, text: str) -> None:
        if not self.quiet:
            print(f"\n━━ {text}")

    def sees(self, who: SandboxUser | str, reply: Reply, where: str = "") -> None:
        if self.quiet:
            return
        name = who if isinstance(who, str) else who.name
        privacy = " (only they see it)" if reply.ephemeral else ""
        print(f"  {name} sees{(' in ' + where) if where else ''}{privacy}:")
        for line in self.humanize(reply.text).splitlines():
            for wrapped in textwrap.wrap(line, 100) or [""]:
                print(f"    │ {wrapped}")
        for button in reply.buttons:
            print(f"    │ [button: {button.get('label')}]")

    def modal(self, who: SandboxUser, outcome: Outcome) -> None:
        if self.quiet or outcome.modal is None:
            return
        modal = outcome.modal
        print(f'  {who.name} sees a form, "{modal["title"]}":')
        for component in modal["components"]:
            inner = component.get("component") or component.get("components", [{}])[0]
            label = component.get("label") or inner.get("label") or inner.get("custom_id")
            print(f"    │ {label}")

    def note(self, text: str) -> None:
        if not self.quiet:
            print(f"  {text}")


async def run_demo(quiet: bool = False) -> int:
    started = time.perf_counter()
    clock = ManualClock(int(time.time()))
    # Discord and the bot share the demo's clock, so "in the past" means the same to both as weeks pass.
    # The demo meets Discord's rate limits at their real size; it is the one run that does.
    sandbox = DiscordSandbox(validate=spec.available(), clock=clock.now)
    say = Narrator(quiet, sandbox, clock.now)
    await sandbox.start()
    exchange = add_user(sandbox, "Erin (Backpack)")
    teammate = add_user(sandbox, "Tom (Backpack)")
    staff = add_user(sandbox, "Sam (Foundation)", roles=("hummingbot-foundation",))
    outsider = add_user(sandbox, "Olga (community)")
    developer = add_user(sandbox, "Dana (developer)", roles=("bounty-contributor",))
    chain = await start_chain(1, ETH_TOKENS) if local_evm.available() else None
    solana = SolanaSandbox()
    # The Snapshot hub answers on the demo's clock: a proposal opens and closes as the weeks pass.
    hub = SnapshotHub(clock=lambda: float(clock.now()))
    # GitHub dates what it makes by the demo's clock too, and its rate-limit windows move with it.
    github = GitHubSandbox(validate=github_sandbox.available(), clock=lambda: float(clock.now()))
    await github.start()
    await solana.start()
    await hub.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            chains: dict[str, Any] = {"solana": {"rpc_urls": [solana.url]}}
            if chain is not None:
                chains["ethereum"] = {"rpc_urls": [chain.url]}
            config = sandbox_config(
                sandbox,
                Path(tmp) / "demo.db",
                chains=chains,
                github={"api_base_url": github.url, "graphql_url": f"{github.url}/graphql"},
                env={"GITHUB_TOKEN": github.token},
                governance={"hub_url": hub.graphql_url},
            )
            async with running_bot(config, clock=clock) as bot:
                say.step("The bot connects to the sandbox Discord and registers its commands")
                say.note(f"commands: {', '.join('/' + name for name in sorted(sandbox.state.commands))}")
                if bot.setup_problems:
                    say.note("configuration problems: " + "; ".join(bot.setup_problems))

                say.step("Olga tries /bounty start in #general")
                wrong = await outsider.run("bounty start", channel="general")
                say.sees(outsider, wrong.reply)

                say.step("Erin runs /bounty start in #developer")
                opened = await exchange.run("bounty start", channel="developer")
                say.modal(exchange, opened)
                intro = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.now() + 3 * 86400))
                step1 = await exchange.submit(
                    opened,
                    {
                        "exchange": "Backpack",
                        "website": "https://backpack.exchange",
                        "subtypes": ["spot", "perpetual"],
                        "contact": "Erin, erin@backpack.exchange",
                        "timeline": f"Live before the next release. Intro call {intro} UTC",
                    },
                )
                say.sees(exchange, step1.reply)
                opened2 = await exchange.click(step1.reply, "Continue: technical details")
                say.modal(exchange, opened2)
                done = await exchange.submit(
                    opened2,
                    {
                        "api_docs": "https://docs.backpack.exchange/rest\nhttps://docs.backpack.exchange/ws",
                        "auth_method": "ED25519 signed requests",
                        "rate_limits": "1200 requests per minute per IP",
                        "testnet_url": "none",
                        "special_features": "Sub-accounts",
                    },
                )
                say.sees(exchange, done.reply)
                await bot.outbox.drain()  # let the welcome and the event land before looking at the channel

                bounty = await bot.services.bounties.status(_actor(staff), 1, None)
                channel_id = str(bounty.bounty.channel_id)
                channel = sandbox.state.channels[channel_id]
                say.step(f"The private channel #{channel['name']}")
                people = {p.name: p.can_view(channel_id) for p in (exchange, teammate, staff, outsider)}
                say.note("who can see it: " + ", ".join(f"{n}: {'yes' if v else 'no'}" for n, v in people.items()))
                for message in sandbox.state.messages[channel_id]:
                    say.sees("Erin and staff", Reply(message), f"#{channel['name']}")
                for event in sandbox.state.events.values():
                    say.note(f"scheduled event: {event['name']} at {event['scheduled_start_time']}")

                say.step("Olga asks for the bounty's status")
                refused = await outsider.run("bounty status", channel="general", bounty=1)
                say.sees(outsider, refused.reply)

                say.step("Sam (staff) records the technical review")
                for item in ("api_docs", "authentication", "rate_limits", "special_features"):
                    await staff.run("bounty review", channel=int(channel_id), item=item, result="ok")
                last = await staff.run(
                    "bounty review",
                    channel=int(channel_id),
                    item="testnet",
                    result="ok",
                    note="Production API with small amounts",
                )
                say.sees(staff, last.reply)

                say.step("Erin adds Tom to the bounty")
                added = await exchange.run("bounty members add", channel=int(channel_id), member=teammate)
                say.sees(exchange, added.reply)
                await bot.outbox.drain()
                say.note(f"Tom can see the channel now: {'yes' if teammate.can_view(channel_id) else 'no'}")

                await _pay(say, bot, chain, exchange, int(channel_id), sandbox)

                say.step("Eight days pass and nobody has opened the bounty to developers: Setup is over target")
                clock.advance(8 * 86400)
                await bot.timers.run_due()
                await bot.outbox.drain()
                alerts = sandbox.state.messages[sandbox.state.channel_named("staff-alerts")["id"]]
                say.sees("staff", Reply(alerts[-1]), "#staff-alerts")

                say.step("Erin checks the status")
                status = await exchange.run("bounty status", channel=int(channel_id))
                say.sees(exchange, status.reply)

                await _github(say, bot, github, (staff, exchange, developer), int(channel_id), clock)
                await _testing(say, bot, github, (staff, exchange, developer), int(channel_id), clock)
                cast = (staff, exchange, developer, outsider)
                await _governance(say, bot, hub, cast, int(channel_id), clock)
                await _release(say, bot, github, chain, cast, int(channel_id), clock)
                await _guarantee(say, bot, sandbox, staff, clock)
                violations = list(sandbox.violations) + [f"GitHub: {v}" for v in github.violations]
                violations += [f"Snapshot: {v}" for v in hub.violations]
    finally:
        await sandbox.stop()
        await solana.stop()
        await hub.stop()
        await github.stop()
        if chain is not None:
            await chain.stop()
    elapsed = time.perf_counter() - started
    checked = "validated against Discord's OpenAPI description" if sandbox.validator else "not validated (spec missing)"
    print(
        f"\nDemo complete in {elapsed:.1f}s: {len(sandbox.requests)} Discord requests, {checked}; "
        f"{len(violations)} violation(s)."
    )
    for violation in violations:
        print(f"  - {violation[:300]}")
    return 0 if not violations else 1


async def _pay(
    say: Narrator,
    bot: BountyBot,
    chain: LocalChain | None,
    exchange: SandboxUser,
    channel_id: int,
    sandbox: DiscordSandbox,
) -> None:
    say.step("Erin asks how to pay")
    shown = await exchange.run("pay instructions", channel=channel_id)
    say.sees(exchange, shown.reply)
    say.note(f"attached QR codes: {', '.join(a['filename'] for a in shown.reply.attachments)}")
    if chain is None:
        say.note("(local chain skipped: run `npm ci --prefix tools` to install anvil and solcjs)")
        return
    payer = chain.accounts[1]
    say.step("Erin registers the paying wallet and sends 10,000 USDC on the local Ethereum (anvil, chain id 1)")
    registered = await exchange.run("pay wallet", channel=channel_id, chain="ethereum", address=payer)
    say.sees(exchange, registered.reply)
    await chain.mint(chain.tokens["USDC"], payer, 10_000 * 10**6)
    tx = await chain.transfer(chain.tokens["USDC"], payer, bot.config.chains["ethereum"].receiver, 10_000 * 10**6)
    say.note(f"transaction {tx}")
    early = await exchange.run("pay submit", channel=channel_id, chain="ethereum", tx=tx)
    say.sees(exchange, early.reply)
    say.step("The transfer becomes final; the bot's watcher finds it without anyone asking")
    await chain.finalize()
    report = await bot.watch.scan()
    await bot.outbox.drain()
    say.note(f"watcher pass: {report.found} payment(s) found")
    for message in sandbox.state.messages[str(channel_id)][-2:]:
        say.sees("Erin and staff", Reply(message), "the bounty channel")


async def _github(
    say: Narrator,
    bot: BountyBot,
    github: GitHubSandbox,
    people: tuple[SandboxUser, SandboxUser, SandboxUser],
    channel_id: int,
    clock: ManualClock,
) -> None:
    staff = people[0]
    if not github.issues:  # no local chain: staff record the fee by hand so the story goes on
        await staff.run("bounty advance", channel=channel_id, to="funded", reason="escrow")
    await _settle(bot, clock)
    say.step("What went to GitHub on funding (day 7): the public issue and the Bounties Board")
    for issue in github.issues.values():
        say.note(f"issue #{issue['number']}: {issue['title']}  {issue['html_url']}")
        say.note(f"labels: {', '.join(label['name'] for label in issue['labels'])}")
        for line in (issue["body"] or "").splitlines()[1:12]:
            say.note(f"  │ {line}")
    for item in github.board_items.values():
        say.note(f"Bounties Board status: {item['status']}")
    await _development(say, bot, github, people, channel_id, clock)
    if github.violations:
        say.note(f"GitHub description mismatches: {len(github.violations)}")


async def _settle(bot: BountyBot, clock: ManualClock) -> None:
    for _ in range(4):
        await bot.outbox.drain()
        clock.advance(60)


async def _until(
    say: Narrator, bot: BountyBot, clock: ManualClock, kind: str, channel_id: int, subject: str = "bounty:1"
) -> dict[str, Any]:
    """Move the clock to `subject`'s next `kind` timer, fire what is due and deliver it; returns the newest post
    in `channel_id` from then (an empty dict if it posted nothing there)."""
    from bot.store import timers

    due = min(t.due_at for t in await timers.pending(bot.db.conn, subject) if t.kind == kind)
    clock.advance(max(0, due - clock.now()))
    seen = len(say.state.messages[str(channel_id)])
    await bot.timers.run_due()
    await _settle(bot, clock)
    posted = say.state.messages[str(channel_id)][seen:]
    return posted[-1] if posted else {}


def _comment_text(body: str) -> str:
    return body.split("\n", 1)[1] if body.startswith("<!--") else body


async def _development(
    say: Narrator,
    bot: BountyBot,
    github: GitHubSandbox,
    people: tuple[SandboxUser, SandboxUser, SandboxUser],
    channel_id: int,
    clock: ManualClock,
) -> None:
    sandbox_state = say.state
    staff, exchange, dev = people
    say.step("Sam assigns Dana as the developer: /bounty assign")
    kickoff = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.now() + 2 * 86400))
    done = await staff.run("bounty assign", channel=channel_id, developer=dev, github="dana-dev", kickoff=kickoff)
    say.sees(staff, done.reply)
    await _settle(bot, clock)
    say.sees(
        "Erin, Dana and staff", Reply(_last(sandbox_state, channel_id, "Developer assigned")), "the bounty channel"
    )
    for event in sandbox_state.events.values():
        if event["name"].startswith("Kick-off"):
            say.note(f"scheduled event: {event['name']} at {event['scheduled_start_time']}")
    issue = github.issues[1]
    for comment in github.comments.get(1, []):
        say.note("GitHub comment: " + _comment_text(comment["body"]))
    say.note(f"GitHub labels now: {', '.join(label['name'] for label in issue['labels'])}")
    for item in github.board_items.values():
        say.note(f"Bounties Board status: {item['status']}")

    say.step("Dana's weekly prompt arrives on the day and hour of Dana's settings; Dana answers it with its button")
    prompt = await _until(say, bot, clock, "weekly_prompt", channel_id)
    say.sees("Dana", Reply(prompt), "the bounty channel")
    opened = await dev.click(Reply(prompt), "Post my update")
    say.modal(dev, opened)
    posted = await dev.submit(
        opened,
        {
            "done": "Authentication and the order book stream. Thanks @erin for the API keys.",
            "next": "Order placement and cancellation",
            "blockers": "",
            "percent": "35",
        },
    )
    say.sees(dev, posted.reply)
    await _settle(bot, clock)
    say.sees("Erin", Reply(_last(sandbox_state, channel_id, "Weekly update")), "the bounty channel")
    say.note("GitHub comment: " + _comment_text(github.comments[1][-1]["body"]).replace("\n", " "))

    say.step("Week 2: the next prompt; Dana answers with /update post")
    await _until(say, bot, clock, "weekly_prompt", channel_id)
    opened = await dev.run("update post", channel=channel_id)
    posted = await dev.submit(
        opened,
        {"done": "Order placement and cancellation", "next": "Balances and fees", "blockers": "", "percent": "60"},
    )
    say.sees(dev, posted.reply)
    await _settle(bot, clock)

    say.step("Week 3: Dana goes quiet. A reminder at 80% of the week, a follow-up the next day, staff after 3 days")
    await _until(say, bot, clock, "weekly_prompt", channel_id)
    reminder = await _until(say, bot, clock, "weekly_reminder", channel_id)
    say.sees("Dana", Reply(reminder), "the bounty channel")
    await _until(say, bot, clock, "weekly_prompt", channel_id)  # the week ends without an update
    follow_up = await _until(say, bot, clock, "weekly_follow_up", channel_id)
    say.sees("Dana", Reply(follow_up), "the bounty channel")
    await _until(say, bot, clock, "weekly_escalation", channel_id)
    staff_alerts = sandbox_state.channel_named("staff-alerts")["id"]
    say.sees("staff", Reply(_last(sandbox_state, staff_alerts, "No weekly update")), "#staff-alerts")
    reassign = next((m for m in reversed(sandbox_state.messages[staff_alerts]) if "Reassign?" in Reply(m).text), None)
    if reassign is not None:
        say.sees("staff", Reply(reassign), "#staff-alerts (a one-click Reassign; Sam waits a little longer)")

    say.step("Dana ticks the first two tasks: /checklist")
    shown = await dev.run("checklist", channel=channel_id)
    menu = shown.reply.selects[0]
    ticked = await dev.choose(shown.reply, menu["custom_id"], [o["value"] for o in menu["options"][:2]])
    say.sees(dev, ticked.reply)
    await _settle(bot, clock)
    say.note("the issue's task list on GitHub:")
    for line in issue["body"].splitlines():
        if line.startswith("- ["):
            say.note(f"  │ {line}")

    say.step("Erin finds a bug while testing: /bug report")
    reported = await exchange.run(
        "bug report",
        channel=channel_id,
        severity="critical",
        title="Orders rejected after reconnect",
        description="After the websocket reconnects, every new order is rejected with an invalid signature.",
    )
    say.sees(exchange, reported.reply)
    await _settle(bot, clock)
    bug_issue = github.issues[max(github.issues)]
    say.note(f"GitHub issue #{bug_issue['number']}: {bug_issue['title']}")
    say.note(f"labels: {', '.join(label['name'] for label in bug_issue['labels'])}")
    say.note("GitHub comment on the bounty issue: " + _comment_text(github.comments[1][-1]["body"]))

    say.step("Dana fixes it and a maintainer closes the bug's issue on GitHub; Dana comments there too")
    github.set_open(bug_issue["number"], False)
    github.add_comment(bug_issue["number"], "Fixed: the nonce is reset on reconnect.", author="dana-dev")
    assert bot.github_client is not None
    acted = await bot.github_events.poll_once(bot.github_client, bot.config.github.api_base_url)
    await _settle(bot, clock)
    say.note(f"GitHub poll (conditional requests): {acted} change(s) acted on")
    say.sees("Erin", Reply(_last(sandbox_state, channel_id, "resolved")), "the bounty channel")

    say.step("Erin checks the status")
    status = await exchange.run("bounty status", channel=channel_id)
    say.sees(exchange, status.reply)
    say.note(f"timeline picture: {_keep_picture(status.reply)}")


async def _testing(
    say: Narrator,
    bot: BountyBot,
    github: GitHubSandbox,
    people: tuple[SandboxUser, SandboxUser, SandboxUser],
    channel_id: int,
    clock: ManualClock,
) -> None:
    """Testing & QA: results recorded with evidence, a critical bug fixed in time, a major one breaching, the gate."""
    from bot.domain.qa import ITEMS, QaGroup
    from bot.store import bugs

    staff, exchange, dev = people
    sandbox_state = say.state
    staff_alerts = sandbox_state.channel_named("staff-alerts")["id"]
    say.step("Dana's pull request is up: Sam moves bounty #1 to testing")
    moved = await staff.run("bounty advance", channel=channel_id, to="testing", reason="PR #4242 submitted")
    say.sees(staff, moved.reply)
    await _settle(bot, clock)

    async def record(person: SandboxUser, key: str, values: dict[str, str], *, show: bool = False) -> Reply:
        shown = await person.run("checklist", channel=channel_id, checklist="qa")
        menu = shown.reply.selects[0]
        form = await person.choose(shown.reply, menu["custom_id"], [key])
        if show:
            say.modal(person, form)
        done = await person.submit(form, values)
        return done.reply

    evidence = "https://github.com/hummingbot/hummingbot/actions/runs/4242"
    staff_items = [i for i in ITEMS if i.group is not QaGroup.EXCHANGE]
    failing = next(i for i in staff_items if "error recovery" in i.label.lower())
    say.step("Sam runs the functional and integration tests and records each result with its evidence")
    for n, item in enumerate(staff_items):
        if item is failing:
            continue
        reply = await record(staff, item.key, {"result": "pass", "note": f"Green: {evidence}"}, show=n == 0)
        if n == 0:
            say.sees(staff, reply)
    say.note(f"{len(staff_items) - 1} items recorded as passing")

    say.step("Error recovery fails: Sam records the fail and opens a critical bug in the same form")
    failed = await record(
        staff, failing.key, {"result": "fail", "note": "Open orders lost after a 30 s disconnect", "bug": "critical"}
    )
    say.sees(staff, failed)
    await _settle(bot, clock)
    say.sees("Dana", Reply(_last(sandbox_state, channel_id, "QA failed")), "the bounty channel")
    critical = max(github.issues)  # the bug's own GitHub issue is the newest
    critical_bug = max(b.id for b in await bugs.for_bounty(bot.db.conn, 1))

    say.step("Sam tries to move the bounty to governance anyway: the QA gate refuses")
    gate = await staff.run("bounty advance", channel=channel_id, to="governance", reason="QA done")
    say.sees(staff, gate.reply)

    say.step("Erin reports a major bug: balances are stale after a partial fill")
    major = await exchange.run(
        "bug report",
        channel=channel_id,
        severity="major",
        title="Balances stale after a partial fill",
        description="After a partial fill the available balance is not updated until the next reconnect.",
    )
    say.sees(exchange, major.reply)
    await _settle(bot, clock)

    say.step("Ten hours later Dana fixes the critical bug, well within its 24 hours: /bug resolve")
    clock.advance(10 * 3600)
    await bot.timers.run_due()
    fixed = await dev.run(
        "bug resolve", channel=channel_id, id=critical_bug, note="Open orders are re-read after every reconnect"
    )
    say.sees(dev, fixed.reply)
    await _settle(bot, clock)
    say.note(f"GitHub issue #{critical} open: {github.issues[critical]['state'] == 'open'}")
    again = await record(staff, failing.key, {"result": "pass", "note": f"Fixed, green again: {evidence}"})
    say.sees(staff, again)

    say.step("Nobody gets to the major bug: its warnings at 50% and 90% of 48 hours, then the breach")
    for _ in range(3):
        told = await _until(say, bot, clock, "bug_sla", channel_id, subject=f"bug:{critical_bug + 1}")
        say.sees("Erin and Dana", Reply(told), "the bounty channel")
    say.sees("staff", Reply(_last(sandbox_state, staff_alerts, "breach")), "#staff-alerts")
    breached = github.issues[max(github.issues)]
    say.note(f"GitHub labels of issue #{breached['number']}: {', '.join(lb['name'] for lb in breached['labels'])}")
    listed = await exchange.run("bug list", channel=channel_id)
    say.sees(exchange, listed.reply)
    clock.advance(6 * 3600)
    late = await dev.run("bug resolve", channel=channel_id, id=critical_bug + 1, note="Balance refreshed on fills")
    say.sees(dev, late.reply)
    await _settle(bot, clock)

    say.step("Erin and Tom's team validate the connector on production and record their items")
    for item in (i for i in ITEMS if i.group is QaGroup.EXCHANGE):
        reply = await record(exchange, item.key, {"result": "pass", "note": "Traded live with small size for 2 days"})
    say.sees(exchange, reply)
    await _settle(bot, clock)
    say.note("GitHub comment: " + _comment_text(github.comments[1][-1]["body"]).replace("\n", " "))

    say.step("Sam looks at the SLA figures: /report sla")
    report = await staff.run("report sla", channel=channel_id, bounty=1)
    say.sees(staff, report.reply)
    say.note(f"attached: {', '.join(a['filename'] for a in report.reply.attachments)}")

    say.step("Every QA item passes: Sam moves bounty #1 to governance")
    done = await staff.run("bounty advance", channel=channel_id, to="governance", reason="QA complete")
    say.sees(staff, done.reply)
    await _settle(bot, clock)


async def _run_until(bot: BountyBot, clock: ManualClock, at: int) -> None:
    """Move the clock to `at` (never back), fire what is due, deliver it, and decide on what outside systems
    answered (a Snapshot read is queued, then decided in a change of its own)."""
    clock.advance(max(0, at - clock.now()))
    for _ in range(3):
        await bot.timers.run_due()
        await _settle(bot, clock)


def _titled(state: Any, channel: str | int, prefix: str) -> dict[str, Any]:
    """The newest message in `channel` (a name or an id) whose embed title starts with `prefix`."""
    key = str(channel) if str(channel).isdigit() else state.channel_named(str(channel))["id"]
    return next(
        m
        for m in reversed(state.messages.get(key, []))
        if m.get("embeds") and m["embeds"][0].get("title", "").startswith(prefix)
    )


async def _governance(
    say: Narrator,
    bot: BountyBot,
    hub: SnapshotHub,
    people: tuple[SandboxUser, SandboxUser, SandboxUser, SandboxUser],
    channel_id: int,
    clock: ManualClock,
) -> None:
    """The community's vote: the proposal checklist, alerts, the Snapshot proposal tracked to its result."""
    staff, outsider = people[0], people[3]
    state = say.state
    say.step("Sam records the proposal checklist: /governance checklist")
    for item, note in (
        ("specification", "https://github.com/hummingbot/hummingbot/issues/1"),
        ("testing", "https://github.com/hummingbot/hummingbot/actions/runs/4242"),
        ("maintenance", "https://hummingbot.org/governance/backpack-maintenance"),
    ):
        done = await staff.run("governance checklist", channel=channel_id, bounty=1, item=item, note=note)
    say.sees(staff, done.reply)

    say.step("Olga wants to hear about votes: /alerts on and /alerts dm on")
    for command in ("alerts on", "alerts dm on"):
        answer = await outsider.run(command, channel="general")
        say.sees(outsider, answer.reply)

    start = clock.now() + 8 * 86400
    proposal = hub.add(start=start, end=start + 7 * 86400, title="NCP-27: a Backpack connector for Hummingbot")
    link = f"https://snapshot.org/#/{proposal.space}/proposal/{proposal.id}"
    say.step("Sam links the Snapshot proposal: /governance link (the discussion opens)")
    linked = await staff.run("governance link", channel=channel_id, bounty=1, proposal=link)
    say.sees(staff, linked.reply)
    await _run_until(bot, clock, clock.now())
    say.sees("the community", Reply(_titled(state, "governance", "Discussion open")), "#governance")
    if outsider.dms():
        say.sees(outsider, outsider.dms()[-1], "a DM")

    say.step("Eight days later the vote opens on Snapshot; the bot reads it and announces it")
    await _run_until(bot, clock, proposal.start)
    say.sees("the community", Reply(_titled(state, "governance", "Vote open")), "#governance")
    await _run_until(bot, clock, proposal.end - 86400)
    say.sees("the community", Reply(_titled(state, "governance", "24 hours left")), "#governance")

    say.step("HBOT holders vote; the vote closes and the hub's count becomes final")
    hub.vote(proposal.id, [3_200_000.0, 1_100_000.0, 200_000.0], votes=148)
    await _run_until(bot, clock, proposal.end + 60)
    say.sees("the community", Reply(_titled(state, "governance", "Vote passed")), "#governance")
    say.sees("Erin", Reply(_last(state, channel_id, "approved")), "the bounty channel")


async def _release(
    say: Narrator,
    bot: BountyBot,
    github: GitHubSandbox,
    chain: LocalChain | None,
    people: tuple[SandboxUser, SandboxUser, SandboxUser, SandboxUser],
    channel_id: int,
    clock: ManualClock,
) -> None:
    """The release, the developer's payout and the maintenance year: a monthly report and the renewal."""
    from bot.services.maintenance import RENEWAL_NOTICE
    from bot.services.reports import MONTHLY_REPORT

    staff, exchange = people[0], people[1]
    state = say.state
    say.step("The connector ships in Hummingbot 2.14.0: /release record")
    released = await staff.run("release record", channel=channel_id, bounty=1, version="2.14.0")
    say.sees(staff, released.reply)
    await _settle(bot, clock)
    say.sees("everyone", Reply(state.messages[state.channel_named("announcements")["id"]][-1]), "#announcements")

    say.step("The Foundation pays Dana's portion: /bounty payout record")
    payout = await staff.run("bounty payout record", channel=channel_id, tx="0x" + "5a" * 32)
    say.sees(staff, payout.reply)
    await _settle(bot, clock)
    for item in github.board_items.values():
        say.note(f"Bounties Board status: {item['status']}")

    say.step("A month in: Sam records the connector's users and volume, and the first monthly report goes out")
    usage = await staff.run("report usage", channel=channel_id, bounty=1, users="64", volume="1,350,000")
    say.sees(staff, usage.reply)
    report = await _until(say, bot, clock, MONTHLY_REPORT, channel_id)
    say.sees("Erin and Dana", Reply(report), "the bounty channel")
    say.note("GitHub comment: " + _comment_text(github.comments[1][-1]["body"]).replace("\n", " ")[:300])

    say.step("Sixty days before the maintenance year ends: the renewal notice, and a renewal due of 2,000")
    await _until(say, bot, clock, RENEWAL_NOTICE, channel_id)
    say.sees("Erin", Reply(_titled(state, channel_id, "Maintenance renewal")), "the bounty channel")
    shown = await exchange.run("pay instructions", channel=channel_id)
    say.sees(exchange, shown.reply)
    if chain is None:
        return
    say.step("Erin renews: 2,000 USDC from the registered wallet; the watcher finds it")
    payer = chain.accounts[1]
    await chain.mint(chain.tokens["USDC"], payer, 2_000 * 10**6)
    await chain.transfer(chain.tokens["USDC"], payer, bot.config.chains["ethereum"].receiver, 2_000 * 10**6)
    await chain.finalize()
    found = await bot.watch.scan()
    await _settle(bot, clock)
    say.note(f"watcher pass: {found.found} payment(s) found")
    say.sees("Erin", Reply(_last(state, channel_id, "renewed")), "the bounty channel")


def _keep_picture(reply: Reply) -> Path:
    """The picture attached to a status, saved where it outlives the demo (its database's folder does not)."""
    attachment = next(a for a in reply.attachments if a["filename"] == "timeline.png")
    path = Path(tempfile.mkdtemp(prefix="bountybot-demo-")) / attachment["filename"]
    path.write_bytes(attachment["_data"])
    return path


async def _guarantee(
    say: Narrator, bot: BountyBot, sandbox: DiscordSandbox, staff: SandboxUser, clock: ManualClock
) -> None:
    """The delivery guarantee, on a second bounty nobody delivers: alerts at days 60, 80 and 90 after funding,
    then the fee goes back. Kraken pays by escrow (option B), so the refund goes back by wire."""
    from bot.services.guarantee import GUARANTEE
    from bot.store import timers

    kai = add_user(sandbox, "Kai (Kraken)")
    say.step("Kai (Kraken) starts bounty #2 and pays by escrow; Sam confirms the wire")
    opened = await kai.run("bounty start", channel="developer")
    intro = time.strftime("%Y-%m-%d %H:%M", time.gmtime(clock.now() + 3 * 86400))
    step1 = await kai.submit(
        opened,
        {
            "exchange": "Kraken",
            "website": "https://kraken.com",
            "subtypes": ["spot"],
            "contact": "Kai, kai@kraken.com",
            "timeline": f"This quarter. Intro call {intro} UTC",
        },
    )
    opened2 = await kai.click(step1.reply, "Continue: technical details")
    await kai.submit(
        opened2,
        {
            "api_docs": "https://docs.kraken.com/api/docs/rest-api\nhttps://docs.kraken.com/api/docs/websocket-v2",
            "auth_method": "HMAC-SHA512 signed requests",
            "rate_limits": "Decaying counter per API key",
            "testnet_url": "none",
            "special_features": "none",
        },
    )
    await bot.outbox.drain()
    two = await bot.services.bounties.status(_actor(staff), 2, None)
    channel_id = int(two.bounty.channel_id or 0)
    for state in ("review", "awaiting_payment"):
        await staff.run("bounty advance", channel=channel_id, to=state, reason="docs complete")
    await kai.run("pay escrow", channel=channel_id)
    paid = await staff.run("pay confirm-escrow", channel=channel_id, reference="KRAKEN-WIRE-1", amount="10000")
    say.sees(staff, paid.reply)
    await _settle(bot, clock)

    alerts = [t for t in await timers.pending(bot.db.conn, "bounty:2") if t.kind == GUARANTEE]
    for alert in sorted(alerts, key=lambda t: t.due_at):
        day = alert.payload["day"]
        say.step(f"Day {day} after funding, and nobody has delivered bounty #2: the delivery guarantee")
        clock.advance(max(0, alert.due_at - clock.now()))
        await bot.timers.run_due()
        await _settle(bot, clock)
        staff_alerts = say.state.channel_named("staff-alerts")["id"]
        say.sees("staff", Reply(_last(say.state, staff_alerts, "Delivery")), "#staff-alerts")
    say.sees("Kai", Reply(_last(say.state, channel_id, "Delivery overdue")), "the bounty channel")
    say.step("Kai asks for the refund; the Foundation wires 10,000 USD back and Sam records it")
    done = await staff.run("bounty refund", channel=channel_id, amount="10000", via="wire", reference="FND-REFUND-2")
    say.sees(staff, done.reply)
    await _settle(bot, clock)
    say.sees("Kai", Reply(_last(say.state, channel_id, "Refund sent")), "the bounty channel")


def _last(state: Any, channel_id: int, needle: str) -> dict[str, Any]:
    return next(m for m in reversed(state.messages[str(channel_id)]) if needle in Reply(m).text)


def _actor(user: SandboxUser):
    from bot.domain.access import Actor

    return Actor(user.id, is_staff=True)
