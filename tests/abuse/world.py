"""The world every abuse case runs against, built through the bot's own commands, and put back after each case.

Four bounties in four phases, so that every command has one it can act on:

- #1 Backpack, in development: Erin leads it, Tom is on her team, Dana is the developer, bug #1 is open and
  bug #2 paused (waiting on the exchange);
  Rita was added and removed again, Lou was added and then left the server; Dana paused her weekly prompts.
- Leah was never on a bounty, and left the server too.
- #2 Grvt, awaiting payment: Erin leads it.
- #3 Kraken, in intake: Xena leads it.
- #4 Bitrue, approved by the vote and awaiting its release (past its merge: its payout can be recorded): Xena
  leads it too.
- #5 Lumen, released and in its maintenance year (moved there by staff): Lena leads it.
- #6 Hyperion in `governance` awaiting its proposal link, #7 Quasar `rejected` awaiting resubmission (with a Snapshot
  stand-in): Xena leads both.

Nia has saved step 1 of her own `/bounty start` (the "Continue" button is kept), Erin has a refused form with
its "Fix my answers" button, and Dana has her checklist menu open. Victor belongs to nothing: the corpus
mentions him and the `bounty-contributor` role, which the bot has no reason ever to ping.

After a case changed something (an accepted input), the database is put back to the state it had when the
world was built (every table's rows copied back from a copy saved then), so that every case meets the same world.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.state import DM
from bot.sandbox.discord.users import Reply, SandboxUser, add_user
from bot.sandbox.snapshot import SnapshotHub
from bot.store import bounties
from tests.conftest import People
from tests.intake_helpers import exchange_answers, start_bounty

NEWCOMER_ANSWERS = {
    "exchange": "Nimbus",
    "website": "https://nimbus.exchange",
    "subtypes": ["spot"],
    "contact": "Nia, nia@nimbus.exchange",
    "timeline": "",
}
# Valid answers for every modal field the bot has today; a field not listed gets a plain sentence.
MODAL_DEFAULTS: dict[str, Any] = {
    **NEWCOMER_ANSWERS,
    "api_docs": "https://docs.nimbus.exchange/rest\nhttps://docs.nimbus.exchange/ws",
    "auth_method": "HMAC-SHA256 API key and secret",
    "rate_limits": "1200 requests per minute per IP",
    "testnet_url": "https://testnet.nimbus.exchange",
    "special_features": "Sub-accounts",
    "done": "Order book streaming and reconnects",
    "next": "Order placement and cancellation",
    "blockers": "",
    "percent": "40",
}


@dataclass
class World:
    bot: BountyBot
    sandbox: DiscordSandbox
    clock: ManualClock
    people: dict[str, SandboxUser]
    channels: dict[int, int]  # bounty id -> its private channel
    continue_reply: Reply  # Nia's saved step 1, with its "Continue" button
    retry_reply: Reply  # Erin's refused step 1, with its "Fix my answers" button
    checklist_reply: Reply  # Dana's checklist, with its menu
    baseline: Path
    baseline_rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    baseline_channels: set[str] = field(default_factory=set)
    _reader: sqlite3.Connection | None = None
    _version: int = 0

    @property
    def replies(self) -> dict[str, Reply]:
        """The saved reply whose button opens a command's next form."""
        return {"bounty start": self.continue_reply}

    @property
    def victim(self) -> SandboxUser:
        return self.people["victim"]

    @property
    def victim_role(self) -> str:
        return str(self.sandbox.state.role_named("bounty-contributor")["id"])

    def substitute(self, value: str) -> str:
        """Fill the corpus's placeholders with this world's ids."""
        return (
            value.replace("$VICTIM_ROLE$", self.victim_role)
            .replace("$VICTIM$", str(self.victim.id))
            .replace("$GUILD$", str(self.sandbox.guild_id))
        )

    # --- the database, read from a connection of our own ---------------------------------------------

    @property
    def reader(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = sqlite3.connect(self.bot.db.path, isolation_level=None)
            self._reader.execute("PRAGMA busy_timeout = 5000")
        return self._reader

    def data_version(self) -> int:
        """Changes when any other connection (the bot's) has committed since the last call."""
        return int(self.reader.execute("PRAGMA data_version").fetchone()[0])

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        tables = [
            r[0]
            for r in self.reader.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: self.reader.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}

    def changed_tables(self) -> list[str]:
        """Tables whose rows differ from the world as built (an empty list when nothing did)."""
        if self.data_version() == self._version:
            return []
        now = self.rows()
        return sorted(t for t in set(now) | set(self.baseline_rows) if now.get(t) != self.baseline_rows.get(t))

    async def save(self) -> None:
        await self.bot.outbox.drain()
        await self.bot.db.backup(self.baseline)
        self.baseline_rows = self.rows()
        self._version = self.data_version()
        self.baseline_channels = set(self.sandbox.state.channels)

    async def restore(self) -> None:
        """Put the database back as it was built, and delete the channels made since, as a server admin would."""
        await self.bot.outbox.drain()
        await asyncio.to_thread(self._copy_back)
        state = self.sandbox.state
        for cid in set(state.channels) - self.baseline_channels:
            if state.channels[cid]["type"] != DM:  # a direct message stays, as it would
                await self.sandbox.dispatch("CHANNEL_DELETE", state.channels.pop(cid))
        self.baseline_channels = set(state.channels)
        if self.rows() != self.baseline_rows:
            raise AssertionError("the database was not put back as the world was built")
        self._version = self.data_version()

    def _copy_back(self) -> None:
        """Every table's rows back from the saved copy, in one write transaction of a connection of our own:
        SQLite serialises it with the bot's own writes, and the bot's connection sees it as any other commit.
        The audit log's append-only triggers are set aside inside the transaction and put back before it ends."""
        con = sqlite3.connect(self.bot.db.path, isolation_level=None, timeout=10)
        try:
            con.execute("ATTACH DATABASE ? AS saved", (str(self.baseline),))
            triggers = con.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'").fetchall()
            tables = [
                r[0] for r in con.execute("SELECT name FROM saved.sqlite_master WHERE type = 'table' ORDER BY name")
            ]
            con.execute("BEGIN IMMEDIATE")
            for name, _ in triggers:
                con.execute(f'DROP TRIGGER main."{name}"')
            for table in tables:
                con.execute(f'DELETE FROM main."{table}"')
                con.execute(f'INSERT INTO main."{table}" SELECT * FROM saved."{table}"')
            for _, sql in triggers:
                con.execute(sql)
            con.execute("COMMIT")
            con.execute("DETACH DATABASE saved")
        finally:
            con.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


# Proposals the Snapshot stand-in holds for the governance commands: bounty #6 awaits its link, #7 its resubmission.
GOVERNANCE_PROPOSAL = "0x" + "ab" * 32
RESUBMITTED_PROPOSAL = "0x" + "cd" * 32


async def _governance(staff: SandboxUser, lead: SandboxUser, hub: SnapshotHub, clock: ManualClock) -> None:
    """Bounty #6 in `governance` and #7 `rejected`, both with their proposal checklist complete."""
    start = clock.now() + 30 * 86_400
    for pid in (GOVERNANCE_PROPOSAL, RESUBMITTED_PROPOSAL):
        hub.add(start=start, end=start + 10 * 86_400, proposal_id=pid)
    for name, last in (("Hyperion", "governance"), ("Quasar", "rejected")):
        done = await start_bounty(lead, exchange={"exchange": name, "website": f"https://{name.lower()}.exchange"})
        assert "is started" in done.reply.text, done.reply.text
        number = int(done.reply.text.split("Bounty #", 1)[1].split()[0].rstrip(".,:"))
        states = ["review", "awaiting_payment", "funded", "open", "development", "testing", "governance"]
        for state in states + ([last] if last != "governance" else []):
            await staff.run(
                "bounty advance",
                channel="general",
                to=state,
                reason="moved by hand for the abuse world",
                bounty=number,
                override=state == "governance",
            )
        for item in ("specification", "testing", "maintenance"):
            await staff.run("governance checklist", channel="general", bounty=number, item=item)


async def build_world(
    bot: BountyBot,
    sandbox: DiscordSandbox,
    clock: ManualClock,
    people: People,
    tmp_path: Path,
    *,
    hub: SnapshotHub | None = None,
) -> World:
    """Everything in the module docstring, made by people running commands."""
    cast = {
        "exchange": people.exchange,
        "teammate": people.teammate,
        "staff": people.staff,
        "outsider": people.outsider,
        "dev": add_user(sandbox, "Dana Developer", roles=("bounty-contributor",)),
        "dev2": add_user(sandbox, "Devon Developer", roles=("bounty-contributor",)),
        "other_lead": add_user(sandbox, "Xena Exchange"),
        "newcomer": add_user(sandbox, "Nia Newcomer"),
        "removed": add_user(sandbox, "Rita Removed"),
        "leaver": add_user(sandbox, "Lou Leaver"),
        "left": add_user(sandbox, "Leah Left"),
        "victim": add_user(sandbox, "Victor Victim"),
        "released_lead": add_user(sandbox, "Lena Lumen"),
    }
    erin, staff = cast["exchange"], cast["staff"]
    bounty_leads = (
        (erin, "Backpack"),
        (erin, "Grvt"),
        (cast["other_lead"], "Kraken"),
        (cast["other_lead"], "Bitrue"),
        (cast["released_lead"], "Lumen"),
    )
    for who, name in bounty_leads:
        done = await start_bounty(who, exchange={"exchange": name, "website": f"https://{name.lower()}.exchange"})
        assert "is started" in done.reply.text, done.reply.text
    await bot.outbox.drain()
    channels = {}
    for b in await bounties.list_all(bot.db.conn):
        assert b.channel_id is not None
        channels[b.id] = b.channel_id

    one, two = channels[1], channels[2]
    for state in ("review", "awaiting_payment"):
        await staff.run("bounty advance", channel=one, to=state, reason="docs complete")
    # Funded by a wire of 11,000: 1,000 over the fee, flagged for refund, so `/bounty refund` has money to return.
    paid = await staff.run("pay confirm-escrow", channel=one, reference="WIRE-7", amount="11000")
    assert "funded" in paid.reply.text, paid.reply.text
    assigned = await staff.run("bounty assign", channel=one, developer=cast["dev"], github="dana-dev")
    assert "builds bounty #1" in assigned.reply.text, assigned.reply.text
    for who in (cast["teammate"], cast["removed"], cast["leaver"]):
        added = await erin.run("bounty members add", channel=one, member=who)
        assert "can now see" in added.reply.text, added.reply.text
    gone = await erin.run("bounty members remove", channel=one, member=cast["removed"])
    assert "no longer sees" in gone.reply.text, gone.reply.text
    bug = await erin.run(
        "bug report", channel=one, severity="major", title="Order book stale", description="Stops after a reconnect."
    )
    assert "Bug #1" in bug.reply.text, bug.reply.text
    waiting = await erin.run(
        "bug report", channel=one, severity="minor", title="Fees shown wrong", description="Maker fee shows as taker."
    )
    assert "Bug #2" in waiting.reply.text, waiting.reply.text
    held = await cast["dev"].run("bug pause", channel=one, id=2, reason="Waiting on the fee schedule")
    assert "is paused" in held.reply.text, held.reply.text
    for state in ("review", "awaiting_payment"):
        await staff.run("bounty advance", channel=two, to=state, reason="docs complete")
    # #4 through to `approved` by hand (as if funded by wire, built, tested and voted on): `/release record` is next.
    for state in ("review", "awaiting_payment", "funded", "open", "development", "testing", "governance", "approved"):
        moved = await staff.run(
            "bounty advance",
            channel=channels[4],
            to=state,
            reason="built, tested and voted on",
            override=state == "governance",
        )
        assert "is now **" in moved.reply.text, moved.reply.text
    # #5 through to its maintenance year by hand: `/report usage` records a released connector's figures.
    released = ("review", "awaiting_payment", "funded", "open", "development", "testing", "governance", "approved")
    for state in (*released, "released", "maintenance"):
        moved = await staff.run(
            "bounty advance",
            channel=channels[5],
            to=state,
            reason="shipped by hand for the abuse world",
            override=state == "governance",
        )
        assert "is now **" in moved.reply.text, moved.reply.text

    step1 = await cast["newcomer"].run("bounty start", channel="developer")
    saved = await cast["newcomer"].submit(step1, NEWCOMER_ANSWERS)
    assert "Step 1 of 2 saved" in saved.reply.text, saved.reply.text
    opened = await erin.run("bounty start", channel="developer")
    refused = await erin.submit(opened, exchange_answers(clock.now(), exchange="Orbit", website="not a link"))
    assert "Fix my answers" in [b.get("label") for b in refused.reply.buttons], refused.reply.text
    checklist = await cast["dev"].run("checklist", channel=one)
    assert checklist.reply.selects, checklist.reply.text
    paused = await cast["dev"].run("update pause", channel=one, until="2026-12-31", reason="Waiting on API keys")
    assert "Weekly prompts are paused until" in paused.reply.text, paused.reply.text

    if hub is not None:
        await _governance(staff, cast["other_lead"], hub, clock)

    # Lou and Leah leave the server (Lou's bounty membership stays: the bot is not told).
    for name in ("leaver", "left"):
        del sandbox.state.members[str(cast[name].id)]
    await bot.outbox.drain()

    world = World(
        bot=bot,
        sandbox=sandbox,
        clock=clock,
        people=cast,
        channels=channels,
        continue_reply=saved.reply,
        retry_reply=refused.reply,
        checklist_reply=checklist.reply,
        baseline=tmp_path / "world.db",
    )
    await world.save()
    return world
