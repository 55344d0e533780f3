"""Timing helpers: sequential latency probes and a concurrent trainee workload."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.client import Response


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (pct in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Timing:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds
    statuses: Counter = field(default_factory=Counter)
    expected: tuple[int, ...] = (200,)
    sizes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float | None = None  # the server's, over the timed requests

    def add(self, response: Response) -> None:
        self.samples.append(response.seconds)
        self.statuses[response.status] += 1
        self.sizes.append(len(response.body))

    @property
    def unexpected(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in self.expected) + len(self.errors)

    def ms(self, pct: float) -> float | None:
        value = percentile(self.samples, pct)
        return None if value is None else value * 1000

    def summary(self) -> dict:
        return {
            "n": len(self.samples),
            "p50_ms": _round(self.ms(50)),
            "p95_ms": _round(self.ms(95)),
            "max_ms": _round(self.ms(100)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "unexpected": self.unexpected,
            "bytes": max(self.sizes) if self.sizes else None,
            "server_cpu_ms": _round(1000 * self.cpu_seconds / len(self.samples))
            if self.cpu_seconds is not None and self.samples
            else None,
            "errors": self.errors[:5],
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def sequential(
    name: str,
    send: Callable[[int], Response],
    *,
    count: int = 200,
    warmup: int = 20,
    budget: float = 20.0,
    expected=(200,),
    cpu: Callable[[], float] | None = None,
) -> Timing:
    """Warm up, then time up to `count` sequential requests or until `budget` seconds pass;
    `cpu()` (the server's CPU seconds so far) is read around the timed requests."""
    timing = Timing(name, expected=tuple(expected))
    for n in range(warmup):
        send(n)
    deadline = time.monotonic() + budget
    cpu_before = cpu() if cpu else None
    for n in range(warmup, warmup + count):
        if time.monotonic() > deadline:
            break
        timing.add(send(n))
    if cpu:
        timing.cpu_seconds = cpu() - cpu_before
    return timing


@dataclass
class WorkloadResult:
    clients: int
    seconds: float
    timings: dict[str, Timing]
    failures: list[str]
    sessions: int

    @property
    def requests(self) -> int:
        return sum(len(t.samples) for t in self.timings.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def all_samples(self) -> list[float]:
        return [s for t in self.timings.values() for s in t.samples]

    def server_errors(self) -> int:
        return sum(n for t in self.timings.values() for s, n in t.statuses.items() if s >= 500)


def run_concurrently(
    clients: int,
    jobs: Sequence,
    prepare: Callable,
    session: Callable,
    *,
    deadline_s: float = 90.0,
    timeout: float = 30.0,
) -> WorkloadResult:
    """`clients` threads share the jobs round-robin. Each thread first runs prepare(job) for all
    of its jobs (untimed: signing in), then all threads start together and run
    session(prepared, record) job after job; past `deadline_s` no new job starts."""
    timings: dict[str, Timing] = defaultdict(lambda: Timing(""))
    lock = threading.Lock()
    failures: list[str] = []
    done = [0]
    start_line = threading.Barrier(clients + 1, timeout=timeout * 4)
    deadline = [time.monotonic() + deadline_s + timeout * 4]

    def record(kind: str, response: Response, expected=(200,)) -> Response:
        with lock:
            timing = timings[kind]
            timing.name, timing.expected = kind, tuple(expected)
            timing.add(response)
        return response

    def fail(error: Exception) -> None:
        with lock:
            failures.append(f"{type(error).__name__}: {error}")

    def worker(mine):
        prepared = []
        for job in mine:
            try:
                prepared.append(prepare(job))
            except Exception as error:  # noqa: BLE001 (counted and reported)
                fail(error)
        try:
            start_line.wait()
        except threading.BrokenBarrierError as error:
            fail(error)
            return
        for state in prepared:
            if time.monotonic() > deadline[0]:
                return
            try:
                session(state, record)
                with lock:
                    done[0] += 1
            except Exception as error:  # noqa: BLE001 (counted and reported)
                fail(error)

    threads = [
        threading.Thread(target=worker, args=(list(jobs[n::clients]),), daemon=True) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    start_line.wait()
    deadline[0] = time.monotonic() + deadline_s
    started = time.perf_counter()
    for thread in threads:
        thread.join(max(0.1, deadline[0] - time.monotonic() + timeout + 5))
    seconds = time.perf_counter() - started
    return WorkloadResult(clients, seconds, dict(timings), failures, done[0])
