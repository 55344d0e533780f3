"""Every page that shows a trainee's journey tells the same story, whatever the combination.

For each combination of pacing, the kind of module, an archived lesson, a waived pre-survey,
surveys typed from paper and a historical cohort, the trainee's home page, lesson access, the
survey page, the room view, the completion matrix (CSV) and the certificates page agree with
one another and with the expected outcome written in the table below.
"""

import csv
import io
import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select

from lms.certificates.models import Certificate
from lms.cohorts.paper import allowed_answers
from lms.cohorts.services import enrol, set_cohort_modules
from lms.extensions import db
from lms.modules.models import Module
from lms.progress.journey import journey
from lms.progress.matrix import completion_matrix
from lms.progress.states import CertificateState, Completion, ModuleAccess, PhaseState
from lms.quizzes.models import SurveyItem, SurveyVersion
from lms.quizzes.services import items_for
from tests.conftest import PASSWORD
from tests.reports.helpers import html_table

MODULE = "police-public-health"  # three required lessons and an optional one


@dataclass(frozen=True)
class Case:
    pacing: str  # self | facilitator
    module: str  # required | optional (not required by the cohort) | all_optional (lessons)
    archived_lesson: bool  # the first required lesson was archived after the cohort began
    waived: bool  # the facilitator waived the pre-survey
    paper: bool  # surveys typed in from paper by the facilitator

    @property
    def module_completed(self) -> bool:
        # The trainee completes every live required lesson and nothing else: an all-optional
        # module is only completed once one of its lessons is.
        return self.module != "all_optional"

    @property
    def post_before_opening(self) -> PhaseState:
        if self.module == "all_optional":  # required by the cohort, and not completed
            return PhaseState.LOCKED
        return PhaseState.WAITING if self.pacing == "facilitator" else PhaseState.OPEN

    @property
    def eligible_after_post(self) -> bool:
        return self.post_before_opening != PhaseState.LOCKED


CASES = [
    Case(*values)
    for values in itertools.product(
        ("self", "facilitator"),
        ("required", "optional", "all_optional"),
        (False, True),
        (False, True),
        (False, True),
    )
]


def _csv_row(client, cohort, username) -> dict:
    text = client.get(f"/cohorts/{cohort.id}/progress.csv?lang=en").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    return next(r for r in rows if r["Login name"] == username)


def _paper(client, cohort, enrolment, phase):
    form = {}
    for item in items_for(enrolment, phase):
        allowed = allowed_answers(item)
        form[f"cell-{enrolment.id}-{item.key}"] = "4" if "4" in allowed else allowed[0]
    assert client.post(f"/cohorts/{cohort.id}/paper/{phase}", data=form).status_code == 302


@pytest.fixture
def facilitator_client(app, make_user):
    facilitator = make_user("facilitator", language="en")
    client = app.test_client()
    client.post("/login", data={"username": facilitator.username, "password": PASSWORD})
    return facilitator, client


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=lambda c: "-".join(
        [
            c.pacing,
            c.module,
            "archived" if c.archived_lesson else "live",
            "waived" if c.waived else "answered",
            "paper" if c.paper else "online",
        ]
    ),
)
def test_every_view_agrees(case, client, auth, make_user, make_cohort, facilitator_client, answer_survey):
    facilitator, staff = facilitator_client
    module = db.session.scalar(select(Module).where(Module.key == MODULE))
    cohort = make_cohort(facilitator=facilitator, audience="police", pacing=case.pacing)
    set_cohort_modules(cohort, [module.id], [] if case.module == "optional" else [module.id])
    lessons = list(module.lessons)
    if case.module == "all_optional":
        for lesson in lessons:
            lesson.required = False
    if case.archived_lesson:
        lessons[0].archived = True
        lessons = lessons[1:]
    trainee = make_user("trainee", org_type="police", language="en")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    auth.login(trainee)

    def post(path, **data):
        return staff.post(f"/cohorts/{cohort.id}/{path}", data=data)

    if case.pacing == "facilitator":
        post("pacing", action="open-pre")
        post("pacing", action="unlock", module_id=module.id)
    if case.waived:
        post(f"enrolments/{enrolment.id}/waive", waived="1")
    elif case.paper:
        _paper(staff, cohort, enrolment, "pre")
    else:
        answer_survey(enrolment, "pre")
    for lesson in lessons:
        if lesson.required:
            assert client.post(f"/lessons/{lesson.key}/complete").status_code == 302

    # Before the survey after the training: the journey, then every page.
    db.session.expire_all()
    state = journey(enrolment)
    step = state.modules[0]
    assert step.access == ModuleAccess.OPEN
    assert (step.completion == Completion.COMPLETED) == case.module_completed
    assert state.phase("post").state == case.post_before_opening
    assert state.phase("pre").state == (PhaseState.WAIVED if case.waived else PhaseState.DONE)

    home = client.get("/").get_data(as_text=True)
    assert ("Opens when you finish the required modules" in home) == (
        case.post_before_opening == PhaseState.LOCKED
    )
    assert (home.count(">Completed<") == 1) == case.module_completed
    survey = client.get(f"/surveys/{enrolment.id}/post")
    assert (survey.status_code == 200 and 'name="action"' in survey.get_data(as_text=True)) == (
        case.post_before_opening == PhaseState.OPEN
    )
    counts = staff.get(f"/cohorts/{cohort.id}/room/state").get_json()["counts"]
    assert counts[f"completed-{MODULE}"] == int(case.module_completed)
    assert counts["pre"] == int(not case.waived)
    row = _csv_row(staff, cohort, trainee.username)
    assert row[module.title_en] == step.completion.label
    assert row["Survey after the training"] == case.post_before_opening.label
    assert client.get(f"/lessons/{lessons[-1].key}").status_code == 200  # open: it was unlocked

    # The survey after the training, then the certificate rule everywhere.
    if case.pacing == "facilitator":
        post("pacing", action="open-post")
    if case.post_before_opening != PhaseState.LOCKED:
        if case.paper:
            _paper(staff, cohort, enrolment, "post")
        else:
            answer_survey(enrolment, "post")
    db.session.expire_all()
    state = journey(enrolment)
    expected = CertificateState.ISSUED if case.eligible_after_post else CertificateState.NOT_ELIGIBLE
    assert state.certificate == expected
    assert _csv_row(staff, cohort, trainee.username)["Certificate of completion"] == expected.label
    page = staff.get(f"/cohorts/{cohort.id}/certificates?lang=en").get_data(as_text=True)
    assert ("Issued: 1" in page) == case.eligible_after_post
    assert ("Not yet eligible: 1" in page) == (not case.eligible_after_post)
    mine = client.get("/certificates").get_data(as_text=True)
    assert ("Some required modules are not complete yet." in mine) == (not case.eligible_after_post)


def test_a_historical_cohort_has_no_journey_to_take(
    make_user, make_cohort, answer_survey, client, auth, facilitator_client
):
    """Imported answers only: the phase nobody answered is "not done" on every view, never
    locked or open, and no certificate is due."""
    facilitator, staff = facilitator_client
    module = db.session.scalar(select(Module).where(Module.key == MODULE))
    cohort = make_cohort(facilitator=facilitator, audience="police", historical=True, status="closed")
    set_cohort_modules(cohort, [module.id], [module.id])
    trainee = make_user("trainee", org_type="police", language="en")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    answer_survey(enrolment, "pre", source="imported")
    state = journey(enrolment)
    assert state.phase("pre").state == PhaseState.DONE
    assert state.phase("post").state == PhaseState.NOT_DONE
    assert state.certificate == CertificateState.NOT_ELIGIBLE
    row = _csv_row(staff, cohort, trainee.username)
    assert row["Survey before the training"] == PhaseState.DONE.label
    assert row["Survey after the training"] == PhaseState.NOT_DONE.label
    assert row["Certificate of completion"] == CertificateState.NOT_ELIGIBLE.label
    counts = staff.get(f"/cohorts/{cohort.id}/room/state").get_json()["counts"]
    assert (counts["pre"], counts["post"]) == (1, 0)
    page = staff.get(f"/cohorts/{cohort.id}/certificates?lang=en").get_data(as_text=True)
    assert "Not yet eligible: 1" in page and "Issued: 1" not in page
    auth.login(trainee)
    assert cohort.name not in client.get("/").get_data(as_text=True)
    assert client.get(f"/surveys/{enrolment.id}/post").status_code == 200
    assert 'name="action"' not in client.get(f"/surveys/{enrolment.id}/post").get_data(as_text=True)


@pytest.mark.parametrize("lock", [ModuleAccess.NEEDS_PRE_SURVEY, ModuleAccess.LOCKED])
def test_a_locked_module_is_locked_on_every_view(
    lock, make_user, make_cohort, client, auth, facilitator_client, answer_survey
):
    """Self-paced before the pre-survey, or facilitator-paced before the facilitator unlocks the
    module: the lesson is refused, completing it stores nothing, and the matrix agrees."""
    facilitator, staff = facilitator_client
    module = db.session.scalar(select(Module).where(Module.key == MODULE))
    pacing = "self" if lock == ModuleAccess.NEEDS_PRE_SURVEY else "facilitator"
    cohort = make_cohort(facilitator=facilitator, audience="police", pacing=pacing)
    set_cohort_modules(cohort, [module.id], [module.id])
    trainee = make_user("trainee", org_type="police", language="en")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    if lock == ModuleAccess.LOCKED:
        staff.post(f"/cohorts/{cohort.id}/pacing", data={"action": "open-pre"})
        answer_survey(enrolment, "pre")
    lesson = next(lesson for lesson in module.lessons if lesson.required)
    auth.login(trainee)

    assert journey(enrolment).modules[0].access == lock
    page = client.get(f"/lessons/{lesson.key}")
    assert page.status_code == 302
    where = f"/surveys/{enrolment.id}/pre" if lock == ModuleAccess.NEEDS_PRE_SURVEY else "/modules"
    assert page.headers["Location"].split("?")[0].endswith(where)
    client.post(f"/lessons/{lesson.key}/complete")
    db.session.expire_all()
    assert journey(enrolment).modules[0].completion == Completion.NOT_STARTED
    row = _csv_row(staff, cohort, trainee.username)
    assert row[module.title_en] == Completion.NOT_STARTED.label
    counts = staff.get(f"/cohorts/{cohort.id}/room/state").get_json()["counts"]
    assert counts[f"completed-{MODULE}"] == 0

    if lock == ModuleAccess.NEEDS_PRE_SURVEY:
        answer_survey(enrolment, "pre")
    else:
        staff.post(f"/cohorts/{cohort.id}/pacing", data={"action": "unlock", "module_id": module.id})
    db.session.expire_all()
    assert journey(enrolment).modules[0].access == ModuleAccess.OPEN
    assert client.get(f"/lessons/{lesson.key}").status_code == 200


def test_without_a_survey_instrument_nothing_waits_for_a_survey(
    make_user, make_cohort, client, auth, facilitator_client
):
    """No instrument loaded: no survey can be answered, so none is open or blocks a module;
    both phases are "not done", and the certificate, which needs the post-survey, is not due."""
    db.session.execute(delete(SurveyItem))
    db.session.execute(delete(SurveyVersion))
    db.session.commit()
    facilitator, staff = facilitator_client
    module = db.session.scalar(select(Module).where(Module.key == MODULE))
    cohort = make_cohort(facilitator=facilitator, audience="police")
    set_cohort_modules(cohort, [module.id], [module.id])
    trainee = make_user("trainee", org_type="police", language="en")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    auth.login(trainee)
    for lesson in module.lessons:
        if lesson.required:
            assert client.post(f"/lessons/{lesson.key}/complete").status_code == 302

    db.session.expire_all()
    state = journey(enrolment)
    assert state.modules[0].access == ModuleAccess.OPEN
    assert state.modules[0].completion == Completion.COMPLETED
    assert state.phase("pre").state == state.phase("post").state == PhaseState.NOT_DONE
    assert state.certificate == CertificateState.NOT_ELIGIBLE
    for phase in ("pre", "post"):
        survey = client.get(f"/surveys/{enrolment.id}/{phase}")
        assert 'name="action"' not in survey.get_data(as_text=True)
    row = _csv_row(staff, cohort, trainee.username)
    assert row["Survey before the training"] == PhaseState.NOT_DONE.label
    assert row["Survey after the training"] == PhaseState.NOT_DONE.label
    assert row[module.title_en] == Completion.COMPLETED.label
    assert row["Certificate of completion"] == CertificateState.NOT_ELIGIBLE.label
    counts = staff.get(f"/cohorts/{cohort.id}/room/state").get_json()["counts"]
    assert (counts["pre"], counts["post"], counts[f"completed-{MODULE}"]) == (0, 0, 1)
    page = staff.get(f"/cohorts/{cohort.id}/certificates?lang=en").get_data(as_text=True)
    assert "Not yet eligible: 1" in page


def test_the_report_funnel_counts_what_the_journeys_say(
    app, make_user, make_cohort, facilitator_client, answer_survey
):
    """The report counts surveys and certificates in SQL (fast over a programme); over one
    cohort of trainees in every combination, its counts are the completion matrix's."""
    app.config["REPORT_MIN_N"] = 1  # small counts shown: this compares, it publishes nothing
    facilitator, staff = facilitator_client
    module = db.session.scalar(select(Module).where(Module.key == MODULE))
    cohort = make_cohort(facilitator=facilitator, audience="police", name="Lớp đối chiếu")
    set_cohort_modules(cohort, [module.id], [module.id])
    db.session.commit()
    # (pre-survey, modules finished, post-survey): answered online, on paper, waived or not.
    combinations = [
        (pre, True, post) for pre in ("online", "paper", "waived") for post in ("online", "paper", None)
    ]
    combinations += [(None, False, None), ("online", False, None), ("waived", False, None)]
    enrolments = []
    for pre, finished, post in combinations:
        trainee = make_user("trainee", org_type="police", language="en")
        enrolment = enrol(cohort, trainee)
        db.session.commit()
        enrolments.append(enrolment)
        if pre == "waived":
            staff.post(f"/cohorts/{cohort.id}/enrolments/{enrolment.id}/waive", data={"waived": "1"})
        elif pre == "paper":
            _paper(staff, cohort, enrolment, "pre")
        elif pre == "online":
            answer_survey(enrolment, "pre")
        if finished:
            browser = app.test_client()  # the trainee's own
            browser.post("/login", data={"username": trainee.username, "password": PASSWORD})
            for lesson in module.lessons:
                if lesson.required:
                    assert browser.post(f"/lessons/{lesson.key}/complete").status_code == 302
        if post == "paper":
            _paper(staff, cohort, enrolment, "post")
        elif post == "online":
            answer_survey(enrolment, "post")
    # One certificate revoked: it no longer counts anywhere.
    db.session.expire_all()
    revoked = db.session.scalar(
        select(Certificate).where(Certificate.enrolment_id.in_([e.id for e in enrolments])).limit(1)
    )
    assert (
        staff.post(
            f"/cohorts/{cohort.id}/certificates/{revoked.code}/revoke",
            data={"reason": "Cấp nhầm, đã kiểm tra lại"},
        ).status_code
        == 303
    )
    db.session.refresh(revoked)
    assert revoked.is_revoked

    db.session.expire_all()
    totals = completion_matrix(cohort).totals()
    matched = sum(
        j.phase("pre").state == PhaseState.DONE and j.phase("post").state == PhaseState.DONE
        for j in map(journey, enrolments)
    )
    assert (totals["trainees"], totals["pre"], totals["post"], matched, totals["certificates"]) == (
        12,
        7,
        6,
        4,
        5,
    )  # the combinations above, worked out
    page = staff.get("/reports?lang=en").get_data(as_text=True)
    (row,) = [r for r in html_table(page, "cohorts") if r["Cohort"] == cohort.name]
    assert row["Enrolled"] == str(totals["trainees"])
    assert row["Survey before done"] == str(totals["pre"])
    assert row["Survey after done"] == str(totals["post"])
    assert row["Both surveys (matched)"] == str(matched)
    assert row["Certificates"] == str(totals["certificates"])
