"""Governance end to end (DESIGN.md §2, §9): the proposal checklist, `/governance link` against the Snapshot
stand-in, the discussion and its thread, the vote followed on the shared clock through pending, active and
closed, the result with its numbers moving the bounty, and the hub going down or losing the proposal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import BountyBot
from bot.clock import ManualClock
from bot.config import ConfigError, parse_config
from bot.domain.errors import InvalidInput
from bot.domain.governance import (
    DAY,
    Preset,
    Proposal,
    parse_proposal_ref,
    rules_for,
    tally,
)
from bot.domain.lifecycle import State
from bot.sandbox.discord.server import DiscordSandbox
from bot.sandbox.discord.state import TEXT
from bot.sandbox.harness import running_bot, sandbox_config
from bot.sandbox.snapshot import HubProposal, SnapshotHub
from bot.store import audit, bounties
from tests.conftest import People
from tests.intake_helpers import start_bounty

M = 1_000_000
ITEMS = ("specification", "testing", "maintenance")


def gov_config(sandbox: DiscordSandbox, hub: SnapshotHub, tmp_path: Path, **governance: Any):  # type: ignore[no-untyped-def]
    return sandbox_config(sandbox, tmp_path / "gov.db", governance={"hub_url": hub.graphql_url, **governance})


@pytest.fixture
async def gov_bot(
    sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[BountyBot]:
    async with running_bot(gov_config(sandbox, snapshot_hub, tmp_path), clock=clock) as bot:
        yield bot


async def settle(bot: BountyBot) -> None:
    """Fire what is due, deliver it, and decide on what the hub answered (a read is queued, then decided)."""
    for _ in range(3):
        await bot.timers.run_due()
        await bot.outbox.drain()


async def in_governance(bot: BountyBot, people: People, exchange: str = "Backpack") -> int:
    """A bounty moved by staff to `governance`; returns its number."""
    await start_bounty(people.exchange, exchange={"exchange": exchange})
    await bot.outbox.drain()
    found = next(b for b in await bounties.list_all(bot.db.conn) if b.exchange == exchange)
    assert found.channel_id is not None
    for state in ("review", "awaiting_payment", "funded", "open", "development", "testing", "governance"):
        await people.staff.run(
            "bounty advance",
            channel=found.channel_id,
            to=state,
            reason="moved by hand for the governance tests",
            override=state == "governance",
        )
    return found.id


async def checklist_done(people: People, bounty: int) -> None:
    for item in ITEMS:
        done = await people.staff.run(
            "governance checklist", channel="general", bounty=bounty, item=item, note="https://github.com/x/y"
        )
        assert "Proposal checklist of bounty" in done.reply.text, done.reply.text


def proposal_for(hub: SnapshotHub, clock: ManualClock, *, days_ahead: int = 8, vote_days: int = 7, **kw: Any):  # type: ignore[no-untyped-def]
    start = clock.now() + days_ahead * DAY
    return hub.add(start=start, end=start + vote_days * DAY, **kw)


def link_of(p: HubProposal) -> str:
    return f"https://snapshot.org/#/{p.space}/proposal/{p.id}"


def posted(sandbox: DiscordSandbox, channel: str | int, prefix: str) -> list[dict[str, Any]]:
    key = str(channel) if str(channel).isdigit() else sandbox.state.channel_named(str(channel))["id"]
    return [
        m
        for m in sandbox.state.messages.get(key, [])
        if m["embeds"] and m["embeds"][0].get("title", "").startswith(prefix)
    ]


def text(message: dict[str, Any]) -> str:
    e = message["embeds"][0]
    fields = " ".join(f"{f['name']}: {f['value']}" for f in e.get("fields", []))
    return f"{message['content']} {e.get('title', '')} {e.get('description', '')} {fields}"


async def linked_and_voting(
    bot: BountyBot, sandbox: DiscordSandbox, hub: SnapshotHub, clock: ManualClock, people: People, **kw: Any
) -> tuple[int, HubProposal]:
    """A bounty whose proposal is linked and whose vote has just opened."""
    bounty = await in_governance(bot, people)
    await checklist_done(people, bounty)
    proposal = proposal_for(hub, clock, **kw)
    done = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=link_of(proposal))
    assert "Proposal linked for bounty" in done.reply.text, done.reply.text
    await settle(bot)
    clock.advance(proposal.start - clock.now())
    await settle(bot)
    assert len(posted(sandbox, "governance", "Vote open")) == 1
    return bounty, proposal


async def state_of(bot: BountyBot, bounty: int) -> State:
    found = await bounties.get(bot.db.conn, bounty)
    assert found is not None
    return found.state


# --- the whole vote ---------------------------------------------------------------------------------------------


async def test_a_proposal_that_passes_is_announced_at_each_step_and_approves_the_bounty(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bot = gov_bot
    bounty = await in_governance(bot, people)
    proposal = proposal_for(snapshot_hub, clock)

    # The checklist gate: nothing opens until all three items are recorded.
    refused = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=proposal.id)
    assert "proposal checklist is not complete" in refused.reply.text
    assert "technical specification, testing results, maintenance commitment" in refused.reply.text
    await checklist_done(people, bounty)

    done = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=link_of(proposal))
    assert done.reply.ephemeral and "Proposal linked for bounty #1" in done.reply.text, done.reply.text
    await settle(bot)

    # Discussion: announced in the governance channel, mentioning only the alerts role, with a thread.
    alerts = sandbox.state.role_named("governance-alerts")["id"]
    [opened] = posted(sandbox, "governance", "Discussion open")
    assert opened["content"] == f"<@&{alerts}>" and not opened["mention_everyone"]
    assert proposal.id in text(opened) and f"<t:{proposal.start}:R>" in text(opened)
    [opener] = posted(sandbox, "governance", "Discuss:")
    thread = sandbox.state.threads[opener["id"]]
    assert thread["parent_id"] == sandbox.state.channel_named("governance")["id"]
    assert thread["name"] == "Bounty #1 Backpack connector: proposal 1"
    assert posted(sandbox, "governance", "Vote open") == []

    # The vote opens when the proposal's does: the link and a countdown to its end.
    clock.advance(proposal.start - clock.now())
    await settle(bot)
    [voting] = posted(sandbox, "governance", "Vote open")
    assert link_of(proposal) in text(voting) and f"<t:{proposal.end}:R>" in text(voting)

    # 24 hours before the end.
    clock.advance(proposal.end - DAY - clock.now())
    await settle(bot)
    [last] = posted(sandbox, "governance", "24 hours left")
    assert f"<t:{proposal.end}:R>" in text(last)

    snapshot_hub.vote(proposal.id, [3.2 * M, 1.1 * M, 0.2 * M], votes=148)
    clock.advance(proposal.end - clock.now() + 60)
    await settle(bot)
    [result] = posted(sandbox, "governance", "Vote passed")
    said = text(result)
    assert "74.42% For (needs more than 50%)" in said
    assert "4,500,000 HBOT of 4,000,000 HBOT quorum" in said and "148 votes" in said
    assert await state_of(bot, bounty) is State.APPROVED
    channel = (await bounties.get(bot.db.conn, bounty)).channel_id  # type: ignore[union-attr]
    assert posted(sandbox, channel, "Vote passed") and posted(sandbox, channel, "Bounty #1")
    moved = [e for e in await audit.for_bounty(bot.db.conn, bounty) if e.action == "state_changed"][-1]
    assert moved.detail["new"] == "approved" and moved.detail["role"] == "system"

    # Nothing more is read or told once the result is in.
    clock.advance(7 * DAY)
    await settle(bot)
    for title in ("Discussion open", "Vote open", "24 hours left", "Vote passed"):
        assert len(posted(sandbox, "governance", title)) == 1, title


@pytest.mark.parametrize(
    ("scores", "verdict", "why"),
    [
        ([2.0 * M, 3.0 * M, 0.0], "failed", "approval not above the threshold"),
        ([3.0 * M, 0.5 * M, 0.0], "failed", "quorum not reached"),
        # Mostly abstentions: they count for the quorum only, so 1M For against 0.2M Against passes.
        ([1.0 * M, 0.2 * M, 4.0 * M], "passed", ""),
        ([2.0 * M, 2.0 * M, 1.0 * M], "failed", "approval not above the threshold"),  # exactly 50% is not more
    ],
    ids=["approval", "quorum", "abstentions", "tie"],
)
async def test_the_result_follows_approval_and_quorum(
    gov_bot: BountyBot,
    sandbox: DiscordSandbox,
    snapshot_hub: SnapshotHub,
    clock: ManualClock,
    people: People,
    scores: list[float],
    verdict: str,
    why: str,
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    snapshot_hub.vote(proposal.id, scores, votes=40)
    clock.advance(proposal.end - clock.now() + 60)
    await settle(gov_bot)
    [result] = posted(sandbox, "governance", f"Vote {verdict}")
    assert why in result["embeds"][0]["title"]
    expected = State.APPROVED if verdict == "passed" else State.REJECTED
    assert await state_of(gov_bot, bounty) is expected


async def test_the_count_is_awaited_until_the_hub_says_it_is_final(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    snapshot_hub.vote(proposal.id, [5.0 * M, 0.0, 0.0], votes=9)
    proposal.hold_scores = True
    clock.advance(proposal.end - clock.now() + 60)
    await settle(gov_bot)
    assert posted(sandbox, "governance", "Vote") == posted(sandbox, "governance", "Vote open")
    assert await state_of(gov_bot, bounty) is State.GOVERNANCE
    proposal.hold_scores = False
    clock.advance(10 * 60)
    await settle(gov_bot)
    assert posted(sandbox, "governance", "Vote passed")


# --- a hub that fails ---------------------------------------------------------------------------------------------


async def test_a_hub_down_during_the_vote_is_told_to_staff_once_and_the_vote_is_read_when_it_returns(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    snapshot_hub.down = True
    for _ in range(3):  # three reads while it is down, the end of the vote among them
        clock.advance(proposal.end - clock.now() + 60 if _ == 2 else 3 * 3600)
        await settle(gov_bot)
    assert len(posted(sandbox, "staff-alerts", "Snapshot hub unreachable")) == 1
    assert await state_of(gov_bot, bounty) is State.GOVERNANCE  # never read as a result
    assert posted(sandbox, "governance", "Vote failed") == posted(sandbox, "governance", "Vote passed") == []

    snapshot_hub.down = False
    snapshot_hub.vote(proposal.id, [4.5 * M, 0.5 * M, 0.0], votes=77)
    clock.advance(10 * 60)
    await settle(gov_bot)
    assert len(posted(sandbox, "staff-alerts", "Snapshot answers again")) == 1
    assert posted(sandbox, "governance", "Vote passed")
    assert await state_of(gov_bot, bounty) is State.APPROVED


async def test_an_answer_nobody_can_read_is_an_outage_and_the_vote_is_still_followed(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    snapshot_hub.garbled = True
    clock.advance(proposal.end - clock.now() + 60)
    await settle(gov_bot)
    assert len(posted(sandbox, "staff-alerts", "Snapshot hub unreachable")) == 1
    assert await state_of(gov_bot, bounty) is State.GOVERNANCE  # never read as a result, never a crash
    snapshot_hub.garbled = False
    snapshot_hub.vote(proposal.id, [4.5 * M, 0.5 * M, 0.0], votes=77)
    clock.advance(10 * 60)
    await settle(gov_bot)
    assert posted(sandbox, "governance", "Vote passed")


async def test_a_proposal_deleted_mid_vote_is_told_once_and_can_be_replaced(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    snapshot_hub.delete(proposal.id)
    for _ in range(3):
        clock.advance(2 * 3600)
        await settle(gov_bot)
    assert len(posted(sandbox, "staff-alerts", "Proposal missing on Snapshot")) == 1
    assert await state_of(gov_bot, bounty) is State.GOVERNANCE

    replacement = proposal_for(snapshot_hub, clock)
    done = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=replacement.id)
    assert "Proposal linked" in done.reply.text, done.reply.text
    await settle(gov_bot)
    assert len(posted(sandbox, "governance", "Discussion open")) == 2
    clock.advance(replacement.end - clock.now() + 60)
    snapshot_hub.vote(replacement.id, [4.5 * M, 0.1 * M, 0.0], votes=12)
    await settle(gov_bot)
    assert await state_of(gov_bot, bounty) is State.APPROVED


async def test_announcements_are_made_once_each_across_a_restart(
    sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    config = gov_config(sandbox, snapshot_hub, tmp_path)
    async with running_bot(config, clock=clock) as bot:
        bounty, proposal = await linked_and_voting(bot, sandbox, snapshot_hub, clock, people)
        clock.advance(proposal.end - DAY - clock.now())
        await settle(bot)
    # Down through the end of the vote; back after it.
    snapshot_hub.vote(proposal.id, [1.0 * M, 4.0 * M, 0.0], votes=31)
    clock.advance(2 * DAY)
    async with running_bot(config, clock=clock) as bot:
        await settle(bot)
        assert await state_of(bot, bounty) is State.REJECTED
    for title in ("Discussion open", "Vote open", "24 hours left", "Vote failed"):
        assert len(posted(sandbox, "governance", title)) == 1, title
    assert len(sandbox.state.threads) == 1


# --- linking and resubmitting -------------------------------------------------------------------------------------


async def test_link_validation(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty = await in_governance(gov_bot, people)
    await checklist_done(people, bounty)
    staff = people.staff

    async def link(proposal: str) -> str:
        done = await staff.run("governance link", channel="general", bounty=bounty, proposal=proposal)
        return done.reply.text

    assert "must be `0x` and 64 hex digits" in await link("0x1234")
    assert "is not a Snapshot proposal" in await link("https://evil.example/#/hbot.eth/proposal/0x" + "a" * 64)
    elsewhere = proposal_for(snapshot_hub, clock, space="other.eth")
    assert "the rules take proposals on `hbot-ncp.eth`" in await link(link_of(elsewhere))  # a link to another space
    assert "the rules take proposals on `hbot-ncp.eth`" in await link(elsewhere.id)  # an id on another space
    assert "has no proposal" in await link("0x" + "cd" * 32)
    soon = proposal_for(snapshot_hub, clock, days_ahead=2)
    assert "at least 7 days of discussion" in await link(soon.id)
    short = proposal_for(snapshot_hub, clock, vote_days=3)
    assert "the rules ask for 7 days" in await link(short.id)
    odd = proposal_for(snapshot_hub, clock, choices=("Option A", "Option B"))
    assert "need one of For, Yes and one of Against, No" in await link(odd.id)

    snapshot_hub.down = True
    down = proposal_for(snapshot_hub, clock)
    answer = await link(down.id)
    assert "did not answer" in answer and "Try again in a few minutes" in answer
    snapshot_hub.down = False
    assert "Proposal linked" in await link(down.id.upper().replace("0X", "0x"))
    assert "already follows" in await link(proposal_for(snapshot_hub, clock).id)
    await gov_bot.outbox.drain()
    assert len(posted(sandbox, "governance", "Discussion open")) == 1


async def test_only_staff_link_and_only_in_governance(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    await start_bounty(people.exchange)
    await gov_bot.outbox.drain()
    proposal = proposal_for(snapshot_hub, clock)
    lead = await people.exchange.run("governance link", channel="general", bounty=1, proposal=proposal.id)
    assert lead.reply.text.startswith("Only Foundation staff can link a governance proposal")
    tick = await people.exchange.run("governance checklist", channel="general", bounty=1, item="testing")
    assert tick.reply.text.startswith("Only Foundation staff can record the proposal checklist")
    early = await people.staff.run("governance link", channel="general", bounty=1, proposal=proposal.id)
    assert "a proposal is linked once it is in `governance`" in early.reply.text
    assert snapshot_hub.requests == []  # refused before asking the hub


async def test_resubmit_after_a_failed_vote_opens_a_new_round(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bounty, proposal = await linked_and_voting(gov_bot, sandbox, snapshot_hub, clock, people)
    early = await people.staff.run("governance resubmit", channel="general", bounty=bounty, proposal=proposal.id)
    assert "is for a bounty whose vote failed" in early.reply.text
    snapshot_hub.vote(proposal.id, [0.5 * M, 4.0 * M, 0.0], votes=20)
    clock.advance(proposal.end - clock.now() + 60)
    await settle(gov_bot)
    assert await state_of(gov_bot, bounty) is State.REJECTED

    again = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=proposal.id)
    assert "use `/governance resubmit`" in again.reply.text
    same = await people.staff.run("governance resubmit", channel="general", bounty=bounty, proposal=proposal.id)
    assert "already had that proposal" in same.reply.text
    second = proposal_for(snapshot_hub, clock)
    done = await people.staff.run("governance resubmit", channel="general", bounty=bounty, proposal=link_of(second))
    assert "Proposal resubmitted for bounty" in done.reply.text, done.reply.text
    assert await state_of(gov_bot, bounty) is State.GOVERNANCE
    await settle(gov_bot)
    assert len(posted(sandbox, "governance", "Discussion open (resubmitted)")) == 1
    assert len(sandbox.state.threads) == 2
    clock.advance(second.end - clock.now() + 60)
    snapshot_hub.vote(second.id, [4.0 * M, 0.5 * M, 0.0], votes=50)
    await settle(gov_bot)
    assert await state_of(gov_bot, bounty) is State.APPROVED
    assert len(posted(sandbox, "governance", "Vote passed")) == 1


# --- the hgp preset -----------------------------------------------------------------------------------------------


async def test_the_hgp_preset_takes_hbot_eth_proposals_with_two_days_of_discussion_in_proposals(
    sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, tmp_path: Path, clock: ManualClock, people: People
) -> None:
    await sandbox.create_channel("proposals", TEXT)
    config = gov_config(sandbox, snapshot_hub, tmp_path, preset="hgp")
    async with running_bot(config, clock=clock) as bot:
        assert bot.setup_problems == []
        bounty = await in_governance(bot, people)
        await checklist_done(people, bounty)
        ncp = proposal_for(snapshot_hub, clock, days_ahead=3, vote_days=3)
        wrong = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=ncp.id)
        assert "the rules take proposals on `hbot.eth`" in wrong.reply.text
        # Its own quorum (6M) is the one that counts.
        hgp = proposal_for(snapshot_hub, clock, days_ahead=2, vote_days=3, space="hbot.eth", quorum=6 * M)
        done = await people.staff.run("governance link", channel="general", bounty=bounty, proposal=link_of(hgp))
        assert "Proposal linked" in done.reply.text, done.reply.text
        await settle(bot)
        [opened] = posted(sandbox, "governance", "Discussion open")
        assert "Rules (hgp)" in text(opened) and "200,000 HBOT to propose" in text(opened)
        [opener] = posted(sandbox, "proposals", "Discuss:")
        assert sandbox.state.threads[opener["id"]]["parent_id"] == sandbox.state.channel_named("proposals")["id"]
        snapshot_hub.vote(hgp.id, [5.5 * M, 0.1 * M, 0.0], votes=60)
        clock.advance(hgp.end - clock.now() + 60)
        await settle(bot)
        [result] = posted(sandbox, "governance", "Vote failed")
        assert "5,600,000 HBOT of 6,000,000 HBOT quorum (the proposal's)" in text(result)
        assert await state_of(bot, bounty) is State.REJECTED


# --- rules, without the bot ---------------------------------------------------------------------------------------


def _closed(choices: tuple[str, ...], scores: tuple[float, ...], quorum: float = 0.0) -> Proposal:
    return Proposal(
        id="0x" + "a" * 64,
        title="t",
        space="hbot.eth",
        state="closed",
        start=0,
        end=1,
        choices=choices,
        scores=scores,
        scores_total=sum(scores),
        scores_state="final",
        quorum=quorum,
        votes=3,
    )


def test_the_tally_reads_yes_and_no_by_the_configured_names() -> None:
    rules = rules_for(Preset.HGP)
    t = tally(_closed(("Yes", "No", "Abstain"), (3 * M, 1 * M, 2 * M)), rules)
    assert (t.approval, t.total, t.quorum, t.passed) == (75.0, 6 * M, 5 * M, True)
    t = tally(_closed(("yes ", "NO"), (1.0, 1.0)), rules)
    assert (t.approval, t.approval_met) == (50.0, False)
    t = tally(_closed(("Maybe",), (9 * M,)), rules)
    assert (t.abstain, t.approval_met, t.passed) == (9 * M, False, False)
    custom = rules_for(Preset.PROCESS, yes_choices=("Approve",), no_choices=("Reject",), approval_threshold=66.0)
    t = tally(_closed(("Approve", "Reject"), (3 * M, 2 * M)), custom)
    assert (t.approval, t.approval_met) == (60.0, False)


def test_proposal_references() -> None:
    pid = "0x" + "Ab" * 32
    assert parse_proposal_ref(pid).id == pid.lower()
    ref = parse_proposal_ref(f"https://snapshot.org/#/hbot.eth/proposal/{pid}")
    assert (ref.id, ref.space) == (pid.lower(), "hbot.eth")
    assert parse_proposal_ref(f"https://snapshot.box/#/s:hbot.eth/proposal/{pid}").space == "hbot.eth"
    for bad in ("0x12", pid + "00", "http://snapshot.org/#/hbot.eth/proposal/" + pid, "QmWbpCtw", "<@&1> " + pid):
        with pytest.raises(InvalidInput):
            parse_proposal_ref(bad)


def test_the_presets_and_their_overrides_in_config(sandbox: DiscordSandbox, tmp_path: Path) -> None:
    base = {"discord": {"guild_id": 1}}
    process = parse_config(base, {}).governance
    assert (process.preset, process.discussion_days, process.vote_days, process.quorum) == (Preset.PROCESS, 7, 7, 4 * M)
    hgp = parse_config({**base, "governance": {"preset": "hgp", "vote_days": 5}}, {}).governance
    assert (hgp.space, hgp.discussion_days, hgp.vote_days, hgp.quorum, hgp.proposal_threshold) == (
        "hbot.eth",
        2,
        5,
        5 * M,
        200_000,
    )
    assert hgp.discussion_channel == "proposals"
    with pytest.raises(ConfigError) as refused:
        parse_config(
            {
                **base,
                "governance": {
                    "preset": "ncp",
                    "approval_threshold": 40,
                    "quorum": 0,
                    "space": "Not a space",
                    "yes_choices": ["For"],
                    "no_choices": ["for"],
                    "hub_url": "ftp://hub",
                    "vote_day": 3,
                },
            },
            {},
        )
    problems = "\n".join(refused.value.problems)
    for expected in (
        "[governance] preset: 'ncp' is not a preset (process or hgp)",
        "[governance] approval_threshold: the percent of For votes to exceed must be 50–99.99, got 40",
        "[governance] quorum: must be greater than 0",
        "[governance] space: 'Not a space' is not a Snapshot space id",
        "[governance] yes_choices and no_choices both name for",
        "[governance] hub_url: 'ftp://hub' must be a http or https URL",
        "[governance] vote_day: unknown key",
    ):
        assert expected in problems, problems


async def test_the_status_follows_the_proposal_from_its_checklist_to_the_result(
    gov_bot: BountyBot, sandbox: DiscordSandbox, snapshot_hub: SnapshotHub, clock: ManualClock, people: People
) -> None:
    bot = gov_bot

    async def governance_field(bounty: int) -> str:
        shown = await people.exchange.run("bounty status", channel="general", bounty=bounty)
        embed = shown.reply.message["embeds"][0]
        return next(f["value"] for f in embed["fields"] if f["name"] == "Governance")

    bounty = await in_governance(bot, people)
    assert "Proposal checklist 0/3: still needs technical specification" in await governance_field(bounty)
    await checklist_done(people, bounty)
    assert "`/governance link`" in await governance_field(bounty)
    proposal = proposal_for(snapshot_hub, clock)
    await people.staff.run("governance link", channel="general", bounty=bounty, proposal=proposal.id)
    await settle(bot)
    shown = await governance_field(bounty)
    assert link_of(proposal) in shown and f"Discussion until the vote opens <t:{proposal.start}:R>" in shown
    clock.advance(proposal.start - clock.now())
    await settle(bot)
    assert f"Voting now on Snapshot: ends <t:{proposal.end}:R>" in await governance_field(bounty)
    snapshot_hub.vote(proposal.id, [3.2 * M, 1.1 * M, 0.2 * M], votes=148)
    clock.advance(proposal.end - clock.now() + 60)
    await settle(bot)
    assert "Vote **passed**" in await governance_field(bounty)
