"""A worker boots light: the statistics, PDF and spreadsheet libraries load with the first
report, PDF or export that needs them, never at start-up nor for a trainee's or facilitator's
ordinary pages. Checked in a fresh interpreter (the test process itself has imported them)."""

import json
import subprocess
import sys
import textwrap

from lms.config import ROOT

HEAVY = ("numpy", "scipy", "statsmodels", "reportlab", "PIL", "openpyxl", "huey", "redis", "smtplib")

SCRIPT = textwrap.dedent("""
    import json, sys
    from datetime import date, timedelta

    HEAVY = %(heavy)r
    loaded = lambda: sorted(name for name in HEAVY if name in sys.modules)

    from lms import create_app
    from lms.config import TestConfig

    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": %(url)r})
    app = create_app(config)
    seen = {"create_app": loaded()}

    from lms.extensions import db

    with app.app_context():
        db.create_all()
        from lms.cli import sync_content

        sync_content()
        from lms.auth.services import create_user
        from lms.cohorts.services import create_cohort, enrol

        facilitator, _ = create_user("facilitator1", "Nguyễn Văn A", "correct horse",
                                     role="facilitator", language="vi")
        trainee, _ = create_user("trainee1", "Trần Thị B", "correct horse", role="trainee",
                                 language="vi", org_type="police")
        cohort = create_cohort(facilitator, name="Lớp thử", audience="police",
                               province="ha-noi", start_date=date.today(),
                               end_date=date.today() + timedelta(days=1), status="active")
        enrolment = enrol(cohort, trainee)
        db.session.commit()
        from lms.quizzes.services import submit_survey
        from tests.conftest import survey_answers

        submit_survey(enrolment, "pre", survey_answers(enrolment, "pre"))  # lessons open after it
        db.session.commit()
        lesson = cohort.modules[0].module.lessons[0].key
        seen["content sync"] = loaded()

    statuses = {}
    for username, paths in (("trainee1", ["/", f"/lessons/{lesson}", "/"]),
                            ("facilitator1", ["/", f"/cohorts/{cohort.id}"])):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "correct horse"})
        for path in paths:
            statuses[f"{username} {path}"] = client.get(path).status_code
    seen["pages"] = loaded()
    print(json.dumps({"seen": seen, "statuses": statuses}))
""")


def run_fresh(tmp_path, script: str = SCRIPT) -> dict:
    url = f"sqlite:///{tmp_path / 'boot.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-c", script % {"heavy": HEAVY, "url": url}],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "boot-test",
            "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
        },
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_heavy_library_at_start_up_nor_for_ordinary_pages(tmp_path):
    result = run_fresh(tmp_path)
    assert set(result["statuses"].values()) == {200}, result["statuses"]
    assert result["seen"] == {"create_app": [], "content sync": [], "pages": []}


def test_the_check_sees_a_library_that_is_imported(tmp_path):
    # The same fresh interpreter reports a library once something imports it: the check above
    # would fail if a route module imported numpy or ReportLab at the top again.
    script = SCRIPT.replace(
        'seen["pages"] = loaded()', 'import lms.reports.pdf_render\nseen["pages"] = loaded()'
    )
    seen = run_fresh(tmp_path, script)["seen"]
    assert "reportlab" in seen["pages"] and seen["create_app"] == []
