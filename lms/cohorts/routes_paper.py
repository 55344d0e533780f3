"""Paper mode: printable survey sheets, and the keyboard grid to type the answers back in."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.cohorts.anonymous import anonymous_answer_counts
from lms.cohorts.blueprint import bp
from lms.cohorts.paper import (
    anonymous_grid,
    column_totals,
    enter_anonymous_paper,
    enter_paper_answers,
    entry_grid,
    paper_survey_pdf,
    paper_tracks,
)
from lms.cohorts.services import managed_cohort_or_404
from lms.downloads import download
from lms.extensions import db
from lms.permissions import Permission, require
from lms.privacy.sgic import ELEMENTS, programme_secret
from lms.quizzes.models import FOLLOW_UPS, Phase
from lms.vocab import LANGUAGE_NAMES


@bp.get("/cohorts/<int:cohort_id>/paper")
@require(Permission.RUN_COHORTS)
def paper(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    tracks = {track: len(enrolments) for track, enrolments in paper_tracks(cohort).items()}
    return render_template("cohorts/paper.html", cohort=cohort, tracks=tracks, languages=LANGUAGE_NAMES)


MAX_COPIES = 200


@bp.get("/cohorts/<int:cohort_id>/paper/survey-<any(vi, en):lang>.pdf")
@require(Permission.RUN_COHORTS)
def paper_pdf(cohort_id: int, lang: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    track = request.args.get("track") or next(iter(paper_tracks(cohort)), "all")
    if cohort.anonymous:  # blank sheets with the personal code, no trainee code
        track = "anonymous"
    wave = request.args.get("wave")  # a follow-up wave's sheet: with its practice questions
    if wave is not None and wave not in {p.value for p in FOLLOW_UPS}:
        abort(404)
    copies = min(max(request.args.get("copies", 30, type=int), 1), MAX_COPIES)
    pdf = paper_survey_pdf(cohort, lang, track, wave, copies) or abort(404)
    name = f"cohort-{cohort.id}-survey-{track}-{wave + '-' if wave else ''}{lang}.pdf"
    return download(pdf, name, "application/pdf")


@bp.route(
    "/cohorts/<int:cohort_id>/paper/<any(pre, post, 'follow-1', 'follow-2'):phase>", methods=["GET", "POST"]
)
@require(Permission.RUN_COHORTS)
def paper_entry(cohort_id: int, phase: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    if cohort.anonymous:
        return _anonymous_entry(cohort, phase)
    if request.method == "POST":
        columns, rows, saved = enter_paper_answers(cohort, phase, request.form, current_user)
        db.session.commit()  # every complete sheet of this page, with what it earned, or none
        waiting = [row for row in rows if row.state in ("invalid", "incomplete", "failed", "held")]
        if not waiting:
            flash(_("%(n)s sheets saved.", n=saved), "success")
            return redirect(url_for("cohorts.paper_entry", cohort_id=cohort.id, phase=phase))
        flash(
            _(
                "%(n)s sheets saved. The rows marked below were not saved: correct or "
                "complete them and save again.",
                n=saved,
            ),
            "error",
        )
        status = 422
    else:
        (columns, rows), status = entry_grid(cohort, phase), 200
    return render_template(
        "cohorts/paper_entry.html",
        cohort=cohort,
        phase=phase,
        columns=columns,
        rows=rows,
        column_totals=column_totals(rows),
        title=Phase(phase).title,
    ), status


def _anonymous_entry(cohort, phase: str):
    """The grid of an anonymous cohort: code columns instead of names, blank rows."""
    status = 200
    if request.method == "POST":
        columns, rows, saved = enter_anonymous_paper(
            cohort, phase, request.form, current_user, programme_secret(current_app.config)
        )
        db.session.commit()  # every complete sheet of this page, or none
        if not any(row.state in ("invalid", "incomplete", "taken") for row in rows):
            flash(_("%(n)s sheets saved.", n=saved), "success")
            return redirect(url_for("cohorts.paper_entry", cohort_id=cohort.id, phase=phase))
        flash(
            _(
                "%(n)s sheets saved. The rows marked below were not saved: correct or "
                "complete them and save again.",
                n=saved,
            ),
            "error",
        )
        status = 422
    else:
        columns, rows = anonymous_grid(cohort, phase)
    return render_template(
        "cohorts/paper_entry_anonymous.html",
        cohort=cohort,
        phase=phase,
        columns=columns,
        rows=rows,
        code_elements=ELEMENTS,
        entered=anonymous_answer_counts(cohort).get(phase, 0),
        title=Phase(phase).title,
    ), status
