"""Fixtures for the cohort tests: survey answering helpers, English pages."""

import pytest

from lms.extensions import db


@pytest.fixture
def enrolments():
    """enrolments(cohort) -> the cohort's enrolments, by id."""
    from sqlalchemy import select

    from lms.cohorts.models import Enrolment

    def find(cohort):
        return list(
            db.session.scalars(
                select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)
            )
        )

    return find


@pytest.fixture(autouse=True)
def english(client):
    """Anonymous pages in English, so assertions on messages read naturally."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def make_cohort(make_cohort, make_user):
    """As the shared factory, but the facilitator reads the site in English."""

    def make(facilitator=None, trainees=0, **fields):
        return make_cohort(facilitator or make_user("facilitator", language="en"), trainees, **fields)

    return make
