"""Reactions to a trainee's progress, connected once: a certificate is issued the moment its last
requirement is met, whichever page (lesson, survey, paper entry grid) met it."""

from lms.progress.certification import issue_earned_certificates, issue_quietly
from lms.signals import lesson_completed, survey_submitted


@lesson_completed.connect
def _issue_after_lesson(user, **_details) -> None:
    issue_earned_certificates(user)


@survey_submitted.connect
def _issue_after_survey(enrolment, **_details) -> None:
    # Imported results earn nothing; nor does an answer given without an account.
    if not enrolment.cohort.historical and enrolment.user_id is not None:
        issue_quietly(enrolment)
