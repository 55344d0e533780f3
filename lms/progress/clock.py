"""Today's date for the journey rules: the local date, or a fixed one set in the configuration
(TODAY, from LMS_TODAY) so that tests and demos can move the clock to a follow-up wave."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    fixed = current_app.config.get("TODAY")
    if fixed:
        return date.fromisoformat(str(fixed))
    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))).date()
