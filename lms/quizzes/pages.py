"""The survey page as a trainee sees it, signed in or answering anonymously: one template, one
set of answer labels, whichever route serves it."""

from collections.abc import Callable

from flask import render_template, request

from lms.quizzes.models import (
    DONT_KNOW_LABEL,
    LIKERT_LABELS,
    NOT_APPLICABLE_LABEL,
    PRACTICE_BANDS,
    PRACTICE_NOT_APPLICABLE_LABEL,
    Phase,
)
from lms.quizzes.services import draft_answers, valid_value


def survey_page(
    enrolment,
    phase: str,
    version,
    items: list,
    survey_pages: list[list],
    page: int,
    missing: list,
    page_url: Callable[[int], str],
    autosave_url: str,
    code_elements=(),
    code_error: str | None = None,
) -> str:
    """take.html for one page of a survey, with the answers saved so far."""
    answers = draft_answers(enrolment, phase)
    return render_template(
        "quizzes/take.html",
        enrolment=enrolment,
        phase=phase,
        version=version,
        title=Phase(phase).title,
        items=survey_pages[page - 1] if survey_pages else [],
        page=page,
        page_count=len(survey_pages),
        answers=answers,
        numbers={item.id: n for n, item in enumerate(items, start=1)},
        item_pages={item.id: p for p, group in enumerate(survey_pages, start=1) for item in group},
        missing=missing,
        answered=sum(1 for i in items if i.id in answers),
        total=len(items),
        likert_labels=LIKERT_LABELS,
        not_applicable_label=NOT_APPLICABLE_LABEL,
        dont_know_label=DONT_KNOW_LABEL,
        practice_labels=PRACTICE_BANDS,
        practice_not_applicable_label=PRACTICE_NOT_APPLICABLE_LABEL,
        code_elements=code_elements,
        code_error=code_error,
        page_url=page_url,
        autosave_url=autosave_url,
    )


def answers_from_form(items) -> dict[int, int]:
    """The valid answers the posted page holds for these items (blank or bad ones left out)."""
    answers = {}
    for item in items:
        value = valid_value(item, request.form.get(f"item-{item.id}"))
        if value is not None:
            answers[item.id] = value
    return answers
