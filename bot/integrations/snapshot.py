"""The Snapshot hub's GraphQL API (httpx): one typed read, `proposal(id)`, with retries. No rules here.

Every query document the bot sends is in :data:`QUERIES`; tests/test_snapshot.py validates each against the
hub's published schema (`specs/snapshot-schema.gql`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from bot.domain.governance import Proposal

log = logging.getLogger(__name__)

PROPOSAL_QUERY = """
query Proposal($id: String!) {
  proposal(id: $id) {
    id
    title
    state
    start
    end
    choices
    scores
    scores_total
    scores_state
    quorum
    votes
    author
    space {
      id
    }
  }
}
"""
QUERIES = {"Proposal": PROPOSAL_QUERY}


class SnapshotUnavailable(Exception):
    """The hub did not answer, or answered something that is not an answer; trying again later may work."""


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def parse_proposal(data: Mapping[str, Any]) -> Proposal | None:
    """The `proposal` field of a hub answer, or None when the hub has no such proposal (`null`).

    Fields a hub leaves out (older answers carry no scores, quorum or votes) take their empty value; a
    proposal without an id, a start or an end is not an answer at all."""
    raw = data.get("proposal")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SnapshotUnavailable("the hub answered a proposal that is not an object")
    space = raw.get("space")
    space_id = space.get("id") if isinstance(space, Mapping) else space
    if (
        not isinstance(raw.get("id"), str)
        or not isinstance(raw.get("start"), int)
        or not isinstance(raw.get("end"), int)
    ):
        raise SnapshotUnavailable("the hub answered a proposal without an id, start or end")
    scores = raw.get("scores") or []
    return Proposal(
        id=str(raw["id"]),
        title=str(raw.get("title") or ""),
        space=str(space_id or ""),
        state=str(raw.get("state") or ""),
        start=int(raw["start"]),
        end=int(raw["end"]),
        choices=tuple(str(c) for c in raw.get("choices") or [] if c is not None),
        scores=tuple(_num(s) for s in scores if isinstance(scores, list)),
        scores_total=_num(raw.get("scores_total")),
        scores_state=str(raw.get("scores_state") or ""),
        quorum=_num(raw.get("quorum")),
        votes=_int(raw.get("votes")),
        author=str(raw.get("author") or ""),
    )


class SnapshotClient:
    """Reads proposals from one hub. `attempts` tries per read, `timeout` seconds each."""

    def __init__(self, hub_url: str, *, timeout: float = 10.0, attempts: int = 3, backoff: float = 0.5) -> None:
        self.hub_url = hub_url
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._opening: asyncio.Lock | None = None

    async def _client(self) -> httpx.AsyncClient:
        """Made on first use, in a worker thread: building one loads the TLS trust store and imports httpcore
        (about 100 ms), which would block the event loop at start for a hub that may not be asked for weeks."""
        if self._http is None:
            self._opening = self._opening or asyncio.Lock()
            async with self._opening:
                if self._http is None:
                    self._http = await asyncio.to_thread(
                        httpx.AsyncClient, timeout=self.timeout, headers={"Content-Type": "application/json"}
                    )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def proposal(self, proposal_id: str) -> Proposal | None:
        """The proposal, or None if the hub has none by that id; :class:`SnapshotUnavailable` if it cannot tell."""
        data = await self._query(PROPOSAL_QUERY, {"id": proposal_id})
        try:
            return parse_proposal(data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # A shape the bot cannot read is no answer: never a result, and never a crash of whoever asked.
            raise SnapshotUnavailable(f"an answer the bot cannot read ({type(exc).__name__})") from None

    async def _query(self, query: str, variables: dict[str, Any]) -> Mapping[str, Any]:
        last = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                http = await self._client()
                response = await http.post(self.hub_url, json={"query": query, "variables": variables})
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            try:
                body = response.json()
            except ValueError:
                last = f"HTTP {response.status_code} with a body that is not JSON"
                continue
            if not isinstance(body, Mapping):
                last = "an answer that is not a JSON object"
                continue
            if body.get("errors"):
                # The hub refused the query itself; retrying the same query cannot help.
                errors = body["errors"]
                first = errors[0] if isinstance(errors, list) and errors else errors
                message = str(first.get("message", "")) if isinstance(first, Mapping) else str(first)
                raise SnapshotUnavailable(f"the hub refused the query: {message[:200]}")
            data = body.get("data")
            if response.status_code != 200 or not isinstance(data, Mapping):
                last = f"HTTP {response.status_code} without data"
                continue
            return data
        log.warning("Snapshot hub %s unavailable after %s attempts: %s", self.hub_url, self.attempts, last)
        raise SnapshotUnavailable(last)
