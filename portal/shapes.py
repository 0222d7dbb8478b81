"""The shape every record of a site's file and of the registry must have.

A file edited by hand can be valid JSON and still hold a man without a group, a session
whose date is null or answers stored as text. Such a file is treated like one that does not
parse: ``check_site_file`` and ``check_registry_file`` raise ``ShapeError`` naming the table,
the record and the field, and the storage refuses to use the file (never a server error
deep inside a page, never a write on top of it).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable


class ShapeError(ValueError):
    def __init__(self, table: str, record: str, field: str | None, detail: str):
        self.table, self.record, self.field, self.detail = table, record, field, detail
        self.where = f"{table} {record}" + (f", {field}" if field else "")  # the names in the file itself
        super().__init__(f"{self.where}: {detail}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _day(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


MAX_WHOLE = 10 ** 12  # no count, number or revision of the portal comes near it
MAX_DEPTH = 12  # how deep a record's values may nest (the history's entries go about five levels down)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_WHOLE < value < MAX_WHOLE


_PLAIN = (str, bool, type(None))


def _scalar(value: Any) -> bool:
    """One answer's value: text, a number within bounds, yes/no, or nothing."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    return (kind is int or kind is float) and -MAX_WHOLE < value < MAX_WHOLE  # never NaN


def _answers(value: Any) -> bool:
    """Answers keyed by question: each a value, or a list of values (several choices)."""
    if type(value) is not dict:
        return False
    for v in value.values():
        if type(v) in _PLAIN:
            continue
        if type(v) is list:
            if not all(type(x) in _PLAIN or _scalar(x) for x in v):
                return False
        elif not _scalar(v):
            return False
    return True


def _moment(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _stamp(value: Any) -> bool:
    """A withdrawal: when (and who, why), or null once restored."""
    return value is None or (isinstance(value, dict) and _moment(value.get("at")))


def _depth(value: Any, limit: int) -> bool:
    """Whether ``value`` nests no deeper than ``limit`` levels."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return True
    if limit <= 0:
        return False
    return all(_depth(v, limit - 1) for v in value if isinstance(v, (dict, list)))


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _optional_dict(value: Any) -> bool:
    return value is None or isinstance(value, dict)


TEXT, DAY, INT, TEXTS, DICT, OPTIONAL_DICT = _text, _day, _int, _texts, (lambda v: isinstance(v, dict)), _optional_dict
ANSWERS, STAMP = _answers, _stamp
WHAT = {TEXT: "a text", DAY: "a date YYYY-MM-DD", INT: "a whole number", TEXTS: "a list of texts",
        DICT: "an object", OPTIONAL_DICT: "an object or null", ANSWERS: "answers (a value or a list per question)",
        STAMP: "null or an object with the time (at)"}

SITE_FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "participants": {"code": TEXT, "group_code": TEXT, "enrolled_on": DAY, "status": TEXT},
    "groups": {"code": TEXT},
    "sessions": {"session_id": TEXT, "group_code": TEXT, "number": INT, "date": DAY, "venue": TEXT, "present": TEXTS},
    "responses": {"participant_code": TEXT, "questionnaire": TEXT, "submitted_on": DAY, "answers": ANSWERS,
                  "entered_by": TEXT},
    "drafts": {"participant_code": TEXT, "questionnaire": TEXT, "answers": ANSWERS, "reached": INT},
    "erased": {"code": TEXT},
    "followups": {"participant_code": TEXT, "date": DAY, "outcome": TEXT},
    "sheets_printed": {"month": TEXT, "user": TEXT},
    "synced": {"site": TEXT, "portal_id": TEXT, "revision": INT, "exported_at": TEXT},
}
OPTIONAL = {"withdrawn": STAMP}
REGISTRY_FIELDS = {
    "sites": {"code": TEXT, "name": TEXT, "state": TEXT, "sessions": INT},
    "users": {"username": TEXT, "role": TEXT, "password_hash": TEXT},
}


def _check(tables: dict, fields: dict) -> None:
    for table, rows in tables.items():
        for doc_id, doc in rows.items():
            if not re.fullmatch(r"[0-9]{1,12}", doc_id):
                raise ShapeError(table, doc_id, None, "the record's number is not a whole number")
            for name, ok in {**fields.get(table, {}), **OPTIONAL}.items():
                if name in OPTIONAL and name not in doc:
                    continue
                if not ok(doc.get(name)):
                    raise ShapeError(table, doc_id, name, f"should be {WHAT[ok]}, is {_shown(doc.get(name))}")
            checked = fields.get(table, {})
            for name, value in doc.items():
                if name in checked:
                    continue
                if type(value) in (dict, list) and not _depth(value, MAX_DEPTH):
                    raise ShapeError(table, doc_id, name, f"nests deeper than {MAX_DEPTH} levels")
                if type(value) is int and not -MAX_WHOLE < value < MAX_WHOLE:
                    raise ShapeError(table, doc_id, name, "a number too large")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_site_file(tables: dict) -> None:
    _check(tables, SITE_FIELDS)


def check_registry_file(tables: dict) -> None:
    _check(tables, REGISTRY_FIELDS)
    for doc_id, site in tables.get("sites", {}).items():
        if not 1 <= site["sessions"] <= 60:
            raise ShapeError("sites", doc_id, "sessions", "should be between 1 and 60")
