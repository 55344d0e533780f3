"""Cohorts: who may manage which, creating them, and enrolling trainees."""

import secrets

from flask import abort
from sqlalchemy import select

from lms.cohorts.models import Cohort, CohortFacilitator, CohortModule, Enrolment
from lms.extensions import db
from lms.modules.services import active_modules
from lms.permissions import Permission

# Join codes are typed on phones and read aloud in a room: no 0/O, 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def unique_join_code() -> str:
    while True:
        code = new_code(6)
        if db.session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is None:
            return code


def can_manage_cohort(user, cohort: Cohort) -> bool:
    """Programme staff manage every cohort; a facilitator only the cohorts they facilitate."""
    if user.can(Permission.MANAGE_ALL_COHORTS):
        return True
    return user.can(Permission.RUN_COHORTS) and any(f.id == user.id for f in cohort.facilitators)


def managed_cohort_or_404(user, cohort_id: int) -> Cohort:
    """The cohort, or 404 for one the user does not manage (its existence is not revealed)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_manage_cohort(user, cohort):
        abort(404)
    return cohort


def cohorts_for_facilitator(user) -> list[Cohort]:
    query = select(Cohort).where(Cohort.historical.is_(False)).order_by(Cohort.start_date.desc())
    if not user.can(Permission.MANAGE_ALL_COHORTS):
        query = query.join(CohortFacilitator).where(CohortFacilitator.user_id == user.id)
    return list(db.session.scalars(query))


def default_cohort_modules(audience: str) -> list[CohortModule]:
    """A new cohort uses the common modules plus its track's (all tracks for a mixed cohort)."""
    result = []
    for position, module in enumerate(active_modules(), start=1):
        audiences = module.audience_list
        if "all" in audiences or audience == "mixed" or audience in audiences:
            result.append(CohortModule(module=module, position=position,
                                       required=audience == "mixed" and "all" in audiences
                                       or audience != "mixed"))
    return result


def create_cohort(creator, *, facilitators=None, modules=None, **fields) -> Cohort:
    """Add a cohort with a fresh join code; the creator facilitates it unless others are named."""
    cohort = Cohort(join_code=unique_join_code(), created_by_id=creator.id, **fields)
    cohort.facilitators = list(facilitators or [creator])
    cohort.modules = modules if modules is not None else default_cohort_modules(cohort.audience)
    db.session.add(cohort)
    return cohort


def unique_trainee_code(cohort: Cohort) -> str:
    taken = set(db.session.scalars(select(Enrolment.trainee_code)
                                   .where(Enrolment.cohort_id == cohort.id)))
    while True:
        code = new_code(4)
        if code not in taken:
            return code


def enrol(cohort: Cohort, user) -> Enrolment:
    """Enrol a user (idempotent: enrolling twice returns the existing enrolment)."""
    existing = db.session.scalar(select(Enrolment).where(
        Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id))
    if existing is not None:
        return existing
    enrolment = Enrolment(cohort=cohort, user=user, trainee_code=unique_trainee_code(cohort))
    db.session.add(enrolment)
    return enrolment


def active_enrolments(user) -> list[Enrolment]:
    """The trainee's enrolments in cohorts that are not closed, newest first."""
    if not getattr(user, "id", None):
        return []
    return list(db.session.scalars(
        select(Enrolment).join(Cohort).where(Enrolment.user_id == user.id,
                                             Cohort.status != "closed",
                                             Cohort.historical.is_(False))
        .order_by(Enrolment.joined_at.desc())))
