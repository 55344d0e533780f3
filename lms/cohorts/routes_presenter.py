"""The presenter console: run the room from a projected laptop, with no name, login or phone
number on screen. It reuses the cohort page's pacing service and the room view's counts."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.cohorts.anonymous import anonymous_answer_counts
from lms.cohorts.blueprint import bp
from lms.cohorts.routes_workshop import pace_from_form
from lms.cohorts.services import join_url, live_cohort_or_404, managed_cohort_or_404, qr_svg
from lms.permissions import Permission, require
from lms.progress.matrix import completion_matrix, room_counts


@bp.get("/cohorts/<int:cohort_id>/presenter")
@require(Permission.RUN_COHORTS)
def presenter(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    url = join_url(cohort)
    return render_template(
        "cohorts/presenter.html",
        cohort=cohort,
        join_url=url,
        counts=room_counts(completion_matrix(cohort), anonymous_answer_counts(cohort)),
        qr=qr_svg(url, _("Join %(name)s", name=cohort.name)),
    )


@bp.post("/cohorts/<int:cohort_id>/presenter/pacing")
@require(Permission.RUN_COHORTS)
def presenter_pacing(cohort_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    pace_from_form(cohort)
    # Back to the console, never to the cohort page, whose roster would go up on the screen.
    return redirect(url_for("cohorts.presenter", cohort_id=cohort.id), 303)
