"""Bounds no real site reaches and no upload may pass, each refused with a Spanish message that names it.

A busy site registers about 200 men a year and marks about 4,800 attendances: ten years of it are
48,000 rows in its largest file and a site file of about 5 MB. The bounds leave room for decades of
that, and stop a small ZIP file of a million plausible rows before it is checked (its rows are
counted as the file is read, before any row is kept) and before any write. The size of a site file
is bounded in ``storage.MAX_STORE_BYTES``.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from . import clock
from .numbers import count

MAX_ROWS_PER_FILE = 60_000  # rows of one CSV file of an import
MAX_ROWS_PER_IMPORT = 100_000  # rows of all the files of one import together
MAX_MEN_PER_SITE = 10_000  # men registered at one site, ever (withdrawn ones included)
FIRST_YEAR = 2007  # the General Law on Women's Access to a Life Free of Violence, which created the program


def too_many_rows_in_file() -> str:
    return _("The file has more than %(n)s rows, more than one file of an import takes (no site has that many). "
             "Nothing was imported. Check that it is the right file, or split it.", n=count(MAX_ROWS_PER_FILE))


def too_many_rows() -> str:
    return _("Together, the files have more than %(n)s rows, more than one import takes. Nothing was imported: "
             "import them in parts, a few files at a time.", n=count(MAX_ROWS_PER_IMPORT))


def before_the_program(day) -> str:
    return _("The date %(day)s is before %(year)s, when the law that created the program came into force: no "
             "record of the program can be that old. Check the year.", day=day.strftime("%d/%m/%Y"), year=FIRST_YEAR)


def day_problem(day: date) -> str | None:
    """Why ``day`` cannot date something the program recorded (a session, a call, a questionnaire): it is after
    today on the site's calendar, or before the program existed. None when it can."""
    if day > clock.today():
        return _("The date cannot be in the future.")
    if day.year < FIRST_YEAR:
        return before_the_program(day)
    return None


def too_many_men(at_site: int, new: int) -> str:
    return _("A site holds at most %(n)s men. This site has %(at_site)s and these files would add %(new)s. "
             "Nothing was imported: check that they are the files of this site.", n=count(MAX_MEN_PER_SITE),
             at_site=count(at_site), new=count(new))


def no_room_for_a_man(at_site: int) -> str | None:
    """Why one more man cannot be registered at a site with ``at_site`` men (None if he can)."""
    if at_site < MAX_MEN_PER_SITE:
        return None
    return _("A site holds at most %(n)s men, and this one has %(at_site)s already: no more can be registered "
             "here. Ask an administrator.", n=count(MAX_MEN_PER_SITE), at_site=count(at_site))
