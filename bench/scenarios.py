"""What the benchmark measures: who does what, on which URL, how many times."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from flask import Flask, url_for

from bench import measure
from bench.client import Browser, page_weight
from bench.seed import STAFF_PASSWORD, TRAINEE_PASSWORD, Seeded, SeededTrainee
from bench.server import HOST

REDIRECT = (302, 303)


@dataclass
class Endpoint:
    """A URL that exists in this build of the app (None in `urls` when it does not yet)."""

    name: str
    path: str | None
    who: str  # "trainee", "facilitator", "staff", "finished trainee", "anonymous"
    count: int = 200
    warmup: int = 20
    budget: float = 20.0
    note: str = ""


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
    notes: dict[str, str] = field(default_factory=dict)


def _first(app: Flask, endpoints: list[str]) -> str | None:
    return next((name for name in endpoints if name in app.view_functions), None)


def _url(app: Flask, endpoints: list[str], **values) -> str | None:
    endpoint = _first(app, endpoints)
    if endpoint is None:
        return None
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
    probe = by_cohort[matrix.id][0]
    others = [t for c in live_cohorts[1:] for t in by_cohort[c.id]]
    certificate_trainee, certificate_code = next(iter(seeded.certificate_codes.items()))
    context = Context(lessons=lessons, probe=probe, submitters=others[:150],
                      saturating=others[150:300], paced=others[300:400],
                      matrix_cohort=matrix.id, matrix_facilitator=matrix.facilitator,
                      certificate_trainee=certificate_trainee, certificate_code=certificate_code,
                      items=items)
    context.urls = {
        "cohort completion matrix (40 trainees)": _url(
            app, ["cohorts.matrix", "cohorts.progress", "cohorts.completion", "cohorts.show"],
            cohort_id=matrix.id),
        "room view poll": _url(
            app, ["cohorts.room_state", "cohorts.room_poll", "cohorts.room_view_state"],
            cohort_id=matrix.id),
        "programme report (all trainees)": _url(app, ["reports.programme", "reports.index"]),
        "certificate PDF": _url(app, ["certificates.download"], code=certificate_code),
        "XLSX export (cohort progress, 40 trainees)": _url(
            app, ["cohorts.export_progress"], cohort_id=matrix.id, fmt="xlsx"),
    }
    return context


def _answer(rng: random.Random, kind_options: tuple[str, int]) -> int:
    kind, options = kind_options
    return rng.randint(1, 5) if kind == "likert" else rng.randrange(max(options, 1))


def survey_url(trainee: SeededTrainee, page: int | None = None) -> str:
    url = f"/surveys/{trainee.enrolment_id}/post"
    return f"{url}?page={page}" if page else url


def last_page(trainee: SeededTrainee) -> int:
    return trainee.page_count


def latencies(port: int, seeded: Seeded, context: Context, quick: bool = False) -> dict:
    """Sequential requests on one kept-alive connection after warm-up, per endpoint."""
    scale = 0.25 if quick else 1.0
    rng = random.Random(7)
    results: dict[str, dict | None] = {}

    def record(name, timing: measure.Timing, note=""):
        summary = timing.summary()
        summary["note"] = note
        results[name] = summary
        print(f"  {name}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms "
              f"(n={summary['n']})", flush=True)

    anonymous = Browser(HOST, port)
    record("bare route /healthz", measure.sequential(
        "healthz", lambda n: anonymous.get("/healthz"), count=int(300 * scale)))
    record("sign-in page", measure.sequential(
        "sign-in page", lambda n: anonymous.get("/login"), count=int(200 * scale)))
    anonymous.close()

    trainee = Browser(HOST, port)
    trainee.sign_in(context.probe.username, TRAINEE_PASSWORD)
    lesson = context.lessons[1]
    record("lesson page", measure.sequential(
        "lesson", lambda n: trainee.get(f"/lessons/{lesson}"), count=int(200 * scale)),
        note=f"/lessons/{lesson}; records the visit (one write)")
    record("survey page", measure.sequential(
        "survey page", lambda n: trainee.get(survey_url(context.probe)), count=int(200 * scale)),
        note="post-survey page 1 of 5")
    autosave = survey_url(context.probe) + "/autosave"

    def save(n):
        item = context.probe.post_items[n % len(context.probe.post_items)]
        return trainee.post_fetch(autosave, [(f"item-{item}", _answer(rng, context.items[item]))])

    record("survey autosave", measure.sequential("autosave", save, count=int(200 * scale)),
           note="one answer, JSON reply")
    trainee.close()

    submitters = context.submitters[:int(len(context.submitters) * scale)]
    submitter = Browser(HOST, port)

    def submit(n):
        person = submitters[n]
        submitter.cookies.clear()
        submitter.sign_in(person.username, TRAINEE_PASSWORD)
        form = [(f"item-{i}", _answer(rng, context.items[i])) for i in person.last_page_items]
        return submitter.post(survey_url(person, last_page(person)), form + [("action", "submit")])

    record("survey submit", measure.sequential(
        "submit", submit, count=len(submitters) - 5, warmup=5, expected=REDIRECT),
        note="last page + submit, one trainee per sample")
    submitter.close()

    for name, who in (("cohort completion matrix (40 trainees)", "facilitator"),
                      ("room view poll", "facilitator"),
                      ("programme report (all trainees)", "staff"),
                      ("certificate PDF", "finished trainee"),
                      ("XLSX export (cohort progress, 40 trainees)", "facilitator")):
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
        else:
            browser.sign_in(context.certificate_trainee, TRAINEE_PASSWORD)
        heavy = name.startswith("programme report")
        count = 20 if heavy else (50 if name.startswith(("certificate", "XLSX")) else 200)
        record(name, measure.sequential(name, lambda n, p=path, b=browser: b.get(p),
                                        count=max(5, int(count * scale)), warmup=2 if heavy else 10,
                                        budget=60 if heavy else 20), note=f"{path} as {who}")
        browser.close()
    return results


def weights(port: int, seeded: Seeded, context: Context) -> dict:
    """Sign-in, lesson and survey pages with all they reference, as a first visit."""
    pages = {}
    anonymous = Browser(HOST, port)
    pages["sign-in page"] = page_weight(anonymous, "/login")
    anonymous.close()
    trainee = Browser(HOST, port)
    trainee.sign_in(context.probe.username, TRAINEE_PASSWORD)
    pages["lesson page"] = page_weight(trainee, f"/lessons/{context.lessons[1]}")
    pages["survey page"] = page_weight(trainee, survey_url(context.probe))
    heaviest = max((page_weight(trainee, f"/lessons/{key}") for key in context.lessons),
                   key=lambda page: page.total_bytes)
    trainee.close()
    third_party = sorted({url for page in pages.values() for url in page.third_party})
    return {
        "pages": {name: {"path": page.path, "status": page.status, "requests": page.requests,
                         "total_bytes": page.total_bytes, "by_kind": page.by_kind(),
                         "resources": page.resources, "third_party": page.third_party}
                  for name, page in pages.items()},
        "total_bytes": sum(page.total_bytes for page in pages.values()),
        "requests": sum(page.requests for page in pages.values()),
        "third_party": len(third_party),
        "third_party_urls": third_party,
        "heaviest_lesson": f"{heaviest.path} {heaviest.total_bytes} B",
    }


def concurrent(port: int, context: Context, crowd: list[SeededTrainee], clients: int = 50,
               think: tuple[float, float] = (0.0, 0.0), deadline_s: float = 120) -> dict:
    """Each client plays trainees one after another: sign in, home, three lessons, the survey
    with autosaves, submit, the thank-you page (a workshop's last session). `think` is the
    pause between two requests of one client (uniform, seconds): (0, 0) saturates the server."""
    import time

    sent: dict[int, dict[int, int]] = {}

    def session(browser: Browser, trainee: SeededTrainee, record):
        rng = random.Random(trainee.enrolment_id)

        def pause():
            if think[1]:
                time.sleep(rng.uniform(*think))

        record("sign-in page", browser.get("/login"))
        pause()
        record("sign-in", browser.post("/login", {"username": trainee.username,
                                                  "password": TRAINEE_PASSWORD}), REDIRECT)
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
        last = last_page(trainee)
        pause()
        record("survey page", browser.get(survey_url(trainee, last)))
        form = [(f"item-{i}", _answer(rng, context.items[i])) for i in trainee.last_page_items]
        pause()
        response = record("survey submit", browser.post(
            survey_url(trainee, last), form + [("action", "submit")]), REDIRECT)
        answers.update((i, v) for (_, v), i in zip(form, trainee.last_page_items, strict=True))
        if response.status in REDIRECT:
            sent[trainee.enrolment_id] = answers
            record("thank-you page", browser.get(response.location))

    result = measure.run_concurrently(clients, crowd, session, host=HOST, port=port,
                                      deadline_s=deadline_s)
    samples = result.all_samples()
    return {
        "clients": clients, "think_s": list(think), "trainees": result.sessions,
        "requests": result.requests, "seconds": round(result.seconds, 1),
        "throughput_rps": round(result.throughput, 1),
        "p50_ms": round(measure.percentile(samples, 50) * 1000, 1),
        "p95_ms": round(measure.percentile(samples, 95) * 1000, 1),
        "server_errors": result.server_errors(),
        "failed_sessions": len(result.failures), "failures": result.failures[:5],
        "by_kind": {kind: timing.summary() for kind, timing in result.timings.items()},
        "submitted_enrolments": sent,
    }


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
            .where(SurveyResponse.phase == "post",
                   SurveyResponse.enrolment_id.in_(list(sent) or [0])))
        for enrolment_id, item_id, value in rows:
            stored.setdefault(enrolment_id, {})[item_id] = value
        for enrolment_id, answers in sent.items():
            got = stored.get(enrolment_id)
            if got is None or any(got.get(i) != v for i, v in answers.items()):
                lost += 1
        db.session.remove()
        db.engine.dispose()
    return lost
