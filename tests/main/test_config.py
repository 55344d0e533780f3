"""Configuration from the environment: secret key kept in instance/, database URLs, production."""

import pytest

from lms import config


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.Config.load()["SECRET_KEY"]
    assert len(first) == 64 and (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert config.Config.load()["SECRET_KEY"] == first


def test_database_url_defaults_to_sqlite_in_instance_and_accepts_postgres(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.Config.load()["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lms.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/lms")
    assert config.Config.load()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/lms"


def test_production_refuses_to_start_without_a_real_key_and_database(monkeypatch):
    monkeypatch.setenv("PRODUCTION", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY and DATABASE_URL"):
        config.Config.load()


def test_sqlite_runs_with_wal_and_foreign_keys_and_postgresql_with_psycopg(app):
    from sqlalchemy import text

    from lms.extensions import db

    if db.engine.dialect.name == "postgresql":
        assert db.engine.dialect.driver == "psycopg"
        return
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_behind_a_reverse_proxy_throttling_counts_the_real_client(monkeypatch, database):
    from sqlalchemy import select

    from lms import create_app
    from lms.auth.models import LoginFailure
    from lms.extensions import db
    from tests.conftest import _config

    url, _snapshot = database
    app = create_app(_config(url, PROXIES=1))
    with app.app_context():
        app.test_client().post(
            "/login", data={"username": "ghost", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.7"}
        )
        keys = set(db.session.scalars(select(LoginFailure.key)))
        db.session.execute(LoginFailure.__table__.delete())
        db.session.commit()
        db.engine.dispose()
    assert "addr:203.0.113.7" in keys
