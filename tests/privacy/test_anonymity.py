"""The research export's generalisation: every quasi-identifier combination covers k people."""

from lms.privacy.anonymity import HIDDEN, is_k_anonymous, k_anonymise


def person(cohort, org_type, province="ha-noi", period="2026-Q1", audience="police"):
    return {
        "cohort": cohort,
        "audience": audience,
        "province": province,
        "period": period,
        "org_type": org_type,
    }


def test_rare_organisation_types_are_pooled_within_their_cohort():
    people = {i: person("C1", "police") for i in range(8)}
    people |= {
        8: person("C1", "ngo"),
        9: person("C1", "cbo"),
        10: person("C1", "ngo"),
        11: person("C1", "other"),
        12: person("C1", "health_worker"),
    }
    out = k_anonymise(people, 5)
    assert [out[i]["org_type"] for i in range(8)] == ["police"] * 8
    assert {out[i]["org_type"] for i in range(8, 13)} == {HIDDEN}
    assert is_k_anonymous(out, 5) and len(out) == 13


def test_a_lone_worker_hides_the_whole_cohorts_organisation_types():
    people = {i: person("C1", "police") for i in range(5)} | {5: person("C1", "ngo")}
    out = k_anonymise(people, 5)
    assert {q["org_type"] for q in out.values()} == {HIDDEN} and len(out) == 6


def test_small_cohorts_are_pooled_then_generalised_then_left_out():
    people = {
        1: person("C1", "police", period="2026-Q1"),
        2: person("C1", "police", period="2026-Q1"),
        3: person("C2", "police", period="2026-Q2"),
        4: person("C3", "police", period="2026-Q3", province="da-nang"),
        5: person("C4", "ngo", period="2026-Q4", audience="ngo_cbo"),
        6: person("C9", "cbo", period="2025-Q4", audience="ngo_cbo"),
    }
    out = k_anonymise(people, 5)
    # 2026's five share a class once cohort, province, audience and quarter are gone; the
    # one from 2025 would still stand alone, so they are left out.
    assert set(out) == {1, 2, 3, 4, 5}
    assert {tuple(q.values()) for q in out.values()} == {(HIDDEN, HIDDEN, HIDDEN, "2026", HIDDEN)}
    assert is_k_anonymous(out, 5)
    assert k_anonymise({1: person("C1", "police")}, 5) == {}  # alone: left out
