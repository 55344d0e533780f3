"""The three-wave report: does the change last after the training?"""

from flask import render_template, request
from flask_login import current_user

from lms.extensions import db
from lms.i18n import current_language
from lms.permissions import Permission, require
from lms.privacy.sgic import QUALITY_LABELS, match_quality
from lms.quizzes.instrument import current_version
from lms.quizzes.models import FOLLOW_UPS, PRACTICE_BANDS, PRACTICE_NOT_APPLICABLE_LABEL, Phase
from lms.reports.blueprint import bp
from lms.reports.privacy import visible
from lms.reports.services import audience_label, min_group_size, report_cohorts
from lms.reports.waves import ITEM, METHOD_NOTE, PRACTICE_VALUES, practice_report, wave_report


def _subscale_titles() -> dict[str, str]:
    version = current_version()
    lang = current_language()
    titles = {
        s["id"]: s.get(f"title_{lang}") or s["title_vi"] for s in (version.subscales if version else [])
    }
    for item in version.items if version else []:
        titles[f"{ITEM}{item.key}"] = f"{item.key}. {item.text('text')}"
    return titles


@bp.get("/reports/waves")
@require(Permission.VIEW_REPORTS)
def waves():
    cohorts = [c for c in report_cohorts(current_user) if not c.historical]
    chosen = set(request.args.getlist("cohort", type=int))
    selected = [c for c in cohorts if c.id in chosen] or cohorts
    follow = request.args.get("wave", Phase.FOLLOW_1.value)
    if follow not in {p.value for p in FOLLOW_UPS}:
        follow = Phase.FOLLOW_1.value
    min_n = min_group_size()
    report = wave_report([c.id for c in selected], follow, min_n, current_user.id)
    practice = practice_report([c.id for c in selected], follow, min_n, current_user.id)
    db.session.commit()  # the groups released to this viewer
    anonymous = [c.id for c in selected if c.anonymous]
    pairing = {wave: match_quality(anonymous, "pre", wave) for wave in ("post", follow)} if anonymous else {}
    return render_template(
        "reports/waves.html",
        cohorts=cohorts,
        selected=selected,
        chosen=chosen,
        follow=Phase(follow),
        waves=FOLLOW_UPS,
        report=report,
        titles=_subscale_titles(),
        min_n=min_n,
        visible=visible,
        method_note=METHOD_NOTE,
        Phase=Phase,
        pairing=pairing,
        qualities=QUALITY_LABELS,
        practice=practice,
        practice_columns=list(
            zip(PRACTICE_VALUES, (*PRACTICE_BANDS, PRACTICE_NOT_APPLICABLE_LABEL), strict=True)
        ),
        audience_label=audience_label,
    )
