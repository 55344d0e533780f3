"""The words reports print, marked for translation in one place: methods, sources, phases."""

from flask_babel import lazy_gettext as _l

from lms.quizzes.models import PHASE_LABELS

# The statistical methods of lms.reports.stats.METHODS, word for word (a test keeps them equal).
METHOD_LABELS = {
    "mean_change": _l("Mean of post − pre differences, 95% CI (t distribution)"),
    "t_p": _l("Paired t-test (two-sided)"),
    "wilcoxon_p": _l("Wilcoxon signed-rank test (two-sided)"),
    "cohen_dz": _l("Cohen's dz = mean difference / SD of differences"),
    "dz_ci": _l("95% CI of dz from the noncentral t distribution"),
    "zeros": _l(
        "Wilcoxon: zero differences are dropped before ranking (Wilcoxon's method, "
        "not Pratt's); tied differences get average ranks; W is the smaller of the "
        "positive and negative rank sums and z its normal approximation with the tie "
        "correction, signed so that z > 0 means scores rose"
    ),
    "holm": _l(
        "Holm-adjusted p: across the attitude items shown (one family) and across the "
        "knowledge questions shown (another family)"
    ),
    "alpha": _l("Cronbach's alpha"),
    "mcnemar": _l("McNemar test (exact binomial when fewer than 25 discordant pairs)"),
    "mean_ci": _l("Mean with 95% CI (t distribution)"),
}

# stats.McNemar.method values.
MCNEMAR_VARIANTS = {
    "exact binomial": _l("exact binomial"),
    "chi-square with continuity correction": _l("chi-square with continuity correction"),
}

SOURCES = {
    "online": _l("Online"),
    "paper": _l("Paper"),
    "imported": _l("Imported (historical)"),
}

PHASES = PHASE_LABELS  # one table of phase names, kept with the phases

PERIODS = {"month": _l("Month"), "quarter": _l("Quarter")}

# Notes printed under the figures they explain.
NOTES = {
    "scores": _l(
        "Attitude scores run from 1 to 5 after reverse-keyed items are turned round: "
        "a higher score means less stigma. A trainee's subscale score is the mean of "
        "the items they answered; the overall score is the mean of all core items."
    ),
    "matched": _l(
        "Paired figures use matched trainees only: those who answered the survey both "
        "before and after the training. Trainees who answered only one survey are "
        "counted separately and never mixed into the paired figures."
    ),
    "shares": _l(
        "Improved / unchanged / worse: share of matched trainees whose score rose, stayed the same or fell."
    ),
    "audience_items": _l(
        "Items for one audience only are reported separately from the core "
        "subscales, which use the items everyone answers."
    ),
    "knowledge": _l(
        "Knowledge: share of matched trainees answering each question correctly "
        "before and after; the overall score is each trainee's percentage correct."
    ),
    "trend": _l(
        "Periods follow the local date of the survey after the training; means are "
        "of matched trainees' overall scores."
    ),
    "min_items": _l(
        "A trainee's subscale score counts only when they answered at least "
        "%(share)s of the subscale's items (those anyone in the report was asked) "
        "both before and after; the overall score likewise for all core items. "
        "Trainees below the rule are shown as excluded."
    ),
    "dates": _l("The date range selects cohorts by their start date."),
}
