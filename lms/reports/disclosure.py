"""The report's disclosure control: which of its attitude and knowledge figures may be shown
to this viewer, by the rules of lms.privacy.disclosure.

The report describes three groups of respondents: those who answered both surveys (every
paired figure, items, knowledge, trends), those who answered only the survey before, and
those who answered only the survey after. Each is checked against the groups the viewer can
also ask for (the same filters with one constraint dropped, or one cohort of a chosen list
left out) and against the groups the viewer was already shown; the subgroups inside the
report (audiences, periods, an item some skipped) against the whole group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from flask_babel import format_date
from flask_babel import gettext as _

from lms.privacy import disclosure
from lms.privacy.disclosure import PRE_POST, Verdict
from lms.reports import queries
from lms.reports.figures import Respondents, hide_row, local_zone, period_of
from lms.reports.privacy import visible
from lms.reports.queries import Filters
from lms.reports.tables import OVERLAP, SPLIT, Hidden, Table

GROUPS = {"matched": PRE_POST, "pre_only": ("pre",), "post_only": ("post",)}
# Tables whose every figure describes the trainees who answered both surveys.
PAIRED_TABLES = (
    "subscale_means",
    "subscales",
    "min_items",
    "alpha",
    "audiences_change",
    "items",
    "audience_items",
    "knowledge_total",
    "knowledge_items",
    "trend",
    "versions",
    "dont_know",
    "policy_items",
    "item_analysis",
)
# Rows describing part of the matched group (who answered an item, an audience's items).
PART_TABLES = ("subscale_means", "subscales", "items", "audience_items", "knowledge_total", "knowledge_items")


def respondent_groups(f: Filters) -> tuple[dict[str, frozenset[int]], dict[int, dict]]:
    """The three groups of enrolments in scope, and each cohort's share of every group."""
    phases: dict[int, set[str]] = defaultdict(set)
    cohort_of: dict[int, int] = {}
    for enrolment_id, phase, cohort_id in queries.respondent_phases(f):
        phases[enrolment_id].add(phase)
        cohort_of[enrolment_id] = cohort_id
    groups = {
        "matched": frozenset(e for e, p in phases.items() if len(p) == 2),
        "pre_only": frozenset(e for e, p in phases.items() if p == {"pre"}),
        "post_only": frozenset(e for e, p in phases.items() if p == {"post"}),
    }
    by_cohort: dict[int, dict] = defaultdict(lambda: {g: set() for g in GROUPS})
    for name, members in groups.items():
        for e in members:
            by_cohort[cohort_of[e]][name].add(e)
    return groups, by_cohort


def neighbours(f: Filters, forced_facilitator: bool) -> list[Filters]:
    """The larger groups the same viewer can ask for: each constraint dropped in turn."""
    out = []
    for name in ("audience", "org_type", "province", "date_from", "date_to", "version_id"):
        if getattr(f, name) is not None:
            out.append(replace(f, **{name: None}))
    if f.sources:
        out.append(replace(f, sources=()))
    if f.facilitator_id is not None and not forced_facilitator:
        out.append(replace(f, facilitator_id=None))
    if f.cohort_ids:
        out.append(replace(f, cohort_ids=()))
    return out


def _reason_line(verdict: Verdict, min_n: int) -> str:
    if verdict.reason == "overlap":
        return _(
            "Not shown: these trainees differ by fewer than %(n)s people from a group "
            "whose figures you were shown on %(date)s, so comparing the two would reveal "
            "individual answers. The figures return once the group has changed by at "
            "least %(n)s trainees.",
            n=min_n,
            date=format_date(verdict.since, "medium"),
        )
    return _(
        "Not shown: these filters leave out fewer than %(n)s trainees of a larger group "
        "you can also see, so comparing the two would reveal individual answers.",
        n=min_n,
    )


def _row_note(min_n: int) -> str:
    return _(
        "“Hidden” rows differ by fewer than %(n)s trainees from the whole group or from "
        "figures you were already shown; comparing them would reveal individual answers.",
        n=min_n,
    )


def _withhold(table: Table, line: str) -> None:
    table.rows = []
    table.withheld = line


def _hide(row: dict, marker: Hidden) -> None:
    row["_marker"] = marker
    hide_row(row)


def _shown(row: dict) -> bool:
    return not isinstance(row.get("n"), Hidden)


def _close_gap(rows: list[dict], total_shown: bool) -> None:
    """One hidden group among shown ones is the total minus the others: hide one more."""
    if not total_shown or sum(not _shown(r) for r in rows) != 1:
        return
    others = [r for r in rows if _shown(r) and r["n"]]
    if others:
        _hide(min(others, key=lambda r: r["n"]), SPLIT)


class Guard:
    """Checks every group a report shows, then records what was released to the viewer."""

    def __init__(self, min_n: int, viewer_id: int | None):
        self.min_n, self.viewer_id = min_n, viewer_id
        self.released: list[tuple[frozenset[int], tuple[str, ...]]] = []

    def check(self, members: frozenset[int], quantities, larger=()) -> Verdict:
        verdict = disclosure.check(
            members,
            self.min_n,
            larger=larger,
            quantities=quantities,
            viewer_id=self.viewer_id,
            history=self.viewer_id is not None,
            pending=self.released,
        )
        if verdict:
            self.released.append((members, tuple(quantities)))
        return verdict

    def record(self) -> None:
        if self.viewer_id is None:
            return
        for members, quantities in self.released:
            disclosure.record(members, quantities, self.viewer_id)


def protect(
    tables: dict[str, Table], people: Respondents, f: Filters, viewer, min_n: int, forced_facilitator: bool
) -> None:
    """Hide every figure of the report that would let this viewer isolate fewer than min_n
    trainees; record the groups released. Changes the tables in place."""
    guard = Guard(min_n, getattr(viewer, "id", None))
    groups, by_cohort = respondent_groups(f)
    larger = [respondent_groups(n)[0] for n in neighbours(f, forced_facilitator)]
    verdicts = {}
    for name, quantities in GROUPS.items():
        members = groups[name]
        around = [g[name] for g in larger]
        if len(f.cohort_ids) > 1:  # each chosen cohort left out in turn
            around += [members - frozenset(c[name]) for c in by_cohort.values()]
        verdicts[name] = guard.check(members, quantities, around)

    matched = verdicts["matched"]
    if not matched and matched.reason != "small":
        for key in PAIRED_TABLES:
            if key in tables:  # the instrument-quality table is for programme staff only
                _withhold(tables[key], _reason_line(matched, min_n))
    elif matched:
        _protect_parts(tables, people, groups["matched"], f.period, guard, min_n)
    for row, name in zip(tables["unmatched"].rows, ("pre_only", "post_only"), strict=True):
        verdict = verdicts[name]
        if not verdict and verdict.reason != "small" and _shown(row):
            _hide(row, OVERLAP if verdict.reason == "overlap" else SPLIT)
            tables["unmatched"].notes.insert(0, _reason_line(verdict, min_n))
    guard.record()


def _protect_parts(
    tables: dict[str, Table],
    people: Respondents,
    matched: frozenset[int],
    period: str,
    guard: Guard,
    min_n: int,
) -> None:
    """Subgroups of the matched trainees: audiences and periods (checked as groups of their
    own), and rows about fewer than all of them (an item some did not answer)."""
    enrolments = people.overall_enrolments
    zone = local_zone()
    subgroups = {
        "audiences_change": lambda e: people.audience[e],
        "trend": lambda e: period_of(people.post_at[e], period, zone),
    }
    for key, group_of in subgroups.items():
        members: dict[str, set[int]] = defaultdict(set)
        for e in enrolments:
            members[group_of(e)].add(e)
        rows = tables[key].rows
        hidden_before = sum(not _shown(r) for r in rows)
        for row in rows:
            code = row.get("key") if key == "audiences_change" else row["label"]
            group = frozenset(members.get(code, ()))
            if _shown(row) and group:
                verdict = guard.check(group, PRE_POST, [frozenset(enrolments)])
                if not verdict:
                    _hide(row, OVERLAP if verdict.reason == "overlap" else SPLIT)
        if sum(not _shown(r) for r in rows) > hidden_before:
            _close_gap(rows, True)
            tables[key].notes.insert(0, _row_note(min_n))
    whole = len(matched)
    for key in PART_TABLES:
        hid = False
        for row in tables[key].rows:
            n = row.get("n")
            if isinstance(n, int) and visible(n, min_n) and not disclosure.safe_difference(whole - n, min_n):
                _hide(row, SPLIT)
                hid = True
        if hid:
            tables[key].notes.insert(0, _row_note(min_n))
    for row in tables["alpha"].rows:
        for phase in ("pre", "post"):
            n = row.get(f"n_{phase}")
            if isinstance(n, int) and not disclosure.safe_difference(whole - n, min_n):
                row[f"n_{phase}"] = row[f"alpha_{phase}"] = SPLIT


def overall_verdict(f: Filters, viewer, min_n: int) -> bool:
    """For a headline figure over all matched trainees in scope (the staff home page)."""
    guard = Guard(min_n, getattr(viewer, "id", None))
    groups, _by_cohort = respondent_groups(f)
    verdict = guard.check(groups["matched"], PRE_POST)
    guard.record()
    return bool(verdict)
