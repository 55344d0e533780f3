"""Database setup: SQLite pragmas for the embedded default, one session per request."""

from flask import Flask
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
        cursor.close()


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        from pathlib import Path

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
