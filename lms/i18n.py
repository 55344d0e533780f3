"""Locale choice and formatting: user preference, session, ?lang=, Accept-Language, Vietnamese."""

from flask import Flask, abort, current_app, request, session
from flask.globals import _cv_app
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_translations,
)
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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


# A page calls gettext some sixty times. Flask-Babel finds the request's locale and catalogue
# anew for each call (several context lookups); the catalogue of a locale never changes while
# the process runs, and a string without variables always translates to the same text.
_CATALOGUES: dict = {}
_TRANSLATED: dict = {}  # (locale, autoescape, msgid) -> the text as the template shows it
_TRANSLATED_MAX = 20_000  # a template that translates a variable cannot grow it without end


def _locale():
    """The locale Flask-Babel chose for this request (chosen now if not yet), None outside."""
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        chosen = getattr(app_ctx.g.__dict__.get("_flask_babel"), "babel_locale", None)
        if chosen is not None:
            return chosen
    return get_locale()


def _catalogue(locale):
    if locale is None:
        return get_translations()
    catalogue = _CATALOGUES.get(locale)
    if catalogue is None:
        catalogue = _CATALOGUES[locale] = get_translations()
    return catalogue


@pass_context
def template_gettext(context, string: str, **variables) -> str:
    """`_()` and `{% trans %}` in templates: exactly Jinja's newstyle gettext over Flask-Babel
    (escaped when autoescaping, always %-formatted), with the result of a string without
    variables kept per locale."""
    locale = _locale()
    autoescape = context.eval_ctx.autoescape
    if not variables:
        key = (locale, autoescape, string)
        text = _TRANSLATED.get(key)
        if text is not None:
            return text
    text = _catalogue(locale).ugettext(string)
    if autoescape:
        text = Markup(text)  # noqa: S704 (the catalogue, as Jinja does: its own text)
    text = text % variables
    if not variables and len(_TRANSLATED) < _TRANSLATED_MAX:
        _TRANSLATED[key] = text
    return text


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["gettext"] = template_gettext  # after Flask-Babel installed its own
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, number=format_decimal, percent=format_percent
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
