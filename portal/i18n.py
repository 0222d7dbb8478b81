"""Languages (Spanish first, English second), how dates are shown, and ``flask --app portal translate``."""
from __future__ import annotations

import difflib
import re
import subprocess
import sys
import unicodedata
from datetime import date, datetime, timedelta

from flask import Flask, current_app, has_request_context, session
from flask.cli import AppGroup
from flask_babel import Babel, format_date, get_locale
from flask_babel import gettext as _

from . import clock, numbers
from .paths import PROJECT_ROOT, TRANSLATIONS_FOLDER
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


SPANISH_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                  "noviembre", "diciembre"]
ENGLISH_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                  "november", "december"]
MONTH_NAMES = {name: i for names in (SPANISH_MONTHS, ENGLISH_MONTHS) for i, name in enumerate(names, start=1)}
MONTH_NAMES["setiembre"] = 9
NUMERIC_MONTHS = (r"(?P<y>[0-9]{4})[-/ ](?P<m>[0-9]{1,2})", r"(?P<m>[0-9]{1,2})[/-](?P<y>[0-9]{4})",
                  r"(?P<m>[0-9]{1,2})/(?P<yy>[0-9]{2})")


def _month_number(word: str) -> int | None:
    """A month's name as people write it: whole, shortened (oct, sept, dic) or misspelt (novienbre), when
    only one month fits."""
    if word in MONTH_NAMES:
        return MONTH_NAMES[word]
    fits = {n for name, n in MONTH_NAMES.items() if len(word) >= 3 and name.startswith(word)}
    if not fits:
        fits = {MONTH_NAMES[name] for name in difflib.get_close_matches(word, MONTH_NAMES, n=3, cutoff=0.8)}
    return fits.pop() if len(fits) == 1 else None


def _plain(text: str | None) -> str:
    """Lower case, no accents, no dots or commas, single spaces, without «de»."""
    text = unicodedata.normalize("NFKD", (text or "").strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.sub(r"[.,]", " ", text).split()
    return " ".join(w for w in words if w not in ("de", "del"))


def parse_month(text: str | None) -> str:
    """A month as people write it -> 'YYYY-MM': 2010-10, 2010/10, 10/2010, 10/10, «octubre 2010», «Octubre de
    2010», «oct. 2010», «Novienbre 2026».

    Only ASCII digits; years 2000 to 2100; a month without its year is refused. Raises ValueError with a
    message for a person.
    """
    text = (text or "")[:40]
    cleaned = "" if any(ch.isdigit() and not ch.isascii() for ch in text) else _plain(text)
    if not cleaned.isascii():
        cleaned = ""
    for pattern in NUMERIC_MONTHS:
        found = re.fullmatch(pattern, cleaned)
        if found:
            year = int(found["y"]) if "y" in found.groupdict() else 2000 + int(found["yy"])
            if 1 <= int(found["m"]) <= 12 and 2000 <= year <= 2100:
                return f"{year}-{int(found['m']):02d}"
    found = re.fullmatch(r"(?P<name>[a-z]+) ?(?P<y>[0-9]{4})", cleaned)
    if found:
        month = _month_number(found["name"])
        if month and 2000 <= int(found["y"]) <= 2100:
            return f"{found['y']}-{month:02d}"
    raise ValueError(_("Write the month as 10/2010 or «octubre 2010» (years 2000 to 2100)."))


def last_complete_month(today: date) -> str:
    """The month before the one ``today`` is in: the last one whose sheet can be complete."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


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


translate_cli = AppGroup("translate", help="Update and compile the interface translations.")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=PROJECT_ROOT)


@translate_cli.command("update")
def translate_update() -> None:
    """Extract the interface strings and merge them into the catalogs."""
    pot = str(TRANSLATIONS_FOLDER / "messages.pot")
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--omit-header", "-o", pot, "portal")
    for lang in current_app.config["LANGUAGES"]:
        if lang == "en":  # the source language needs no catalog
            continue
        if not (TRANSLATIONS_FOLDER / lang / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("init", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang)
        _pybabel("update", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang, "--no-fuzzy-matching",
                 "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (the portal shows English source text without this)."""
    _pybabel("compile", "--statistics", "-d", str(TRANSLATIONS_FOLDER))
