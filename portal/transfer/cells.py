"""Reading the values of one row, each with the rule of its column, as the web forms read them."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from .. import bounds
from ..participants import GROUP_CODE_RE, GROUP_CODE_RULE
from ..questionnaires import MESSAGES, parse_date
from .problems import Problem
from .reading import Row

EMPTY = _l("This column cannot be empty.")


class Cells:
    """The cells of one row of ``file``; what is wrong with them is gathered in ``problems``."""

    __slots__ = ("file", "row", "today", "problems")

    def __init__(self, file: str, row: Row, today: date | None = None):
        self.file = file
        self.row = row
        self.today = today
        self.problems: list[Problem] = []

    def problem(self, column: str | None, message) -> None:
        self.problems.append(Problem(self.file, self.row.line, column, message, self.row.sheet_row))

    def required(self, column: str) -> str | None:
        value = self.row.cell(column).strip()
        if not value:
            self.problem(column, EMPTY)
            return None
        return value if value.isascii() or self.digits(column, value) else None

    def digits(self, column: str, value: str) -> bool:
        """False, and a problem, if a code, date, number or choice has digits other than 0 to 9."""
        if not value.isascii() and other_digits(value):
            self.problem(column, _l("Write this value with the digits 0 to 9: «%(value)s» has other digits (such "
                                    "as Arabic-Indic or full-width ones).", value=value))
            return False
        return True

    def day(self, column: str, future_message) -> date | None:
        text = self.required(column)
        if text is None:
            return None
        value = _day(text)
        if value is None:
            self.problem(column, MESSAGES["date"])
            return None
        if self.today is not None and value > self.today:
            self.problem(column, future_message)
            return None
        if value.year < bounds.FIRST_YEAR:
            self.problem(column, bounds.before_the_program(value))
            return None
        return value

    def group(self) -> str | None:
        """A group code as the web forms take it (capitals), by ``participants.GROUP_CODE_RE``."""
        text = self.required("group_code")
        if text is None:
            return None
        code = _group(text)
        if code is None:
            self.problem("group_code", GROUP_CODE_RULE)
        return code

    def number(self, column: str, highest: int, message) -> int | None:
        """A whole number from 1 to ``highest``."""
        text = self.required(column)
        if text is None:
            return None
        if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= highest:
            self.problem(column, message)
            return None
        return int(text)

    def conflicts(self, what, stored: dict, given: dict) -> bool:
        """Name each column whose value differs from the record at the site; True if any does."""
        differ = [column for column in given if given[column] != stored[column]]
        for column in differ:
            self.problem(column, _l(
                "%(what)s is already at the site with %(stored)s in this column, not %(given)s. An import never "
                "changes what the site has: correct it in the portal, or correct the file.", what=what,
                stored=shown(stored[column]), given=shown(given[column])))
        return bool(differ)


# Files repeat the same few dates and groups on many rows: each distinct text is read once.
@lru_cache(maxsize=4096)
def _day(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _group(text: str) -> str | None:
    code = text.upper()
    return code if GROUP_CODE_RE.fullmatch(code) else None


def other_digits(text: str) -> bool:
    """Digits other than 0 to 9, which Python's ``int()``, ``\\d`` and ``strptime`` would take."""
    return any(ch.isdigit() and not "0" <= ch <= "9" for ch in text)


def shown(value):
    if value is None or value == "" or value == []:
        return _l("an empty value")
    if isinstance(value, list):
        return "«" + " ".join(value) + "»"
    return f"«{value}»"
