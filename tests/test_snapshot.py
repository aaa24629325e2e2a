"""The Snapshot adapter and its stand-in: every query the bot sends is one the hub's published schema accepts,
the recorded mainnet answer parses, and a hub that is down or has lost a proposal is told apart from an answer."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse, validate

from bot.clock import ManualClock
from bot.domain.governance import Preset, rules_for, tally
from bot.integrations.snapshot import QUERIES, SnapshotClient, SnapshotUnavailable, parse_proposal
from bot.sandbox.snapshot import SnapshotHub

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "specs" / "snapshot-schema.gql"
FIXTURES = ROOT / "tests" / "fixtures" / "mainnet" / "snapshot"
DAY = 86_400


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_valid_against_the_hubs_schema(name: str) -> None:
    schema = build_schema(SCHEMA.read_text(encoding="utf-8"))
    errors = validate(schema, parse(QUERIES[name]))
    assert errors == [], [e.message for e in errors]


def test_the_schema_check_catches_a_field_the_hub_does_not_have() -> None:
    """The check above is not vacuous: a misspelt field is refused by the same validation."""
    schema = build_schema(SCHEMA.read_text(encoding="utf-8"))
    broken = QUERIES["Proposal"].replace("scores_total", "score_total")
    assert [e.message for e in validate(schema, parse(broken))]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_the_recorded_mainnet_answer_parses(path: Path) -> None:
    data = json.loads(path.read_text())["data"]
    proposal = parse_proposal(data)
    assert proposal is not None
    raw = data["proposal"]
    assert (proposal.id, proposal.space, proposal.state) == (raw["id"], raw["space"]["id"], raw["state"])
    assert (proposal.start, proposal.end, list(proposal.choices)) == (raw["start"], raw["end"], raw["choices"])
    # An answer without scores counts as no votes, never as a result that passed.
    assert not tally(proposal, rules_for(Preset.PROCESS)).passed


async def test_the_stand_in_serves_the_recorded_answer_and_refuses_a_query_the_schema_refuses(
    snapshot_hub: SnapshotHub,
) -> None:
    recorded = json.loads(next(FIXTURES.glob("*.json")).read_text())["data"]["proposal"]
    client = SnapshotClient(snapshot_hub.graphql_url, backoff=0.01)
    try:
        proposal = await client.proposal(recorded["id"])
        assert proposal is not None and proposal.title == recorded["title"]
        async with httpx.AsyncClient() as http:
            answer = await http.post(snapshot_hub.graphql_url, json={"query": "{ proposal(id: 1) { nonsense } }"})
        assert answer.status_code == 400 and answer.json()["errors"]
    finally:
        await client.close()
    # Sent on purpose here; any other query the schema refuses fails the test that sent it.
    assert snapshot_hub.violations and all("refused" in v for v in snapshot_hub.violations)
    snapshot_hub.violations.clear()


async def test_a_proposal_follows_the_clock_and_a_deleted_one_is_none(
    snapshot_hub: SnapshotHub, clock: ManualClock
) -> None:
    now = clock.now()
    made = snapshot_hub.add(start=now + DAY, end=now + 4 * DAY, quorum=5_000_000)
    client = SnapshotClient(snapshot_hub.graphql_url, backoff=0.01)
    try:
        pending = await client.proposal(made.id)
        assert pending is not None and (pending.state, pending.scores_state) == ("pending", "pending")
        assert pending.quorum == 5_000_000 and pending.choices == ("For", "Against", "Abstain")
        clock.advance(2 * DAY)
        snapshot_hub.vote(made.id, [3.0, 1.0, 1.0], votes=3)
        active = await client.proposal(made.id)
        assert active is not None and active.state == "active" and active.scores_total == 5.0
        clock.advance(3 * DAY)
        closed = await client.proposal(made.id)
        assert closed is not None and (closed.state, closed.scores_state, closed.votes) == ("closed", "final", 3)
        snapshot_hub.delete(made.id)
        assert await client.proposal(made.id) is None
    finally:
        await client.close()


async def test_a_hub_that_is_down_is_unavailable_after_retries_never_an_answer(snapshot_hub: SnapshotHub) -> None:
    client = SnapshotClient(snapshot_hub.graphql_url, backoff=0.01, attempts=3)
    snapshot_hub.down = True
    try:
        with pytest.raises(SnapshotUnavailable, match="503"):
            await client.proposal("0x" + "ab" * 32)
        assert snapshot_hub.requests == []  # refused before reading the query: the hub is down
    finally:
        await client.close()
    nowhere = SnapshotClient("http://127.0.0.1:9/graphql", backoff=0.01, attempts=2)
    try:
        with pytest.raises(SnapshotUnavailable):
            await nowhere.proposal("0x" + "ab" * 32)
    finally:
        await nowhere.close()


def test_an_answer_missing_its_times_is_not_read_as_a_proposal() -> None:
    with pytest.raises(SnapshotUnavailable):
        parse_proposal({"proposal": {"id": "0x1", "title": "no times"}})
    assert parse_proposal({"proposal": None}) is None
