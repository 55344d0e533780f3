"""Three-wave reports: before -> after -> follow-up, whether the change lasts.

Method (shown in the report's methods note). The analysis uses the trainees who answered all
three waves (complete cases), so that every mean describes the same people. Three planned
paired contrasts answer the evaluation's three questions directly: did attitudes change
(after - before), is the change still there (follow-up - before), how much faded
(follow-up - after). Each is a paired t-test; the three p-values of a subscale or item are
adjusted together with Holm's step-down method (statsmodels `multipletests`), which controls
the family-wise error like Bonferroni but is uniformly more powerful. A linear mixed model
would also use trainees who missed the follow-up, but assumes those losses are ignorable given
the earlier waves; with workshop-sized groups and few cohorts the random-effect variance is
poorly estimated, so the report shows the attrition table instead: who answered each wave,
and whether those lost at follow-up scored differently before the training (Welch's t-test).
Retention = (follow-up - before) / (after - before) on the group means, with a percentile
bootstrap 95% CI resampling trainees (2,000 resamples, fixed seed); it is not given when the
change after the training is too small to divide by (under 0.05 points on the 1-5 scale).

Practice since the training (asked at follow-up waves only, never scored) is described, not
tested: per audience, how many of those who answered the wave ticked each band of each question.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.privacy import disclosure
from lms.quizzes.models import NOT_APPLICABLE, PRACTICE_BANDS, Answer, SurveyItem, SurveyResponse
from lms.reports.privacy import suppress
from lms.reports.stats import mean_ci

if TYPE_CHECKING:  # numpy loads on the first statistic, not at start-up
    import numpy as np

CONTRASTS = (("post", "pre"), ("follow", "pre"), ("follow", "post"))
MIN_DENOMINATOR = 0.05
ITEM = "item:"  # the prefix of an item's row (its key follows), after the subscales' rows
BOOTSTRAP = 2000
METHOD_NOTE = _l(
    "Trainees who answered all three surveys. Means with 95% CIs (t "
    "distribution). Changes: paired t-tests for after − before, follow-up − before and "
    "follow-up − after, with the three p-values adjusted by Holm's method. Retention = "
    "(follow-up − before) / (after − before): 1 means the whole change lasted, 0 that it was "
    "lost; 95% CI by bootstrap over trainees. Attrition: those lost at follow-up are compared "
    "with those who answered it on their score before the training (Welch's t-test)."
)


def _stats():
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Contrast:
    later: str
    earlier: str
    mean_difference: float
    t: float | None
    p: float | None
    p_holm: float | None


@dataclass
class ThreeWave:
    n: int
    means: dict[str, tuple[float, float | None, float | None]]  # wave -> (mean, low, high)
    contrasts: list[Contrast] = field(default_factory=list)
    retention: float | None = None
    retention_ci: tuple[float | None, float | None] = (None, None)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (None stays None)."""
    from statsmodels.stats.multitest import multipletests

    known = [(i, p) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    if known:
        corrected = multipletests([p for _i, p in known], method="holm")[1]
        for (i, _p), value in zip(known, corrected, strict=True):
            adjusted[i] = float(value)
    return adjusted


def retention(pre: np.ndarray, post: np.ndarray, follow: np.ndarray) -> float | None:
    gain = float(post.mean() - pre.mean())
    if abs(gain) < MIN_DENOMINATOR:
        return None
    return float(follow.mean() - pre.mean()) / gain


def retention_ci(
    pre, post, follow, *, resamples: int = BOOTSTRAP, seed: int = 20080901
) -> tuple[float | None, float | None]:
    """Percentile bootstrap over trainees (the three answers of a trainee stay together)."""
    import numpy as np

    data = np.column_stack([pre, post, follow]).astype(float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), (resamples, len(data)))].mean(axis=1)
    gains = means[:, 1] - means[:, 0]
    kept = np.abs(gains) >= MIN_DENOMINATOR  # as retention(): no ratio without a gain
    values = (means[kept, 2] - means[kept, 0]) / gains[kept]
    if len(values) < 0.95 * resamples:  # the gain often vanishes: no honest interval
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def three_wave(
    pre: Sequence[float], post: Sequence[float], follow: Sequence[float], *, resamples: int = BOOTSTRAP
) -> ThreeWave:
    """Means, Holm-adjusted paired contrasts and retention for complete cases."""
    import numpy as np

    waves = {
        "pre": np.asarray(pre, float),
        "post": np.asarray(post, float),
        "follow": np.asarray(follow, float),
    }
    n = len(waves["pre"])
    result = ThreeWave(n, {name: (float(v.mean()), *mean_ci(v)) for name, v in waves.items()})
    raw = []
    for later, earlier in CONTRASTS:
        d = waves[later] - waves[earlier]
        if n < 2 or float(np.std(d, ddof=1)) < 1e-12:
            raw.append((float(d.mean()) if n else math.nan, None, None))
            continue
        test = _stats().ttest_rel(waves[later], waves[earlier])
        raw.append((float(d.mean()), float(test.statistic), float(test.pvalue)))
    adjusted = holm([p for _m, _t, p in raw])
    result.contrasts = [
        Contrast(later, earlier, m, t, p, a)
        for (later, earlier), (m, t, p), a in zip(CONTRASTS, raw, adjusted, strict=True)
    ]
    if n >= 2:
        result.retention = retention(waves["pre"], waves["post"], waves["follow"])
        if result.retention is not None:
            result.retention_ci = retention_ci(
                waves["pre"], waves["post"], waves["follow"], resamples=resamples
            )
    return result


@dataclass(frozen=True)
class Attrition:
    answered: dict[str, int]  # wave -> trainees who answered it
    retained: int
    lost: int
    pre_retained: float | None
    pre_lost: float | None
    p: float | None  # Welch's t-test of the score before training, retained vs lost


def attrition(pre_scores: dict[int, float], answered: dict[str, set[int]], follow: str) -> Attrition:
    """Among those who answered before and after, did those lost at follow-up differ before?"""
    import numpy as np

    base = answered["pre"] & answered["post"]
    kept, lost = base & answered[follow], base - answered[follow]
    a = np.array([pre_scores[i] for i in kept if i in pre_scores])
    b = np.array([pre_scores[i] for i in lost if i in pre_scores])
    p = None
    if len(a) >= 2 and len(b) >= 2:
        p = float(_stats().ttest_ind(a, b, equal_var=False).pvalue)
    return Attrition(
        {wave: len(ids) for wave, ids in answered.items()},
        len(kept),
        len(lost),
        float(a.mean()) if len(a) else None,
        float(b.mean()) if len(b) else None,
        p,
    )


# --- From the database, through the disclosure control -----------------------------------


def _scores(cohort_ids: Sequence[int], phases: Sequence[str]) -> dict:
    """(enrolment id, phase) -> {subscale: mean keyed score} over core attitude items,
    plus "_overall"."""
    rows = db.session.execute(
        select(
            SurveyResponse.enrolment_id,
            SurveyResponse.phase,
            SurveyItem.subscale,
            func.sum(Answer.score),
            func.count(Answer.score),
        )
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(
            Enrolment.cohort_id.in_(cohort_ids),
            SurveyResponse.phase.in_(phases),
            SurveyItem.in_subscale,
            Answer.score.is_not(None),
        )
        .group_by(SurveyResponse.enrolment_id, SurveyResponse.phase, SurveyItem.subscale)
    )
    scores: dict = defaultdict(dict)
    totals: dict = defaultdict(lambda: [0, 0])
    for enrolment_id, phase, subscale, total, count in rows:
        scores[(enrolment_id, phase)][subscale] = total / count
        totals[(enrolment_id, phase)][0] += total
        totals[(enrolment_id, phase)][1] += count
    for key, (total, count) in totals.items():
        scores[key]["_overall"] = total / count
    for enrolment_id, phase, item_key, score in db.session.execute(
        select(SurveyResponse.enrolment_id, SurveyResponse.phase, SurveyItem.key, Answer.score)
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(
            Enrolment.cohort_id.in_(cohort_ids),
            SurveyResponse.phase.in_(phases),
            SurveyItem.in_subscale,
            Answer.score.is_not(None),
        )
    ):
        scores[(enrolment_id, phase)][f"{ITEM}{item_key}"] = float(score)
    return scores


@dataclass
class WaveReport:
    follow: str
    released: bool
    reason: str | None
    n: int
    rows: list[tuple[str, ThreeWave]]  # subscale id (or "_overall") -> statistics
    attrition: Attrition | None
    attrition_released: bool


def wave_report(cohort_ids: Sequence[int], follow: str, min_n: int, viewer_id: int | None) -> WaveReport:
    """The three-wave figures for these cohorts, shown only if the disclosure rules allow:
    the complete-case group, and the retained and lost groups of the attrition table."""
    phases = ("pre", "post", follow)
    scores = _scores(cohort_ids, phases)
    answered = {phase: {e for (e, p) in scores if p == phase} for phase in phases}
    complete = frozenset(answered["pre"] & answered["post"] & answered[follow])
    verdict = disclosure.check(
        complete, min_n, quantities=phases, viewer_id=viewer_id, history=viewer_id is not None
    )
    rows = []
    if verdict and complete:
        keys = {k for e in complete for k in scores[(e, "pre")]} - {"_overall"}
        subscales = sorted(k for k in keys if not k.startswith(ITEM))
        items = sorted(k for k in keys if k.startswith(ITEM))
        for key in ["_overall", *subscales, *items]:
            people = [e for e in sorted(complete) if all(key in scores[(e, p)] for p in phases)]
            if len(people) < min_n:
                continue
            rows.append((key, three_wave(*[[scores[(e, p)][key] for e in people] for p in phases])))
    base = answered["pre"] & answered["post"]
    kept, lost = frozenset(base & answered[follow]), frozenset(base - answered[follow])
    attrition_ok = bool(base) and all(
        disclosure.check(
            group,
            min_n,
            larger=[frozenset(base)],
            quantities=("pre",),
            viewer_id=viewer_id,
            history=viewer_id is not None,
        )
        for group in (kept, lost)
        if group
    )
    table = (
        attrition(
            {e: scores[(e, "pre")]["_overall"] for e in base if "_overall" in scores[(e, "pre")]},
            answered,
            follow,
        )
        if attrition_ok
        else None
    )
    if viewer_id is not None:
        if verdict and complete:
            disclosure.record(complete, phases, viewer_id)
        if attrition_ok:
            for group in (kept, lost):
                disclosure.record(group, ("pre",), viewer_id)
    return WaveReport(follow, bool(verdict), verdict.reason, len(complete), rows, table, attrition_ok)


# --- Practice since the training (follow-up waves only) ----------------------------------

PRACTICE_VALUES = (*range(1, len(PRACTICE_BANDS) + 1), NOT_APPLICABLE)  # columns, in order


@dataclass(frozen=True)
class PracticeRow:
    key: str
    n: int  # trainees who answered the question (every band and "does not apply")
    counts: dict[int, int | None]  # value -> trainees (PRACTICE_VALUES); None: not shown


@dataclass(frozen=True)
class PracticeTable:
    audience: str
    n: int  # trainees of this audience who answered the wave's practice questions
    released: bool
    reason: str | None
    rows: list[PracticeRow]


def practice_answers(cohort_ids: Sequence[int], follow: str) -> list[tuple[int, str, str, int]]:
    """(enrolment id, item key, item audience, value) of every practice answer at this wave."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(SurveyResponse.enrolment_id, SurveyItem.key, SurveyItem.audience, Answer.value)
            .join(Answer, Answer.response_id == SurveyResponse.id)
            .join(SurveyItem, SurveyItem.id == Answer.item_id)
            .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
            .where(
                Enrolment.cohort_id.in_(cohort_ids),
                SurveyResponse.phase == follow,
                SurveyItem.kind == "practice",
            )
        )
    ]


def practice_report(
    cohort_ids: Sequence[int], follow: str, min_n: int, viewer_id: int | None
) -> list[PracticeTable]:
    """Per audience, how many trainees ticked each band of each practice question at this
    wave. An audience's table is shown only if its group passes the disclosure rules (its own
    release history: these answers are no one else's); inside it, counts of 1 to k-1 are
    hidden, with one more where the row total would give a lone hidden count away."""
    quantity = follow.replace("follow", "practice")  # "practice-1": apart from attitudes
    by_audience: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for enrolment_id, key, audience, value in practice_answers(cohort_ids, follow):
        by_audience[audience][key][enrolment_id] = value
    tables = []
    for audience in sorted(by_audience):
        answers = by_audience[audience]
        members = frozenset(e for by_person in answers.values() for e in by_person)
        verdict = disclosure.check(
            members, min_n, quantities=(quantity,), viewer_id=viewer_id, history=viewer_id is not None
        )
        rows = []
        if verdict:
            for key in sorted(answers):
                values = list(answers[key].values())
                if len(values) < min_n:
                    continue  # a question few were asked (an older version's): no row
                cells = {v: values.count(v) for v in PRACTICE_VALUES}
                rows.append(PracticeRow(key, len(values), suppress(cells, min_n, len(values))))
            if viewer_id is not None:
                disclosure.record(members, (quantity,), viewer_id)
        tables.append(PracticeTable(audience, len(members), bool(verdict), verdict.reason, rows))
    return tables
