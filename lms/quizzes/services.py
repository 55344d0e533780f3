"""Answering the survey: which items, in which order, autosaved drafts, one safe submission."""

import random
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.models import utcnow
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, DraftAnswer, SurveyItem, SurveyResponse, SurveyVersion
from lms.vocab import ORG_TYPE_AUDIENCE

PAGE_SIZE = 8


class SurveyError(Exception):
    """A submission that cannot be taken; the message is translated for the trainee."""


class MissingAnswers(SurveyError):
    def __init__(self, items: list[SurveyItem]):
        super().__init__(_l("Some questions have no answer yet."))
        self.items = items


class AlreadySubmitted(SurveyError):
    def __init__(self):
        super().__init__(_l("This survey has already been submitted. Thank you!"))


def item_audience(enrolment) -> str | None:
    """Audience-specific items follow the cohort's track, or the trainee's own in a mixed one."""
    if enrolment.cohort.audience != "mixed":
        return enrolment.cohort.audience
    return ORG_TYPE_AUDIENCE.get(enrolment.user.org_type)


def version_for(enrolment, phase: str) -> SurveyVersion | None:
    """The post-survey repeats the version answered before, so pre and post stay comparable."""
    if phase == "post":
        pre = response_for(enrolment, "pre")
        if pre is not None:
            return db.session.get(SurveyVersion, pre.version_id)
    return current_version()


def items_for(enrolment, phase: str, version: SurveyVersion | None = None) -> list[SurveyItem]:
    """Items this trainee answers, shuffled per attempt (stable across reloads and devices):
    attitude statements, then each case with its statements, then policy, then knowledge."""
    version = version or version_for(enrolment, phase)
    if version is None:
        return []
    audience = item_audience(enrolment)
    items = [i for i in version.items if i.audience in ("all", audience)]
    shuffler = random.Random(f"{enrolment.id}:{phase}")  # noqa: S311 (order, not secrecy)
    likert = [i for i in items if i.kind == "likert" and not i.vignette]
    knowledge = [i for i in items if i.kind == "knowledge"]
    shuffler.shuffle(likert)
    shuffler.shuffle(knowledge)
    # Cases keep their order so that the same statements follow each story alike.
    cases = [i for i in items if i.kind == "likert" and i.vignette]
    policy = [i for i in items if i.kind == "policy"]
    shuffler.shuffle(policy)
    return likert + cases + policy + knowledge


def page_group(item: SurveyItem) -> str:
    """Items of different groups never share a page: a case's statements stay under it."""
    return f"case:{item.vignette}" if item.vignette else item.kind


def pages(items: list[SurveyItem]) -> list[list[SurveyItem]]:
    """Attitude items, each case, policy items and knowledge items never share a page."""
    groups: dict[str, list[SurveyItem]] = {}
    for item in items:
        groups.setdefault(page_group(item), []).append(item)
    result = []
    for group in groups.values():
        result += [group[n:n + PAGE_SIZE] for n in range(0, len(group), PAGE_SIZE)]
    return result


def response_for(enrolment, phase: str) -> SurveyResponse | None:
    return db.session.scalar(select(SurveyResponse).where(
        SurveyResponse.enrolment_id == enrolment.id, SurveyResponse.phase == phase))


def draft_answers(enrolment, phase: str) -> dict[int, int]:
    return dict(db.session.execute(select(DraftAnswer.item_id, DraftAnswer.value).where(
        DraftAnswer.enrolment_id == enrolment.id, DraftAnswer.phase == phase)).all())


def valid_value(item: SurveyItem, value) -> int | None:
    """The answer as an int when it is one the item accepts, else None."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value in item.allowed_values() else None


def save_draft(enrolment, phase: str, answers: dict[int, int]) -> int:
    """Upsert answers one row per item, so concurrent saves from two tabs never collide."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    if not answers:
        return 0
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [{"enrolment_id": enrolment.id, "phase": phase, "item_id": item_id, "value": value,
             "saved_at": now} for item_id, value in answers.items()]
    statement = insert(DraftAnswer).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["enrolment_id", "phase", "item_id"],
        set_={"value": statement.excluded.value, "saved_at": statement.excluded.saved_at})
    db.session.execute(statement)
    return len(rows)


def submit_survey(enrolment, phase: str, answers: dict[int, int] | None = None, *,
                  source: str = "online", entered_by=None) -> SurveyResponse:
    """Store the whole survey once and commit; a second submission raises AlreadySubmitted.

    `answers` (item id -> value) defaults to the autosaved draft. Drafts are removed only in
    the same transaction that stores the response, so nothing is lost if anything fails.
    """
    if response_for(enrolment, phase) is not None:
        raise AlreadySubmitted()
    version = version_for(enrolment, phase)
    items = items_for(enrolment, phase, version)
    answers = draft_answers(enrolment, phase) if answers is None else answers
    missing = [i for i in items if valid_value(i, answers.get(i.id)) is None]
    if missing:
        raise MissingAnswers(missing)
    knowledge = [i for i in items if i.kind == "knowledge"]
    response = SurveyResponse(
        enrolment_id=enrolment.id, phase=phase, version_id=version.id, source=source,
        entered_by_id=getattr(entered_by, "id", None),
        knowledge_total=len(knowledge) or None,
        knowledge_correct=sum(i.score(answers[i.id]) for i in knowledge) if knowledge else None,
        answers=[Answer(item_id=i.id, value=answers[i.id], score=i.score(answers[i.id]))
                 for i in items])
    try:
        db.session.add(response)
        db.session.flush()  # the unique (enrolment, phase) constraint decides here
        db.session.execute(delete(DraftAnswer).where(
            DraftAnswer.enrolment_id == enrolment.id, DraftAnswer.phase == phase))
        db.session.commit()
    except IntegrityError:
        # Another request (a double click, a second tab) stored it first: that one counts.
        db.session.rollback()
        raise AlreadySubmitted() from None
    from lms.certificates.services import issue_after_survey

    issue_after_survey(enrolment)  # commits on its own and never raises: the survey is stored
    return response


def pre_survey_pending(enrolment) -> bool:
    """Modules wait for the pre-survey unless it was waived or there is no instrument."""
    if enrolment.pre_survey_waived or enrolment.cohort.historical:
        return False
    return current_version() is not None and response_for(enrolment, "pre") is None


def required_modules_complete(enrolment) -> bool:
    """Every required lesson of the cohort's required modules is completed (one query: this
    runs on every survey page and autosave)."""
    from lms.cohorts.models import CohortModule
    from lms.modules.models import Lesson, LessonProgress, Module

    completed = and_(LessonProgress.lesson_id == Lesson.id,
                     LessonProgress.user_id == enrolment.user_id,
                     LessonProgress.completed_at.is_not(None))
    lessons_left = db.session.scalar(
        select(func.count(Lesson.id))
        .join(Module, Module.id == Lesson.module_id)
        .join(CohortModule, CohortModule.module_id == Module.id)
        .outerjoin(LessonProgress, completed)
        .where(CohortModule.cohort_id == enrolment.cohort_id, CohortModule.required.is_(True),
               Module.archived.is_(False), Lesson.archived.is_(False), Lesson.required.is_(True),
               LessonProgress.id.is_(None)))
    return lessons_left == 0


@dataclass
class SurveyStatus:
    pre: str  # done | waived | open | waiting (facilitator has not opened it)
    post: str  # done | open | locked (modules to finish) | waiting

    @property
    def next_phase(self) -> str | None:
        if self.pre == "open":
            return "pre"
        if self.post == "open":
            return "post"
        return None


def survey_status(enrolment) -> SurveyStatus:
    cohort = enrolment.cohort
    facilitator_paced = cohort.pacing == "facilitator"
    if response_for(enrolment, "pre") is not None:
        pre = "done"
    elif enrolment.pre_survey_waived:
        pre = "waived"
    elif facilitator_paced and not cohort.pre_survey_open:
        pre = "waiting"
    else:
        pre = "open"
    if response_for(enrolment, "post") is not None:
        post = "done"
    elif not required_modules_complete(enrolment):
        post = "locked"
    elif facilitator_paced and not cohort.post_survey_open:
        post = "waiting"
    else:
        post = "open"
    return SurveyStatus(pre, post)


def phase_open(enrolment, phase: str) -> bool:
    status = survey_status(enrolment)
    return getattr(status, phase) == "open"


def subscale_profile(enrolment) -> list[dict]:
    """The trainee's own mean score per subscale, pre and post (higher = less stigma), over
    the same core items as the reports (SurveyItem.in_subscale)."""
    rows = db.session.execute(
        select(SurveyResponse.phase, SurveyItem.subscale, func.avg(Answer.score))
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(SurveyResponse.enrolment_id == enrolment.id, SurveyItem.in_subscale)
        .group_by(SurveyResponse.phase, SurveyItem.subscale)).all()
    scores = {(phase, subscale): float(mean) for phase, subscale, mean in rows}
    pre = response_for(enrolment, "pre")
    version = db.session.get(SurveyVersion, pre.version_id) if pre else current_version()
    return [{"id": s["id"], "title": s.get(f"title_{_lang()}") or s["title_vi"],
             "description": s.get(f"description_{_lang()}") or s["description_vi"],
             "pre": scores.get(("pre", s["id"])), "post": scores.get(("post", s["id"]))}
            for s in (version.subscales if version else [])]


def knowledge_review(response: SurveyResponse) -> list[tuple[SurveyItem, int]]:
    """Each knowledge item with what the trainee chose, in the instrument's order."""
    rows = db.session.execute(
        select(SurveyItem, Answer.value).join(Answer, Answer.item_id == SurveyItem.id)
        .where(Answer.response_id == response.id, SurveyItem.kind == "knowledge")
        .order_by(SurveyItem.position)).all()
    return [(item, value) for item, value in rows]


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")
