"""Factories for certificate tests: finished modules, answered surveys, a certified trainee."""

import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.modules.services import mark_complete


@pytest.fixture
def cohort(make_cohort):
    return make_cohort(trainees=3)


@pytest.fixture
def enrolments(cohort):
    return list(
        db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id))
    )


@pytest.fixture
def complete_modules():
    """complete_modules(enrolment, leave_last=False) -> the lesson left open, if any."""

    def complete(enrolment, leave_last: bool = False):
        lessons = [
            lesson
            for cm in enrolment.cohort.modules
            if cm.required and not cm.module.archived
            for lesson in cm.module.lessons
            if lesson.required
        ]
        last = lessons[-1] if leave_last else None
        for lesson in lessons:
            if lesson is not last:
                mark_complete(enrolment.user, lesson)
        db.session.commit()
        return last

    return complete


@pytest.fixture
def certify(answer_survey, complete_modules):
    """certify(enrolment, correct=True): pre-survey, every module, post-survey -> Certificate."""
    from lms.certificates.services import current_certificate

    def run(enrolment, correct: bool = True):
        answer_survey(enrolment, "pre")
        complete_modules(enrolment)
        answer_survey(enrolment, "post", knowledge=correct)
        return current_certificate(enrolment)

    return run
