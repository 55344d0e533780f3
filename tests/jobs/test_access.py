"""Attacks on someone else's job, replayed through HTTP: its page, its state and its file are
"not found" for anyone but its owner and admins."""

import uuid

import pytest

from tests.jobs.conftest import job_url


@pytest.fixture
def zip_job(client, auth, certified, facilitator):
    auth.login(facilitator)
    url = job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    auth.logout()
    return url


def _paths(url):
    return [url, f"{url}.json", f"{url}/download"]


@pytest.mark.parametrize("role", ["trainee", "facilitator", "staff"])
def test_nobody_else_sees_a_job_or_its_file(client, auth, make_user, zip_job, role):
    auth.login(make_user(role))
    for path in _paths(zip_job):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"PK" not in response.data[:2]


def test_a_trainee_of_the_cohort_cannot_fetch_the_cohorts_zip(client, auth, zip_job, enrolments):
    auth.login(enrolments[0].user)
    for path in _paths(zip_job):
        assert client.get(path).status_code == 404, path


def test_signed_out_visitors_are_sent_to_sign_in(client, zip_job):
    for path in _paths(zip_job):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path


def test_guessed_addresses_are_not_found(client, auth, facilitator, zip_job):
    auth.login(facilitator)
    for guess in (
        uuid.uuid4().hex,
        "1",
        "../1",
        "%00",
        zip_job.rsplit("/", 1)[1][:31],
        zip_job.rsplit("/", 1)[1] + "0",
    ):
        assert client.get(f"/jobs/{guess}").status_code == 404, guess
        assert client.get(f"/jobs/{guess}/download").status_code == 404, guess


def test_the_owner_and_admins_see_it(client, auth, make_user, facilitator, zip_job):
    auth.login(facilitator)
    for path in _paths(zip_job):
        assert client.get(path).status_code == 200, path
    auth.logout()
    auth.login(make_user("admin"))
    for path in _paths(zip_job):
        assert client.get(path).status_code == 200, path
