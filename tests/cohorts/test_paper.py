"""Paper mode: sheets per trainee code in both languages, and the keyboard entry grid."""

import re

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse
from lms.quizzes.services import items_for
from tests.pdf.helpers import pdf_text


def full_row(enrolment, phase="pre", likert="4", letter="B"):
    return {f"cell-{enrolment.id}-{item.key}": likert if item.kind == "likert" else letter
            for item in items_for(enrolment, phase)}


def test_paper_forms_carry_each_trainee_code_in_both_languages(client, auth, make_cohort,
                                                               enrolments):
    cohort = make_cohort(trainees=3)
    codes = [e.trainee_code for e in enrolments(cohort)]
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/paper").text
    assert "survey-vi.pdf" in page and "survey-en.pdf" in page
    for lang in ("vi", "en"):
        response = client.get(f"/cohorts/{cohort.id}/paper/survey-{lang}.pdf")
        assert response.mimetype == "application/pdf"
        text = pdf_text(response.data)
        for code in codes:
            assert code in text
        assert "A01" in text and "K01" in text
    assert "People who use drugs" in pdf_text(
        client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf").data)


def test_mixed_cohort_prints_one_set_per_track(client, auth, make_cohort, make_user):
    from lms.cohorts.services import enrol

    cohort = make_cohort(audience="mixed")
    police = enrol(cohort, make_user("trainee", org_type="police"))
    ngo = enrol(cohort, make_user("trainee", org_type="ngo"))
    db.session.commit()
    auth.login(cohort.facilitators[0])
    police_pdf = pdf_text(client.get(
        f"/cohorts/{cohort.id}/paper/survey-en.pdf?track=police").data)
    assert police.trainee_code in police_pdf and ngo.trainee_code not in police_pdf
    assert "P01" in police_pdf and "N01" not in police_pdf


def test_entry_grid_columns_follow_the_item_keys(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/paper/pre").text
    keys = re.findall(r"<abbr title=\"[^\"]*\">([A-Z]\d\d)</abbr>", page)
    likert = [k for k in keys if not k.startswith("K")]
    assert keys[:2] == ["A01", "A02"] and keys[-1] == "K12"
    assert keys == likert + sorted(k for k in keys if k.startswith("K"))
    assert likert == sorted(likert)


def test_complete_rows_are_stored_as_paper(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=2)
    first, second = enrolments(cohort)
    facilitator = cohort.facilitators[0]
    auth.login(facilitator)
    form = full_row(first, letter="b") | full_row(second, letter="A")
    response = client.post(f"/cohorts/{cohort.id}/paper/pre", data=form)
    assert response.status_code == 302
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert {r.enrolment_id for r in responses} == {first.id, second.id}
    assert all(r.source == "paper" and r.entered_by_id == facilitator.id for r in responses)
    knowledge = db.session.execute(
        select(Answer.value).join(SurveyItem, SurveyItem.id == Answer.item_id)
        .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
        .where(SurveyResponse.enrolment_id == first.id, SurveyItem.kind == "knowledge")
    ).scalars().all()
    assert knowledge and set(knowledge) == {1}  # "b" is the second option


def test_invalid_cells_keep_what_was_typed_and_save_only_complete_rows(
        client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=3)
    good, bad, partial = enrolments(cohort)
    auth.login(cohort.facilitators[0])
    form = full_row(good) | full_row(bad) | full_row(partial)
    form[f"cell-{bad.id}-A01"] = "7"
    form[f"cell-{bad.id}-K01"] = "Z"
    form[f"cell-{partial.id}-A02"] = ""
    response = client.post(f"/cohorts/{cohort.id}/paper/pre", data=form)
    assert response.status_code == 422
    page = response.text
    assert re.search(rf'name="cell-{bad.id}-A01" value="7"[^>]*class="invalid"', page)
    assert re.search(rf'name="cell-{bad.id}-K01" value="Z"[^>]*class="invalid"', page)
    assert f'name="cell-{partial.id}-A03" value="4"' in page
    assert "Not saved: some cells are empty" in page
    assert "Saved just now" in page
    stored = {r.enrolment_id for r in db.session.scalars(select(SurveyResponse))}
    assert stored == {good.id}


def test_rows_already_submitted_are_read_only_without_answers(client, auth, make_cohort,
                                                               enrolments, answer_survey):
    cohort = make_cohort(trainees=2)
    done, waiting = enrolments(cohort)
    answer_survey(done, "pre")
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/paper/pre").text
    assert f'name="cell-{done.id}-' not in page
    assert f'name="cell-{waiting.id}-A01"' in page
    assert "Already submitted" in page
    # A row typed for someone who already submitted is ignored, not stored twice.
    client.post(f"/cohorts/{cohort.id}/paper/pre", data=full_row(done))
    assert len(db.session.scalars(select(SurveyResponse)).all()) == 1
