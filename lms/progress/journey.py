"""What may this enrolment do next, and why not: the rules, and the facts they are applied to.

The facts (lessons completed, surveys submitted, drafts started, certificates) are loaded for a
list of enrolments in a fixed number of queries, whatever their number, and the same rule
functions turn them into a Journey, for one trainee's page or for a whole cohort's matrix: the
two can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, CohortModule, Enrolment
from lms.extensions import db
from lms.modules.models import LessonProgress, ToolkitVersion
from lms.modules.toolkit import Toolkit, ToolkitLesson, ToolkitModule, toolkit
from lms.progress.clock import today
from lms.progress.states import CertificateState, Completion, Missing, ModuleAccess, PhaseState
from lms.quizzes.models import DraftAnswer, Phase, SurveyResponse, SurveyVersion

# --- The rules ---------------------------------------------------------------------------


def module_completion(lessons: list, completed: set[int], visited: set[int]) -> tuple[Completion, int, int]:
    """(completion, required lessons done, required lessons) of one module for one trainee.

    `lessons`: the module's live lessons (anything with `id` and `required`).

    A module is completed when every required lesson is. A module whose lessons are all
    optional is completed once the trainee has completed one of them (or when it has no lesson
    left at all): finishing it must mean having done something in it. Archived lessons never
    count, and are never passed in.
    """
    required = [lesson.id for lesson in lessons if lesson.required]
    done = sum(lesson_id in completed for lesson_id in required)
    if required:
        complete = done == len(required)
    else:
        complete = not lessons or any(lesson.id in completed for lesson in lessons)
    if complete:
        return Completion.COMPLETED, done, len(required)
    touched = any(lesson.id in visited or lesson.id in completed for lesson in lessons)
    return (Completion.STARTED if touched else Completion.NOT_STARTED), done, len(required)


def phase_state(
    phase: Phase,
    enrolment: Enrolment,
    *,
    submitted: bool,
    draft_started: bool,
    modules_complete: bool,
    instrument: bool,
    post_done: bool = False,
    today: date | None = None,
) -> PhaseState:
    """The state of one survey phase for one enrolment.

    A follow-up wave is locked until the survey after the training is done; then it waits for
    its scheduled date, or for the facilitator to open it earlier.
    """
    cohort = enrolment.cohort
    if submitted:
        return PhaseState.DONE
    if phase == Phase.PRE and enrolment.pre_survey_waived:
        return PhaseState.WAIVED
    if cohort.historical or not instrument:
        return PhaseState.NOT_DONE  # nothing to answer: an imported cohort, or no instrument
    if phase.is_follow_up:
        if not post_done:
            return PhaseState.LOCKED
        opens_on = cohort.wave_date(phase)
        if cohort.gate_open(phase) or (opens_on is not None and today is not None and today >= opens_on):
            return PhaseState.OPEN
        return PhaseState.PAUSED if draft_started else PhaseState.WAITING
    if phase == Phase.POST and not modules_complete:
        return PhaseState.LOCKED
    if cohort.facilitator_paced and not cohort.gate_open(phase):
        return PhaseState.PAUSED if draft_started else PhaseState.WAITING
    return PhaseState.OPEN


def module_access(cohort: Cohort, cohort_module, pre: PhaseState) -> ModuleAccess:
    """Modules wait for the pre-survey (unless it is done, waived or there is none to answer),
    then, in a facilitator-paced cohort, for the facilitator to unlock them."""
    if not (pre.settled or pre == PhaseState.NOT_DONE):
        return ModuleAccess.NEEDS_PRE_SURVEY
    if cohort.facilitator_paced and not cohort_module.unlocked:
        return ModuleAccess.LOCKED
    return ModuleAccess.OPEN


# --- A journey ---------------------------------------------------------------------------


@dataclass
class ModuleStep:
    """One module of a cohort, for one trainee."""

    module: ToolkitModule
    required: bool  # the cohort requires it for the survey after the training and certificate
    access: ModuleAccess
    completion: Completion
    lessons_done: int  # required lessons completed
    lessons_required: int
    enrolment: Enrolment | None = None

    @property
    def open(self) -> bool:
        return self.access == ModuleAccess.OPEN


@dataclass
class PhaseStep:
    """One survey phase, for one trainee."""

    phase: Phase
    state: PhaseState
    source: str | None = None  # online | paper | imported, once submitted
    knowledge_percent: float | None = None
    opens_on: date | None = None  # a follow-up wave's scheduled date


@dataclass(frozen=True)
class Eligibility:
    """Whether the automatic certificate rule is met and, if not, the first thing missing."""

    eligible: bool
    missing: Missing | None = None
    pass_percent: int | None = None

    @property
    def message(self) -> str:
        if self.missing == Missing.MODULES:
            return _("Some required modules are not complete yet.")
        if self.missing == Missing.POST_SURVEY:
            return _("The survey after the training has not been submitted yet.")
        if self.missing == Missing.ACCOUNT:
            return _("Answered anonymously without an account: no certificate.")
        if self.missing == Missing.NOT_OFFERED:
            return _("This anonymous cohort does not offer certificates.")
        if self.missing == Missing.PASS_MARK:
            return _(
                "The knowledge check score is below the pass mark of %(percent)s%%.",
                percent=self.pass_percent,
            )
        return _("Meets the rule for a certificate.")


@dataclass
class Journey:
    """Everything one enrolment has done, may do now, and is waiting for."""

    enrolment: Enrolment
    modules: list[ModuleStep]
    phases: dict[Phase, PhaseStep]
    eligibility: Eligibility
    certificate: CertificateState
    last_viewed: dict[int, object] = field(default_factory=dict)  # lesson id -> last opened

    @property
    def cohort(self) -> Cohort:
        return self.enrolment.cohort

    @property
    def required_modules_complete(self) -> bool:
        return all(step.completion == Completion.COMPLETED for step in self.modules if step.required)

    def phase(self, phase: str) -> PhaseStep:
        return self.phases[Phase(phase)]

    @property
    def next_phase(self) -> Phase | None:
        """The survey the trainee can answer now, if any."""
        return next((p for p, step in self.phases.items() if step.state == PhaseState.OPEN), None)

    @property
    def modules_waiting_for_facilitator(self) -> bool:
        """Every module the trainee could study is still locked by the facilitator."""
        return bool(self.modules) and all(step.access == ModuleAccess.LOCKED for step in self.modules)

    @property
    def open_modules(self) -> list[ModuleStep]:
        return [step for step in self.modules if step.open]

    @property
    def progress(self) -> float:
        """Share of the steps done: the pre-survey, each required module, the post-survey."""
        steps = [self.phases[Phase.PRE].state.settled, self.phases[Phase.POST].state.settled]
        steps += [step.completion == Completion.COMPLETED for step in self.modules if step.required]
        return sum(steps) / len(steps)

    @property
    def started(self) -> bool:
        return any(step.state == PhaseState.DONE for step in self.phases.values()) or any(
            step.completion != Completion.NOT_STARTED for step in self.modules
        )


def eligibility(enrolment: Enrolment, modules_complete: bool, post: PhaseStep) -> Eligibility:
    """Required modules complete, post-survey submitted, and the cohort's pass mark if it sets one.

    A post-survey without knowledge questions cannot meet a pass mark: a certificate that
    claims a pass must rest on one (the facilitator can still issue it by hand).
    In an anonymous cohort a certificate is optional (the cohort's setting); an anonymous
    respondent without an account gets none, having no name to put on it.
    """
    if enrolment.user_id is None:
        return Eligibility(False, Missing.ACCOUNT)
    if enrolment.cohort.anonymous and not enrolment.cohort.anonymous_certificates:
        return Eligibility(False, Missing.NOT_OFFERED)
    if not modules_complete:
        return Eligibility(False, Missing.MODULES)
    if post.state != PhaseState.DONE:
        return Eligibility(False, Missing.POST_SURVEY)
    mark = enrolment.cohort.knowledge_pass_percent
    if mark is not None and (post.knowledge_percent is None or post.knowledge_percent < mark):
        return Eligibility(False, Missing.PASS_MARK, mark)
    return Eligibility(True)


def certificate_state(certificates: list[bool], rule: Eligibility) -> CertificateState:
    """`certificates`: one entry per certificate ever issued, True when it was revoked."""
    if any(not revoked for revoked in certificates):
        return CertificateState.ISSUED
    if certificates:
        return CertificateState.REVOKED
    return CertificateState.ELIGIBLE if rule.eligible else CertificateState.NOT_ELIGIBLE


# --- Loading the facts -------------------------------------------------------------------


@dataclass
class _Facts:
    cohort_modules: dict[int, list[_CohortModule]] = field(default_factory=lambda: defaultdict(list))
    lessons: dict[int, list[ToolkitLesson]] = field(default_factory=lambda: defaultdict(list))
    completed: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    visited: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    responses: dict[tuple[int, str], tuple] = field(default_factory=dict)
    drafts: set[tuple[int, str]] = field(default_factory=set)
    certificates: dict[int, list[bool]] = field(default_factory=lambda: defaultdict(list))
    last_viewed: dict[int, dict[int, object]] = field(default_factory=lambda: defaultdict(dict))
    instrument: bool = False
    toolkit: Toolkit | None = None


class _CohortModule(NamedTuple):
    """A module of a cohort: the cohort's choices (lms.cohorts.models.CohortModule)."""

    cohort_id: int
    module_id: int
    position: int
    required: bool
    unlocked: bool


@dataclass(frozen=True)
class _Response:
    source: str
    knowledge_correct: int | None
    knowledge_total: int | None


def _percent(correct: int | None, total: int | None) -> float | None:
    return round(100 * (correct or 0) / total, 1) if total else None


@cache
def _facts_query():
    """Lesson progress, survey responses, drafts, certificates, whether an instrument exists, the
    toolkit's version and the cohorts' modules, as one UNION ALL: columns (kind, owner, lesson,
    phase, source, n1, n2, at). Built once per process (parameters `user_ids`, `enrolment_ids`,
    `cohort_ids`), compiled once per dialect."""
    user_ids = bindparam("user_ids", expanding=True)
    cohort_ids = bindparam("cohort_ids", expanding=True)
    enrolment_ids = bindparam("enrolment_ids", expanding=True)
    none_int, none_str = cast(null(), Integer), cast(null(), String)
    none_at = cast(null(), LessonProgress.last_viewed_at.type)
    return union_all(
        select(
            literal("p"),
            LessonProgress.user_id,
            LessonProgress.lesson_id,
            none_str,
            none_str,
            case((LessonProgress.completed_at.is_(None), 0), else_=1),
            none_int,
            LessonProgress.last_viewed_at,
        ).where(LessonProgress.user_id.in_(user_ids)),
        select(
            literal("r"),
            SurveyResponse.enrolment_id,
            none_int,
            SurveyResponse.phase,
            SurveyResponse.source,
            SurveyResponse.knowledge_correct,
            SurveyResponse.knowledge_total,
            none_at,
        ).where(
            SurveyResponse.enrolment_id.in_(enrolment_ids), SurveyResponse.archived.is_(False)
        ),  # an undone import's surveys are not done
        select(
            literal("d"),
            DraftAnswer.enrolment_id,
            none_int,
            DraftAnswer.phase,
            none_str,
            none_int,
            none_int,
            none_at,
        )
        .distinct()
        .where(DraftAnswer.enrolment_id.in_(enrolment_ids)),
        select(
            literal("c"),
            Certificate.enrolment_id,
            none_int,
            none_str,
            none_str,
            case((Certificate.revoked_at.is_(None), 0), else_=1),
            none_int,
            none_at,
        ).where(Certificate.enrolment_id.in_(enrolment_ids)),
        select(
            literal("i"),
            none_int,
            none_int,
            none_str,
            none_str,
            func.count(SurveyVersion.id),
            none_int,
            none_at,
        ),
        select(
            literal("v"),
            none_int,
            none_int,
            none_str,
            cast(ToolkitVersion.version, String),
            none_int,
            none_int,
            none_at,
        ).where(ToolkitVersion.id == 1),
        select(
            literal("m"),
            CohortModule.cohort_id,
            CohortModule.module_id,
            none_str,
            none_str,
            CohortModule.position,
            case((CohortModule.required, 1), else_=0) + case((CohortModule.unlocked, 2), else_=0),
            none_at,
        ).where(CohortModule.cohort_id.in_(cohort_ids)),
    )


def _load_facts(enrolments: list[Enrolment]) -> _Facts:
    """Everything the trainees did and their cohorts' modules in one query (see _facts_query);
    the modules themselves from the toolkit in memory, for the version that query read."""
    facts = _Facts()
    parameters = {
        "user_ids": list({e.user_id for e in enrolments}),
        "enrolment_ids": [e.id for e in enrolments],
        "cohort_ids": list({e.cohort_id for e in enrolments}),
    }
    toolkit_version, cohort_modules = None, []
    for kind, owner, lesson_id, phase, source, n1, n2, at in db.session.execute(_facts_query(), parameters):
        if kind == "p":
            facts.visited[owner].add(lesson_id)
            facts.last_viewed[owner][lesson_id] = at
            if n1:
                facts.completed[owner].add(lesson_id)
        elif kind == "r":
            facts.responses[(owner, phase)] = _Response(source, n1, n2)
        elif kind == "d":
            facts.drafts.add((owner, phase))
        elif kind == "c":
            facts.certificates[owner].append(bool(n1))
        elif kind == "v":
            toolkit_version = source
        elif kind == "m":
            cohort_modules.append(_CohortModule(owner, lesson_id, n1, bool(n2 & 1), bool(n2 & 2)))
        else:
            facts.instrument = bool(n1)
    facts.toolkit = toolkit(toolkit_version)
    for cohort_module in sorted(cohort_modules, key=lambda cm: (cm.cohort_id, cm.position)):
        module = facts.toolkit.modules.get(cohort_module.module_id)
        if module is None:
            continue  # archived
        facts.cohort_modules[cohort_module.cohort_id].append(cohort_module)
        facts.lessons[module.id] = list(module.lessons)
    return facts


def journeys(enrolments: list[Enrolment]) -> list[Journey]:
    """The journey of each enrolment, in the order given."""
    if not enrolments:
        return []
    facts = _load_facts(enrolments)
    instrument = facts.instrument
    current_day = today()
    result = []
    for enrolment in enrolments:
        user_id, cohort = enrolment.user_id, enrolment.cohort
        completions = {}
        for cohort_module in facts.cohort_modules[enrolment.cohort_id]:
            completions[cohort_module.module_id] = module_completion(
                facts.lessons[cohort_module.module_id], facts.completed[user_id], facts.visited[user_id]
            )
        modules_complete = all(
            completions[cm.module_id][0] == Completion.COMPLETED
            for cm in facts.cohort_modules[enrolment.cohort_id]
            if cm.required
        )
        phases = {}
        for phase in Phase:
            response = facts.responses.get((enrolment.id, phase.value))
            if (
                phase.is_follow_up
                and response is None
                and cohort.wave_date(phase) is None
                and not cohort.gate_open(phase)
            ):
                continue  # a wave this cohort has not scheduled
            post_done = (enrolment.id, Phase.POST.value) in facts.responses
            state = phase_state(
                phase,
                enrolment,
                submitted=response is not None,
                draft_started=(enrolment.id, phase.value) in facts.drafts,
                modules_complete=modules_complete,
                instrument=instrument,
                post_done=post_done,
                today=current_day,
            )
            phases[phase] = PhaseStep(
                phase,
                state,
                response.source if response else None,
                _percent(response.knowledge_correct, response.knowledge_total) if response else None,
                cohort.wave_date(phase) if phase.is_follow_up else None,
            )
        modules = [
            ModuleStep(
                facts.toolkit.modules[cm.module_id],
                cm.required,
                module_access(cohort, cm, phases[Phase.PRE].state),
                *completions[cm.module_id],
                enrolment=enrolment,
            )
            for cm in facts.cohort_modules[enrolment.cohort_id]
        ]
        rule = eligibility(enrolment, modules_complete, phases[Phase.POST])
        result.append(
            Journey(
                enrolment,
                modules,
                phases,
                rule,
                certificate_state(facts.certificates[enrolment.id], rule),
                facts.last_viewed[user_id],
            )
        )
    return result


def journey(enrolment: Enrolment) -> Journey:
    return journeys([enrolment])[0]


def cohort_journeys(cohort: Cohort) -> list[Journey]:
    """Every enrolment of the cohort, by the trainee's name."""
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .options(joinedload(Enrolment.user))
            .where(Enrolment.cohort_id == cohort.id)
            .order_by(User.full_name, User.id)
        )
    )
    return journeys(enrolments)
