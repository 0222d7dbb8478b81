"""Gathering the files of an import: uploaded CSV and ZIP files, or a folder."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from flask_babel import gettext as _

from .problems import ImportRefused, Problem, TransferError

MAX_ZIP_BYTES = 100 * 1024 * 1024  # uncompressed, to refuse a zip bomb


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
