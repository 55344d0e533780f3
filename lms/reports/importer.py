"""Historical pre/post results from CSV or Excel: check every row, then write all or nothing:
chunk by chunk, out of sight, then made live at once."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from lms.auth.models import User, audit
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.services import has_live_surveys, new_code, unique_join_code
from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse, SurveyVersion
from lms.reports.figures import local_zone
from lms.reports.models import ImportBatch, ImportBatchResponse
from lms.reports.stats import item_analysis
from lms.spreadsheets import safe_cell
from lms.text import fold, nfc
from lms.uploads import UploadError, read_table
from lms.vocab import COHORT_AUDIENCES, ORG_TYPE_AUDIENCE, ORG_TYPES, province_codes, province_name

COLUMNS = ("cohort_name", "audience", "province", "start_date", "trainee_ref", "org_type", "phase", "date")
# A long file has one row per trainee, phase and question: these two instead of one column
# per question; the app reshapes it to one row per trainee and phase.
LONG_COLUMNS = ("item", "value")
EXAMPLE_REF = "EXAMPLE"  # the templates' example row, skipped on import
PHASE_WORDS = {"pre": "pre", "before": "pre", "trước": "pre", "post": "post", "after": "post", "sau": "post"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
MAX_ROWS = 20_000  # surveys in one file; a larger history is imported in parts
CHUNK_SURVEYS = 250  # surveys written per transaction by the jobs worker; its bar moves then
# After each chunk the worker waits this long (SQLite only): a writer waiting for the lock
# retries every 100 ms at most, and would otherwise miss the moment between two chunks.
CHUNK_PAUSE = 0.15
NO_PASSWORD = "!"  # noqa: S105 (not a hash: check_password_hash rejects every password)


@dataclass(frozen=True)
class Coding:
    """How the file wrote its answers, as the officer declared it."""

    reverse: str = "raw"  # raw (as ticked) | reversed (already turned round)
    knowledge: str = "option"  # option (number chosen, from 1) | correct (1/0)


@dataclass
class ImportRow:
    line: int
    cohort_name: str
    audience: str
    province: str
    start_date: date
    trainee_ref: str
    org_type: str
    phase: str
    date: date
    answers: dict[str, int]  # item key -> value as stored (Likert 1–5, option index from 0)

    @property
    def cohort_key(self) -> tuple[str, str, date]:
        return (self.cohort_name.casefold(), self.province, self.start_date)

    @property
    def username(self) -> str:
        name, province, start = self.cohort_key
        ref = f"{name}|{province}|{start.isoformat()}|{self.trainee_ref.casefold()}"
        return "hist-" + hashlib.sha256(ref.encode()).hexdigest()[:16]


@dataclass
class ImportPlan:
    """The checked file: rows ready to write, or every problem found."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    new_cohorts: int = 0
    existing_cohorts: int = 0
    trainees: int = 0
    # (ID, wording, subscale, keying) of every question column recognised
    recognised: list[tuple[str, str, str, str]] = field(default_factory=list)
    one_survey: list[str] = field(default_factory=list)  # trainees with one survey in the file
    warnings: list[str] = field(default_factory=list)  # likely mis-keyed items

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def phases(self) -> Counter:
        return Counter(row.phase for row in self.rows)


# ---- reading ----------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(_text(value), fmt).date()
        except ValueError:
            continue
    return None


def _int(value) -> int | None:
    try:
        number = float(_text(value).replace(",", "."))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _province(value: str) -> str | None:
    wanted = value.casefold()
    for code in province_codes():
        if wanted in (
            code.casefold(),
            province_name(code, "vi").casefold(),
            province_name(code, "en").casefold(),
        ):
            return code
    return None


# ---- checking -------------------------------------------------------------------------


def _header(raw: list, items: dict[str, SurveyItem], plan: ImportPlan) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(raw):
        name = _text(cell)
        if not name:
            continue
        key = name.lower() if name.lower() in COLUMNS else name.upper()
        if key in columns:
            plan.problems.append(_("The column %(name)s appears twice.", name=name))
        elif key not in COLUMNS and key not in items:
            plan.problems.append(
                _(
                    "The column %(name)s is neither one of the expected columns "
                    "nor a question ID of this survey version.",
                    name=name,
                )
            )
        columns[key] = index
    for name in COLUMNS:
        if name not in columns:
            plan.problems.append(_("The file has no column %(name)s.", name=name))
    return columns


def _check_row(
    line: int,
    cells: dict[str, object],
    items: dict[str, SurveyItem],
    problems: list[str],
    coding: Coding = Coding(),
) -> ImportRow | None:
    found: list[str] = []

    def fail(message: str) -> None:
        found.append(_("Row %(row)s: %(problem)s", row=line, problem=message))

    name, ref = _text(cells.get("cohort_name")), _text(cells.get("trainee_ref"))
    if not name or len(name) > 200:
        fail(_("cohort_name is required (at most 200 characters)."))
    if not ref or len(ref) > 100:
        fail(_("trainee_ref is required (at most 100 characters)."))
    audience = _text(cells.get("audience")).lower()
    if audience not in COHORT_AUDIENCES:
        fail(_("audience must be one of %(codes)s.", codes=", ".join(COHORT_AUDIENCES)))
    province = _province(_text(cells.get("province")))
    if province is None:
        fail(
            _("province %(value)s is not a known province code or name.", value=_text(cells.get("province")))
        )
    org_type = _text(cells.get("org_type")).lower()
    if org_type not in ORG_TYPES:
        fail(_("org_type must be one of %(codes)s.", codes=", ".join(ORG_TYPES)))
    phase = PHASE_WORDS.get(_text(cells.get("phase")).lower())
    if phase is None:
        fail(_("phase must be pre or post."))
    start, taken = _date(cells.get("start_date")), _date(cells.get("date"))
    for column, value in (("start_date", start), ("date", taken)):
        if value is None:
            fail(_("%(column)s is not a date (use YYYY-MM-DD or DD/MM/YYYY).", column=column))
    if taken and taken > date.today():
        fail(_("date is in the future."))
    track = audience if audience != "mixed" else ORG_TYPE_AUDIENCE.get(org_type)
    answers: dict[str, int] = {}
    for key, item in items.items():
        raw = cells.get(key)
        if _text(raw) == "":
            continue  # not answered on the historical sheet
        if item.audience not in ("all", track):
            fail(_("%(item)s is a question for another audience.", item=key))
            continue
        number = _int(raw)
        if item.kind == "likert":
            if number is None or not 1 <= number <= 5:
                fail(_("%(item)s must be a whole number from 1 to 5.", item=key))
            else:  # stored as ticked: an answer already turned round is turned back
                answers[key] = 6 - number if item.reverse and coding.reverse == "reversed" else number
        elif item.kind == "knowledge" and coding.knowledge == "correct":
            if number not in (0, 1):
                fail(_("%(item)s must be 1 (correct) or 0 (incorrect), as declared.", item=key))
            else:  # the right option, or the first wrong one: only correctness is reported
                answers[key] = (
                    item.answer
                    if number
                    else next(v for v in range(len(item.options_vi or [])) if v != item.answer)
                )
        elif item.kind == "policy":
            if number is None or number not in item.allowed_values():
                fail(_("%(item)s must be a whole number from 1 to 5, or 0 for “not applicable”.", item=key))
            else:
                answers[key] = number
        elif number is None or not 1 <= number <= len(item.allowed_values()):
            # "don't know", where offered, is the number after the last option
            fail(
                _(
                    "%(item)s must be the number of the option chosen, from 1 to %(n)s.",
                    item=key,
                    n=len(item.allowed_values()),
                )
            )
        else:
            answers[key] = number - 1
    if not found and not any(items[k].kind == "likert" for k in answers):
        fail(_("no attitude answers."))
    problems += found
    if found:
        return None
    return ImportRow(line, name, audience, province, start, ref, org_type, phase, taken, answers)


def _historical_cohort(row: ImportRow) -> Cohort | None:
    """The cohort an earlier import made for this row; one whose imports were all undone
    does not count (a new import makes a new cohort, e.g. with a corrected audience)."""
    return db.session.scalar(
        select(Cohort)
        .where(
            Cohort.historical.is_(True),
            Cohort.name == row.cohort_name,
            Cohort.province == row.province,
            Cohort.start_date == row.start_date,
            has_live_surveys(),
        )
        .order_by(Cohort.id.desc())
        .limit(1)
    )


def _check_together(plan: ImportPlan) -> None:
    """Rules across rows: one audience per cohort, one survey per trainee and phase, one
    organisation type per trainee, and nothing imported twice."""
    audiences: dict[tuple, str] = {}
    org_types: dict[tuple, str] = {}
    seen: set[tuple] = set()
    cohorts: dict[tuple, Cohort | None] = {}
    for row in plan.rows:
        trainee = (row.cohort_key, row.trainee_ref.casefold())
        if audiences.setdefault(row.cohort_key, row.audience) != row.audience:
            plan.problems.append(
                _("Row %(row)s: the same cohort has another audience on an earlier row.", row=row.line)
            )
        if org_types.setdefault(trainee, row.org_type) != row.org_type:
            plan.problems.append(
                _("Row %(row)s: the same trainee has another org_type on an earlier row.", row=row.line)
            )
        if (trainee, row.phase) in seen:
            plan.problems.append(
                _(
                    "Row %(row)s: this trainee's %(phase)s survey is already on an earlier row.",
                    row=row.line,
                    phase=row.phase,
                )
            )
        seen.add((trainee, row.phase))
        if row.cohort_key not in cohorts:
            cohorts[row.cohort_key] = _historical_cohort(row)
        existing = cohorts[row.cohort_key]
        if existing is not None and existing.audience != row.audience:
            plan.problems.append(
                _("Row %(row)s: this cohort was imported before with another audience.", row=row.line)
            )
        if existing is not None and db.session.scalar(
            select(SurveyResponse.id)
            .join(Enrolment)
            .join(User)
            .where(
                Enrolment.cohort_id == existing.id,
                User.username == row.username,
                SurveyResponse.phase == row.phase,
                ~SurveyResponse.archived,
            )
        ):  # an undone import may be imported again
            plan.problems.append(_("Row %(row)s: this survey was imported before.", row=row.line))
    plan.existing_cohorts = sum(1 for c in cohorts.values() if c is not None)
    plan.new_cohorts = len(cohorts) - plan.existing_cohorts
    plan.trainees = len(org_types)


def check_import(
    filename: str, data: bytes, version: SurveyVersion, coding: Coding = Coding()
) -> tuple[ImportPlan, list[list[str]] | None]:
    """Read and check the whole file; returns the plan and the rows read. Writes nothing."""
    try:
        table = read_table(filename, data, max_rows=MAX_ROWS)
    except UploadError as error:
        return ImportPlan(problems=[str(error)]), None
    return check_table(table, version, coding), table


def importable_items(version: SurveyVersion) -> list[SurveyItem]:
    """The questions of a survey before or after: practice questions are follow-up only."""
    return [item for item in version.items if item.kind != "practice"]


def check_table(table: list[list[str]], version: SurveyVersion, coding: Coding = Coding()) -> ImportPlan:
    """Check the rows of a file read by lms.uploads.read_table; writes nothing."""
    plan = ImportPlan()
    rows = [(line, r) for line, r in enumerate(table, start=1) if any(_text(c) for c in r)]
    if not rows:
        plan.problems.append(_("The file is empty."))
        return plan
    items = {item.key: item for item in importable_items(version)}
    names = [_text(c).lower() for c in rows[0][1]]
    if all(name in names for name in LONG_COLUMNS):
        rows = _reshape_long(rows, plan)
        if plan.problems:
            return plan
    rows = [(line, r) for line, r in rows if line == rows[0][0] or not _is_example(rows[0][1], r)]
    header_line, header = rows[0]
    columns = _header(header, items, plan)
    if plan.problems:
        return plan
    for line, raw in rows[1:]:
        cells = {key: raw[index] if index < len(raw) else None for key, index in columns.items()}
        row = _check_row(line, cells, items, plan.problems, coding)
        if row is not None:
            plan.rows.append(row)
    if not rows[1:]:
        plan.problems.append(_("The file has a header row but no data."))
    _check_together(plan)
    plan.recognised = [
        (
            key,
            items[key].text("text"),
            items[key].subscale or "",
            _("reverse") if items[key].reverse else _("normal"),
        )
        for key in columns
        if key in items
    ]
    _describe(plan, items)
    return plan


# An item whose item-rest correlation falls below this is flagged as likely mis-keyed.
MISKEYED_BELOW = 0.0


def _describe(plan: ImportPlan, items: dict[str, SurveyItem]) -> None:
    """What the officer should look at before confirming: trainees with one survey in the
    file, and items that run against the rest of their subscale (a reverse item already
    reversed in the file, or a scale keyed the other way round)."""
    phases: dict[tuple, set[str]] = {}
    for row in plan.rows:
        phases.setdefault((row.cohort_name, row.trainee_ref), set()).add(row.phase)
    plan.one_survey = [
        _("%(ref)s (%(cohort)s): only the survey %(phase)s", ref=ref, cohort=cohort, phase=next(iter(found)))
        for (cohort, ref), found in phases.items()
        if len(found) == 1
    ]
    by_subscale: dict[str, list[str]] = {}
    for key, item in items.items():
        if item.kind == "likert" and item.audience == "all" and item.subscale:
            by_subscale.setdefault(item.subscale, []).append(key)
    for keys in by_subscale.values():
        asked = [k for k in keys if any(k in row.answers for row in plan.rows)]
        rows = [
            [items[k].score(row.answers[k]) for k in asked]
            for row in plan.rows
            if all(k in row.answers for k in asked)
        ]
        if len(asked) < 3 or len(rows) < 10:
            continue  # too little to judge an item against the rest of its subscale
        result = item_analysis(rows)
        for key, r in zip(asked, result.item_rest, strict=True):
            if r is not None and r < MISKEYED_BELOW:
                plan.warnings.append(
                    _(
                        "%(item)s correlates negatively with the rest of its subscale (r = "
                        "%(r)s; keying: %(keying)s). Check that the file holds the answers as "
                        "ticked on the form, not already reversed, and that 5 means “strongly "
                        "agree”.",
                        item=key,
                        r=f"{r:.2f}",
                        keying=_("reverse") if items[key].reverse else _("normal"),
                    )
                )


def _is_example(header: list, raw: list) -> bool:
    names = [_text(c).lower() for c in header]
    if "trainee_ref" not in names:
        return False
    index = names.index("trainee_ref")
    return index < len(raw) and _text(raw[index]).upper() == EXAMPLE_REF


def _reshape_long(rows: list[tuple[int, list]], plan: ImportPlan) -> list[tuple[int, list]]:
    """One row per trainee, phase and question -> one row per trainee and phase, with a
    column per question. The other columns must agree on every row of a trainee's phase."""
    header = [_text(c).lower() for c in rows[0][1]]
    for name in COLUMNS:
        if name not in header:
            plan.problems.append(_("The file has no column %(name)s.", name=name))
    if plan.problems:
        return rows
    at = {name: header.index(name) for name in (*COLUMNS, *LONG_COLUMNS)}

    def cell(raw, name):
        return _text(raw[at[name]]) if at[name] < len(raw) else ""

    groups: dict[tuple, dict] = {}
    item_keys: list[str] = []
    for line, raw in rows[1:]:
        key = tuple(
            cell(raw, n).casefold() for n in ("cohort_name", "province", "start_date", "trainee_ref", "phase")
        )
        group = groups.setdefault(
            key, {"line": line, "fields": {n: cell(raw, n) for n in COLUMNS}, "answers": {}}
        )
        for name in COLUMNS:
            if cell(raw, name) != group["fields"][name]:
                plan.problems.append(
                    _(
                        "Row %(row)s: %(column)s differs from an earlier row of the same trainee and phase.",
                        row=line,
                        column=name,
                    )
                )
        item = cell(raw, "item").upper()
        if not item:
            plan.problems.append(_("Row %(row)s: item is empty.", row=line))
            continue
        if item in group["answers"]:
            plan.problems.append(
                _(
                    "Row %(row)s: %(item)s is already on an earlier row of the same trainee and phase.",
                    row=line,
                    item=item,
                )
            )
        group["answers"][item] = cell(raw, "value")
        if item not in item_keys:
            item_keys.append(item)
    wide = [(rows[0][0], [*COLUMNS, *item_keys])]
    for group in groups.values():
        wide.append(
            (
                group["line"],
                [group["fields"][n] for n in COLUMNS] + [group["answers"].get(k, "") for k in item_keys],
            )
        )
    return wide


# ---- writing --------------------------------------------------------------------------


def _noon(day: date) -> datetime:
    return datetime.combine(day, clock(12), tzinfo=local_zone()).astimezone(UTC)


def _existing_users(usernames: set[str]) -> dict[str, int]:
    """Login name -> id of the placeholder accounts an earlier import made."""
    names, found = sorted(usernames), {}
    for start in range(0, len(names), 500):  # IN lists of a size every database accepts
        found |= dict(
            db.session.execute(
                select(User.username, User.id).where(User.username.in_(names[start : start + 500]))
            ).all()
        )
    return found


def commit_import(
    plan: ImportPlan,
    version: SurveyVersion,
    actor,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write a checked plan and make it live, all in the caller's one transaction (the
    caller commits). The jobs worker instead commits each chunk of write_import on its own
    and publishes at the end (lms/jobs/tasks.py historical_import)."""
    batch = write_import(plan, version, actor, filename, progress=progress)
    return publish_import(batch, plan, actor)


class _Writer:
    """What the chunks of one import share: its cohorts, trainees and enrolments so far."""

    def __init__(self, plan: ImportPlan, version: SurveyVersion, actor):
        """Everything read up front, before the first write holds the write lock: the
        placeholder trainees and the cohorts of earlier imports, with their enrolments."""
        self.plan, self.version_id, self.actor_id = plan, version.id, actor.id
        self.batch_id: int | None = None
        # Plain values: a commit expires the ORM objects, and reading them again would mean
        # one query per item while a chunk holds the lock.
        self.items = {item.key: item for item in importable_items(version)}
        self.item_ids = {key: item.id for key, item in self.items.items()}
        self.kinds = {key: item.kind for key, item in self.items.items()}
        self.scores: dict[tuple[str, int], int | None] = {}
        self.users = _existing_users({row.username for row in plan.rows})
        self.cohorts: dict[tuple, int] = {}
        self.enrolled: dict[tuple[int, int], int] = {}
        self.codes: dict[int, set[str]] = {}
        self.ends: dict[tuple, date] = {}
        for row in plan.rows:
            self.ends[row.cohort_key] = max(self.ends.get(row.cohort_key, row.date), row.date)
            if row.cohort_key in self.cohorts or (cohort := _historical_cohort(row)) is None:
                continue
            self.cohorts[row.cohort_key] = cohort.id
            self.codes[cohort.id] = set(
                db.session.scalars(select(Enrolment.trainee_code).where(Enrolment.cohort_id == cohort.id))
            )
            self.enrolled |= {
                (cohort.id, user_id): enrolment_id
                for enrolment_id, user_id in db.session.execute(
                    select(Enrolment.id, Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
                )
            }

    def cohort(self, row: ImportRow) -> int:
        """The row's historical cohort: an earlier import's, or made (closed) by the chunk
        with its first trainee, so that a chunk rolled back or discarded takes it along."""
        if row.cohort_key not in self.cohorts:
            cohort = Cohort(
                name=row.cohort_name,
                audience=row.audience,
                province=row.province,
                start_date=row.start_date,
                end_date=max(self.ends[row.cohort_key], row.start_date),
                status="closed",
                historical=True,
                join_code=unique_join_code(),
                pre_survey_open=False,
                created_by_id=self.actor_id,
            )
            db.session.add(cohort)
            db.session.flush()
            self.cohorts[row.cohort_key], self.codes[cohort.id] = cohort.id, set()
        return self.cohorts[row.cohort_key]

    def score(self, key: str, value: int) -> int | None:
        if (key, value) not in self.scores:
            self.scores[(key, value)] = self.items[key].score(value)
        return self.scores[(key, value)]

    def write(self, rows: list[ImportRow]) -> None:
        """One chunk: its new trainees and enrolments, then its surveys (archived, so in no
        report, list or count yet), their link to the batch and their answers."""
        new_users = {}
        for row in rows:
            if row.username not in self.users and row.username not in new_users:
                new_users[row.username] = {
                    "username": row.username,
                    "full_name": row.trainee_ref,
                    "password_hash": NO_PASSWORD,
                    "role": "trainee",
                    "org_type": row.org_type,
                    "province": row.province,
                    "active": False,
                    "language": "vi",
                    "must_change_password": False,
                    "session_version": 0,
                    "search_key": fold(f"{row.trainee_ref} {row.username}"),
                }
        if new_users:
            self.users |= dict(
                (name, user_id)
                for user_id, name in db.session.execute(
                    insert(User).returning(User.id, User.username), list(new_users.values())
                )
            )
        new_enrolments = {}
        for row in rows:
            cohort_id, user_id = self.cohort(row), self.users[row.username]
            if (cohort_id, user_id) in self.enrolled or (cohort_id, user_id) in new_enrolments:
                continue
            code = new_code(6)
            while code in self.codes[cohort_id]:
                code = new_code(6)
            self.codes[cohort_id].add(code)
            new_enrolments[(cohort_id, user_id)] = {
                "cohort_id": cohort_id,
                "user_id": user_id,
                "trainee_code": code,
                "joined_at": _noon(row.start_date),
                "pre_survey_waived": False,
            }
        if new_enrolments:
            self.enrolled |= {
                (cohort_id, user_id): enrolment_id
                for enrolment_id, cohort_id, user_id in db.session.execute(
                    insert(Enrolment).returning(Enrolment.id, Enrolment.cohort_id, Enrolment.user_id),
                    list(new_enrolments.values()),
                )
            }
        responses = []
        for row in rows:
            knowledge = [k for k in row.answers if self.kinds[k] == "knowledge"]
            responses.append(
                {
                    "enrolment_id": self.enrolled[(self.cohort(row), self.users[row.username])],
                    "phase": row.phase,
                    "version_id": self.version_id,
                    "source": "imported",
                    "submitted_at": _noon(row.date),
                    "entered_by_id": self.actor_id,
                    "archived": True,
                    "knowledge_total": len(knowledge) or None,
                    "knowledge_correct": sum(self.score(k, row.answers[k]) for k in knowledge)
                    if knowledge
                    else None,
                }
            )
        # One survey per enrolment and phase (checked), so that pair finds its new id.
        response_ids = {
            (enrolment_id, phase): response_id
            for response_id, enrolment_id, phase in db.session.execute(
                insert(SurveyResponse).returning(
                    SurveyResponse.id, SurveyResponse.enrolment_id, SurveyResponse.phase
                ),
                responses,
            )
        }
        db.session.execute(
            insert(ImportBatchResponse),
            [
                {"batch_id": self.batch_id, "response_id": response_id, "enrolment_id": enrolment_id}
                for (enrolment_id, _phase), response_id in response_ids.items()
            ],
        )
        db.session.execute(
            insert(Answer),
            [
                {
                    "response_id": response_ids[(response["enrolment_id"], row.phase)],
                    "item_id": self.item_ids[key],
                    "value": value,
                    "score": self.score(key, value),
                }
                for response, row in zip(responses, rows, strict=True)
                for key, value in row.answers.items()
            ],
        )


def write_import(
    plan: ImportPlan,
    version: SurveyVersion,
    actor,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
    commit: Callable[[ImportBatch], None] | None = None,
) -> ImportBatch:
    """Write a checked plan as an unfinished batch: historical cohorts (closed), inactive
    placeholder trainees without a usable password, and their surveys marked
    source="imported" and archived, CHUNK_SURVEYS surveys at a time. Nothing of it is in a
    report, list or count until publish_import.

    commit(batch), when given, is called after each chunk: the jobs worker commits there, so
    SQLite's write lock is held for one chunk at a time and trainees submitting surveys
    meanwhile wait a moment at most. progress(surveys written, surveys) follows each chunk."""
    if not plan.ok:
        raise ValueError("only a plan without problems can be imported")
    writer = _Writer(plan, version, actor)
    batch = ImportBatch(
        filename=filename[:300],
        version_id=version.id,
        created_by_id=actor.id,
        surveys=len(plan.rows),
        trainees=plan.trainees,
        complete=False,
    )
    db.session.add(batch)
    db.session.flush()
    writer.batch_id = batch.id
    for start in range(0, len(plan.rows), CHUNK_SURVEYS):
        writer.write(plan.rows[start : start + CHUNK_SURVEYS])
        if commit is not None:
            commit(batch)
        if progress is not None:
            progress(min(start + CHUNK_SURVEYS, len(plan.rows)), len(plan.rows))
        if commit is not None and db.engine.dialect.name == "sqlite":
            time.sleep(CHUNK_PAUSE)  # trainees' survey submits waiting meanwhile get in
    return batch


def publish_import(batch: ImportBatch, plan: ImportPlan, actor) -> dict:
    """Make an unfinished batch live: its surveys join the reports, it joins the list of
    imports, and the import is audited; one short write, committed by the caller (the jobs
    worker commits it with the job's "done")."""
    db.session.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.id.in_(
                select(ImportBatchResponse.response_id).where(ImportBatchResponse.batch_id == batch.id)
            )
        )
        .values(archived=False)
    )
    batch.complete = True
    summary = {
        "batch": batch.id,
        "rows": len(plan.rows),
        "new_cohorts": plan.new_cohorts,
        "trainees": plan.trainees,
        "pre": plan.phases["pre"],
        "post": plan.phases["post"],
    }
    audit(
        actor,
        "historical_import",
        f"survey_version:{batch.version_id}",
        details=(
            f"batch={batch.id}; file={batch.filename}; rows={summary['rows']}; "
            f"new cohorts={summary['new_cohorts']}; trainees={summary['trainees']}; "
            f"pre={summary['pre']}; post={summary['post']}"
        ),
    )
    return summary


def discard_import(batch_id: int) -> None:
    """Delete what an unfinished batch wrote (shown nowhere): its answers and surveys, then
    the enrolments, placeholder trainees and historical cohorts it made, which have nothing
    else. A restarted job calls it before writing again, and a failed one on its way out;
    the caller commits."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.complete:
        return
    links = db.session.execute(
        select(ImportBatchResponse.response_id, ImportBatchResponse.enrolment_id).where(
            ImportBatchResponse.batch_id == batch_id
        )
    ).all()
    responses = [response_id for response_id, _enrolment in links]
    enrolments = sorted({enrolment_id for _response, enrolment_id in links})
    db.session.execute(delete(ImportBatchResponse).where(ImportBatchResponse.batch_id == batch_id))
    for part in _parts(responses):
        db.session.execute(delete(Answer).where(Answer.response_id.in_(part)))
        db.session.execute(delete(SurveyResponse).where(SurveyResponse.id.in_(part)))
    users, cohorts = set(), set()
    for part in _parts(enrolments):
        empty = db.session.execute(
            select(Enrolment.id, Enrolment.user_id, Enrolment.cohort_id).where(
                Enrolment.id.in_(part),
                ~select(SurveyResponse.id).where(SurveyResponse.enrolment_id == Enrolment.id).exists(),
            )
        ).all()
        users |= {user_id for _id, user_id, _cohort in empty}
        cohorts |= {cohort_id for _id, _user, cohort_id in empty}
        db.session.execute(delete(Enrolment).where(Enrolment.id.in_([e.id for e in empty])))
    for part in _parts(sorted(users)):
        db.session.execute(
            delete(User).where(
                User.id.in_(part),
                User.password_hash == NO_PASSWORD,
                User.username.like("hist-%"),
                ~select(Enrolment.id).where(Enrolment.user_id == User.id).exists(),
            )
        )
    for cohort_id in sorted(cohorts):
        cohort = db.session.get(Cohort, cohort_id)
        if (
            cohort is not None
            and cohort.historical
            and db.session.scalar(select(Enrolment.id).where(Enrolment.cohort_id == cohort_id).limit(1))
            is None
        ):
            db.session.delete(cohort)
    db.session.delete(batch)
    db.session.flush()


def _parts(ids: list[int]) -> list[list[int]]:
    """IN lists of a size every database accepts."""
    return [ids[start : start + 500] for start in range(0, len(ids), 500)]


def import_batches() -> list[ImportBatch]:
    """Every historical import, newest first; not one still being written."""
    return list(
        db.session.scalars(
            select(ImportBatch)
            .where(ImportBatch.complete)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        )
    )


def archive_import(batch: ImportBatch, actor) -> None:
    """Undo an import: its surveys (and trainees with nothing else) leave every report.
    Nothing is deleted, so the audit trail and the data stay; the caller commits."""
    if batch.archived_at is not None or not batch.complete:
        return
    batch.archived_at, batch.archived_by_id = datetime.now(UTC), actor.id
    db.session.execute(
        update(SurveyResponse)
        .where(
            SurveyResponse.id.in_(
                select(ImportBatchResponse.response_id).where(ImportBatchResponse.batch_id == batch.id)
            )
        )
        .values(archived=True)
    )
    audit(
        actor,
        "historical_import_archived",
        f"import_batch:{batch.id}",
        details=f"file={batch.filename}; surveys={batch.surveys}; trainees={batch.trainees}",
    )


def example_row(version: SurveyVersion) -> list:
    """A filled-in row (skipped on import): a police trainee's survey before the training."""
    values = []
    for item in importable_items(version):
        if item.audience not in ("all", "police"):
            values.append("")
        elif item.kind == "knowledge":
            values.append((item.answer or 0) + 1)  # the number of the option chosen
        else:
            values.append(4)
    return [
        "Công an phường Hoàn Kiếm — đợt 1",
        "police",
        "Hà Nội",
        "2019-03-04",
        EXAMPLE_REF,
        "police",
        "pre",
        "2019-03-04",
        *values,
    ]


def template_csv(version: SurveyVersion) -> bytes:
    """Every column and one example row (skipped on import), for people preparing an import."""
    keys = [item.key for item in importable_items(version)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, *keys])
    writer.writerow(example_row(version))
    return out.getvalue().encode("utf-8-sig")


def _options(item: SurveyItem, lang: str) -> str:
    if item.kind == "likert":
        return _("1 = strongly disagree … 5 = strongly agree")
    if item.kind == "policy":
        return _("1 = strongly disagree … 5 = strongly agree; 0 = not applicable")
    options = getattr(item, f"options_{lang}") or []
    return "; ".join(f"{n} = {text}" for n, text in enumerate(options, start=1))


def instructions() -> list[str]:
    """How to fill in the import file, in the current language (sheet 1 of the template)."""
    return [
        _("How to prepare historical survey results for import"),
        _(
            "Wide layout (sheet “wide”): one row per trainee and survey (before or after). "
            "The first eight columns describe the cohort, the trainee and the survey; then one "
            "column per question, headed by its ID (A01, K01 …)."
        ),
        _(
            "Long layout (sheet “long”): one row per trainee, survey and question, with the "
            "same eight columns and then two: item (the question ID) and value (the answer). "
            "Repeat the eight columns on every row; the platform puts the rows together."
        ),
        _(
            "cohort_name, start_date (YYYY-MM-DD or DD/MM/YYYY), province (name or code) and "
            "audience (%(audiences)s) identify the cohort.",
            audiences=", ".join(COHORT_AUDIENCES),
        ),
        _(
            "trainee_ref: any code that is the same for one trainee before and after (no names "
            "needed). org_type: %(types)s.",
            types=", ".join(ORG_TYPES),
        ),
        _("phase: pre (before the training) or post (after). date: the day of the survey."),
        _(
            "Attitude questions: write the answer as ticked on the form, 1 to 5, even for the "
            "questions marked reverse: the platform turns those round itself. Do not reverse "
            "them in the file."
        ),
        _(
            "Knowledge questions: write the number of the option chosen (1, 2, 3 …), as listed "
            "on the sheet “items”, not 1/0 for correct/incorrect."
        ),
        _(
            "Leave a cell empty when the question was not asked or not answered. Questions for "
            "another audience must stay empty."
        ),
        _(
            "Only the first sheet of an Excel file is read: for the long layout, delete the "
            "sheet “wide” so that “long” comes first, or save “long” as a CSV file."
        ),
        _(
            "The row whose trainee_ref is EXAMPLE shows a filled-in survey and is skipped on "
            "import: delete it or leave it."
        ),
    ]


def template_xlsx(version: SurveyVersion) -> bytes:
    """The import template as a workbook: instructions, the items with their wording in both
    languages, keying and option numbers, and the wide and long layouts with an example."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    wide = book.active
    wide.title = "wide"  # first: the platform reads the first sheet
    wide.append([*COLUMNS, *(item.key for item in importable_items(version))])
    wide.append(example_row(version))
    long = book.create_sheet("long")
    long.append([*COLUMNS, *LONG_COLUMNS])
    example = example_row(version)
    for item, value in zip(importable_items(version), example[len(COLUMNS) :], strict=True):
        if value != "":
            long.append([*example[: len(COLUMNS)], item.key, value])
    sheet = book.create_sheet("instructions")
    for line in instructions():
        sheet.append([safe_cell(line)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 120
    items = book.create_sheet("items")
    items.append(
        [
            _("ID"),
            _("Kind"),
            _("Subscale"),
            _("Audience"),
            _("Keying"),
            _("Question (Vietnamese)"),
            _("Question (English)"),
            _("Answer options (Vietnamese)"),
            _("Answer options (English)"),
        ]
    )
    for item in importable_items(version):
        items.append(
            [
                item.key,
                item.kind,
                item.subscale or "",
                item.audience,
                _("reverse") if item.reverse else _("normal"),
                safe_cell(item.text_vi),
                safe_cell(item.text_en),
                safe_cell(_options(item, "vi")),
                safe_cell(_options(item, "en")),
            ]
        )
    for cell in items[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
