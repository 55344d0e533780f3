"""The floor: a bare Flask + Jinja page (about 5 KB, no database) served by gunicorn with the
same settings as the app, measured in the same run; and the figures issue 17 compares to it.

    gunicorn bench.floor:app
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time

from flask import Flask, render_template_string

from bench.client import Browser
from bench.measure import percentile
from bench.server import HOST, GunicornServer, memory_kb, memory_pss_kb

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}</main></body></html>"""
PARAGRAPHS = [
    "Kỳ thị không phải một hành vi đơn lẻ mà là một quá trình, thường qua bốn bước: "
    f"dán nhãn, định kiến, tách biệt và mất vị thế ({n})."
    for n in range(27)
]

app = Flask(__name__)


@app.get("/")
def page():
    return render_template_string(PAGE, title="Trang nền", paragraphs=PARAGRAPHS)


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain"}


def start_timed(server: GunicornServer) -> float:
    """Seconds from starting gunicorn to its first 200 with every worker up."""
    started = time.perf_counter()
    server.start()
    return time.perf_counter() - started


def sequential(browser: Browser, path: str, count: int, warmup: int = 20) -> dict:
    for _ in range(warmup):
        browser.get(path)
    samples, bad = [], 0
    for _ in range(count):
        response = browser.get(path)
        samples.append(response.seconds)
        bad += response.status != 200
    return {
        "n": count,
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "not_200": bad,
        "bytes": len(response.body),
    }


# wrk (Debian package `wrk`) is the load generator where it is installed: written in C, it
# leaves the two cores to the server, where 20 Python client threads would take a share of
# them and add their own queueing to every figure. The Python client is the fallback.
WRK_SCRIPT = """
local cookies = %(cookies)s
local threads = {}
local turn = 0
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function request()
  turn = turn %% math.max(#cookies, 1) + 1
  local headers = {["Accept-Language"] = "vi"}
  if #cookies > 0 then headers["Cookie"] = cookies[turn] end
  return wrk.format("GET", %(path)s, headers)
end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  for _, thread in ipairs(threads) do failed = failed + thread:get("bad") end
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), failed))
end
"""


def load_generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def throughput(browsers: list[Browser], path: str, seconds: float = 5.0) -> dict:
    """20 kept-alive connections (one per browser, with its cookies) as fast as each can, for
    `seconds`: with wrk when installed, else with one Python thread per connection."""
    if load_generator() == "wrk":
        return throughput_wrk(browsers, path, seconds)
    return throughput_python(browsers, path, seconds)


def throughput_wrk(browsers: list[Browser], path: str, seconds: float) -> dict:
    """wrk, one connection per browser; each request carries the next browser's cookies in
    turn, so the server sees as many signed-in people as there are browsers."""
    first = browsers[0]
    cookies = [b.cookie_header for b in browsers if b.cookies]
    lua = "{" + ", ".join(json.dumps(c) for c in cookies) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % {"cookies": lua, "path": json.dumps(path)})
        script.flush()
        out = subprocess.run(
            [
                "wrk",
                f"--threads={min(2, len(browsers))}",
                f"--connections={len(browsers)}",
                f"--duration={max(1, round(seconds))}s",
                f"--script={script.name}",
                f"http://{first.host}:{first.port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    requests, duration_us, p50_us, p99_us, failed = map(int, re.search(r"RESULT (.*)", out).group(1).split())
    return {
        "connections": len(browsers),
        "requests": requests,
        "rps": round(requests / (duration_us / 1e6), 1),
        "p50_ms": round(p50_us / 1000, 2),
        "p99_ms": round(p99_us / 1000, 2),
        "failed": failed,
        "load_generator": "wrk",
    }


def throughput_python(browsers: list[Browser], path: str, seconds: float = 5.0) -> dict:
    """One thread per kept-alive connection, as fast as each can, for `seconds`."""
    samples: list[float] = []
    bad = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(browser: Browser) -> None:
        mine, errors = [], 0
        while time.perf_counter() < stop:
            try:
                response = browser.get(path)
                mine.append(response.seconds)
                errors += response.status != 200
            except OSError:
                errors += 1
        with lock:
            samples.extend(mine)
            bad[0] += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "connections": len(browsers),
        "requests": len(samples),
        "rps": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "failed": bad[0],
        "load_generator": "python",
    }


def memory(server: GunicornServer) -> dict:
    """RSS and PSS of the master and its workers, MiB (PSS splits shared pages among them)."""
    pids = [server.process.pid, *server.worker_pids()]
    rss = [memory_kb(pid, "VmRSS") or 0 for pid in pids]
    pss = [memory_pss_kb(pid) or 0 for pid in pids]
    return {
        "processes": len(pids),
        "rss_mib": round(sum(rss) / 1024, 1),
        "pss_mib": round(sum(pss) / 1024, 1),
        "pss_by_process_mib": [round(v / 1024, 1) for v in pss],
    }


def measure_floor(url: str, quick: bool = False) -> dict:
    server = GunicornServer(url, workers=2, threads=4, app="bench.floor:app", options=("--preload",))
    try:
        boot = start_timed(server)
        browser = Browser(HOST, server.port)
        result = {
            "start_to_first_200_s": round(boot, 2),
            "sequential": sequential(browser, "/", 100 if quick else 500),
        }
        browser.close()
        browsers = [Browser(HOST, server.port) for _ in range(20)]
        result["concurrent_20"] = throughput(browsers, "/", 2.0 if quick else 5.0)
        for b in browsers:
            b.close()
        result["memory"] = memory(server)
        return result
    finally:
        server.cleanup()


def measure_lesson(
    server: GunicornServer, people: list[str], password: str, lesson: str, quick: bool = False
) -> dict:
    """The lesson page as a signed-in trainee: sequential on one connection, then 20
    connections (20 trainees) at once; memory of master + workers after that load."""
    path = f"/lessons/{lesson}"
    browser = Browser(HOST, server.port)
    browser.sign_in(people[0], password)
    result = {"sequential": sequential(browser, path, 100 if quick else 500)}
    browser.close()
    browsers = []
    for username in people[:20]:
        b = Browser(HOST, server.port)
        b.sign_in(username, password)
        b.get(path)
        browsers.append(b)
    result["concurrent_20"] = throughput(browsers, path, 2.0 if quick else 5.0)
    for b in browsers:
        b.close()
    result["memory"] = memory(server)
    return result
