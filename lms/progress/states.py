"""The states of a trainee's journey: one vocabulary for pages, the matrix, exports and reports."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class PhaseState(StrEnum):
    """Where a trainee stands with one survey phase."""

    DONE = "done"  # submitted (online, on paper or imported)
    WAIVED = "waived"  # the facilitator let the trainee start without it
    OPEN = "open"  # may be answered now
    PAUSED = "paused"  # the facilitator closed it while the trainee was answering: answers kept
    WAITING = "waiting"  # the facilitator has not opened it yet
    LOCKED = "locked"  # something must be done first (the required modules)
    NOT_DONE = "not_done"  # a historical cohort's phase nobody will answer any more

    @property
    def label(self) -> str:
        return str(PHASE_STATE_LABELS[self])

    @property
    def settled(self) -> bool:
        """Nothing more is expected from the trainee for this phase."""
        return self in (PhaseState.DONE, PhaseState.WAIVED)

    @property
    def accepts_answers(self) -> bool:
        """Answers may be saved (a paused attempt keeps collecting, so nothing is lost)."""
        return self in (PhaseState.OPEN, PhaseState.PAUSED)


PHASE_STATE_LABELS = {
    PhaseState.DONE: _l("Done"),
    PhaseState.WAIVED: _l("Waived"),
    PhaseState.OPEN: _l("Open"),
    PhaseState.PAUSED: _l("Closed by the facilitator"),
    PhaseState.WAITING: _l("Not opened yet"),
    PhaseState.LOCKED: _l("Opens when the required modules are finished"),
    PhaseState.NOT_DONE: _l("Not done"),
}


class ModuleAccess(StrEnum):
    """Whether a trainee may open a module."""

    OPEN = "open"
    NEEDS_PRE_SURVEY = "needs_pre_survey"
    LOCKED = "locked"  # the facilitator has not unlocked it


class Completion(StrEnum):
    """How far a trainee has gone through a module."""

    NOT_STARTED = "not_started"
    STARTED = "started"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return str(COMPLETION_LABELS[self])


COMPLETION_LABELS = {
    Completion.NOT_STARTED: _l("Not started"),
    Completion.STARTED: _l("Started"),
    Completion.COMPLETED: _l("Completed"),
}


class CertificateState(StrEnum):
    """A trainee's certificate for one enrolment."""

    ISSUED = "issued"
    REVOKED = "revoked"  # revoked and none valid: only a facilitator can issue a new one
    ELIGIBLE = "eligible"  # the rule is met but none was issued yet
    NOT_ELIGIBLE = "not_eligible"

    @property
    def label(self) -> str:
        return str(CERTIFICATE_STATE_LABELS[self])


CERTIFICATE_STATE_LABELS = {
    CertificateState.ISSUED: _l("Issued"),
    CertificateState.REVOKED: _l("Revoked"),
    CertificateState.ELIGIBLE: _l("Eligible"),
    CertificateState.NOT_ELIGIBLE: _l("Not eligible yet"),
}


class Missing(StrEnum):
    """The first requirement of the certificate rule that is not met."""

    MODULES = "modules"
    POST_SURVEY = "post_survey"
    PASS_MARK = "pass_mark"  # noqa: S105 (a knowledge score, not a password)
    ACCOUNT = "account"  # answered anonymously without an account: nobody to certify
    NOT_OFFERED = "not_offered"  # an anonymous cohort that offers no certificate
