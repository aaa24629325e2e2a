"""Two things at once: a change applies only to the state it was decided on, and two bots on one database
never fire a timer or deliver an outbox item twice (nor fail to start, nor leave each other's claims stuck).

A race through one bot is forced in a known order, honestly: the test holds a change open (as if another
command were committing at that moment), starts each command in turn and waits until it has read what it
decides on and queued behind that change; then it lets them all go. Every command has read the bounty before
any of them writes, which is exactly the window two people pressing Enter at once open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from bot.app import BountyBot
from bot.changes import Changes
from bot.clock import ManualClock
from bot.config import Config, OutboxConfig
from bot.domain.errors import Conflict
from bot.domain.lifecycle import Role, State
from bot.domain.models import MemberRole
from bot.domain.notices import Notice
from bot.outbox import Outbox
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.users import Outcome, Reply, SandboxUser, add_user
from bot.sandbox.evm import LocalChain
from bot.sandbox.harness import running_bot
from bot.services.lifecycle import transition
from bot.store import audit, bounties, developers, payments, timers
from bot.store import outbox as outbox_store
from bot.store.db import discover_migrations, open_database
from tests.conftest import START, People
from tests.intake_helpers import start_bounty

RECEIVER_ETH = "0x60D581aEa0644e74df60c7555e5166d32665d6b6"
USDC = 10**6
ONE_FEE_BY_WIRE = 10_000 * 100  # cents


async def until(condition: Callable[[], bool], what: str, tries: int = 5000) -> None:
    """Let the bot run until `condition` holds (a few milliseconds at most, in practice)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"gave up waiting: {what}")


async def in_order(bot: BountyBot, *commands: Coroutine[Any, Any, Outcome]) -> list[Outcome]:
    """Run `commands` so that each reads the bounty before any writes, and they commit in the order given."""
    tasks: list[asyncio.Task[Outcome]] = []
    async with bot.changes.begin():
        for n, command in enumerate(commands, 1):
            task = asyncio.create_task(command)
            tasks.append(task)
            await until(lambda n=n, task=task: bot.db.waiting == n or task.done(), f"command {n} to queue")
            assert not task.done(), f"command {n} answered before writing: {task.result().reply.text}"
    return list(await asyncio.gather(*tasks))


async def state_changes(bot: BountyBot, bounty_id: int = 1) -> list[tuple[str, str]]:
    return [
        (str(e.detail["old"]), str(e.detail["new"]))
        for e in await audit.for_bounty(bot.db.conn, bounty_id)
        if e.action == "state_changed"
    ]


async def actions(bot: BountyBot, action: str, bounty_id: int = 1) -> int:
    return sum(e.action == action for e in await audit.for_bounty(bot.db.conn, bounty_id))


async def outbox_keys(bot: BountyBot, like: str) -> list[str]:
    rows = await bot.db.conn.execute_fetchall("SELECT key FROM outbox WHERE key LIKE ? ORDER BY id", (like,))
    return [str(r[0]) for r in rows]


async def periods(bot: BountyBot, bounty_id: int = 1) -> list[str]:
    return [p.state.value for p in await bounties.state_periods(bot.db.conn, bounty_id)]


async def opened(bot: BountyBot, people: People, *, to: tuple[str, ...] = ()) -> int:
    """A bounty started by the exchange, moved by staff through `to`; returns its channel."""
    await start_bounty(people.exchange)
    await bot.outbox.drain()
    bounty = (await bounties.list_all(bot.db.conn))[-1]
    assert bounty.channel_id is not None
    for state in to:
        moved = await people.staff.run("bounty advance", channel=bounty.channel_id, to=state, reason="escrow WIRE-7")
        assert "Bounty #" in moved.reply.text, moved.reply.text
    # Nothing left for the workers: nothing but the raced commands may queue for a change.
    await bot.outbox.drain()
    return bounty.channel_id


@pytest.fixture
def dev(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Dana Developer", roles=("bounty-contributor",))


@pytest.fixture
def dev2(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Devi Second", roles=("bounty-contributor",))


@pytest.fixture
def staff2(sandbox: DiscordSandbox) -> SandboxUser:
    return add_user(sandbox, "Sol Staff", roles=("hummingbot-foundation",))


# --- a cancel against a payment -----------------------------------------------------------------------


@pytest.mark.parametrize("canceller", ["exchange", "staff"])
async def test_a_cancel_decided_before_a_payment_landed_is_refused_and_says_so(
    bot: BountyBot, people: People, canceller: str
) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment"))
    paid, cancel = await in_order(
        bot,
        people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000"),
        getattr(people, canceller).run("bounty cancel", channel=channel, reason="changed plans"),
    )
    assert "Bounty #1 is now funded" in paid.reply.text
    assert cancel.reply.ephemeral and cancel.reply.text == (
        "Bounty #1 moved from `awaiting payment` to `funded` meanwhile (Fee paid: 10,000 USD by escrow); "
        "run the command again to see what is allowed now."
    )
    # One outcome: funded, its fee counted once, nothing to refund, its Setup clock still running.
    bounty = await bounties.get(bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.FUNDED
    assert (await state_changes(bot))[-1] == ("awaiting_payment", "funded")
    assert ("awaiting_payment", "cancelled") not in await state_changes(bot)
    assert [p.key for p in await payments.for_bounty(bot.db.conn, 1)] == ["escrow:WIRE-1:0"]
    assert await payments.refund_flags(bot.db.conn, 1) == []
    assert await outbox_keys(bot, "%refund%") == []
    # Its Setup clock, the whole process's (4 and 8 weeks) and the delivery guarantee's three alerts (days 60,
    # 80, 90) run, as for any funded bounty.
    pending = sorted(t.kind for t in await timers.pending(bot.db.conn, "bounty:1"))
    assert pending == ["delivery_guarantee"] * 3 + ["phase_overrun"] + ["total_overrun"] * 2
    assert await periods(bot) == ["intake", "review", "awaiting_payment", "funded"]


async def test_a_payment_landing_after_a_cancel_is_flagged_for_refund(bot: BountyBot, people: People) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment"))
    cancel, paid = await in_order(
        bot,
        people.exchange.run("bounty cancel", channel=channel, reason="changed plans"),
        people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000"),
    )
    assert cancel.reply.text == "Bounty #1 for Backpack is cancelled."
    assert "is `cancelled` and owes nothing: staff will refund it" in paid.reply.text
    bounty = await bounties.get(bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.CANCELLED
    assert [c for c in await state_changes(bot) if c[0] == "awaiting_payment"] == [("awaiting_payment", "cancelled")]
    assert await payments.refund_flags(bot.db.conn, 1) == [("escrow:WIRE-1:0", "cancelled", ONE_FEE_BY_WIRE)]
    # The payment's own refund alert, once; the cancel had nothing to refund when it was made.
    assert await outbox_keys(bot, "%refund%") == ["refund:escrow:WIRE-1:0"]
    assert await timers.pending(bot.db.conn, "bounty:1") == []


async def test_an_on_chain_payment_and_a_cancel_at_once_end_funded_with_one_answer_each(
    pay_bot: BountyBot, people: People, eth_chain: LocalChain
) -> None:
    channel = await opened(pay_bot, people, to=("review", "awaiting_payment"))
    payer = eth_chain.accounts[1]
    await people.exchange.run("pay wallet", channel=channel, chain="ethereum", address=payer)
    await pay_bot.outbox.drain()
    await eth_chain.mint(eth_chain.tokens["USDC"], payer, 10_000 * USDC)
    tx = await eth_chain.transfer(eth_chain.tokens["USDC"], payer, RECEIVER_ETH, 10_000 * USDC)
    await eth_chain.finalize()
    paid, cancel = await in_order(
        pay_bot,
        people.exchange.run("pay submit", channel=channel, chain="ethereum", tx=tx),
        people.exchange.run("bounty cancel", channel=channel, reason="changed plans"),
    )
    assert "Bounty #1 is now funded" in paid.reply.text
    assert "moved from `awaiting payment` to `funded` meanwhile (Fee paid: 10,000 USDC on Ethereum)" in (
        cancel.reply.text
    )
    bounty = await bounties.get(pay_bot.db.conn, 1)
    assert bounty is not None and bounty.state is State.FUNDED
    assert await payments.refund_flags(pay_bot.db.conn, 1) == []


# --- two reviews ----------------------------------------------------------------------------------------


async def test_two_reviews_at_once_open_the_review_once(bot: BountyBot, people: People, staff2: SandboxUser) -> None:
    channel = await opened(bot, people)
    first, second = await in_order(
        bot,
        people.staff.run("bounty review", channel=channel, item="api_docs", result="ok"),
        staff2.run("bounty review", channel=channel, item="authentication", result="ok"),
    )
    assert "Bounty #1 is now **review**" in first.reply.text
    assert "Recorded **" in second.reply.text and "is now" not in second.reply.text
    assert await state_changes(bot) == [("intake", "review")]
    assert await periods(bot) == ["intake", "review"]
    assert await actions(bot, "review_recorded") == 2
    assert len(await outbox_keys(bot, "bounty:1:state:%")) == 1
    assert len(await outbox_keys(bot, "staff:state:%")) == 1


async def test_two_reviews_completing_at_once_ask_for_payment_once(
    bot: BountyBot, people: People, staff2: SandboxUser
) -> None:
    channel = await opened(bot, people)
    for item in ("api_docs", "authentication", "rate_limits", "testnet"):
        await people.staff.run("bounty review", channel=channel, item=item, result="ok")
    await bot.outbox.drain()
    first, second = await in_order(
        bot,
        people.staff.run("bounty review", channel=channel, item="special_features", result="ok"),
        staff2.run("bounty review", channel=channel, item="special_features", result="ok", note="Sub-accounts"),
    )
    assert "is now **awaiting payment**" in first.reply.text
    assert "Recorded **" in second.reply.text and "is now" not in second.reply.text
    assert await state_changes(bot) == [("intake", "review"), ("review", "awaiting_payment")]
    assert await periods(bot) == ["intake", "review", "awaiting_payment"]


# --- two assignments -----------------------------------------------------------------------------------


async def developer_members(bot: BountyBot) -> list[int]:
    return [m.user_id for m in await bounties.members(bot.db.conn, 1) if m.role is MemberRole.DEVELOPER]


async def test_two_assignments_at_once_assign_one_developer(
    bot: BountyBot, people: People, staff2: SandboxUser, dev: SandboxUser, dev2: SandboxUser
) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment", "funded"))
    first, second = await in_order(
        bot,
        people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev"),
        staff2.run("bounty assign", channel=channel, developer=dev2, github="devi-two"),
    )
    assert "builds bounty #1" in first.reply.text and "is now **development**" in first.reply.text
    assert second.reply.text == (
        "Bounty #1 moved from `funded` to `development` meanwhile (Developer dana-dev (GitHub) assigned); "
        "run the command again to see what is allowed now."
    )
    assignment = await developers.for_bounty(bot.db.conn, 1)
    assert assignment is not None and (assignment.user_id, assignment.github_login) == (dev.id, "dana-dev")
    assert await developer_members(bot) == [dev.id]
    assert await actions(bot, "developer_assigned") == 1
    assert (await state_changes(bot))[-2:] == [("funded", "open"), ("open", "development")]
    assert len(await outbox_keys(bot, "bounty:1:kickoff:%")) == 1
    await bot.outbox.drain()
    assert dev.can_view(channel) and not dev2.can_view(channel)


async def test_two_reassignments_at_once_leave_one_developer_in_the_channel(
    bot: BountyBot, people: People, staff2: SandboxUser, dev: SandboxUser, dev2: SandboxUser, sandbox: DiscordSandbox
) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment", "funded"))
    await people.staff.run("bounty assign", channel=channel, developer=dev, github="dana-dev")
    await bot.outbox.drain()
    dev3 = add_user(sandbox, "Dov Third", roles=("bounty-contributor",))
    first, second = await in_order(
        bot,
        people.staff.run("bounty assign", channel=channel, developer=dev2, github="devi-two"),
        staff2.run("bounty assign", channel=channel, developer=dev3, github="dov-three"),
    )
    assert f"(replacing <@{dev.id}>)" in first.reply.text
    assert second.reply.text == (
        f"The developer of bounty #1 changed meanwhile: it is now <@{dev2.id}> (`devi-two`); "
        "run the command again to see what is allowed now."
    )
    assert await developer_members(bot) == [dev2.id]
    assert await actions(bot, "developer_assigned") == 2  # the first assignment and the one reassignment
    assert await actions(bot, "developer_unassigned") == 1
    await bot.outbox.drain()
    assert dev2.can_view(channel) and not dev.can_view(channel) and not dev3.can_view(channel)


# --- two escrow confirmations ---------------------------------------------------------------------------


async def test_the_same_wire_confirmed_twice_at_once_is_counted_once(
    bot: BountyBot, people: People, staff2: SandboxUser
) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment"))
    first, second = await in_order(
        bot,
        people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000"),
        staff2.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000"),
    )
    assert "Bounty #1 is now funded" in first.reply.text
    assert "This payment was already counted for this bounty." in second.reply.text
    assert [p.key for p in await payments.for_bounty(bot.db.conn, 1)] == ["escrow:WIRE-1:0"]
    assert await actions(bot, "payment_recorded") == 1
    assert (await state_changes(bot))[-1] == ("awaiting_payment", "funded")
    assert await outbox_keys(bot, "bounty:1:payment:%") == ["bounty:1:payment:escrow:WIRE-1:0"]
    assert await outbox_keys(bot, "%refund%") == []


async def test_two_wires_confirmed_at_once_fund_once_and_flag_the_second(
    bot: BountyBot, people: People, staff2: SandboxUser
) -> None:
    channel = await opened(bot, people, to=("review", "awaiting_payment"))
    first, second = await in_order(
        bot,
        people.staff.run("pay confirm-escrow", channel=channel, reference="WIRE-1", amount="10000"),
        staff2.run("pay confirm-escrow", channel=channel, reference="WIRE-2", amount="10000"),
    )
    assert "Bounty #1 is now funded" in first.reply.text
    assert "is `funded` and owes nothing: staff will refund it" in second.reply.text
    assert [c for c in await state_changes(bot) if c[1] == "funded"] == [("awaiting_payment", "funded")]
    assert await payments.refund_flags(bot.db.conn, 1) == [("escrow:WIRE-2:0", "overpaid", ONE_FEE_BY_WIRE)]
    assert await outbox_keys(bot, "%refund%") == ["refund:escrow:WIRE-2:0"]


# --- two bots on one database ---------------------------------------------------------------------------


def titled(sandbox: DiscordSandbox, channel_id: str | int, prefix: str) -> list[Reply]:
    return [r for m in sandbox.state.messages[str(channel_id)] if (r := Reply(m)).text.startswith(prefix)]


async def test_two_bots_on_one_database_fire_a_due_timer_once_and_deliver_each_item_once(
    bot: BountyBot, config: Config, sandbox: DiscordSandbox, people: People, clock: ManualClock
) -> None:
    channel = await opened(bot, people)
    staff_alerts = sandbox.state.channel_named("staff-alerts")["id"]
    async with running_bot(config, clock=clock) as other:
        assert other.db is not bot.db and other.db.path == bot.db.path
        # Eight days pass: the 7-day Setup target is overrun. Both bots are woken by the same clock and both
        # look for due timers and for what to deliver, each through its own connection.
        clock.advance(8 * 86400)
        await asyncio.gather(bot.timers.run_due(), other.timers.run_due())
        # Queued without waking either worker, so both drains find the same items waiting.
        now = clock.now()
        async with bot.db.transaction() as tx:
            for n in range(10):
                notice = Notice(f"Ping {n}", "One of ten.").to_payload()
                await outbox_store.enqueue(tx, key=f"ping:{n}", kind="staff.post", payload={"notice": notice}, now=now)
        await asyncio.gather(bot.outbox.drain(), other.outbox.drain(), bot.outbox.drain(), other.outbox.drain())
        await asyncio.gather(bot.outbox.drain(), other.outbox.drain())
        assert await asyncio.gather(bot.timers.run_due(), other.timers.run_due()) == [0, 0]

    assert len(titled(sandbox, staff_alerts, "Overrun: bounty #1 Backpack")) == 1
    assert len(titled(sandbox, channel, "Overrun: bounty #1 Backpack")) == 1
    assert await actions(bot, "phase_overrun") == 1
    for n in range(10):
        assert len(titled(sandbox, staff_alerts, f"Ping {n}")) == 1, f"ping {n}"
        item = await outbox_store.get(bot.db.conn, f"ping:{n}")
        assert item is not None and item.status == "done" and item.attempts == 1


async def test_two_bots_migrating_one_new_database_at_once_both_start(tmp_path: Path) -> None:
    one, two = await open_database(tmp_path / "new.db"), await open_database(tmp_path / "new.db")
    try:
        applied = await asyncio.gather(one.migrate(), two.migrate())
        # Each migration applied once, by whichever got there first; neither start failed.
        assert sorted(m.version for a in applied for m in a) == [m.version for m in discover_migrations()]
        shipped = [m.version for m in discover_migrations()]
        assert await one.schema_version() == await two.schema_version() == shipped[-1]
        versions = await one.conn.execute_fetchall("SELECT version FROM schema_migrations ORDER BY version")
        assert [int(v[0]) for v in versions] == shipped
    finally:
        await one.close()
        await two.close()


async def test_a_wait_for_an_item_another_bot_delivered_still_sees_it_done(tmp_path: Path) -> None:
    one, two = await open_database(tmp_path / "o.db"), await open_database(tmp_path / "o.db")
    try:
        await one.migrate()
        clock = ManualClock(START)
        here, there = (Outbox(Changes(db, clock), clock, OutboxConfig()) for db in (one, two))
        delivered: list[str] = []

        async def say(payload: dict[str, object]) -> dict[str, object]:
            delivered.append(str(payload["text"]))
            return {"ok": True}

        here.register("say", say)
        there.register("say", say)
        async with here.changes.begin() as ch:
            await ch.send("k1", "say", text="hi")
        # This bot waits (its worker is not running); the other bot's drain delivers the item meanwhile.
        waiting = asyncio.create_task(here.wait_for("k1", timeout=1.0))
        await asyncio.sleep(0)
        assert await there.drain() == 1
        item = await waiting
        assert item is not None and item.status == "done" and delivered == ["hi"]
    finally:
        await one.close()
        await two.close()


async def test_a_transition_decided_on_a_stale_read_writes_nothing(bot: BountyBot, people: People) -> None:
    channel = await opened(bot, people)
    stale = await bounties.get(bot.db.conn, 1)
    assert stale is not None and stale.state is State.INTAKE
    await people.staff.run("bounty advance", channel=channel, to="review", reason="Docs are in.")
    # Past every service's own check: the write itself is a compare-and-set on the state it was decided on.
    with pytest.raises(Conflict) as refused:
        async with bot.changes.begin() as ch:
            await transition(ch, bot.config, stale, State.CANCELLED, role=Role.STAFF, actor_id=people.staff.id)
    assert refused.value.message == (
        "Bounty #1 moved from `intake` to `review` meanwhile (Docs are in); run the command again to see what is "
        "allowed now."
    )
    assert await state_changes(bot) == [("intake", "review")]
    assert await periods(bot) == ["intake", "review"]


async def test_an_item_claimed_by_a_bot_that_stops_mid_delivery_is_due_again_at_once(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "o.db")
    try:
        await db.migrate()
        clock = ManualClock(START)
        stopping = Outbox(Changes(db, clock), clock, OutboxConfig())
        entered = asyncio.Event()

        async def hangs(payload: dict[str, object]) -> dict[str, object]:
            entered.set()
            await asyncio.Event().wait()  # Discord never answers before the bot is stopped
            return {}

        stopping.register("say", hangs)
        async with stopping.changes.begin() as ch:
            await ch.send("k1", "say", text="hi")
        stopping.start()
        await asyncio.wait_for(entered.wait(), 5)
        await stopping.stop()
        item = await outbox_store.get(db.conn, "k1")
        assert item is not None and item.status == "pending" and item.attempts == 1
        assert await outbox_store.next_attempt_at(db.conn) == clock.now()  # not held for the lease

        next_start = Outbox(Changes(db, clock), clock, OutboxConfig())
        delivered: list[object] = []

        async def say(payload: dict[str, object]) -> dict[str, object]:
            delivered.append(payload["text"])
            return {}

        next_start.register("say", say)
        assert await next_start.drain() == 1 and delivered == ["hi"]
    finally:
        await db.close()


async def test_a_change_cancelled_while_it_begins_leaves_the_connection_usable(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    try:
        await db.migrate()

        async def change() -> None:
            async with db.transaction():
                raise AssertionError("never reached: cancelled while BEGIN is on its way")

        begun = asyncio.create_task(change())
        await asyncio.sleep(0)  # it takes the write lock and sends BEGIN to the database thread
        begun.cancel()
        with pytest.raises(asyncio.CancelledError):
            await begun
        # The BEGIN ran in the database thread all the same; the next change must not find it still open.
        async with db.transaction() as tx:
            await tx.execute("SELECT 1")
        assert not db.conn.in_transaction
    finally:
        await db.close()
