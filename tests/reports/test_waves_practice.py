"""Practice since the training in the waves report: trainees per band of each question, per
audience, counted as a direct count of the answers does, with small counts hidden."""

import re

from sqlalchemy import func, select

from lms.cohorts.models import Enrolment
from lms.cohorts.services import set_cohort_modules
from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse

# Trainee i ticks BANDS[i] on every question (0 = does not apply): 1-2 times is common,
# "6 or more" rare (a small count to hide), "does not apply" for two.
BANDS = [2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 3, 3, 4, 0, 0]


def _cohort(make_cohort, answer_survey, audience, bands):
    cohort = make_cohort(trainees=len(bands), audience=audience)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", cohort.end_date)
    cohort.set_gate("follow-1", True)
    db.session.commit()
    for band, enrolment in zip(
        bands,
        db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)),
        strict=True,
    ):
        answer_survey(enrolment, "pre")
        answer_survey(enrolment, "post")
        answer_survey(enrolment, "follow-1", practice=band)
    return cohort


def _direct_counts(cohort) -> dict[tuple[str, int], int]:
    """(item key, value) -> trainees, straight from the answers."""
    return {
        (key, value): n
        for key, value, n in db.session.execute(
            select(SurveyItem.key, Answer.value, func.count(func.distinct(SurveyResponse.id)))
            .join(Answer, Answer.item_id == SurveyItem.id)
            .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
            .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
            .where(
                Enrolment.cohort_id == cohort.id,
                SurveyResponse.phase == "follow-1",
                SurveyItem.kind == "practice",
            )
            .group_by(SurveyItem.key, Answer.value)
        )
    }


def _cells(page: str, audience: str) -> dict[str, dict[int, str]]:
    table = re.search(rf'<table class="practice" data-practice="{audience}">(.*?)</table>', page, re.S).group(
        1
    )
    return {
        key: dict(
            (int(v), text) for v, text in re.findall(r'data-value="(\d)">([^<]*(?:&lt;\d+)?)</td>', row)
        )
        for key, row in re.findall(r'<tr data-row="(B\d\d)">(.*?)</tr>', table, re.S)
    }


def test_bands_per_question_match_a_direct_count_with_small_cells_hidden(
    app, client, auth, make_user, make_cohort, answer_survey
):
    cohort = _cohort(make_cohort, answer_survey, "police", BANDS)
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").text
    assert "Practice since the training" in page
    cells = _cells(page, "police")
    assert set(cells) == {"B01", "B02", "B03", "B04"}  # police questions only
    direct = _direct_counts(cohort)
    k = app.config["REPORT_MIN_N"]
    for key, row in cells.items():
        assert re.search(
            rf'data-row="{key}"><th scope="row">{key}\. [^<]+</th>'
            rf'<td class="num">{len(BANDS)}</td>',
            page,
        )
        for value, shown in row.items():
            count = direct.get((key, value), 0)
            if count == 0 or count >= k:
                assert shown == str(count), (key, value)
            else:
                assert shown == f"&lt;{k}", (key, value)
        # 6 of 1-2 times, 5 of none; 2 of 3-5 times, 1 of 6+, 2 of "does not apply".
        assert row == {1: "5", 2: "6", 3: f"&lt;{k}", 4: f"&lt;{k}", 0: f"&lt;{k}"}
    # Not in the report before and after the training.
    assert "B01" not in client.get(f"/reports?cohort={cohort.id}").text


def test_a_lone_small_count_takes_another_with_it(app, client, auth, make_user, make_cohort, answer_survey):
    # 6 "none", 5 "1-2 times", 1 "3-5 times": the row total would give the 1 away.
    cohort = _cohort(make_cohort, answer_survey, "police", [1] * 6 + [2] * 5 + [3])
    auth.login(make_user("staff", language="en"))
    row = _cells(client.get(f"/reports/waves?cohort={cohort.id}").text, "police")["B01"]
    hidden = [value for value, shown in row.items() if shown.startswith("&lt;")]
    assert row[3] == "&lt;5" and len(hidden) == 2 and row[4] == "0"


def test_an_audience_with_few_trainees_is_withheld(app, client, auth, make_user, make_cohort, answer_survey):
    police = _cohort(make_cohort, answer_survey, "police", BANDS)
    centre = _cohort(make_cohort, answer_survey, "centre_staff", [2, 2, 1])
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={police.id}&cohort={centre.id}").text
    assert set(_cells(page, "police")) == {"B01", "B02", "B03", "B04"}
    assert 'data-withheld="small" data-practice="centre_staff"' in page
    assert 'data-row="B05"' not in page


def test_one_more_answer_does_not_show_new_practice_counts(
    app, client, auth, make_user, make_cohort, answer_survey
):
    """Seen once, the police group's counts are withheld when it grows by fewer than k:
    comparing the two tables would give the newcomer's answers away."""
    from lms.cohorts.services import enrol

    cohort = _cohort(make_cohort, answer_survey, "police", BANDS)
    staff = make_user("staff", language="en")
    auth.login(staff)
    assert set(_cells(client.get(f"/reports/waves?cohort={cohort.id}").text, "police"))
    newcomer = enrol(cohort, make_user("trainee", org_type="police"))
    db.session.commit()
    for phase in ("pre", "post", "follow-1"):
        answer_survey(newcomer, phase, practice=4)
    page = client.get(f"/reports/waves?cohort={cohort.id}").text
    assert 'data-withheld="overlap" data-practice="police"' in page
    assert '<table class="practice"' not in page
