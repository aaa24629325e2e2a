"""Discord's rate limits, as the API announces and enforces them (topics/rate-limits).

Every answer carries the bucket's ``X-RateLimit-*`` headers; a request past a bucket's limit, or past the
global 50 requests a second, is answered 429 with ``retry_after`` in the body and ``Retry-After`` as a
header, as Discord does. Limits are per route and per major parameter (channel, guild, webhook); Discord
does not publish their sizes and asks clients to read the headers, so the sizes here are the commonly
observed ones (5 messages per 5 s in a channel, for instance). Interaction callbacks are not bound by the
global limit (topics/rate-limits#global-rate-limit).

Tests can also inject a storm: the next `times` requests matching a pattern get 429s.

`scale` shrinks every window (not the counts) for the test suite: the bot meets the same buckets, reads the
same headers and must wait the same number of resets, in a fraction of the real time. One test and the demo
run at scale 1.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 50

# (method, route template) -> (requests, window seconds). Anything else: DEFAULT.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{cid}/messages"): (5, 5.0),
    ("PUT", "/channels/{cid}/permissions/{oid}"): (10, 10.0),
    ("DELETE", "/channels/{cid}/permissions/{oid}"): (10, 10.0),
    ("PATCH", "/channels/{cid}"): (10, 15.0),  # any channel edit (discord/discord-api-docs#2208)
    ("POST", "/guilds/{guild}/channels"): (10, 10.0),
    ("POST", "/guilds/{guild}/scheduled-events"): (10, 10.0),
    ("POST", "/users/@me/channels"): (5, 5.0),
}
DEFAULT = (50, 1.0)
# Limits that apply on top of the route's own bucket when the body carries one of the named fields.
# Renaming a channel or changing its topic: 2 per 10 minutes per channel, Discord's well-known extra limit
# (announced in the Discord Developers server, May 2020; python-discord/bot#966, discord.py#9073). Any other
# channel edit (permission overwrites, parent, position) meets only the route's ordinary bucket, while a
# name/topic edit drains both (discord/discord-api-docs#2208). The limit is counted whenever the body names
# `name` or `topic`, even unchanged: Discord does not document otherwise, and a stand-in errs strict.
FIELD_LIMITS: dict[tuple[str, str], tuple[frozenset[str], tuple[int, float]]] = {
    ("PATCH", "/channels/{cid}"): (frozenset({"name", "topic"}), (2, 600.0)),
}
MAJOR_PARAMETERS = ("cid", "guild", "token")


@dataclass
class Limited(Exception):
    retry_after: float
    is_global: bool
    headers: dict[str, str]


@dataclass
class Storm:
    pattern: re.Pattern[str]
    remaining: int
    retry_after: float
    is_global: bool


@dataclass
class _Bucket:
    limit: int
    window: float
    name: str  # Discord's bucket hash: one per route shape, shared across its major parameters
    hits: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        while self.hits and now - self.hits[0] >= self.window:
            self.hits.popleft()


class RateLimits:
    def __init__(
        self,
        *,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.scale = scale
        self.clock = clock
        self.wall = wall
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._global: deque[float] = deque()
        self.storms: list[Storm] = []
        self.refused: list[tuple[str, str, float]] = []  # (method, path, retry_after) of every 429 sent

    def storm(self, path_pattern: str, *, times: int = 3, retry_after: float = 0.2, is_global: bool = False) -> Storm:
        storm = Storm(re.compile(path_pattern), times, retry_after, is_global)
        self.storms.append(storm)
        return storm

    def take(
        self,
        method: str,
        template: str,
        params: dict[str, str],
        path: str,
        *,
        interaction: bool,
        fields: Collection[str] = (),
    ) -> dict[str, str]:
        """Count one request; return the headers to send, or raise :class:`Limited`.

        `fields` are the top-level keys of the JSON body: some routes have a stricter bucket for some
        fields (:data:`FIELD_LIMITS`)."""
        now = self.clock()
        for storm in self.storms:
            if storm.remaining > 0 and storm.pattern.search(path):
                storm.remaining -= 1
                self.refused.append((method, path, storm.retry_after))
                raise Limited(
                    storm.retry_after, storm.is_global, self._limited_headers(storm.retry_after, storm.is_global)
                )
        if not interaction:
            while self._global and now - self._global[0] >= self.scale:
                self._global.popleft()
            if len(self._global) >= GLOBAL_PER_SECOND:
                wait = self.scale - (now - self._global[0])
                self.refused.append((method, path, wait))
                raise Limited(wait, True, self._limited_headers(wait, True))
        major = next((params[p] for p in MAJOR_PARAMETERS if p in params), "")
        route = self._bucket(method, template, major, ROUTE_LIMITS.get((method, template), DEFAULT))
        buckets = [route]
        special = FIELD_LIMITS.get((method, template))
        if special is not None and special[0] & set(fields):
            names = "+".join(sorted(special[0]))
            buckets.append(self._bucket(method, f"{template} [{names}]", major, special[1]))
        for bucket in buckets:
            bucket.prune(now)
        # A request is counted in every bucket it belongs to, or in none: the fullest one refuses it.
        full = [b for b in buckets if len(b.hits) >= b.limit]
        if full:
            bucket = max(full, key=lambda b: b.window - (now - b.hits[0]))
            wait = bucket.window - (now - bucket.hits[0])
            self.refused.append((method, path, wait))
            headers = self._limited_headers(wait, False)
            # The headers always describe the route's bucket: a field limit is a sub-limit Discord does not
            # announce, so its 429 may come with requests "remaining" and only `retry_after` tells the wait
            # (discord/discord-api-docs#2190, as discord.py's http.py quotes it).
            headers.update(self._bucket_headers(route, now))
            raise Limited(wait, False, headers)
        for bucket in buckets:
            bucket.hits.append(now)
        if not interaction:
            self._global.append(now)
        return self._bucket_headers(route, now)

    def _bucket(self, method: str, template: str, major: str, size: tuple[int, float]) -> _Bucket:
        limit, window = size
        return self._buckets.setdefault(
            (method, template, major), _Bucket(limit, window * self.scale, _bucket_hash(method, template))
        )

    def _bucket_headers(self, bucket: _Bucket, now: float) -> dict[str, str]:
        reset_after = bucket.window - (now - bucket.hits[0]) if bucket.hits else bucket.window
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, bucket.limit - len(bucket.hits))),
            "X-RateLimit-Reset": f"{self.wall() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.name,
        }

    @staticmethod
    def _limited_headers(retry_after: float, is_global: bool) -> dict[str, str]:
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
            # Discord's answers pass its Google front end and say so; a 429 without it is a Cloudflare ban,
            # which discord.py does not retry (discord/http.py).
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return headers


def _bucket_hash(method: str, template: str) -> str:
    return hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
