"""Creating and editing cohorts: fields, facilitators, modules and validation."""

from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.modules.services import active_modules


def cohort_form(**changes):
    data = {
        "name": "Tập huấn Công an phường Hoàn Kiếm",
        "audience": "police",
        "province": "ha-noi",
        "venue": "Hội trường UBND",
        "start_date": "2026-11-15",
        "end_date": "2026-11-16",
        "language": "vi",
        "pacing": "self",
        "knowledge_pass_percent": "70",
        "status": "planned",
    }
    data.update(changes)
    return data


def test_facilitator_creates_a_cohort_with_a_join_code(client, auth, make_user):
    facilitator = make_user("facilitator", language="en")
    auth.login(facilitator)
    assert client.get("/cohorts/new").status_code == 200
    response = client.post("/cohorts/new", data=cohort_form())
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort))
    assert cohort.name == "Tập huấn Công an phường Hoàn Kiếm"
    assert cohort.knowledge_pass_percent == 70 and cohort.status == "planned"
    assert len(cohort.join_code) == 6
    assert [f.id for f in cohort.facilitators] == [facilitator.id]
    # No module ticked: the police track's modules, common ones included.
    assert cohort.modules
    assert all(
        "all" in cm.module.audience_list or "police" in cm.module.audience_list for cm in cohort.modules
    )
    page = client.get(response.headers["Location"]).text
    assert cohort.join_code in page and f"/join/{cohort.join_code}" in page


def test_chosen_modules_and_required_ones_are_kept(client, auth, make_user):
    auth.login(make_user("facilitator"))
    first, second, *_ = active_modules()
    client.post(
        "/cohorts/new",
        data={**cohort_form(), "modules": [first.id, second.id], "required_modules": [first.id]},
    )
    cohort = db.session.scalar(select(Cohort))
    assert [(cm.module_id, cm.required) for cm in cohort.modules] == [(first.id, True), (second.id, False)]


def test_end_before_start_is_refused(client, auth, make_user):
    auth.login(make_user("facilitator", language="en"))
    response = client.post("/cohorts/new", data=cohort_form(end_date="2026-11-01"))
    assert response.status_code == 422
    assert "The end date cannot be before the start date." in response.text
    assert db.session.scalar(select(Cohort)) is None


def test_a_facilitator_editing_stays_a_facilitator(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    owner = cohort.facilitators[0]
    colleague = make_user("facilitator")
    auth.login(owner)
    response = client.post(
        f"/cohorts/{cohort.id}/edit",
        data={
            **cohort_form(name="Đổi tên"),
            "facilitators": [colleague.id],
            "modules": [cohort.modules[0].module_id],
        },
    )
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert cohort.name == "Đổi tên"
    assert {f.id for f in cohort.facilitators} == {owner.id, colleague.id}
    auth.logout()
    auth.login(colleague)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200


def test_staff_can_hand_a_cohort_over(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    owner = cohort.facilitators[0]
    successor = make_user("facilitator")
    auth.login(make_user("staff"))
    client.post(
        f"/cohorts/{cohort.id}/edit",
        data={**cohort_form(), "facilitators": [successor.id], "modules": [cohort.modules[0].module_id]},
    )
    db.session.refresh(cohort)
    assert [f.id for f in cohort.facilitators] == [successor.id]
    auth.logout()
    auth.login(owner)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404


def test_unlocked_gates_survive_an_edit(client, auth, make_cohort):
    cohort = make_cohort(pacing="facilitator")
    first = cohort.modules[0]
    first.unlocked = True
    db.session.commit()
    auth.login(cohort.facilitators[0])
    client.post(
        f"/cohorts/{cohort.id}/edit",
        data={**cohort_form(pacing="facilitator"), "modules": [cm.module_id for cm in cohort.modules]},
    )
    db.session.refresh(cohort)
    assert cohort.modules[0].module_id == first.module_id and cohort.modules[0].unlocked


def test_facilitator_home_lists_running_cohorts(client, auth, make_cohort):
    cohort = make_cohort(name="Lớp đang chạy")
    make_cohort(facilitator=cohort.facilitators[0], name="Lớp đã đóng", status="closed")
    auth.login(cohort.facilitators[0])
    page = client.get("/").text
    assert "Lớp đang chạy" in page and cohort.join_code in page
    assert "Lớp đã đóng" not in page
    assert f"/cohorts/{cohort.id}/room" in page
