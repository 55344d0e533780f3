"""Practice since the training: a short block of count questions in bands, one audience each,
asked at follow-up waves only; checked by the loader, validated on submit, autosaved."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.cohorts.services import set_cohort_modules
from lms.config import ROOT
from lms.extensions import db
from lms.quizzes.instrument import current_version, parse_instrument
from lms.quizzes.models import Answer, DraftAnswer, SurveyItem
from lms.quizzes.services import items_for, pages, save_draft

POLICE = {"B01", "B02", "B03", "B04"}


# ---- the instrument file ----------------------------------------------------------------


def test_each_audience_has_its_own_short_block_in_both_languages(app):
    data, problems = parse_instrument(ROOT / "content")
    assert problems == []
    for lang in ("vi", "en"):
        by_audience = {}
        for entry in data[lang]["practice"]:
            by_audience.setdefault(entry["audience"], []).append(entry)
        assert set(by_audience) == {"police", "centre_staff", "ngo_cbo"}
        assert all(3 <= len(entries) <= 4 for entries in by_audience.values())
    vi = {e["id"]: e for e in data["vi"]["practice"]}
    # Police and centre staff are addressed as anh/chị, NGO and CBO workers as bạn.
    assert all(
        "anh/chị" in e["text"].lower() for e in vi.values() if e["audience"] in ("police", "centre_staff")
    )
    assert all(e["text"].startswith("Bạn ") for e in vi.values() if e["audience"] == "ngo_cbo")
    practice = [i for i in current_version().items if i.kind == "practice"]
    assert {i.key for i in practice} == set(vi)
    assert all(i.months == 3 and i.subscale is None and i.score(2) is None for i in practice)
    assert all(list(i.allowed_values()) == [0, 1, 2, 3, 4] for i in practice)


def _rewrite(path, pattern, replacement):
    text = path.read_text(encoding="utf-8")
    changed = re.sub(pattern, replacement, text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")


@pytest.mark.parametrize(
    "langs,pattern,replacement,message",
    [
        (
            ("en",),
            r'(id = "B02"\n)audience = "police"',
            r'\1audience = "ngo_cbo"',
            "practice entry differs between languages",
        ),
        (
            ("vi", "en"),
            r'(id = "B02"\n)audience = "police"',
            r'\1audience = "soldiers"',
            "B02: unknown audience 'soldiers'",
        ),
        (("vi", "en"), r'(id = "B02"\n)audience = "police"\n', r"\1", "B02: missing 'audience'"),
        (
            ("vi", "en"),
            r'(id = "B03"\naudience = "police"\n)months = 3',
            r"\1months = 13",
            "B03: 'months' (the recall period) must be a whole number from 1 to 12",
        ),
        (
            ("vi", "en"),
            r'(id = "B03"\naudience = "police"\n)months = 3',
            r"\1months = 0",
            "must be a whole number from 1 to 12",
        ),
        (
            ("vi", "en"),
            r'(id = "B03"\naudience = "police"\n)months = 3',
            r'\1months = "3"',
            "must be a whole number from 1 to 12",
        ),
        (
            ("vi", "en"),
            r'(id = "B03"\naudience = "police"\n)months = 3',
            r"\1months = 6",
            "practice items must share one recall period",
        ),
        (
            ("en",),
            r'(id = "B03"\naudience = "police"\n)months = 3',
            r"\1months = 6",
            "practice entry differs between languages",
        ),
        (("vi", "en"), r'(id = "B03"\n)', r"\1reverse = true\n", "B03: unknown key 'reverse'"),
    ],
)
def test_the_loader_refuses_a_broken_practice_block(content_copy, langs, pattern, replacement, message):
    for lang in langs:
        _rewrite(content_copy / lang / "survey.toml", pattern, replacement)
    _data, problems = parse_instrument(content_copy)
    assert any(message in problem for problem in problems), problems


# ---- answering online ------------------------------------------------------------------


@pytest.fixture
def follow_up(app, make_cohort, make_user, answer_survey, auth):
    """A police trainee whose first follow-up is open today, signed in; returns the enrolment."""
    from lms.cohorts.services import enrol

    cohort = make_cohort(audience="police")
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", cohort.end_date + timedelta(days=90))
    enrolment = enrol(cohort, make_user("trainee", org_type="police", language="vi"))
    db.session.commit()
    answer_survey(enrolment, "pre")
    answer_survey(enrolment, "post")
    app.config["TODAY"] = (cohort.end_date + timedelta(days=90)).isoformat()
    auth.login(enrolment.user)
    return enrolment


def _practice_page(enrolment) -> tuple[int, list[SurveyItem]]:
    for number, group in enumerate(pages(items_for(enrolment, "follow-1")), start=1):
        if group[0].kind == "practice":
            return number, group
    raise AssertionError("no practice page")


def test_only_follow_up_waves_ask_the_trainees_own_practice_questions(app, client, follow_up):
    assert not any(i.kind == "practice" for phase in ("pre", "post") for i in items_for(follow_up, phase))
    keys = [i.key for i in items_for(follow_up, "follow-1") if i.kind == "practice"]
    assert keys == sorted(POLICE)  # the instrument's order, police only
    number, group = _practice_page(follow_up)
    page = client.get(f"/surveys/{follow_up.id}/follow-1?page={number}").text
    assert "Công việc của anh/chị trong 3 tháng qua" in page
    assert "Không lần nào" in page and "6 lần trở lên" in page
    for item in group:
        assert item.text_vi.split("(")[0].strip() in page
        assert f'name="item-{item.id}" value="0"' in page  # does not apply / can't say
    assert "B05" not in {i.key for i in group} and "cơ sở cai nghiện kết nối" not in page


def test_a_bad_practice_answer_is_refused_and_nothing_else_is_lost(app, client, follow_up):
    items = items_for(follow_up, "follow-1")
    others = {i.id: (i.answer if i.kind == "knowledge" else 4) for i in items if i.kind != "practice"}
    save_draft(follow_up, "follow-1", others)
    db.session.commit()
    number, group = _practice_page(follow_up)
    first, bad, *rest = group
    form = {f"item-{first.id}": "2", f"item-{bad.id}": "7", "action": "submit"}
    form |= {f"item-{i.id}": "0" for i in rest}
    response = client.post(f"/surveys/{follow_up.id}/follow-1?page={number}", data=form)
    assert response.status_code == 422
    assert 'id="missing"' in response.text
    missing = re.search(r'id="missing">(.*?)</div>', response.text, re.S).group(1)
    assert bad.text_vi[:40] in missing and first.text_vi[:40] not in missing
    drafts = dict(db.session.execute(select(DraftAnswer.item_id, DraftAnswer.value)).all())
    assert drafts[first.id] == 2 and bad.id not in drafts
    assert all(drafts[i.id] == 0 for i in rest) and len(drafts) == len(items) - 1
    # Autosave takes a band like any other answer; then the survey goes in whole.
    saved = client.post(f"/surveys/{follow_up.id}/follow-1/autosave", data={f"item-{bad.id}": "4"})
    assert saved.json == {"saved": 1}
    done = client.post(f"/surveys/{follow_up.id}/follow-1?page={number}", data={"action": "submit"})
    assert done.status_code == 302
    stored = dict(
        db.session.execute(
            select(SurveyItem.key, Answer)
            .join(Answer, Answer.item_id == SurveyItem.id)
            .where(SurveyItem.kind == "practice")
        ).all()
    )
    assert {key: a.value for key, a in stored.items()} == {
        first.key: 2,
        bad.key: 4,
        **{i.key: 0 for i in rest},
    }
    assert all(a.score is None for a in stored.values())


def test_a_cohort_begun_on_an_older_version_is_still_asked_the_newest_practice_questions(
    app, make_cohort, answer_survey
):
    from lms.cohorts.models import Enrolment
    from tests.conftest import SURVEY_V1, load_instrument

    first = load_instrument(SURVEY_V1)  # no practice questions in the 2025 instrument
    cohort = make_cohort(trainees=1)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id))
    answer_survey(enrolment, "pre")
    answer_survey(enrolment, "post")
    second = load_instrument(ROOT / "content")  # answers exist: a new version
    assert second.number == first.number + 1
    items = items_for(enrolment, "follow-1")
    practice = [i for i in items if i.kind == "practice"]
    assert {i.key for i in practice} == POLICE and {i.version_id for i in practice} == {second.id}
    assert {i.version_id for i in items if i.kind != "practice"} == {first.id}
    response = answer_survey(enrolment, "follow-1", practice=3)
    assert response.version_id == first.id  # the attitude items repeat the version before
    assert sorted(
        db.session.scalars(
            select(SurveyItem.key)
            .join(Answer, Answer.item_id == SurveyItem.id)
            .where(Answer.response_id == response.id, SurveyItem.kind == "practice")
        )
    ) == sorted(POLICE)
