"""An anonymous cohort's public survey link: answering without an account, with a personal
code (lms.cohorts.anonymous). Throttled per address like the join pages."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from lms.auth.services import record_failure, throttled
from lms.cohorts.anonymous import (
    CodeMissing,
    CodeTaken,
    anonymous_cohort,
    cohort_version,
    respondent_by_token,
    set_code,
    start_respondent,
    submit_anonymous,
)
from lms.cohorts.blueprint import bp
from lms.extensions import db
from lms.permissions import public
from lms.privacy.sgic import ELEMENTS, CodeError, programme_secret
from lms.progress.clock import today
from lms.progress.respondents import phase_open
from lms.quizzes.models import Phase
from lms.quizzes.pages import answers_from_form, survey_page
from lms.quizzes.services import (
    AlreadySubmitted,
    MissingAnswers,
    items_for,
    pages,
    save_draft,
)

PHASE_PATH = "<any(pre, post, 'follow-1', 'follow-2'):phase>"
SESSION_KEY = "anonymous"  # {"<cohort id>:<phase>": token} in the signed session cookie


def _address() -> str:
    return (request.remote_addr or "unknown")[:100]


def _limits() -> dict[str, int]:
    config = current_app.config
    return {
        f"join:{_address()}": config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        f"anon-code:{_address()}": config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        f"anon-start:{_address()}": config["ANONYMOUS_MAX_STARTS_PER_ADDRESS"],
    }


def _cohort_or_404(code: str):
    """The anonymous cohort of the link; unknown codes count against the address like the
    join pages', and an address over any limit is refused (429)."""
    if throttled(_limits(), current_app.config["LOGIN_LOCK_MINUTES"]):
        abort(429)
    cohort = anonymous_cohort(code)
    if cohort is None:
        record_failure(f"join:{_address()}")
        abort(404)
    return cohort


def _respondent(cohort, phase: str):
    return respondent_by_token(cohort, phase, session.get(SESSION_KEY, {}).get(f"{cohort.id}:{phase}"))


def _remember(cohort, phase: str, token: str | None) -> None:
    tokens = dict(session.get(SESSION_KEY, {}))
    if token is None:
        tokens.pop(f"{cohort.id}:{phase}", None)
    else:
        tokens[f"{cohort.id}:{phase}"] = token
    session[SESSION_KEY] = tokens


def _not_open(cohort, phase: str):
    return render_template(
        "cohorts/anonymous_closed.html", cohort=cohort, phase=Phase(phase), title=Phase(phase).title
    ), 409


@bp.route(f"/a/<code>/{PHASE_PATH}", methods=["GET", "POST"])
@public
def anonymous_start(code: str, phase: str):
    """The first step: the personal code, checked before any question is asked."""
    cohort = _cohort_or_404(code)
    respondent = _respondent(cohort, phase)
    if respondent is not None and respondent.response_id is not None:
        return redirect(url_for("cohorts.anonymous_done", code=cohort.join_code, phase=phase))
    if respondent is not None and respondent.code_full is not None:
        return redirect(url_for("cohorts.anonymous_survey", code=cohort.join_code, phase=phase))
    if not phase_open(cohort, Phase(phase), today()):
        return _not_open(cohort, phase)
    code_error = None
    if request.method == "POST":
        answers = {name: request.form.get(f"sgic-{name}", "") for name, *_rest in ELEMENTS}
        try:
            if respondent is None:
                respondent = start_respondent(cohort, phase)
            set_code(respondent, answers, programme_secret(current_app.config))
        except CodeError as error:
            db.session.rollback()  # nothing is kept of a code that is not valid
            code_error = str(error)
        except CodeTaken as error:
            db.session.rollback()
            record_failure(f"anon-code:{_address()}")  # guessing codes counts like a bad login
            code_error = str(error)
        else:
            db.session.commit()
            record_failure(f"anon-start:{_address()}")  # a start counts towards the limit
            _remember(cohort, phase, respondent.token)
            return redirect(url_for("cohorts.anonymous_survey", code=cohort.join_code, phase=phase))
    return render_template(
        "cohorts/anonymous_start.html",
        cohort=cohort,
        phase=Phase(phase),
        title=Phase(phase).title,
        code_elements=ELEMENTS,
        code_error=code_error,
    ), 422 if code_error else 200


def _respondent_or_start(cohort, phase: str):
    respondent = _respondent(cohort, phase)
    if respondent is None or respondent.code_full is None:
        return None, redirect(url_for("cohorts.anonymous_start", code=cohort.join_code, phase=phase))
    if respondent.response_id is not None:
        return None, redirect(url_for("cohorts.anonymous_done", code=cohort.join_code, phase=phase))
    return respondent, None


@bp.route(f"/a/<code>/{PHASE_PATH}/survey", methods=["GET", "POST"])
@public
def anonymous_survey(code: str, phase: str):
    """The survey itself: the same pages, items and checks as a signed-in trainee's."""
    cohort = _cohort_or_404(code)
    respondent, elsewhere = _respondent_or_start(cohort, phase)
    if elsewhere is not None:
        return elsewhere
    enrolment = respondent.enrolment
    is_open = phase_open(cohort, Phase(phase), today())
    version = cohort_version(cohort)
    items = items_for(enrolment, phase, version)
    if request.method == "POST" and not is_open:
        save_draft(enrolment, phase, answers_from_form(items))  # keep what the page carries
        db.session.commit()
    if not is_open:
        return _not_open(cohort, phase)
    survey_pages = pages(items)
    page = min(max(request.args.get("page", 1, type=int), 1), max(len(survey_pages), 1))
    page_items = survey_pages[page - 1] if survey_pages else []
    missing = []
    if request.method == "POST":
        save_draft(enrolment, phase, answers_from_form(page_items))
        action = request.form.get("action", "next")
        if action != "submit":
            db.session.commit()
            target = page + 1 if action == "next" else page - 1
            return redirect(
                url_for(
                    "cohorts.anonymous_survey",
                    code=cohort.join_code,
                    phase=phase,
                    page=min(max(target, 1), len(survey_pages)),
                )
            )
        done = redirect(url_for("cohorts.anonymous_done", code=cohort.join_code, phase=phase))
        try:
            submit_anonymous(respondent)
        except AlreadySubmitted:  # a double click: the first one counted
            db.session.rollback()
            flash(_("This survey has already been submitted. Thank you!"), "info")
            return done
        except (CodeMissing, CodeTaken) as error:
            # The same code was submitted meanwhile: the answers stay, the code is asked again.
            respondent.code_full = respondent.code_masked = None
            db.session.commit()
            flash(str(error), "error")
            return redirect(url_for("cohorts.anonymous_start", code=cohort.join_code, phase=phase))
        except MissingAnswers as error:
            db.session.commit()  # keep what this page added
            missing = error.items
        else:
            db.session.commit()
            return done
    return survey_page(
        enrolment,
        phase,
        version,
        items,
        survey_pages,
        page,
        missing,
        page_url=lambda number: url_for(
            "cohorts.anonymous_survey", code=cohort.join_code, phase=phase, page=number
        ),
        autosave_url=url_for("cohorts.anonymous_autosave", code=cohort.join_code, phase=phase),
    ), 422 if missing else 200


@bp.post(f"/a/<code>/{PHASE_PATH}/autosave")
@public
def anonymous_autosave(code: str, phase: str):
    """Saves answers as the respondent clicks (progressive enhancement)."""
    cohort = _cohort_or_404(code)
    respondent = _respondent(cohort, phase)
    if respondent is None or respondent.code_full is None:
        return {"saved": 0, "error": _("This survey is not open.")}, 409
    if respondent.response_id is not None:
        return {"saved": 0, "submitted": True}
    saved = save_draft(
        respondent.enrolment,
        phase,
        answers_from_form(items_for(respondent.enrolment, phase, cohort_version(cohort))),
    )
    db.session.commit()
    return {"saved": saved}


@bp.get(f"/a/<code>/{PHASE_PATH}/done")
@public
def anonymous_done(code: str, phase: str):
    cohort = _cohort_or_404(code)
    respondent = _respondent(cohort, phase)
    if respondent is None or respondent.response_id is None:
        return redirect(url_for("cohorts.anonymous_start", code=cohort.join_code, phase=phase))
    return render_template(
        "cohorts/anonymous_done.html", cohort=cohort, phase=Phase(phase), title=Phase(phase).title
    )


@bp.post(f"/a/<code>/{PHASE_PATH}/another")
@public
def anonymous_another(code: str, phase: str):
    """A shared phone: forget this browser's survey so that the next person can answer."""
    cohort = _cohort_or_404(code)
    _remember(cohort, phase, None)
    return redirect(url_for("cohorts.anonymous_start", code=cohort.join_code, phase=phase))
