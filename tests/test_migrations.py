"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from lms import create_app
from lms.extensions import db
from tests.conftest import _config


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models(empty_database_url):
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == [], "run `flask --app wsgi db migrate` and commit the new revision"


def _revisions() -> list[tuple[str, str]]:
    """(down revision, revision) for every migration after the first, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from lms.config import ROOT

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    script = ScriptDirectory.from_config(config)
    steps = [(r.down_revision, r.revision) for r in script.walk_revisions() if r.down_revision]
    return list(reversed(steps))


def _seed_every_table(connection, rows_per_table: int = 2) -> dict[str, int]:
    """Two rows in every table of the database as it is, whatever the revision: values made up
    from each column's type, foreign keys pointing at the same row number of their table."""
    from datetime import UTC, date, datetime

    from sqlalchemy import (
        JSON,
        Boolean,
        Date,
        DateTime,
        Integer,
        LargeBinary,
        MetaData,
        String,
        Text,
        insert,
    )

    metadata = MetaData()
    metadata.reflect(connection)
    counts = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        for n in range(1, rows_per_table + 1):
            row = {}
            for column in table.columns:
                foreign = next(iter(column.foreign_keys), None)
                kind = column.type
                if foreign is not None:
                    row[column.name] = n  # row n points at row n of its table
                elif isinstance(kind, Boolean):
                    row[column.name] = n == 1
                elif isinstance(kind, Integer):
                    row[column.name] = n
                elif isinstance(kind, DateTime):
                    row[column.name] = datetime(2026, 1, n, tzinfo=UTC)
                elif isinstance(kind, Date):
                    row[column.name] = date(2026, 1, n)
                elif isinstance(kind, JSON):
                    row[column.name] = []
                elif isinstance(kind, LargeBinary):
                    row[column.name] = bytes([n])
                elif isinstance(kind, String | Text):
                    length = getattr(kind, "length", None) or 20
                    row[column.name] = f"{column.name[: length - 2]}{n}"[-length:]
                else:
                    row[column.name] = str(n)
            connection.execute(insert(table).values(row))
        counts[table.name] = rows_per_table
    return counts


@pytest.mark.parametrize("previous,revision", _revisions(), ids=lambda r: r)
def test_upgrading_a_database_that_holds_data_loses_no_row(empty_database_url, previous, revision):
    """Every migration, run on a database holding rows in every table, keeps every row."""
    from flask_migrate import upgrade as upgrade_to
    from sqlalchemy import func, inspect, select, table

    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade_to(revision=previous)
        with db.engine.begin() as connection:
            before = _seed_every_table(connection)
        upgrade_to(revision=revision)
        with db.engine.connect() as connection:
            after = {
                name: connection.scalar(select(func.count()).select_from(table(name)))
                for name in inspect(connection).get_table_names()
                if name in before
            }
            if revision == "a1c3e5f7b9d2":  # phase gates became rows: every open gate kept
                gates = connection.execute(
                    text("SELECT cohort_id, phase, is_open FROM phase_gate ORDER BY 1, 2")
                ).all()
                assert [tuple(g) for g in gates] == [(1, "post", True), (1, "pre", True)]
            if revision == "d4e6f8a0b2c4":  # practice items: existing items have no period
                periods = connection.execute(text("SELECT months FROM survey_item")).all()
                assert [tuple(p) for p in periods] == [(None,), (None,)]
            if revision == "e6a8c0b2d4f1":  # surveys of undone imports (both seeded) archived
                flags = connection.execute(text("SELECT id, archived FROM survey_response ORDER BY 1")).all()
                assert [(i, bool(a)) for i, a in flags] == [(1, True), (2, True)]
            if revision == "72d2e0b70830":  # anonymous respondents: enrolments without a user
                assert {c["name"]: c["nullable"] for c in inspect(connection).get_columns("enrolment")}[
                    "user_id"
                ] is True
                assert (
                    connection.scalar(
                        text(  # existing cohorts offer no certificate then
                            "SELECT count(*) FROM cohort WHERE anonymous_certificates"
                        )
                    )
                    == 0
                )
            if revision == "b2bc64b20261":  # background jobs: a new, empty table
                assert connection.scalar(text("SELECT COUNT(*) FROM job")) == 0
            if revision == "cf4455023940":  # the toolkit held gets a version at once
                assert connection.scalar(text("SELECT COUNT(*) FROM toolkit_version")) == 1
            if revision == "d5f7a9b1c3e5":  # follow-up reminders: a new, empty table
                assert connection.scalar(text("SELECT COUNT(*) FROM reminder")) == 0
            if revision == "a7e1c9d3f5b8":  # imports made before chunks were all complete
                assert connection.scalar(text("SELECT COUNT(*) FROM import_batch WHERE complete")) == 2
        db.engine.dispose()
    assert after == before  # every table is still there, with every row
