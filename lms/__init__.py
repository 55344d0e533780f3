"""The training platform: create_app builds a configured Flask application."""

from flask import Flask

from lms.config import INSTANCE, ROOT, Config


def create_app(config: type[Config] = Config) -> Flask:
    """Application factory: configuration, extensions, blueprints, hooks, commands."""
    from lms.web import App

    app = App(__name__, instance_path=str(INSTANCE))
    app.config.update(config.load())
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from lms import database, i18n, web
    from lms.extensions import csrf, login_manager

    database.init_app(app)
    database.init_migrations(app, ROOT / "migrations")
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    from lms.jobs.services import init_app as init_jobs

    init_jobs(app)

    register_blueprints(app)

    from lms.cli import register_commands
    from lms.permissions import check_every_view_has_a_rule
    from lms.progress import reactions  # noqa: F401 (connects the certificate rule to progress)

    register_commands(app)
    check_every_view_has_a_rule(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Import every domain's routes (the web layer, above all domains) and register them."""
    from lms.auth import routes as _auth  # noqa: F401
    from lms.certificates import routes as _certificates  # noqa: F401
    from lms.cohorts import routes as _cohorts  # noqa: F401
    from lms.cohorts import (  # noqa: F401
        routes_anonymous,
        routes_import,
        routes_paper,
        routes_presenter,
        routes_waves,
        routes_workshop,
    )
    from lms.jobs import routes as _jobs  # noqa: F401
    from lms.main import routes as _main  # noqa: F401
    from lms.modules import routes as _modules  # noqa: F401
    from lms.modules import routes_materials  # noqa: F401
    from lms.privacy import routes as _privacy  # noqa: F401
    from lms.quizzes import routes as _quizzes  # noqa: F401
    from lms.reports import routes as _reports  # noqa: F401
    from lms.reports import routes_waves as _report_waves  # noqa: F401

    for blueprint in (
        _main.bp,
        _auth.bp,
        _modules.bp,
        _quizzes.bp,
        _cohorts.bp,
        _certificates.bp,
        _reports.bp,
        _privacy.bp,
        _jobs.bp,
    ):
        app.register_blueprint(blueprint)
