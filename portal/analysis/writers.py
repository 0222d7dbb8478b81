"""The files for analysts' packages, each written by a well-kept library, never by hand.

- Excel (XlsxWriter, which streams rows to disk; openpyxl reads the workbook back in the tests): one workbook,
  one sheet per table and a codebook sheet. A coded answer is written twice: its code (the same number as
  in the .sav and .dta files) and, in the column beside it ending in ``_etiqueta``, its Spanish label.
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
    """One sheet per table, then the codebook; rows streamed to disk as they are written (constant memory).

    Text is always text: an answer beginning with = is never made a formula, nor one looking like an address a
    link."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "default_date_format": "yyyy-mm-dd",
                                        "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "tmpdir": tempfile.gettempdir()})
    bold = book.add_format({"bold": True})
    for table in dataset.tables:
        sheet = book.add_worksheet(table.name[:31])
        header = []
        for v in table.variables:
            header.append(v.name)
            if v.kind == CODE and not v.flag:
                header.append(label_suffix(v))
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        converters = [_xlsx_cells(v) for v in table.variables]
        for number, row in enumerate(table.rows, start=1):
            out = []
            for convert, value in zip(converters, row):
                out.extend(convert(value))
            sheet.write_row(number, 0, out)
    sheet = book.add_worksheet("libro_de_codigos")
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(codebook_rows):
        sheet.write_row(number, 0, row, bold if number == 0 else None)
    book.close()
    return buffer.getvalue()


def _xlsx_cells(variable: Variable) -> Callable:
    """A coded answer as its code (the number of the .sav and .dta files) and, beside it, its Spanish label."""
    if variable.kind == CODE and not variable.flag:
        labels = variable.values or {}
        return lambda value: [None, None] if value is None else [value, labels.get(value)]
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
