"""Anonymous cohorts on paper (code boxes, a grid with code columns), and facilitators never
seeing a code or its hash anywhere."""

import re

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import AnonymousRespondent, Enrolment
from lms.cohorts.paper import anonymous_items
from lms.extensions import db
from lms.privacy.models import IdentificationCode
from lms.quizzes.models import SurveyResponse
from tests.cohorts.test_anonymous import answer_anonymously, fresh
from tests.pdf.helpers import pdf_text


@pytest.fixture
def facilitator(make_user, auth):
    user = make_user("facilitator", language="en")
    auth.login(user)
    return user


def _row(cohort, number=1, mother="N", day="3", value="4", phase="pre", **skip):
    """A complete row of the anonymous grid: code, then every item (4, or A)."""
    data = {
        f"code-new{number}-mother": mother,
        f"code-new{number}-father": "T",
        f"code-new{number}-birth_day": day,
        f"code-new{number}-birth_month": "5",
        f"code-new{number}-older_siblings": "1",
    }
    for item in anonymous_items(cohort, phase):
        data[f"cell-new{number}-{item.key}"] = "A" if item.kind in ("knowledge", "practice") else value
    for key in skip:
        data.pop(f"cell-new{number}-{key}", None)
    return data


def test_the_paper_form_of_an_anonymous_cohort_prints_code_boxes_and_no_trainee_code(
    client, facilitator, make_cohort
):
    cohort = make_cohort(facilitator=facilitator, anonymous=True, trainees=2)
    page = client.get(f"/cohorts/{cohort.id}/paper").get_data(as_text=True)
    assert "personal code" in page
    response = client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf?copies=2")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Your personal code" in text
    assert "First letter of your mother's given name" in text
    assert "Number of older brothers and sisters" in text
    codes = db.session.scalars(select(Enrolment.trainee_code).where(Enrolment.cohort_id == cohort.id)).all()
    assert codes and not any(code in text for code in codes)
    vi = pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-vi.pdf?copies=1").data)
    assert "Mã cá nhân của anh/chị" in vi


def test_a_named_cohort_still_prints_trainee_codes(client, facilitator, make_cohort):
    cohort = make_cohort(facilitator=facilitator, trainees=1)
    text = pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf").data)
    assert "Your personal code" not in text
    code = db.session.scalar(select(Enrolment.trainee_code).where(Enrolment.cohort_id == cohort.id))
    assert code in text


def test_the_entry_grid_has_code_columns_and_saves_anonymous_paper_surveys(client, facilitator, make_cohort):
    cohort = make_cohort(facilitator=facilitator, anonymous=True, trainees=1)
    grid = client.get(f"/cohorts/{cohort.id}/paper/pre").get_data(as_text=True)
    assert 'name="code-new1-mother"' in grid and "Nguyễn Văn trainee" not in grid  # no names
    saved = client.post(f"/cohorts/{cohort.id}/paper/pre", data=_row(cohort))
    assert saved.status_code == 302
    response = db.session.scalar(select(SurveyResponse))
    assert response.source == "paper" and response.entered_by_id == facilitator.id
    assert db.session.get(Enrolment, response.enrolment_id).user_id is None
    assert db.session.scalar(select(func.count()).select_from(IdentificationCode)) == 1
    # The same code again is refused on its row; a bad code and a missing answer too.
    again = client.post(
        f"/cohorts/{cohort.id}/paper/pre",
        data={
            **_row(cohort, 1),
            **_row(cohort, 2, mother="H", day="45"),
            **_row(cohort, 3, mother="K", **{anonymous_items(cohort, "pre")[0].key: None}),
        },
    )
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert "already been submitted for this cohort" in page
    assert "from 1 to 31" in page and "some cells are empty" in page
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    assert db.session.scalar(select(func.count()).select_from(AnonymousRespondent)) == 1
    # Paper and online answers pair alike: the same code online after the training.
    assert answer_anonymously(fresh(client.application), cohort, "post").status_code == 302
    assert sorted(
        db.session.scalars(
            select(func.count()).select_from(SurveyResponse).group_by(SurveyResponse.enrolment_id)
        )
    ) == [2]


def test_a_follow_up_sheet_on_paper_carries_its_practice_questions_and_pairs(
    client, facilitator, make_cohort
):
    cohort = make_cohort(facilitator=facilitator, anonymous=True)
    cohort.schedule_wave("follow-1", cohort.end_date)
    db.session.commit()
    practice = [i for i in anonymous_items(cohort, "follow-1") if i.kind == "practice"]
    assert practice and not [i for i in anonymous_items(cohort, "pre") if i.kind == "practice"]
    grid = client.get(f"/cohorts/{cohort.id}/paper/follow-1").get_data(as_text=True)
    assert f'name="cell-new1-{practice[0].key}"' in grid
    for phase in ("pre", "post", "follow-1"):
        response = client.post(f"/cohorts/{cohort.id}/paper/{phase}", data=_row(cohort, phase=phase))
        assert response.status_code == 302, phase
    assert sorted(
        db.session.scalars(
            select(func.count()).select_from(SurveyResponse).group_by(SurveyResponse.enrolment_id)
        )
    ) == [3]
    sheet = pdf_text(client.get(f"/cohorts/{cohort.id}/paper/survey-en.pdf?wave=follow-1&copies=1").data)
    assert "Your personal code" in sheet and practice[0].text_en[:30] in sheet.replace("\n", " ")


def _secrets() -> list[str]:
    """Everything stored about the codes: hashes, masked hashes and browser tokens."""
    values = []
    for code in db.session.scalars(select(IdentificationCode)):
        values += [code.full, *code.masked.split(",")]
    for respondent in db.session.scalars(select(AnonymousRespondent)):
        values += [v for v in (respondent.token, respondent.code_full) if v]
        values += (respondent.code_masked or "").split(",")
    return [v for v in values if v]


def test_a_facilitator_never_sees_a_code_or_its_hash(app, client, facilitator, make_cohort, make_user):
    cohort = make_cohort(facilitator=facilitator, anonymous=True, anonymous_certificates=True, trainees=2)
    cohort.schedule_wave("follow-1", cohort.end_date)
    db.session.commit()
    for mother in "ABCDEF":
        answer_anonymously(fresh(app), cohort, "pre", mother=mother)
        answer_anonymously(fresh(app), cohort, "post", mother=mother)
    assert client.post(f"/cohorts/{cohort.id}/paper/pre", data=_row(cohort, 1, mother="Q")).status_code == 302
    secrets = _secrets()
    assert len(secrets) > 50
    pages = [
        f"/cohorts/{cohort.id}",
        f"/cohorts/{cohort.id}/room",
        f"/cohorts/{cohort.id}/room/state",
        f"/cohorts/{cohort.id}/presenter",
        f"/cohorts/{cohort.id}/progress",
        f"/cohorts/{cohort.id}/progress.csv",
        f"/cohorts/{cohort.id}/progress.xlsx",
        f"/cohorts/{cohort.id}/paper/pre",
        f"/cohorts/{cohort.id}/paper/post",
        f"/cohorts/{cohort.id}/certificates",
        f"/reports?cohort={cohort.id}",
        f"/reports/waves?cohort={cohort.id}",
        f"/cohorts/{cohort.id}/waves",
    ]
    seen = 0
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        body = (
            response.data.decode("utf-8", "replace")
            if not url.endswith(".xlsx")
            else _xlsx_text(response.data)
        )
        leaked = [s for s in secrets if s in body]
        assert not leaked, url
        # Nor the code itself, as the five elements written one after another.
        assert not re.search(r"\bA\W?T\W?0?3\W?0?5\W?0?1\b", body), url
    assert seen >= 10
    # The room view counts the answers given without an account.
    state = client.get(f"/cohorts/{cohort.id}/room/state").get_json()
    assert (state["counts"]["pre"], state["counts"]["post"]) == (7, 6)
    assert (state["counts"]["follow-1"], state["counts"]["follow-1-expected"]) == (0, 6)
    matrix = client.get(f"/cohorts/{cohort.id}/progress").get_data(as_text=True)
    assert 'data-anonymous="pre">7<' in matrix and 'data-anonymous="follow-1">0<' in matrix


def _xlsx_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(
        " ".join(str(c) for c in row if c is not None) for row in sheet.iter_rows(values_only=True)
    )
