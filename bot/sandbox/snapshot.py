"""A Snapshot hub stand-in on 127.0.0.1: GraphQL over HTTP, executed by graphql-core against the hub's own
published schema (`specs/snapshot-schema.gql`, from snapshot-labs/snapshot-hub `src/graphql/schema.gql`).

A query the real schema does not accept is refused the way the hub refuses it (HTTP 400 with `errors`) and
recorded in ``violations``, which fails the test that sent it. Proposals are configured by the test; their
`state` follows the shared clock as the hub's does (pending before `start`, active until `end`, then
closed), and `scores_state` is `final` once closed unless the test holds the count back. Faults: the hub
down (503), a proposal deleted (the hub answers `null`). The recorded mainnet answers in
`tests/fixtures/mainnet/snapshot/` are served verbatim for their ids.
"""

from __future__ import annotations

import functools
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.http import LocalServer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "specs" / "snapshot-schema.gql"
RECORDED = ROOT / "tests" / "fixtures" / "mainnet" / "snapshot"


@functools.cache
def schema() -> Any:
    from graphql import build_schema

    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


def query_problems(query: str) -> list[str]:
    """Why the hub's schema would refuse `query` (empty: it is valid)."""
    from graphql import GraphQLError, parse, validate

    try:
        document = parse(query)
    except GraphQLError as exc:
        return [exc.message]
    return [e.message for e in validate(schema(), document)]


@dataclass
class HubProposal:
    id: str
    space: str
    title: str
    start: int
    end: int
    choices: list[str]
    scores: list[float] = field(default_factory=list)
    votes: int = 0
    quorum: float = 0.0
    author: str = "0x" + "11" * 20
    created: int = 0
    hold_scores: bool = False  # closed, but the hub has not finished counting ("pending")

    def as_graphql(self, now: float) -> dict[str, Any]:
        state = "pending" if now < self.start else "active" if now < self.end else "closed"
        scores = self.scores or [0.0] * len(self.choices)
        return {
            "id": self.id,
            "ipfs": "bafkrei" + self.id[2:40],
            "author": self.author,
            "created": self.created,
            "updated": None,
            "space": {"id": self.space, "name": self.space},
            "network": "1",
            "symbol": "HBOT",
            "type": "single-choice",
            "strategies": [],
            "validation": None,
            "plugins": {},
            "title": self.title,
            "body": "",
            "discussion": "",
            "choices": list(self.choices),
            "labels": [],
            "start": self.start,
            "end": self.end,
            "quorum": self.quorum,
            "quorumType": "default",
            "privacy": "",
            "snapshot": 24_000_000,
            "state": state,
            "link": f"https://snapshot.org/#/{self.space}/proposal/{self.id}",
            "app": "snapshot",
            "scores": scores,
            "scores_by_strategy": [],
            "scores_state": "final" if state == "closed" and not self.hold_scores else "pending",
            "scores_total": float(sum(scores)),
            "scores_updated": int(now),
            "scores_total_value": 0.0,
            "vp_value_by_strategy": [],
            "votes": self.votes,
            "flagged": False,
            "flagCode": 0,
        }


class SnapshotHub(LocalServer):
    """`await hub.start()`; point the bot's `[governance] hub_url` at :attr:`graphql_url`."""

    def __init__(self, *, clock: Callable[[], float] = time.time, recorded: Path = RECORDED) -> None:
        self.clock = clock
        self.proposals: dict[str, HubProposal] = {}
        self.down = False
        # A hub (or a proxy in front of it) answering 200 with something no client can read: the
        # errors in a shape the GraphQL spec does not allow, and a proposal of the wrong types.
        self.garbled = False
        self.requests: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self._recorded = {
            json.loads(p.read_text())["data"]["proposal"]["id"]: p.read_text() for p in sorted(recorded.glob("*.json"))
        }
        self._counter = itertools.count(1)

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/graphql", self._graphql)

    # --- what the test configures ------------------------------------------------------------------------

    def add(
        self,
        *,
        space: str = "hbot-ncp.eth",
        title: str = "",
        start: int,
        end: int,
        choices: tuple[str, ...] = ("For", "Against", "Abstain"),
        quorum: float = 0.0,
        proposal_id: str = "",
    ) -> HubProposal:
        n = next(self._counter)
        pid = proposal_id or "0x" + secrets.token_hex(32)
        proposal = HubProposal(
            id=pid,
            space=space,
            title=title or f"HGP-{n}: add a connector",
            start=start,
            end=end,
            choices=list(choices),
            quorum=quorum,
            created=int(self.clock()),
        )
        self.proposals[pid] = proposal
        return proposal

    def vote(self, proposal_id: str, scores: list[float], votes: int) -> None:
        self.proposals[proposal_id].scores = list(scores)
        self.proposals[proposal_id].votes = votes

    def delete(self, proposal_id: str) -> HubProposal:
        return self.proposals.pop(proposal_id)

    # --- the hub -----------------------------------------------------------------------------------------

    def _proposal(self, info: Any, id: str) -> dict[str, Any] | None:
        found = self.proposals.get(id)
        return found.as_graphql(self.clock()) if found is not None else None

    async def _graphql(self, request: web.Request) -> web.Response:
        from graphql import graphql

        if self.down:
            return web.Response(status=503, text="<html>503 Service Temporarily Unavailable</html>")
        if self.garbled:
            return web.json_response({"data": {"proposal": {"id": 7, "start": "soon", "scores": "many"}}})
        try:
            body = json.loads(await request.read())
            query, variables = body["query"], body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return web.json_response({"errors": [{"message": "Must provide query string."}]}, status=400)
        self.requests.append(body)
        problems = query_problems(query)
        if problems:
            self.violations.extend(f"snapshot query refused: {p}" for p in problems)
            return web.json_response({"errors": [{"message": p} for p in problems]}, status=400)
        recorded = self._recorded.get(str(variables.get("id", "")))
        if recorded is not None:
            return web.Response(text=recorded, content_type="application/json")
        result = await graphql(schema(), query, root_value={"proposal": self._proposal}, variable_values=variables)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message} for e in result.errors]
            self.violations.extend(f"snapshot execution: {e.message}" for e in result.errors)
        return web.json_response(payload)
