"""The files for analysts' packages, each written by a well-kept library, never by hand.

- Excel (openpyxl): one workbook, one sheet per table and a codebook sheet. A coded answer is
  written twice: its name in forms/ (as in the CSV) and, in the column beside it ending in
  ``_etiqueta``, its Spanish label.
- SPSS ``.sav`` and Stata ``.dta`` (pyreadstat, on a pandas table): one file per table, with
  variable labels and value labels; coded answers are numbers, their labels the value labels.

Dates are dates and numbers are numbers in every format. Every file is written through
``storage.write_atomically``.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Callable

from ..storage import write_atomically
from .model import CODE, DATE, NUMBER, TEXT, Dataset, Table, Variable

SAV_LABEL_BYTES = 120  # SPSS's limit for a value label
SAV_VARIABLE_LABEL_BYTES = 255
DTA_VARIABLE_LABEL_CHARS = 80  # Stata's limit for a variable label
WORKBOOK = "datos.xlsx"
KIND_WORDS = {TEXT: "texto", NUMBER: "número", DATE: "fecha", CODE: "código con etiquetas"}


def label_suffix(variable: Variable) -> str:
    return f"{variable.name}_etiqueta"


# --------------------------------------------------------------------------- Excel

def workbook_bytes(dataset: Dataset, codebook_rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in dataset.tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.freeze_panes = "A2"
        header = []
        for v in table.variables:
            header.append(v.name)
            if v.kind == CODE and not v.flag:
                header.append(label_suffix(v))
        sheet.append([_bold(WriteOnlyCell(sheet, value=h), bold) for h in header])
        converters = [_xlsx_cells(v) for v in table.variables]
        for row in table.rows:
            out = []
            for convert, value in zip(converters, row):
                out.extend(convert(value))
            sheet.append(out)
    sheet = book.create_sheet("libro_de_codigos")
    sheet.freeze_panes = "A2"
    for i, row in enumerate(codebook_rows):
        sheet.append([_bold(WriteOnlyCell(sheet, value=c), bold) for c in row] if i == 0 else row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bold(cell, font):
    cell.font = font
    return cell


def _xlsx_cells(variable: Variable) -> Callable:
    if variable.kind == CODE and not variable.flag:
        names, labels = variable.names or {}, variable.values or {}
        return lambda value: [None, None] if value is None else [names.get(value, value), labels.get(value)]
    return lambda value: [value]


# --------------------------------------------------------------------------- SPSS and Stata

def frame(table: Table):
    """The table as a pandas DataFrame: numbers and codes as floats (missing: NaN), dates as dates, text as text."""
    import pandas as pd

    data = {}
    for i, v in enumerate(table.variables):
        column = [row[i] for row in table.rows]
        if v.kind in (NUMBER, CODE):
            data[v.name] = pd.Series(column, dtype="float64")
        elif v.kind == DATE:
            data[v.name] = pd.Series(column, dtype="object")
        else:
            data[v.name] = pd.Series(["" if c is None else c for c in column], dtype="object")
    return pd.DataFrame(data, columns=[v.name for v in table.variables])


def _cut_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit - 3].decode("utf-8", "ignore") + "..."


def _cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def sav_bytes(table: Table) -> bytes:
    import pyreadstat

    return _through_file(lambda path: pyreadstat.write_sav(
        frame(table), path, file_label=table.label[:64],
        column_labels={v.name: _cut_bytes(v.label, SAV_VARIABLE_LABEL_BYTES) for v in table.variables},
        variable_value_labels={v.name: {k: _cut_bytes(text, SAV_LABEL_BYTES) for k, text in v.values.items()}
                               for v in table.variables if v.values},
        variable_measure={v.name: "nominal" if v.kind in (CODE, TEXT) else "scale" for v in table.variables}),
        ".sav")


def dta_bytes(table: Table) -> bytes:
    import pyreadstat

    return _through_file(lambda path: pyreadstat.write_dta(
        frame(table), path, file_label=table.label[:80],
        column_labels={v.name: _cut_chars(v.label, DTA_VARIABLE_LABEL_CHARS) for v in table.variables},
        variable_value_labels={v.name: dict(v.values) for v in table.variables if v.values}), ".dta")


def _through_file(write: Callable[[str], None], suffix: str) -> bytes:
    """pyreadstat writes to a path: a private temporary file, read back and removed."""
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    try:
        write(path)
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def write_files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    written = []
    for name, content in files.items():
        write_atomically(folder / name, content)
        written.append(folder / name)
    return written
