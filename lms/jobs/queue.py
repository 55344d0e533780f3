"""The job queue (huey): SQLite in instance/ by default, Redis when JOBS_URL says so.

The queue only carries job ids; what a job is and how far it got lives in the Job table.
Live progress goes to the queue's own key-value store, so that a page polling it never
touches the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from huey import Huey

_building = threading.Lock()


def init_queue(app: Flask, run_job: Callable[[int], None]) -> None:
    """Remember how to build the queue; it is built on first use. huey (and redis, when
    installed) stay out of the app servers' start-up and memory until a job is started."""
    app.extensions.pop("huey", None)  # configured again (tests): built again on first use
    app.extensions["huey_build"] = lambda: make_huey(app, run_job)


def make_huey(app: Flask, run_job: Callable[[int], None]) -> Huey:
    """The huey instance for this app's configuration, with the one task that runs a job."""
    from huey import MemoryHuey, SqliteHuey

    url = app.config["JOBS_URL"]
    immediate = app.config["JOBS_IMMEDIATE"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        from huey import RedisHuey  # needs the optional `redis` package (pip install lms[redis])

        huey = RedisHuey("lms", url=url, immediate=immediate)
    elif url == "memory":
        huey = MemoryHuey("lms", immediate=immediate)
    else:
        path = Path(url.removeprefix("sqlite:///") if url else Path(app.instance_path) / "jobs.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("lms", filename=str(path), immediate=immediate)

    @huey.task(name="run_job")
    def run_job_task(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    app.extensions["huey"] = huey
    app.extensions["huey_run_job"] = run_job_task
    return huey


def huey() -> Huey:
    extensions = current_app.extensions
    if "huey" not in extensions:
        with _building:
            if "huey" not in extensions:
                extensions["huey_build"]()
    return extensions["huey"]


def enqueue(job_id: int) -> None:
    huey()
    current_app.extensions["huey_run_job"](job_id)


def put_progress(job_id: int, done: int, total: int) -> None:
    huey().put(f"progress:{job_id}", (done, total))


def get_progress(job_id: int) -> tuple[int, int] | None:
    return huey().get(f"progress:{job_id}", peek=True)


def forget_progress(job_id: int) -> None:
    huey().delete(f"progress:{job_id}")
