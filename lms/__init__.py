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
    from lms.extensions import csrf, login_manager, migrate

    database.init_app(app)
    migrate.init_app(app, database.db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    web.init_app(app)

    from lms import auth, certificates, cohorts, main, modules, privacy, quizzes, reports

    for domain in (main, auth, modules, quizzes, cohorts, certificates, reports, privacy):
        app.register_blueprint(domain.bp)

    from lms.cli import register_commands
    from lms.permissions import check_every_view_has_a_rule

    register_commands(app)
    check_every_view_has_a_rule(app)
    return app
