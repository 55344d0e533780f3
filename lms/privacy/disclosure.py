"""The disclosure-control rules every aggregate of survey answers passes through.

A figure (mean, SD, share, count of answers…) about a group of respondents is released only if:
1. the group has at least k respondents (k = REPORT_MIN_N);
2. against every larger or overlapping group the same person can see, the two groups differ
   by 0 or at least k respondents (minimum complement size), so that subtracting one from the
   other never isolates fewer than k people;
3. against every group whose figures the same person was already shown (the release log),
   the same holds (query-overlap control), for figures about the same answers ("pre" or
   "post"). Room views are projected to everyone, so their releases count for every viewer;
4. together with every group of the same quantity the viewer was already shown, no group of
   fewer than k respondents can be isolated by adding and subtracting released figures
   (a rank test: see `isolated`). This stops trackers over three or more queries, which
   rule 3, pairwise, does not.

Figures are exact when released: no noise, so large-group statistics stay those of scipy.

Respondent-level files (the research export) are checked by `check_rows`: their rows can be
matched across files, so what two files share or do not share is a group of its own.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from lms.extensions import db
from lms.privacy.models import Release

# Which answers a figure is about: each survey phase, follow-up waves too (lms.quizzes Phase
# values; this lowest layer names them, it cannot import them), and the practice questions
# of each follow-up wave, described apart from attitudes. Overlap control compares releases
# of the same quantity only.
QUANTITIES = ("pre", "post", "follow-1", "follow-2", "practice-1", "practice-2")
PRE_POST = QUANTITIES[:2]  # the main report's matched figures: before and after
# The research export's rows, recorded under categories of their own: the trainees in the
# file, and those with a row of each survey phase.
RESEARCH = "research"
RESEARCH_PHASES = {
    "pre": "research-pre",
    "post": "research-post",
    "follow-1": "research-fu1",
    "follow-2": "research-fu2",
}
CATEGORIES = (*QUANTITIES, RESEARCH, *RESEARCH_PHASES.values())


def _known(quantities: Iterable[str]) -> tuple[str, ...]:
    quantities = tuple(quantities)
    unknown = set(quantities) - set(CATEGORIES)
    if unknown:  # a figure about answers the rules do not know would escape overlap control
        raise ValueError(f"unknown quantities: {sorted(unknown)}")
    return quantities


@dataclass(frozen=True)
class Verdict:
    """Whether a group's figures may be shown and, if not, why ("small", "split", "overlap")."""

    released: bool
    reason: str | None = None
    since: datetime | None = None  # when the figures it overlaps with were shown

    def __bool__(self) -> bool:
        return self.released


RELEASED = Verdict(True)


def safe_difference(difference: int, k: int) -> bool:
    """Two groups may both be shown when they are equal or differ by at least k people."""
    return difference == 0 or difference >= k


def digest(members: Iterable[int]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(members))).encode()).hexdigest()


def _history(quantity: str, viewer_id: int | None) -> list[tuple[frozenset[int], datetime]]:
    """Every distinct group of this quantity the viewer has seen (their own releases and every
    room's), with when it was last shown."""
    seen = (
        Release.viewer_id.is_(None)
        if viewer_id is None
        else or_(Release.viewer_id == viewer_id, Release.viewer_id.is_(None))
    )
    groups: dict[str, tuple[frozenset[int], datetime]] = {}
    for key, members, created in db.session.execute(
        select(Release.digest, Release.members, Release.created_at)
        .where(seen, Release.quantity == quantity)
        .order_by(Release.created_at)
    ):
        groups[key] = (frozenset(int(m) for m in members.split(",") if m), created)
    return list(groups.values())


def _chained(members: frozenset[int], earlier: list[frozenset[int]]) -> list[frozenset[int]]:
    """The earlier groups that overlap these members, directly or through other groups: only
    they can be combined with a figure about these members."""
    reach, rest, chain = set(members), list(earlier), []
    grown = True
    while grown:
        grown = False
        for group in list(rest):
            if not reach.isdisjoint(group):
                chain.append(group)
                reach |= group
                rest.remove(group)
                grown = True
    return chain


def isolated(earlier: Iterable[frozenset[int]], new: frozenset[int], k: int) -> frozenset[int] | None:
    """Respondents whose total (so whose answers, if alone) follows from the totals of the
    earlier groups and the new one by adding and subtracting them, in a set of fewer than k,
    and did not follow from the earlier groups alone; None if there are none.

    Rows of the matrix are the groups' 0/1 indicator vectors, one column per respondent.
    Respondents in exactly the same groups have equal columns and can never be told apart,
    so each such class is one column. A class's indicator lies in the row span exactly when
    its coordinate is zero in every basis vector of the matrix's null space (SVD, with a
    tolerance)."""
    earlier = [g for g in dict.fromkeys(earlier) if g != new]
    groups = [*earlier, new]
    classes: dict[tuple[bool, ...], set[int]] = {}
    for person in frozenset().union(*groups):
        classes.setdefault(tuple(person in g for g in groups), set()).add(person)
    small = [c for c in classes if len(classes[c]) < k]
    if not small:
        return None
    import numpy as np  # only when there is something to test

    columns = list(classes)
    matrix = np.array(columns, dtype=float).T  # groups × classes

    def determined(rows) -> set[int]:
        """The columns whose unit vector lies in the span of these rows."""
        _u, singular, vt = np.linalg.svd(rows, full_matrices=True)
        top = singular.max() if singular.size else 0.0
        rank = int((singular > max(rows.shape) * np.finfo(float).eps * top).sum())
        null = vt[rank:]  # a basis of the null space, one vector a row
        return {j for j in range(rows.shape[1]) if null.shape[0] == 0 or np.all(np.abs(null[:, j]) < 1e-9)}

    now = determined(matrix) & {columns.index(c) for c in small}
    if now and earlier:
        now -= determined(matrix[:-1])  # already isolated: refusing this would not help
    return frozenset(classes[columns[min(now)]]) if now else None


def check(
    members: frozenset[int],
    k: int,
    *,
    larger: Iterable[frozenset[int]] = (),
    quantities: Iterable[str] = (),
    viewer_id: int | None = None,
    history: bool = True,
    pending: Iterable[tuple[frozenset[int], tuple[str, ...]]] = (),
) -> Verdict:
    """May figures about these respondents be shown to this viewer? (See the module rules.)

    `pending`: (group, quantities) released with this one (the same page), not written to
    the log yet."""
    if not members:
        return RELEASED  # nothing to show, nothing to protect
    if len(members) < k:
        return Verdict(False, "small")
    for group in larger:
        if not safe_difference(len(group ^ members), k):
            return Verdict(False, "split")
    quantities = _known(quantities)
    if history:
        pending = list(pending)
        for quantity in quantities:
            seen = _history(quantity, viewer_id)
            for group, created in reversed(seen):  # rule 3: pairwise, latest first
                if group != members and not safe_difference(len(group ^ members), k):
                    return Verdict(False, "overlap", created)
            # Rule 4: the rank test over the groups chained to this one.
            chain = _chained(members, [g for g, _ in seen] + [g for g, q in pending if quantity in q])
            if chain and isolated(chain, members, k) is not None:
                dates = [created for group, created in seen if group in chain]
                return Verdict(False, "overlap", max(dates) if dates else None)
    return RELEASED


def check_rows(units: dict[str, frozenset[int]], k: int, viewer_id: int) -> Verdict:
    """May a respondent-level file with these trainees (per category of RESEARCH_PHASES and
    RESEARCH) be given to this viewer, after the files they were already given?

    Rows can be matched across files by their answers, so every part of the Venn diagram of
    the files (in this one and not that one, in both, …) is a group someone can pick out:
    each must be empty or hold at least k trainees. This covers a file that differs from an
    earlier one by 1..k−1 trainees in either direction (filters, or new answers since)."""
    for category, members in units.items():
        _known((category,))
        if not members:
            continue
        seen = _history(category, viewer_id)
        chain = _chained(members, [g for g, _ in seen])
        earlier = [g for g in dict.fromkeys(chain) if g != members]
        if not earlier:
            continue  # the first file about these trainees
        before = Counter(tuple(p in g for g in earlier) for p in frozenset().union(*earlier))
        after = Counter((*(p in g for g in earlier), p in members) for p in members.union(*earlier))
        # A part is new unless it is a part of the earlier files, unchanged.
        if any(n < k and before.get(part[:-1]) != n for part, n in after.items()):
            dates = [created for group, created in seen if group in chain]
            return Verdict(False, "overlap", max(dates) if dates else None)
    return RELEASED


def record(
    members: frozenset[int], quantities: Iterable[str], viewer_id: int | None, cohort_id: int | None = None
) -> None:
    """Write down that figures about these respondents were shown (once per viewer and set)."""
    quantities = _known(quantities)
    if not members:
        return
    key = digest(members)
    for quantity in quantities:
        exists = db.session.scalar(
            select(Release.id)
            .where(
                Release.viewer_id.is_(None) if viewer_id is None else Release.viewer_id == viewer_id,
                Release.cohort_id.is_(None) if cohort_id is None else Release.cohort_id == cohort_id,
                Release.quantity == quantity,
                Release.digest == key,
            )
            .limit(1)
        )
        if exists is None:
            db.session.add(
                Release(
                    viewer_id=viewer_id,
                    cohort_id=cohort_id,
                    quantity=quantity,
                    size=len(members),
                    digest=key,
                    members=",".join(map(str, sorted(members))),
                )
            )
    db.session.flush()


def room_release(
    cohort_id: int,
    quantity: str,
    current: frozenset[int],
    k: int,
    *,
    hold: bool = False,
    viewer_id: int | None = None,
) -> frozenset[int] | None:
    """The respondents whose group figures a cohort's room shows for one survey.

    The projected figures change only when the new group differs from the last one shown by
    at least k people (so one new answer can never be read off the change), and not at all
    while `hold` (the facilitator has the survey open: the figures wait for it to close).
    """
    last = db.session.scalar(
        select(Release)
        .where(Release.cohort_id == cohort_id, Release.viewer_id.is_(None), Release.quantity == quantity)
        .order_by(Release.created_at.desc(), Release.id.desc())
        .limit(1)
    )
    _known((quantity,))
    shown = last.member_ids if last is not None else None
    if shown == current or hold:
        return shown
    if shown is None or len(shown ^ current) >= k:
        # Also against what this viewer saw elsewhere (their reports) and every room.
        if check(current, k, quantities=(quantity,), viewer_id=viewer_id):
            record(current, (quantity,), None, cohort_id)
            return current
    return shown
