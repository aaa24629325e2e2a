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
from collections.abc import Callable
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 50

# (method, route template) -> (requests, window seconds). Anything else: DEFAULT.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{cid}/messages"): (5, 5.0),
    ("PUT", "/channels/{cid}/permissions/{oid}"): (10, 10.0),
    ("DELETE", "/channels/{cid}/permissions/{oid}"): (10, 10.0),
    ("PATCH", "/channels/{cid}"): (2, 600.0),  # channel name/topic edits: Discord's well-known 2 per 10 min
    ("POST", "/guilds/{guild}/channels"): (10, 10.0),
    ("POST", "/guilds/{guild}/scheduled-events"): (10, 10.0),
    ("POST", "/users/@me/channels"): (5, 5.0),
}
DEFAULT = (50, 1.0)
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
        self, method: str, template: str, params: dict[str, str], path: str, *, interaction: bool
    ) -> dict[str, str]:
        """Count one request; return the headers to send, or raise :class:`Limited`."""
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
        limit, window = ROUTE_LIMITS.get((method, template), DEFAULT)
        major = next((params[p] for p in MAJOR_PARAMETERS if p in params), "")
        bucket = self._buckets.setdefault(
            (method, template, major), _Bucket(limit, window * self.scale, _bucket_hash(method, template))
        )
        bucket.prune(now)
        if len(bucket.hits) >= bucket.limit:
            wait = bucket.window - (now - bucket.hits[0])
            self.refused.append((method, path, wait))
            headers = self._limited_headers(wait, False)
            headers.update(self._bucket_headers(bucket, now))
            raise Limited(wait, False, headers)
        bucket.hits.append(now)
        if not interaction:
            self._global.append(now)
        return self._bucket_headers(bucket, now)

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
