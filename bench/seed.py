"""Seed a realistic programme with bulk inserts (SQLAlchemy Core, lists of dicts).

Rows go through the real models' tables and the real rules (default_cohort_modules,
items_for, item_audience, SurveyItem.score), so what the server reads is what the app would
have written. Run inside an app context on a database whose schema and content exist.
Text is NFC already: Core inserts skip the ORM's before_flush normalisation.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from lms.extensions import db

# Join codes' alphabet (lms.cohorts.services.CODE_ALPHABET). The app's models and services are
# imported inside the functions: they must load in create_app's order, not this module's.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

TRAINEE_PASSWORD = "trainee-pass-2026"
STAFF_PASSWORD = "staff-pass-2026"
# Seeded accounts sign in with a cheap hash, so that sign-ins neither dominate a run nor blur
# what each page costs; `slow_hash_users` get the production default (scrypt) to measure it.
FAST_HASH_METHOD = "pbkdf2:sha256:1000"

FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Quốc", "Ngọc", "Hữu", "Thanh", "Xuân")
GIVEN = (
    "Hương",
    "Dũng",
    "Hà",
    "Việt",
    "Lan",
    "Tuấn",
    "Hải",
    "Mai",
    "Hùng",
    "Linh",
    "Nam",
    "Trang",
    "Phương",
    "Sơn",
    "Thảo",
    "Long",
    "Yến",
    "Khoa",
    "Hạnh",
    "Bình",
)
PROVINCES = (
    "ha-noi",
    "ho-chi-minh",
    "hai-phong",
    "da-nang",
    "can-tho",
    "nghe-an",
    "thanh-hoa",
    "dien-bien",
    "son-la",
    "lao-cai",
    "quang-ninh",
    "an-giang",
)
AUDIENCE_NAMES = {
    "police": "Công an phường",
    "centre_staff": "Cán bộ cơ sở cai nghiện",
    "ngo_cbo": "Nhóm cộng đồng",
    "mixed": "Liên ngành",
}
AUDIENCE_ORG_TYPES = {
    "police": ("police",),
    "centre_staff": ("centre_staff",),
    "ngo_cbo": ("ngo", "cbo"),
    "mixed": ("police", "centre_staff", "ngo", "cbo", "health_worker"),
}


@dataclass
class CohortPlan:
    """One cohort to create: `finished` (both surveys, certificates) or `post_open` (a workshop
    in its last session: pre-survey and lessons done, the post-survey open, not submitted)."""

    size: int
    state: str = "finished"
    audience: str = "police"
    drafts: bool = False  # post_open: answers autosaved for every page but the last


@dataclass
class SeededTrainee:
    username: str
    user_id: int
    enrolment_id: int
    cohort_id: int
    post_items: list[int]  # item ids in the order the trainee sees them
    last_page_items: list[int]
    page_count: int


@dataclass
class SeededCohort:
    id: int
    name: str
    state: str
    size: int
    facilitator: str
    enrolment_ids: list[int]


@dataclass
class Seeded:
    cohorts: list[SeededCohort]
    live_trainees: list[SeededTrainee]  # trainees of post_open cohorts
    finished_trainees: list[str]
    facilitators: list[str]
    staff: list[str]
    admin: str
    certificate_codes: dict[str, str]  # trainee username -> code of their certificate
    slow_hash_users: list[str]  # trainees (not enrolled) whose password hash is scrypt
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _code(number: int, length: int) -> str:
    """A distinct code per number in the join-code alphabet (no 0/O, 1/I)."""
    digits = []
    for _ in range(length):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(reversed(digits))


class _Ids:
    """Explicit primary keys, continuing after what the tables hold, so children can point at
    parents without a round trip."""

    def __init__(self):
        self._next: dict[str, int] = {}

    def take(self, model, count: int = 1) -> int:
        name = model.__tablename__
        if name not in self._next:
            self._next[name] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        first = self._next[name]
        self._next[name] += count
        return first


def bulk_insert(model, rows: list[dict], chunk: int = 20_000) -> int:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model.__table__), rows[start : start + chunk])
    return len(rows)


def reset_sequences() -> None:
    """PostgreSQL: move id sequences past explicitly inserted ids (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _likert(rng: random.Random, leaning: float) -> int:
    return min(5, max(1, round(rng.gauss(leaning, 1.0))))


def _knowledge(rng: random.Random, item, p_correct: float) -> int:
    if rng.random() < p_correct:
        return item.answer
    wrong = [i for i in range(len(item.options_vi or [])) if i != item.answer]
    return rng.choice(wrong) if wrong else item.answer


def answers_for(rng: random.Random, items, leaning: float, p_correct: float) -> dict[int, int]:
    """Plausible ticks: Likert around `leaning` (keyed, so reverse items tick the other way)."""
    answers = {}
    for item in items:
        if item.kind == "knowledge":
            answers[item.id] = _knowledge(rng, item, p_correct)
        else:
            keyed = _likert(rng, leaning)
            answers[item.id] = 6 - keyed if item.reverse else keyed
    return answers


def seed_programme(
    plans: list[CohortPlan],
    *,
    facilitators: int = 60,
    staff: int = 3,
    prefix: str = "",
    rng_seed: int = 2026,
    certificates: bool = True,
    slow_hash_users: int = 0,
) -> Seeded:
    """Insert users, cohorts, enrolments, progress, survey responses, drafts and certificates
    for the given cohort plans, in one transaction; returns what a client needs to drive it."""
    from lms.auth.models import User
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort, CohortFacilitator, CohortModule, Enrolment, PhaseGate
    from lms.cohorts.services import default_cohort_modules
    from lms.modules.models import LessonProgress
    from lms.quizzes.instrument import current_version
    from lms.quizzes.models import Answer, DraftAnswer, SurveyResponse
    from lms.quizzes.services import item_audience, items_for, pages
    from lms.vocab import province_name

    started = time.perf_counter()
    rng = random.Random(rng_seed)
    now = datetime.now(UTC)
    today = date.today()
    ids = _Ids()
    version = current_version()
    if version is None:
        raise RuntimeError("no survey instrument: sync the content first")
    all_items = list(version.items)
    trainee_hash = generate_password_hash(TRAINEE_PASSWORD, FAST_HASH_METHOD)
    staff_hash = generate_password_hash(STAFF_PASSWORD, FAST_HASH_METHOD)
    slow_hash = generate_password_hash(TRAINEE_PASSWORD)  # werkzeug's default: scrypt
    rows: dict[str, list[dict]] = {
        name: []
        for name in (
            "user",
            "cohort",
            "phase_gate",
            "cohort_facilitator",
            "cohort_module",
            "enrolment",
            "lesson_progress",
            "survey_response",
            "answer",
            "draft_answer",
            "certificate",
        )
    }

    def user_row(user_id, username, role, org_type, password_hash, province):
        return {
            "id": user_id,
            "username": username,
            "full_name": _name(rng),
            "email": None,
            "phone": None,
            "password_hash": password_hash,
            "must_change_password": False,
            "role": role,
            "language": "vi",
            "org_type": org_type,
            "province": province,
            "active": True,
            "last_login_at": None,
            "created_at": now,
            "updated_at": now,
        }

    admin_id = ids.take(User)
    rows["user"].append(user_row(admin_id, f"{prefix}admin", "admin", "other", staff_hash, "ha-noi"))
    staff_names = []
    for n in range(staff):
        staff_names.append(f"{prefix}staff{n + 1}")
        rows["user"].append(user_row(ids.take(User), staff_names[-1], "staff", "ngo", staff_hash, "ha-noi"))
    facilitator_ids, facilitator_names = [], []
    for n in range(facilitators):
        facilitator_ids.append(ids.take(User))
        facilitator_names.append(f"{prefix}facilitator{n + 1}")
        rows["user"].append(
            user_row(
                facilitator_ids[-1],
                facilitator_names[-1],
                "facilitator",
                "ngo",
                staff_hash,
                rng.choice(PROVINCES),
            )
        )
    facilitator_full_names = (
        [row["full_name"] for row in rows["user"][-facilitators:]] if facilitators else []
    )
    slow_names = [f"{prefix}workshop{n + 1:03d}" for n in range(slow_hash_users)]
    for username in slow_names:
        rows["user"].append(user_row(ids.take(User), username, "trainee", "police", slow_hash, "ha-noi"))

    modules_by_audience = {audience: default_cohort_modules(audience) for audience in AUDIENCE_ORG_TYPES}

    seeded_cohorts, live, finished = [], [], []
    certificate_codes = {}
    trainee_number = 0
    for number, plan in enumerate(plans):
        cohort_id = ids.take(Cohort)
        facilitator = number % max(facilitators, 1)
        province = PROVINCES[number % len(PROVINCES)]
        if plan.state == "finished":
            start = today - timedelta(days=30 + (number * 613) % 700)
            status, pacing, post_open = "closed", "self", False
        else:
            start = today - timedelta(days=1)
            status, pacing, post_open = "active", "facilitator", True
        name = (
            f"Tập huấn {AUDIENCE_NAMES[plan.audience]} — {province_name(province, 'vi')} · đợt {number + 1}"
        )
        rows["cohort"].append(
            {
                "id": cohort_id,
                "name": name,
                "audience": plan.audience,
                "province": province,
                "venue": "Hội trường UBND",
                "start_date": start,
                "end_date": start + timedelta(days=2),
                "language": "vi",
                "status": status,
                "join_code": _code(cohort_id + 40_000, 6),
                "pacing": pacing,
                "knowledge_pass_percent": None,
                "historical": False,
                "created_by_id": facilitator_ids[facilitator] if facilitators else admin_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        rows["phase_gate"] += [
            {"cohort_id": cohort_id, "phase": "pre", "is_open": True},
            {"cohort_id": cohort_id, "phase": "post", "is_open": post_open},
        ]
        if facilitators:
            rows["cohort_facilitator"].append(
                {"cohort_id": cohort_id, "user_id": facilitator_ids[facilitator]}
            )
        lesson_ids = []
        for cohort_module in modules_by_audience[plan.audience]:
            rows["cohort_module"].append(
                {
                    "cohort_id": cohort_id,
                    "module_id": cohort_module.module.id,
                    "position": cohort_module.position,
                    "required": cohort_module.required,
                    "unlocked": True,
                }
            )
            lesson_ids += [lesson.id for lesson in cohort_module.module.lessons]
        cohort_stand_in = SimpleNamespace(
            id=cohort_id,
            name=name,
            audience=plan.audience,
            start_date=start,
            end_date=start + timedelta(days=2),
            language="vi",
            modules=modules_by_audience[plan.audience],
            facilitators=[SimpleNamespace(full_name=facilitator_full_names[facilitator])]
            if facilitators
            else [],
        )
        cohort_start = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=8)
        enrolment_ids = []
        for seat in range(plan.size):
            trainee_number += 1
            user_id, enrolment_id = ids.take(User), ids.take(Enrolment)
            enrolment_ids.append(enrolment_id)
            username = f"{prefix}trainee{trainee_number:05d}"
            org_type = rng.choice(AUDIENCE_ORG_TYPES[plan.audience])
            rows["user"].append(user_row(user_id, username, "trainee", org_type, trainee_hash, province))
            rows["enrolment"].append(
                {
                    "id": enrolment_id,
                    "cohort_id": cohort_id,
                    "user_id": user_id,
                    "trainee_code": _code(seat, 4),
                    "joined_at": cohort_start,
                    "pre_survey_waived": False,
                }
            )
            first_id = ids.take(LessonProgress, len(lesson_ids))
            for offset, lesson_id in enumerate(lesson_ids):
                done_at = cohort_start + timedelta(minutes=20 * offset + seat % 7)
                rows["lesson_progress"].append(
                    {
                        "id": first_id + offset,
                        "user_id": user_id,
                        "lesson_id": lesson_id,
                        "last_viewed_at": done_at,
                        "completed_at": done_at,
                    }
                )
            stand_in = SimpleNamespace(
                id=enrolment_id,
                cohort=cohort_stand_in,
                user=SimpleNamespace(
                    org_type=org_type, language="vi", full_name=rows["user"][-1]["full_name"]
                ),
            )
            audience = item_audience(stand_in)
            items = [i for i in all_items if i.audience in ("all", audience)]
            leaning = rng.uniform(2.2, 3.6)
            phases = [("pre", leaning, 0.55, cohort_start)]
            if plan.state == "finished":
                phases.append(("post", leaning + 0.6, 0.8, cohort_start + timedelta(days=2)))
            for phase, lean, p_correct, at in phases:
                response_id = ids.take(SurveyResponse)
                answers = answers_for(rng, items, lean, p_correct)
                knowledge = [i for i in items if i.kind == "knowledge"]
                rows["survey_response"].append(
                    {
                        "id": response_id,
                        "enrolment_id": enrolment_id,
                        "phase": phase,
                        "version_id": version.id,
                        "source": "online",
                        "submitted_at": at,
                        "entered_by_id": None,
                        "knowledge_total": len(knowledge) or None,
                        "knowledge_correct": sum(i.score(answers[i.id]) for i in knowledge),
                    }
                )
                first_answer = ids.take(Answer, len(items))
                for offset, item in enumerate(items):
                    rows["answer"].append(
                        {
                            "id": first_answer + offset,
                            "response_id": response_id,
                            "item_id": item.id,
                            "value": answers[item.id],
                            "score": item.score(answers[item.id]),
                        }
                    )
            if plan.state == "finished":
                finished.append(username)
                if certificates:
                    certificate_id = ids.take(Certificate)
                    rows["certificate"].append(
                        certificate_row(certificate_id, stand_in, cohort_start + timedelta(days=2), rng)
                    )
                    certificate_codes[username] = rows["certificate"][-1]["code"]
                continue
            ordered = items_for(stand_in, "post", version)
            survey_pages = pages(ordered)
            last_page = survey_pages[-1]
            live.append(
                SeededTrainee(
                    username,
                    user_id,
                    enrolment_id,
                    cohort_id,
                    [i.id for i in ordered],
                    [i.id for i in last_page],
                    len(survey_pages),
                )
            )
            if plan.drafts:
                answers = answers_for(rng, ordered, leaning + 0.6, 0.8)
                last = {i.id for i in last_page}
                first_draft = ids.take(DraftAnswer, len(ordered) - len(last))
                for offset, item in enumerate(i for i in ordered if i.id not in last):
                    rows["draft_answer"].append(
                        {
                            "id": first_draft + offset,
                            "enrolment_id": enrolment_id,
                            "phase": "post",
                            "item_id": item.id,
                            "value": answers[item.id],
                            "saved_at": now,
                        }
                    )
        seeded_cohorts.append(
            SeededCohort(
                cohort_id,
                name,
                plan.state,
                plan.size,
                facilitator_names[facilitator] if facilitators else f"{prefix}admin",
                enrolment_ids,
            )
        )

    order = (
        "user",
        "cohort",
        "phase_gate",
        "cohort_facilitator",
        "cohort_module",
        "enrolment",
        "lesson_progress",
        "survey_response",
        "answer",
        "draft_answer",
        "certificate",
    )
    models = {
        "user": User,
        "cohort": Cohort,
        "phase_gate": PhaseGate,
        "cohort_facilitator": CohortFacilitator,
        "cohort_module": CohortModule,
        "enrolment": Enrolment,
        "lesson_progress": LessonProgress,
        "survey_response": SurveyResponse,
        "answer": Answer,
        "draft_answer": DraftAnswer,
        "certificate": Certificate,
    }
    counts = {name: bulk_insert(models[name], rows[name]) for name in order}
    reset_sequences()
    db.session.commit()
    return Seeded(
        seeded_cohorts,
        live,
        finished,
        facilitator_names,
        staff_names,
        f"{prefix}admin",
        certificate_codes,
        slow_names,
        counts,
        time.perf_counter() - started,
    )


def certificate_row(certificate_id: int, enrolment, issued_at: datetime, rng: random.Random) -> dict:
    """A certificate as the automatic rule issues it; the snapshot is built by the real
    build_snapshot from stand-ins (every module of the cohort is complete in this data)."""
    from lms.certificates.services import CODE_LENGTH, build_snapshot

    snapshot = build_snapshot(
        enrolment, issued_at, [cm.module for cm in enrolment.cohort.modules], in_room=True
    )
    snapshot["in_room"] = False
    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return {
        "id": certificate_id,
        "enrolment_id": enrolment.id,
        "code": code,
        "issued_at": issued_at,
        "issued_by_id": None,
        "issue_reason": None,
        "revoked_at": None,
        "revoked_by_id": None,
        "revoke_reason": None,
        "snapshot": snapshot,
    }
