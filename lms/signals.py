"""What a domain announces for others to react to, so that no domain imports the one above it.

Senders never know who listens: `lms.progress.reactions` connects the handlers (issuing a
certificate once its last requirement is met). Handlers run in the sender's transaction and
must not commit: the request commits once.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the trainee (User); lesson=Lesson
lesson_completed = _signals.signal("lesson-completed")
# sender: the Enrolment; phase=Phase, response=SurveyResponse
survey_submitted = _signals.signal("survey-submitted")
