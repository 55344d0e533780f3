"""Historical pre/post results from CSV or Excel: check every row, then write all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from werkzeug.utils import secure_filename

from lms.auth.models import User, audit
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.services import new_code, unique_join_code
from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse, SurveyVersion
from lms.reports.figures import local_zone
from lms.text import nfc
from lms.vocab import COHORT_AUDIENCES, ORG_TYPE_AUDIENCE, ORG_TYPES, province_codes, province_name

COLUMNS = ("cohort_name", "audience", "province", "start_date", "trainee_ref", "org_type",
           "phase", "date")
PHASE_WORDS = {"pre": "pre", "before": "pre", "trước": "pre", "post": "post", "after": "post",
               "sau": "post"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
STASH_HOURS = 24
NO_PASSWORD = "!"  # noqa: S105 (not a hash: check_password_hash rejects every password)


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

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def phases(self) -> Counter:
        return Counter(row.phase for row in self.rows)


# ---- reading --------------------------------------------------------------------------

def read_table(filename: str, data: bytes) -> list[list]:
    """The first sheet (Excel) or the rows (CSV, comma or semicolon separated) as lists."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        with warnings.catch_warnings():  # spreadsheets from other tools warn about styles
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        return rows
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


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
        if wanted in (code.casefold(), province_name(code, "vi").casefold(),
                      province_name(code, "en").casefold()):
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
            plan.problems.append(_("The column %(name)s is neither one of the expected columns "
                                   "nor a question ID of this survey version.", name=name))
        columns[key] = index
    for name in COLUMNS:
        if name not in columns:
            plan.problems.append(_("The file has no column %(name)s.", name=name))
    return columns


def _check_row(line: int, cells: dict[str, object], items: dict[str, SurveyItem],
               problems: list[str]) -> ImportRow | None:
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
        fail(_("province %(value)s is not a known province code or name.",
               value=_text(cells.get("province"))))
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
            else:
                answers[key] = number
        elif item.kind == "policy":
            if number is None or number not in item.allowed_values():
                fail(_("%(item)s must be a whole number from 1 to 5, or 0 for “not "
                       "applicable”.", item=key))
            else:
                answers[key] = number
        elif number is None or not 1 <= number <= len(item.allowed_values()):
            # "don't know", where offered, is the number after the last option
            fail(_("%(item)s must be the number of the option chosen, from 1 to %(n)s.",
                   item=key, n=len(item.allowed_values())))
        else:
            answers[key] = number - 1
    if not found and not any(items[k].kind == "likert" for k in answers):
        fail(_("no attitude answers."))
    problems += found
    if found:
        return None
    return ImportRow(line, name, audience, province, start, ref, org_type, phase, taken,
                     answers)


def _historical_cohort(row: ImportRow) -> Cohort | None:
    return db.session.scalar(select(Cohort).where(
        Cohort.historical.is_(True), Cohort.name == row.cohort_name,
        Cohort.province == row.province, Cohort.start_date == row.start_date).limit(1))


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
            plan.problems.append(_("Row %(row)s: the same cohort has another audience on an "
                                   "earlier row.", row=row.line))
        if org_types.setdefault(trainee, row.org_type) != row.org_type:
            plan.problems.append(_("Row %(row)s: the same trainee has another org_type on an "
                                   "earlier row.", row=row.line))
        if (trainee, row.phase) in seen:
            plan.problems.append(_("Row %(row)s: this trainee's %(phase)s survey is already on "
                                   "an earlier row.", row=row.line, phase=row.phase))
        seen.add((trainee, row.phase))
        if row.cohort_key not in cohorts:
            cohorts[row.cohort_key] = _historical_cohort(row)
        existing = cohorts[row.cohort_key]
        if existing is not None and existing.audience != row.audience:
            plan.problems.append(_("Row %(row)s: this cohort was imported before with another "
                                   "audience.", row=row.line))
        if existing is not None and db.session.scalar(
                select(SurveyResponse.id).join(Enrolment).join(User)
                .where(Enrolment.cohort_id == existing.id, User.username == row.username,
                       SurveyResponse.phase == row.phase)):
            plan.problems.append(_("Row %(row)s: this survey was imported before.",
                                   row=row.line))
    plan.existing_cohorts = sum(1 for c in cohorts.values() if c is not None)
    plan.new_cohorts = len(cohorts) - plan.existing_cohorts
    plan.trainees = len(org_types)


def check_import(filename: str, data: bytes, version: SurveyVersion) -> ImportPlan:
    """Read and check the whole file; writes nothing."""
    plan = ImportPlan()
    try:
        table = read_table(filename, data)
    except UnicodeDecodeError:
        plan.problems.append(_("The file is not UTF-8 text. In Excel, save it as "
                               "\"CSV UTF-8\" or as an Excel workbook (.xlsx)."))
        return plan
    except Exception:  # noqa: BLE001 (any unreadable spreadsheet is the same problem)
        plan.problems.append(_("The file could not be read as a CSV or Excel file."))
        return plan
    rows = [(line, r) for line, r in enumerate(table, start=1) if any(_text(c) for c in r)]
    if not rows:
        plan.problems.append(_("The file is empty."))
        return plan
    items = {item.key: item for item in version.items}
    header_line, header = rows[0]
    columns = _header(header, items, plan)
    if plan.problems:
        return plan
    for line, raw in rows[1:]:
        cells = {key: raw[index] if index < len(raw) else None for key, index in columns.items()}
        row = _check_row(line, cells, items, plan.problems)
        if row is not None:
            plan.rows.append(row)
    if not rows[1:]:
        plan.problems.append(_("The file has a header row but no data."))
    _check_together(plan)
    return plan


# ---- writing --------------------------------------------------------------------------

def _noon(day: date) -> datetime:
    return datetime.combine(day, clock(12), tzinfo=local_zone()).astimezone(UTC)


def commit_import(plan: ImportPlan, version: SurveyVersion, actor, filename: str) -> dict:
    """Write a checked plan: historical cohorts (closed), inactive placeholder trainees without
    a usable password, and their surveys marked source="imported". The caller commits once."""
    if not plan.ok:
        raise ValueError("only a plan without problems can be imported")
    items = {item.key: item for item in version.items}
    cohorts: dict[tuple, Cohort] = {}
    codes: dict[tuple, set[str]] = {}
    enrolments: dict[tuple, Enrolment] = {}
    for row in plan.rows:
        cohort = cohorts.get(row.cohort_key)
        if cohort is None:
            cohort = _historical_cohort(row)
            if cohort is None:
                end = max(r.date for r in plan.rows if r.cohort_key == row.cohort_key)
                cohort = Cohort(name=row.cohort_name, audience=row.audience,
                                province=row.province, start_date=row.start_date,
                                end_date=max(end, row.start_date), status="closed",
                                historical=True, join_code=unique_join_code(),
                                pre_survey_open=False, created_by_id=actor.id)
                db.session.add(cohort)
                codes[row.cohort_key] = set()
            else:
                codes[row.cohort_key] = set(db.session.scalars(
                    select(Enrolment.trainee_code).where(Enrolment.cohort_id == cohort.id)))
            cohorts[row.cohort_key] = cohort
        trainee = (row.cohort_key, row.trainee_ref.casefold())
        if trainee in enrolments:
            continue
        user = db.session.scalar(select(User).where(User.username == row.username))
        enrolment = None
        if user is None:
            user = User(username=row.username, full_name=row.trainee_ref,
                        password_hash=NO_PASSWORD, role="trainee", org_type=row.org_type,
                        province=row.province, active=False, language="vi")
        elif cohort.id is not None:
            enrolment = db.session.scalar(select(Enrolment).where(
                Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id))
        if enrolment is None:
            code = new_code(6)
            while code in codes[row.cohort_key]:
                code = new_code(6)
            codes[row.cohort_key].add(code)
            enrolment = Enrolment(cohort=cohort, user=user, trainee_code=code,
                                  joined_at=_noon(row.start_date), pre_survey_waived=False)
            db.session.add(enrolment)
        enrolments[trainee] = enrolment
    db.session.flush()
    responses = []
    for row in plan.rows:
        knowledge = [k for k in row.answers if items[k].kind == "knowledge"]
        response = SurveyResponse(
            enrolment_id=enrolments[(row.cohort_key, row.trainee_ref.casefold())].id,
            phase=row.phase, version_id=version.id, source="imported",
            submitted_at=_noon(row.date), entered_by_id=actor.id,
            knowledge_total=len(knowledge) or None,
            knowledge_correct=sum(items[k].score(row.answers[k]) for k in knowledge)
            if knowledge else None)
        db.session.add(response)
        responses.append((response, row))
    db.session.flush()
    # Answers in one bulk insert: thousands of rows without an object each.
    db.session.execute(insert(Answer), [
        {"response_id": response.id, "item_id": items[key].id, "value": value,
         "score": items[key].score(value)}
        for response, row in responses for key, value in row.answers.items()])
    summary = {"rows": len(plan.rows), "new_cohorts": plan.new_cohorts,
               "trainees": plan.trainees, "pre": plan.phases["pre"],
               "post": plan.phases["post"]}
    audit(actor, "historical_import", f"survey_version:{version.id}", details=(
        f"file={filename}; rows={summary['rows']}; new cohorts={summary['new_cohorts']}; "
        f"trainees={summary['trainees']}; pre={summary['pre']}; post={summary['post']}"))
    return summary


# ---- the uploaded file between preview and import -------------------------------------

def _stash_dir() -> Path:
    path = Path(current_app.config["IMPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)  # holds survey answers: owner only
    return path


def stash_upload(user, filename: str, data: bytes) -> str:
    """Keep the uploaded file until the import is confirmed; returns a token for it."""
    folder = _stash_dir()
    for old in folder.iterdir():  # forget previews nobody confirmed
        if old.stat().st_mtime < time.time() - STASH_HOURS * 3600:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    name = secure_filename(filename) or "upload.csv"
    (folder / f"{user.id}-{token}--{name}").write_bytes(data)
    return token


def load_stash(user, token: str) -> tuple[str, bytes] | None:
    """The stashed (filename, bytes) for this user's token, or None."""
    for path in _stash_dir().glob(f"{user.id}-{token}--*"):
        return path.name.split("--", 1)[1], path.read_bytes()
    return None


def drop_stash(user, token: str) -> None:
    for path in _stash_dir().glob(f"{user.id}-{token}--*"):
        path.unlink(missing_ok=True)


def template_csv(version: SurveyVersion) -> bytes:
    """An empty file with every column, for people preparing an import."""
    keys = [item.key for item in version.items]
    out = io.StringIO()
    csv.writer(out).writerow([*COLUMNS, *keys])
    return out.getvalue().encode("utf-8-sig")

