"""Database setup: SQLite pragmas for the embedded default, one session per request."""

from pathlib import Path

import click
from flask import Flask, g
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.engine import Engine

from lms.extensions import db


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while a survey is being written; SQLite ignores FKs unless asked.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")  # writers wait for one another, not fail
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Each thread of each worker has a connection; the operating system's page cache,
        # shared by all of them, holds the database: 512 KiB each, not SQLite's 2 MiB.
        cursor.execute("PRAGMA cache_size=-512")
        cursor.close()


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    import_models()


def import_models() -> None:
    """Import every domain's models so the metadata (and Alembic) see all tables."""
    from lms.auth import models as _auth  # noqa: F401
    from lms.certificates import models as _certificates  # noqa: F401
    from lms.cohorts import models as _cohorts  # noqa: F401
    from lms.jobs import models as _jobs  # noqa: F401
    from lms.modules import models as _modules  # noqa: F401
    from lms.privacy import models as _privacy  # noqa: F401
    from lms.quizzes import models as _quizzes  # noqa: F401
    from lms.reports import models as _reports  # noqa: F401


class _Migrations:
    """Flask-Migrate's entry in app.extensions, built on first use: importing Alembic (and
    through it every SQL dialect and Mako) would add a third of a second to every start-up
    of a server that never migrates. `flask db …` and flask_migrate.upgrade() find the real
    configuration through it."""

    def __init__(self, app: Flask, directory: Path):
        self._app, self._directory = app, str(directory)

    def __getattr__(self, name):
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=self._directory)  # replaces this entry
        return getattr(self._app.extensions["migrate"], name)


class _MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's commands, imported when one is asked for."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def list_commands(self, ctx):
        return self._commands().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._commands().get_command(ctx, name)


@with_appcontext
def _migration_options(directory, x_arg):
    g.directory, g.x_arg = directory, x_arg  # as flask_migrate.cli.db: read by get_config()


def init_migrations(app: Flask, directory: Path) -> None:
    app.extensions["migrate"] = _Migrations(app, directory)
    app.cli.add_command(
        _MigrationCommands(
            "db",
            help="Perform database migrations.",
            callback=_migration_options,
            params=[
                click.Option(
                    ["-d", "--directory"],
                    default=None,
                    help='Migration script directory (default is "migrations")',
                ),
                click.Option(
                    ["-x", "--x-arg"],
                    multiple=True,
                    help="Additional arguments consumed by custom env.py scripts",
                ),
            ],
        )
    )
