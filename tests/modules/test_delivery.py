"""What trainees see and open, progress and resume, completion, preview and print."""

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.cohorts.services import enrol
from lms.extensions import db
from lms.modules.content import LANGUAGES
from lms.modules.models import Lesson, LessonProgress, Module
from lms.progress.journey import journey
from lms.progress.states import Completion


def _lessons(module_key):
    module = db.session.scalar(select(Module).where(Module.key == module_key))
    return module.lessons


@pytest.fixture
def trainee_in_cohort(enrolment):
    return enrolment.user, enrolment.cohort, enrolment


def test_every_lesson_renders_in_both_languages(client, auth, make_user):
    auth.login(make_user("facilitator"))
    lessons = db.session.scalars(select(Lesson)).all()
    assert len(lessons) >= 21
    for lesson in lessons:
        for lang in LANGUAGES:
            page = client.get(f"/preview/lessons/{lesson.key}?content_lang={lang}")
            assert page.status_code == 200, (lesson.key, lang)
            text = page.get_data(as_text=True)
            assert str(escape(lesson.text("title", lang))) in text
            assert "activity-facilitator-notes" in text  # facilitators see their notes


def test_without_a_cohort_a_trainee_sees_common_and_own_track_modules(client, auth, make_user):
    auth.login(make_user("trainee", org_type="police"))
    page = client.get("/modules").get_data(as_text=True)
    titles = {m.key: m.title_vi for m in db.session.scalars(select(Module))}
    assert titles["police-public-health"] in page and titles["understanding-stigma"] in page
    assert titles["centre-staff"] not in page
    assert client.get("/modules/centre-staff").status_code == 403


def test_modules_wait_for_the_pre_survey(client, trainee_in_cohort, answer_survey):
    _, _, enrolment = trainee_in_cohort
    response = client.get("/modules/understanding-stigma")
    assert response.status_code == 302
    assert response.location == f"/surveys/{enrolment.id}/pre"
    answer_survey(enrolment)
    assert client.get("/modules/understanding-stigma").status_code == 200


def test_a_waiver_opens_modules_without_the_pre_survey(client, trainee_in_cohort):
    _, _, enrolment = trainee_in_cohort
    enrolment.pre_survey_waived = True
    db.session.commit()
    assert client.get("/modules/understanding-stigma").status_code == 200


def test_trainee_cannot_open_a_module_outside_their_cohort(client, trainee_in_cohort, answer_survey):
    _, _, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    assert client.get("/modules/centre-staff").status_code == 403
    lesson = _lessons("centre-staff")[0]
    assert client.get(f"/lessons/{lesson.key}").status_code == 403
    assert client.post(f"/lessons/{lesson.key}/complete").status_code == 403


def test_facilitator_notes_are_hidden_from_trainees(client, trainee_in_cohort, answer_survey):
    _, _, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    lesson = _lessons("understanding-stigma")[0]
    page = client.get(f"/lessons/{lesson.key}").get_data(as_text=True)
    assert "activity-facilitator-notes" not in page
    assert 'class="activity activity-' in page


def test_progress_resume_and_module_completion(client, trainee_in_cohort, answer_survey):
    trainee, _, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    lessons = _lessons("understanding-stigma")
    client.get(f"/lessons/{lessons[0].key}")
    response = client.post(f"/lessons/{lessons[0].key}/complete")
    assert response.location == f"/lessons/{lessons[1].key}"  # straight on to the next lesson
    client.get(f"/lessons/{lessons[1].key}")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/lessons/{lessons[1].key}"' in home  # "continue where you stopped"
    module = lessons[0].module

    def completion():
        return next(step.completion for step in journey(enrolment).modules if step.module.id == module.id)

    assert completion() == Completion.STARTED
    for lesson in lessons:
        client.post(f"/lessons/{lesson.key}/complete")
    assert completion() == Completion.COMPLETED
    page = client.get("/modules/understanding-stigma").get_data(as_text=True)
    assert page.count("Đã hoàn thành") >= len(lessons)


def test_completing_twice_keeps_the_first_completion_time(client, trainee_in_cohort, answer_survey):
    trainee, _, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    lesson = _lessons("understanding-stigma")[0]
    client.post(f"/lessons/{lesson.key}/complete")
    first = db.session.scalar(select(LessonProgress.completed_at))
    client.post(f"/lessons/{lesson.key}/complete")
    assert db.session.scalar(select(LessonProgress.completed_at)) == first


def test_reflections_are_private_to_their_author(client, auth, make_user, trainee_in_cohort, answer_survey):
    _, cohort, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    lesson = next(
        candidate
        for candidate in db.session.scalars(select(Lesson))
        if any(b["type"] == "reflection" for b in candidate.blocks_vi)
        and candidate.module.key == "workshop-to-action"
    )
    block = next(b["id"] for b in lesson.blocks_vi if b["type"] == "reflection")
    client.post(
        f"/lessons/{lesson.key}/reflections/{block}", data={"answer": "Tôi sẽ nói 'người sử dụng ma túy'."}
    )
    assert "Tôi sẽ nói" in client.get(f"/lessons/{lesson.key}").get_data(as_text=True)
    other = make_user("trainee", org_type="police")
    enrol(cohort, other).pre_survey_waived = True
    db.session.commit()
    auth.logout()
    auth.login(other)
    assert "Tôi sẽ nói" not in client.get(f"/lessons/{lesson.key}").get_data(as_text=True)
    assert (
        client.post(f"/lessons/{lesson.key}/reflections/not-a-block", data={"answer": "x"}).status_code == 404
    )


def test_facilitator_paced_cohort_locks_modules_until_opened(client, make_cohort, make_user, auth):
    cohort = make_cohort(pacing="facilitator")
    trainee = make_user("trainee", org_type="police")
    enrolment = enrol(cohort, trainee)
    enrolment.pre_survey_waived = True
    db.session.commit()
    auth.login(trainee)
    assert client.get("/modules/understanding-stigma").status_code == 302
    cohort.modules[0].unlocked = True
    db.session.commit()
    assert client.get(f"/modules/{cohort.modules[0].module.key}").status_code == 200


def test_print_view_in_both_languages_with_optional_notes(client, auth, make_user):
    auth.login(make_user("facilitator"))
    module = db.session.scalar(select(Module).where(Module.key == "harm-reduction"))
    for lang in LANGUAGES:
        page = client.get(f"/preview/modules/harm-reduction/print?content_lang={lang}")
        text = page.get_data(as_text=True)
        assert str(escape(module.text("title", lang))) in text and "print-lesson" in text
        assert "activity-facilitator-notes" not in text
    with_notes = client.get("/preview/modules/harm-reduction/print?notes=1").get_data(as_text=True)
    assert "activity-facilitator-notes" in with_notes


def test_trainees_cannot_preview(client, auth, make_user):
    auth.login(make_user("trainee"))
    assert client.get("/preview").status_code == 403


def test_lesson_page_is_phone_friendly(client, trainee_in_cohort, answer_survey):
    _, _, enrolment = trainee_in_cohort
    answer_survey(enrolment)
    page = client.get(f"/lessons/{_lessons('understanding-stigma')[0].key}").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "<script>" not in page and ' style="' not in page
