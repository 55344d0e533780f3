"""Run the real app under gunicorn on loopback for a benchmark or a load test, and stop it.

The server gets its own process group so that stop() always ends the master and its
workers, and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.client import Browser

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def proc_status(pid: int) -> dict[str, str]:
    """/proc/<pid>/status as a dict ({} when the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def memory_kb(pid: int, field: str = "VmHWM") -> int | None:
    """Peak (VmHWM) or current (VmRSS) resident memory of a process, in kB."""
    value = proc_status(pid).get(field)
    return int(value.split()[0]) if value else None


def workers_cpu(pids: list[int], *, reaped_children: bool = False) -> float:
    """CPU seconds (user + system) the processes have used so far; with `reaped_children`,
    also what their children used before they exited and were waited for."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped_children:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / ticks


def memory_pss_kb(pid: int) -> int | None:
    """Proportional set size: resident memory with shared pages split among their users."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


class GunicornServer:
    """gunicorn serving wsgi:app on 127.0.0.1 and a free port, as `make serve` runs it (without
    --max-requests, so a worker is never recycled in the middle of a measurement)."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 2,
        threads: int = 4,
        timeout: int = 30,
        env: dict[str, str] | None = None,
        app: str = "wsgi:app",
        options: tuple[str, ...] = (),
    ):
        self.database_url = database_url
        self.app, self.options = app, tuple(options)
        self.workers, self.threads, self.timeout = workers, threads, timeout
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="lms-server-")
        self.log_path = Path(self._dir.name) / "gunicorn.log"
        self.extra_env = env or {}

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            str(self.timeout),
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
            *self.options,
            self.app,
        ]

    def start(self, wait: float = 30.0) -> GunicornServer:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "PRODUCTION": "1",
            "LMS_INSTANCE_PATH": str(Path(self._dir.name) / "instance"),
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait
        probe = Browser(HOST, self.port, timeout=2)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if probe.get("/healthz").status == 200 and len(self.worker_pids()) == self.workers:
                        return self
                except OSError:
                    pass
                time.sleep(0.01)  # "start → first 200" is measured to within this
        finally:
            probe.close()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {wait} s:\n{self.log_tail()}")

    @property
    def instance_path(self) -> Path:
        """The server's instance folder (its job queue, kept uploads)."""
        return Path(self._dir.name) / "instance"

    def worker_pids(self) -> list[int]:
        """The master's live child processes (the workers)."""
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = [int(p) for p in children.read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            return []
        return [p for p in pids if proc_status(p).get("State", "Z").split()[0] not in "ZX"]

    def cpu_seconds(self) -> float:
        """CPU the server has used so far: its master, its live workers, and the workers it
        has replaced (gunicorn.conf.py hands a grown worker over to a fresh one)."""
        if self.process is None:
            return 0.0
        return workers_cpu([self.process.pid], reaped_children=True) + workers_cpu(self.worker_pids())

    def wait_for_workers(self, count: int | None = None, exclude=(), wait: float = 30.0) -> list[int]:
        """Wait until `count` workers run, none of them in `exclude` (e.g. a killed one)."""
        count = count or self.workers
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = [p for p in self.worker_pids() if p not in exclude]
            if len(pids) == count:
                return pids
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not bring back {count} workers:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL the server's own process group if needed."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if process is not None:
            try:  # workers orphaned by a master that died first
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cleanup(self) -> None:
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()
