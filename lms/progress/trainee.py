"""A trainee's view of their journeys: the modules they may open, their home page, lesson access."""

from __future__ import annotations

from dataclasses import dataclass

from lms.auth.models import User
from lms.cohorts.services import active_enrolments, gates_version
from lms.modules.models import Lesson, Module
from lms.modules.services import default_modules_for, progress_by_lesson, resume_lesson
from lms.progress.journey import Journey, ModuleStep, journey, journeys, module_completion
from lms.progress.states import ModuleAccess, PhaseState
from lms.quizzes.models import Phase


@dataclass
class Dashboard:
    """The trainee's home page: each active cohort's journey, every module, where to resume."""

    journeys: list[Journey]
    modules: list[ModuleStep]
    resume: Lesson | None


def _modules_without_cohort(user: User) -> list[ModuleStep]:
    """Without a cohort: the common modules and those of the trainee's organisation type, open."""
    modules = default_modules_for(user)
    progress = progress_by_lesson(user)
    completed = {lesson_id for lesson_id, p in progress.items() if p.completed_at}
    return [
        ModuleStep(
            module, True, ModuleAccess.OPEN, *module_completion(module.lessons, completed, set(progress))
        )
        for module in modules
    ]


def merged_modules(trainee_journeys: list[Journey]) -> list[ModuleStep]:
    """Each module once across the trainee's cohorts: open through any cohort means open."""
    steps: dict[int, ModuleStep] = {}
    for trainee_journey in trainee_journeys:
        for step in trainee_journey.modules:
            seen = steps.get(step.module.id)
            if seen is None or (step.open and not seen.open):
                steps[step.module.id] = step
    return list(steps.values())


def trainee_modules(user: User) -> tuple[list[Journey], list[ModuleStep]]:
    trainee_journeys = journeys(active_enrolments(user, with_follow_ups=True))
    if not trainee_journeys:
        return [], _modules_without_cohort(user)
    return trainee_journeys, merged_modules(trainee_journeys)


def module_step(user: User, module: Module) -> ModuleStep | None:
    """The trainee's access to one module; None when it is none of theirs."""
    return next((step for step in trainee_modules(user)[1] if step.module.id == module.id), None)


def _resume(trainee_journeys: list[Journey], modules: list[ModuleStep]) -> Lesson | None:
    """resume_lesson from the facts the journeys already loaded: the open lesson last opened."""
    last_viewed = trainee_journeys[0].last_viewed
    opened = [
        lesson for step in modules if step.open for lesson in step.module.lessons if lesson.id in last_viewed
    ]
    return max(opened, key=lambda lesson: last_viewed[lesson.id], default=None)


def dashboard(user: User) -> Dashboard:
    trainee_journeys, modules = trainee_modules(user)
    if trainee_journeys:
        return Dashboard(trainee_journeys, modules, _resume(trainee_journeys, modules))
    return Dashboard(
        trainee_journeys, modules, resume_lesson(user, [step.module for step in modules if step.open])
    )


def waiting_state(enrolment) -> dict:
    """Small JSON for a trainee's waiting page: it reloads when "version" changes. What is open
    is the journey's answer, so the page and the poll never disagree."""
    trainee_journey = journey(enrolment)
    cohort = enrolment.cohort
    waiting = (PhaseState.WAITING, PhaseState.PAUSED)
    return {
        "version": gates_version(cohort, enrolment),
        "status": cohort.status,
        "pacing": cohort.pacing,
        "pre_survey_open": trainee_journey.phase(Phase.PRE).state not in waiting,
        "post_survey_open": trainee_journey.phase(Phase.POST).state not in waiting,
        "modules": {step.module.key: step.access != ModuleAccess.LOCKED for step in trainee_journey.modules},
    }
