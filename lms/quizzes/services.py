"""Answering the survey: which items, in which order, autosaved drafts, one safe submission."""

import random

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.i18n import current_language
from lms.models import utcnow
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, DraftAnswer, Phase, SurveyItem, SurveyResponse, SurveyVersion
from lms.signals import survey_submitted
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
    if enrolment.user is None:  # anonymous, no account: the items every audience answers
        return None
    return ORG_TYPE_AUDIENCE.get(enrolment.user.org_type)


def version_for(enrolment, phase: str) -> SurveyVersion | None:
    """The post-survey and follow-up waves repeat the version answered before, so every wave
    stays comparable."""
    if phase != "pre":
        pre = response_for(enrolment, "pre")
        if pre is not None:
            return db.session.get(SurveyVersion, pre.version_id)
    return current_version()


def practice_items(version: SurveyVersion, audience: str | None) -> list[SurveyItem]:
    """The practice questions of a follow-up wave for this audience, in the instrument's order:
    the answered version's, or the newest version's when it has none (a cohort that started
    before practice questions existed is still asked them; they are described per wave and
    never compared with earlier answers, so they need not repeat the version before)."""
    source = version if any(i.kind == "practice" for i in version.items) else current_version()
    return [
        i
        for i in (source.items if source else [])
        if i.kind == "practice" and i.audience in ("all", audience)
    ]


def items_for(enrolment, phase: str, version: SurveyVersion | None = None) -> list[SurveyItem]:
    """Items this trainee answers, shuffled per attempt (stable across reloads and devices):
    attitude statements, then each case with its statements, then policy, then (at follow-up
    waves only) practice since the training, then knowledge."""
    version = version or version_for(enrolment, phase)
    if version is None:
        return []
    audience = item_audience(enrolment)
    items = [i for i in version.items if i.audience in ("all", audience)]
    practice = practice_items(version, audience) if Phase(phase).is_follow_up else []
    shuffler = random.Random(f"{enrolment.id}:{phase}")  # noqa: S311 (order, not secrecy)
    likert = [i for i in items if i.kind == "likert" and not i.vignette]
    knowledge = [i for i in items if i.kind == "knowledge"]
    shuffler.shuffle(likert)
    shuffler.shuffle(knowledge)
    # Cases keep their order so that the same statements follow each story alike.
    cases = [i for i in items if i.kind == "likert" and i.vignette]
    policy = [i for i in items if i.kind == "policy"]
    shuffler.shuffle(policy)
    return likert + cases + policy + practice + knowledge


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
        result += [group[n : n + PAGE_SIZE] for n in range(0, len(group), PAGE_SIZE)]
    return result


def response_for(enrolment, phase: str) -> SurveyResponse | None:
    return db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.enrolment_id == enrolment.id, SurveyResponse.phase == phase
        )
    )


def draft_answers(enrolment, phase: str) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(DraftAnswer.item_id, DraftAnswer.value).where(
                DraftAnswer.enrolment_id == enrolment.id, DraftAnswer.phase == phase
            )
        ).all()
    )


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
    rows = [
        {"enrolment_id": enrolment.id, "phase": phase, "item_id": item_id, "value": value, "saved_at": now}
        for item_id, value in answers.items()
    ]
    statement = insert(DraftAnswer).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["enrolment_id", "phase", "item_id"],
        set_={"value": statement.excluded.value, "saved_at": statement.excluded.saved_at},
    )
    db.session.execute(statement)
    return len(rows)


def submit_survey(
    enrolment,
    phase: str,
    answers: dict[int, int] | None = None,
    *,
    source: str = "online",
    entered_by=None,
    version: SurveyVersion | None = None,
) -> SurveyResponse:
    """Store the whole survey once (no commit); a second submission raises AlreadySubmitted.

    `answers` (item id -> value) defaults to the autosaved draft. Drafts are removed in the
    same transaction that stores the response, so nothing is lost if anything fails. Whoever
    listens to `survey_submitted` (a certificate now earned) reacts in the same transaction.
    """
    if response_for(enrolment, phase) is not None:
        raise AlreadySubmitted()
    version = version or version_for(enrolment, phase)
    items = items_for(enrolment, phase, version)
    answers = draft_answers(enrolment, phase) if answers is None else answers
    missing = [i for i in items if valid_value(i, answers.get(i.id)) is None]
    if missing:
        raise MissingAnswers(missing)
    knowledge = [i for i in items if i.kind == "knowledge"]
    response = SurveyResponse(
        enrolment_id=enrolment.id,
        phase=phase,
        version_id=version.id,
        source=source,
        entered_by_id=getattr(entered_by, "id", None),
        knowledge_total=len(knowledge) or None,
        knowledge_correct=sum(i.score(answers[i.id]) for i in knowledge) if knowledge else None,
        answers=[Answer(item_id=i.id, value=answers[i.id], score=i.score(answers[i.id])) for i in items],
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()  # the unique (enrolment, phase) constraint decides here
    except IntegrityError:
        # Another request (a double click, a second tab) stored it first: that one counts.
        raise AlreadySubmitted() from None
    db.session.execute(
        delete(DraftAnswer).where(DraftAnswer.enrolment_id == enrolment.id, DraftAnswer.phase == phase)
    )
    survey_submitted.send(enrolment, phase=Phase(phase), response=response)
    return response


def subscale_profile(enrolment) -> list[dict]:
    """The trainee's own mean score per subscale, pre and post (higher = less stigma), over
    the same core items as the reports (SurveyItem.in_subscale)."""
    rows = db.session.execute(
        select(SurveyResponse.phase, SurveyItem.subscale, func.avg(Answer.score))
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(SurveyResponse.enrolment_id == enrolment.id, SurveyItem.in_subscale)
        .group_by(SurveyResponse.phase, SurveyItem.subscale)
    ).all()
    scores = {(phase, subscale): float(mean) for phase, subscale, mean in rows}
    pre = response_for(enrolment, "pre")
    version = db.session.get(SurveyVersion, pre.version_id) if pre else current_version()
    return [
        {
            "id": s["id"],
            "title": s.get(f"title_{current_language()}") or s["title_vi"],
            "description": s.get(f"description_{current_language()}") or s["description_vi"],
            "pre": scores.get(("pre", s["id"])),
            "post": scores.get(("post", s["id"])),
        }
        for s in (version.subscales if version else [])
    ]


def knowledge_review(response: SurveyResponse) -> list[tuple[SurveyItem, int]]:
    """Each knowledge item with what the trainee chose, in the instrument's order."""
    rows = db.session.execute(
        select(SurveyItem, Answer.value)
        .join(Answer, Answer.item_id == SurveyItem.id)
        .where(Answer.response_id == response.id, SurveyItem.kind == "knowledge")
        .order_by(SurveyItem.position)
    ).all()
    return [(item, value) for item, value in rows]
