"""Maintenance commands: `flask --app wsgi <group> <command>`."""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.extensions import db
from lms.permissions import Role

ROOT = Path(__file__).resolve().parent.parent
user_cli = AppGroup("user", help="Accounts.")
content_cli = AppGroup("content", help="Toolkit content files.")
demo_cli = AppGroup("demo", help="Demonstration data.")
translate_cli = AppGroup("translate", help="UI translations (Babel).")
jobs_cli = AppGroup("jobs", help="Background jobs (certificate ZIPs, imports, exports).")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads (default JOBS_WORKERS).")
def jobs_worker_command(workers):
    """Run the jobs worker until stopped (one process per queue; `make serve` starts it)."""
    import logging

    from huey.consumer import Consumer

    from lms.jobs.queue import huey as job_queue
    from lms.jobs.runner import recover

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    huey = job_queue()
    if huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run inside requests, no worker")
    # Jobs a stopped worker left running, or that were never queued, are queued again; a
    # job that committed is never run twice (see lms/jobs/runner.py).
    click.echo(f"jobs worker: {recover()} waiting job(s) queued")
    db.session.remove()
    Consumer(
        huey, workers=workers or current_app.config["JOBS_WORKERS"], worker_type="thread", periodic=False
    ).run()


@user_cli.command("create")
@click.argument("username")
@click.argument("full_name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.TRAINEE.value)
@click.option("--password", help="Leave out to generate a one-time password.")
@click.option("--org-type", default="other")
@click.option("--province", default=None)
@click.option("--language", type=click.Choice(["vi", "en"]), default="vi")
def create_user_command(username, full_name, role, password, org_type, province, language):
    """Create an account of any role and print its password."""
    from lms.auth.services import AccountError, create_user

    try:
        user, password = create_user(
            username, full_name, password, role=role, org_type=org_type, province=province, language=language
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{user.username}\t{role}\t{password}")


@content_cli.command("check")
def check_command():
    """Validate both languages of the toolkit and the survey; exit 1 listing every problem."""
    from lms.modules.content import parse_toolkit
    from lms.quizzes.instrument import parse_instrument

    content_dir = Path(current_app.config["CONTENT_DIR"])
    modules, problems = parse_toolkit(content_dir)
    problems += parse_instrument(content_dir)[1]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    lessons = sum(len(m.lessons) for m in modules)
    click.echo(f"content ok: {len(modules)} modules, {lessons} lessons, survey instrument")


def sync_content(content_dir: Path | None = None) -> str:
    """Load toolkit and instrument in one transaction; raises ContentError listing problems."""
    from lms.modules.services import ContentError, sync_toolkit
    from lms.quizzes.instrument import parse_instrument, sync_instrument

    content_dir = Path(content_dir or current_app.config["CONTENT_DIR"])
    data, problems = parse_instrument(content_dir)
    if problems:
        raise ContentError(problems)
    counts = sync_toolkit(content_dir)
    version = sync_instrument(data)
    db.session.commit()
    return (
        f"synced {counts['modules']} modules, {counts['lessons']} lessons "
        f"({counts['archived']} archived); survey version {version.number}"
    )


@content_cli.command("sync")
def sync_command():
    """Load the toolkit and the survey into the database (archives, never deletes)."""
    from lms.modules.services import ContentError

    try:
        click.echo(sync_content())
    except ContentError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def seed_command(if_empty):
    """Create one account per role and a demo cohort, and print the credentials."""
    from lms.auth.models import User
    from lms.auth.services import create_user
    from lms.cohorts.services import create_cohort, enrol

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        if db.session.scalar(select(User).where(User.username == DEMO_PEOPLE[0][0])):
            _print_demo_accounts()
        else:
            click.echo("accounts exist: demo data not seeded")
        return
    users = {}
    for username, name, role, org in DEMO_PEOPLE:
        users[username], _ = create_user(
            username, name, DEMO_PASSWORD, role=role, org_type=org, province="ha-noi", language="vi"
        )
    db.session.flush()
    cohort = create_cohort(
        users["facilitator"],
        name="Tập huấn công an phường — Hà Nội (demo)",
        audience="police",
        province="ha-noi",
        venue="Hội trường UBND phường",
        start_date=date.today(),
        end_date=date.today() + timedelta(days=2),
        status="active",
    )
    for username in ("trainee", "trainee2"):
        enrol(cohort, users[username])
    db.session.commit()
    _print_demo_accounts()


@demo_cli.command("evaluation")
def evaluation_command():
    """Seed a demo evaluation: 3 cohorts, about 60 trainees, before, after and a follow-up."""
    from lms.reports.demo import PASSWORD, seed_evaluation

    cohorts = seed_evaluation()
    db.session.commit()
    for cohort in cohorts:
        click.echo(f"  {cohort.name}")
    click.echo(f"Trainees eval1-01 … eval3-18 (password {PASSWORD}); report: /reports/waves")


def _print_demo_accounts() -> None:
    from lms.cohorts.models import Cohort

    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for username, name, role, _org in DEMO_PEOPLE:
        click.echo(f"  {role.value:<12} {username:<12} {name}")
    code = db.session.scalar(select(Cohort.join_code).order_by(Cohort.id).limit(1))
    if code:
        click.echo(f"Demo cohort join code: {code}")


DEMO_PASSWORD = "demo-2026"  # noqa: S105 (printed on purpose: demo accounts only)
DEMO_PEOPLE = [
    ("admin", "Quản trị viên", Role.ADMIN, "other"),
    ("staff", "Trần Thu Hà", Role.STAFF, "ngo"),
    ("facilitator", "Lê Văn Dũng", Role.FACILITATOR, "ngo"),
    ("trainee", "Nguyễn Thị Hương", Role.TRAINEE, "police"),
    ("trainee2", "Phạm Quốc Việt", Role.TRAINEE, "police"),
]


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)  # noqa: S603


@translate_cli.command("extract")
def extract_command():
    """Extract UI strings to translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        "translations/messages.pot",
        ".",
    )


@translate_cli.command("update")
def update_command():
    """Merge messages.pot into the Vietnamese and English catalogues."""
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching")


@translate_cli.command("compile")
def compile_command():
    """Compile the catalogues to .mo files."""
    _pybabel("compile", "-d", "translations")


def register_commands(app: Flask) -> None:
    for group in (user_cli, content_cli, demo_cli, translate_cli, jobs_cli):
        app.cli.add_command(group)
