"""Follow-up waves of a cohort: schedule them, open one early, see who answered, print the
"come back" slip for the end of the workshop."""

from collections import Counter

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from lms.cohorts.blueprint import bp
from lms.cohorts.services import live_cohort_or_404, managed_cohort_or_404
from lms.cohorts.waves import WaveError, come_back_slips, schedule_waves, scheduled_waves
from lms.downloads import download
from lms.extensions import db
from lms.jobs.services import start_job, submit
from lms.mail import mail_configured
from lms.permissions import Permission, require
from lms.progress.journey import cohort_journeys
from lms.progress.reminders import reminders_due, wave_reminders
from lms.quizzes.models import FOLLOW_UPS, Phase
from lms.urls import public_url, safe_next


@bp.route("/cohorts/<int:cohort_id>/waves", methods=["GET", "POST"])
@require(Permission.RUN_COHORTS)
def waves(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "schedule")
        try:
            if action == "schedule":
                schedule_waves(cohort, request.form)
            elif action in {f"{verb}-{p.value}" for p in FOLLOW_UPS for verb in ("open", "close")}:
                verb, phase = action.split("-", 1)
                if cohort.wave_date(phase) is None:
                    raise WaveError(_("Schedule this follow-up first."))
                cohort.set_gate(phase, verb == "open")
            else:
                raise WaveError(_("Unknown action."))
        except WaveError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 422
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("cohorts.waves", cohort_id=cohort.id))
    counts = {phase: Counter() for phase in FOLLOW_UPS}
    for trainee_journey in cohort_journeys(cohort):
        for phase in FOLLOW_UPS:
            step = trainee_journey.phases.get(phase)
            if step is not None:
                counts[phase][step.state.value] += 1
    months = {p: request.form.get(p.value, "") for p in FOLLOW_UPS}
    return render_template(
        "cohorts/waves.html",
        cohort=cohort,
        phases=FOLLOW_UPS,
        counts=counts,
        months=months,
        Phase=Phase,
        reminders={w.phase: w for w in wave_reminders(cohort)},
        mail_ready=mail_configured(),
    ), status


@bp.post("/cohorts/<int:cohort_id>/waves/<any('follow-1', 'follow-2'):wave>/reminders")
@require(Permission.RUN_COHORTS)
def send_reminders(cohort_id: int, wave: str):
    """Email the trainees who have not answered the wave yet (a job: its page shows how many
    were sent, skipped or reminded already)."""
    cohort = live_cohort_or_404(current_user, cohort_id)
    back = safe_next(request.form.get("next"), "cohorts.index")
    if back == url_for("cohorts.index"):
        back = url_for("cohorts.waves", cohort_id=cohort.id)
    if not mail_configured():
        flash(_("Email is not set up on this server: hand out the come-back slips instead."), "error")
        return redirect(back)
    if not reminders_due(cohort, wave):
        flash(
            _("Reminders can be sent once the follow-up is open, or in the two weeks before its date."),
            "error",
        )
        return redirect(back)
    job = start_job(
        current_user, "follow_up_reminders", {"cohort_id": cohort.id, "phase": wave}, return_to=back
    )
    db.session.commit()
    submit(job)
    return redirect(url_for("jobs.show", public_id=job.public_id), 303)


@bp.get("/cohorts/<int:cohort_id>/waves/come-back.pdf")
@require(Permission.RUN_COHORTS)
def come_back(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    scheduled = scheduled_waves(cohort)
    if not scheduled:
        flash(_("Schedule a follow-up first."), "error")
        return redirect(url_for("cohorts.waves", cohort_id=cohort.id))
    lines = [_("Thank you for taking part. Please come back to answer a short survey:")]
    lines += [
        _("%(wave)s: from %(date)s", wave=Phase(phase).title, date=format_date(day))
        for phase, day in scheduled
    ]
    lines.append(_("Sign in with your account, or scan the code."))
    pdf = come_back_slips(cohort, public_url("auth.login"), lines)
    return download(pdf, f"cohort-{cohort.id}-come-back.pdf", "application/pdf")
