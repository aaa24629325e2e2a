"""Drawings by key: each drawn once, off the event loop, and the last `size` used kept."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Drawings(Generic[K]):
    """Pictures by key: each drawn once, off the event loop, and the last `size` used kept.

    The same few are asked for again and again (a payment link's QR code, a bounty's timeline this hour),
    and drawing one takes tens of milliseconds of CPU, which fifty members asking at once would otherwise
    stack on the event loop.

    Single flight: a new key's drawing is a task of its own, and everyone asking for that key meanwhile
    waits for that one task. A caller waits through `asyncio.shield`, so a caller that gives up (its
    interaction cancelled) neither cancels the drawing nor hands its cancellation to the others waiting;
    only a failure of the drawing itself reaches them, and the key is drawn afresh on the next ask.
    Drawings run one at a time, so a burst of new keys never has several threads contending with the event
    loop for the interpreter (or queues several drawings in a helper process).
    """

    def __init__(
        self,
        draw: Callable[[K], bytes],
        size: int,
        *,
        name: str = "drawing",
        runner: Callable[[Callable[[K], bytes], K], Awaitable[bytes]] = asyncio.to_thread,
    ) -> None:
        """`runner(draw, key)` draws off the event loop: a worker thread by default, or a helper process
        (bot/charts/process.py) for a drawing heavy enough to slow the loop from a thread."""
        self._draw = draw
        self._run = runner
        self._size = size
        self._name = name
        self._kept: OrderedDict[K, bytes] = OrderedDict()
        self._drawing: dict[K, asyncio.Task[bytes]] = {}
        self._one_at_a_time = asyncio.Lock()

    def cached(self, key: K) -> bool:
        return key in self._kept

    async def get(self, keys: list[K]) -> dict[K, bytes]:
        """Each key's picture (PNG), by key."""
        out: dict[K, bytes] = {}
        waiting: dict[K, asyncio.Task[bytes]] = {}
        # Everything already kept is taken now, before any await: an eviction meanwhile cannot lose it.
        for key in dict.fromkeys(keys):
            png = self._kept.get(key)
            if png is not None:
                self._kept.move_to_end(key)
                out[key] = png
                continue
            drawing = self._drawing.get(key)
            if drawing is None:
                drawing = self._drawing[key] = asyncio.create_task(self._drawn(key), name=self._name)
                drawing.add_done_callback(_retrieved)
            waiting[key] = drawing
        for key, drawing in waiting.items():
            out[key] = await asyncio.shield(drawing)
        return out

    async def one(self, key: K) -> bytes:
        return (await self.get([key]))[key]

    async def _drawn(self, key: K) -> bytes:
        try:
            async with self._one_at_a_time:
                png = await self._run(self._draw, key)
        finally:
            del self._drawing[key]
        # Kept in the same step as it leaves `_drawing`: a key is always in one or the other until drawn.
        self._kept[key] = png
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return png


def _retrieved(drawing: asyncio.Task[bytes]) -> None:
    """Mark a failed drawing's exception as seen: when every asker gave up, nobody else would."""
    if not drawing.cancelled():
        drawing.exception()
