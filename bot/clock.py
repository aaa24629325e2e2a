"""Time, injectable: the bot asks a clock, so tests can run weeks in seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> int:
        """Unix time in whole seconds."""
        ...

    def on_jump(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever the clock moves other than by the passing of real time."""
        ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())

    def on_jump(self, listener: Callable[[], None]) -> None:
        """Real time never jumps."""


class ManualClock:
    """A clock that only moves when told to (tests, the demo)."""

    def __init__(self, start: int) -> None:
        self._now = start
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> int:
        return self._now

    def on_jump(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        self._now += int(seconds)
        for listener in list(self._listeners):
            listener()
