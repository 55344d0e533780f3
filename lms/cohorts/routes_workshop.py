"""Running a workshop: pacing gates, the projector's room view, and the completion matrix."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.models import audit
from lms.cohorts.anonymous import anonymous_answer_counts
from lms.cohorts.blueprint import bp
from lms.cohorts.services import (
    CohortError,
    apply_pacing,
    join_url,
    live_cohort_or_404,
    managed_cohort_or_404,
    qr_svg,
)
from lms.cohorts.tracking import group_results, respondents
from lms.downloads import XLSX, download, name_part
from lms.extensions import db
from lms.i18n import current_language
from lms.permissions import Permission, require
from lms.progress.exports import to_csv, to_xlsx
from lms.progress.matrix import SORTS, STATUS_FILTERS, completion_matrix, filter_rows, room_counts
from lms.reports.charts import pre_post_bars, to_svg
from lms.vocab import ORG_TYPES


@bp.post("/cohorts/<int:cohort_id>/pacing")
@require(Permission.RUN_COHORTS)
def pacing(cohort_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    pace_from_form(cohort)
    return redirect(url_for("cohorts.show", cohort_id=cohort.id) + "#pacing")


def pace_from_form(cohort) -> None:
    """Apply the pacing button the facilitator pressed (cohort page or presenter console)."""
    try:
        apply_pacing(cohort, request.form.get("action", ""), request.values.get("module_id", type=int))
    except CohortError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Saved. Trainees' pages update within a few seconds."), "success")


def _room_version(cohort, min_n: int) -> str:
    """Changes when the group results would (a phase reaching min_n, or a new answer after)."""
    n = respondents(cohort)
    return "-".join(str(n[phase] if n[phase] >= min_n else 0) for phase in ("pre", "post"))


@bp.get("/cohorts/<int:cohort_id>/room")
@require(Permission.RUN_COHORTS)
def room(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    min_n = current_app.config["REPORT_MIN_N"]
    matrix = completion_matrix(cohort)
    lang = current_language()
    results = group_results(cohort, min_n, lang, viewer_id=current_user.id)
    db.session.commit()  # the room's release state
    chart = None
    if results is not None:
        chart = to_svg(
            pre_post_bars(
                _("Attitudes before and after the training (1–5, higher = less stigma)"),
                [(s["title"], s["pre"], None, None, s["post"], None, None) for s in results["subscales"]],
                _("Before"),
                _("After"),
            ),
            id_prefix="room-chart",
        )
    url = join_url(cohort)
    return render_template(
        "cohorts/room.html",
        cohort=cohort,
        matrix=matrix,
        counts=room_counts(matrix, anonymous_answer_counts(cohort)),
        results=results,
        chart=chart,
        min_n=min_n,
        join_url=url,
        lang=lang,
        qr=qr_svg(url, _("Join %(name)s", name=cohort.name)),
    )


@bp.get("/cohorts/<int:cohort_id>/room/state")
@require(Permission.RUN_COHORTS)
def room_state(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    return {
        "counts": room_counts(completion_matrix(cohort), anonymous_answer_counts(cohort)),
        "version": _room_version(cohort, current_app.config["REPORT_MIN_N"]),
    }


def _matrix_query() -> dict:
    """The matrix filters from the query string, unknown values replaced by the defaults."""
    status = request.args.get("status", "all")
    org_type = request.args.get("org_type", "")
    sort = request.args.get("sort", "name")
    return {
        "status": status if status in STATUS_FILTERS else "all",
        "org_type": org_type if org_type in ORG_TYPES else "",
        "sort": sort if sort in SORTS else "name",
    }


@bp.get("/cohorts/<int:cohort_id>/progress")
@require(Permission.RUN_COHORTS)
def progress(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    matrix = completion_matrix(cohort)
    query = _matrix_query()
    rows = filter_rows(matrix, **query)
    return render_template(
        "cohorts/progress.html",
        cohort=cohort,
        matrix=matrix,
        rows=rows,
        totals=matrix.totals(rows),
        query=query,
        anonymous=anonymous_answer_counts(cohort) if cohort.anonymous else None,
        status_filters=STATUS_FILTERS,
        org_types=ORG_TYPES,
    )


@bp.get("/cohorts/<int:cohort_id>/progress.<any(csv, xlsx):fmt>")
@require(Permission.RUN_COHORTS)
def export_progress(cohort_id: int, fmt: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    matrix = completion_matrix(cohort)
    query = _matrix_query()
    rows = filter_rows(matrix, **query)
    if fmt == "csv":
        body, mimetype = to_csv(matrix, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(matrix, rows, cohort.name), XLSX
    audit(
        current_user,
        "export_progress",
        f"cohort:{cohort.id}",
        details=f"{fmt}, {len(rows)} trainees, filters {query}",
    )
    db.session.commit()
    name = name_part(cohort.name) or f"cohort-{cohort.id}"
    return download(body, f"{name} - {_('Progress')}.{fmt}", mimetype)
