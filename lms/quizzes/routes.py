"""Taking the pre/post survey page by page (autosaved), submitting once, seeing one's profile."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.permissions import Permission, require
from lms.privacy.sgic import ELEMENTS, CodeError, normalise, programme_secret, record_code
from lms.progress.journey import journey
from lms.progress.states import PhaseState
from lms.quizzes.blueprint import bp
from lms.quizzes.models import (
    DONT_KNOW_LABEL,
    Phase,
)
from lms.quizzes.pages import answers_from_form, survey_page
from lms.quizzes.services import (
    AlreadySubmitted,
    MissingAnswers,
    items_for,
    knowledge_review,
    pages,
    response_for,
    save_draft,
    submit_survey,
    subscale_profile,
    version_for,
)

PAUSED_MESSAGE = _l(
    "Your facilitator has closed this survey for now. Your answers are saved: "
    "you can finish it when it is opened again."
)


def _own_enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != current_user.id:
        abort(404)  # someone else's survey: do not even confirm it exists
    return enrolment


def _identification_code(enrolment) -> dict[str, str] | None:
    """In an anonymous cohort, the self-generated code written with the survey (checked here,
    so that a mistyped element is asked again before anything is submitted)."""
    if not enrolment.cohort.anonymous:
        return None
    code = {name: request.form.get(f"sgic-{name}", "") for name, *_rest in ELEMENTS}
    normalise(code)  # raises CodeError with a translated message
    return code


PHASE_PATH = "<any(pre, post, 'follow-1', 'follow-2'):phase>"  # every phase, waves too


@bp.route(f"/surveys/<int:enrolment_id>/{PHASE_PATH}", methods=["GET", "POST"])
@require(Permission.LEARN)
def take(enrolment_id: int, phase: str):
    enrolment = _own_enrolment_or_404(enrolment_id)
    done = redirect(url_for("quizzes.done", enrolment_id=enrolment.id, phase=phase))
    state = journey(enrolment).phase(phase).state
    if state == PhaseState.DONE:
        if request.method == "POST":
            flash(_("This survey has already been submitted. Thank you!"), "info")
        return done
    if state == PhaseState.PAUSED and request.method == "POST":
        # Closed by the facilitator while this page was open: keep what it carries.
        version = version_for(enrolment, phase)
        save_draft(enrolment, phase, answers_from_form(items_for(enrolment, phase, version)))
        db.session.commit()
    if state != PhaseState.OPEN:
        return render_template(
            "quizzes/not_open.html",
            enrolment=enrolment,
            phase=Phase(phase),
            state=state,
            title=Phase(phase).title,
        )
    version = version_for(enrolment, phase)
    items = items_for(enrolment, phase, version)
    survey_pages = pages(items)
    page = min(max(request.args.get("page", 1, type=int), 1), max(len(survey_pages), 1))
    page_items = survey_pages[page - 1] if survey_pages else []
    missing, code_error = [], None
    if request.method == "POST":
        save_draft(enrolment, phase, answers_from_form(page_items))
        action = request.form.get("action", "next")
        if action != "submit":
            db.session.commit()
            target = page + 1 if action == "next" else page - 1
            return redirect(
                url_for(
                    "quizzes.take",
                    enrolment_id=enrolment.id,
                    phase=phase,
                    page=min(max(target, 1), len(survey_pages)),
                )
            )
        try:
            code = _identification_code(enrolment)
            # The page's answers, the submission and what it earned: one transaction.
            response = submit_survey(enrolment, phase)
            if code is not None:
                record_code(response, enrolment.cohort_id, code, programme_secret(current_app.config))
            db.session.commit()
        except CodeError as error:
            db.session.commit()  # keep what this page added
            code_error = str(error)
        except AlreadySubmitted:
            flash(_("This survey has already been submitted. Thank you!"), "info")
            return done
        except MissingAnswers as error:
            db.session.commit()  # keep what this page added
            if response_for(enrolment, phase) is not None:
                return done
            missing = error.items
        else:
            return done
    return survey_page(
        enrolment,
        phase,
        version,
        items,
        survey_pages,
        page,
        missing,
        page_url=lambda number: url_for("quizzes.take", enrolment_id=enrolment.id, phase=phase, page=number),
        autosave_url=url_for("quizzes.autosave", enrolment_id=enrolment.id, phase=phase),
        code_elements=ELEMENTS if enrolment.cohort.anonymous else (),
        code_error=code_error,
    ), 422 if missing or code_error else 200


@bp.post(f"/surveys/<int:enrolment_id>/{PHASE_PATH}/autosave")
@require(Permission.LEARN)
def autosave(enrolment_id: int, phase: str):
    """Saves one or more answers as the trainee clicks (progressive enhancement)."""
    enrolment = _own_enrolment_or_404(enrolment_id)
    state = journey(enrolment).phase(phase).state
    if state == PhaseState.DONE:
        return {"saved": 0, "submitted": True}
    if not state.accepts_answers:
        return {"saved": 0, "error": _("This survey is not open.")}, 409
    saved = save_draft(enrolment, phase, answers_from_form(items_for(enrolment, phase)))
    db.session.commit()
    if state == PhaseState.PAUSED:
        # Kept, and the trainee is told why the survey cannot be finished now.
        return {"saved": saved, "paused": True, "message": str(PAUSED_MESSAGE)}
    return {"saved": saved}


@bp.get(f"/surveys/<int:enrolment_id>/{PHASE_PATH}/done")
@require(Permission.LEARN)
def done(enrolment_id: int, phase: str):
    enrolment = _own_enrolment_or_404(enrolment_id)
    response = response_for(enrolment, phase) or abort(404)
    profile = knowledge = None
    trainee_journey = journey(enrolment)
    if phase == "post":
        profile = subscale_profile(enrolment)
        knowledge = {"post": knowledge_review(response)}
        pre = response_for(enrolment, "pre")
        if pre is not None:
            knowledge["pre"] = dict((item.key, value) for item, value in knowledge_review(pre))
    return render_template(
        "quizzes/done.html",
        enrolment=enrolment,
        phase=phase,
        response=response,
        profile=profile,
        knowledge=knowledge,
        title=Phase(phase).title,
        journey=trainee_journey,
        dont_know_label=DONT_KNOW_LABEL,
    )
