"""The report's scope (filters) and its SQL: every figure starts as a GROUP BY in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, CohortFacilitator, Enrolment
from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse


@dataclass(frozen=True)
class Filters:
    """What a report covers; empty values mean "all"."""

    cohort_ids: tuple[int, ...] = ()
    audience: str | None = None  # the cohort's audience
    org_type: str | None = None  # the trainee's organisation type
    province: str | None = None  # the cohort's province
    facilitator_id: int | None = None
    date_from: date | None = None  # cohorts starting on or after
    date_to: date | None = None  # cohorts starting on or before
    version_id: int | None = None
    sources: tuple[str, ...] = ()  # online | paper | imported
    period: str = "month"  # trend periods: month | quarter


def _undone_placeholders():
    """Placeholder trainees of undone imports who have no other survey left.

    Undoing an import archives its surveys (SurveyResponse.archived); the trainee rows it
    created stay, so that the undo is reversible, but are nobody in a report. Not correlated:
    the database works the set out once, not once per trainee."""
    return (
        select(SurveyResponse.enrolment_id)
        .where(SurveyResponse.archived)
        .except_(select(SurveyResponse.enrolment_id).where(~SurveyResponse.archived))
    )


def enrolment_conditions(f: Filters) -> list:
    """Conditions on Enrolment, Cohort and User (the query must join all three)."""
    conditions = [Enrolment.id.not_in(_undone_placeholders())]
    if f.cohort_ids:
        conditions.append(Cohort.id.in_(f.cohort_ids))
    if f.audience:
        conditions.append(Cohort.audience == f.audience)
    if f.org_type:
        conditions.append(User.org_type == f.org_type)
    if f.province:
        conditions.append(Cohort.province == f.province)
    if f.facilitator_id is not None:
        conditions.append(
            Cohort.id.in_(
                select(CohortFacilitator.cohort_id).where(CohortFacilitator.user_id == f.facilitator_id)
            )
        )
    if f.date_from:
        conditions.append(Cohort.start_date >= f.date_from)
    if f.date_to:
        conditions.append(Cohort.start_date <= f.date_to)
    return conditions


def response_conditions(f: Filters, response=SurveyResponse) -> list:
    conditions = [~response.archived]
    if f.version_id is not None:
        conditions.append(response.version_id == f.version_id)
    if f.sources:
        conditions.append(response.source.in_(f.sources))
    return conditions


def _rows(statement) -> list:
    # Core rows straight from the connection: the ORM layer adds nothing for plain columns.
    return db.session.connection().execute(statement).all()


def _in_scope(statement, f: Filters):
    """Join a statement over SurveyResponse to its enrolment, cohort and trainee; filter.
    Anonymous respondents have no account (no trainee row), and count all the same."""
    return (
        statement.join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(User, User.id == Enrolment.user_id)
        .where(*enrolment_conditions(f), *response_conditions(f))
    )


def scope_response_ids(f: Filters):
    return _in_scope(select(SurveyResponse.id), f)


def respondent_phases(f: Filters) -> list:
    """(enrolment, phase, cohort) of every response in scope: who the figures describe."""
    return _rows(_in_scope(select(SurveyResponse.enrolment_id, SurveyResponse.phase, Enrolment.cohort_id), f))


def matched_response_ids(f: Filters):
    """Responses of trainees with both surveys in scope (one per phase, by constraint)."""
    matched = (
        _in_scope(select(SurveyResponse.enrolment_id), f)
        .group_by(SurveyResponse.enrolment_id)
        .having(func.count() == 2)
    )
    return scope_response_ids(f).where(SurveyResponse.enrolment_id.in_(matched))


def _scope(f: Filters, matched_only: bool = False):
    """The responses in scope as a subquery (id, enrolment_id, phase) to join answers to:
    the database then hashes a few thousand responses instead of looking each answer up."""
    statement = _in_scope(select(SurveyResponse.id, SurveyResponse.enrolment_id, SurveyResponse.phase), f)
    if matched_only:
        statement = statement.where(SurveyResponse.id.in_(matched_response_ids(f)))
    return statement.subquery()


def prepare_session() -> None:
    """Give PostgreSQL room to group a few hundred thousand answers in memory (this
    transaction only); the default 4 MB makes the report sort on disk."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def overview_by_cohort(f: Filters) -> list:
    """Per cohort: enrolled, pre done, post done, both (matched), certificates."""
    pre, post = aliased(SurveyResponse), aliased(SurveyResponse)
    both = case((and_(pre.id.is_not(None), post.id.is_not(None)), 1))
    statement = (
        select(
            Cohort.id,
            Cohort.name,
            Cohort.audience,
            Cohort.province,
            Cohort.start_date,
            Cohort.historical,
            func.count(Enrolment.id).label("enrolled"),
            func.count(pre.id).label("pre_done"),
            func.count(post.id).label("post_done"),
            func.count(both).label("matched"),
            func.count(Certificate.id).label("certificates"),
        )
        .select_from(Enrolment)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(User, User.id == Enrolment.user_id)
        .outerjoin(
            pre, and_(pre.enrolment_id == Enrolment.id, pre.phase == "pre", *response_conditions(f, pre))
        )
        .outerjoin(
            post, and_(post.enrolment_id == Enrolment.id, post.phase == "post", *response_conditions(f, post))
        )
        .outerjoin(
            Certificate, and_(Certificate.enrolment_id == Enrolment.id, Certificate.revoked_at.is_(None))
        )
        # An anonymous respondent without an account counts once it has a survey here.
        .where(
            *enrolment_conditions(f),
            or_(Enrolment.user_id.is_not(None), pre.id.is_not(None), post.id.is_not(None)),
        )
        .group_by(
            Cohort.id, Cohort.name, Cohort.audience, Cohort.province, Cohort.start_date, Cohort.historical
        )
        .order_by(Cohort.start_date, Cohort.name, Cohort.id)
    )
    return db.session.execute(statement).all()


def responses(f: Filters) -> list:
    """One row per response in scope: who, which phase, when, the knowledge score, audience."""
    statement = _in_scope(
        select(
            SurveyResponse.id,
            SurveyResponse.enrolment_id,
            SurveyResponse.phase,
            SurveyResponse.submitted_at,
            SurveyResponse.knowledge_correct,
            SurveyResponse.knowledge_total,
            Cohort.audience,
        ),
        f,
    )
    return db.session.execute(statement).all()


def respondent_scores(f: Filters) -> list:
    """Per trainee and score bucket (a core subscale, or "@<audience>" for the items of one
    audience): sum and count of keyed Likert scores before and after."""
    scope = _scope(f)
    bucket = SurveyItem.score_bucket  # one rule for the profile, the room view and reports
    pre, post = scope.c.phase == "pre", scope.c.phase == "post"
    statement = (
        select(
            scope.c.enrolment_id,
            bucket,
            func.coalesce(func.sum(case((pre, Answer.score))), 0),
            func.count(case((pre, 1))),
            func.coalesce(func.sum(case((post, Answer.score))), 0),
            func.count(case((post, 1))),
        )
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(bucket.is_not(None))
        .group_by(scope.c.enrolment_id, bucket)
    )
    return _rows(statement)


def item_pairs(f: Filters) -> list:
    """Joint distribution of (pre score, post score) per item key over matched trainees."""
    # One pass over the answers, pairing by (trainee, item) with conditional aggregates: a
    # self-join of the answer table reads it in random order and is many times slower.
    # The survey after repeats the version answered before, so item ids pair up.
    scope = _scope(f, matched_only=True)
    paired = (
        select(
            scope.c.enrolment_id,
            Answer.item_id,
            func.max(case((scope.c.phase == "pre", Answer.score))).label("pre"),
            func.max(case((scope.c.phase == "post", Answer.score))).label("post"),
        )
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .group_by(scope.c.enrolment_id, Answer.item_id)
    ).subquery()
    statement = (
        select(SurveyItem.key, paired.c.pre, paired.c.post, func.count())
        .join(SurveyItem, SurveyItem.id == paired.c.item_id)
        .where(paired.c.pre.is_not(None), paired.c.post.is_not(None))
        .group_by(SurveyItem.key, paired.c.pre, paired.c.post)
    )
    return _rows(statement)


def alpha_moments(f: Filters) -> list:
    """Per phase, core subscale and item: n, sum and sum of squares of scores over matched
    trainees, split by how many of the subscale's items each trainee answered (k), so that
    Cronbach's alpha can use complete answers only."""
    scope = _scope(f, matched_only=True)
    core = SurveyItem.in_subscale
    answered = (
        select(Answer.response_id, SurveyItem.subscale, func.count().label("k"))
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(core)
        .group_by(Answer.response_id, SurveyItem.subscale)
    ).subquery()
    statement = (
        select(
            scope.c.phase,
            SurveyItem.subscale,
            SurveyItem.key,
            answered.c.k,
            func.count(),
            func.sum(Answer.score),
            func.sum(Answer.score * Answer.score),
        )
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .join(
            answered,
            and_(answered.c.response_id == Answer.response_id, answered.c.subscale == SurveyItem.subscale),
        )
        .where(core)
        .group_by(scope.c.phase, SurveyItem.subscale, SurveyItem.key, answered.c.k)
    )
    return _rows(statement)
