"""A real server process (gunicorn, migrated by the real commands) and Debian's chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from lms.config import ROOT

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require(condition: bool, reason: str) -> None:
    # Locally a missing browser skips; in CI (CI=true) it fails, so CI never passes on skips.
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def _server(instance: Path, seed=None):
    """Base URL of a gunicorn server on loopback, set up with `db upgrade`, content and demo
    (and `seed(database_url)` before it starts, when given)."""
    env = {
        **os.environ,
        "LMS_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "browser-tests",
        "DATABASE_URL": f"sqlite:///{instance / 'browser.sqlite'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["content", "sync"], ["demo", "seed"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    if seed is not None:
        seed(env["DATABASE_URL"])
    port = _free_port()
    log = (instance / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError((instance / "server.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a gunicorn server on loopback, set up with `db upgrade`, content and demo."""
    with _server(tmp_path_factory.mktemp("instance")) as base:
        yield base


def _seed_small_programme(database_url: str):
    """Two finished cohorts and one in its last session, through the benchmark's bulk seed."""
    from bench.seed import CohortPlan, seed_programme
    from lms import create_app
    from lms.config import TestConfig
    from lms.extensions import db

    app = create_app(type("SeedConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        seeded = seed_programme(
            [
                CohortPlan(8, "finished", "police"),
                CohortPlan(6, "finished", "mixed"),
                CohortPlan(7, "post_open", "police", drafts=True),
            ],
            facilitators=1,
            staff=1,
            prefix="p-",
        )
        db.session.remove()
        db.engine.dispose()
    return seeded


@pytest.fixture(scope="session")
def programme_server(tmp_path_factory):
    """A live server with a small programme's answers, reports and certificates:
    SimpleNamespace(base, seeded) with the bench seed's accounts (bench.seed)."""
    seeded = []
    with _server(
        tmp_path_factory.mktemp("programme"), seed=lambda url: seeded.append(_seed_small_programme(url))
    ) as base:
        yield SimpleNamespace(base=base, seeded=seeded[0])


@pytest.fixture(scope="session")
def browser():
    _require(Path(CHROMIUM).exists(), "Debian's chromium is not installed (apt-get install chromium)")
    _require(shutil.which("chromium") is not None, "chromium is not on PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh phone-sized browser context: 360 px wide, like the trainees' phones."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base: str, username: str, password: str = "demo-2026") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    # Wait for the page the form leads to, not just its URL: a slow home page
    # (the staff headline) can still be loading when the address has changed.
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
