"""Figures about the instrument itself: which survey version a report shows, change within
each version, item analysis for staff, "don't know" answers and the policy questions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.extensions import db
from lms.i18n import current_language
from lms.quizzes.models import (
    NOT_APPLICABLE,
    Answer,
    Phase,
    SurveyItem,
    SurveyResponse,
    SurveyVersion,
)
from lms.reports import figures, queries
from lms.reports.figures import OVERALL
from lms.reports.privacy import visible
from lms.reports.queries import Filters
from lms.reports.stats import item_analysis
from lms.reports.tables import SMALL, Column, Table


def versions_in_scope(f: Filters) -> list[SurveyVersion]:
    """Survey versions with at least one response in scope, newest first."""
    ids = queries._rows(
        queries._in_scope(select(SurveyResponse.version_id).distinct(), replace(f, version_id=None))
    )
    return list(
        db.session.scalars(
            select(SurveyVersion)
            .where(SurveyVersion.id.in_([row[0] for row in ids]))
            .order_by(SurveyVersion.number.desc())
        )
    )


def attitude_filters(f: Filters, versions: list[SurveyVersion]) -> Filters:
    """Attitude figures always describe one version: subscales of different versions hold
    different items. Unless a version is chosen, the newest one answered in scope."""
    if f.version_id is not None or not versions:
        return f
    return replace(f, version_id=versions[0].id)


def subscale_titles(version: SurveyVersion) -> list[tuple[str, str]]:
    return [(s["id"], s.get(f"title_{current_language()}") or s["title_vi"]) for s in version.subscales or []]


def version_table(
    f: Filters, versions: list[SurveyVersion], min_n: int, known: dict[int, figures.Respondents] | None = None
) -> Table:
    """Paired change per subscale within each survey version answered in scope: a trainee's
    survey after repeats the version answered before, so pairs never cross versions.
    `known`: respondents already collected for a version (the report's own)."""
    rows = []
    for version in versions:
        people = (known or {}).get(version.id) or figures.collect_respondents(
            replace(f, version_id=version.id)
        )
        group = _("Version %(number)s", number=version.number)
        for key, title in [*subscale_titles(version), (OVERALL, _("Overall (all core items)"))]:
            pre, post = people.pairs.get(key, ([], []))
            rows.append(figures.paired_row(title, pre, post, key=f"{version.number}:{key}", group=group))
    return Table(
        "versions",
        _("Attitude change within each survey version"),
        [Column("group", _("Survey version")), *figures.paired_columns(_("Subscale"))],
        figures.hide_small(rows, min_n),
        compact=[(_("Survey version"), ("group",), "{0}"), *figures.paired_compact(_("Subscale"))],
    )


# ---- item analysis (programme staff) ----------------------------------------------------


def subscale_answers(f: Filters, phase: str) -> dict[str, dict[int, dict[str, int]]]:
    """Subscale -> response -> item key -> score, for the core items of responses in scope."""
    scope = queries._scope(f)
    statement = (
        select(SurveyItem.subscale, Answer.response_id, SurveyItem.key, Answer.score)
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(SurveyItem.in_subscale, scope.c.phase == phase)
    )
    answers: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for subscale, response_id, key, score in queries._rows(statement):
        answers[subscale][response_id][key] = score
    return answers


def item_analysis_table(f: Filters, min_n: int) -> Table:
    """Per subscale and phase: each item's correlation with the rest of its subscale and
    Cronbach's alpha without it; a negative correlation is flagged (a mis-keyed import or a
    broken translation makes an item run against its subscale)."""
    version = db.session.get(SurveyVersion, f.version_id) if f.version_id else None
    titles = dict(subscale_titles(version)) if version else {}
    keys: dict[str, list[str]] = defaultdict(list)
    for item in version.items if version else []:
        if item.in_subscale:
            keys[item.subscale].append(item.key)
    rows, warnings = [], []
    for phase, phase_label in (("pre", Phase.PRE.label), ("post", Phase.POST.label)):
        answers = subscale_answers(f, phase)
        for subscale, item_keys in keys.items():
            complete = [
                [by_key[k] for k in item_keys]
                for by_key in answers.get(subscale, {}).values()
                if all(by_key.get(k) is not None for k in item_keys)
            ]
            result = item_analysis(complete)
            shown = visible(result.n, min_n)
            for key, r, alpha_without in zip(
                item_keys, result.item_rest, result.alpha_if_deleted, strict=True
            ):
                negative = shown and r is not None and r < 0
                if negative:
                    warnings.append(
                        _(
                            "%(item)s runs against its subscale (%(phase)s): check "
                            "its reverse key and both translations.",
                            item=key,
                            phase=phase_label.lower(),
                        )
                    )
                rows.append(
                    {
                        "label": key,
                        "group": titles.get(subscale, subscale),
                        "phase": phase_label,
                        "n": result.n if shown else SMALL,
                        "item_rest": r if shown else SMALL,
                        "alpha_if_deleted": alpha_without if shown else SMALL,
                        "alpha": result.alpha if shown else SMALL,
                        "warning": _("Negative: check the key and the translation") if negative else "",
                    }
                )
    table = Table(
        "item_analysis",
        _("Item analysis by subscale"),
        [
            Column("group", _("Subscale")),
            Column("label", _("Item")),
            Column("phase", _("Survey")),
            Column("n", _("n (complete answers)"), "count"),
            Column("item_rest", _("Item–rest correlation"), "alpha"),
            Column("alpha_if_deleted", _("Alpha if item deleted"), "alpha"),
            Column("alpha", _("Subscale alpha"), "alpha"),
            Column("warning", _("Warning")),
        ],
        rows,
    )
    table.notes = [
        _(
            "Item–rest correlation: Pearson correlation of an item with the sum of "
            "the other items of its subscale, over everyone in scope who answered "
            "all of them. Alpha if item deleted: Cronbach's alpha of the subscale "
            "without the item."
        ),
        *warnings,
    ]
    return table


# ---- knowledge "don't know" and the policy questions ------------------------------------


def _choices(f: Filters, items: list[SurveyItem], matched_only: bool) -> list:
    """(item key, phase, value ticked, responses) for these items, in scope."""
    if not items:
        return []  # no such item in this version: no need to read the answers
    scope = queries._scope(f, matched_only=matched_only)
    return queries._rows(
        select(SurveyItem.key, scope.c.phase, Answer.value, func.count())
        .select_from(Answer)
        .join(scope, scope.c.id == Answer.response_id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(Answer.item_id.in_([i.id for i in items]))
        .group_by(SurveyItem.key, scope.c.phase, Answer.value)
    )


def _share(part: int, whole: int):
    return 100 * part / whole if whole else None


def dont_know_table(f: Filters, items: dict, min_n: int) -> Table:
    """Per knowledge question offering "don't know": how many matched trainees chose it before
    and after (counted as not correct in the scores, shown here apart)."""
    version = db.session.get(SurveyVersion, f.version_id) if f.version_id else None
    offered = [i for i in (version.items if version else []) if i.dont_know]
    dont_know = {i.key: i.dont_know_value for i in offered}
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"pre": [0, 0], "post": [0, 0]})
    for key, phase, value, n in _choices(f, offered, matched_only=True):
        if key in dont_know:
            counts[key][phase][0] += n * (value == dont_know[key])
            counts[key][phase][1] += n
    rows = []
    for key in sorted(dont_know):
        (pre, n), (post, _n) = counts[key]["pre"], counts[key]["post"]
        info = items.get(key)
        row = {
            "label": f"{key} · {info.text}" if info else key,
            "key": key,
            "n": n,
            "pre_pct": _share(pre, n),
            "post_pct": _share(post, n),
        }
        rows.append(row)
    return Table(
        "dont_know",
        _("Knowledge check: “don't know” answers by question"),
        [
            Column("label", _("Question")),
            Column("n", _("n (matched)"), "count"),
            Column("pre_pct", _("“Don't know” before"), "percent"),
            Column("post_pct", _("“Don't know” after"), "percent"),
        ],
        figures.hide_small(rows, min_n),
    )


def policy_table(f: Filters, items: dict, min_n: int) -> Table:
    """Policy questions, apart from every attitude score: the share answering "not my role /
    not applicable" and the mean of the others (1–5, keyed like the attitude items)."""
    keyed = {
        i.key: i
        for i in (db.session.get(SurveyVersion, f.version_id).items if f.version_id else [])
        if i.kind == "policy"
    }
    tally: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: {"n": 0, "na": 0, "sum": 0.0})
    for key, phase, value, n in _choices(f, list(keyed.values()), matched_only=False):
        if key not in keyed:
            continue
        cell = tally[(key, phase)]
        cell["n"] += n
        if value == NOT_APPLICABLE:
            cell["na"] += n
        else:
            cell["sum"] += n * keyed[key].score(value)
    rows = []
    for key in sorted(keyed):
        for phase, label in (("pre", Phase.PRE.label), ("post", Phase.POST.label)):
            cell = tally.get((key, phase), {"n": 0, "na": 0, "sum": 0.0})
            answered = cell["n"] - cell["na"]
            info = items.get(key)
            rows.append(
                {
                    "label": f"{key} · {info.text}" if info else key,
                    "phase": label,
                    "n": int(cell["n"]),
                    "na_pct": _share(cell["na"], cell["n"]),
                    "mean": cell["sum"] / answered if answered else None,
                }
            )
    return Table(
        "policy_items",
        _("Views on rules and policies (not in any score)"),
        [
            Column("label", _("Question")),
            Column("phase", _("Survey")),
            Column("n", _("n"), "count"),
            Column("na_pct", _("Not my role / not applicable"), "percent"),
            Column("mean", _("Mean of the others (1–5)"), "mean"),
        ],
        figures.hide_small(rows, min_n),
    )
