"""What the benchmark measures: who does what, on which URL, how many times."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, url_for

from bench import measure
from bench.client import Browser, page_weight
from bench.seed import STAFF_PASSWORD, TRAINEE_PASSWORD, Seeded, SeededTrainee
from bench.server import HOST, memory_kb, memory_pss_kb

REDIRECT = (302, 303)

# Endpoints built by the other domains, measured when the url_map has them:
# (result name, who asks, candidate endpoints, requests, warm-up).
DOMAIN_ENDPOINTS = [
    ("cohort completion matrix (40 trainees)", "facilitator", ["cohorts.progress"], 200, 10),
    ("room view poll", "facilitator", ["cohorts.room_state"], 200, 10),
    ("trainee waiting-page poll", "trainee", ["cohorts.trainee_state"], 200, 10),
    ("programme report (all trainees)", "staff", ["reports.index"], 20, 2),
    ("certificate PDF", "finished trainee", ["certificates.download"], 50, 5),
    ("XLSX export, cohort progress (40 trainees)", "facilitator", ["cohorts.export_progress"], 50, 5),
    ("XLSX export, programme report (all trainees)", "staff", ["reports.export"], 20, 2),
]


@dataclass
class Context:
    lessons: list[str]  # lesson keys every live trainee may open (common modules)
    probe: SeededTrainee  # the trainee whose lesson, survey page and autosave are timed
    submitters: list[SeededTrainee]  # sequential submit timing, one trainee per sample
    saturating: list[SeededTrainee]  # the concurrent workload without pauses
    paced: list[SeededTrainee]  # the concurrent workload at a workshop's pace
    matrix_cohort: int
    matrix_facilitator: str
    certificate_trainee: str
    certificate_code: str
    items: dict[int, tuple[str, int]]  # item id -> (kind, number of options)
    urls: dict[str, str | None] = field(default_factory=dict)
    server_pids: Callable[[], list[int]] = list  # the running server's workers
    server_cpu: Callable[[], float] = float  # CPU seconds of the server, replaced workers included
    memory: dict[str, dict[str, float]] = field(default_factory=dict)  # after each step, MB

    def cpu(self) -> float:
        return self.server_cpu()

    def snapshot_memory(self, step: str) -> None:
        """Each worker's peak RSS so far (VmHWM), MB, after a step of the run."""
        self.memory[step] = {
            str(pid): round((memory_kb(pid, "VmHWM") or 0) / 1024, 1) for pid in self.server_pids()
        }

    def memory_now(self) -> dict:
        pids = self.server_pids()
        return {
            "rss_mb": {str(p): round((memory_kb(p, "VmRSS") or 0) / 1024, 1) for p in pids},
            "pss_mb": {str(p): round((memory_pss_kb(p) or 0) / 1024, 1) for p in pids},
        }


def _url(app: Flask, endpoints: list[str], **values) -> str | None:
    endpoint = next((name for name in endpoints if name in app.view_functions), None)
    if endpoint is None:
        return None
    rule = next(app.url_map.iter_rules(endpoint))
    values = {k: v for k, v in values.items() if k in rule.arguments}
    if "fmt" in rule.arguments:
        values["fmt"] = "xlsx"
    with app.test_request_context():
        return url_for(endpoint, **values)


def prepare(app: Flask, seeded: Seeded) -> Context:
    """Resolve lesson keys, items and the URLs of the endpoints that exist (inside app context)."""
    from lms.modules.services import active_modules
    from lms.quizzes.instrument import current_version

    common = [m for m in active_modules() if "all" in m.audience_list]
    lessons = [lesson.key for m in common for lesson in m.lessons]
    items = {i.id: (i.kind, len(i.options_vi or [])) for i in current_version().items}
    live_cohorts = [c for c in seeded.cohorts if c.state == "post_open"]
    matrix = live_cohorts[0]
    by_cohort: dict[int, list[SeededTrainee]] = {}
    for trainee in seeded.live_trainees:
        by_cohort.setdefault(trainee.cohort_id, []).append(trainee)
    others = [t for c in live_cohorts[1:] for t in by_cohort[c.id]]
    certificate_trainee, certificate_code = next(iter(seeded.certificate_codes.items()))
    context = Context(
        lessons=lessons,
        probe=by_cohort[matrix.id][0],
        submitters=others[:100],
        saturating=others[100:250],
        paced=others[250:450],
        matrix_cohort=matrix.id,
        matrix_facilitator=matrix.facilitator,
        certificate_trainee=certificate_trainee,
        certificate_code=certificate_code,
        items=items,
    )
    for name, _who, endpoints, _count, _warmup in DOMAIN_ENDPOINTS:
        context.urls[name] = _url(
            app,
            endpoints,
            cohort_id=matrix.id,
            code=certificate_code,
            enrolment_id=context.probe.enrolment_id,
        )
    return context


def _answer(rng: random.Random, kind_options: tuple[str, int]) -> int:
    kind, options = kind_options
    return rng.randint(1, 5) if kind == "likert" else rng.randrange(max(options, 1))


def survey_url(trainee: SeededTrainee, page: int | None = None) -> str:
    url = f"/surveys/{trainee.enrolment_id}/post"
    return f"{url}?page={page}" if page else url


def latencies(port: int, seeded: Seeded, context: Context, quick: bool = False) -> dict:
    """Sequential requests on one kept-alive connection after warm-up, per endpoint."""
    scale = 0.25 if quick else 1.0
    rng = random.Random(7)
    results: dict[str, dict | None] = {}

    def timed(name: str, send, count: int, note: str = "", **kwargs) -> None:
        timing = measure.sequential(name, send, count=max(5, int(count * scale)), cpu=context.cpu, **kwargs)
        summary = timing.summary()
        summary["note"] = note
        results[name] = summary
        context.snapshot_memory(name)
        print(
            f"  {name}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms (n={summary['n']})", flush=True
        )

    anonymous = Browser(HOST, port)
    timed("bare route /healthz", lambda n: anonymous.get("/healthz"), 300)
    timed("sign-in page", lambda n: anonymous.get("/login"), 200)
    anonymous.close()

    trainee = Browser(HOST, port)
    trainee.sign_in(context.probe.username, TRAINEE_PASSWORD)
    lesson = context.lessons[1]
    timed(
        "lesson page",
        lambda n: trainee.get(f"/lessons/{lesson}"),
        200,
        note=f"/lessons/{lesson}; records the visit (one write)",
    )
    timed("survey page", lambda n: trainee.get(survey_url(context.probe)), 200, note="post-survey, page 1")
    autosave = survey_url(context.probe) + "/autosave"

    def save(n):
        item = context.probe.post_items[n % len(context.probe.post_items)]
        return trainee.post_fetch(autosave, [(f"item-{item}", _answer(rng, context.items[item]))])

    timed("survey autosave", save, 200, note="one answer, JSON reply")
    trainee.close()

    submitters = context.submitters[: max(10, int(len(context.submitters) * scale))]
    submitter = Browser(HOST, port)

    def submit(n):
        person = submitters[n]
        submitter.cookies.clear()
        submitter.sign_in(person.username, TRAINEE_PASSWORD)  # not timed (server CPU: counted)
        form = [(f"item-{i}", _answer(rng, context.items[i])) for i in person.last_page_items]
        return submitter.post(survey_url(person, person.page_count), form + [("action", "submit")])

    timed(
        "survey submit",
        submit,
        len(submitters) - 5,
        warmup=5,
        expected=REDIRECT,
        note="last page + submit, a new trainee each time (server CPU incl. their sign-in)",
    )
    submitter.close()

    for name, who, _endpoints, count, warmup in DOMAIN_ENDPOINTS:
        path = context.urls.get(name)
        if path is None:
            results[name] = None
            print(f"  {name}: n/a (not built yet)", flush=True)
            continue
        browser = Browser(HOST, port, timeout=60)
        if who == "facilitator":
            browser.sign_in(context.matrix_facilitator, STAFF_PASSWORD)
        elif who == "staff":
            browser.sign_in(seeded.staff[0], STAFF_PASSWORD)
        elif who == "trainee":
            browser.sign_in(context.probe.username, TRAINEE_PASSWORD)
        else:
            browser.sign_in(context.certificate_trainee, TRAINEE_PASSWORD)
        # A programme-wide export is a background job now: the figure is asking for it.
        timed(
            name,
            lambda n, p=path, b=browser: b.get(p),
            count,
            warmup=warmup,
            budget=60 if count <= 20 else 20,
            note=f"{path} as {who}",
            expected=(200, *REDIRECT),
        )
        browser.close()
    return results


def weights(port: int, context: Context) -> dict:
    """Sign-in, lesson and survey pages with what they reference: each as a first visit
    (empty cache), and as one visit after the other (the browser revalidates what it has)."""
    pages, journey = {}, {}
    cache: dict[str, dict[str, str]] = {}
    anonymous = Browser(HOST, port)
    pages["sign-in page"] = page_weight(anonymous, "/login")
    journey["sign-in page"] = page_weight(anonymous, "/login", cache=cache)
    anonymous.close()
    trainee = Browser(HOST, port)
    trainee.sign_in(context.probe.username, TRAINEE_PASSWORD)
    for name, path in (
        ("lesson page", f"/lessons/{context.lessons[1]}"),
        ("survey page", survey_url(context.probe)),
    ):
        pages[name] = page_weight(trainee, path)
        journey[name] = page_weight(trainee, path, cache=cache)
    heaviest = max(
        (page_weight(trainee, f"/lessons/{key}") for key in context.lessons),
        key=lambda page: page.total_bytes,
    )
    trainee.close()
    third_party = sorted({url for page in pages.values() for url in page.third_party})
    return {
        "pages": {
            name: {
                "path": page.path,
                "status": page.status,
                "requests": page.requests,
                "total_bytes": page.total_bytes,
                "header_bytes": page.header_bytes,
                "by_kind": page.by_kind(),
                "resources": page.resources,
                "third_party": page.third_party,
            }
            for name, page in pages.items()
        },
        "total_bytes": sum(page.total_bytes for page in pages.values()),
        "requests": sum(page.requests for page in pages.values()),
        "journey_bytes": sum(page.total_bytes for page in journey.values()),
        "journey_header_bytes": sum(page.header_bytes for page in journey.values()),
        "journey_requests": sum(page.requests for page in journey.values()),
        "third_party": len(third_party),
        "third_party_urls": third_party,
        "heaviest_lesson": {"path": heaviest.path, "bytes": heaviest.total_bytes},
    }


def concurrent(
    port: int,
    context: Context,
    crowd: list[SeededTrainee],
    clients: int = 50,
    think: tuple[float, float] = (0.0, 0.0),
    deadline_s: float = 120,
) -> dict:
    """Every trainee signs in first (untimed); then each client plays its trainees one after
    another: home, three lessons, the survey with autosaves, submit, the thank-you page (a
    workshop's last session). `think` is the pause between two requests of one client
    (uniform, seconds): (0, 0) saturates the server."""
    sent: dict[int, dict[int, int]] = {}

    def prepare_trainee(trainee: SeededTrainee):
        browser = Browser(HOST, port, timeout=30)
        browser.sign_in(trainee.username, TRAINEE_PASSWORD)
        browser.close()  # idle keep-alive connections would be closed by the server anyway
        return browser, trainee

    def session(state, record):
        browser, trainee = state
        rng = random.Random(trainee.enrolment_id)

        def pause():
            if think[1]:
                time.sleep(rng.uniform(*think))

        try:
            record("home", browser.get("/"))
            for key in rng.sample(context.lessons, 3):
                pause()
                record("lesson page", browser.get(f"/lessons/{key}"))
            pause()
            record("survey page", browser.get(survey_url(trainee)))
            answers = {}
            autosave = survey_url(trainee) + "/autosave"
            for chunk in (trainee.post_items[0:4], trainee.post_items[8:12]):
                pause()
                form = [(f"item-{i}", _answer(rng, context.items[i])) for i in chunk]
                record("survey autosave", browser.post_fetch(autosave, form))
                answers.update((i, v) for (_, v), i in zip(form, chunk, strict=True))
            pause()
            record("survey page", browser.get(survey_url(trainee, trainee.page_count)))
            form = [(f"item-{i}", _answer(rng, context.items[i])) for i in trainee.last_page_items]
            pause()
            response = record(
                "survey submit",
                browser.post(survey_url(trainee, trainee.page_count), form + [("action", "submit")]),
                REDIRECT,
            )
            answers.update((i, v) for (_, v), i in zip(form, trainee.last_page_items, strict=True))
            if response.status in REDIRECT:
                sent[trainee.enrolment_id] = answers
                pause()
                record("thank-you page", browser.get(response.location))
        finally:
            browser.close()

    cpu_before = context.cpu()
    result = measure.run_concurrently(clients, crowd, prepare_trainee, session, deadline_s=deadline_s)
    cpu = context.cpu() - cpu_before
    samples = result.all_samples()
    return {
        "clients": clients,
        "think_s": list(think),
        "trainees": result.sessions,
        "requests": result.requests,
        "seconds": round(result.seconds, 1),
        "throughput_rps": round(result.throughput, 1),
        "p50_ms": round(measure.percentile(samples, 50) * 1000, 1),
        "p95_ms": round(measure.percentile(samples, 95) * 1000, 1),
        "server_cpu_ms_per_request": round(1000 * cpu / max(result.requests, 1), 2),
        "server_errors": result.server_errors(),
        "failed_sessions": len(result.failures),
        "failures": result.failures[:5],
        "by_kind": {kind: timing.summary() for kind, timing in result.timings.items()},
        "submitted_enrolments": sent,
    }


def sign_in_burst(port: int, usernames: list[str], password: str) -> dict:
    """A workshop starting: everyone signs in in the same second, with the production password
    hash (scrypt). Each sign-in is the form page then the post; the post is timed."""
    timing = measure.Timing("sign-in (scrypt)", expected=REDIRECT)
    lock = threading.Lock()
    browsers = [Browser(HOST, port, timeout=60) for _ in usernames]
    for browser in browsers:
        browser.get("/login")
    start = threading.Barrier(len(usernames), timeout=60)

    def sign_in(browser: Browser, username: str):
        try:
            start.wait()
            response = browser.post("/login", {"username": username, "password": password})
            with lock:
                timing.add(response)
        except Exception as error:  # noqa: BLE001 (counted)
            with lock:
                timing.errors.append(repr(error))
        finally:
            browser.close()

    threads = [
        threading.Thread(target=sign_in, args=pair, daemon=True)
        for pair in zip(browsers, usernames, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    summary = timing.summary()
    summary["note"] = f"{len(usernames)} people at once"
    return summary


def lost_submissions(url: str, sent: dict[int, dict[int, int]]) -> int:
    """Acknowledged submissions missing from the database, or with an answer that differs."""
    from sqlalchemy import select

    from lms import create_app
    from lms.config import Config
    from lms.extensions import db
    from lms.quizzes.models import Answer, SurveyResponse

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url}))
    lost = 0
    with app.app_context():
        stored: dict[int, dict[int, int]] = {}
        rows = db.session.execute(
            select(SurveyResponse.enrolment_id, Answer.item_id, Answer.value)
            .join(Answer, Answer.response_id == SurveyResponse.id)
            .where(SurveyResponse.phase == "post", SurveyResponse.enrolment_id.in_(list(sent) or [0]))
        )
        for enrolment_id, item_id, value in rows:
            stored.setdefault(enrolment_id, {})[item_id] = value
        for enrolment_id, answers in sent.items():
            got = stored.get(enrolment_id)
            if got is None or any(got.get(i) != v for i, v in answers.items()):
                lost += 1
        db.session.remove()
        db.engine.dispose()
    return lost
