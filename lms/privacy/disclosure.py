"""The disclosure-control rules every aggregate of survey answers passes through.

A figure (mean, SD, share, count of answers…) about a group of respondents is released only if:
1. the group has at least k respondents (k = REPORT_MIN_N);
2. against every larger or overlapping group the same person can see, the two groups differ
   by 0 or at least k respondents (minimum complement size), so that subtracting one from the
   other never isolates fewer than k people;
3. against every group whose figures the same person was already shown (the release log),
   the same holds (query-overlap control), for figures about the same answers ("pre" or
   "post"). Room views are projected to everyone, so their releases count for every viewer.

Figures are exact when released: no noise, so large-group statistics stay those of scipy.
"""

from __future__ import annotations

import hashlib
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


def _known(quantities: Iterable[str]) -> tuple[str, ...]:
    quantities = tuple(quantities)
    unknown = set(quantities) - set(QUANTITIES)
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


def _earlier(quantity: str, size: int, k: int, viewer_id: int | None) -> list[Release]:
    """Releases the viewer has seen (their own and every room's) that could differ from a
    group of this size by fewer than k people: the size difference bounds the difference."""
    seen = Release.viewer_id.is_(None) if viewer_id is None else or_(
        Release.viewer_id == viewer_id, Release.viewer_id.is_(None))
    return list(db.session.scalars(
        select(Release).where(seen, Release.quantity == quantity,
                              Release.size.between(size - k + 1, size + k - 1))
        .order_by(Release.created_at.desc())))


def check(members: frozenset[int], k: int, *, larger: Iterable[frozenset[int]] = (),
          quantities: Iterable[str] = (), viewer_id: int | None = None,
          history: bool = True) -> Verdict:
    """May figures about these respondents be shown to this viewer? (See the module rules.)"""
    if not members:
        return RELEASED  # nothing to show, nothing to protect
    if len(members) < k:
        return Verdict(False, "small")
    for group in larger:
        if not safe_difference(len(group ^ members), k):
            return Verdict(False, "split")
    quantities = _known(quantities)
    if history:
        key = digest(members)
        for quantity in quantities:
            for release in _earlier(quantity, len(members), k, viewer_id):
                if release.digest == key:
                    continue
                if not safe_difference(len(release.member_ids ^ members), k):
                    return Verdict(False, "overlap", release.created_at)
    return RELEASED


def record(members: frozenset[int], quantities: Iterable[str], viewer_id: int | None,
           cohort_id: int | None = None) -> None:
    """Write down that figures about these respondents were shown (once per viewer and set)."""
    quantities = _known(quantities)
    if not members:
        return
    key = digest(members)
    for quantity in quantities:
        exists = db.session.scalar(select(Release.id).where(
            Release.viewer_id.is_(None) if viewer_id is None else Release.viewer_id == viewer_id,
            Release.cohort_id.is_(None) if cohort_id is None else Release.cohort_id == cohort_id,
            Release.quantity == quantity, Release.digest == key).limit(1))
        if exists is None:
            db.session.add(Release(viewer_id=viewer_id, cohort_id=cohort_id, quantity=quantity,
                                   size=len(members), digest=key,
                                   members=",".join(map(str, sorted(members)))))
    db.session.flush()


def room_release(cohort_id: int, quantity: str, current: frozenset[int], k: int, *,
                 hold: bool = False, viewer_id: int | None = None) -> frozenset[int] | None:
    """The respondents whose group figures a cohort's room shows for one survey.

    The projected figures change only when the new group differs from the last one shown by
    at least k people (so one new answer can never be read off the change), and not at all
    while `hold` (the facilitator has the survey open: the figures wait for it to close).
    """
    last = db.session.scalar(
        select(Release).where(Release.cohort_id == cohort_id, Release.viewer_id.is_(None),
                              Release.quantity == quantity)
        .order_by(Release.created_at.desc(), Release.id.desc()).limit(1))
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
