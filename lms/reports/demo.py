"""A demo evaluation: three finished cohorts with answers before, after and at a 3-month
follow-up, so a newcomer sees a complete three-wave report (`flask demo evaluation`)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from lms.auth.models import Role, User
from lms.auth.services import create_user
from lms.cohorts.models import Cohort
from lms.cohorts.services import create_cohort, enrol, set_cohort_modules
from lms.cohorts.waves import months_after
from lms.extensions import db
from lms.privacy.sgic import ELEMENTS, programme_secret, record_code
from lms.quizzes.services import items_for, submit_survey

PASSWORD = "demo-2026"  # noqa: S105 (printed on purpose: demo accounts only)
COHORTS = (
    ("Công an quận — Hà Nội (đánh giá demo)", "police", "ha-noi", 22),
    ("Cán bộ cơ sở cai nghiện — Hải Phòng (đánh giá demo)", "centre_staff", "hai-phong", 20),
    ("Tổ chức cộng đồng — TP. Hồ Chí Minh (đánh giá demo)", "ngo_cbo", "ho-chi-minh", 18),
)
ORG = {"police": "police", "centre_staff": "centre_staff", "ngo_cbo": "ngo"}


def _answers(enrolment, phase: str, level: float, rng: random.Random) -> dict[int, int]:
    """Answers around a keyed attitude level (1-5) and a matching share of right answers;
    at the follow-up, practice bands (0-4) that rise a little with the attitude level."""
    answers = {}
    for item in items_for(enrolment, phase):
        if item.kind == "practice":
            answers[item.id] = 0 if rng.random() < 0.1 else max(1, min(4, round(rng.gauss(level - 1.5, 1.0))))
        elif item.kind in ("likert", "policy"):
            score = max(1, min(5, round(rng.gauss(level, 0.8))))
            answers[item.id] = 6 - score if item.reverse else score
        else:
            right = rng.random() < (level - 1) / 4
            options = len(item.options_vi or [])
            answers[item.id] = item.answer if right else (item.answer + 1) % options
    return answers


def _code(rng: random.Random) -> dict[str, str]:
    return {
        "mother": rng.choice("HTLNMPVDKQ"),
        "father": rng.choice("HTLNMPVDKQ"),
        "birth_day": str(rng.randint(1, 28)),
        "birth_month": str(rng.randint(1, 12)),
        "older_siblings": str(rng.randint(0, 4)),
    }


def _mistyped(code: dict[str, str], rng: random.Random) -> dict[str, str]:
    name, _label, kind, bounds = rng.choice(ELEMENTS)
    changed = dict(code)
    while changed[name] == code[name]:
        changed[name] = rng.choice("ABCDEGHKLMNPQSTV") if kind == "letter" else str(rng.randint(*bounds))
    return changed


def seed_evaluation(today: date | None = None, seed: int = 16, secret: bytes | None = None) -> list[Cohort]:
    """Create the demo programme (no commit). About 60 trainees: before, after, and a follow-up
    three months after each cohort's end, answered by about three in four of them."""
    rng = random.Random(seed)  # noqa: S311 (demo answers, not secrecy)
    from flask import current_app

    secret = secret or programme_secret(current_app.config)
    today = today or date.today()
    facilitator = db.session.scalar(select(User).where(User.username == "facilitator"))
    if facilitator is None:
        facilitator, _ = create_user(
            "eval-facilitator", "Phạm Minh Tuấn", PASSWORD, role=Role.FACILITATOR, language="vi"
        )
    cohorts = []
    for number, (name, audience, province, size) in enumerate(COHORTS):
        end = today - timedelta(days=120 + 30 * number)
        cohort = create_cohort(
            facilitator,
            name=name,
            audience=audience,
            province=province,
            start_date=end - timedelta(days=2),
            end_date=end,
            status="closed",
        )
        set_cohort_modules(cohort, [], [])
        cohort.anonymous = number == len(COHORTS) - 1  # the last one pairs by codes
        cohort.schedule_wave("follow-1", months_after(end, 3))
        db.session.flush()
        for index in range(size):
            user, _ = create_user(
                f"eval{number + 1}-{index + 1:02d}",
                f"Học viên {number + 1}.{index + 1}",
                PASSWORD,
                role=Role.TRAINEE,
                language="vi",
                org_type=ORG[audience],
                province=province,
            )
            enrolment = enrol(cohort, user)
            db.session.flush()
            person = rng.gauss(2.6, 0.4)
            gain = rng.gauss(1.0, 0.35)
            levels = {"pre": person, "post": person + gain, "follow-1": person + gain * rng.gauss(0.6, 0.2)}
            phases = ["pre", "post"] + (["follow-1"] if rng.random() < 0.75 else [])
            code = _code(rng)
            for phase in phases:
                response = submit_survey(
                    enrolment,
                    phase,
                    _answers(enrolment, phase, levels[phase], rng),
                    source="paper" if phase == "follow-1" and index % 4 == 0 else "online",
                )
                if cohort.anonymous:
                    db.session.flush()
                    written = (
                        _mistyped(code, rng) if phase == "follow-1" and index % 6 == 1 else code
                    )  # a few codes written differently months later
                    record_code(response, cohort.id, written, secret)
        cohorts.append(cohort)
    return cohorts
