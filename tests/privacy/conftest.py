"""Attack fixtures: cohorts with one trainee whose answers stand out from everyone else's."""

import pytest

from lms.extensions import db
from tests.reports.conftest import bulk_surveys  # noqa: F401  (fixtures)


@pytest.fixture
def trainees(make_user, answer_survey):  # noqa: F811
    """trainees(cohort, n, pre=4, post=5, org_type="police", phases=("pre", "post"),
    knowledge=True) -> enrolments of n new trainees who answered every Likert item with the
    keyed score `pre` before and `post` after (and every knowledge item right or wrong)."""
    from lms.cohorts.services import enrol

    def make(cohort, n, pre=4, post=5, org_type="police", phases=("pre", "post"), knowledge=True):
        people = []
        for _ in range(n):
            enrolment = enrol(cohort, make_user("trainee", org_type=org_type))
            db.session.commit()
            for phase in phases:
                score = pre if phase == "pre" else post
                answer_survey(
                    enrolment, phase, lambda item, s=score: s, knowledge=lambda item, k=knowledge: k
                )
            people.append(enrolment)
        return people

    return make


@pytest.fixture
def staff(auth, make_user, client):
    auth.login(make_user("staff", language="en"))
    return client
