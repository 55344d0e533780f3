"""k-anonymity for respondent-level files: generalise the quasi-identifiers (cohort, audience,
organisation type, province, period) until every combination describes at least k trainees,
and leave out the few who still stand alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

HIDDEN = "*"  # a generalised-away value, as in SDC tables
QUASI_IDENTIFIERS = ("cohort", "audience", "province", "period", "org_type")


def _classes(people: dict[int, dict]) -> Counter:
    return Counter(tuple(q[k] for k in QUASI_IDENTIFIERS) for q in people.values())


def _small(people: dict[int, dict], k: int, ids=None) -> list[int]:
    sizes = _classes(people)
    return [
        i
        for i in (ids if ids is not None else people)
        if sizes[tuple(people[i][key] for key in QUASI_IDENTIFIERS)] < k
    ]


def _coarsen(people: dict[int, dict], ids: list[int], change: Callable[[dict], None]) -> None:
    for i in ids:
        change(people[i])


def k_anonymise(people: dict[int, dict], k: int) -> dict[int, dict]:
    """Quasi-identifiers per trainee in, generalised ones out (trainees left out are absent).

    Steps, each only for the trainees still in a class of fewer than k: organisation types
    that are rare in their cohort are pooled (all of the cohort's if the pool is still small);
    small cohorts lose their pseudonym; then period becomes the year, province and audience
    are hidden, the year too; whoever is still in a class smaller than k is left out.
    """
    people = {i: dict(q) for i, q in people.items()}
    by_cohort: dict[str, list[int]] = {}
    for i, q in people.items():
        by_cohort.setdefault(q["cohort"], []).append(i)
    for members in by_cohort.values():
        sizes = Counter(people[i]["org_type"] for i in members)
        rare = [i for i in members if sizes[people[i]["org_type"]] < k]
        if 0 < len(rare) < k:
            rare = members
        _coarsen(people, rare, lambda q: q.update(org_type=HIDDEN))
    steps = [
        lambda q: q.update(cohort=HIDDEN, org_type=HIDDEN),
        lambda q: q.update(period=q["period"].split("-")[0]),
        lambda q: q.update(province=HIDDEN),
        lambda q: q.update(audience=HIDDEN),
        lambda q: q.update(period=HIDDEN),
    ]
    for step in steps:
        small = _small(people, k)
        if not small:
            break
        _coarsen(people, small, step)
    for i in _small(people, k):
        del people[i]
    return people


def is_k_anonymous(people: dict[int, dict], k: int) -> bool:
    return all(size >= k for size in _classes(people).values())
