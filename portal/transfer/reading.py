"""Reading the CSV files of an import: their encoding, their header and their rows.

``read_batch`` reads each file once to know it can be read (UTF-8, a header, quotation marks
closed, rows as long as the header) and lists what is wrong with it. The rows themselves are
read again, one at a time, each time the checks go through them: a large file is never held
as a list of rows.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import bounds
from ..questionnaires import Questionnaire
from .layout import DEIDENTIFIED_MARKER, FILE_NAMES, TABLES, columns, file_name, required_columns
from .problems import Problem, ProblemList

BLANK_RE = re.compile(r"\ufeff?\s*")


# Where a row is: (the text line where it starts, the row a spreadsheet shows it on where that differs, else
# None: an earlier answer holds a line break, which a spreadsheet keeps inside one cell). A plain tuple, which the
# garbage collector stops following, as a file may have a million rows.
Place = tuple[int, int | None]


class Row:
    """One row of a file: its values, found by the name of their column."""

    __slots__ = ("line", "sheet_row", "_values", "_positions")

    def __init__(self, line: int, values: list[str], positions: Mapping[str, int], sheet_row: int | None = None):
        self.line = line  # text line where the row starts
        self.sheet_row = sheet_row  # the row a spreadsheet shows it on, where that differs from ``line``
        self._values = values
        self._positions = positions  # column -> its place in the header

    @property
    def place(self) -> Place:
        return self.line, self.sheet_row

    def cell(self, column: str) -> str:
        """The value in ``column``; empty where the file has no such column."""
        i = self._positions.get(column)
        return "" if i is None else self._values[i]


@dataclass(frozen=True)
class TableFile:
    """One file that can be read: its bytes and where each column is."""

    table: str
    raw: bytes
    positions: dict[str, int]  # column -> its place in the header
    width: int  # how many columns the header has
    rows: int  # how many rows have the header's length (for a progress bar: a row of empty cells is left out later)

    def __iter__(self) -> Iterator[Row]:
        """Its rows, read from the bytes again (blank lines and rows of the wrong length left out).

        As ``_records`` (checked there already), written out: it is the loop of every row of every import.
        """
        width, positions = self.width, self.positions
        reader = _reader(self.raw)
        next(reader)  # the header
        start, record = reader.line_num + 1, 1
        for values in reader:
            line, start, record = start, reader.line_num + 1, record + 1
            if len(values) == width and any(map(str.strip, values)):
                yield Row(line, values, positions, None if record == line else record)


@dataclass
class Batch:
    """The files read and found readable, before anything is checked against the site."""

    files: dict[str, TableFile]  # table -> its file (absent: no file, or one that cannot be read)
    problems: ProblemList
    unreadable: set[str] = field(default_factory=set)  # tables whose file could not be read at all

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files.values())

    def rows_of(self, table: str) -> Iterator[Row]:
        return iter(self.files.get(table, ()))


def read_batch(files: Mapping[str, bytes], questionnaires: Mapping[str, Questionnaire]) -> Batch:
    batch = Batch({}, ProblemList())
    if DEIDENTIFIED_MARKER in files:
        batch.problems.add(Problem(DEIDENTIFIED_MARKER, None, None, _(
            "These files are a de-identified export: their codes and dates were changed on purpose, so they "
            "cannot be imported. Import the full export instead.")))
        batch.unreadable.update(TABLES)
        return batch
    for name in sorted(files):
        if name.lower().endswith(".csv") and name not in FILE_NAMES:
            batch.problems.add(Problem(name, None, None, _(
                "Unknown file. The files that can be imported are: %(names)s.", names=", ".join(FILE_NAMES))))
    if not batch.problems and not any(name in files for name in FILE_NAMES):
        batch.problems.add(Problem(_("the files given"), None, None, _(
            "There is nothing to import: none of %(names)s was found.", names=", ".join(FILE_NAMES))))
    for table in TABLES:
        if file_name(table) not in files:
            continue  # a file with no rows may be absent
        read = _read_table(table, files[file_name(table)], columns(table, questionnaires),
                           required_columns(table, questionnaires), batch.problems)
        if read is None:
            batch.unreadable.add(table)
        elif read.rows:
            batch.files[table] = read
    if batch.rows > bounds.MAX_ROWS_PER_IMPORT:  # none of them is checked
        batch.problems.add(Problem(_("the files given"), None, None, bounds.too_many_rows()))
        batch.files.clear()
        batch.unreadable.update(TABLES)
    return batch


def _read_table(table: str, raw: bytes, known: list[str], required: list[str],
                problems: ProblemList) -> TableFile | None:
    """The file of ``table`` if it can be read as a whole (its wrong rows listed), else None."""
    name = file_name(table)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(Problem(name, raw[:exc.start].count(b"\n") + 1, None, _(
            "The file is not UTF-8 text (the problem starts in this line). In Excel, save it as "
            "«CSV UTF-8 (delimitado por comas)».")))
        return None
    blank = BLANK_RE.fullmatch(text)
    del text
    if blank:
        return TableFile(table, raw, {}, 0, 0)  # an empty file: no rows, as if it were absent
    records = _records(raw)
    try:
        _line, _row, header = next(records)
        header = [_column_name(cell) for cell in header]
        wrong = _header_problem(header, known, required)
        if wrong:
            problems.add(Problem(name, 1, None, wrong))
            return None
        count, width = 0, len(header)
        for line, sheet_row, values in records:
            if len(values) == width:
                count += 1
                if count > bounds.MAX_ROWS_PER_FILE:  # counted as it is read: nothing of it is kept
                    problems.add(Problem(name, None, None, bounds.too_many_rows_in_file()))
                    return None
            elif _has_values(values):  # else a blank line, or an empty row a spreadsheet leaves at the end
                problems.add(Problem(name, line, None, _l(
                    "This line has %(found)s values and the header has %(expected)s: check the commas and the "
                    "quotation marks.", found=len(values), expected=width), None if sheet_row == line else sheet_row))
    except _BadQuoting as exc:
        problems.add(Problem(name, exc.line, None, _("This line cannot be read as CSV: check the quotation marks.")))
        return None
    return TableFile(table, raw, {column: i for i, column in enumerate(header)}, len(header), count)


def _has_values(values: list[str]) -> bool:
    return any(map(str.strip, values))


def _records(raw: bytes) -> Iterator[tuple[int, int, list[str]]]:
    """(text line where it starts, spreadsheet row, values) of every record, the header included."""
    reader = _reader(raw)
    start, record = 1, 0
    try:
        for values in reader:
            line, start, record = start, reader.line_num + 1, record + 1
            yield line, record, values
    except csv.Error:
        raise _BadQuoting(start) from None


def _reader(raw: bytes):
    """A CSV reader over the bytes, decoded as they are read. Strict: a quotation mark left open is an error,
    not the rest of the file read as one answer."""
    return csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""), strict=True)


class _BadQuoting(Exception):
    """The record starting on ``line`` cannot be read as CSV."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def _column_name(cell: str) -> str:
    """A header cell as it names a column: spaces around it and byte order marks in front do not count."""
    return cell.strip().lstrip("\ufeff").strip()


def _header_problem(header: list[str], known: list[str], required: list[str]) -> str | None:
    """What is wrong with a header (None if nothing): columns are found by name, in any order; the column
    of a question that is not required may be missing."""
    if len(header) == 1 and ";" in header[0]:
        return _("The values seem to be separated by semicolons: save the file as «CSV UTF-8 (delimitado por "
                 "comas)».")
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in known]
    repeated = sorted(c for c, n in Counter(header).items() if n > 1)
    parts = []
    if missing:
        parts.append(_("Missing columns: %(names)s.", names=_names(missing)))
    if unknown:
        parts.append(_("Unknown columns: %(names)s.", names=_names(unknown)))
    if repeated:
        parts.append(_("Repeated columns: %(names)s.", names=_names(repeated)))
    return " ".join(parts) or None


def _names(names: list[str], shown: int = 20) -> str:
    listed = ", ".join(name or '""' for name in names[:shown])
    return listed + (", …" if len(names) > shown else "")
