"""`make bench`: seed a realistic programme, serve it with gunicorn, measure, judge targets.

    .venv/bin/python -m bench.run [--quick] [--json PATH]

A fresh SQLite file in a temporary folder by default; BENCH_DATABASE_URL points at another
database instead (PostgreSQL: every table in it is dropped and recreated). Prints a table and
writes bench/results.json. Exit status 0 even when a target is missed (the table says which);
1 when something is wrong rather than slow: a 5xx or unexpected status, a lost submission, a
request to another origin.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import floor, import_load, scenarios, two_servers
from bench.machine import CpuWatch, wait_until_quiet
from bench.seed import TRAINEE_PASSWORD, CohortPlan, Seeded, seed_programme
from bench.server import HOST, GunicornServer

HERE = Path(__file__).resolve().parent
AUDIENCES = ("police", "centre_staff", "ngo_cbo", "mixed")
# A client's pause between two requests in the paced run: 50 people tapping about once a
# second, several times the pace of a real room (reading a lesson takes minutes).
PACE = (0.5, 1.5)
REPORT, CERTIFICATE = "programme report (all trainees)", "certificate PDF"
# Workshops in their last session (40 trainees each, post-survey open): the first is the one
# whose matrix and room view are timed, the others supply trainees who submit.
LIVE_COHORTS = 15


def _kb(value):
    return None if value is None else round(value / 1024, 1)


def _latency(name: str, field: str = "p95_ms"):
    return lambda r: (r["latency"].get(name) or {}).get(field)


# name, limit, unit, how the figure is read from the results
TARGETS = [
    ("lesson page p95", 25, "ms", _latency("lesson page")),
    (
        "survey submit p95, 50 concurrent trainees (paced)",
        60,
        "ms",
        lambda r: r["concurrent"]["paced"]["by_kind"]["survey submit"]["p95_ms"],
    ),
    ("programme report p95", 1000, "ms", _latency(REPORT)),
    ("certificate PDF p95", 100, "ms", _latency(CERTIFICATE)),
    ("certificate PDF size", 80, "KB", lambda r: _kb(_latency(CERTIFICATE, "bytes")(r))),
    (
        "sign-in + lesson + survey pages, one after the other",
        60,
        "KB",
        lambda r: _kb(r["page_weight"]["journey_bytes"]),
    ),
    (
        "sign-in + lesson + survey pages, each with an empty cache",
        60,
        "KB",
        lambda r: _kb(r["page_weight"]["total_bytes"]),
    ),
    ("third-party requests", 0, "count", lambda r: r["page_weight"]["third_party"]),
    (
        "worker peak RSS, trainee traffic, reports and exports",
        120,
        "MB",
        lambda r: r["memory"]["peak_mb_before_sign_in_burst"],
    ),
    ("worker peak RSS, after 40 scrypt sign-ins at once", 120, "MB", lambda r: r["memory"]["peak_mb"]),
    # Issue 17: against the floor (a bare Flask + Jinja page, same gunicorn settings, same run).
    ("lesson page median / floor page median", 3, "x", lambda r: r["vs_floor"]["median_ratio"]),
    (
        "lesson throughput at 20 connections, % of the floor's",
        25,
        "% min",
        lambda r: r["vs_floor"]["throughput_percent"],
    ),
    (
        "lesson page p99 at 20 connections",
        100,
        "ms",
        lambda r: r["lesson_vs_floor"]["concurrent_20"]["p99_ms"],
    ),
    (
        "master + 2 workers PSS after the trainee load",
        130,
        "MiB",
        lambda r: r["lesson_vs_floor"]["memory"]["pss_mib"],
    ),
    ("master + 2 workers PSS at the end of the whole run", 130, "MiB", lambda r: r["memory_end"]["pss_mib"]),
    ("start → first 200", 1, "s", lambda r: r["start_to_first_200_s"]),
    (
        "trainee requests > 1 s or failed during a 20,000-survey import",
        0,
        "count",
        lambda r: r.get("import_interference"),
    ),
    ("two servers, one killed: submissions lost", 0, "count", lambda r: r["two_servers"]["lost"]),
    (
        "two servers, one killed: submissions stored twice",
        0,
        "count",
        lambda r: r["two_servers"]["duplicated"],
    ),
    ("two servers, one killed: 5xx answers", 0, "count", lambda r: r["two_servers"]["server_errors"]),
]


def plans(trainees: int, cohorts: int, live_cohorts: int, live_size: int) -> list[CohortPlan]:
    """Workshops in their last session (post-survey open) plus finished ones, sizes near even."""
    result = [CohortPlan(live_size, "post_open", AUDIENCES[n % 4], drafts=True) for n in range(live_cohorts)]
    rest, finished = trainees - live_cohorts * live_size, cohorts - live_cohorts
    base, extra = divmod(rest, finished)
    result += [
        CohortPlan(base + (1 if n < extra else 0), "finished", AUDIENCES[n % 4]) for n in range(finished)
    ]
    return result


def machine_info(url: str) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    import gunicorn
    import sqlalchemy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "gunicorn": gunicorn.__version__,
        "database": url.split(":", 1)[0].split("+")[0],
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


def seed(url: str, args) -> tuple[Seeded, scenarios.Context, float]:
    """Fresh schema, content synced with lms.cli.sync_content, then the bulk seed."""
    from lms import create_app
    from lms.config import Config
    from lms.extensions import db

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url}))
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        from lms.cli import sync_content

        sync_content()
        seeded = seed_programme(
            plans(args.trainees, args.cohorts, LIVE_COHORTS, 40),
            facilitators=args.cohorts // 2,
            slow_hash_users=40,
        )
        context = scenarios.prepare(app, seeded)
        db.session.remove()
        db.engine.dispose()
    return seeded, context, time.perf_counter() - started


def run(args) -> dict:
    started = time.perf_counter()
    workdir = tempfile.TemporaryDirectory(prefix="lms-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir.name}/bench.sqlite"
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))  # keeps instance/ untouched
    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(url),
        "server": "gunicorn --workers 2 --threads 4 --worker-class gthread "
        "(as make serve, with gunicorn.conf.py, without --max-requests), loopback",
        "load_generator_20_connections": floor.load_generator(),
    }
    print(
        f"seeding {args.trainees} trainees in {args.cohorts} cohorts ({results['machine']['database']})…",
        flush=True,
    )
    seeded, context, seed_seconds = seed(url, args)
    print(f"  seeded in {seed_seconds:.1f} s: {seeded.rows}", flush=True)
    results["seed"] = {"seconds": round(seed_seconds, 1), "rows": seeded.rows}
    print("floor: a bare Flask + Jinja page under the same gunicorn settings…", flush=True)
    results["floor"] = floor.measure_floor(url, quick=args.quick)
    print(f"  {results['floor']}", flush=True)
    server = GunicornServer(url, workers=2, threads=4, options=("--preload",))
    try:
        results["start_to_first_200_s"] = round(floor.start_timed(server), 2)
        context.server_pids, context.server_cpu = server.worker_pids, server.cpu_seconds
        context.snapshot_memory("after boot")
        print(f"gunicorn on {HOST}:{server.port}, workers {server.worker_pids()}", flush=True)
        results["cpu"] = {}
        wait_until_quiet(server.cpu_seconds)
        # First, before any staff page loads the statistics libraries into a worker: the
        # memory figure is the one trainee traffic costs.
        print("lesson page against the floor (sequential, then 20 connections)…", flush=True)
        results["lesson_vs_floor"] = floor.measure_lesson(
            server,
            [t.username for t in context.saturating[:20]],
            TRAINEE_PASSWORD,
            context.lessons[1],
            quick=args.quick,
        )
        print(f"  {results['lesson_vs_floor']}", flush=True)
        base, app_ = results["floor"], results["lesson_vs_floor"]
        results["vs_floor"] = {
            "median_ratio": round(app_["sequential"]["p50_ms"] / base["sequential"]["p50_ms"], 2),
            "throughput_percent": round(100 * app_["concurrent_20"]["rps"] / base["concurrent_20"]["rps"], 1),
        }
        wait_until_quiet(server.cpu_seconds)
        with CpuWatch(server.cpu_seconds) as watch:
            results["latency"] = scenarios.latencies(server.port, seeded, context, quick=args.quick)
        results["cpu"]["sequential requests"] = watch.summary()
        lesson, bare = results["latency"]["lesson page"], results["latency"]["bare route /healthz"]
        results["lesson_to_bare_ratio"] = {
            "p50": round(lesson["p50_ms"] / bare["p50_ms"], 1),
            "p95": round(lesson["p95_ms"] / bare["p95_ms"], 1),
        }
        print("page weight…", flush=True)
        results["page_weight"] = scenarios.weights(server.port, context)
        results["concurrent"] = {}
        for phase, crowd, think in (
            ("saturating", context.saturating, (0.0, 0.0)),
            ("paced", context.paced, PACE),
        ):
            crowd = crowd[: len(crowd) // 3] if args.quick else crowd
            print(f"50 concurrent clients, {phase} ({len(crowd)} trainees)…", flush=True)
            wait_until_quiet(server.cpu_seconds)
            with CpuWatch(server.cpu_seconds) as watch:
                result = scenarios.concurrent(server.port, context, crowd, clients=50, think=think)
            results["cpu"][f"concurrent, {phase}"] = result["cpu"] = watch.summary()
            result["lost_submissions"] = scenarios.lost_submissions(url, result.pop("submitted_enrolments"))
            results["concurrent"][phase] = result
            context.snapshot_memory(f"concurrent, {phase}")
        print("40 sign-ins at once (scrypt)…", flush=True)
        wait_until_quiet(server.cpu_seconds)
        with CpuWatch(server.cpu_seconds) as watch:
            results["sign_in_burst"] = scenarios.sign_in_burst(
                server.port, seeded.slow_hash_users, TRAINEE_PASSWORD
            )
        results["cpu"]["40 sign-ins at once"] = watch.summary()
        context.snapshot_memory("40 sign-ins at once")
        results["memory"] = memory_summary(context)
        results["memory_end"] = floor.memory(server)
        surveys = 4_000 if args.quick else import_load.SURVEYS
        print(f"trainees while a {surveys:,}-survey import runs as a background job…", flush=True)
        worker = import_load.start_worker(url, server.instance_path)
        try:
            backlog = import_load.wait_for_backlog(url)
            print(f"  first the {backlog} job(s) earlier steps queued", flush=True)
            # Trainees no earlier step signed in as: their post-survey is still to submit.
            used = {
                t.enrolment_id
                for t in (context.probe, *context.submitters, *context.saturating, *context.paced)
            }
            fresh = [
                t
                for t in seeded.live_trainees
                if t.enrolment_id not in used and t.cohort_id != context.matrix_cohort
            ]
            load = import_load.measure(
                server.port,
                url,
                seeded.staff[0],
                context.paced,
                context.lessons[1],
                surveys=surveys,
                submitters=fresh,
                items=context.items,
            )
        finally:
            worker.terminate()
            worker.wait(30)
        results["import_load"] = load
        results["import_interference"] = load["misses"] if load["job_state"] == "done" else None
        print(
            f"  import job {load['job_state']} in {load['job_seconds']} s; "
            f"{load['trainee_requests']} trainee requests "
            f"({load['survey_submits']} survey submits): p99 {load['trainee_p99_ms']} ms, "
            f"max {load['trainee_max_ms']} ms, {load['misses']} over 1 s or failed "
            f"(target 0)",
            flush=True,
        )
        server.cleanup()
        if args.two_servers or url.startswith("postgresql"):
            print("two servers on one database, one killed midway…", flush=True)
            results["two_servers"] = two_servers.measure(url, quick=args.quick)
            print(f"  {results['two_servers']}", flush=True)
    finally:
        server.cleanup()
        workdir.cleanup()
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    results["targets"] = judge(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def memory_summary(context: scenarios.Context) -> dict:
    steps = context.memory
    peak = {step: max(by_worker.values(), default=0) for step, by_worker in steps.items()}
    before_burst = [v for step, v in peak.items() if step != "40 sign-ins at once"]
    return {
        "peak_mb_after_step": peak,
        "by_worker_after_step": steps,
        "peak_mb_before_sign_in_burst": max(before_burst),
        "peak_mb": max(peak.values()),
        **context.memory_now(),
    }


def judge(results: dict) -> list[dict]:
    verdicts = []
    for name, limit, unit, read in TARGETS:
        try:
            value = read(results)
        except (KeyError, TypeError):
            value = None
        if value is None:
            passed = None
        elif unit.endswith("min"):
            passed = value >= limit
        else:
            passed = value <= limit if unit in ("count", "x", "s", "MiB") else value < limit
        verdicts.append({"target": name, "limit": limit, "unit": unit, "value": value, "pass": passed})
    return verdicts


def _fmt(value, digits=1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _row(name, row) -> str:
    cpu = row.get("server_cpu_ms")
    return (
        f"{name:<46}{row['n']:>5}{_fmt(row['p50_ms']):>9}{_fmt(row['p95_ms']):>9}"
        f"{'' if cpu is None else _fmt(cpu):>9}{row['bytes'] or '':>9}"
    )


def table(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Benchmark {results['date']} · {m['cpu']} · {m['cores']} cores · {m['database']} · "
        f"load average {m['load_average_at_start'][0]} → {m['load_average_at_end'][0]}",
        f"seed {results['seed']['seconds']} s; whole run {results.get('seconds')} s",
        "CPU in use (cores of 2) during each step, server / clients / other processes: "
        + "; ".join(
            f"{step} {c['server_cores']} / {c['client_cores']} / {c['other_cores']}"
            for step, c in results["cpu"].items()
        ),
        "",
        f"{'sequential requests, loopback':<46}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'cpu ms':>9}{'bytes':>9}  (cpu: server CPU per request)",
    ]
    for name, row in results["latency"].items():
        if row is None:
            lines.append(f"{name:<46}{'n/a':>5}{'n/a':>9}{'n/a':>9}{'':>18}  not built yet")
            continue
        extra = f"  {row['unexpected']} unexpected: {row['statuses']}" if row["unexpected"] else ""
        lines.append(_row(name, row) + extra)
    ratio = results["lesson_to_bare_ratio"]
    lines.append(f"lesson page / bare route: {ratio['p50']}× at p50, {ratio['p95']}× at p95")
    for phase, c in results["concurrent"].items():
        pause = (
            "no pause" if not c["think_s"][1] else f"{c['think_s'][0]}–{c['think_s'][1]} s between requests"
        )
        lines += [
            "",
            f"50 concurrent clients, {phase} ({pause}): {c['requests']} requests in "
            f"{c['seconds']} s = {c['throughput_rps']} req/s, server CPU "
            f"{c['server_cpu_ms_per_request']} ms/request; p50 {c['p50_ms']} ms, "
            f"p95 {c['p95_ms']} ms; 5xx {c['server_errors']}; failed sessions "
            f"{c['failed_sessions']}; lost submissions {c['lost_submissions']}",
        ]
        lines += [_row(f"  {kind}", row) for kind, row in c["by_kind"].items()]
    burst = results["sign_in_burst"]
    lines += ["", _row("40 sign-ins at once (scrypt), the post timed", burst)]
    w = results["page_weight"]
    lines += [
        "",
        f"{'page weight (no gzip), body bytes':<46}{'requests':>9}{'bytes':>9}  html / css / js / img",
    ]
    for name, page in w["pages"].items():
        kinds = page["by_kind"]
        lines.append(
            f"{name + ', empty cache':<46}{page['requests']:>9}{page['total_bytes']:>9}"
            f"  {kinds.get('html', 0)} / {kinds.get('css', 0)} / {kinds.get('js', 0)}"
            f" / {kinds.get('img', 0) + kinds.get('font', 0)}"
        )
    lines.append(f"{'the three, each with an empty cache':<46}{w['requests']:>9}{w['total_bytes']:>9}")
    lines.append(
        f"{'the three one after the other (304s)':<46}{w['journey_requests']:>9}"
        f"{w['journey_bytes']:>9}  + {w['journey_header_bytes']} B of headers"
    )
    lines.append(
        f"third-party requests: {w['third_party']}; heaviest lesson: "
        f"{w['heaviest_lesson']['path']} {w['heaviest_lesson']['bytes']} B"
    )
    mem = results["memory"]
    lines += ["", "worker peak RSS (VmHWM, MB, largest worker) after each step:"]
    lines += [f"  {step:<44}{value:>8}" for step, value in mem["peak_mb_after_step"].items()]
    lines.append(f"  at the end: RSS {mem['rss_mb']}, PSS {mem['pss_mb']}")
    base, app_ = results["floor"], results["lesson_vs_floor"]
    lines += [
        "",
        f"{'against the floor (same gunicorn settings)':<46}{'floor':>12}{'lesson':>12}{'ratio':>8}"
        f"  (20 connections: {results['load_generator_20_connections']})",
        f"{'sequential median, ms':<46}{base['sequential']['p50_ms']:>12}"
        f"{app_['sequential']['p50_ms']:>12}{results['vs_floor']['median_ratio']:>8}",
        f"{'20 connections, req/s':<46}{base['concurrent_20']['rps']:>12}"
        f"{app_['concurrent_20']['rps']:>12}"
        f"{results['vs_floor']['throughput_percent'] / 100:>8.2f}",
        f"{'20 connections, p99 ms':<46}{base['concurrent_20']['p99_ms']:>12}"
        f"{app_['concurrent_20']['p99_ms']:>12}",
        f"{'master + 2 workers after load, RSS MiB':<46}{base['memory']['rss_mib']:>12}"
        f"{app_['memory']['rss_mib']:>12}",
        f"{'master + 2 workers after load, PSS MiB':<46}{base['memory']['pss_mib']:>12}"
        f"{app_['memory']['pss_mib']:>12}",
        f"{'  … at the end of the whole run (RSS / PSS)':<46}{'':>12}"
        f"{results['memory_end']['rss_mib']:>6} / {results['memory_end']['pss_mib']}",
        f"{'  PSS per process (master / workers), MiB':<46}"
        f"{' / '.join(map(str, base['memory']['pss_by_process_mib'])):>20}"
        f"{' / '.join(map(str, app_['memory']['pss_by_process_mib'])):>20}",
        f"{'start → first 200, s':<46}{base['start_to_first_200_s']:>12}"
        f"{results['start_to_first_200_s']:>12}",
    ]
    two = results.get("two_servers")
    if two:
        lines += [
            "",
            f"two servers on one database, the first killed (SIGKILL) after "
            f"{two['acknowledged_before_kill']} of {two['trainees']} submissions: "
            f"sent {two['submissions_sent']}, stored {two['stored']}, lost "
            f"{two['lost']}, duplicated {two['duplicated']}, 5xx "
            f"{two['server_errors']}; {two['connection_errors_retried']} dropped "
            f"connections retried on the other server",
        ]
    lines += ["", f"{'target':<58}{'limit':>10}{'value':>10}  result"]
    for t in results["targets"]:
        verdict = {True: "pass", False: "MISS", None: "n/a"}[t["pass"]]
        lines.append(
            f"{t['target']:<58}{str(t['limit']) + ' ' + t['unit']:>10}{_fmt(t['value']):>10}  {verdict}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--trainees", type=int, default=4000)
    parser.add_argument("--cohorts", type=int, default=120)
    parser.add_argument("--json", default=str(HERE / "results.json"))
    parser.add_argument(
        "--two-servers", action="store_true", help="also the two-servers scenario (always run on PostgreSQL)"
    )
    args = parser.parse_args(argv)
    results = run(args)
    print()
    print(table(results))
    Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {args.json}")
    broken = [
        phase
        for phase, c in results["concurrent"].items()
        if c["server_errors"] or c["lost_submissions"] or c["failed_sessions"]
    ]
    broken += [name for name, row in results["latency"].items() if row and row["unexpected"]]
    two = results.get("two_servers")
    if two and (two["lost"] or two["duplicated"] or two["server_errors"] or two["problems"]):
        broken.append(f"two servers: {two}")
    if results["page_weight"]["third_party"]:
        broken.append(f"third-party requests: {results['page_weight']['third_party_urls']}")
    if broken:
        print(f"FAILED: {broken}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
