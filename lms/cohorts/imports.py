"""Bulk enrolment from CSV or XLSX: read, check every row, keep the file, then write all at once.

The checked rows wait in the upload store (lms.uploads) between preview and commit; after the
commit the one-time passwords wait there only until the login slips are downloaded (at most
IMPORT_KEEP_MINUTES). Nothing else ever holds a plain password.
"""

import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lms import uploads
from lms.auth.models import User, audit
from lms.auth.services import create_user, normalise_username
from lms.cohorts.models import Cohort, CohortFacilitator, Enrolment
from lms.cohorts.services import CohortError, check_can_join, default_org_type, enrol
from lms.extensions import db
from lms.permissions import Permission, Role
from lms.text import fold, nfc
from lms.uploads import UploadError, read_table
from lms.vocab import ORG_TYPES, province_codes, province_name

MAX_ROWS = 1000
EMAIL_LENGTH = User.email.type.length
PHONE_LENGTH = User.phone.type.length
PHONE = re.compile(r"\+?[\d\s.()-]{6,}")
FIELDS = ("full_name", "login", "phone", "email", "org_type", "province")
# Column headings people actually write, compared without accents or case.
HEADINGS = {
    "full_name": {"full name", "full_name", "name", "ho va ten", "ho ten", "ten", "hoten"},
    "login": {"login", "login name", "username", "user name", "ten dang nhap", "dang nhap", "tai khoan"},
    "phone": {"phone", "phone number", "mobile", "so dien thoai", "dien thoai", "sdt"},
    "email": {"email", "e-mail", "thu dien tu"},
    "org_type": {
        "organisation type",
        "organization type",
        "org type",
        "org_type",
        "organisation",
        "organization",
        "loai co quan",
        "loai to chuc",
        "co quan",
        "don vi",
        "loai don vi",
    },
    "province": {
        "province",
        "province or city",
        "city",
        "tinh",
        "tinh/thanh pho",
        "tinh thanh pho",
        "tinh/thanh",
        "tinh thanh",
        "tinh, thanh pho",
    },
}


@dataclass
class ImportRow:
    line: int
    full_name: str = ""
    login: str = ""
    phone: str = ""
    email: str = ""
    org_type: str = ""
    province: str = ""
    action: str = "create"  # create | enrol | already
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportCheck:
    rows: list[ImportRow]

    @property
    def valid(self) -> bool:
        return bool(self.rows) and not any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(row.action == action for row in self.rows)


def match_key(text) -> str:
    """lms.text.fold, case-folded and single-spaced, to match a header or a cell to a known
    name: "Tỉnh  Đồng Nai" -> "tinh dong nai"."""
    return " ".join(fold(str(text or "")).casefold().split())


# --- Reading the file ----------------------------------------------------------------------


def read_records(filename: str, data: bytes) -> list[dict]:
    """The uploaded file's rows as records, or UploadError."""
    return records_from_table(read_table(filename, data, max_rows=MAX_ROWS))


def records_from_table(table: list[list[str]]) -> list[dict]:
    """Rows as {field: text, "line": n}, with columns found by their heading."""
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise UploadError(_("The file is empty."))
    header = [match_key(cell) for cell in table[0]]
    columns = {}
    for name, headings in HEADINGS.items():
        for index, heading in enumerate(header):
            if heading in headings and name not in columns:
                columns[name] = index
    if "full_name" not in columns or not {"login", "phone", "email"} & columns.keys():
        raise UploadError(
            _(
                "The first row must name the columns: full name, login (or phone or email), "
                "organisation type, province."
            )
        )
    records = []
    for line, row in enumerate(table[1:], start=2):
        record = {"line": line}
        for name, index in columns.items():
            record[name] = row[index].strip() if index < len(row) else ""
        records.append(record)
    return records


# --- Checking the rows ---------------------------------------------------------------------


def _org_type_lookup() -> dict[str, str]:
    lookup = {match_key(code): code for code in ORG_TYPES}
    for lang in ("vi", "en"):
        with force_locale(lang):
            lookup |= {match_key(str(label)): code for code, label in ORG_TYPES.items()}
    return lookup


def _province_lookup() -> dict[str, str]:
    lookup = {}
    for code in province_codes():
        lookup[match_key(code)] = code
        for lang in ("vi", "en"):
            name = match_key(province_name(code, lang))
            lookup[name] = code
            for prefix in ("thanh pho ", "tinh ", "tp "):
                if name.startswith(prefix):
                    lookup[name.removeprefix(prefix)] = code
    return lookup


def check_records(cohort: Cohort, actor, records: list[dict]) -> ImportCheck:
    """Every row with its problems; the import may go ahead only when no row has any."""
    org_types, provinces = _org_type_lookup(), _province_lookup()
    rows = []
    for record in records:
        row = ImportRow(
            line=record["line"],
            full_name=nfc(record.get("full_name", "")),
            phone=record.get("phone", ""),
            email=record.get("email", ""),
        )
        if not row.full_name:
            row.errors.append(_("The full name is missing."))
        elif len(row.full_name) > 200:
            row.errors.append(_("The full name is too long."))
        login = record.get("login") or row.phone or row.email
        if PHONE.fullmatch(login):
            login = re.sub(r"[\s.()-]", "", login)  # "0912 345 678" signs in as 0912345678
        row.login = normalise_username(login)
        if not row.login:
            row.errors.append(_("A login, phone number or email is needed."))
        elif len(row.login) > 80 or any(ch.isspace() for ch in row.login):
            row.errors.append(
                _("The login %(login)s is not valid (no spaces, at most 80 characters).", login=row.login)
            )
        if row.email and "@" not in row.email:
            row.errors.append(_("%(email)s is not an email address.", email=row.email))
        elif len(row.email) > EMAIL_LENGTH:
            row.errors.append(_("The email address is too long (at most %(n)s characters).", n=EMAIL_LENGTH))
        if len(row.phone) > PHONE_LENGTH:
            row.errors.append(_("The phone number is too long (at most %(n)s characters).", n=PHONE_LENGTH))
        raw_org = record.get("org_type", "")
        row.org_type = org_types.get(match_key(raw_org), "") if raw_org else default_org_type(cohort)
        if not row.org_type:
            row.errors.append(_("Unknown organisation type: %(value)s.", value=raw_org))
        raw_province = record.get("province", "")
        row.province = provinces.get(match_key(raw_province), "") if raw_province else cohort.province
        if not row.province:
            row.errors.append(_("Unknown province: %(value)s.", value=raw_province))
        rows.append(row)
    _check_logins(cohort, actor, rows)
    return ImportCheck(rows)


def _own_trainees(actor, user_ids: list[int]) -> set[int]:
    """Which of these accounts already train in a cohort the actor runs."""
    if not user_ids:
        return set()
    query = select(Enrolment.user_id).where(Enrolment.user_id.in_(user_ids))
    if not actor.can(Permission.MANAGE_ALL_COHORTS):
        query = query.join(CohortFacilitator, CohortFacilitator.cohort_id == Enrolment.cohort_id).where(
            CohortFacilitator.user_id == actor.id
        )
    return set(db.session.scalars(query))


def _check_logins(cohort: Cohort, actor, rows: list[ImportRow]) -> None:
    # An import never takes over someone else's account: an existing login is enrolled only
    # when it already trains with this facilitator, and its real name is never shown.
    lines: dict[str, list[int]] = {}
    for row in rows:
        if row.login:
            lines.setdefault(row.login, []).append(row.line)
    existing = (
        {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(list(lines))))}
        if lines
        else {}
    )
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)))
    own = _own_trainees(actor, [u.id for u in existing.values() if u.role == Role.TRAINEE])
    for row in rows:
        if not row.login:
            continue
        if len(lines[row.login]) > 1:
            row.errors.append(
                _(
                    "The login %(login)s appears more than once in the file (rows %(rows)s).",
                    login=row.login,
                    rows=", ".join(map(str, lines[row.login])),
                )
            )
        user = existing.get(row.login)
        if user is None:
            continue
        if user.role != Role.TRAINEE or user.id not in own:
            row.errors.append(
                _(
                    "The login %(login)s is already taken by another account. "
                    "Please choose another login for this person.",
                    login=row.login,
                )
            )
        elif user.id in enrolled:
            row.action = "already"
            row.notes.append(_("Already in this cohort: nothing changes."))
        else:
            row.action = "enrol"
            row.notes.append(
                _("A trainee of your cohorts has this login: they will be enrolled, not created again.")
            )


# --- Keeping the file between preview and commit -------------------------------------------


def keep_checked_file(cohort: Cohort, actor, filename: str, records: list[dict]) -> str:
    """Store a valid file's rows until the facilitator confirms; returns its token."""
    return uploads.keep(
        "preview", actor.id, {"cohort_id": cohort.id, "filename": filename, "records": records}
    )


def _for_cohort(content: dict | None, cohort: Cohort) -> dict | None:
    return content if content and content.get("cohort_id") == cohort.id else None


def checked_file(cohort: Cohort, actor, token: str) -> dict | None:
    return _for_cohort(uploads.load("preview", actor.id, token), cohort)


def import_trainees(cohort: Cohort, actor, token: str) -> tuple[ImportCheck, dict | None]:
    """Create and enrol every row of a kept file, checked again, in the caller's transaction.

    Returns the check and the result (None when a row has problems and nothing was added).
    """
    kept = checked_file(cohort, actor, token) and uploads.claim("preview", actor.id, token)
    if kept is None:  # expired, or being imported by a second click right now
        raise CohortError(_("This import has expired. Please upload the file again."))
    try:
        check_can_join(cohort)
    except CohortError:
        uploads.release("preview", token)
        raise
    check = check_records(cohort, actor, kept["records"])
    if not check.valid:
        uploads.release("preview", token)
        return check, None
    slips = []
    for row in check.rows:
        if row.action == "create":
            user, password = create_user(
                row.login,
                row.full_name,
                role=Role.TRAINEE,
                org_type=row.org_type,
                province=row.province,
                phone=row.phone or None,
                email=row.email or None,
                language=cohort.language,
            )
            db.session.flush()
            slips.append((user.full_name, user.username, password))
        else:
            user = db.session.scalar(select(User).where(User.username == row.login))
        enrol(cohort, user)
    audit(
        actor,
        "trainees_import",
        f"cohort:{cohort.id}",
        details=f"{kept['filename']}: created {check.count('create')}, "
        f"enrolled {check.count('enrol')}, already {check.count('already')}",
    )
    return check, {
        "slips": slips,
        "created": check.count("create"),
        "enrolled": check.count("enrol"),
        "already": check.count("already"),
    }


def keep_result(cohort: Cohort, actor, token: str, result: dict) -> None:
    """After the commit: keep the one-time passwords for the slips, drop the checked file."""
    uploads.keep("result", actor.id, {"cohort_id": cohort.id, **result}, token=token)
    uploads.drop("preview", token)


def import_result(cohort: Cohort, actor, token: str) -> dict | None:
    return _for_cohort(uploads.load("result", actor.id, token), cohort)


def forget_result(token: str) -> None:
    """The slips were downloaded: the passwords are gone for good."""
    uploads.drop("result", token)


def login_slips_pdf(cohort: Cohort, slips: list) -> bytes:
    """Login slips for the accounts an import created, labelled in the cohort's language."""
    from lms.cohorts.slips import render_login_slips
    from lms.urls import public_url

    with force_locale(cohort.language):
        labels = {
            "login": _("Login name"),
            "password": _("One-time password"),
            "site": _("Website"),
            "instruction": _("You must choose a new password when you first sign in."),
        }
    return render_login_slips(cohort.name, public_url("auth.login"), [tuple(slip) for slip in slips], labels)
