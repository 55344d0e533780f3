"""The trainee's journey: the one place that decides what an enrolment may do next, and why not.

Lesson and module completion, the state of every survey phase, module access (the pre-survey
gate and the facilitator's pacing), certificate eligibility, the trainee's dashboard and the
completion matrix all come from `journey.py`; pages, exports and reports ask it rather than
working the rules out again. Reactions to a trainee's progress (issuing a certificate once the
last requirement is met) are connected in `reactions.py`.
"""
