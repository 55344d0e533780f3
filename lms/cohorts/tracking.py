"""Who has done what in a cohort: the completion matrix, the room's counts and group results.

Every function here runs a fixed number of queries whatever the number of trainees: progress,
responses and certificates are aggregated per user or enrolment in SQL, never fetched per row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortModule, Enrolment
from lms.extensions import db
from lms.modules.models import Lesson, LessonProgress, Module
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse

STATUS_FILTERS = ("all", "not_finished", "finished", "not_started")
SORTS = ("name", "progress")


@dataclass
class ModuleColumn:
    module: Module
    required: bool
    lessons: int  # required lessons: the module is complete when all are completed


@dataclass
class ModuleCell:
    status: str  # completed | started | not_started
    lessons_done: int


@dataclass
class MatrixRow:
    enrolment: Enrolment
    user: User
    pre: str = "none"  # done | waived | none
    pre_source: str | None = None
    pre_knowledge: float | None = None
    post: str = "none"  # done | none
    post_source: str | None = None
    post_knowledge: float | None = None
    certificate: str = "none"  # issued | revoked | none
    modules: dict[int, ModuleCell] = field(default_factory=dict)
    progress: float = 0.0  # share of the steps done: pre, each required module, post

    @property
    def finished(self) -> bool:
        return self.progress >= 1.0

    @property
    def started(self) -> bool:
        return self.pre == "done" or self.post == "done" or any(
            cell.status != "not_started" for cell in self.modules.values())


@dataclass
class Matrix:
    columns: list[ModuleColumn]
    rows: list[MatrixRow]

    def totals(self, rows: list[MatrixRow] | None = None) -> dict:
        """Counts per column over the given rows (all rows by default)."""
        rows = self.rows if rows is None else rows
        return {
            "trainees": len(rows),
            "pre": sum(r.pre == "done" for r in rows),
            "pre_waived": sum(r.pre == "waived" for r in rows),
            "post": sum(r.post == "done" for r in rows),
            "certificates": sum(r.certificate == "issued" for r in rows),
            "finished": sum(r.finished for r in rows),
            "modules": {c.module.id: {
                "completed": sum(r.modules[c.module.id].status == "completed" for r in rows),
                "started": sum(r.modules[c.module.id].status != "not_started" for r in rows),
            } for c in self.columns},
        }


def _percent(correct: int | None, total: int | None) -> float | None:
    return round(100 * (correct or 0) / total, 1) if total else None


def completion_matrix(cohort: Cohort) -> Matrix:
    """Trainees × (pre-survey, each module, post-survey, certificate), in six queries."""
    # Imported here: lms.certificates.models imports lms.cohorts, which imports this module.
    from lms.certificates.models import Certificate

    enrolled = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    rows = [MatrixRow(enrolment=e, user=u) for e, u in db.session.execute(
        select(Enrolment, User).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id == cohort.id).order_by(User.full_name, User.id)).all()]
    cohort_modules = db.session.scalars(
        select(CohortModule).options(joinedload(CohortModule.module))
        .join(Module, Module.id == CohortModule.module_id)
        .where(CohortModule.cohort_id == cohort.id, Module.archived.is_(False))
        .order_by(CohortModule.position)).all()
    module_ids = [cm.module_id for cm in cohort_modules]
    required_lessons: dict[int, int] = {}
    progress: dict[tuple[int, int], tuple[int, int]] = {}
    if module_ids:
        live = and_(Lesson.module_id.in_(module_ids), Lesson.archived.is_(False))
        required_lessons = dict(db.session.execute(
            select(Lesson.module_id, func.count(Lesson.id))
            .where(live, Lesson.required.is_(True)).group_by(Lesson.module_id)).all())
        completed_required = case(
            (and_(LessonProgress.completed_at.is_not(None), Lesson.required.is_(True)), 1),
            else_=0)
        for user_id, module_id, visited, done in db.session.execute(
                select(LessonProgress.user_id, Lesson.module_id, func.count(LessonProgress.id),
                       func.sum(completed_required))
                .join(Lesson, Lesson.id == LessonProgress.lesson_id)
                .where(live, LessonProgress.user_id.in_(enrolled))
                .group_by(LessonProgress.user_id, Lesson.module_id)):
            progress[(user_id, module_id)] = (int(visited), int(done or 0))
    responses = db.session.execute(
        select(SurveyResponse.enrolment_id, SurveyResponse.phase, SurveyResponse.source,
               SurveyResponse.knowledge_correct, SurveyResponse.knowledge_total)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id)).all()
    by_enrolment = {(r.enrolment_id, r.phase): r for r in responses}
    certificates = dict(db.session.execute(
        select(Certificate.enrolment_id, Certificate.revoked_at)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id)
        # A valid certificate issued after a revoked one comes last, so it is the one shown.
        .order_by(Certificate.revoked_at.is_(None), Certificate.issued_at)).all())

    columns = [ModuleColumn(cm.module, cm.required, required_lessons.get(cm.module_id, 0))
               for cm in cohort_modules]
    for row in rows:
        steps_done, steps = 0, 2
        pre = by_enrolment.get((row.enrolment.id, "pre"))
        if pre is not None:
            row.pre, row.pre_source = "done", pre.source
            row.pre_knowledge = _percent(pre.knowledge_correct, pre.knowledge_total)
        elif row.enrolment.pre_survey_waived:
            row.pre = "waived"
        post = by_enrolment.get((row.enrolment.id, "post"))
        if post is not None:
            row.post, row.post_source = "done", post.source
            row.post_knowledge = _percent(post.knowledge_correct, post.knowledge_total)
        steps_done += (row.pre != "none") + (row.post == "done")
        for column in columns:
            visited, done = progress.get((row.user.id, column.module.id), (0, 0))
            status = "completed" if done >= column.lessons else \
                "started" if visited else "not_started"
            row.modules[column.module.id] = ModuleCell(status, done)
            if column.required:
                steps += 1
                steps_done += status == "completed"
        row.progress = steps_done / steps
        if row.enrolment.id in certificates:
            row.certificate = "revoked" if certificates[row.enrolment.id] else "issued"
    return Matrix(columns, rows)


def filter_rows(matrix: Matrix, status: str = "all", org_type: str = "",
                sort: str = "name") -> list[MatrixRow]:
    """The rows a facilitator asked for: by status and organisation type, sorted."""
    rows = matrix.rows
    if status == "not_finished":
        rows = [r for r in rows if not r.finished]
    elif status == "finished":
        rows = [r for r in rows if r.finished]
    elif status == "not_started":
        rows = [r for r in rows if not r.started]
    if org_type:
        rows = [r for r in rows if r.user.org_type == org_type]
    if sort == "progress":
        rows = sorted(rows, key=lambda r: (r.progress, r.user.full_name))
    return rows


def room_counts(matrix: Matrix) -> dict[str, int]:
    """Live counts for the projector, keyed as the page's data-count attributes."""
    totals = matrix.totals()
    counts = {"joined": totals["trainees"], "pre": totals["pre"], "post": totals["post"]}
    for column in matrix.columns:
        module_totals = totals["modules"][column.module.id]
        counts[f"started-{column.module.key}"] = module_totals["started"]
        counts[f"completed-{column.module.key}"] = module_totals["completed"]
    return counts


def respondents(cohort: Cohort) -> dict[str, int]:
    """How many trainees submitted each phase."""
    counts = dict(db.session.execute(
        select(SurveyResponse.phase, func.count(SurveyResponse.id))
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id).group_by(SurveyResponse.phase)).all())
    return {"pre": counts.get("pre", 0), "post": counts.get("post", 0)}


def group_results(cohort: Cohort, min_n: int, lang: str) -> dict | None:
    """Anonymous group figures once at least min_n trainees answered a phase, else None.

    A phase answered by fewer than min_n trainees is left out (None), so that nobody's
    answers can be worked out from a mean.
    """
    n = respondents(cohort)
    shown = {phase: n[phase] >= min_n for phase in n}
    if not any(shown.values()):
        return None
    person_means = db.session.execute(
        select(SurveyResponse.phase, SurveyItem.subscale, func.avg(Answer.score))
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id, SurveyItem.in_subscale)
        .group_by(SurveyResponse.id, SurveyResponse.phase, SurveyItem.subscale)).all()
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for phase, subscale, value in person_means:
        scores[(phase, subscale)].append(float(value))
    version = current_version()
    subscales = []
    for subscale in version.subscales if version else []:
        means = {phase: round(mean(scores[(phase, subscale["id"])]), 2)
                 if shown[phase] and scores[(phase, subscale["id"])] else None
                 for phase in ("pre", "post")}
        subscales.append({"title": subscale.get(f"title_{lang}") or subscale["title_vi"],
                          **means})
    phase = "post" if shown["post"] else "pre"
    return {"n": n, "shown": shown, "subscales": subscales, "knowledge_phase": phase,
            "missed": most_missed(cohort, phase)}


def most_missed(cohort: Cohort, phase: str, limit: int = 3) -> list[dict]:
    """Knowledge items most often answered wrongly in a phase, with the share who missed them."""
    rows = db.session.execute(
        select(SurveyItem.key, func.count(Answer.id),
               func.sum(case((Answer.score == 0, 1), else_=0)))
        .join(Answer, Answer.item_id == SurveyItem.id)
        .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id, SurveyResponse.phase == phase,
               SurveyItem.kind == "knowledge")
        .group_by(SurveyItem.key)).all()
    answered = {key: int(count) for key, count, _wrong in rows}
    top = sorted(((key, int(wrong)) for key, _count, wrong in rows if wrong),
                 key=lambda pair: (-pair[1], pair[0]))[:limit]
    if not top:
        return []
    version = current_version()
    items = {i.key: i for i in (version.items if version else [])}
    return [{"key": key, "item": items.get(key), "missed": wrong, "answered": answered[key],
             "percent": round(100 * wrong / answered[key])} for key, wrong in top]
