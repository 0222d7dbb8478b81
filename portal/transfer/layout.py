"""The files of an export and of an import: their names and columns (PRODUCT.md §8).

    participants.csv      participant_code, group_code, enrolled_on
    sessions.csv          session_id, group_code, number, date, venue
    attendance.csv        session_id, participant_code (one row per man present)
    intake.csv, exit.csv, facilitator_intake.csv, facilitator_exit.csv
                          participant_code, submitted_on, then one column per question

An export writes the columns in this order; an import finds them by name, in any order, and
does without the column of a question that is not required.
"""
from __future__ import annotations

from typing import Mapping

from ..questionnaires import QUESTIONNAIRE_IDS, Question, Questionnaire

TABLE_COLUMNS = {
    "participants": ("participant_code", "group_code", "enrolled_on"),
    "sessions": ("session_id", "group_code", "number", "date", "venue"),
    "attendance": ("session_id", "participant_code"),
}
RESPONSE_COLUMNS = ("participant_code", "submitted_on")
TABLES = tuple(TABLE_COLUMNS) + QUESTIONNAIRE_IDS  # also the order in which an import checks them
FILE_NAMES = tuple(f"{name}.csv" for name in TABLES)
DEIDENTIFIED_MARKER = "DEIDENTIFIED.txt"  # in a de-identified export: such a copy cannot be imported

# A text beginning with one of these would run as a formula in a spreadsheet; the apostrophe,
# too, so that the one added in front of them can always be taken off again on import.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def file_name(table: str) -> str:
    return f"{table}.csv"


def columns(table: str, questionnaires: Mapping[str, Questionnaire], deidentified: bool = False) -> list[str]:
    """The header of one file: fixed for the tables, from the definition for a questionnaire."""
    if table in TABLE_COLUMNS:
        return list(TABLE_COLUMNS[table])
    return list(RESPONSE_COLUMNS) + [q.name for q in exported_questions(questionnaires[table], deidentified)]


def required_columns(table: str, questionnaires: Mapping[str, Questionnaire]) -> list[str]:
    """The columns an import cannot do without: every column of a table; the keys and the required
    questions of a questionnaire."""
    if table in TABLE_COLUMNS:
        return list(TABLE_COLUMNS[table])
    return list(RESPONSE_COLUMNS) + [q.name for q in questionnaires[table].questions if q.required]


def free_text_columns(table: str, questionnaires: Mapping[str, Questionnaire]) -> frozenset[str]:
    """The columns of free-text answers; every other column holds codes, dates, numbers or choices."""
    if table in TABLE_COLUMNS:
        return frozenset()
    return frozenset(q.name for q in questionnaires[table].questions if q.type == "text")


def exported_questions(questionnaire: Questionnaire, deidentified: bool) -> list[Question]:
    return [q for q in questionnaire.questions if not (deidentified and q.type == "text")]


def escape_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_formula(text: str) -> str:
    return text[1:] if text.startswith("'") else text
