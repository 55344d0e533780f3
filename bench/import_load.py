"""Trainees while a 20,000-survey historical import runs as a background job.

A jobs worker (`flask --app wsgi jobs worker`) runs beside the benchmark's gunicorn, on the same
database and queue. Programme staff upload and preview a file of 10,000 trainees before and
after (20,000 surveys), then confirm: the import becomes a job. From the confirm until the job
is finished, trainees keep opening a lesson and their home page, and others submit their
post-survey one after another (the import writes while they do); every request slower than 1 s,
a page not answered 200 or a submit not redirected counts against the target (0).
"""

from __future__ import annotations

import csv
import http.client
import io
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.client import Browser
from bench.measure import percentile
from bench.seed import STAFF_PASSWORD, TRAINEE_PASSWORD
from bench.server import HOST, ROOT

SURVEYS = 20_000
SLOW = 1.0  # seconds: a trainee request slower than this counts as a miss
SUBMIT_PAUSE = 0.5  # seconds between two trainees' survey submits during the import


def history_csv(url: str, surveys: int = SURVEYS) -> tuple[bytes, int]:
    """A historical file in the wide layout: surveys // 2 police trainees, pre and post."""
    from lms import create_app
    from lms.config import Config
    from lms.quizzes.instrument import current_version
    from lms.reports.importer import COLUMNS, importable_items

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        version = current_version()
        items = [
            (i.key, i.kind, i.answer or 0)
            for i in importable_items(version)
            if i.audience in ("all", "police")
        ]
        version_id = version.id
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, *(key for key, _kind, _answer in items)])
    for n in range(surveys // 2):
        cohort = f"Tập huấn công an lịch sử {n // 40 + 1:03d}"
        for phase, score in (("pre", 2 + n % 2), ("post", 4)):
            writer.writerow(
                [
                    cohort,
                    "police",
                    "ha-noi",
                    "2018-03-05",
                    f"LS-{n:05d}",
                    "police",
                    phase,
                    "2018-03-05" if phase == "pre" else "2018-03-07",
                    *(answer + 1 if kind == "knowledge" else score for _key, kind, answer in items),
                ]
            )
    return out.getvalue().encode("utf-8-sig"), version_id


def _upload(browser: Browser, data: bytes, version_id: int) -> http.client.HTTPResponse:
    """POST the file as a browser form does (multipart), with the session and CSRF token."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (
        ("csrf_token", browser.csrf or ""),
        ("version", str(version_id)),
        ("reverse_coding", "raw"),
        ("knowledge_coding", "option"),
    ):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="history.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection(HOST, browser.port, timeout=600)
    connection.request(
        "POST",
        "/reports/import",
        body=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": browser.cookie_header,
        },
    )
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def start_worker(url: str, instance: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LMS_INSTANCE_PATH": str(instance),
        "JOBS_URL": f"sqlite:///{instance / 'jobs.db'}",
        "PRODUCTION": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_backlog(url: str, limit: float = 600.0) -> int:
    """Let the worker finish the jobs earlier steps queued (their programme exports): the
    scenario measures what one import does to trainees, not a backlog. Returns how many."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    waiting = "SELECT COUNT(*) FROM job WHERE state IN ('queued', 'running')"
    with engine.connect() as connection:
        backlog = connection.execute(sa.text(waiting)).scalar_one()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if not connection.execute(sa.text(waiting)).scalar_one():
                break
        time.sleep(0.5)
    engine.dispose()
    return backlog


def _miss_ms(miss: str) -> float:
    found = re.search(r", (\d+) ms, ", miss)
    return float(found.group(1)) if found else 0.0


def measure(
    port: int,
    url: str,
    staff: str,
    trainees: list,
    lesson: str,
    clients: int = 20,
    surveys: int = SURVEYS,
    submitters: list = (),
    items: dict | None = None,
) -> dict:
    """Trainee latency while the import job runs; the worker must already be running.
    submitters: trainees whose post-survey is still open (bench.seed.SeededTrainee), who submit
    it one at a time during the import; items: item id -> (kind, options), for their answers."""
    from bench.scenarios import REDIRECT, _answer, survey_url

    data, version_id = history_csv(url, surveys)
    admin = Browser(HOST, port, timeout=600)
    admin.sign_in(staff, STAFF_PASSWORD)
    admin.get("/reports/import")
    began = time.perf_counter()
    preview = _upload(admin, data, version_id)
    preview_seconds = time.perf_counter() - began
    page = preview.body.decode("utf-8", "replace")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    if preview.status != 200 or token is None:
        problems = re.findall(r"<li[^>]*>([^<]{0,200})", page)[:8]
        raise RuntimeError(f"the preview answered {preview.status}: {problems}")
    admin.csrf = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)

    samples: list[float] = []
    misses: list[str] = []
    clock = {"confirm": 0.0}  # when the confirm was sent: a miss says how long after

    def _since() -> str:
        if not clock["confirm"]:
            return "before the confirm"
        return f"{time.perf_counter() - clock['confirm']:.1f} s after the confirm"

    running = threading.Event()
    running.set()
    lock = threading.Lock()

    # Signed in and warmed up before the clock starts: scrypt sign-ins are not the question.
    browsers = []
    for person in trainees[:clients]:
        browser = Browser(HOST, port, timeout=30)
        browser.sign_in(person.username, TRAINEE_PASSWORD)
        browser.get(f"/lessons/{lesson}")
        browser.get("/")
        browsers.append((person, browser))

    def trainee_load(person, browser) -> None:
        # The lesson (it records the visit: a write) and the trainee's home; earlier steps of
        # the benchmark may have submitted their surveys already.
        paths = [f"/lessons/{lesson}", "/"]
        n = 0
        while running.is_set():
            path = paths[n % 2]
            n += 1
            try:
                response = browser.get(path)
                seconds, status = response.seconds, response.status
            except OSError as error:
                seconds, status = SLOW, repr(error)
            with lock:
                samples.append(seconds)
                if status != 200 or seconds > SLOW:
                    misses.append(f"{path}: {status}, {seconds * 1000:.0f} ms, {_since()}")
            time.sleep(0.1)
        browser.close()

    # Each signed in before the clock starts too; one submits, then the next, until the end.
    waiting = []
    for person in submitters:
        browser = Browser(HOST, port, timeout=30)
        browser.sign_in(person.username, TRAINEE_PASSWORD)
        browser.close()  # its idle kept-alive connection would be closed by the server
        waiting.append((person, browser))
    submitted: list[int] = []

    def submit_load() -> None:
        rng = random.Random(1)
        while running.is_set() and waiting:
            person, browser = waiting.pop(0)
            path = survey_url(person, person.page_count)
            form = [(f"item-{i}", _answer(rng, items[i])) for i in person.last_page_items]
            try:
                response = browser.post(path, form + [("action", "submit")])
                seconds, status = response.seconds, response.status
            except OSError as error:
                seconds, status = SLOW, repr(error)
            with lock:
                samples.append(seconds)
                submitted.append(person.enrolment_id)
                if status not in REDIRECT or seconds > SLOW:
                    misses.append(f"submit {path}: {status}, {seconds * 1000:.0f} ms, {_since()}")
            browser.close()
            time.sleep(SUBMIT_PAUSE)

    threads = [threading.Thread(target=trainee_load, args=pair) for pair in browsers]
    if waiting and items:
        threads.append(threading.Thread(target=submit_load))
    for thread in threads:
        thread.start()
    admin.close()  # its kept-alive connection idled through the preview: a new one
    started = clock["confirm"] = time.perf_counter()
    state = "not started"
    try:
        confirm = admin.post("/reports/import/commit", {"token": token.group(1), "version": str(version_id)})
        job = re.search(r"/jobs/[0-9a-f]{32}", confirm.location or "")
        while job is not None and time.perf_counter() - started < 1800:
            state = admin.get(f"{job.group(0)}.json").text.partition('"state":"')[2]
            state = state.split('"')[0]
            if state in ("done", "failed"):
                break
            time.sleep(0.5)
    finally:
        job_seconds = time.perf_counter() - started
        running.clear()
        for thread in threads:
            thread.join()
        admin.close()
    return {
        "surveys": surveys,
        "job_state": state,
        "job_seconds": round(job_seconds, 1),
        "preview_seconds": round(preview_seconds, 1),
        "confirm_ms": round(confirm.seconds * 1000, 1),
        "trainee_clients": len(browsers),
        "trainee_requests": len(samples),
        "survey_submits": len(submitted),
        "trainee_p99_ms": round(1000 * (percentile(samples, 99) or 0), 1),
        "trainee_max_ms": round(1000 * max(samples, default=0), 1),
        "misses": len(misses),
        "first_misses": misses[:5],
        "slowest_misses": sorted(misses, key=_miss_ms, reverse=True)[:5],
    }
