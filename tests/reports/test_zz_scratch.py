import time
from lms.reports import queries, figures
from lms.reports.queries import Filters
from tests.reports.conftest import report_for

def test_scratch(app, make_cohort, answer_survey):
    from tests.reports.test_reports import enrolments_of
    cohort = make_cohort(trainees=5)
    for e in enrolments_of(cohort):
        answer_survey(e, "pre", lambda item: 2)
        answer_survey(e, "post", lambda item: 3)
    f = Filters()
    with app.test_request_context("/?lang=en"):
        for name in ("overview_by_cohort", "responses", "respondent_scores", "item_pairs", "alpha_moments"):
            t = time.perf_counter()
            rows = getattr(queries, name)(f)
            print(name, len(rows), time.perf_counter() - t)
        import cProfile, pstats
        pr = cProfile.Profile(); pr.enable(); report_for(); pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(20)
