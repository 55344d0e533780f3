"""Whether an anonymous cohort's public survey link takes answers: the journey's phase rule
(journey.phase_state) applied to a respondent without an account or a history."""

from __future__ import annotations

from datetime import date

from lms.cohorts.models import Cohort, Enrolment
from lms.progress.journey import phase_state
from lms.progress.states import PhaseState
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Phase


def phase_open(cohort: Cohort, phase: Phase, today: date) -> bool:
    """Before and after the training: while the cohort is not closed and (facilitator-paced)
    the facilitator has the phase open. A follow-up wave: once the facilitator opens it or its
    scheduled date comes. A respondent brings no history, so nothing done earlier is required
    (no modules, and the survey after the training is not checked for a follow-up)."""
    if cohort.is_closed and not phase.is_follow_up:
        return False
    newcomer = Enrolment(cohort=cohort, pre_survey_waived=False)  # transient, never stored
    state = phase_state(
        phase,
        newcomer,
        submitted=False,
        draft_started=False,
        modules_complete=True,
        instrument=current_version() is not None,
        post_done=True,
        today=today,
    )
    return state == PhaseState.OPEN
