"""Paper mode: printable survey sheets per trainee code, and typing the answers back in."""

from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lms.cohorts.anonymous import (
    CodeTaken,
    cohort_version,
    set_code,
    start_respondent,
    submit_anonymous,
)
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.services import roster
from lms.extensions import db
from lms.privacy.sgic import ELEMENTS, CodeError, normalise
from lms.quizzes.instrument import current_version
from lms.quizzes.models import (
    DONT_KNOW_LABEL,
    LIKERT_LABELS,
    NOT_APPLICABLE,
    NOT_APPLICABLE_LABEL,
    PRACTICE_BANDS,
    PRACTICE_NOT_APPLICABLE_LABEL,
    Phase,
    SurveyItem,
    SurveyResponse,
    SurveyVersion,
)
from lms.quizzes.services import (
    AlreadySubmitted,
    SurveyError,
    item_audience,
    items_for,
    practice_items,
    submit_survey,
)

LETTERS = "ABCDEFGHIJ"
# A practice item's columns, left to right (A, B, C…): the bands, then "does not apply".
PRACTICE_CODES = (*range(1, len(PRACTICE_BANDS) + 1), NOT_APPLICABLE)


def ordered(items) -> list[SurveyItem]:
    """As printed: attitude items by key (A01…), each case's statements, policy items, practice
    items (follow-up waves), then knowledge items by key (K01…)."""
    rank = {"likert": 0, "policy": 2, "practice": 3, "knowledge": 4}
    return sorted(items, key=lambda i: (1 if i.vignette else rank[i.kind], i.vignette or "", i.key))


def allowed_answers(item: SurveyItem) -> str:
    """What may be typed for an item: 1–5 on the attitude scale (0 for "not applicable" on a
    policy item), option letters otherwise ("don't know" being the letter after the last;
    on a practice item the letter printed over the band's column: digits would be misread
    against bands that are themselves counts)."""
    if item.kind == "likert":
        return "12345"
    if item.kind == "policy":
        return "123450"
    if item.kind == "practice":
        return LETTERS[: len(PRACTICE_CODES)]
    return LETTERS[: len(item.allowed_values())]


def cell_value(item: SurveyItem, text: str) -> int | None:
    """The stored value for a typed cell (option letters map to the option index)."""
    text = (text or "").strip().upper()
    if len(text) != 1 or text not in allowed_answers(item):
        return None
    if item.kind == "practice":
        return PRACTICE_CODES[LETTERS.index(text)]
    return LETTERS.index(text) if item.kind == "knowledge" else int(text)


# --- Printable sheets ----------------------------------------------------------------------


def paper_tracks(cohort: Cohort) -> dict[str, list[Enrolment]]:
    """Enrolments grouped by the audience items they answer ("all" when common items only)."""
    tracks: dict[str, list[Enrolment]] = {}
    for enrolment in sorted(roster(cohort), key=lambda e: e.trainee_code):
        tracks.setdefault(item_audience(enrolment) or "all", []).append(enrolment)
    return tracks


def paper_survey_pdf(
    cohort: Cohort, lang: str, track: str, phase: str | None = None, copies: int = 30
) -> bytes | None:
    """One sheet set per enrolled trainee of a track, in the given language (None: no survey).
    Without a phase the sheet serves before and after; a follow-up wave's adds its practice
    questions. An anonymous cohort's are `copies` blank sheets with the personal-code boxes
    and no trainee code."""
    if cohort.anonymous:
        version, track = cohort_version(cohort), anonymous_track(cohort)
        codes = [""] * copies
    else:
        version = current_version()
        codes = [e.trainee_code for e in paper_tracks(cohort).get(track) or []]
    if version is None or not codes:
        return None
    follow_up = phase is not None and Phase(phase).is_follow_up
    items = ordered(
        [i for i in version.items if i.kind != "practice" and i.audience in ("all", track)]
        + (practice_items(version, track) if follow_up else [])
    )
    with force_locale(lang):
        labels = {
            "trainee_code": _("Trainee code"),
            "phase": _("Phase"),
            "before": Phase.PRE.label,
            "after": Phase.POST.label,
            "tick_one": _("Tick one box per row"),
            "item": _("ID"),
            "statement": _("Statement"),
            "knowledge": _("Knowledge questions"),
            "tick_answer": _("Tick one answer"),
            "page": _("page {page}/{pages}"),
            "case": _("A short case"),
            "case_hint": _("How far do you agree with each statement about this case?"),
            "policy": _("Views on rules and policies"),
            "policy_hint": _(
                "Not part of any attitude score. Tick the last box if the "
                "question is not part of your role or does not apply."
            ),
            "not_applicable": str(NOT_APPLICABLE_LABEL),
        }
        code_elements = []
        if cohort.anonymous:  # the personal code, written the same way as online
            labels |= {
                "trainee_code": _("Anonymous"),
                "code": _("Your personal code"),
                "code_hint": _(
                    "This survey is anonymous. Write these facts the same "
                    "way each time, on paper or here: they make a code that "
                    "links your surveys without your name. Nobody sees the "
                    "code."
                ),
            }
            code_elements = [
                (str(label), 1 if kind == "letter" else 2) for _name, label, kind, _bounds in ELEMENTS
            ]
        practice = [i for i in items if i.kind == "practice"]
        if practice:
            labels |= {
                "practice": _("Your work in the last %(months)s months", months=practice[0].months)
                if practice[0].months
                else _("Your work since the training"),
                "practice_hint": _(
                    "How often did you do each of these things? A rough "
                    "count is fine. Tick the last box if the question "
                    "does not fit your work or you cannot say."
                ),
            }
        wave = Phase(phase).label if follow_up else ""
        practice_labels = [
            f"{LETTERS[n]}. {label}"
            for n, label in enumerate((*PRACTICE_BANDS, PRACTICE_NOT_APPLICABLE_LABEL))
        ]
        likert_labels = [str(label) for label in LIKERT_LABELS]
        dont_know = str(DONT_KNOW_LABEL)
    cases: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        if item.vignette:
            cases.setdefault(item.vignette, []).append((item.key, item.text("text", lang)))

    def options(item) -> list[str]:
        texts = list(getattr(item, f"options_{lang}") or item.options_vi)
        texts += [dont_know] if item.dont_know else []
        return [f"{LETTERS[n]}. {option}" for n, option in enumerate(texts)]

    from lms.quizzes.paper_pdf import PaperForm, render_paper_survey  # reportlab on first use

    form = PaperForm(
        title=version.text("title", lang),
        intro=version.text("intro", lang),
        language=lang,
        trainee_codes=codes,
        likert_labels=likert_labels,
        code_elements=code_elements,
        items=[(i.key, i.text("text", lang)) for i in items if i.kind == "likert" and not i.vignette],
        cases=[(version.vignette_text(key, lang), rows) for key, rows in cases.items()],
        policy=[(i.key, i.text("text", lang)) for i in items if i.kind == "policy"],
        knowledge=[(i.key, i.text("text", lang), options(i)) for i in items if i.kind == "knowledge"],
        practice=[(i.key, i.text("text", lang)) for i in practice],
        practice_labels=practice_labels,
        wave=wave,
        labels=labels,
    )
    return render_paper_survey(form)


# --- The entry grid ------------------------------------------------------------------------


@dataclass
class GridColumn:
    key: str
    kind: str
    text: str
    allowed: str


@dataclass
class GridRow:
    enrolment: Enrolment
    items: dict[str, SurveyItem]  # the items this trainee answers, by key
    state: str = "empty"  # done | empty | incomplete | invalid | failed | held | saved
    values: dict[str, str] = field(default_factory=dict)  # as typed
    errors: set[str] = field(default_factory=set)

    @property
    def filled(self) -> int:
        return sum(1 for key in self.items if self.values.get(key))


def entry_grid(cohort: Cohort, phase: str) -> tuple[list[GridColumn], list[GridRow]]:
    """One row per trainee (by trainee code), one column per item any of them answers."""
    enrolments = sorted(roster(cohort), key=lambda e: e.trainee_code)
    responses = db.session.execute(
        select(SurveyResponse.enrolment_id, SurveyResponse.phase, SurveyResponse.version_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id)
    ).all()
    done = {r.enrolment_id for r in responses if r.phase == phase}
    pre_versions = {r.enrolment_id: r.version_id for r in responses if r.phase == "pre"}
    current = current_version()
    rows, columns = [], {}
    for enrolment in enrolments:
        # The same choice as version_for: the post-survey repeats the version answered before.
        version = current
        if phase != "pre" and enrolment.id in pre_versions:
            version = db.session.get(SurveyVersion, pre_versions[enrolment.id])
        items = {i.key: i for i in items_for(enrolment, phase, version)} if version else {}
        for item in items.values():
            columns.setdefault(item.key, item)
        rows.append(GridRow(enrolment, items, "done" if enrolment.id in done else "empty"))
    return (
        [GridColumn(i.key, i.kind, i.text("text"), allowed_answers(i)) for i in ordered(columns.values())],
        rows,
    )


def enter_paper_answers(cohort: Cohort, phase: str, typed, actor) -> tuple[list, list, int]:
    """Store every complete, valid row as a paper response (no commit); keep the others as typed.

    `typed` maps "cell-<enrolment id>-<item key>" to what was typed. Returns the grid
    (columns, rows with their state) and the number of sheets saved. The page is stored all
    or nothing: if a complete row cannot be stored, none of the page's sheets is, and every
    row keeps what was typed.
    """
    columns, rows = entry_grid(cohort, phase)
    saved, failed = 0, False
    page = db.session.begin_nested()
    for row in rows:
        if row.state == "done":
            continue
        row.values = {
            key: (typed.get(f"cell-{row.enrolment.id}-{key}") or "").strip().upper() for key in row.items
        }
        answers = {}
        for key, item in row.items.items():
            value = cell_value(item, row.values[key]) if row.values[key] else None
            if row.values[key] and value is None:
                row.errors.add(key)
            elif value is not None:
                answers[item.id] = value
        if not any(row.values.values()):
            row.state = "empty"
        elif row.errors:
            row.state = "invalid"
        elif len(answers) < len(row.items):
            row.state = "incomplete"
        elif failed:
            row.state = "held"  # complete, but the page is not stored
        else:
            try:
                submit_survey(row.enrolment, phase, answers=answers, source="paper", entered_by=actor)
            except AlreadySubmitted:
                row.state, row.values = "done", {}  # typed by someone else meanwhile: theirs counts
            except SurveyError:
                row.state, failed = "failed", True
            else:
                row.state, saved = "saved", saved + 1
    if failed:
        page.rollback()
        for row in rows:
            if row.state == "saved":
                row.state = "held"  # stored with the page or not at all
        return columns, rows, 0
    page.commit()
    for row in rows:
        if row.state == "saved":
            row.values = {}
    return columns, rows, saved


def column_totals(rows: list[GridRow]) -> dict[str, int]:
    """How many cells of each item column have something typed in them."""
    totals: dict[str, int] = {}
    for row in rows:
        for key, value in row.values.items():
            totals[key] = totals.get(key, 0) + bool(value)
    return totals


# --- Anonymous cohorts: sheets and rows without names, with the personal code ---------------

ANONYMOUS_ROWS = 10  # blank rows per page of the entry grid


@dataclass
class AnonymousRow:
    """A blank row of the grid: the sheet's personal code, then its answers. The code is never
    shown again once the row is saved."""

    number: int
    state: str = "empty"  # empty | incomplete | invalid | taken | saved
    code: dict[str, str] = field(default_factory=dict)  # as typed, until saved
    values: dict[str, str] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)
    message: str = ""


def anonymous_track(cohort: Cohort) -> str:
    """The audience items of an anonymous sheet: the cohort's track (a mixed cohort's sheets
    carry the common items only: nobody says who they are), as items_for chooses them."""
    return cohort.audience if cohort.audience != "mixed" else "all"


def anonymous_items(cohort: Cohort, phase: str) -> list[SurveyItem]:
    """The items of an anonymous sheet of this phase (a follow-up wave's adds its practice
    questions), in the printed order."""
    version = cohort_version(cohort)
    if version is None:
        return []
    track = anonymous_track(cohort)
    practice = practice_items(version, track) if Phase(phase).is_follow_up else []
    return ordered(
        [i for i in version.items if i.kind != "practice" and i.audience in ("all", track)] + practice
    )


def anonymous_grid(cohort: Cohort, phase: str) -> tuple[list[GridColumn], list[AnonymousRow]]:
    """Code columns, then one column per item; blank rows (sheets carry no name)."""
    columns = [
        GridColumn(i.key, i.kind, i.text("text"), allowed_answers(i)) for i in anonymous_items(cohort, phase)
    ]
    return columns, [AnonymousRow(n) for n in range(1, ANONYMOUS_ROWS + 1)]


def enter_anonymous_paper(
    cohort: Cohort, phase: str, typed, actor, secret: bytes
) -> tuple[list[GridColumn], list[AnonymousRow], int]:
    """Store every complete row with a valid, unused code as an anonymous paper survey (no
    commit); a row that cannot be saved keeps what was typed, and writes nothing."""
    columns, rows = anonymous_grid(cohort, phase)
    items = {i.key: i for i in anonymous_items(cohort, phase)}
    saved = 0
    for row in rows:
        prefix = f"new{row.number}"
        row.code = {name: (typed.get(f"code-{prefix}-{name}") or "").strip() for name, *_rest in ELEMENTS}
        row.values = {key: (typed.get(f"cell-{prefix}-{key}") or "").strip().upper() for key in items}
        answers = {}
        for key, item in items.items():
            value = cell_value(item, row.values[key]) if row.values[key] else None
            if row.values[key] and value is None:
                row.errors.add(key)
            elif value is not None:
                answers[item.id] = value
        if not any(row.values.values()) and not any(row.code.values()):
            continue
        try:
            normalise(row.code)
        except CodeError as error:
            row.errors.add("code")
            row.message = str(error)
        if row.errors:
            row.state = "invalid"
        elif len(answers) < len(items):
            row.state = "incomplete"
        else:
            try:
                with db.session.begin_nested():  # a refused row leaves no respondent behind
                    respondent = start_respondent(cohort, phase, online=False)
                    set_code(respondent, row.code, secret)
                    submit_anonymous(respondent, answers, source="paper", entered_by=actor)
            except CodeTaken as error:
                row.state, row.message = "taken", str(error)
            else:
                row.state, saved = "saved", saved + 1
                row.code, row.values = {}, {}  # the code is never shown again
    return columns, rows, saved
