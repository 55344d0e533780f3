"""Report fixtures: many trainees' surveys written with bulk inserts, fast enough for thousands."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import insert, select

from lms.auth.models import User
from lms.cohorts.models import Enrolment
from lms.config import ROOT
from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyResponse
from tests.conftest import SURVEY_V1, load_instrument


@dataclass
class SurveyData:
    """What was written, so tests can recompute every figure with scipy on the same data."""

    enrolment_ids: list[int] = field(default_factory=list)
    # enrolment id -> phase -> {item key: keyed score}
    scores: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)


@pytest.fixture
def bulk_surveys(app):
    """bulk_surveys(cohort, n, phases=("pre", "post"), seed=1, org_type=None, submitted=None,
    source="online", keys=None) -> SurveyData: n new trainees in the cohort with answers to
    every item of their track (or only those keys); the after-survey leans towards less
    stigma so the change is real."""
    counter = iter(range(1, 1_000_000))

    def make(
        cohort,
        n,
        phases=("pre", "post"),
        seed=1,
        org_type=None,
        submitted=None,
        source="online",
        data=None,
        keys=None,
    ):
        data = data or SurveyData()
        rng = np.random.default_rng(seed)
        version = current_version()
        audience = cohort.audience if cohort.audience != "mixed" else "police"
        items = [
            i for i in version.items if i.audience in ("all", audience) and (keys is None or i.key in keys)
        ]
        run = next(counter)
        names = [f"bulk{cohort.id}-{run}-{k}" for k in range(n)]
        db.session.execute(
            insert(User),
            [
                {
                    "username": name,
                    "full_name": name,
                    "password_hash": "!",
                    "role": "trainee",
                    "org_type": org_type or ("police" if audience == "police" else "other"),
                    "province": cohort.province,
                }
                for name in names
            ],
        )
        user_ids = db.session.scalars(select(User.id).where(User.username.in_(names)).order_by(User.id)).all()
        db.session.execute(
            insert(Enrolment),
            [
                {"cohort_id": cohort.id, "user_id": uid, "trainee_code": f"B{run}-{k}"}
                for k, uid in enumerate(user_ids)
            ],
        )
        enrolment_ids = db.session.scalars(
            select(Enrolment.id).where(Enrolment.user_id.in_(user_ids)).order_by(Enrolment.user_id)
        ).all()
        when = submitted or datetime(2026, 3, 10, 3, tzinfo=UTC)
        rows = []
        for enrolment_id in enrolment_ids:
            for phase in phases:
                rows.append(
                    {
                        "enrolment_id": enrolment_id,
                        "phase": phase,
                        "version_id": version.id,
                        "source": source,
                        "submitted_at": when + timedelta(days=2 if phase == "post" else 0),
                        "knowledge_total": 0,
                        "knowledge_correct": 0,
                    }
                )
        db.session.execute(insert(SurveyResponse), rows)
        response_ids = {
            (e, p): rid
            for rid, e, p in db.session.execute(
                select(SurveyResponse.id, SurveyResponse.enrolment_id, SurveyResponse.phase).where(
                    SurveyResponse.enrolment_id.in_(enrolment_ids)
                )
            )
        }
        answers = []
        knowledge = {}
        for enrolment_id in enrolment_ids:
            data.enrolment_ids.append(enrolment_id)
            base = rng.integers(1, 5)
            for phase in phases:
                keyed = {}
                correct = total = 0
                for item in items:
                    if item.kind == "practice":  # asked at follow-up waves only, never scored
                        if phase.startswith("follow"):
                            answers.append(
                                {
                                    "response_id": response_ids[(enrolment_id, phase)],
                                    "item_id": item.id,
                                    "value": 2,
                                    "score": None,
                                }
                            )
                        continue
                    if item.kind in ("likert", "policy"):
                        lean = 1 if phase == "post" and rng.random() < 0.5 else 0
                        score = int(min(5, max(1, base + rng.integers(-1, 2) + lean)))
                        value = 6 - score if item.reverse else score
                    else:
                        right = rng.random() < (0.75 if phase == "post" else 0.45)
                        value = item.answer if right else (item.answer + 1) % len(item.options_vi)
                        score = item.score(value)
                        correct += score
                        total += 1
                    assert item.score(value) == score
                    keyed[item.key] = score
                    answers.append(
                        {
                            "response_id": response_ids[(enrolment_id, phase)],
                            "item_id": item.id,
                            "value": value,
                            "score": score,
                        }
                    )
                data.scores.setdefault(enrolment_id, {})[phase] = keyed
                knowledge[response_ids[(enrolment_id, phase)]] = (correct, total)
        db.session.execute(insert(Answer), answers)
        from sqlalchemy import update

        db.session.execute(
            update(SurveyResponse),
            [{"id": rid, "knowledge_correct": c, "knowledge_total": t} for rid, (c, t) in knowledge.items()],
        )
        db.session.commit()
        return data

    return make


def report_for(**filters):
    """The report for these filters, built inside a request so labels are translated."""
    from lms.reports.queries import Filters
    from lms.reports.services import build_report

    return build_report(Filters(**filters))


def row(table, key=None, label=None):
    """The row of a report table with this key (or label)."""
    for r in table.rows:
        if (key is not None and r.get("key") == key) or (label is not None and r.get("label") == label):
            return r
    raise AssertionError(f"no row {key or label} in {table.key}")


def enrolments_of(cohort):
    return db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)
    ).all()


def keyed(n: int, phase: str):
    """A trainee's keyed score on an item: differs by trainee, item and phase (1–5)."""

    def score(item):
        bump = sum(map(ord, item.key)) % 3
        return min(5, max(1, 1 + (n + bump + (2 if phase == "post" else 0) + n % 2) % 5))

    return score


@pytest.fixture
def two_versions(app, make_cohort, answer_survey):
    """Cohort 1 answers the first instrument before and after; then the new instrument is
    loaded and cohort 2 answers it. One trainee of cohort 1 answers after the training only
    once the new version exists: the survey repeats the version answered before."""
    first = load_instrument(SURVEY_V1)
    old = make_cohort(trainees=7, name="Công an phường (2025)")
    old_people = enrolments_of(old)
    for n, enrolment in enumerate(old_people):
        answer_survey(enrolment, "pre", keyed(n, "pre"))
        if n < 6:
            answer_survey(enrolment, "post", keyed(n, "post"))
    second = load_instrument(ROOT / "content")
    assert second.number == first.number + 1 and current_version() == second
    answer_survey(old_people[6], "post", keyed(6, "post"))
    new = make_cohort(trainees=6, name="Công an phường (2026)")
    new_people = enrolments_of(new)
    for n, enrolment in enumerate(new_people):
        answer_survey(enrolment, "pre", keyed(n + 10, "pre"))
        answer_survey(enrolment, "post", keyed(n + 10, "post"))
    return {
        "first": first,
        "second": second,
        "people": {
            first.number: [(e, n) for n, e in enumerate(old_people)],
            second.number: [(e, n + 10) for n, e in enumerate(new_people)],
        },
    }
