"""A large, realistic database for the benchmarks: bounties across every state, with their history, members,
review, developers, bugs, wallets, audit trail and pending timers, built through the real schema.

Each bounty goes in through the store's own insert (the intake path); the rows that later steps would add
are written with `executemany` in the shapes the services write them. Everything is dated relative to
`now`, never to a calendar date.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.domain.bugs import CHECKPOINTS
from bot.domain.lifecycle import State
from bot.domain.models import ExchangeType, IntakeForm, ReviewItem, SubType
from bot.sandbox.discord.server import DiscordSandbox
from bot.services.bugs import BUG_SLA
from bot.services.bugs import subject as bug_subject
from bot.services.lifecycle import PHASE_OVERRUN
from bot.services.lifecycle import subject as bounty_subject
from bot.store import bounties
from bot.store.db import open_database

DAY = 86400

# How 10,000 bounties over the years might be spread: most are long closed or in maintenance.
STATE_SHARES: dict[State, int] = {
    State.INTAKE: 3,
    State.REVIEW: 3,
    State.AWAITING_PAYMENT: 3,
    State.FUNDED: 1,
    State.OPEN: 2,
    State.DEVELOPMENT: 10,
    State.TESTING: 5,
    State.GOVERNANCE: 3,
    State.APPROVED: 1,
    State.REJECTED: 2,
    State.RELEASED: 2,
    State.MAINTENANCE: 15,
    State.ENDED: 35,
    State.CANCELLED: 13,
    State.REFUNDED: 2,
}
# The way each state was reached.
HAPPY_PATH = [
    State.INTAKE,
    State.REVIEW,
    State.AWAITING_PAYMENT,
    State.FUNDED,
    State.OPEN,
    State.DEVELOPMENT,
    State.TESTING,
    State.GOVERNANCE,
    State.APPROVED,
    State.RELEASED,
    State.MAINTENANCE,
    State.ENDED,
]
# States whose phase has a target, so a pending overrun timer.
TIMED = {
    State.INTAKE: "setup",
    State.REVIEW: "setup",
    State.AWAITING_PAYMENT: "setup",
    State.DEVELOPMENT: "development",
    State.TESTING: "testing",
    State.GOVERNANCE: "governance",
}
WITH_BUGS = (State.DEVELOPMENT, State.TESTING, State.GOVERNANCE, State.RELEASED, State.MAINTENANCE)
WITH_DEVELOPER = set(HAPPY_PATH[HAPPY_PATH.index(State.DEVELOPMENT) :]) | {State.REJECTED}
PAST_REVIEW = set(HAPPY_PATH[HAPPY_PATH.index(State.AWAITING_PAYMENT) :]) | {State.REJECTED, State.REFUNDED}


@dataclass(frozen=True)
class WorldSize:
    bounties: int = 10_000
    pending_timers: int = 100_000
    due_timers: int = 20  # already due at start: the bot was down for a moment


def path_to(state: State, rng: random.Random) -> list[State]:
    if state in HAPPY_PATH:
        return HAPPY_PATH[: HAPPY_PATH.index(state) + 1]
    if state is State.REJECTED:
        return [*HAPPY_PATH[: HAPPY_PATH.index(State.GOVERNANCE) + 1], State.REJECTED]
    if state is State.REFUNDED:
        return [*HAPPY_PATH[: HAPPY_PATH.index(State.FUNDED) + 1], State.REFUNDED]
    assert state is State.CANCELLED
    return [*HAPPY_PATH[: rng.randint(1, 3)], State.CANCELLED]


def form(n: int, rng: random.Random, now: int) -> IntakeForm:
    clob = rng.random() < 0.7
    subtypes = (
        tuple(rng.sample([SubType.SPOT, SubType.PERPETUAL, SubType.MARGIN], rng.randint(1, 2)))
        if clob
        else tuple(rng.sample([SubType.AMM, SubType.CLMM, SubType.ROUTER], rng.randint(1, 2)))
    )
    name = f"Exchange{n:05d}"
    host = name.lower() + ".example"
    return IntakeForm(
        exchange=name,
        website=f"https://{host}",
        exchange_type=ExchangeType.CLOB if clob else ExchangeType.AMM,
        subtypes=subtypes,
        contact=f"Partnerships team, bd@{host}, Telegram @{name.lower()}_bd",
        timeline="Live before our next listing; happy to join a call any weekday afternoon UTC. " * 2,
        api_docs_rest=f"https://docs.{host}/rest/v3",
        api_docs_ws=f"https://docs.{host}/websocket",
        auth_method="HMAC-SHA256 signed requests with API key and secret, timestamp window 5 s",
        rate_limits="1200 weighted requests per minute per IP; 50 orders per 10 s per account",
        testnet_url=f"https://testnet.{host}",
        special_features="Sub-accounts, post-only and reduce-only orders, batch cancel",
        intro_call_at=now - rng.randint(30, 900) * DAY,
    )


def later(due: int, now: int, rng: random.Random) -> int:
    """`due`, or some hours ahead when that has passed: pending means not yet due (a few due ones are chosen
    apart), and a run must not find more due because the benchmark took a while."""
    return due if due > now + 3600 else now + rng.randint(2, 72) * 3600


def evm_address(rng: random.Random) -> str:
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def solana_key(rng: random.Random) -> str:
    """A Solana public key: 32 random bytes in base58."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    raw = rng.randbytes(32)
    number = int.from_bytes(raw, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = alphabet[digit] + text
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + text


def chunks(rows: list[tuple[object, ...]], size: int = 5_000) -> Iterator[list[tuple[object, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def build(
    path: Path, now: int, size: WorldSize = WorldSize(), *, guild_id: int = 1, seed: int = 7
) -> dict[str, int]:
    """Create the database at `path` with the migrations, then fill it. Returns row counts."""
    rng = random.Random(seed)
    db = await open_database(path)
    try:
        await db.migrate()
        states = [s for s, share in STATE_SHARES.items() for _ in range(share)]
        plan = [rng.choice(states) for _ in range(size.bounties)]
        periods: list[tuple[object, ...]] = []
        moves: list[tuple[object, ...]] = []
        members: list[tuple[object, ...]] = []
        review: list[tuple[object, ...]] = []
        developers: list[tuple[object, ...]] = []
        wallets: list[tuple[object, ...]] = []
        references: list[tuple[object, ...]] = []
        audit: list[tuple[object, ...]] = []
        delivered: list[tuple[object, ...]] = []  # the outbox keeps what it delivered
        timers: list[tuple[object, ...]] = []
        buggy: list[tuple[int, int]] = []  # (bounty id, developer) of bounties that may have open bugs
        async with db.transaction() as tx:
            for n, state in enumerate(plan, start=1):
                steps = path_to(state, rng)
                created = now - rng.randint(len(steps) * 10, len(steps) * 10 + 700) * DAY
                requester = 10**17 + n
                bounty_id = await bounties.insert(
                    tx,
                    guild_id=guild_id,
                    requester_id=requester,
                    form=form(n, rng, now),
                    fee_usd=rng.choice([10_000, 10_000, 15_000, 25_000]),
                    now=created,
                    key=f"exchange{n:05d}",
                )
                # The intake row the insert wrote is the first period; the rest follow, spaced to end before now.
                at = created
                span = (now - created) // len(steps)
                for previous, step in itertools.pairwise(steps):
                    at += rng.randint(span // 2, span)
                    periods.append((bounty_id, step.value, at))
                    audit.append((at, None, bounty_id, "state_changed", json.dumps({"from": previous, "to": step})))
                # Every bounty got its private channel at intake.
                moves.append((state.value, at, 900_000_000_000_000_000 + n, bounty_id))
                members.append((bounty_id, requester, "lead", requester, created))
                for k in range(rng.randint(0, 3)):
                    members.append((bounty_id, 2 * 10**17 + n * 10 + k, "exchange", requester, created + DAY))
                audit.append((created, requester, bounty_id, "bounty_started", json.dumps({"exchange": n})))
                for kind, what in (
                    ("bounty.create_channel", "channel"),
                    ("bounty.post", "welcome"),
                    ("staff.post", "staff_new"),
                    ("bounty.intro_call", "intro_call"),
                    *(("bounty.post", f"state:{step.value}") for step in steps[1:]),
                ):
                    payload = json.dumps({"bounty_id": bounty_id}, separators=(",", ":"))
                    delivered.append((f"bounty:{bounty_id}:{what}", kind, payload, created, created, created))
                if state in PAST_REVIEW or state is State.REVIEW:
                    items = list(ReviewItem) if state is not State.REVIEW else rng.sample(list(ReviewItem), 3)
                    for item in items:
                        review.append((bounty_id, item.value, "ok", "checked against the docs", 42, created + DAY))
                if state in WITH_DEVELOPER:
                    developer = 3 * 10**17 + n
                    developers.append(
                        (bounty_id, developer, f"dev{n}", 42, created + 20 * DAY, now - rng.randint(0, 20) * DAY)
                    )
                    members.append((bounty_id, developer, "developer", 42, created + 20 * DAY))
                    if state in WITH_BUGS:
                        buggy.append((bounty_id, developer))
                if state is State.AWAITING_PAYMENT:
                    wallets.append((bounty_id, rng.choice(["ethereum", "bsc"]), evm_address(rng), requester, at))
                    references.append((bounty_id, solana_key(rng), at))
                if state in TIMED:
                    due = at + {"setup": 7, "development": 28, "testing": 14, "governance": 14}[TIMED[state]] * DAY
                    payload = {"phase": TIMED[state], "since": at}
                    timers.append((PHASE_OVERRUN, bounty_subject(bounty_id), later(due, now, rng), payload, at))
            for part in chunks(periods):
                await tx.executemany("INSERT INTO state_periods (bounty_id, state, entered_at) VALUES (?, ?, ?)", part)
            # Every period but the latest has ended when the next began.
            await tx.execute(
                "UPDATE state_periods SET left_at = (SELECT MIN(s2.entered_at) FROM state_periods s2"
                " WHERE s2.bounty_id = state_periods.bounty_id AND s2.entered_at > state_periods.entered_at)"
            )
            for part in chunks(moves):
                await tx.executemany(
                    "UPDATE bounties SET state = ?, state_since = ?, channel_id = ?, updated_at = state_since"
                    " WHERE id = ?",
                    part,
                )
            for part in chunks(members):
                await tx.executemany(
                    "INSERT OR IGNORE INTO bounty_members (bounty_id, user_id, role, added_by, added_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    part,
                )
            for part in chunks(review):
                await tx.executemany(
                    "INSERT INTO review_items (bounty_id, item, status, note, reviewer_id, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    part,
                )
            await tx.executemany(
                "INSERT INTO developer_assignments (bounty_id, user_id, github_login, assigned_by, assigned_at,"
                " last_activity_at) VALUES (?, ?, ?, ?, ?, ?)",
                developers,
            )
            await tx.executemany(
                "INSERT INTO wallets (bounty_id, chain, address, registered_by, registered_at) VALUES (?, ?, ?, ?, ?)",
                wallets,
            )
            await tx.executemany(
                # Each bounty's fee due exists (a trigger makes it with the bounty): it carries the reference.
                "UPDATE dues SET reference = ? WHERE bounty_id = ? AND kind = 'fee'",
                [(reference, bounty_id) for bounty_id, reference, _ in references],
            )
            # Open bugs, each with its SLA checkpoints pending, make up the rest of the pending timers.
            bug_rows: list[tuple[object, ...]] = []
            per_bug = len(CHECKPOINTS)
            wanted_bugs = max(0, -(-(size.pending_timers - len(timers)) // per_bug))
            for b in range(wanted_bugs):
                bounty_id, developer = buggy[b % len(buggy)]
                opened = now - rng.randint(0, 20) * 3600
                window = rng.choice([24, 48]) * 3600
                bug_rows.append(
                    (
                        bounty_id,
                        rng.choice(["critical", "major"]),
                        f"Order book desyncs after reconnect ({b})",
                        "After a websocket reconnect the book keeps stale levels until restart.",
                        developer,
                        "open",
                        opened,
                        opened + window,
                    )
                )
            for part in chunks(bug_rows):
                await tx.executemany(
                    "INSERT INTO bugs (bounty_id, severity, title, description, reporter_id, state, opened_at, due_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    part,
                )
            async with tx.execute("SELECT id, opened_at, due_at FROM bugs WHERE state = 'open' ORDER BY id") as cur:
                for bug_id, opened, due in await cur.fetchall():
                    for stage, share in CHECKPOINTS:
                        at = later(opened + round((due - opened) * share), now, rng)
                        timers.append((BUG_SLA, bug_subject(bug_id), at, {"stage": stage, "window_ends": due}, opened))
            timers = timers[: size.pending_timers]
            # A few fell due while the bot was down: they fire at start.
            for i in range(min(size.due_timers, len(timers))):
                kind, subject, _, payload, created_at = timers[i * (len(timers) // max(1, size.due_timers))]
                timers[i * (len(timers) // max(1, size.due_timers))] = (kind, subject, now - 60, payload, created_at)
            rows = [(k, s, d, json.dumps(p, separators=(",", ":")), c) for k, s, d, p, c in timers]
            for part in chunks(rows):
                await tx.executemany(
                    "INSERT INTO timers (kind, subject, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)", part
                )
            for part in chunks(delivered):
                await tx.executemany(
                    "INSERT INTO outbox (key, kind, payload, status, attempts, next_attempt_at, created_at, done_at)"
                    " VALUES (?, ?, ?, 'done', 1, ?, ?, ?)",
                    part,
                )
            for part in chunks(audit):
                await tx.executemany(
                    "INSERT INTO audit_log (at, actor_id, bounty_id, action, detail) VALUES (?, ?, ?, ?, ?)", part
                )
        counts = {}
        for table in ("bounties", "state_periods", "bounty_members", "review_items", "bugs", "audit_log", "outbox"):
            async with db.conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
                row = await cur.fetchone()
            counts[table] = int(row[0]) if row else 0
        async with db.conn.execute(
            "SELECT COUNT(*), SUM(due_at <= ?) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL", (now,)
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        counts["pending timers"], counts["due timers"] = int(row[0]), int(row[1] or 0)
        await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts
    finally:
        await db.close()


def give_channels(database: Path, sandbox: DiscordSandbox) -> int:
    """The private channels the due timers post to exist in the server (Discord holds 500 channels, so not
    one for each of 10,000 bounties: the others are never posted to during the run)."""
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        due = conn.execute(
            "SELECT DISTINCT COALESCE(b.id, g.bounty_id) FROM timers t"
            " LEFT JOIN bounties b ON t.subject = 'bounty:' || b.id"
            " LEFT JOIN bugs g ON t.subject = 'bug:' || g.id"
            " WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.due_at <= ?",
            (int(time.time()),),
        ).fetchall()
        category = sandbox.state.channel_named("Bounties")["id"]
        for (bounty_id,) in due:
            channel = sandbox.state.new_channel(f"bounty-{bounty_id}", 0, parent_id=category)
            conn.execute("UPDATE bounties SET channel_id = ? WHERE id = ?", (int(channel["id"]), bounty_id))
    return len(due)
