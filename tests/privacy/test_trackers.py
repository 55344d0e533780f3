"""Attacks that combine more than two releases, or research files, through HTTP as programme
staff would: a tracker of three report filters, and research exports differenced by their
filters or by the answers that came in between. None recovers one trainee's answers."""

import csv
import io
import re
from collections import Counter

import pytest
from sqlalchemy import select

from lms.auth.models import AuditEvent
from lms.extensions import db
from tests.conftest import get_file
from tests.privacy.helpers import assert_nothing_recovered, overall, withheld_line

VICTIM = {"pre": 1.0, "post": 2.0}


@pytest.fixture
def tracker_cohorts(make_cohort, trainees):
    """X: 5 police and 5 NGO workers; Y: one NGO worker (the victim), both in Hà Nội; Z: 10
    NGO workers elsewhere. Three ordinary filters pairwise differ by 5, 6 and 11 trainees."""
    x = make_cohort(name="X", audience="mixed", province="ha-noi")
    trainees(x, 5, pre=4, post=5, org_type="police")
    trainees(x, 5, pre=3, post=4, org_type="ngo")
    y = make_cohort(name="Y", audience="mixed", province="ha-noi")
    trainees(y, 1, pre=1, post=2, org_type="ngo")
    z = make_cohort(name="Z", audience="mixed", province="da-nang")
    trainees(z, 10, pre=4, post=5, org_type="ngo")
    return x


def _tracker(released: dict) -> list[dict]:
    """What n_C·m_C − (n_A·m_A − n_B·m_B) gives, when all three were shown."""
    a, b, c = (released[name] for name in "ABC")
    if not (a and b and c):
        return []
    return [{k: c["n"] * c[k] - (a["n"] * a[k] - b["n"] * b[k]) for k in ("pre", "post")}]


@pytest.mark.parametrize("order", ["ABC", "CAB", "BCA"])
def test_three_filter_tracker(staff, tracker_cohorts, order):
    x = tracker_cohorts.id
    queries = {"A": f"cohort={x}", "B": f"cohort={x}&org_type=police", "C": "province=ha-noi&org_type=ngo"}
    released, lines = {}, {}
    for name in order:
        data = get_file(staff, f"/reports/export.csv?{queries[name]}").data
        released[name], lines[name] = overall(data), withheld_line(data)
    last = order[-1]
    # The first two are shown; the third completes the tracker and is withheld, saying why.
    assert all(released[name] for name in order[:2])
    assert released[last] is None
    assert "differ by fewer than 5 people" in lines[last]
    assert _tracker(released) == []
    assert_nothing_recovered(list(released.values()), VICTIM)
    # The report page says the same in one line.
    page = staff.get(f"/reports?{queries[last]}").text
    assert "Not shown: these trainees differ by fewer than 5 people" in page


def test_three_filters_that_isolate_no_one_are_all_shown(staff, tracker_cohorts):
    x = tracker_cohorts.id
    for query in (f"cohort={x}", f"cohort={x}&org_type=police", "org_type=ngo"):
        # X's NGO workers (5) + the victim + Z (10): every part of it is 5 or more
        assert overall(get_file(staff, f"/reports/export.csv?{query}").data), query


def _research(staff, query: str):
    """The research export as staff ask for it: (rows, None) or (None, the job page)."""
    response = staff.post(f"/reports/research?{query}", data={"purpose": "Đánh giá"})
    assert response.status_code == 303
    page = staff.get(response.location).text
    link = re.search(r'href="(/jobs/[0-9a-f]{32}/download)"', page)
    if link is None:
        return None, page
    data = staff.get(link.group(1)).data
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")))), page


def _answers(rows) -> Counter:
    items = [k for k in rows[0] if k.startswith(("A", "K"))] if rows else []
    return Counter(tuple(r[k] for k in items) + (r["phase"],) for r in rows)


def _refusals():
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "research_export_refused")).all()


def test_research_export_filtered_then_the_whole_cohort(staff, make_cohort, trainees):
    cohort = make_cohort(name="Sáu", audience="mixed")
    trainees(cohort, 5, pre=4, post=5, org_type="police")
    trainees(cohort, 1, pre=1, post=2, org_type="ngo")
    police, _page = _research(staff, f"cohort={cohort.id}&org_type=police")
    assert len(police) == 10
    whole, page = _research(staff, f"cohort={cohort.id}")
    assert whole is None  # refused: the one extra trainee would be the NGO worker
    assert "Not exported: these trainees differ by fewer than 5 people" in page
    refusals = _refusals()
    assert len(refusals) == 1 and refusals[0].reason == "Đánh giá"
    assert str(cohort.id) in refusals[0].details


def test_research_export_of_the_whole_cohort_then_filtered(staff, make_cohort, trainees):
    cohort = make_cohort(name="Sáu", audience="mixed")
    trainees(cohort, 5, pre=4, post=5, org_type="police")
    trainees(cohort, 1, pre=1, post=2, org_type="ngo")
    whole, _page = _research(staff, f"cohort={cohort.id}")
    assert len(whole) == 12
    police, page = _research(staff, f"cohort={cohort.id}&org_type=police")
    assert police is None and "Not exported" in page
    assert len(_refusals()) == 1


def test_research_export_after_one_more_answer(staff, make_cohort, trainees, client):
    cohort = make_cohort(name="Năm", audience="police")
    trainees(cohort, 5, pre=4, post=5)
    first, _page = _research(staff, f"cohort={cohort.id}")
    assert len(first) == 10
    again, _page = _research(staff, f"cohort={cohort.id}")
    assert _answers(again) == _answers(first)  # the same trainees: shown again
    trainees(cohort, 1, pre=1, post=2)
    later, page = _research(staff, f"cohort={cohort.id}")
    assert later is None
    assert "Không xuất tệp" not in page and "Not exported" in page
    assert not (_answers(later or []) - _answers(first))
    client.get("/lang/vi")
    later, page = _research(staff, f"cohort={cohort.id}")
    assert later is None and "Không xuất tệp: nhóm học viên này chênh lệch dưới 5" in page
    assert len(_refusals()) == 2
    # Once at least five more have answered, the new ones are a group of their own.
    trainees(cohort, 4, pre=4, post=5)
    latest, _page = _research(staff, f"cohort={cohort.id}")
    assert latest is not None and len(latest) == 20


def test_research_export_after_one_more_survey_after(staff, make_cohort, trainees, answer_survey):
    """The same trainees, but one of them has answered the survey after since: matching
    rows by their answers, the new "post" row would be that trainee's."""
    cohort = make_cohort(name="Sau", audience="police")
    waiting = trainees(cohort, 5, phases=("pre",))
    trainees(cohort, 5, pre=4, post=5)
    first, _page = _research(staff, f"cohort={cohort.id}")
    assert len(first) == 15
    answer_survey(waiting[0], "post", lambda item: 1)
    later, page = _research(staff, f"cohort={cohort.id}")
    assert later is None and "Not exported" in page
