"""Certificates of completion: the issue rule, issuing and revoking, verification, the labels.

The files themselves (PDF, ZIP) are built in lms/certificates/documents.py. When a certificate
is earned is decided by lms.progress (the rule needs the whole journey), which calls
`insert_certificate` here.

Decisions:
- Revocation is final. The public page keeps saying "revoked" (with the date); a facilitator
  may issue a new certificate, with a new code, to the same enrolment. The automatic rule never
  issues again to an enrolment that has ever had a certificate.
- The snapshot freezes the facts (name, language, cohort, audience track, modules, hours, dates,
  facilitators, organisation) at issue. The wording (labels, date formats) and the public
  address come from the running app, so corrected translations reach old certificates, and one
  certificate gives the same bytes for as long as the catalogue and PUBLIC_URL stay the same.
"""

import math

from flask import current_app
from flask_babel import force_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User, audit
from lms.auth.services import record_failure, throttled
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.services import CODE_ALPHABET, can_manage_cohort, new_code
from lms.extensions import db
from lms.models import utcnow
from lms.modules.models import Module
from lms.text import nfc

CODE_LENGTH = 10  # 32 symbols ** 10 = 2 ** 50 codes: guessing one is hopeless when throttled
REASON_MAX_LENGTH = 500

# The one source of the certificate's words: translated per language under force_locale.
CERTIFICATE_LABELS = {
    "title": _l("Certificate of completion"),  # printed in capitals
    "certifies": _l("This certifies that"),
    "completed": _l("has completed the training"),
    "modules": _l("Modules"),
    "hours": _l("Hours"),
    "dates": _l("Dates"),
    "facilitators": _l("Facilitators"),
    "issued": _l("Issued on"),
    "code": _l("Verification code"),
    "verify": _l("Verify at"),
}


class CertificateError(Exception):
    """A certificate action that cannot be done; the message is translated for the user."""


class TooManyGuesses(CertificateError):
    def __init__(self, minutes: int):
        super().__init__(
            _(
                "Too many unknown codes were tried from your connection. Please wait "
                "%(minutes)s minutes and try again.",
                minutes=minutes,
            )
        )


# --- Codes -------------------------------------------------------------------------------


def normalise_code(text: str | None) -> str:
    """Return the code as stored: capitals only, without the spaces and dashes people type."""
    return "".join(ch for ch in nfc(text or "").upper() if ch.isalnum())


def is_wellformed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def format_code(code: str) -> str:
    """Return the code grouped for reading aloud: K7QX-M3PD-2W."""
    return "-".join(code[n : n + 4] for n in range(0, len(code), 4))


def find_certificate(code_text: str | None) -> Certificate | None:
    code = normalise_code(code_text)
    if not is_wellformed(code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


# --- Issuing -----------------------------------------------------------------------------


def current_certificate(enrolment: Enrolment) -> Certificate | None:
    """The enrolment's valid (not revoked) certificate, if any."""
    return db.session.scalar(
        select(Certificate).where(Certificate.enrolment_id == enrolment.id, Certificate.revoked_at.is_(None))
    )


def ever_certified(enrolment: Enrolment) -> bool:
    return (
        db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == enrolment.id).limit(1))
        is not None
    )


def training_hours(modules: list[Module]) -> float:
    """Sum of the modules' lesson minutes in hours, rounded (half up) to the nearest half hour."""
    minutes = sum(module.minutes for module in modules)
    return math.floor(minutes / 30 + 0.5) / 2


def cohort_modules(enrolment: Enrolment) -> list[Module]:
    """Every module of the cohort: what a certificate for a workshop taught in the room lists."""
    return [cm.module for cm in enrolment.cohort.modules if not cm.module.archived]


def build_snapshot(enrolment: Enrolment, issued_at, modules: list[Module], *, in_room: bool = False) -> dict:
    """The facts the certificate states, frozen at issue."""
    from lms.certificates.pdf import LANGUAGES  # reportlab loads on first use

    user, cohort = enrolment.user, enrolment.cohort
    language = next((lang for lang in (user.language, cohort.language) if lang in LANGUAGES), LANGUAGES[0])
    config = current_app.config
    return {
        "full_name": nfc(user.full_name),
        "language": language,
        "cohort_name": nfc(cohort.name),
        "audience": cohort.audience,
        "modules": [{"key": m.key, "vi": nfc(m.title_vi), "en": nfc(m.title_en)} for m in modules],
        "hours": training_hours(modules),
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "issued_on": to_user_timezone(issued_at).date().isoformat(),
        "facilitators": [nfc(f.full_name) for f in cohort.facilitators],
        "organisation_name": nfc(config.get("ORGANISATION_NAME") or "") or None,
        "logo_path": config.get("ORGANISATION_LOGO") or None,
        "in_room": in_room,
    }


def insert_certificate(
    enrolment: Enrolment,
    modules: list[Module],
    *,
    issued_by: User | None = None,
    reason: str | None = None,
    in_room: bool = False,
) -> Certificate | None:
    """Add a certificate listing these modules, in a savepoint; None when a concurrent request
    issued one first."""
    issued_at = utcnow()
    snapshot = build_snapshot(enrolment, issued_at, modules, in_room=in_room)
    for _attempt in range(5):
        certificate = Certificate(
            enrolment_id=enrolment.id,
            code=new_code(CODE_LENGTH),
            issued_at=issued_at,
            issued_by_id=getattr(issued_by, "id", None),
            issue_reason=reason,
            snapshot=snapshot,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            if current_certificate(enrolment) is not None:
                return None  # the other request won the race: its certificate stands
            continue  # two codes collided (about 1 in 10^15): draw another
        return certificate
    raise RuntimeError("no free certificate code after 5 attempts")


def _required_reason(reason: str | None) -> str:
    reason = nfc(reason or "")
    if not reason:
        raise CertificateError(_("Please give a reason."))
    if len(reason) > REASON_MAX_LENGTH:
        raise CertificateError(_("Please keep the reason under %(n)s characters.", n=REASON_MAX_LENGTH))
    return reason


def issue_certificate(
    actor: User, enrolment: Enrolment, reason: str | None, modules: list[Module], *, in_room: bool = False
) -> Certificate:
    """Issue by hand, whether or not the rule is met (e.g. a paper workshop); audited.

    `modules` are those the certificate lists: every module of the cohort when it was taught
    in the room (in_room), else those the trainee completed.
    """
    reason = _required_reason(reason)
    if current_certificate(enrolment) is not None:
        raise CertificateError(_("%(name)s already has a valid certificate.", name=enrolment.user.full_name))
    certificate = insert_certificate(enrolment, modules, issued_by=actor, reason=reason, in_room=in_room)
    if certificate is None:
        raise CertificateError(_("%(name)s already has a valid certificate.", name=enrolment.user.full_name))
    details = f"enrolment:{enrolment.id}" + ("; all cohort modules, in the room" if in_room else "")
    audit(actor, "certificate_issue", f"certificate:{certificate.code}", reason, details)
    return certificate


def revoke_certificate(actor: User, certificate: Certificate, reason: str | None) -> None:
    """Revoke for good (the verification page will say so); audited."""
    reason = _required_reason(reason)
    if certificate.is_revoked:
        raise CertificateError(_("This certificate has already been revoked."))
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason
    audit(
        actor,
        "certificate_revoke",
        f"certificate:{certificate.code}",
        reason,
        f"enrolment:{certificate.enrolment_id}",
    )


# --- Who may see what --------------------------------------------------------------------


def can_download(user: User, certificate: Certificate) -> bool:
    """The trainee, a facilitator of the cohort, or programme staff."""
    enrolment = certificate.enrolment
    return enrolment.user_id == user.id or can_manage_cohort(user, enrolment.cohort)


def audit_download(actor: User, certificates: list[Certificate], cohort: Cohort | None = None):
    """Record who downloaded someone else's certificate (one event per ZIP)."""
    if cohort is not None:
        audit(actor, "certificate_zip", f"cohort:{cohort.id}", details=f"{len(certificates)} certificates")
    else:
        for certificate in certificates:
            audit(
                actor,
                "certificate_download",
                f"certificate:{certificate.code}",
                details=f"enrolment:{certificate.enrolment_id}",
            )


def certificates_of(user: User) -> list[Certificate]:
    """The trainee's certificates (valid and revoked), newest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .join(Enrolment)
            .where(Enrolment.user_id == user.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def cohort_enrolments(cohort: Cohort) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.cohort_id == cohort.id)
            .order_by(User.full_name, Enrolment.id)
        )
    )


def valid_certificates(cohort: Cohort) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .join(Enrolment)
            .where(Enrolment.cohort_id == cohort.id, Certificate.revoked_at.is_(None))
        )
    )


def verify_code(code_text: str | None, address: str) -> Certificate | None:
    """Look a code up for the public page; unknown codes count against the address."""
    config = current_app.config
    key = f"verify:{address}"
    minutes = config["VERIFY_LOCK_MINUTES"]
    if throttled({key: config["VERIFY_MAX_FAILURES"]}, minutes):
        raise TooManyGuesses(minutes)
    certificate = find_certificate(code_text)
    if certificate is None:
        record_failure(key)
    return certificate


# --- Words on the certificate ------------------------------------------------------------


def certificate_labels() -> dict[str, dict[str, str]]:
    """CERTIFICATE_LABEL_KEYS -> the UI catalogue's words, for each language."""
    from lms.certificates.pdf import CERTIFICATE_LABEL_KEYS, LANGUAGES

    labels = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            labels[lang] = {key: str(CERTIFICATE_LABELS[key]) for key in CERTIFICATE_LABEL_KEYS}
        labels[lang]["title"] = labels[lang]["title"].upper()
    return labels
