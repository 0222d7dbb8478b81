"""CSV export and import of a site: the backup, moving a site's data between portals,
and bringing in paper-era spreadsheets.

The layout is an interface that scripts outside the project rely on (PRODUCT.md §8):

    participants.csv      participant_code, group_code, enrolled_on
    sessions.csv          session_id, group_code, number, date, venue
    attendance.csv        session_id, participant_code (one row per man present)
    intake.csv, exit.csv, facilitator_intake.csv, facilitator_exit.csv
                          participant_code, submitted_on, then one column per question

Files are UTF-8 with a byte order mark and CRLF line ends, so Excel opens them with
accents intact; multiple choices are space separated, as ODK and KoboToolbox do. Rows
are sorted, so an export imported into an empty instance exports to the same bytes.

An import first reads and checks every row against the site and collects every
problem (file, line, column, message), the date rules of the web forms (consistency.py)
included. Only when there is none does it add what is new, in one atomic write. It
never changes or removes what the site already has: a row equal to a stored record is
skipped (importing twice changes nothing), a row that differs from one is a problem to
explain, never a guess. A man withdrawn or erased at the site is never imported again.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable, Mapping

from flask_babel import gettext as _

from . import consistency
from .attendance import VENUES
from .corrections import ERASED
from .participants import ProgramError, ensure_group, normalise_group
from .questionnaires import MESSAGES, QUESTIONNAIRE_IDS, Question, Questionnaire, parse_date
from .registry import Site
from .responses import insert_response
from .storage import WITHDRAWN, SiteStore, Snapshot, Transaction, write_atomically

TABLE_COLUMNS = {
    "participants": ("participant_code", "group_code", "enrolled_on"),
    "sessions": ("session_id", "group_code", "number", "date", "venue"),
    "attendance": ("session_id", "participant_code"),
}
RESPONSE_COLUMNS = ("participant_code", "submitted_on")
TABLES = tuple(TABLE_COLUMNS) + QUESTIONNAIRE_IDS  # also the order in which an import checks them
FILE_NAMES = tuple(f"{name}.csv" for name in TABLES)
DEIDENTIFIED_MARKER = "DEIDENTIFIED.txt"  # in a de-identified export: such a copy cannot be imported

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# A text beginning with one of these would run as a formula in a spreadsheet; the apostrophe,
# too, so that the one added in front of them can always be taken off again on import.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
MAX_ZIP_BYTES = 100 * 1024 * 1024  # uncompressed, to refuse a zip bomb
IMPORT_ENTERED_BY = "paper"  # the layout has no column for who typed a questionnaire in


class TransferError(Exception):
    """A request that cannot be carried out; the message is for a person."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the files.

    ``line`` counts text lines from 1, the header being line 1, as a text editor shows them.
    ``sheet_row`` is set when the row a spreadsheet shows differs (an earlier answer holds a
    line break, which a spreadsheet keeps inside one cell).
    """

    file: str
    line: int | None
    field: str | None
    message: str
    sheet_row: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return _("%(file)s: %(message)s", file=self.file, message=self.message)
        line = self.line if self.sheet_row is None else \
            _("%(line)s (row %(row)s in a spreadsheet)", line=self.line, row=self.sheet_row)
        if self.field is None:
            return _("%(file)s, line %(line)s: %(message)s", file=self.file, line=line, message=self.message)
        return _("%(file)s, line %(line)s, column %(field)s: %(message)s", file=self.file, line=line,
                 field=self.field, message=self.message)


class ImportRefused(Exception):
    """The import was refused; nothing was imported. ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def columns(table: str, questionnaires: Mapping[str, Questionnaire], deidentified: bool = False) -> list[str]:
    """The header of one file: fixed for the tables, from the definition for a questionnaire."""
    if table in TABLE_COLUMNS:
        return list(TABLE_COLUMNS[table])
    return list(RESPONSE_COLUMNS) + [q.name for q in _exported_questions(questionnaires[table], deidentified)]


def _exported_questions(questionnaire: Questionnaire, deidentified: bool) -> list[Question]:
    return [q for q in questionnaire.questions if not (deidentified and q.type == "text")]


def escape_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_formula(text: str) -> str:
    return text[1:] if text.startswith("'") else text


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

@dataclass
class Export:
    site: str
    deidentified: bool
    files: dict[str, bytes]  # file name -> content
    rows: dict[str, int]  # table -> rows written
    left_out: int = 0  # stored answers to questions no longer in the definitions (not exported)


def export_site(site_code: str, snapshot: Snapshot, questionnaires: Mapping[str, Questionnaire],
                deidentified: bool = False, progress: Callable[[int], None] | None = None) -> Export:
    """Every table of the site as CSV files; de-identified for analysts if asked."""
    code = _Pseudonyms() if deidentified else (lambda real: real)
    day = (lambda iso: iso[:7]) if deidentified else (lambda iso: iso)
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}

    tables["participants"] = (columns("participants", questionnaires), sorted(
        [code(p["code"]), p["group_code"], day(p["enrolled_on"])] for p in snapshot.all("participants")))
    sessions = sorted(snapshot.all("sessions"), key=lambda s: _natural(s["session_id"]))
    tables["sessions"] = (columns("sessions", questionnaires), [
        [s["session_id"], s["group_code"], str(s["number"]), day(s["date"]), s["venue"]] for s in sessions])
    tables["attendance"] = (columns("attendance", questionnaires), [
        [s["session_id"], man] for s in sessions for man in sorted(code(p) for p in s["present"])])

    for qid in QUESTIONNAIRE_IDS:
        questionnaire = questionnaires[qid]
        wanted = _exported_questions(questionnaire, deidentified)
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
            site=site_code, day=date.today().strftime("%d/%m/%Y")) + "\r\n").encode("utf-8-sig")
    return Export(site_code, deidentified, files, counts, left_out_answers(snapshot, questionnaires))


def left_out_answers(snapshot: Snapshot, questionnaires: Mapping[str, Questionnaire]) -> int:
    """How many stored answers are to questions no longer in the questionnaires (an export has no column
    for them)."""
    count = 0
    for qid in QUESTIONNAIRE_IDS:
        names = {q.name for q in questionnaires[qid].questions}
        count += sum(len(set(r["answers"]) - names) for r in snapshot.find("responses", questionnaire=qid))
    return count


class _Pseudonyms:
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


def _natural(text: str) -> list:
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


# --------------------------------------------------------------------------
# Import: gathering the files
# --------------------------------------------------------------------------

def files_from(uploads: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """File name -> content, from uploaded CSV files and ZIP files (their folders are ignored)."""
    files: dict[str, bytes] = {}
    problems = []
    for name, content in uploads:
        name = _basename(name)
        if name.lower().endswith(".zip"):
            try:
                entries = _zip_entries(name, content)
            except TransferError as exc:
                problems.append(Problem(name, None, None, str(exc)))
                continue
        else:
            entries = [(name, content)]
        for entry, data in entries:
            if entry in files:
                problems.append(Problem(entry, None, None, _("The file was given twice.")))
            files[entry] = data
    if problems:
        raise ImportRefused(problems)
    return files


def files_in(path: Path | str) -> dict[str, bytes]:
    """The files of an export folder, or of a ZIP file downloaded from the portal."""
    path = Path(path)
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    if path.is_file() and path.suffix.lower() == ".zip":
        return files_from([(path.name, path.read_bytes())])
    raise TransferError(_("%(path)s is neither a folder nor a ZIP file.", path=path))


def _basename(name: str) -> str:
    return re.split(r"[\\/]", name or "")[-1]


def _zip_entries(name: str, content: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise TransferError(_("The ZIP file is too large once uncompressed."))
        out = []
        for member in members:
            base = _basename(member.filename)
            if "__MACOSX" in member.filename or base.startswith("."):
                continue  # what some systems add to a zip by themselves
            out.append((base, archive.read(member)))
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError):
        raise TransferError(_("It is not a ZIP file that can be opened.")) from None


# --------------------------------------------------------------------------
# Import: reading the files
# --------------------------------------------------------------------------

@dataclass
class Row:
    line: int  # text line where the row starts
    values: dict[str, str]
    sheet_row: int = 0  # the row a spreadsheet shows it on (records, header included)


@dataclass
class Batch:
    """The files read and split into rows, before anything is checked against the site."""

    tables: dict[str, list[Row]]
    problems: list[Problem]
    unreadable: set[str] = field(default_factory=set)  # tables whose file could not be read at all

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def with_sheet_rows(self, problems: list[Problem]) -> list[Problem]:
        """The problems, each also naming its spreadsheet row where that differs from its text line."""
        rows = {(f"{table}.csv", row.line): row.sheet_row for table, rows in self.tables.items()
                for row in rows if row.sheet_row != row.line}
        return [replace(p, sheet_row=rows[(p.file, p.line)]) if p.sheet_row is None and (p.file, p.line) in rows
                else p for p in problems]


def read_batch(files: Mapping[str, bytes], questionnaires: Mapping[str, Questionnaire]) -> Batch:
    batch = Batch({table: [] for table in TABLES}, [])
    if DEIDENTIFIED_MARKER in files:
        batch.problems.append(Problem(DEIDENTIFIED_MARKER, None, None, _(
            "These files are a de-identified export: their codes and dates were changed on purpose, so they "
            "cannot be imported. Import the full export instead.")))
        batch.unreadable.update(TABLES)
        return batch
    for name in sorted(files):
        if name.lower().endswith(".csv") and name not in FILE_NAMES:
            batch.problems.append(Problem(name, None, None, _(
                "Unknown file. The files that can be imported are: %(names)s.", names=", ".join(FILE_NAMES))))
    if not batch.problems and not any(name in files for name in FILE_NAMES):
        batch.problems.append(Problem(_("the files given"), None, None, _(
            "There is nothing to import: none of %(names)s was found.", names=", ".join(FILE_NAMES))))
    for table in TABLES:
        name = f"{table}.csv"
        if name not in files:
            continue  # a file with no rows may be absent
        rows, problems = _read_csv(name, files[name], columns(table, questionnaires))
        batch.problems.extend(problems)
        if rows is None:
            batch.unreadable.add(table)
        else:
            batch.tables[table] = rows
    return batch


def _read_csv(name: str, raw: bytes, expected: list[str]) -> tuple[list[Row] | None, list[Problem]]:
    """The rows of one file, or None when the file as a whole cannot be read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [Problem(name, line, None, _(
            "The file is not UTF-8 text (the problem starts in this line). In Excel, save it as "
            "«CSV UTF-8 (delimitado por comas)»."))]
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], []  # an empty file: no rows, as if it were absent
    # strict: a quotation mark left open is an error, not the rest of the file read as one answer
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, problems, start, record = [], [], 1, 1
    try:
        header = [h.strip() for h in next(reader)]
        if header != expected:
            return None, [Problem(name, 1, None, _header_message(header, expected))]
        start = reader.line_num + 1
        for values in reader:
            line, start, record = start, reader.line_num + 1, record + 1
            if not any(v.strip() for v in values):
                continue  # blank lines, or the empty rows a spreadsheet leaves at the end
            if len(values) != len(expected):
                problems.append(Problem(name, line, None, _(
                    "This line has %(found)s values and the header has %(expected)s: check the commas and the "
                    "quotation marks.", found=len(values), expected=len(expected)),
                    None if record == line else record))
                continue
            rows.append(Row(line, dict(zip(expected, values)), record))
    except csv.Error:
        problems.append(Problem(name, start, None, _("This line cannot be read as CSV: check the quotation marks.")))
        return None, problems
    return rows, problems


def _header_message(header: list[str], expected: list[str]) -> str:
    parts = [_("The first line must name the columns, exactly: %(columns)s.", columns=",".join(expected))]
    if len(header) == 1 and ";" in header[0]:
        parts.append(_("The values seem to be separated by semicolons: save the file as «CSV UTF-8 (delimitado "
                       "por comas)»."))
    else:
        missing = [c for c in expected if c not in header]
        unknown = [c for c in header if c not in expected]
        repeated = sorted({c for c in header if header.count(c) > 1})
        if missing:
            parts.append(_("Missing columns: %(names)s.", names=", ".join(missing)))
        if unknown:
            parts.append(_("Unknown columns: %(names)s.", names=", ".join(c or '""' for c in unknown)))
        if repeated:
            parts.append(_("Repeated columns: %(names)s.", names=", ".join(repeated)))
        if not (missing or unknown or repeated):
            parts.append(_("The columns are in a different order."))
    return " ".join(parts)


# --------------------------------------------------------------------------
# Import: checking against the site, then adding what is new
# --------------------------------------------------------------------------

@dataclass
class Summary:
    """What an import added, and what it found already at the site (per table)."""

    site: str
    added: dict[str, int]
    unchanged: dict[str, int]

    @property
    def changed(self) -> bool:
        return any(self.added.values())

    def lines(self) -> list[str]:
        if not self.changed:
            return [_("Nothing new: the site already had all these data. Nothing was changed.")]
        out = [_("Imported into %(site)s: %(participants)s participants, %(sessions)s sessions, %(marks)s "
                 "attendance marks and %(responses)s questionnaires.", site=self.site, **self._counts(self.added))]
        if any(self.unchanged.values()):
            out.append(_("Already at the site and left as they were: %(participants)s participants, %(sessions)s "
                         "sessions, %(marks)s attendance marks and %(responses)s questionnaires.",
                         **self._counts(self.unchanged)))
        return out

    @staticmethod
    def _counts(counts: dict[str, int]) -> dict[str, int]:
        return {"participants": counts["participants"], "sessions": counts["sessions"],
                "marks": counts["attendance"], "responses": sum(counts[q] for q in QUESTIONNAIRE_IDS)}


def import_batch(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire], batch: Batch,
                 user: str, progress: Callable[[int], None] | None = None) -> Summary:
    """Check every row; if all are right, add what is new in one write. Else raise ImportRefused.

    The check runs inside the write, under the store's lock, so nobody can change the site
    between the check and the change. A write that adds nothing leaves the file untouched.
    """
    def change(tx: Transaction) -> Summary:
        check = _Check(tx, site, questionnaires, batch, progress)
        check.run()
        if check.problems:
            order = {f"{table}.csv": i for i, table in enumerate(TABLES)}
            raise ImportRefused(sorted(batch.with_sheet_rows(check.problems),
                                       key=lambda p: (order.get(p.file, -1), p.line or 0)))
        check.apply(user)
        return check.summary

    return store.write(change, user=user)


def import_files(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire],
                 files: Mapping[str, bytes], user: str) -> Summary:
    return import_batch(store, site, questionnaires, read_batch(files, questionnaires), user)


class _Check:
    """Judges every row against the site and the other files, and remembers what is new."""

    def __init__(self, tx: Transaction, site: Site, questionnaires: Mapping[str, Questionnaire], batch: Batch,
                 progress: Callable[[int], None] | None):
        self.tx = tx
        self.site = site
        self.questionnaires = questionnaires
        self.batch = batch
        self.progress = progress
        self.problems: list[Problem] = list(batch.problems)
        self.summary = Summary(site.code, {t: 0 for t in TABLES}, {t: 0 for t in TABLES})
        self.today = date.today()
        # what the site and the files together know
        self.group_of: dict[str, str | None] = {}  # participant code -> group
        self.groups: set[str] = set()
        self.session_group: dict[str, str | None] = {}
        self.stored_sessions: dict[str, dict] = {}
        self.file_sessions: dict[str, Row] = {}
        self.marks: dict[str, dict[str, int]] = {}  # session id -> {participant code: line}
        self.men: dict[str, dict] = {}  # participant code -> his record ("enrolled_on"), at the site or new
        self.withdrawn: set[str] = set()  # codes of men withdrawn at the site
        self.erased: set[str] = set()  # codes erased at the man's request
        # what is new
        self.new_participants: list[tuple[str, str, date]] = []
        self.new_sessions: list[dict] = []
        self.new_responses: list[tuple[Questionnaire, str, dict, date, Row]] = []

    def problem(self, table: str, line: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(f"{table}.csv", line, field, str(message)))

    def tick(self) -> None:
        if self.progress:
            self.progress(1)

    def run(self) -> None:
        self.participants()
        self.sessions()
        self.attendance()
        for qid in QUESTIONNAIRE_IDS:
            self.responses(self.questionnaires[qid])
        self.dates()

    # one value ----------------------------------------------------------------
    def required(self, table: str, row: Row, column: str) -> str | None:
        value = row.values[column].strip()
        if not value:
            self.problem(table, row.line, column, _("This column cannot be empty."))
            return None
        return value

    def day(self, table: str, row: Row, column: str, future_message: str) -> date | None:
        text = self.required(table, row, column)
        if text is None:
            return None
        try:
            value = parse_date(text)
        except ValueError:
            self.problem(table, row.line, column, MESSAGES["date"])
            return None
        if value > self.today:
            self.problem(table, row.line, column, future_message)
            return None
        return value

    def group(self, table: str, row: Row) -> str | None:
        text = self.required(table, row, "group_code")
        if text is None:
            return None
        try:
            return normalise_group(text)
        except ProgramError as exc:
            self.problem(table, row.line, "group_code", str(exc))
            return None

    def conflicts(self, table: str, row: Row, what: str, stored: dict, given: dict) -> bool:
        """Report each column whose value differs from the stored record; True if any does."""
        differ = [column for column in given if given[column] != stored[column]]
        for column in differ:
            self.problem(table, row.line, column, _(
                "%(what)s is already at the site with %(stored)s in this column, not %(given)s. An import never "
                "changes what the site has: correct it in the portal, or correct the file.", what=what,
                stored=_shown(stored[column]), given=_shown(given[column])))
        return bool(differ)

    # the files -----------------------------------------------------------------
    def participants(self) -> None:
        stored = {p["code"]: p for p in self.tx.all("participants")}
        self.men = dict(stored)
        self.withdrawn = {p["code"] for p in self.tx.with_withdrawn().all("participants") if p.get(WITHDRAWN)}
        self.erased = {e["code"] for e in self.tx.all(ERASED)}
        self.group_of = {code: p["group_code"] for code, p in stored.items()}
        self.groups = {g["code"] for g in self.tx.all("groups")} | set(self.group_of.values())
        shape = re.compile(rf"^{re.escape(self.site.code)}-\d{{4}}-\d{{4}}$")
        first_line: dict[str, int] = {}
        for row in self.batch.tables["participants"]:
            self.tick()
            code = self.required("participants", row, "participant_code")
            if code is not None and not shape.fullmatch(code):
                self.problem("participants", row.line, "participant_code", _(
                    "A participant code of this site has the form %(site)s-YEAR-NUMBER with four digits each, for "
                    "example %(site)s-2026-0001.", site=self.site.code))
                self.group_of.setdefault(code, None)  # named: rows about him are not reported as unknown too
                code = None
            elif code in first_line:
                self.problem("participants", row.line, "participant_code", _(
                    "This man is already on line %(line)s of the same file.", line=first_line[code]))
                code = None
            group = self.group("participants", row)
            enrolled = self.day("participants", row, "enrolled_on", _("The enrolment date cannot be in the future."))
            if code is None:
                continue
            first_line[code] = row.line
            if group:
                self.groups.add(group)
            if self.gone(code):
                self.problem("participants", row.line, "participant_code", self.gone(code))
                self.group_of[code] = None  # named: his other rows are not reported too
                continue
            if code in stored:
                if group and enrolled and not self.conflicts(
                        "participants", row, code, {"group_code": stored[code]["group_code"],
                                                    "enrolled_on": stored[code]["enrolled_on"]},
                        {"group_code": group, "enrolled_on": enrolled.isoformat()}):
                    self.summary.unchanged["participants"] += 1
                continue
            self.group_of[code] = group
            if group and enrolled:
                self.new_participants.append((code, group, enrolled))
                self.men[code] = {"code": code, "enrolled_on": enrolled.isoformat()}

    def sessions(self) -> None:
        self.stored_sessions = {s["session_id"]: s for s in self.tx.all("sessions")}
        self.session_group = {sid: s["group_code"] for sid, s in self.stored_sessions.items()}
        slots = {(s["group_code"], s["number"]): _("%(id)s, already at the site", id=sid)
                 for sid, s in self.stored_sessions.items()}
        withdrawn = {s["session_id"] for s in self.tx.with_withdrawn().all("sessions") if s.get(WITHDRAWN)}
        for row in self.batch.tables["sessions"]:
            self.tick()
            sid = self.required("sessions", row, "session_id")
            if sid is not None and not SESSION_ID_RE.fullmatch(sid):
                self.problem("sessions", row.line, "session_id", _(
                    "A session id has 1 to 32 letters without accents, digits, hyphens or underscores, starting "
                    "with a letter or digit (for example S0001)."))
                self.session_group.setdefault(sid, None)  # named: its attendance is not reported as unknown too
                sid = None
            elif sid in self.file_sessions:
                self.problem("sessions", row.line, "session_id", _(
                    "This session is already on line %(line)s of the same file.", line=self.file_sessions[sid].line))
                sid = None
            elif sid in withdrawn:
                self.problem("sessions", row.line, "session_id", _(
                    "The session %(id)s was withdrawn at this site: restore it in the portal first.", id=sid))
                self.session_group.setdefault(sid, None)  # named: its attendance is not reported too
                sid = None
            group = self.group("sessions", row)
            if group and group not in self.groups and "participants" not in self.batch.unreadable:
                self.problem("sessions", row.line, "group_code", _(
                    "The group %(group)s is unknown: no man of this site nor of participants.csv is in it.",
                    group=group))
                group = None
            number = self.session_number(row)
            held_on = self.day("sessions", row, "date", _("The session date cannot be in the future."))
            venue = self.required("sessions", row, "venue")
            if venue is not None and venue not in VENUES:
                self.problem("sessions", row.line, "venue", _("Write one of: %(values)s.", values=", ".join(VENUES)))
                venue = None
            if sid is None:
                continue
            self.file_sessions[sid] = row
            stored = self.stored_sessions.get(sid)
            self.session_group.setdefault(sid, group)
            if None in (group, number, held_on, venue):
                continue
            fields = {"group_code": group, "number": number, "date": held_on.isoformat(), "venue": venue}
            if stored is not None:
                what = _("The session %(id)s", id=sid)
                if not self.conflicts("sessions", row, what, {k: stored[k] for k in fields}, fields):
                    self.summary.unchanged["sessions"] += 1
                continue
            if (group, number) in slots:
                self.problem("sessions", row.line, "number", _(
                    "Group %(group)s already has a session number %(n)s: %(other)s.", group=group, n=number,
                    other=slots[(group, number)]))
                continue
            slots[(group, number)] = _("line %(line)s", line=row.line)
            self.new_sessions.append({"session_id": sid, **fields})

    def session_number(self, row: Row) -> int | None:
        text = self.required("sessions", row, "number")
        if text is None:
            return None
        if not re.fullmatch(r"\d{1,4}", text) or not 1 <= int(text) <= self.site.sessions:
            self.problem("sessions", row.line, "number", _("The session number must be between 1 and %(n)s.",
                                                            n=self.site.sessions))
            return None
        return int(text)

    def attendance(self) -> None:
        for row in self.batch.tables["attendance"]:
            self.tick()
            sid = self.required("attendance", row, "session_id")
            code = self.required("attendance", row, "participant_code")
            if sid is not None and sid not in self.session_group:
                if "sessions" not in self.batch.unreadable:
                    self.problem("attendance", row.line, "session_id", _(
                        "The session %(id)s is unknown: it is neither in sessions.csv nor recorded at this site.",
                        id=sid))
                sid = None
            if code is not None and (code not in self.group_of or self.gone(code)):
                self.unknown_participant("attendance", row, code)
                code = None
            if sid is None or code is None:
                continue
            present = self.marks.setdefault(sid, {})
            if code in present:
                self.problem("attendance", row.line, "participant_code", _(
                    "This mark is already on line %(line)s of the same file.", line=present[code]))
                continue
            present[code] = row.line
            session_group, man_group = self.session_group[sid], self.group_of[code]
            if session_group and man_group and session_group != man_group:
                self.problem("attendance", row.line, "participant_code", _(
                    "%(code)s is in group %(his)s, but the session %(id)s is of group %(group)s.", code=code,
                    his=man_group, id=sid, group=session_group))
            stored = self.stored_sessions.get(sid)
            if stored is not None and code in stored["present"]:
                self.summary.unchanged["attendance"] += 1
            elif stored is not None:
                self.problem("attendance", row.line, "participant_code", _(
                    "The session %(id)s is already at the site without %(code)s among those present. An import "
                    "never changes a session already recorded: correct its attendance in the portal.", id=sid,
                    code=code))
        for sid, row in self.file_sessions.items():
            stored = self.stored_sessions.get(sid)
            if stored is not None:
                missing = sorted(set(stored["present"]) - set(self.marks.get(sid, {})))
                if missing and "attendance" not in self.batch.unreadable:
                    self.problem("sessions", row.line, "session_id", _(
                        "At the site, the session %(id)s also has present: %(codes)s, whom attendance.csv does not "
                        "list. An import never changes a session already recorded.", id=sid,
                        codes=", ".join(missing)))
        for session in self.new_sessions:
            session["present"] = sorted(self.marks.get(session["session_id"], {}))

    def unknown_participant(self, table: str, row: Row, code: str) -> None:
        if self.gone(code):
            if code not in self.group_of:  # else already said on his line of participants.csv
                self.problem(table, row.line, "participant_code", self.gone(code))
        elif "participants" not in self.batch.unreadable:
            self.problem(table, row.line, "participant_code", _(
                "%(code)s is unknown: he is neither in participants.csv nor registered at %(site)s.", code=code,
                site=self.site.code))

    def responses(self, questionnaire: Questionnaire) -> None:
        table = questionnaire.id
        stored = {r["participant_code"]: r for r in self.tx.find("responses", questionnaire=table)}
        withdrawn = {r["participant_code"] for r in self.tx.with_withdrawn().find("responses", questionnaire=table)
                     if r.get(WITHDRAWN)}
        text_columns = {q.name for q in questionnaire.questions if q.type == "text"}
        names = [q.name for q in questionnaire.questions]
        first_line: dict[str, int] = {}
        for row in self.batch.tables[table]:
            self.tick()
            code = self.required(table, row, "participant_code")
            if code is not None and (code not in self.group_of or self.gone(code)):
                self.unknown_participant(table, row, code)
                code = None
            elif code in first_line:
                self.problem(table, row.line, "participant_code", _(
                    "This man already has this questionnaire on line %(line)s of the same file.",
                    line=first_line[code]))
                code = None
            submitted = self.day(table, row, "submitted_on", _("The date cannot be in the future."))
            raw = {name: unescape_formula(row.values[name].strip()) if name in text_columns else row.values[name]
                   for name in names}
            result = questionnaire.validate(raw, strict=True)
            for name, message in result.errors.items():
                self.problem(table, row.line, name, message)
            if code is None:
                continue
            first_line[code] = row.line
            if submitted is None or not result.ok:
                continue
            if code in withdrawn and code not in stored:
                self.problem(table, row.line, "participant_code", _(
                    "This questionnaire of %(code)s was withdrawn at this site: restore it from his page in the "
                    "portal, or take this row out of the file.", code=code))
                continue
            if code in stored:
                before = {"submitted_on": stored[code]["submitted_on"],
                          **{n: stored[code]["answers"].get(n) for n in names}}
                now = {"submitted_on": submitted.isoformat(), **{n: result.answers.get(n) for n in names}}
                what = _("The questionnaire of %(code)s", code=code)
                if not self.conflicts(table, row, what, before, now):
                    self.summary.unchanged[table] += 1
                continue
            self.new_responses.append((questionnaire, code, result.answers, submitted, row))

    def gone(self, code: str) -> str | None:
        """Why a code withdrawn or erased at the site cannot be imported (None if it is not)."""
        if code in self.erased:
            return _("%(code)s was erased at his request and cannot come back.", code=code)
        if code in self.withdrawn:
            return _("%(code)s was withdrawn at this site: restore him from his page in the portal first.",
                     code=code)
        return None

    def dates(self) -> None:
        """The consistency rules of the web forms, on what the import adds: attendance within each man's time
        in the program, no questionnaire before his registration, no exit before a session he attended."""
        new_exits = {code: consistency.exit_day({"answers": answers, "submitted_on": day.isoformat()})
                     for q, code, answers, day, _row in self.new_responses if q.id == consistency.EXIT}
        exits = {**consistency.exits_of(self.tx), **new_exits}
        for session in self.new_sessions:
            for code, line in self.marks.get(session["session_id"], {}).items():
                for message in consistency.attendance_problems(session["date"], [code], self.men, exits):
                    self.problem("attendance", line, "participant_code", message)
        after = self.tx.all("sessions") + self.new_sessions  # the sessions the site would have
        sessions = Snapshot({"sessions": {str(i): s for i, s in enumerate(after)}})
        for questionnaire, code, answers, day, row in self.new_responses:
            if code not in self.men:
                continue  # his registration is refused or wrong: said already
            for message in consistency.response_problems(day.isoformat(), self.men[code]):
                self.problem(questionnaire.id, row.line, "submitted_on", message)
            if questionnaire.id == consistency.EXIT:
                column = "exit_date" if answers.get("exit_date") else "submitted_on"
                for message in consistency.exit_problems(sessions, code, new_exits[code]):
                    self.problem(questionnaire.id, row.line, column, message)

    # the change ------------------------------------------------------------------
    def apply(self, user: str) -> None:
        tx = self.tx
        # earliest man first, so that a new group starts on its first man's enrolment
        for code, group, enrolled in sorted(self.new_participants, key=lambda p: (p[2], p[0])):
            ensure_group(tx, group, enrolled)
            tx.insert("participants", {"code": code, "group_code": group, "enrolled_on": enrolled.isoformat(),
                                       "status": "active"})
        for session in sorted(self.new_sessions, key=lambda s: _natural(s["session_id"])):
            ensure_group(tx, session["group_code"], date.fromisoformat(session["date"]))
            tx.insert("sessions", session)
        for questionnaire, code, answers, submitted, _row in self.new_responses:
            insert_response(tx, questionnaire, code, answers, IMPORT_ENTERED_BY, user, submitted)
            self.summary.added[questionnaire.id] += 1
        self.summary.added["participants"] = len(self.new_participants)
        self.summary.added["sessions"] = len(self.new_sessions)
        self.summary.added["attendance"] = sum(len(s["present"]) for s in self.new_sessions)


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return _("an empty value")
    if isinstance(value, list):
        return "«" + " ".join(value) + "»"
    return f"«{value}»"
