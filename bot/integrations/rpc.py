"""What every chain adapter shares: trying each configured RPC endpoint in turn, and counting calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar
from urllib.parse import urlparse

log = logging.getLogger(__name__)

C = TypeVar("C")
R = TypeVar("R")


class RpcUnavailable(Exception):
    """No configured endpoint gave an answer. Never to be read as "not paid"."""


class NotThere(Exception):
    """The endpoint answered, and the thing asked for does not exist (yet)."""


def where(url: str) -> str:
    """An endpoint named without its path or query, which may carry an API key."""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname}"


class Failover(Generic[C]):
    """Clients for each endpoint, tried in order; the first that answers wins."""

    def __init__(self, urls: list[str], make: Callable[[str], C]) -> None:
        if not urls:
            raise ValueError("at least one RPC URL is needed")
        self.endpoints = [(where(url), make(url)) for url in urls]
        self.calls = 0  # every request sent, for the "RPC calls per verification" budget

    async def call(self, what: str, fn: Callable[[C], Awaitable[R]]) -> R:
        problems = []
        for name, client in self.endpoints:
            self.calls += 1
            try:
                return await fn(client)
            except (NotThere, asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - any failure of one endpoint means: try the next.
                # BaseException because solders raises a PanicException (not an Exception) on some odd replies.
                log.warning("RPC %s failed on %s: %s", what, name, type(exc).__name__)
                problems.append(f"{name}: {type(exc).__name__}")
        raise RpcUnavailable(f"{what}: no RPC endpoint answered ({'; '.join(problems)})")
