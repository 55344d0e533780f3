"""Who has done what in a cohort: the completion matrix and the room's live counts.

Rows are the cohort's journeys (lms.progress.journey), so the matrix, the trainee's own pages
and certificate eligibility always agree; the whole cohort is loaded in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.modules.models import Module
from lms.progress.journey import Journey, ModuleStep, PhaseStep, cohort_journeys
from lms.progress.states import CertificateState, Completion, PhaseState
from lms.quizzes.models import FOLLOW_UPS, Phase

STATUS_FILTERS = ("all", "not_finished", "finished", "not_started")
SORTS = ("name", "progress")


@dataclass
class ModuleColumn:
    module: Module
    required: bool
    lessons: int  # required lessons


@dataclass
class MatrixRow:
    journey: Journey

    @property
    def enrolment(self) -> Enrolment:
        return self.journey.enrolment

    @property
    def user(self) -> User:
        return self.journey.enrolment.user

    @property
    def pre(self) -> PhaseStep:
        return self.journey.phases[Phase.PRE]

    @property
    def post(self) -> PhaseStep:
        return self.journey.phases[Phase.POST]

    def follow_up(self, phase: Phase) -> PhaseStep | None:
        """A follow-up wave's step (None: the cohort has not scheduled that wave)."""
        return self.journey.phases.get(phase)

    @property
    def modules(self) -> dict[int, ModuleStep]:
        return {step.module.id: step for step in self.journey.modules}

    @property
    def certificate(self) -> CertificateState:
        return self.journey.certificate

    @property
    def progress(self) -> float:
        return self.journey.progress

    @property
    def finished(self) -> bool:
        return self.progress >= 1.0

    @property
    def started(self) -> bool:
        return self.journey.started


@dataclass
class Matrix:
    columns: list[ModuleColumn]
    rows: list[MatrixRow]
    follow_ups: tuple[Phase, ...] = ()  # the waves the cohort has scheduled or opened

    def totals(self, rows: list[MatrixRow] | None = None) -> dict:
        """Counts per column over the given rows (all rows by default)."""
        rows = self.rows if rows is None else rows
        return {
            "trainees": len(rows),
            "pre": sum(r.pre.state == PhaseState.DONE for r in rows),
            "pre_waived": sum(r.pre.state == PhaseState.WAIVED for r in rows),
            "post": sum(r.post.state == PhaseState.DONE for r in rows),
            "certificates": sum(r.certificate == CertificateState.ISSUED for r in rows),
            # A follow-up wave is expected of everyone who answered the survey after.
            "follow_ups": {
                phase: {
                    "answered": sum(
                        r.follow_up(phase) is not None and r.follow_up(phase).state == PhaseState.DONE
                        for r in rows
                    ),
                    "expected": sum(r.post.state == PhaseState.DONE for r in rows),
                }
                for phase in self.follow_ups
            },
            "finished": sum(r.finished for r in rows),
            "modules": {
                c.module.id: {
                    "completed": sum(r.modules[c.module.id].completion == Completion.COMPLETED for r in rows),
                    "started": sum(r.modules[c.module.id].completion != Completion.NOT_STARTED for r in rows),
                }
                for c in self.columns
            },
        }


def completion_matrix(cohort: Cohort) -> Matrix:
    """Trainees × (pre-survey, each module, post-survey, certificate)."""
    rows = [MatrixRow(j) for j in cohort_journeys(cohort)]
    columns = [
        ModuleColumn(cm.module, cm.required, sum(lesson.required for lesson in cm.module.lessons))
        for cm in cohort.modules
        if not cm.module.archived
    ]
    follow_ups = tuple(
        phase
        for phase in FOLLOW_UPS
        if cohort.wave_date(phase) is not None
        or cohort.gate_open(phase)
        or any(phase in r.journey.phases for r in rows)
    )
    return Matrix(columns, rows, follow_ups)


def filter_rows(
    matrix: Matrix, status: str = "all", org_type: str = "", sort: str = "name"
) -> list[MatrixRow]:
    """The rows a facilitator asked for: by status and organisation type, sorted."""
    rows = matrix.rows
    if status == "not_finished":
        rows = [r for r in rows if not r.finished]
    elif status == "finished":
        rows = [r for r in rows if r.finished]
    elif status == "not_started":
        rows = [r for r in rows if not r.started]
    if org_type:
        rows = [r for r in rows if r.user.org_type == org_type]
    if sort == "progress":
        rows = sorted(rows, key=lambda r: (r.progress, r.user.full_name))
    return rows


def room_counts(matrix: Matrix, anonymous: dict[str, int] | None = None) -> dict[str, int]:
    """Live counts for the projector, keyed as the page's data-count attributes. `anonymous`:
    surveys answered without an account, per phase (counted in, never listed)."""
    totals = matrix.totals()
    anonymous = anonymous or {}
    counts = {
        "joined": totals["trainees"],
        "pre": totals["pre"] + anonymous.get("pre", 0),
        "post": totals["post"] + anonymous.get("post", 0),
    }
    for phase, wave in totals["follow_ups"].items():
        counts[phase.value] = wave["answered"] + anonymous.get(phase.value, 0)
        counts[f"{phase.value}-expected"] = wave["expected"] + anonymous.get("post", 0)
    for column in matrix.columns:
        module_totals = totals["modules"][column.module.id]
        counts[f"started-{column.module.key}"] = module_totals["started"]
        counts[f"completed-{column.module.key}"] = module_totals["completed"]
    return counts
