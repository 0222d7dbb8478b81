"""Languages (Spanish first, English second) and how dates are shown."""
from __future__ import annotations

from datetime import date, datetime

import re

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel, format_date, get_locale, gettext as _

from . import clock, numbers
from .questionnaires import localized


def select_locale() -> str:
    if has_request_context():
        chosen = session.get("lang")
        if chosen in current_app.config["LANGUAGES"]:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def short_date(value) -> str:
    """dd/mm/aaaa, whatever the language."""
    day = _as_date(value)
    return day.strftime("%d/%m/%Y") if day else ""


def date_time(value) -> str:
    """dd/mm/aaaa hh:mm in the site's time zone, from a stored UTC time."""
    if value in (None, ""):
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return clock.local(moment).strftime("%d/%m/%Y %H:%M")


MONTH_NAMES = {name: i for i, name in enumerate(
    ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
     "noviembre", "diciembre"], start=1)}
MONTH_NAMES.update({name: i for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)})
MONTH_NAMES["setiembre"] = 9


def parse_month(text: str | None) -> str:
    """A month as people write it: 2010-10, 10/2010, «octubre 2010», «Octubre de 2010» -> '2010-10'.

    Only ASCII digits; years 2000 to 2100. Raises ValueError with a message for a person.
    """
    cleaned = " ".join((text or "").strip().lower().split())
    patterns = (r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})", r"(?P<m>[0-9]{1,2})[/-](?P<y>[0-9]{4})",
                r"(?P<name>[a-z]+)(?: de| del)? (?P<y>[0-9]{4})")
    for pattern in patterns:
        found = re.fullmatch(pattern, cleaned)
        if not found:
            continue
        month = MONTH_NAMES.get(found["name"]) if "name" in found.groupdict() else int(found["m"])
        if month and 1 <= month <= 12 and 2000 <= int(found["y"]) <= 2100:
            return f"{found['y']}-{month:02d}"
    raise ValueError(_("Write the month as 10/2010 or «octubre 2010» (years 2000 to 2100)."))


def month_name(value, with_year: bool = True) -> str:
    """'Noviembre de 2026': CLDR month names are lower case in Spanish."""
    day = _as_date(value if not isinstance(value, str) or len(value) > 7 else value + "-01")
    if day is None:
        return ""
    text = format_date(day, "LLLL 'de' y" if with_year and str(get_locale()) == "es"
                       else ("LLLL y" if with_year else "LLLL"))
    return text[:1].upper() + text[1:]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["month_name"] = month_name
    app.jinja_env.filters["date_time"] = date_time
    numbers.init_app(app)  # the ``number`` filter: one way of writing figures everywhere
    app.jinja_env.globals["localized"] = localized

    @app.context_processor
    def language():
        return {"current_language": str(get_locale())}
