"""Follow-up waves in the facilitator's counts (answered / expected), and in the disclosure
rules' list of quantities."""

import pytest
from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.cohorts.services import set_cohort_modules
from lms.extensions import db
from lms.privacy import disclosure


@pytest.fixture
def waved_cohort(make_cohort, make_user, auth, answer_survey):
    """Four trainees: three answered after the training, one of them the follow-up too."""
    facilitator = make_user("facilitator", language="en")
    cohort = make_cohort(facilitator=facilitator, trainees=4)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", cohort.end_date)
    cohort.set_gate("follow-1", True)
    db.session.commit()
    enrolments = list(
        db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id))
    )
    for enrolment in enrolments:
        answer_survey(enrolment, "pre")
    for enrolment in enrolments[:3]:
        answer_survey(enrolment, "post")
    answer_survey(enrolments[0], "follow-1")
    auth.login(facilitator)
    return cohort


def test_the_room_view_counts_the_follow_up_answered_of_expected(client, waved_cohort):
    state = client.get(f"/cohorts/{waved_cohort.id}/room/state").get_json()["counts"]
    assert (state["pre"], state["post"]) == (4, 3)
    assert (state["follow-1"], state["follow-1-expected"]) == (1, 3)
    assert "follow-2" not in state  # not scheduled
    page = client.get(f"/cohorts/{waved_cohort.id}/room").get_data(as_text=True)
    assert 'data-count="follow-1">1<' in page and 'data-count="follow-1-expected">3<' in page
    assert "answered the follow-up survey" in page


def test_the_completion_matrix_and_its_exports_show_the_follow_up(client, waved_cohort):
    page = client.get(f"/cohorts/{waved_cohort.id}/progress").get_data(as_text=True)
    assert '<th scope="col">Follow-up survey</th>' in page
    assert 'data-follow-up="follow-1">1 of 3<' in page
    csv = client.get(f"/cohorts/{waved_cohort.id}/progress.csv").data.decode("utf-8-sig")
    header, *rows = csv.strip().splitlines()
    assert "Follow-up survey" in header.split(",")
    column = header.split(",").index("Follow-up survey")
    assert sorted(row.split(",")[column] for row in rows).count("Done") == 1


def test_follow_up_waves_are_quantities_of_the_disclosure_rules(app):
    assert {"follow-1", "follow-2"} <= set(disclosure.QUANTITIES)
    ten = frozenset(range(1, 11))
    disclosure.record(ten, ("follow-1",), viewer_id=None)
    # Nine of the same ten people, about the same follow-up answers: one would be singled out.
    verdict = disclosure.check(frozenset(range(1, 10)), 5, quantities=("follow-1",))
    assert not verdict and verdict.reason == "overlap"
    # The same nine about the answers before the training: a different quantity.
    assert disclosure.check(frozenset(range(1, 10)), 5, quantities=("pre",))
    with pytest.raises(ValueError):
        disclosure.check(ten, 5, quantities=("follow-3",))
