"""Attitude, knowledge and trend figures: SQL aggregates in, scipy statistics, tables out."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from lms.reports import queries
from lms.reports.labels import MCNEMAR_VARIANTS, PHASES
from lms.reports.privacy import suppress, visible
from lms.reports.queries import Filters
from lms.reports.stats import (
    cronbach_alpha_from_variances,
    holm,
    mcnemar,
    mean_ci,
    paired_change,
)
from lms.reports.tables import COMPLEMENT, SMALL, Column, Table

if TYPE_CHECKING:  # numpy loads on the first statistic, not at start-up
    import numpy as np

OVERALL = "*"  # the bucket of all core items


def local_zone() -> ZoneInfo:
    """The platform's time zone (Vietnam unless configured otherwise): months are local."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")


@dataclass
class ItemInfo:
    key: str
    kind: str
    subscale: str | None
    audience: str
    text: str
    position: int


@dataclass
class Respondents:
    """Each trainee's scores, built from one aggregate query (never from single answers)."""

    # bucket (subscale id, "@audience" or OVERALL) -> (pre scores, post scores), matched only
    pairs: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    overall_enrolments: list[int] = field(default_factory=list)  # aligned with pairs[OVERALL]
    audience: dict[int, str] = field(default_factory=dict)  # enrolment -> cohort audience
    post_at: dict[int, datetime] = field(default_factory=dict)
    unmatched: dict[str, list[float]] = field(default_factory=dict)  # phase -> overall scores
    knowledge: tuple[list[float], list[float]] = ((), ())  # percent correct, matched
    # (phase, subscale) -> {items answered: [sum scores of each matched trainee]}
    subscale_sums: dict[tuple[str, str], dict[int, list[float]]] = field(default_factory=dict)
    # bucket -> matched trainees left out by the minimum-items rule; bucket -> items asked
    excluded: dict[str, int] = field(default_factory=dict)
    items_asked: dict[str, int] = field(default_factory=dict)


def min_item_share() -> float:
    """The share of a subscale's items a trainee must answer, before and after, to be scored."""
    return float(current_app.config.get("REPORT_MIN_ITEM_SHARE", 0.8))


def items_needed(asked: int, share: float) -> int:
    """At least one item, and at least share of the items asked (rounded up)."""
    return max(1, math.ceil(share * asked - 1e-9))


def collect_respondents(f: Filters) -> Respondents:
    """Pair each trainee's before and after scores per subscale; count the unpaired apart.

    A matched trainee's score in a subscale (and overall) counts only when they answered
    enough of its items before and after (min_item_share of the most items anyone in scope
    answered there); the others are counted in `excluded`."""
    import numpy as np

    result = Respondents(unmatched={"pre": [], "post": []})
    share = min_item_share()
    phases: dict[int, dict] = defaultdict(dict)
    for response in queries.responses(f):
        phases[response.enrolment_id][response.phase] = response
    matched = [e for e, by_phase in phases.items() if len(by_phase) == 2]
    rows = queries.respondent_scores(f)
    if rows:
        # Column arrays: one vector operation per bucket instead of a Python step per row.
        enrolment, bucket, pre_sum, pre_n, post_sum, post_n = (np.array(c) for c in zip(*rows, strict=True))
        pre_sum, pre_n = pre_sum.astype(float), pre_n.astype(int)
        post_sum, post_n = post_sum.astype(float), post_n.astype(int)
        both = np.isin(enrolment, matched)
        for name in np.unique(bucket).tolist():
            rows_of = (bucket == name) & both
            asked = int(max(pre_n[bucket == name].max(), post_n[bucket == name].max()))
            need = items_needed(asked, share)
            paired = rows_of & (pre_n >= need) & (post_n >= need)
            result.items_asked[name] = asked
            result.excluded[name] = int((rows_of & ~paired).sum())
            result.pairs[name] = (
                (pre_sum[paired] / pre_n[paired]).tolist(),
                (post_sum[paired] / post_n[paired]).tolist(),
            )
            if name.startswith("@"):
                continue
            for phase, total, n in (("pre", pre_sum, pre_n), ("post", post_sum, post_n)):
                for k in np.unique(n[rows_of]).tolist():
                    if k:
                        result.subscale_sums.setdefault((phase, name), {})[k] = total[
                            rows_of & (n == k)
                        ].tolist()
        # The overall score: every core item of a trainee, whatever its subscale.
        core = np.char.find(bucket.astype(str), "@") != 0
        people, index = np.unique(enrolment[core], return_inverse=True)
        sums = [
            np.bincount(index, weights=column[core], minlength=people.size)
            for column in (pre_sum, pre_n, post_sum, post_n)
        ]
        is_matched = np.isin(people, matched)
        asked = int(max(sums[1].max(initial=0), sums[3].max(initial=0)))
        need = items_needed(asked, share)
        paired = is_matched & (sums[1] >= need) & (sums[3] >= need)
        result.items_asked[OVERALL] = asked
        result.excluded[OVERALL] = int((is_matched & ~paired).sum())
        result.pairs[OVERALL] = (
            (sums[0][paired] / sums[1][paired]).tolist(),
            (sums[2][paired] / sums[3][paired]).tolist(),
        )
        result.overall_enrolments = people[paired].tolist()
        for phase, total, n in (("pre", sums[0], sums[1]), ("post", sums[2], sums[3])):
            alone = ~is_matched & (n > 0)
            result.unmatched[phase] = (total[alone] / n[alone]).tolist()
    knowledge_pre, knowledge_post = [], []
    for enrolment_id in matched:
        pre, post = phases[enrolment_id]["pre"], phases[enrolment_id]["post"]
        result.audience[enrolment_id] = pre.audience
        result.post_at[enrolment_id] = post.submitted_at
        if pre.knowledge_total and post.knowledge_total:
            knowledge_pre.append(100 * (pre.knowledge_correct or 0) / pre.knowledge_total)
            knowledge_post.append(100 * (post.knowledge_correct or 0) / post.knowledge_total)
    result.knowledge = (knowledge_pre, knowledge_post)
    return result


# ---- hiding small groups ---------------------------------------------------------------


def hide_row(row: dict) -> None:
    marker = row.pop("_marker", SMALL)
    for key in row:
        if key not in ("label", "group", "key", "phase"):
            row[key] = marker


def hide_small(rows: list[dict], min_n: int) -> list[dict]:
    """Hide every figure of a row describing fewer than min_n trainees."""
    for row in rows:
        if not visible(row["n"], min_n):
            hide_row(row)
    return rows


def hide_groups(rows: list[dict], min_n: int) -> list[dict]:
    """As hide_small, for rows that split a shown total: one more row goes when a hidden
    group could otherwise be worked out (its n and mean) from the total and the others."""
    kept = suppress({i: row["n"] for i, row in enumerate(rows)}, min_n, total=sum(row["n"] for row in rows))
    for i, row in enumerate(rows):
        if kept[i] is None:
            row["_marker"] = SMALL if not visible(row["n"], min_n) else COMPLEMENT
            hide_row(row)
    return rows


# ---- paired attitude statistics --------------------------------------------------------


def paired_columns(first: str, *, percent: bool = False, holm_column: bool = False) -> list[Column]:
    """Every column of a paired table, one unit per row in every export."""
    mean, sd, change = ("percent", "points", "pp") if percent else ("mean", "sd", "change")
    columns = [
        Column("label", first),
        Column("n", _("n (matched)"), "count"),
        Column("pre_mean", _("Before: mean"), mean),
        Column("pre_sd", _("Before: SD"), sd),
        Column("post_mean", _("After: mean"), mean),
        Column("post_sd", _("After: SD"), sd),
        Column("change", _("Mean change"), change),
        Column("ci_low", _("95% CI low"), change),
        Column("ci_high", _("95% CI high"), change),
        Column("t", _("t"), "stat"),
        Column("df", _("df"), "count"),
        Column("t_p", _("Paired t-test p"), "p"),
    ]
    if holm_column:
        columns.append(Column("t_p_holm", _("Paired t-test p (Holm)"), "p"))
    columns += [
        Column("wilcoxon_w", _("Wilcoxon W"), "stat"),
        Column("wilcoxon_z", _("Wilcoxon z"), "stat"),
        Column("wilcoxon_p", _("Wilcoxon p"), "p"),
        Column("dz", _("Cohen's dz"), "dz"),
        Column("dz_low", _("dz: 95% CI low"), "dz"),
        Column("dz_high", _("dz: 95% CI high"), "dz"),
        Column("improved_n", _("Improved: n"), "count"),
        Column("improved", _("Improved"), "percent"),
        Column("unchanged_n", _("Unchanged: n"), "count"),
        Column("unchanged", _("Unchanged"), "percent"),
        Column("worse_n", _("Worse: n"), "count"),
        Column("worse", _("Worse"), "percent"),
    ]
    return columns


def paired_compact(first: str, *, holm_column: bool = False) -> list[tuple[str, tuple[str, ...], str]]:
    compact = [
        (first, ("label",), "{0}"),
        (_("n"), ("n",), "{0}"),
        (_("Before: mean (SD)"), ("pre_mean", "pre_sd"), "{0} ({1})"),
        (_("After: mean (SD)"), ("post_mean", "post_sd"), "{0} ({1})"),
        (_("Change [95% CI]"), ("change", "ci_low", "ci_high"), "{0} [{1}; {2}]"),
        (_("t (df)"), ("t", "df"), "{0} ({1})"),
        (_("Paired t-test p"), ("t_p",), "{0}"),
    ]
    if holm_column:
        compact.append((_("p (Holm)"), ("t_p_holm",), "{0}"))
    compact += [
        (_("Wilcoxon W (z)"), ("wilcoxon_w", "wilcoxon_z"), "{0} ({1})"),
        (_("Wilcoxon p"), ("wilcoxon_p",), "{0}"),
        (_("Cohen's dz [95% CI]"), ("dz", "dz_low", "dz_high"), "{0} [{1}; {2}]"),
        (
            _("Improved / unchanged / worse: % (n)"),
            ("improved_n", "improved", "unchanged_n", "unchanged", "worse_n", "worse"),
            "{1} / {3} / {5} ({0} / {2} / {4})",
        ),
    ]
    return compact


def paired_row(label: str, pre, post, **extra) -> dict:
    r = paired_change(pre, post)
    share = (lambda k: 100 * k / r.n) if r.n else (lambda k: None)
    return {
        "label": label,
        **extra,
        "n": r.n,
        "pre_mean": r.pre_mean,
        "pre_sd": r.pre_sd,
        "post_mean": r.post_mean,
        "post_sd": r.post_sd,
        "change": r.mean_change,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "t": r.t,
        "df": r.df,
        "t_p": r.t_p,
        "wilcoxon_w": r.wilcoxon_w,
        "wilcoxon_z": r.wilcoxon_z,
        "wilcoxon_p": r.wilcoxon_p,
        "dz": r.cohen_dz,
        "dz_low": r.dz_low,
        "dz_high": r.dz_high,
        "improved_n": r.improved,
        "improved": share(r.improved),
        "unchanged_n": r.unchanged,
        "unchanged": share(r.unchanged),
        "worse_n": r.worse,
        "worse": share(r.worse),
    }


def adjust_holm(table: Table, p_key: str, holm_key: str) -> None:
    """Holm-adjust the p-values of the rows still shown, as one family of tests: run after
    disclosure control, so a hidden row neither counts nor shows through the others."""
    shown = [row for row in table.rows if isinstance(row.get(p_key), float)]
    for row, adjusted in zip(shown, holm([row[p_key] for row in shown]), strict=True):
        row[holm_key] = adjusted


def overall_label(people: Respondents, joint: dict, items: dict[str, ItemInfo]) -> str:
    """ "Overall (all core items)", or how many were asked when fewer were."""
    core = [i.key for i in items.values() if i.kind == "likert" and i.audience == "all"]
    asked = sum(1 for key in core if joint.get(key))
    if asked and asked < len(core):
        return _("Overall (%(asked)s of %(total)s core items asked)", asked=asked, total=len(core))
    return _("Overall (all core items)")


def subscale_tables(
    people: Respondents, subscales: list[tuple[str, str]], min_n: int, overall: str | None = None
) -> tuple[Table, Table]:
    """Paired change per core subscale and overall; and the means with CIs the chart shows."""
    import numpy as np

    change_rows, mean_rows = [], []
    for key, title in [*subscales, (OVERALL, overall or _("Overall (all core items)"))]:
        pre, post = people.pairs.get(key, ([], []))
        change_rows.append(paired_row(title, pre, post, key=key))
        pre_ci, post_ci = mean_ci(pre), mean_ci(post)
        mean_rows.append(
            {
                "label": title,
                "key": key,
                "n": len(pre),
                "pre_mean": float(np.mean(pre)) if pre else None,
                "pre_low": pre_ci[0],
                "pre_high": pre_ci[1],
                "post_mean": float(np.mean(post)) if post else None,
                "post_low": post_ci[0],
                "post_high": post_ci[1],
            }
        )
    change = Table(
        "subscales",
        _("Attitude change by subscale"),
        paired_columns(_("Subscale")),
        hide_small(change_rows, min_n),
        compact=paired_compact(_("Subscale")),
    )
    means = Table(
        "subscale_means",
        _("Mean score before and after, with 95% CI"),
        [
            Column("label", _("Subscale")),
            Column("n", _("n (matched)"), "count"),
            Column("pre_mean", _("Before: mean"), "mean"),
            Column("pre_low", _("Before: 95% CI low"), "mean"),
            Column("pre_high", _("Before: 95% CI high"), "mean"),
            Column("post_mean", _("After: mean"), "mean"),
            Column("post_low", _("After: 95% CI low"), "mean"),
            Column("post_high", _("After: 95% CI high"), "mean"),
        ],
        hide_small(mean_rows, min_n),
        compact=[
            (_("Subscale"), ("label",), "{0}"),
            (_("n"), ("n",), "{0}"),
            (_("Before: mean [95% CI]"), ("pre_mean", "pre_low", "pre_high"), "{0} [{1}; {2}]"),
            (_("After: mean [95% CI]"), ("post_mean", "post_low", "post_high"), "{0} [{1}; {2}]"),
        ],
    )
    return change, means


def min_items_table(people: Respondents, subscales: list[tuple[str, str]], overall: str, min_n: int) -> Table:
    """The minimum-items rule per subscale: items asked, items needed, trainees left out."""
    share = min_item_share()
    rows = []
    for key, title in [*subscales, (OVERALL, overall)]:
        asked = people.items_asked.get(key)
        if not asked:
            continue
        excluded = people.excluded.get(key, 0)
        rows.append(
            {
                "label": title,
                "key": key,
                "asked": asked,
                "needed": items_needed(asked, share),
                "excluded": excluded if not excluded or visible(excluded, min_n) else SMALL,
            }
        )
    return Table(
        "min_items",
        _("Scores left out by the minimum-items rule"),
        [
            Column("label", _("Subscale")),
            Column("asked", _("Items asked"), "count"),
            Column("needed", _("Items needed before and after"), "count"),
            Column("excluded", _("Matched trainees left out"), "count"),
        ],
        rows,
    )


def _variance(values_counts: list[tuple[float, int]]) -> float | None:
    n = sum(c for _v, c in values_counts)
    if n < 2:
        return None
    mean = sum(v * c for v, c in values_counts) / n
    return sum(c * (v - mean) ** 2 for v, c in values_counts) / (n - 1)


def alpha_table(
    people: Respondents,
    subscales: list[tuple[str, str]],
    items: dict[str, ItemInfo],
    joint: dict,
    f: Filters,
    min_n: int,
) -> Table:
    """Cronbach's alpha per core subscale before and after, on complete answers (listwise).

    Item variances come from the paired item distributions when every matched trainee
    answered every item (always so online); otherwise from one more aggregate query that
    keeps only the trainees who answered all of the subscale's items."""
    import numpy as np

    moments = None
    rows = []
    for key, title in subscales:
        keys = [
            i.key
            for i in items.values()
            if i.kind == "likert" and i.audience == "all" and i.subscale == key and joint.get(i.key)
        ]
        row = {"label": title, "key": key, "k": len(keys) or None}
        for index, phase in enumerate(("pre", "post")):
            by_k = people.subscale_sums.get((phase, key), {})
            k = max(by_k, default=0)
            sums = by_k.get(k, [])
            n = len(sums)
            if set(by_k) == {len(keys)} and all(sum(joint[i].values()) == n for i in keys):
                item_vars = [_variance([(pair[index], c) for pair, c in joint[i].items()]) for i in keys]
            else:
                if moments is None:
                    moments = defaultdict(lambda: defaultdict(list))
                    for ph, sub, _i, kk, m, total, squares in queries.alpha_moments(f):
                        moments[(ph, sub)][kk].append((m, float(total), float(squares)))
                item_vars = [
                    (sq - t * t / m) / (m - 1) for m, t, sq in moments[(phase, key)].get(k, []) if m > 1
                ]
                row["k"] = k or None
            alpha = None
            if n >= 2 and len(item_vars) == k and None not in item_vars:
                alpha = cronbach_alpha_from_variances(item_vars, float(np.var(sums, ddof=1)))
            row[f"n_{phase}"], row[f"alpha_{phase}"] = n, alpha
            if not visible(n, min_n):
                row[f"n_{phase}"] = row[f"alpha_{phase}"] = SMALL
        rows.append(row)
    return Table(
        "alpha",
        _("Internal consistency (Cronbach's alpha)"),
        [
            Column("label", _("Subscale")),
            Column("k", _("Items"), "count"),
            Column("n_pre", _("n before"), "count"),
            Column("alpha_pre", _("Alpha before"), "alpha"),
            Column("n_post", _("n after"), "count"),
            Column("alpha_post", _("Alpha after"), "alpha"),
        ],
        rows,
    )


def unmatched_table(people: Respondents, min_n: int) -> Table:
    import numpy as np

    rows = []
    for phase, label in (
        ("pre", _("Answered only the survey before")),
        ("post", _("Answered only the survey after")),
    ):
        scores = people.unmatched.get(phase, [])
        rows.append(
            {
                "label": label,
                "phase": str(PHASES[phase]),
                "n": len(scores),
                "mean": float(np.mean(scores)) if scores else None,
                "sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else None,
            }
        )
    return Table(
        "unmatched",
        _("Unmatched trainees (not in the paired figures)"),
        [
            Column("label", _("Group")),
            Column("n", _("n"), "count"),
            Column("mean", _("Overall score: mean"), "mean"),
            Column("sd", _("Overall score: SD"), "sd"),
        ],
        hide_small(rows, min_n),
        compact=[
            (_("Group"), ("label",), "{0}"),
            (_("n"), ("n",), "{0}"),
            (_("Overall score: mean (SD)"), ("mean", "sd"), "{0} ({1})"),
        ],
    )


def audience_table(people: Respondents, audience_label, min_n: int) -> Table:
    """Overall attitude change compared between the cohorts' audiences."""
    pre, post = people.pairs.get(OVERALL, ([], []))
    groups: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for enrolment_id, a, b in zip(people.overall_enrolments, pre, post, strict=True):
        group = groups[people.audience[enrolment_id]]
        group[0].append(a)
        group[1].append(b)
    rows = [paired_row(audience_label(code), *groups[code], key=code) for code in sorted(groups)]
    return Table(
        "audiences_change",
        _("Overall attitude change by audience"),
        paired_columns(_("Audience")),
        hide_groups(rows, min_n),
        compact=paired_compact(_("Audience")),
    )


# ---- items and knowledge ---------------------------------------------------------------


def item_distributions(f: Filters) -> dict[str, dict[tuple[int, int], int]]:
    """Item key -> {(score before, score after): matched trainees}."""
    joint: dict[str, dict[tuple[int, int], int]] = defaultdict(dict)
    for key, pre, post, count in queries.item_pairs(f):
        joint[key][(pre, post)] = count
    return joint


def _vectors(cells: dict[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    pairs = list(cells.items())
    counts = [count for _pair, count in pairs]
    pre = np.repeat([pair[0] for pair, _count in pairs], counts).astype(float)
    post = np.repeat([pair[1] for pair, _count in pairs], counts).astype(float)
    return pre, post


def item_tables(
    joint: dict, items: dict[str, ItemInfo], subscale_titles: dict[str, str], audience_label, min_n: int
) -> tuple[Table, Table, Table]:
    """Per item: paired change (core and audience-specific apart) and knowledge (McNemar)."""
    core, specific, knowledge = [], [], []
    for info in sorted(items.values(), key=lambda i: i.position):
        cells = joint.get(info.key, {})
        label = f"{info.key} · {info.text}"
        pre, post = _vectors(cells)
        if info.kind == "knowledge":
            r = mcnemar(pre > 0, post > 0)
            if not r.n:
                continue  # a question nobody in scope was asked: no empty row
            knowledge.append(
                {
                    "label": label,
                    "key": info.key,
                    "n": r.n,
                    "b": r.b,
                    "c": r.c,
                    "pre_pct": 100 * r.pre_correct / r.n if r.n else None,
                    "post_pct": 100 * r.post_correct / r.n if r.n else None,
                    "change": 100 * (r.post_correct - r.pre_correct) / r.n if r.n else None,
                    "p": r.p,
                    "method": str(MCNEMAR_VARIANTS[r.method]) if r.n else None,
                }
            )
        elif info.kind == "policy":
            continue  # reported apart, with "not applicable": lms.reports.items.policy_table
        elif info.kind == "practice":
            continue  # follow-up waves only: lms.reports.waves.practice_report
        elif info.audience == "all" and cells:  # only items someone in scope answered
            core.append(
                paired_row(
                    label, pre, post, key=info.key, group=subscale_titles.get(info.subscale, info.subscale)
                )
            )
        elif cells:  # an audience's own items only where that audience answered
            specific.append(paired_row(label, pre, post, key=info.key, group=audience_label(info.audience)))
    group_column = [Column("group", _("Group"))]
    core_table = Table(
        "items",
        _("Attitude change by item (core items)"),
        group_column + paired_columns(_("Item"), holm_column=True),
        hide_small(core, min_n),
        compact=[(_("Group"), ("group",), "{0}"), *paired_compact(_("Item"), holm_column=True)],
    )
    specific_table = Table(
        "audience_items",
        _("Attitude change by item (items for one audience)"),
        group_column + paired_columns(_("Item")),
        hide_small(specific, min_n),
        compact=[(_("Group"), ("group",), "{0}"), *paired_compact(_("Item"))],
    )
    knowledge_table = Table(
        "knowledge_items",
        _("Knowledge check: correct answers by question"),
        [
            Column("label", _("Question")),
            Column("n", _("n (matched)"), "count"),
            Column("pre_pct", _("Correct before"), "percent"),
            Column("post_pct", _("Correct after"), "percent"),
            Column("change", _("Change (percentage points)"), "pp"),
            Column("b", _("Correct before, wrong after (b)"), "count"),
            Column("c", _("Wrong before, correct after (c)"), "count"),
            Column("p", _("McNemar p"), "p"),
            Column("p_holm", _("McNemar p (Holm)"), "p"),
            Column("method", _("McNemar variant")),
        ],
        hide_small(knowledge, min_n),
    )
    return core_table, specific_table, knowledge_table


def knowledge_total_table(people: Respondents, min_n: int) -> Table:
    pre, post = people.knowledge
    row = paired_row(_("Knowledge check: % correct"), pre, post, key="knowledge")
    return Table(
        "knowledge_total",
        _("Knowledge check: overall score"),
        paired_columns(_("Score"), percent=True),
        hide_small([row], min_n),
        compact=paired_compact(_("Score")),
    )


# ---- trends ----------------------------------------------------------------------------


def period_of(moment: datetime, period: str, zone) -> str:
    """The month ("2026-03") or quarter ("2026-Q1") of a moment, in local time."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    if period == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


def trend_table(people: Respondents, period: str, min_n: int) -> Table:
    import numpy as np

    zone = local_zone()
    pre, post = people.pairs.get(OVERALL, ([], []))
    groups: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for enrolment_id, a, b in zip(people.overall_enrolments, pre, post, strict=True):
        group = groups[period_of(people.post_at[enrolment_id], period, zone)]
        group[0].append(a)
        group[1].append(b)
    rows = [
        {
            "label": key,
            "n": len(a),
            "pre_mean": float(np.mean(a)),
            "post_mean": float(np.mean(b)),
            "change": float(np.mean(b) - np.mean(a)),
        }
        for key, (a, b) in sorted(groups.items())
    ]
    return Table(
        "trend",
        _("Mean overall score by period of the survey after"),
        [
            Column("label", _("Period")),
            Column("n", _("n (matched)"), "count"),
            Column("pre_mean", _("Before: mean"), "mean"),
            Column("post_mean", _("After: mean"), "mean"),
            Column("change", _("Mean change"), "change"),
        ],
        hide_groups(rows, min_n),
    )
