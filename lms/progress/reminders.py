"""Follow-up reminders: an email to every trainee of a cohort who may answer a wave and has
not yet, sent by a background job (kind "follow_up_reminders").

Each trainee is reminded at most once per wave. A batch first claims its trainees (a
`Reminder` row under the unique (enrolment, wave)) and commits, then talks to the mail server
outside any transaction (trainees' writes never wait on it), then records what was sent and
commits again. A second click or a second job finds the claims; a job restarted after a crash
sends again only to claims it never confirmed: better one reminder twice than none.

The email says nothing sensitive: no answers, and a neutral "training follow-up survey"
wording, in the trainee's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.cohorts.models import Cohort, Enrolment, Reminder
from lms.extensions import db
from lms.mail import Mailer
from lms.models import utcnow
from lms.progress.clock import today
from lms.progress.journey import cohort_journeys
from lms.progress.states import PhaseState
from lms.quizzes.models import FOLLOW_UPS, Phase
from lms.urls import public_url

DAYS_AHEAD = 14  # reminders may be sent from this many days before a wave opens
BATCH = 20  # emails per transaction (and per connection to the mail server)


@dataclass(frozen=True)
class WaveReminders:
    """A scheduled follow-up wave of a cohort, for its page: may reminders be sent now, and
    how many trainees were reminded already."""

    phase: Phase
    opens_on: date
    due: bool
    reminded: int


def reminders_due(cohort: Cohort, phase: str, on: date | None = None) -> bool:
    """A scheduled wave that is open, or opens within DAYS_AHEAD days."""
    opens_on = cohort.wave_date(phase)
    if cohort.historical or opens_on is None:
        return False
    return cohort.gate_open(phase) or opens_on <= (on or today()) + timedelta(days=DAYS_AHEAD)


def wave_reminders(cohort: Cohort) -> list[WaveReminders]:
    counts = dict(
        db.session.execute(
            select(Reminder.phase, func.count())
            .join(Enrolment, Enrolment.id == Reminder.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id, Reminder.sent_at.is_not(None))
            .group_by(Reminder.phase)
        ).all()
    )
    on = today()
    return [
        WaveReminders(
            phase, cohort.wave_date(phase), reminders_due(cohort, phase, on), counts.get(phase.value, 0)
        )
        for phase in FOLLOW_UPS
        if cohort.wave_date(phase) is not None
    ]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _claim(enrolment: Enrolment, phase: str) -> Reminder | None:
    """The reminder row for this trainee and wave, or None if one exists (another job)."""
    reminder = Reminder(enrolment_id=enrolment.id, phase=phase)
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        return None
    return reminder


def reminder_email(enrolment: Enrolment, phase: Phase, opens_on: date) -> tuple[str, str]:
    """(subject, body) in the trainee's language: the date, the link, nothing sensitive."""
    cohort, user = enrolment.cohort, enrolment.user
    language = user.language or cohort.language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    link = public_url("quizzes.take", enrolment_id=enrolment.id, phase=phase.value)
    with force_locale(language):
        subject = _("Training follow-up survey")
        body = (
            "\n\n".join(
                [
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Thank you for taking part in the training from %(start)s to %(end)s. Some "
                        "months on, we would like to hear from you again in a short survey.",
                        start=format_date(cohort.start_date, "long"),
                        end=format_date(cohort.end_date, "long"),
                    ),
                    _("%(wave)s: from %(date)s", wave=phase.title, date=format_date(opens_on, "long")),
                    _("Please answer it at this address, signing in with your account:") + "\n" + link,
                    _("Thank you,")
                    + "\n"
                    + (current_app.config["ORGANISATION_NAME"] or _("The training team")),
                ]
            )
            + "\n"
        )
    return subject, body


def send_reminders(cohort: Cohort, phase: str, progress: Callable[[int, int], None]) -> dict[str, int]:
    """Email every trainee of the cohort who may answer the wave (the survey after the training
    done) and has not, once. Returns the counts shown on the job's page: sent, skipped (no
    email address), already reminded, failed (refused by the mail server; never named), total."""
    wave = Phase(phase)
    opens_on = cohort.wave_date(wave)
    pending = [
        j.enrolment
        for j in cohort_journeys(cohort)
        if wave in j.phases and j.phases[wave].state not in (PhaseState.DONE, PhaseState.LOCKED)
    ]
    claims = {
        r.enrolment_id: r
        for r in db.session.scalars(
            select(Reminder).where(
                Reminder.phase == wave.value, Reminder.enrolment_id.in_([e.id for e in pending] or [0])
            )
        )
    }
    outcome = {"sent": 0, "skipped": 0, "already": 0, "failed": 0, "total": len(pending)}
    to_send = []
    for enrolment in pending:
        claim = claims.get(enrolment.id)
        if claim is not None and claim.sent_at is not None:
            outcome["already"] += 1
        elif not (enrolment.user.active and "@" in (enrolment.user.email or "")):
            outcome["skipped"] += 1
        else:
            to_send.append((enrolment, claim))
    done = len(pending) - len(to_send)
    progress(done, len(pending))
    for batch in _chunks(to_send, BATCH):
        messages = []
        for enrolment, claim in batch:
            claim = claim or _claim(enrolment, wave.value)
            if claim is None:
                outcome["already"] += 1  # claimed by another job meanwhile
                continue
            messages.append((claim, enrolment.user.email.strip(), *reminder_email(enrolment, wave, opens_on)))
        db.session.commit()  # the claims: a short write, before the mail server is reached
        with Mailer() as mailer:
            for claim, address, subject, body in messages:
                if mailer.send(address, subject, body):
                    claim.sent_at = utcnow()
                    outcome["sent"] += 1
                else:
                    outcome["failed"] += 1
                    db.session.delete(claim)  # not reminded: a later click tries again
        done += len(batch)
        progress(done, len(pending))
        db.session.commit()  # what was sent, with the job's progress
    return outcome
