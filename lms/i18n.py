"""Locale choice and formatting: user preference, session, ?lang=, Accept-Language, Vietnamese."""

from flask import Flask, abort, current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_login import current_user

from lms.extensions import babel


def current_language() -> str:
    """The language of the current page ("vi" or "en"), Vietnamese outside a request."""
    return str(get_locale() or "vi")


def content_language() -> str:
    """The toolkit language a preview or print page asks for (?content_lang=), or 404."""
    lang = request.args.get("content_lang", "vi")
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    return lang


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, number=format_decimal, percent=format_percent
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
