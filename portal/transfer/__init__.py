"""CSV export and import of a site: the backup, moving a site's data between portals,
and bringing in paper-era spreadsheets.

The layout is an interface that scripts outside the project rely on (PRODUCT.md §8); it is
described in ``layout.py``. The package, by concern:

    layout.py     the files and their columns
    export.py     the export, the de-identified copy, the ZIP download
    files.py      gathering the files of an import: uploads, ZIP files, a folder
    reading.py    reading a CSV file: encoding, header, rows
    cells.py      reading one value of a row with the rule of its column
    checks.py     one check per file, each yielding its problems and returning what later files need
    importing.py  running the checks, then adding what is new in one write
    manifest.py   the manifest of an export: site, portal, revision, time, SHA-256 of each file
    syncing.py    a sync: the copy of a site made equal to a newer export of it
    outcome.py    what an import or a sync changes, or would change (dry run), in words
    problems.py   what can be wrong, and the list a person reads
    command.py    flask export and import: the commands over all of the above

An import first reads and checks every row against the site and collects every problem
(file, line, column, message), the date rules of the web forms (consistency.py) included.
Only when there is none does it add what is new, in one atomic write.
"""
from ..questionnaires import QUESTIONNAIRE_IDS
from .export import Export, Pseudonyms, export_site, left_out_answers, write_export, zip_export
from .files import MAX_IMPORT_BYTES, files_from, files_in, uncompressed_limit
from .importing import IMPORT_ENTERED_BY, Plan, Summary, check_batch, counted, import_batch, import_files, judge
from .layout import (
                     DEIDENTIFIED_MARKER,
                     FILE_NAMES,
                     RESPONSE_COLUMNS,
                     TABLE_COLUMNS,
                     TABLES,
                     columns,
                     escape_formula,
                     required_columns,
                     unescape_formula,
)
from .manifest import MANIFEST, Manifest, read_manifest
from .outcome import KIND_LABELS, MERGE, SYNC, Outcome, carry_out, preview
from .problems import MAX_PROBLEMS, ImportRefused, Problem, ProblemList, TransferError
from .reading import Batch, Row, read_batch
from .syncing import SYNC_ENTERED_BY, held

__all__ = [
    "QUESTIONNAIRE_IDS", "Export", "Pseudonyms", "export_site", "left_out_answers", "write_export", "zip_export",
    "MAX_IMPORT_BYTES", "files_from", "files_in", "uncompressed_limit", "IMPORT_ENTERED_BY", "Plan", "Summary", "counted",
    "check_batch", "import_batch", "import_files", "judge", "DEIDENTIFIED_MARKER", "FILE_NAMES", "RESPONSE_COLUMNS",
    "TABLE_COLUMNS", "TABLES", "columns", "escape_formula", "required_columns", "unescape_formula", "MAX_PROBLEMS",
    "ImportRefused", "Problem", "ProblemList", "TransferError", "Batch", "Row", "read_batch", "MANIFEST", "Manifest",
    "read_manifest", "KIND_LABELS", "MERGE", "SYNC", "Outcome", "carry_out", "preview", "SYNC_ENTERED_BY", "held",
]
