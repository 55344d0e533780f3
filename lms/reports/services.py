"""Reports: who may see which cohorts, the participation overview and the assembled report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import current_app
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortFacilitator
from lms.cohorts.services import has_live_surveys, managed_cohort_or_404
from lms.extensions import db
from lms.i18n import current_language
from lms.models import utcnow
from lms.permissions import Permission
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Phase, SurveyVersion
from lms.reports import charts, disclosure, figures, queries
from lms.reports import items as report_items
from lms.reports.figures import OVERALL, ItemInfo
from lms.reports.labels import METHOD_LABELS, NOTES, SOURCES
from lms.reports.privacy import suppress_table, visible
from lms.reports.queries import Filters
from lms.reports.tables import COMPLEMENT, SMALL, Column, Hidden, Table, cell_text, display, number_text
from lms.vocab import AUDIENCES, COHORT_AUDIENCES, ORG_TYPES, label, province_name

COUNT_KEYS = ("pre_done", "post_done", "matched", "certificates")


@dataclass
class Section:
    key: str
    title: str
    tables: list[str]
    charts: list[tuple[str, str]] = field(default_factory=list)  # (chart, its data table)
    notes: list[str] = field(default_factory=list)

    @property
    def other_tables(self) -> list[str]:
        """Tables not already shown beside a chart."""
        shown = {table for _chart, table in self.charts}
        return [key for key in self.tables if key not in shown]


@dataclass
class Report:
    filters: Filters
    description: list[tuple[str, str]]  # the filters, echoed in every export
    min_n: int
    generated_at: datetime
    tables: dict[str, Table]
    charts: dict[str, charts.Chart]
    sections: list[Section]
    methods: list[str]  # every method and note, for the methods section
    privacy_note: str
    headline: list[str] = field(default_factory=list)  # the first page, in plain words


def min_group_size() -> int:
    return current_app.config.get("REPORT_MIN_N", 5)


def audience_label(code: str | None) -> str:
    return label(AUDIENCES | COHORT_AUDIENCES, code)


# ---- who sees what ---------------------------------------------------------------------


def sees_all_cohorts(user) -> bool:
    return user.can(Permission.MANAGE_ALL_COHORTS)


def restrict_filters(user, filters: Filters) -> Filters:
    """Programme staff see every cohort; a facilitator only their own: the facilitator filter
    is forced to them, and naming anyone else's cohort is a 404. Facilitators see whole
    cohorts only: no filter on who the trainees are or how they answered splits a cohort."""
    if sees_all_cohorts(user):
        return filters
    for cohort_id in filters.cohort_ids:
        managed_cohort_or_404(user, cohort_id)
    return replace(filters, facilitator_id=user.id, org_type=None, sources=())


def report_cohorts(user) -> list[Cohort]:
    """Cohorts the user may report on, newest first (historical imports included for staff,
    unless every import of the cohort was undone)."""
    query = (
        select(Cohort)
        .where(or_(Cohort.historical.is_(False), has_live_surveys()))
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if not sees_all_cohorts(user):
        query = query.join(CohortFacilitator).where(CohortFacilitator.user_id == user.id)
    return list(db.session.scalars(query))


def facilitators() -> list[User]:
    """Everyone who facilitates at least one cohort."""
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(select(CohortFacilitator.user_id))).order_by(User.full_name)
        )
    )


def survey_versions() -> list[SurveyVersion]:
    return list(db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number.desc())))


def describe_filters(f: Filters) -> list[tuple[str, str]]:
    """The filters in words, for the page heading and every export."""
    everything = _("All")
    cohorts = (
        db.session.scalars(select(Cohort.name).where(Cohort.id.in_(f.cohort_ids)).order_by(Cohort.name)).all()
        if f.cohort_ids
        else []
    )
    facilitator = db.session.get(User, f.facilitator_id) if f.facilitator_id else None
    version = db.session.get(SurveyVersion, f.version_id) if f.version_id else None
    return [
        (_("Cohorts"), "; ".join(cohorts) or everything),
        (_("Audience"), audience_label(f.audience) if f.audience else everything),
        (_("Organisation type"), label(ORG_TYPES, f.org_type) if f.org_type else everything),
        (_("Province or city"), province_name(f.province) if f.province else everything),
        (_("Facilitator"), facilitator.full_name if facilitator else everything),
        (_("Cohorts starting from"), f.date_from.isoformat() if f.date_from else "–"),
        (_("Cohorts starting until"), f.date_to.isoformat() if f.date_to else "–"),
        (_("Survey version"), str(version.number) if version else everything),
        (_("Data sources"), ", ".join(str(SOURCES[s]) for s in f.sources) or everything),
    ]


# ---- participation ---------------------------------------------------------------------


def _mark_hidden(raw: list[dict], kept: list[dict], keys, min_n: int) -> list[dict]:
    """Turn the None of privacy.suppress_table into a marker saying why a count is hidden."""
    for before, after in zip(raw, kept, strict=True):
        for key in keys:
            if after[key] is None:
                after[key] = SMALL if not visible(before[key], min_n) else COMPLEMENT
    return kept


def _count_columns(first: list[Column]) -> list[Column]:
    return [
        *first,
        Column("enrolled", _("Enrolled"), "count"),
        Column("pre_done", _("Survey before done"), "count"),
        Column("post_done", _("Survey after done"), "count"),
        Column("matched", _("Both surveys (matched)"), "count"),
        Column("certificates", _("Certificates"), "count"),
    ]


def _grouped(rows: list[dict], key) -> list[dict]:
    groups: dict[str, dict] = {}
    for row in rows:
        code = key(row)
        group = groups.setdefault(code, {"code": code, "enrolled": 0, **{k: 0 for k in COUNT_KEYS}})
        for k in ("enrolled", *COUNT_KEYS):
            group[k] += row[k]
    return list(groups.values())


def _protected(rows: list[dict], min_n: int) -> list[dict]:
    kept = suppress_table(rows, COUNT_KEYS, min_n, "enrolled", column_totals=True)
    return _mark_hidden(rows, kept, ("enrolled", *COUNT_KEYS), min_n)


def overview_tables(f: Filters, min_n: int) -> dict[str, Table]:
    """Enrolled, surveys done, matched and certificates: in total and by cohort, audience and
    province, with small counts hidden and complements so they cannot be worked out."""
    cohort_rows = [dict(row._mapping) for row in queries.overview_by_cohort(f)]
    total = {
        "label": _("All cohorts in this report"),
        "cohorts": len(cohort_rows),
        **{k: sum(r[k] for r in cohort_rows) for k in ("enrolled", *COUNT_KEYS)},
    }
    for k in ("enrolled", *COUNT_KEYS):  # the totals row is the column totals of the others
        if not visible(total[k], min_n):
            total[k] = SMALL
    for row in cohort_rows:
        row["label"] = _("%(name)s (historical)", name=row["name"]) if row["historical"] else row["name"]
        row["audience_name"] = audience_label(row["audience"])
        row["province_name"] = province_name(row["province"])
        row["start"] = row["start_date"].isoformat()
    by_cohort = _protected(cohort_rows, min_n)
    by_audience = _protected(_grouped(cohort_rows, lambda r: r["audience"]), min_n)
    by_province = _protected(_grouped(cohort_rows, lambda r: r["province"]), min_n)
    for row in by_audience:
        row["label"] = audience_label(row["code"])
    for row in by_province:
        row["label"] = province_name(row["code"])
    return {
        "overview": Table(
            "overview",
            _("Participation"),
            _count_columns([Column("label", _("Scope")), Column("cohorts", _("Cohorts"), "count")]),
            [total],
        ),
        "cohorts": Table(
            "cohorts",
            _("Participation by cohort"),
            _count_columns(
                [
                    Column("label", _("Cohort")),
                    Column("audience_name", _("Audience")),
                    Column("province_name", _("Province or city")),
                    Column("start", _("Start date")),
                ]
            ),
            by_cohort,
        ),
        "audiences": Table(
            "audiences",
            _("Participation by audience"),
            _count_columns([Column("label", _("Audience"))]),
            sorted(by_audience, key=lambda r: r["label"]),
        ),
        "provinces": Table(
            "provinces",
            _("Participation by province"),
            _count_columns([Column("label", _("Province or city"))]),
            sorted(by_province, key=lambda r: r["label"]),
        ),
    }


# ---- the whole report ------------------------------------------------------------------


def instrument(f: Filters) -> tuple[dict[str, ItemInfo], list[tuple[str, str]]]:
    """Items by stable key (wording from the newest version) and the core subscales in order."""
    chosen = db.session.get(SurveyVersion, f.version_id) if f.version_id else None
    versions = [chosen] if chosen else survey_versions()
    items: dict[str, ItemInfo] = {}
    subscales: dict[str, str] = {}
    for rank, version in enumerate(versions):
        for s in version.subscales or []:
            subscales.setdefault(s["id"], s.get(f"title_{current_language()}") or s["title_vi"])
        for item in version.items:
            if item.key not in items:
                items[item.key] = ItemInfo(
                    item.key,
                    item.kind,
                    item.subscale,
                    item.audience,
                    item.text("text"),
                    rank * 1000 + item.position,
                )
    return items, list(subscales.items())


def _chart_value(value):
    return None if isinstance(value, Hidden) or value is None else value


def _charts(tables: dict[str, Table]) -> dict[str, charts.Chart]:
    def mean(v):
        return number_text(v, "mean")

    def count(n):
        return number_text(n, "count")

    before, after = Phase.PRE.label, Phase.POST.label
    total = tables["overview"].rows[0]
    steps = [(c.label, _chart_value(total[c.key])) for c in tables["overview"].columns[2:]]
    bars = [
        (
            r["label"],
            *(
                _chart_value(r[k])
                for k in ("pre_mean", "pre_low", "pre_high", "post_mean", "post_low", "post_high")
            ),
        )
        for r in tables["subscale_means"].rows
    ]
    points = [
        (r["label"], _chart_value(r["pre_mean"]), _chart_value(r["post_mean"])) for r in tables["trend"].rows
    ]
    return {
        "funnel": charts.funnel(_("Participation: from enrolment to certificate"), steps, fmt=count),
        "bars": charts.pre_post_bars(
            _("Attitude scores before and after (1–5, higher = less stigma)"), bars, before, after, fmt=mean
        ),
        "trend": charts.trend(_("Mean overall score by period"), points, before, after, fmt=mean),
    }


def build_report(f: Filters, min_n: int | None = None, viewer=None, *, item_analysis: bool = False) -> Report:
    """Every figure of the report for these filters, small groups already hidden, and no
    figure this viewer could difference against another they can see or have seen (the
    groups released are recorded for them). `item_analysis` adds the instrument-quality
    section (programme staff only)."""
    min_n = min_group_size() if min_n is None else min_n
    queries.prepare_session()
    tables = overview_tables(f, min_n)
    scope = f
    versions = (
        report_items.versions_in_scope(f)
        if f.version_id is None
        else [db.session.get(SurveyVersion, f.version_id)]
    )
    f = report_items.attitude_filters(f, versions)  # attitude figures: one survey version
    items, subscales = instrument(f)
    people = figures.collect_respondents(f)
    tables["versions"] = report_items.version_table(
        scope, [v for v in versions if v], min_n, known={f.version_id: people}
    )
    joint = figures.item_distributions(f)
    overall = figures.overall_label(people, joint, items)
    tables["subscales"], tables["subscale_means"] = figures.subscale_tables(people, subscales, min_n, overall)
    tables["min_items"] = figures.min_items_table(people, subscales, overall, min_n)
    tables["alpha"] = figures.alpha_table(people, subscales, items, joint, f, min_n)
    tables["unmatched"] = figures.unmatched_table(people, min_n)
    tables["audiences_change"] = figures.audience_table(people, audience_label, min_n)
    tables["items"], tables["audience_items"], tables["knowledge_items"] = figures.item_tables(
        joint, items, dict(subscales), audience_label, min_n
    )
    tables["knowledge_total"] = figures.knowledge_total_table(people, min_n)
    tables["trend"] = figures.trend_table(people, f.period, min_n)
    tables["dont_know"] = report_items.dont_know_table(f, items, min_n)
    tables["policy_items"] = report_items.policy_table(f, items, min_n)
    # the methods are written once, in the methods section, not under every table
    if item_analysis:
        tables["item_analysis"] = report_items.item_analysis_table(f, min_n)
    disclosure.protect(
        tables,
        people,
        f,
        viewer,
        min_n,
        forced_facilitator=viewer is not None and not sees_all_cohorts(viewer),
    )
    # Holm over the tests still shown: a hidden row neither counts nor shows through
    figures.adjust_holm(tables["items"], "t_p", "t_p_holm")
    figures.adjust_holm(tables["knowledge_items"], "p", "p_holm")
    sections = [
        Section(
            "participation",
            _("Participation"),
            ["overview", "cohorts", "audiences", "provinces"],
            [("funnel", "overview")],
        ),
        Section(
            "attitudes",
            _("Attitude change"),
            [
                "subscale_means",
                "subscales",
                "min_items",
                "alpha",
                "unmatched",
                "audiences_change",
                "versions",
            ],
            [("bars", "subscale_means")],
            [str(NOTES["scores"]), str(NOTES["matched"]), _version_note(scope, f)],
        ),
        Section(
            "items",
            _("Attitude change by item"),
            ["items", "audience_items", "policy_items"],
            notes=[str(NOTES["audience_items"])],
        ),
        Section(
            "knowledge",
            _("Knowledge"),
            ["knowledge_total", "knowledge_items", "dont_know"],
            notes=[str(NOTES["knowledge"])],
        ),
        Section("trend", _("Trends"), ["trend"], [("trend", "trend")]),
    ]
    if item_analysis:
        sections.append(Section("instrument", _("Instrument quality"), ["item_analysis"]))
    privacy = _(
        "Figures about fewer than %(n)s trainees are not shown. Where a small group "
        "could be worked out from a total, one more figure is hidden as well. Nor are "
        "figures shown that differ by fewer than %(n)s trainees from another group "
        "you can see or have already seen.",
        n=min_n,
    )
    share = format_percent(figures.min_item_share(), format="0%")
    methods = [
        *(str(METHOD_LABELS[k]) for k in METHOD_LABELS),
        str(NOTES["scores"]),
        str(NOTES["min_items"]) % {"share": share},
        str(NOTES["matched"]),
        str(NOTES["shares"]),
        str(NOTES["knowledge"]),
        str(NOTES["trend"]),
        privacy,
        str(NOTES["dates"]),
    ]
    return Report(
        scope,
        describe_filters(scope),
        min_n,
        utcnow(),
        tables,
        _charts(tables),
        sections,
        methods,
        privacy,
        headline(tables, min_n),
    )


def headline(tables: dict[str, Table], min_n: int) -> list[str]:
    """The report's first page in plain words, from figures already through disclosure
    control: who was trained, how many answered, the change per subscale, knowledge."""
    total = tables["overview"].rows[0]

    def count(key):
        return cell_text(total[key], "count", min_n)

    audiences = "; ".join(
        f"{r['label']} ({cell_text(r['enrolled'], 'count', min_n)})" for r in tables["audiences"].rows
    )
    lines = [
        _(
            "Trained: %(enrolled)s people in %(cohorts)s cohorts (%(audiences)s).",
            enrolled=count("enrolled"),
            cohorts=count("cohorts"),
            audiences=audiences,
        )
    ]
    lines.append(
        _(
            "%(pre)s answered the survey before the training and %(post)s after; "
            "%(matched)s answered both and are compared below.",
            pre=count("pre_done"),
            post=count("post_done"),
            matched=count("matched"),
        )
    )
    lines.append(_("Scores run from 1 to 5; a higher score means less stigma."))
    for row in tables["subscales"].rows:
        if not isinstance(row.get("change"), float):
            continue  # hidden (too few trainees) or not computable: see the details

        def text(key, kind, row=row):
            return cell_text(row.get(key), kind, min_n)

        if isinstance(row.get("ci_low"), float) and isinstance(row.get("dz"), float):
            lines.append(
                _(
                    "%(subscale)s: %(pre)s before, %(post)s after (n = %(n)s): change %(change)s "
                    "(95%% CI %(low)s to %(high)s), effect size dz = %(dz)s (95%% CI %(dz_low)s "
                    "to %(dz_high)s), p = %(p)s.",
                    subscale=row["label"],
                    pre=text("pre_mean", "mean"),
                    post=text("post_mean", "mean"),
                    n=text("n", "count"),
                    change=text("change", "change"),
                    low=text("ci_low", "change"),
                    high=text("ci_high", "change"),
                    dz=text("dz", "dz"),
                    dz_low=text("dz_low", "dz"),
                    dz_high=text("dz_high", "dz"),
                    p=text("t_p", "p"),
                )
            )
        else:
            lines.append(
                _(
                    "%(subscale)s: %(pre)s before, %(post)s after (n = %(n)s): change %(change)s.",
                    subscale=row["label"],
                    pre=text("pre_mean", "mean"),
                    post=text("post_mean", "mean"),
                    n=text("n", "count"),
                    change=text("change", "change"),
                )
            )
    knowledge = (tables["knowledge_total"].rows or [{}])[0]
    if isinstance(knowledge.get("change"), float):
        lines.append(
            _(
                "Knowledge check: %(pre)s of answers correct before, %(post)s after (n = %(n)s): "
                "change %(change)s percentage points (95%% CI %(low)s to %(high)s).",
                pre=cell_text(knowledge["pre_mean"], "percent", min_n),
                post=cell_text(knowledge["post_mean"], "percent", min_n),
                n=cell_text(knowledge["n"], "count", min_n),
                change=cell_text(knowledge["change"], "pp", min_n),
                low=cell_text(knowledge.get("ci_low"), "pp", min_n),
                high=cell_text(knowledge.get("ci_high"), "pp", min_n),
            )
        )
    return lines


def _version_note(scope: Filters, f: Filters) -> str:
    """Which survey version the attitude, item and knowledge figures describe."""
    version = db.session.get(SurveyVersion, f.version_id) if f.version_id else None
    if version is None:
        return _("No survey answers in this report yet.")
    if scope.version_id is not None:
        return _(
            "Attitude, item and knowledge figures: survey version %(number)s (chosen in the filters).",
            number=version.number,
        )
    return _(
        "Attitude, item and knowledge figures: survey version %(number)s, the newest "
        "answered in this report. Each trainee answers the same version before and after "
        "the training; change within every version is in the last table of this "
        "section.",
        number=version.number,
    )


# ---- programme staff home page ---------------------------------------------------------


def overview_for_home(viewer=None) -> dict:
    """Headline figures for the programme staff home page (small groups hidden)."""
    min_n = min_group_size()
    f = Filters()
    tables = overview_tables(f, min_n)
    # One survey version, as in the report: scores of different versions hold different items.
    versions = report_items.versions_in_scope(f)
    f = report_items.attitude_filters(f, versions)
    people = figures.collect_respondents(f)
    overall = figures.hide_small(
        [figures.paired_row(_("Overall (all core items)"), *people.pairs.get(OVERALL, ([], [])))], min_n
    )[0]
    if not disclosure.overall_verdict(f, viewer, min_n):
        figures.hide_row(overall)
    totals = tables["overview"]
    recent = tables["cohorts"]
    recent.rows = recent.rows[-5:][::-1]  # sorted by start date: the newest five
    recent.columns = [c for c in recent.columns if c.key not in ("audience_name", "start")]
    active = db.session.scalar(
        select(func.count())
        .select_from(Cohort)
        .where(Cohort.status == "active", Cohort.historical.is_(False))
    )
    return {
        "min_n": min_n,
        "totals": [(c.label, cell_text(totals.rows[0][c.key], c.kind, min_n)) for c in totals.columns[2:]],
        "overall": {
            k: cell_text(overall[k], kind, min_n)
            for k, kind in (
                ("n", "count"),
                ("pre_mean", "mean"),
                ("post_mean", "mean"),
                ("change", "change"),
                ("ci_low", "change"),
                ("ci_high", "change"),
            )
        },
        "overall_p": _p_phrase(overall["t_p"]),
        "overall_shown": not isinstance(overall["n"], Hidden) and overall["n"] > 0,
        "version": versions[0].number if len(versions) > 1 else None,
        "active_cohorts": active or 0,
        "recent": display(recent, min_n),
        "has_instrument": current_version() is not None,
    }


def _p_phrase(p) -> str:
    """ "= 0.032" or "< 0.001", to follow "p" in a sentence."""
    if not isinstance(p, float):
        return "–"
    text = number_text(p, "p")
    return text if text.startswith("<") else "= " + text
