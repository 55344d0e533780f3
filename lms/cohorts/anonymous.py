"""Answering an anonymous cohort's survey without an account, and pairing its waves by code.

A respondent opens the cohort's public link (/a/<join code>/<phase>), writes the
self-generated identification code (lms.privacy.sgic), answers the survey and submits it. The
server keeps a respondent row with its own enrolment (no user) for the drafts; the browser
keeps only a random token. The code is kept as keyed hashes only.

Pairing: every report pairs surveys by enrolment. So after each anonymous survey is stored,
`regroup` puts the surveys that the codes pair (exact, then tolerant; never an ambiguous one)
on the enrolment of the respondent's survey before the training, and every other survey back
on its own enrolment. A later survey can make an earlier pair ambiguous: the pair is undone.
"""

from __future__ import annotations

import secrets
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from lms.cohorts.models import AnonymousRespondent, Cohort, Enrolment
from lms.cohorts.services import cohort_by_join_code, unique_trainee_code
from lms.extensions import db
from lms.privacy.models import IdentificationCode
from lms.privacy.sgic import CodeHashes, hash_code, normalise, pair_waves
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Phase, SurveyResponse, SurveyVersion
from lms.quizzes.services import AlreadySubmitted, SurveyError, submit_survey


class CodeTaken(SurveyError):
    """The same code already answered this survey in this cohort."""

    def __init__(self):
        super().__init__(
            _l(
                "A survey with this personal code has already been submitted for "
                "this cohort. If you have not answered it before, please check "
                "your code, or ask the facilitator for help."
            )
        )


class CodeMissing(SurveyError):
    def __init__(self):
        super().__init__(_l("Please write your personal code first."))


def anonymous_cohort(join_code: str) -> Cohort | None:
    """The anonymous, live cohort of a public survey link (None for any other code)."""
    cohort = cohort_by_join_code(join_code)
    if cohort is None or not cohort.anonymous or cohort.historical:
        return None
    return cohort


def cohort_version(cohort: Cohort) -> SurveyVersion | None:
    """The version every anonymous survey of the cohort answers, online and on paper: the one
    its first survey answered (waves paired by code then compare like with like), else the
    current one."""
    first = db.session.scalar(
        select(SurveyResponse.version_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id)
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        .limit(1)
    )
    return db.session.get(SurveyVersion, first) if first is not None else current_version()


def start_respondent(cohort: Cohort, phase: str, *, online: bool = True) -> AnonymousRespondent:
    """A new respondent with its own enrolment (no user); online ones get a random token."""
    enrolment = Enrolment(cohort=cohort, user_id=None, trainee_code=unique_trainee_code(cohort))
    respondent = AnonymousRespondent(
        token=secrets.token_urlsafe(32) if online else None, cohort=cohort, phase=phase, enrolment=enrolment
    )
    db.session.add(respondent)
    db.session.flush()
    return respondent


def respondent_by_token(cohort: Cohort, phase: str, token: str | None) -> AnonymousRespondent | None:
    if not token:
        return None
    return db.session.scalar(
        select(AnonymousRespondent).where(
            AnonymousRespondent.token == token,
            AnonymousRespondent.cohort_id == cohort.id,
            AnonymousRespondent.phase == phase,
        )
    )


def code_taken(cohort_id: int, phase: str, full: str) -> bool:
    """Whether a survey of this phase in this cohort was already submitted with this code."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    IdentificationCode.cohort_id == cohort_id,
                    IdentificationCode.phase == phase,
                    IdentificationCode.full == full,
                )
            )
        )
    )


def set_code(respondent: AnonymousRespondent, answers: dict[str, str], secret: bytes) -> None:
    """Keep the respondent's code as keyed hashes (no commit). Raises CodeError (an element
    is not valid) or CodeTaken (this code already answered this survey in the cohort)."""
    hashes = hash_code(normalise(answers), secret)
    if code_taken(respondent.cohort_id, respondent.phase, hashes.full):
        raise CodeTaken()
    respondent.code_full, respondent.code_masked = hashes.full, ",".join(hashes.masked)


def submit_anonymous(
    respondent: AnonymousRespondent,
    answers: dict[int, int] | None = None,
    *,
    source: str = "online",
    entered_by=None,
) -> SurveyResponse:
    """Store the respondent's survey once, with its code's hashes, then re-pair the cohort's
    waves (no commit). Raises AlreadySubmitted, CodeMissing, CodeTaken or MissingAnswers."""
    db.session.flush()  # what this request changed (a paper row's code) goes first
    # Claim the respondent with a write: a double click's second request waits here (row lock
    # on PostgreSQL, the write lock on SQLite) and then finds the survey already stored.
    claimed = db.session.execute(
        update(AnonymousRespondent)
        .where(AnonymousRespondent.id == respondent.id, AnonymousRespondent.response_id.is_(None))
        .values(token=AnonymousRespondent.token)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise AlreadySubmitted()
    if respondent.code_full is None:
        raise CodeMissing()
    if code_taken(respondent.cohort_id, respondent.phase, respondent.code_full):
        raise CodeTaken()
    response = submit_survey(
        respondent.enrolment,
        respondent.phase,
        answers,
        source=source,
        entered_by=entered_by,
        version=cohort_version(respondent.cohort),
    )
    respondent.response_id = response.id
    db.session.add(
        IdentificationCode(
            response_id=response.id,
            cohort_id=respondent.cohort_id,
            phase=respondent.phase,
            full=respondent.code_full,
            masked=respondent.code_masked,
        )
    )
    db.session.flush()
    regroup(respondent.cohort)
    return response


def regroup(cohort: Cohort) -> None:
    """Put each survey the codes pair with a survey before the training on that survey's
    enrolment, and every other anonymous survey on its own (no commit)."""
    # One regrouping per cohort at a time (PostgreSQL): two surveys submitted together must
    # not move the same answers both ways. NO KEY UPDATE: the foreign keys of this request's
    # new rows hold KEY SHARE locks on the cohort, which a plain FOR UPDATE would deadlock on.
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update(key_share=True))
    rows = db.session.execute(
        select(
            AnonymousRespondent.response_id,
            AnonymousRespondent.enrolment_id,
            AnonymousRespondent.phase,
            IdentificationCode.full,
            IdentificationCode.masked,
            SurveyResponse.enrolment_id,
        )
        .join(IdentificationCode, IdentificationCode.response_id == AnonymousRespondent.response_id)
        .join(SurveyResponse, SurveyResponse.id == AnonymousRespondent.response_id)
        .where(AnonymousRespondent.cohort_id == cohort.id)
    ).all()
    home, current = {}, {}
    waves: dict[str, dict[int, CodeHashes]] = defaultdict(dict)
    for response_id, own, phase, full, masked, now in rows:
        home[response_id], current[response_id] = own, now
        waves[phase][response_id] = CodeHashes(full, tuple(masked.split(",")))
    target = dict(home)
    for phase in Phase:
        if phase != Phase.PRE and waves[phase] and waves[Phase.PRE]:
            for earlier, later in pair_waves(waves[Phase.PRE], waves[phase]).pairs.items():
                target[later] = home[earlier]
    moving = {response_id for response_id in target if target[response_id] != current[response_id]}
    if not moving:
        return
    responses = {
        r.id: r for r in db.session.scalars(select(SurveyResponse).where(SurveyResponse.id.in_(moving)))
    }
    # Two steps, so that no enrolment ever holds two surveys of one phase in between: each
    # survey back on its own enrolment (which no other survey of its phase uses), then paired.
    for response_id in moving:
        responses[response_id].enrolment_id = home[response_id]
    db.session.flush()
    for response_id in moving:
        responses[response_id].enrolment_id = target[response_id]
    db.session.flush()


def anonymous_answer_counts(cohort: Cohort) -> dict[str, int]:
    """How many surveys of each phase were answered without an account (counts only)."""
    counts: dict[str, int] = defaultdict(int)
    for (phase,) in db.session.execute(
        select(AnonymousRespondent.phase).where(
            AnonymousRespondent.cohort_id == cohort.id, AnonymousRespondent.response_id.is_not(None)
        )
    ):
        counts[phase] += 1
    return dict(counts)
