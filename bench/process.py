"""The bot as production runs it (`python -m bot run --config …`), in a process of its own, against stand-ins
served by the benchmark's process: what the bot costs is then the bot's alone.

The benchmark reads the bot's log to know where it is ("BountyBot ready", "chain clients ready") and
/proc for its memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY = "BountyBot ready in guild"
CHAINS_READY = "chain clients ready"


def toml(data: Mapping[str, Any]) -> str:
    """Just enough TOML for a configuration: nested tables of strings, numbers, booleans and lists."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines: list[str] = []

    def table(prefix: str, section: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in section.items() if not isinstance(v, Mapping)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        for k, v in section.items():
            if isinstance(v, Mapping):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines) + "\n"


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        fields[key] = rest.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child:
    """A Python process whose log (stderr) is watched; `marks` holds when each awaited line appeared
    (perf_counter seconds, comparable with `launched_at`)."""

    def __init__(self, args: list[str], env: Mapping[str, str]) -> None:
        self.args = args
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc: asyncio.subprocess.Process | None = None
        self.launched_at = 0.0
        self.lines: list[str] = []
        self._seen: dict[str, asyncio.Event] = {}
        self.marks: dict[str, float] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def launch(self) -> None:
        self.launched_at = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            now = time.perf_counter()
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            for needle, event in self._seen.items():
                if needle in text and needle not in self.marks:
                    self.marks[needle] = now
                    event.set()
        for event in self._seen.values():
            event.set()  # the process ended: nobody waits forever

    async def wait_for(self, needle: str, timeout: float) -> float | None:
        """Seconds from launch until a log line containing `needle`; None if it did not come in time."""
        event = self._seen.setdefault(needle, asyncio.Event())
        if needle not in self.marks and any(needle in line for line in self.lines):
            return None  # seen before anyone waited: no exact time
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        at = self.marks.get(needle)
        return None if at is None else at - self.launched_at

    def expect(self, *needles: str) -> None:
        """Start timing these log lines now, before launch, so none is missed."""
        for needle in needles:
            self._seen.setdefault(needle, asyncio.Event())

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.lines[-n:])

    def problems(self) -> list[str]:
        return [line for line in self.lines if re.search(r" (ERROR|CRITICAL) |Traceback", line)]

    async def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await self._reader
        return self.proc.returncode


class BotProcess(Child):
    """The bot as production starts it: `python -m bot run --config …`, the file written from `config`."""

    def __init__(self, config: Mapping[str, Any], workdir: Path, env: Mapping[str, str]) -> None:
        config_path = workdir / "config.toml"
        config_path.write_text(toml(config))
        # BENCH_PROFILE=out.prof: the bot runs under cProfile, to see where a figure's time goes.
        profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
        super().__init__([*profile, "-m", "bot", "run", "--config", str(config_path)], env)
