"""The shape every record of a site's file and of the registry must have.

A file edited by hand can be valid JSON and still hold a man without a group, a session
whose date is null or answers stored as text. Such a file is treated like one that does not
parse: ``check_site_file`` and ``check_registry_file`` raise ``ShapeError`` naming the table,
the record and the field, and the storage refuses to use the file (never a server error
deep inside a page, never a write on top of it).
"""
from __future__ import annotations

import re
from datetime import date
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


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _optional_dict(value: Any) -> bool:
    return value is None or isinstance(value, dict)


TEXT, DAY, INT, TEXTS, DICT, OPTIONAL_DICT = _text, _day, _int, _texts, (lambda v: isinstance(v, dict)), _optional_dict
WHAT = {TEXT: "a text", DAY: "a date YYYY-MM-DD", INT: "a whole number", TEXTS: "a list of texts",
        DICT: "an object", OPTIONAL_DICT: "an object or null"}

SITE_FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "participants": {"code": TEXT, "group_code": TEXT, "enrolled_on": DAY, "status": TEXT},
    "groups": {"code": TEXT},
    "sessions": {"session_id": TEXT, "group_code": TEXT, "number": INT, "date": DAY, "venue": TEXT, "present": TEXTS},
    "responses": {"participant_code": TEXT, "questionnaire": TEXT, "submitted_on": DAY, "answers": DICT,
                  "entered_by": TEXT},
    "drafts": {"participant_code": TEXT, "questionnaire": TEXT, "answers": DICT, "reached": INT},
    "erased": {"code": TEXT},
    "followups": {"participant_code": TEXT, "date": DAY, "outcome": TEXT},
    "sheets_printed": {"month": TEXT, "user": TEXT},
    "synced": {"site": TEXT, "portal_id": TEXT, "revision": INT, "exported_at": TEXT},
}
OPTIONAL = {"withdrawn": OPTIONAL_DICT}
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
