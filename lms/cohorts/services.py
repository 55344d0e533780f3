"""Cohorts: who may manage which, creating them, and enrolling trainees."""

import hashlib
import re
import secrets
from functools import cache

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import contains_eager

from lms.auth.models import User, audit
from lms.auth.services import create_user, reset_password
from lms.cohorts.models import STATUSES, Cohort, CohortFacilitator, CohortModule, Enrolment, PhaseGate
from lms.extensions import db
from lms.modules.models import Module
from lms.modules.services import active_modules
from lms.permissions import Permission, Role
from lms.privacy.models import IdentificationCode
from lms.quizzes.models import SurveyResponse
from lms.text import nfc
from lms.urls import workshop_url

# Join codes are typed on phones and read aloud in a room: no 0/O, 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def unique_join_code() -> str:
    while True:
        code = new_code(6)
        if db.session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is None:
            return code


def can_manage_cohort(user, cohort: Cohort) -> bool:
    """Programme staff manage every cohort; a facilitator only the cohorts they facilitate."""
    if user.can(Permission.MANAGE_ALL_COHORTS):
        return True
    return user.can(Permission.RUN_COHORTS) and any(f.id == user.id for f in cohort.facilitators)


def managed_cohort_or_404(user, cohort_id: int) -> Cohort:
    """The cohort, or 404 for one the user does not manage (its existence is not revealed)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_manage_cohort(user, cohort):
        abort(404)
    return cohort


def live_cohort_or_404(user, cohort_id: int) -> Cohort:
    """As managed_cohort_or_404, for changes: an imported historical cohort is read-only."""
    cohort = managed_cohort_or_404(user, cohort_id)
    if cohort.historical:
        abort(404)
    return cohort


def has_live_surveys():
    """For a query on Cohort: a survey of the cohort is not archived. A historical cohort
    without one had every import of it undone, and is listed nowhere."""
    return (
        select(SurveyResponse.id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == Cohort.id, ~SurveyResponse.archived)
        .exists()
    )


def historical_cohorts(user, search: str = "", province: str = "") -> list[Cohort]:
    """Imported historical cohorts for programme staff (read-only), newest first, filtered
    by a part of the name and by province; not those whose imports were all undone."""
    if not user.can(Permission.MANAGE_ALL_COHORTS):
        return []
    query = select(Cohort).where(Cohort.historical.is_(True), has_live_surveys())
    if search:
        query = query.where(Cohort.name.ilike(f"%{search}%"))
    if province:
        query = query.where(Cohort.province == province)
    return list(db.session.scalars(query.order_by(Cohort.start_date.desc(), Cohort.name)))


def cohorts_for_facilitator(user) -> list[Cohort]:
    query = select(Cohort).where(Cohort.historical.is_(False)).order_by(Cohort.start_date.desc())
    if not user.can(Permission.MANAGE_ALL_COHORTS):
        query = query.join(CohortFacilitator).where(CohortFacilitator.user_id == user.id)
    return list(db.session.scalars(query))


def default_cohort_modules(audience: str) -> list[CohortModule]:
    """A new cohort uses the common modules plus its track's (all tracks for a mixed cohort)."""
    result = []
    for position, module in enumerate(active_modules(), start=1):
        audiences = module.audience_list
        if "all" in audiences or audience == "mixed" or audience in audiences:
            result.append(
                CohortModule(
                    module=module,
                    position=position,
                    required=audience == "mixed" and "all" in audiences or audience != "mixed",
                )
            )
    return result


def create_cohort(creator, *, facilitators=None, modules=None, **fields) -> Cohort:
    """Add a cohort with a fresh join code; the creator facilitates it unless others are named."""
    cohort = Cohort(join_code=unique_join_code(), created_by_id=creator.id, **fields)
    cohort.facilitators = list(facilitators or [creator])
    cohort.modules = modules if modules is not None else default_cohort_modules(cohort.audience)
    db.session.add(cohort)
    return cohort


def unique_trainee_code(cohort: Cohort) -> str:
    taken = set(db.session.scalars(select(Enrolment.trainee_code).where(Enrolment.cohort_id == cohort.id)))
    while True:
        code = new_code(4)
        if code not in taken:
            return code


def enrol(cohort: Cohort, user) -> Enrolment:
    """Enrol a user (idempotent: enrolling twice returns the existing enrolment)."""
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id)
    )
    if existing is not None:
        return existing
    enrolment = Enrolment(cohort=cohort, user=user, trainee_code=unique_trainee_code(cohort))
    db.session.add(enrolment)
    return enrolment


def active_enrolments(user, with_follow_ups: bool = False) -> list[Enrolment]:
    """The trainee's enrolments in cohorts that are not closed, newest first, with their cohort
    and its gates in the same query.
    with_follow_ups: closed cohorts that scheduled a follow-up wave count too (the trainee
    still has a survey to come back to)."""
    if not getattr(user, "id", None):
        return []
    return list(db.session.scalars(_active_enrolments_query(with_follow_ups), {"user_id": user.id}).unique())


@cache
def _active_enrolments_query(with_follow_ups: bool):
    # Built once per process: every trainee page runs it (parameter `user_id`).
    current = Cohort.status != "closed"
    if with_follow_ups:
        current = or_(
            current, Cohort.id.in_(select(PhaseGate.cohort_id).where(PhaseGate.opens_on.is_not(None)))
        )
    return (
        select(Enrolment)
        .join(Cohort)
        .where(Enrolment.user_id == bindparam("user_id"), current, Cohort.historical.is_(False))
        .options(contains_eager(Enrolment.cohort).joinedload(Cohort.phase_gates))
        .order_by(Enrolment.joined_at.desc())
    )


# --- Joining -------------------------------------------------------------------------------


class CohortError(ValueError):
    """A cohort rule was broken; the message is translated and shown to the user."""


def normalise_join_code(text: str | None) -> str:
    """Join codes as typed on a phone: any case, spaces or dashes are tolerated."""
    return "".join(ch for ch in nfc(text or "").upper() if ch.isalnum())


def cohort_by_join_code(code: str | None) -> Cohort | None:
    code = normalise_join_code(code)
    if not code:
        return None
    return db.session.scalar(select(Cohort).where(Cohort.join_code == code, Cohort.historical.is_(False)))


def is_enrolled(cohort: Cohort, user) -> bool:
    return (
        db.session.scalar(
            select(Enrolment.id).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id)
        )
        is not None
    )


def check_can_join(cohort: Cohort, user=None) -> None:
    """Raise CohortError when the cohort takes no one, or this account may not join."""
    if cohort.is_closed:
        raise CohortError(
            _("This cohort is closed: it no longer accepts new trainees. Please ask your facilitator.")
        )
    if user is not None and user.role != Role.TRAINEE:
        raise CohortError(
            _(
                "Only trainee accounts can join a cohort. You are signed in with "
                "a staff or facilitator account."
            )
        )


def join_cohort(cohort: Cohort, user) -> tuple[Enrolment, bool]:
    """Enrol a trainee through the join code; returns (enrolment, newly enrolled)."""
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id)
    )
    if existing is not None:
        return existing, False  # joining twice is harmless, even once the cohort is closed
    check_can_join(cohort, user)
    return enrol(cohort, user), True


def default_org_type(cohort: Cohort) -> str:
    """The organisation type a registration form starts with, from the cohort's audience."""
    return {"police": "police", "centre_staff": "centre_staff", "ngo_cbo": "ngo"}.get(
        cohort.audience, "other"
    )


def register_and_join(
    cohort: Cohort, *, username: str, full_name: str, password: str, **profile
) -> Enrolment:
    """Create a trainee account with the password they chose, then enrol it."""
    check_can_join(cohort)
    user, _password = create_user(username, full_name, password, role=Role.TRAINEE, **profile)
    db.session.flush()
    return enrol(cohort, user)


def join_url(cohort: Cohort) -> str:
    return workshop_url("cohorts.join_code", code=cohort.join_code)


def anonymous_urls(cohort: Cohort) -> list[tuple[str, str]]:
    """(phase, public link) for answering without an account (anonymous cohorts only)."""
    if not cohort.anonymous:
        return []
    phases = [
        "pre",
        "post",
        *(
            gate.phase
            for gate in sorted(cohort.phase_gates, key=lambda g: g.phase)
            if gate.phase.startswith("follow-")
        ),
    ]
    return [
        (phase, workshop_url("cohorts.anonymous_start", code=cohort.join_code, phase=phase))
        for phase in phases
    ]


def qr_svg(url: str, title: str = "") -> str:
    """A QR code as inline SVG with classes only (no style attribute, for the CSP)."""
    import segno  # loaded on first use, not at boot

    svg = segno.make(url, error="m").svg_inline(
        scale=1, omitsize=True, svgclass="qr-code", lineclass=None, title=title or None
    )
    if re.search(r"<[^>]*\sstyle=", svg):
        raise ValueError("QR code SVG carries a style attribute, which the CSP would block")
    return svg


# --- Managing cohorts ----------------------------------------------------------------------


def facilitator_candidates() -> list[User]:
    """Active accounts that may facilitate a cohort."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_([Role.FACILITATOR, Role.STAFF, Role.ADMIN]))
            .order_by(User.full_name)
        )
    )


def set_facilitators(actor, cohort: Cohort, user_ids) -> None:
    """Replace the facilitators; a facilitator editing keeps themselves (or they lose access)."""
    ids = set(user_ids or [])
    if not actor.can(Permission.MANAGE_ALL_COHORTS):
        ids.add(actor.id)
    if not ids:
        ids.add(actor.id)
    cohort.facilitators = [u for u in facilitator_candidates() if u.id in ids]


def set_cohort_modules(cohort: Cohort, used_ids, required_ids) -> None:
    """Use these modules in toolkit order; unlocked gates of kept modules are preserved."""
    required = set(required_ids or [])
    used = set(used_ids or []) | required  # a required module is used, ticked or not
    existing = {cm.module_id: cm for cm in cohort.modules}
    chosen = []
    for position, module in enumerate(active_modules(), start=1):
        if module.id not in used:
            continue
        cm = existing.get(module.id) or CohortModule(module=module)
        cm.position, cm.required = position, module.id in required
        chosen.append(cm)
    cohort.modules = chosen


def set_status(actor, cohort: Cohort, status: str) -> None:
    """Change planned / active / closed; closing freezes enrolment and deletes nothing."""
    if status not in STATUSES:
        raise CohortError(_("Unknown status."))
    if cohort.status != status:
        audit(actor, "cohort_status", f"cohort:{cohort.id}", details=f"{cohort.status} -> {status}")
        cohort.status = status


def anonymous_answers_exist(cohort: Cohort) -> bool:
    """Whether any survey of the cohort was answered with a personal code (anonymous mode)."""
    return (
        db.session.scalar(
            select(IdentificationCode.response_id).where(IdentificationCode.cohort_id == cohort.id).limit(1)
        )
        is not None
    )


def set_anonymous(actor, cohort: Cohort, anonymous: bool, certificates: bool) -> None:
    """Turn anonymous mode on or off (no commit). Off is refused once answers were given with a
    code: those respondents were promised anonymity, and their later waves pair only by code."""
    if cohort.anonymous and not anonymous and cohort.id is not None and anonymous_answers_exist(cohort):
        raise CohortError(
            _(
                "Anonymous mode cannot be switched off: some surveys were already "
                "answered anonymously, and those people were promised anonymity."
            )
        )
    if cohort.anonymous != anonymous and cohort.id is not None:
        audit(actor, "cohort_anonymous", f"cohort:{cohort.id}", details=f"{cohort.anonymous} -> {anonymous}")
    cohort.anonymous = anonymous
    cohort.anonymous_certificates = anonymous and certificates


def roster(cohort: Cohort) -> list[Enrolment]:
    """The cohort's enrolments with their accounts, by name."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .options(contains_eager(Enrolment.user))
            .where(Enrolment.cohort_id == cohort.id)
            .order_by(User.full_name, User.id)
        )
    )


def enrolment_in_cohort_or_404(cohort: Cohort, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    return enrolment


def reset_trainee_password(actor, enrolment: Enrolment) -> str:
    """A one-time password for a trainee of the actor's cohort (audited by reset_password)."""
    if enrolment.user.role != Role.TRAINEE:
        raise CohortError(_("Only trainee passwords can be reset from the roster."))
    # A facilitator must not take over someone who also trains in cohorts they do not run.
    other_cohorts = db.session.scalars(
        select(Cohort)
        .join(Enrolment)
        .where(Enrolment.user_id == enrolment.user_id, Cohort.id != enrolment.cohort_id)
    )
    if not all(can_manage_cohort(actor, cohort) for cohort in other_cohorts):
        raise CohortError(
            _(
                "This trainee is also in a cohort you do not run: please ask "
                "programme staff to reset the password."
            )
        )
    return reset_password(actor, enrolment.user, f"roster of cohort {enrolment.cohort_id}")


def set_pre_survey_waived(actor, enrolment: Enrolment, waived: bool) -> None:
    """Let a trainee start the modules without the survey before the training (or undo)."""
    if enrolment.pre_survey_waived != waived:
        enrolment.pre_survey_waived = waived
        audit(
            actor, "pre_survey_waived" if waived else "pre_survey_waiver_removed", f"enrolment:{enrolment.id}"
        )


# --- Pacing --------------------------------------------------------------------------------

PACING_ACTIONS = (
    "self-paced",
    "facilitator-paced",
    "open-pre",
    "close-pre",
    "open-post",
    "close-post",
    "unlock",
    "lock",
)


def apply_pacing(cohort: Cohort, action: str, module_id: int | None = None) -> None:
    """Open or close a gate of a facilitator-paced cohort (or switch the pacing)."""
    if action not in PACING_ACTIONS:
        raise CohortError(_("Unknown action."))
    if action in ("self-paced", "facilitator-paced"):
        cohort.pacing = "self" if action == "self-paced" else "facilitator"
    elif action in ("open-pre", "close-pre"):
        cohort.pre_survey_open = action == "open-pre"
    elif action in ("open-post", "close-post"):
        cohort.post_survey_open = action == "open-post"
    else:
        cohort_module = next((cm for cm in cohort.modules if cm.module_id == module_id), None)
        if cohort_module is None:
            raise CohortError(_("This module is not part of the cohort."))
        cohort_module.unlocked = action == "unlock"


def module_gates(cohort: Cohort) -> list[tuple[str, bool]]:
    """(module key, unlocked) for the cohort's modules, in one query (polled often)."""
    return [
        (key, unlocked)
        for key, unlocked in db.session.execute(
            select(Module.key, CohortModule.unlocked)
            .join(Module, Module.id == CohortModule.module_id)
            .where(CohortModule.cohort_id == cohort.id)
            .order_by(CohortModule.position)
        )
    ]


def gates_version(cohort: Cohort, enrolment: Enrolment | None = None) -> str:
    """A short fingerprint of everything that opens or closes a trainee's pages."""
    state = (
        cohort.status,
        cohort.pacing,
        cohort.pre_survey_open,
        cohort.post_survey_open,
        module_gates(cohort),
        enrolment.pre_survey_waived if enrolment else None,
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:12]


def enrolment_counts(cohorts) -> dict[int, int]:
    """Trainees per cohort (with an account: anonymous respondents are not trainees on a
    list), in one query."""
    ids = [c.id for c in cohorts]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrolment.cohort_id, func.count(Enrolment.id))
            .where(Enrolment.cohort_id.in_(ids), Enrolment.user_id.is_not(None))
            .group_by(Enrolment.cohort_id)
        ).all()
    )
