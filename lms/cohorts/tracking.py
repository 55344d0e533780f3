"""A cohort's survey results for the room view: respondents and the group's figures.

Every function here runs a fixed number of queries whatever the number of trainees.
"""

from collections import defaultdict

from sqlalchemy import case, func, select

from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.privacy.disclosure import room_release
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse, SurveyVersion


def respondents(cohort: Cohort) -> dict[str, int]:
    """How many trainees submitted each phase."""
    counts = dict(
        db.session.execute(
            select(SurveyResponse.phase, func.count(SurveyResponse.id))
            .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id)
            .group_by(SurveyResponse.phase)
        ).all()
    )
    return {"pre": counts.get("pre", 0), "post": counts.get("post", 0)}


def _answered(cohort: Cohort, phase: str) -> frozenset[int]:
    return frozenset(
        db.session.scalars(
            select(SurveyResponse.enrolment_id)
            .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id, SurveyResponse.phase == phase)
        )
    )


def released_respondents(
    cohort: Cohort, min_n: int, viewer_id: int | None = None
) -> dict[str, frozenset[int] | None]:
    """Per phase, the trainees whose answers the projected group figures describe.

    The figures change only when they cannot single anyone out: a new group must differ from
    the one last shown by at least min_n trainees, and while the facilitator has a survey
    open its figures wait for it to close (so the whole room is shown at once).
    """
    paced = cohort.pacing == "facilitator"
    return {
        phase: room_release(
            cohort.id,
            phase,
            _answered(cohort, phase),
            min_n,
            viewer_id=viewer_id,
            hold=paced and getattr(cohort, f"{phase}_survey_open"),
        )
        for phase in ("pre", "post")
    }


def group_results(cohort: Cohort, min_n: int, lang: str, viewer_id: int | None = None) -> dict | None:
    """Group figures per phase for the released group of trainees, else None.

    A phase is shown once at least min_n trainees answered it, and changes only as
    released_respondents allows, so that nobody's answers can be worked out from a mean or
    from how it moved.
    """
    from statistics import mean  # loaded with the first group figures, not at start-up

    released = released_respondents(cohort, min_n, viewer_id)
    n = {phase: len(members or ()) for phase, members in released.items()}
    shown = {phase: n[phase] >= min_n for phase in n}
    if not any(shown.values()):
        return None
    members = set().union(*(m for m in released.values() if m))
    person_means = db.session.execute(
        select(
            SurveyResponse.version_id,
            SurveyResponse.phase,
            SurveyResponse.enrolment_id,
            SurveyItem.subscale,
            func.avg(Answer.score),
        )
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(SurveyResponse.enrolment_id.in_(members), SurveyItem.in_subscale)
        .group_by(
            SurveyResponse.id,
            SurveyResponse.version_id,
            SurveyResponse.phase,
            SurveyResponse.enrolment_id,
            SurveyItem.subscale,
        )
    ).all()
    version = _room_survey_version(person_means)
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for version_id, phase, enrolment_id, subscale, value in person_means:
        if version_id == version.id and enrolment_id in (released[phase] or ()):
            scores[(phase, subscale)].append(float(value))
    subscales = []
    for subscale in version.subscales if version else []:
        means = {
            phase: round(mean(scores[(phase, subscale["id"])]), 2)
            if shown[phase] and scores[(phase, subscale["id"])]
            else None
            for phase in ("pre", "post")
        }
        subscales.append({"title": subscale.get(f"title_{lang}") or subscale["title_vi"], **means})
    phase = "post" if shown["post"] else "pre"
    return {
        "n": n,
        "live": respondents(cohort),
        "shown": shown,
        "subscales": subscales,
        "knowledge_phase": phase,
        "missed": most_missed(cohort, phase, released[phase]),
    }


def _room_survey_version(person_means) -> SurveyVersion | None:
    """The survey version most of the room answered (the newest on a tie): subscales of two
    versions hold different items, so the room's means describe one version only."""
    answered: dict[int, set] = defaultdict(set)
    for version_id, phase, enrolment_id, *_ in person_means:
        answered[version_id].add((phase, enrolment_id))
    if not answered:
        return current_version()
    chosen = max(answered, key=lambda v: (len(answered[v]), v))
    return db.session.get(SurveyVersion, chosen)


def most_missed(
    cohort: Cohort, phase: str, members: frozenset[int] | None = None, limit: int = 3
) -> list[dict]:
    """Knowledge items most often answered wrongly in a phase, with the share who missed them
    (among `members` only, when given: the trainees whose answers the room may show)."""
    rows = db.session.execute(
        select(SurveyItem.key, func.count(Answer.id), func.sum(case((Answer.score == 0, 1), else_=0)))
        .join(Answer, Answer.item_id == SurveyItem.id)
        .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(
            Enrolment.cohort_id == cohort.id,
            SurveyResponse.phase == phase,
            SurveyItem.kind == "knowledge",
            *([SurveyResponse.enrolment_id.in_(members)] if members is not None else []),
        )
        .group_by(SurveyItem.key)
    ).all()
    answered = {key: int(count) for key, count, _wrong in rows}
    top = sorted(
        ((key, int(wrong)) for key, _count, wrong in rows if wrong), key=lambda pair: (-pair[1], pair[0])
    )[:limit]
    if not top:
        return []
    version = current_version()
    items = {i.key: i for i in (version.items if version else [])}
    return [
        {
            "key": key,
            "item": items.get(key),
            "missed": wrong,
            "answered": answered[key],
            "percent": round(100 * wrong / answered[key]),
        }
        for key, wrong in top
    ]
