"""A site's data as CSV files: the full export (backup, another portal) and the de-identified copy.

Files are UTF-8 with a byte order mark and CRLF line ends, so Excel opens them with accents
intact; multiple choices are space separated, as ODK and KoboToolbox do. Rows are sorted, so
an export imported into an empty instance exports to the same bytes.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Mapping

from flask_babel import gettext as _

from .. import clock
from ..questionnaires import QUESTIONNAIRE_IDS, Question, Questionnaire
from ..storage import Snapshot, write_atomically
from .layout import DEIDENTIFIED_MARKER, FILE_NAMES, TABLES, columns, escape_formula, exported_questions
from .manifest import MANIFEST, make_manifest
from .problems import TransferError


@dataclass
class Export:
    site: str
    deidentified: bool
    files: dict[str, bytes]  # file name -> content
    rows: dict[str, int]  # table -> rows written
    left_out: int = 0  # stored answers to questions no longer in the definitions (not exported)


def export_site(site_code: str, snapshot: Snapshot, questionnaires: Mapping[str, Questionnaire],
                deidentified: bool = False, progress: Callable[[int], None] | None = None,
                pseudonyms: "Pseudonyms | None" = None) -> Export:
    """Every table of the site as CSV files; de-identified for analysts if asked (with ``pseudonyms``, the new
    codes of the analysts' files written beside them)."""
    code = (pseudonyms or Pseudonyms()) if deidentified else (lambda real: real)
    day = (lambda iso: iso[:7]) if deidentified else (lambda iso: iso)
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}

    tables["participants"] = (columns("participants", questionnaires), sorted(
        [code(p["code"]), p["group_code"], day(p["enrolled_on"])] for p in snapshot.all("participants")))
    sessions = sorted(snapshot.all("sessions"), key=lambda s: natural(s["session_id"]))
    tables["sessions"] = (columns("sessions", questionnaires), [
        [s["session_id"], s["group_code"], str(s["number"]), day(s["date"]), s["venue"]] for s in sessions])
    tables["attendance"] = (columns("attendance", questionnaires), [
        [s["session_id"], man] for s in sessions for man in sorted(code(p) for p in s["present"])])

    for qid in QUESTIONNAIRE_IDS:
        questionnaire = questionnaires[qid]
        wanted = exported_questions(questionnaire, deidentified)
        rows = []
        for r in snapshot.find("responses", questionnaire=qid):
            rows.append([code(r["participant_code"]), day(r["submitted_on"])]
                        + [_cell(q, r["answers"].get(q.name), deidentified) for q in wanted])
        tables[qid] = (columns(qid, questionnaires, deidentified), sorted(rows))

    files, counts = {}, {}
    for table in TABLES:
        header, rows = tables[table]
        files[f"{table}.csv"] = _csv_bytes(header, rows)
        counts[table] = len(rows)
        if progress:
            progress(1)
    if deidentified:
        files[DEIDENTIFIED_MARKER] = (_(
            "De-identified export of site %(site)s, made on %(day)s. The participant codes are new random "
            "ones, valid only within this export; dates are reduced to the month and free-text answers are "
            "left out. It is for analysis and cannot be imported into the portal.",
            site=site_code, day=clock.today().strftime("%d/%m/%Y")) + "\r\n").encode("utf-8-sig")
    files[MANIFEST] = make_manifest(site_code, snapshot, files, deidentified).to_json()
    return Export(site_code, deidentified, files, counts, left_out_answers(snapshot, questionnaires))


def left_out_answers(snapshot: Snapshot, questionnaires: Mapping[str, Questionnaire]) -> int:
    """How many stored answers are to questions no longer in the questionnaires (an export has no column
    for them)."""
    count = 0
    for qid in QUESTIONNAIRE_IDS:
        names = {q.name for q in questionnaires[qid].questions}
        count += sum(len(set(r["answers"]) - names) for r in snapshot.find("responses", questionnaire=qid))
    return count


class Pseudonyms:
    """New random participant codes, the same for one man across the files of one export.

    Random (not a hash of the real code), so they cannot be worked back to the real codes.
    """

    def __init__(self):
        self._codes: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, real: str) -> str:
        if real not in self._codes:
            new = "P-" + secrets.token_hex(4).upper()
            while new in self._used:
                new = "P-" + secrets.token_hex(4).upper()
            self._used.add(new)
            self._codes[real] = new
        return self._codes[real]


def _cell(question: Question, value, deidentified: bool) -> str:
    if value is None or value == "" or value == []:
        return ""
    if question.type == "select_multiple":
        return " ".join(value) if isinstance(value, list) else str(value)
    if question.type == "text":
        return escape_formula(str(value))
    if question.type == "decimal":
        return format(Decimal(repr(float(value))), "f")  # never "1e-05", which the import would refuse
    if question.type == "date" and deidentified:
        return str(value)[:7]
    return str(value)


def natural(text: str) -> list:
    """S2 before S10."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)]


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_export(folder: Path | str, export: Export) -> list[Path]:
    """Write the files in ``folder``; refuse to mix a full and a de-identified export."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise TransferError(_("%(folder)s is a file, not a folder.", folder=folder))
    marker = folder / DEIDENTIFIED_MARKER
    if export.deidentified and any((folder / name).exists() for name in FILE_NAMES) and not marker.exists():
        raise TransferError(_("The folder %(folder)s holds an export with the real codes: write the de-identified "
                              "copy to another folder.", folder=folder))
    if not export.deidentified and marker.exists():
        raise TransferError(_("The folder %(folder)s holds a de-identified export: write the full export to "
                              "another folder.", folder=folder))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in export.files.items():
        write_atomically(folder / name, content)
        written.append(folder / name)
    return written


def zip_export(export: Export) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in export.files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
