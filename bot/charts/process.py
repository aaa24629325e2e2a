"""A helper process for drawings too heavy to share the bot's interpreter.

matplotlib in a worker thread of the bot would still share the interpreter with the event loop: while it
draws, every callback waits its turn for the interpreter lock (a 25 ms callback took 50–70 ms while fifty
new timeline pictures were drawn, bench/timeline_picture.py), and its ~45 MB of modules, and the memory
its drawings leave with the allocator (~+90 MB after fifty), would sit in the bot's own process, whose
budget is 150 MB. In a process of its own it costs the bot neither: the event loop only waits on a future.

The process is started on the first drawing (spawned, not forked: the bot has threads, and a forked child
would inherit their locks mid-use), so start-up never pays for it; again after it dies; and it stops after
ten minutes without a drawing.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")


IDLE_SECONDS = 600.0


class DrawingProcess:
    """One helper process, started when first needed, running one drawing at a time, and stopped after
    `idle_seconds` without one: pictures come in bursts (a status asked around a phase change), and between
    them the helper's ~100 MB would sit unused."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._idle_seconds = idle_seconds
        self._busy = 0
        self._idle_stop: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> int | None:
        """The helper's process id, once it runs (for the tests and the benchmark)."""
        processes = list(getattr(self._pool, "_processes", None) or {})
        return processes[0] if processes else None

    async def run(self, draw: Callable[[K], bytes], key: K) -> bytes:
        """`draw(key)` in the helper process (`draw` a module-level function, `key` picklable)."""
        try:
            return await self._run_once(draw, key)
        except BrokenProcessPool:
            # The helper died (killed, out of memory): the drawing is tried once more, in a new one.
            log.warning("the drawing process stopped; starting another")
            return await self._run_once(draw, key)

    async def _run_once(self, draw: Callable[[K], bytes], key: K) -> bytes:
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None:
            pool = self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        if self._idle_stop is not None:
            self._idle_stop.cancel()
            self._idle_stop = None
        self._busy += 1
        try:
            return await loop.run_in_executor(pool, draw, key)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            self._busy -= 1
            if self._busy == 0 and self._pool is not None:
                self._idle_stop = loop.call_later(self._idle_seconds, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        self._idle_stop = None
        if self._busy == 0:
            self.close()

    def close(self) -> None:
        """Let the helper finish and exit, without waiting for it (the next drawing starts another)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# One per bot process: the bot is one per process in production, and the tests, which start many bots in one
# process, start one helper between them rather than one each.
drawing_process = DrawingProcess()
