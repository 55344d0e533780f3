"""Paper mode: sheets per trainee code in both languages, and the keyboard entry grid."""

import re

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse
from lms.quizzes.services import items_for
from tests.pdf.helpers import pdf_text


def full_row(enrolment, phase="pre", likert="4", letter="B"):
    return {
        f"cell-{enrolment.id}-{item.key}": letter if item.kind == "knowledge" else likert
        for item in items_for(enrolment, phase)
    }


def test_paper_forms_carry_each_trainee_code_in_both_languages(client, auth, make_cohort, enrolments):
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
        assert "A01" in text and "K13" in text
        # Instrument v2 on paper: the cases with their statements, the policy block with
        # its sixth column, and "don't know" as the last lettered option.
        assert "V1A" in text and "V2C" in text and "Q01" in text
    english = " ".join(
        pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf").data).split()
    )  # the narrow column header wraps
    assert "People who use drugs" in english
    assert "has used heroin since he was 20" in english
    assert "Not my role / not applicable" in english and "E. Don't know" in english
    vietnamese = " ".join(pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-vi.pdf").data).split())
    assert "Không thuộc phần việc của tôi" in vietnamese and "E. Không biết" in vietnamese


def test_mixed_cohort_prints_one_set_per_track(client, auth, make_cohort, make_user):
    from lms.cohorts.services import enrol

    cohort = make_cohort(audience="mixed")
    police = enrol(cohort, make_user("trainee", org_type="police"))
    ngo = enrol(cohort, make_user("trainee", org_type="ngo"))
    db.session.commit()
    auth.login(cohort.facilitators[0])
    police_pdf = pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf?track=police").data)
    assert police.trainee_code in police_pdf and ngo.trainee_code not in police_pdf
    assert "P01" in police_pdf and "Q02" in police_pdf
    assert "N03" not in police_pdf and "Q05" not in police_pdf


def test_entry_grid_columns_follow_the_item_keys(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/paper/pre").text
    keys = re.findall(r"<abbr title=\"[^\"]*\">([A-Z][0-9A-Z]{2})</abbr>", page)
    likert = [k for k in keys if k[0] not in "KQV"]
    cases = [k for k in keys if k.startswith("V")]
    assert keys[:2] == ["A01", "A05"] and keys[-1] == "K23"
    assert cases == ["V1A", "V1B", "V1C", "V2A", "V2B", "V2C"]
    assert keys == likert + cases + sorted(k for k in keys if k.startswith("Q")) + sorted(
        k for k in keys if k.startswith("K")
    )
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
    knowledge = (
        db.session.execute(
            select(Answer.value)
            .join(SurveyItem, SurveyItem.id == Answer.item_id)
            .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
            .where(SurveyResponse.enrolment_id == first.id, SurveyItem.kind == "knowledge")
        )
        .scalars()
        .all()
    )
    assert knowledge and set(knowledge) == {1}  # "b" is the second option


def test_invalid_cells_keep_what_was_typed_and_save_only_complete_rows(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=3)
    good, bad, partial = enrolments(cohort)
    auth.login(cohort.facilitators[0])
    form = full_row(good) | full_row(bad) | full_row(partial)
    form[f"cell-{bad.id}-A01"] = "7"
    form[f"cell-{bad.id}-K13"] = "Z"
    form[f"cell-{partial.id}-A05"] = ""
    response = client.post(f"/cohorts/{cohort.id}/paper/pre", data=form)
    assert response.status_code == 422
    page = response.text
    assert re.search(rf'name="cell-{bad.id}-A01" value="7"[^>]*class="invalid"', page)
    assert re.search(rf'name="cell-{bad.id}-K13" value="Z"[^>]*class="invalid"', page)
    assert f'name="cell-{partial.id}-A07" value="4"' in page
    assert "Not saved: some cells are empty" in page
    assert "Saved just now" in page
    stored = {r.enrolment_id for r in db.session.scalars(select(SurveyResponse))}
    assert stored == {good.id}


def test_a_page_of_sheets_is_saved_all_or_nothing(client, auth, make_cohort, enrolments, monkeypatch):
    """One sheet that cannot be stored: none of the page is, and every row keeps what was typed."""
    from lms.cohorts import paper
    from lms.quizzes.services import MissingAnswers

    cohort = make_cohort(trainees=3)
    # the grid lists rows by trainee code: the last one fails, after two were stored
    first, third, second = sorted(enrolments(cohort), key=lambda e: e.trainee_code)
    auth.login(cohort.facilitators[0])
    form = full_row(first) | full_row(second, likert="5") | full_row(third, likert="2")
    real_submit = paper.submit_survey

    def second_fails(enrolment, *args, **kwargs):
        if enrolment.id == second.id:
            raise MissingAnswers([])
        return real_submit(enrolment, *args, **kwargs)

    monkeypatch.setattr(paper, "submit_survey", second_fails)
    response = client.post(f"/cohorts/{cohort.id}/paper/pre", data=form)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(SurveyResponse)).all() == []
    page = response.text
    for enrolment, likert in ((first, "4"), (second, "5"), (third, "2")):
        assert f'name="cell-{enrolment.id}-A01" value="{likert}"' in page
    assert "Saved just now" not in page
    assert "nothing of this page was" in page
    monkeypatch.undo()
    assert client.post(f"/cohorts/{cohort.id}/paper/pre", data=form).status_code == 302
    stored = {r.enrolment_id for r in db.session.scalars(select(SurveyResponse))}
    assert stored == {first.id, second.id, third.id}


def test_rows_already_submitted_are_read_only_without_answers(
    client, auth, make_cohort, enrolments, answer_survey
):
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


def test_not_applicable_and_dont_know_are_typed_and_stored(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    (trainee,) = enrolments(cohort)
    auth.login(cohort.facilitators[0])
    items = {i.key: i for i in items_for(trainee, "pre")}
    form = full_row(trainee) | {
        f"cell-{trainee.id}-Q01": "0",
        f"cell-{trainee.id}-K13": "e",
        f"cell-{trainee.id}-A01": "0",
    }
    response = client.post(f"/cohorts/{cohort.id}/paper/pre", data=form)
    assert response.status_code == 422  # 0 is "not applicable" only on a policy item
    assert re.search(rf'name="cell-{trainee.id}-A01" value="0"[^>]*class="invalid"', response.text)
    form[f"cell-{trainee.id}-A01"] = "4"
    assert client.post(f"/cohorts/{cohort.id}/paper/pre", data=form).status_code == 302
    stored = dict(
        db.session.execute(select(SurveyItem.key, Answer).join(Answer, Answer.item_id == SurveyItem.id)).all()
    )
    assert stored["Q01"].value == 0 and stored["Q01"].score is None
    assert stored["K13"].value == items["K13"].dont_know_value == 4
    assert stored["K13"].score == 0
    response_row = db.session.scalars(select(SurveyResponse)).one()
    knowledge = [i for i in items.values() if i.kind == "knowledge"]
    # "B" everywhere else: every v2 answer is option A, so nothing else is correct either.
    assert response_row.knowledge_correct == 0 and response_row.knowledge_total == len(knowledge)
