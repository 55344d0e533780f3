"""How busy the machine is while we measure: our server and client, and everything else.

The benchmark shares two cores with whatever else runs (a test suite, a database); latency
under concurrency means little without knowing how much CPU other processes took meanwhile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def own_seconds() -> float:
    times = os.times()
    return times.user + times.system


class CpuWatch:
    """CPU used during a stretch of time: by the server's workers, by this process (the
    clients), by everything else (other processes; with PostgreSQL, the database too)."""

    def __init__(self, server_cpu: Callable[[], float]):
        self.server_cpu = server_cpu
        self._start: tuple[float, float, float, float] | None = None

    def __enter__(self) -> CpuWatch:
        self._start = (
            time.monotonic(),
            machine_busy_seconds(),
            self.server_cpu(),
            own_seconds(),
        )
        return self

    def __exit__(self, *exc) -> None:
        self._end = (time.monotonic(), machine_busy_seconds(), self.server_cpu(), own_seconds())

    def summary(self) -> dict:
        wall, busy, server, client = (b - a for a, b in zip(self._start, self._end, strict=True))
        cores = lambda seconds: round(seconds / wall, 2) if wall > 0 else None  # noqa: E731
        return {
            "seconds": round(wall, 1),
            "server_cores": cores(server),
            "client_cores": cores(client),
            "other_cores": cores(max(0.0, busy - server - client)),
        }


def wait_until_quiet(
    server_cpu: Callable[[], float], *, threshold: float = 0.3, longest: float = 20.0
) -> float:
    """Wait (at most `longest` s) for a second in which other processes use less than
    `threshold` cores; returns what they used in the last second sampled."""
    deadline = time.monotonic() + longest
    while True:
        with CpuWatch(server_cpu) as watch:
            time.sleep(1.0)
        other = watch.summary()["other_cores"] or 0.0
        if other < threshold or time.monotonic() > deadline:
            return other
