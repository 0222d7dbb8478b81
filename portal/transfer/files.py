"""Gathering the files of an import: uploaded CSV and ZIP files, or a folder.

One import takes at most ``MAX_IMPORT_BYTES`` (the ``IMPORT_MAX_UNCOMPRESSED_BYTES`` setting)
of files, all of them together, once uncompressed. The sizes are read from the folder, or from
the headers of every ZIP file (those inside ZIP files too), before any CSV file is read or
expanded: several small ZIP files, or a ZIP of ZIP files, cannot get around the limit.
Only what an import can use is read: CSV files, ZIP files, the manifest of an export and the mark of a
de-identified copy.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from flask_babel import gettext as _

from .layout import DEIDENTIFIED_MARKER
from .manifest import MANIFEST
from .problems import ImportRefused, Problem, ProblemList, TransferError

MAX_IMPORT_BYTES = 64 * 1024 * 1024  # one import, all its files together, uncompressed
MAX_ZIP_DEPTH = 3  # a ZIP file inside a ZIP file inside a ZIP file, and no deeper
MAX_ZIP_ENTRIES = 1000  # an export has eight files; a zipped folder of them, a few more


def uncompressed_limit(config: Mapping) -> int:
    """The most one import takes, uncompressed, from the application's settings."""
    return int(config.get("IMPORT_MAX_UNCOMPRESSED_BYTES", MAX_IMPORT_BYTES))


def files_from(uploads: list[tuple[str, bytes]], limit: int = MAX_IMPORT_BYTES) -> dict[str, bytes]:
    """File name -> content, from uploaded CSV files and ZIP files (their folders are ignored)."""
    problems = ProblemList()
    try:
        files = _gather(_opened(uploads, _Budget(limit), problems), problems)
    except _TooLarge:
        files = None  # refused below, outside this block: the refusal keeps no trace of the files
    if files is None:
        raise ImportRefused([Problem(_("the files given"), None, None, too_large(limit))])
    if problems:
        raise problems.refusal()
    return files


def files_in(path: Path | str, limit: int = MAX_IMPORT_BYTES) -> dict[str, bytes]:
    """The files of an export folder, or of a ZIP file downloaded from the portal."""
    path = Path(path)
    if path.is_dir():
        wanted = [p for p in sorted(path.iterdir()) if p.is_file() and _wanted(p.name) and not _is_zip(p.name)]
        if sum(p.stat().st_size for p in wanted) > limit:
            raise ImportRefused([Problem(path.name, None, None, too_large(limit))])
        return {p.name: p.read_bytes() for p in wanted}
    if path.is_file() and _is_zip(path.name):
        if path.stat().st_size > limit:
            raise ImportRefused([Problem(path.name, None, None, too_large(limit))])
        return files_from([(path.name, path.read_bytes())], limit)
    raise TransferError(_("%(path)s is neither a folder nor a ZIP file.", path=path))


def too_large(limit: int) -> str:
    return _("Together, the files take more than %(n)s MB once uncompressed, more than one import takes. "
             "Import them in parts, a few files at a time.", n=limit // (1024 * 1024))


def _opened(uploads: list[tuple[str, bytes]], budget: _Budget, problems: ProblemList) -> list:
    """(name, content or opened ZIP file) of each upload, every size taken from the budget first, from the
    headers: no CSV file in a ZIP file is expanded yet."""
    sources = []
    for name, content in uploads:
        name = _basename(name)
        if not _is_zip(name):
            budget.take(len(content))
            sources.append((name, content))
            continue
        try:
            sources.append((name, _Zip.open(name, content, budget)))
        except _BadZip as exc:
            problems.add(exc.problem)
    return sources


def _gather(sources: list, problems: ProblemList) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, source in sources:
        try:
            entries = source.entries() if isinstance(source, _Zip) else [(name, source)]
            for entry, data in entries:
                if entry in files:
                    problems.add(Problem(entry, None, None, _("The file was given twice.")))
                files[entry] = data
        except _BadZip as exc:
            problems.add(exc.problem)
    return files


class _TooLarge(Exception):
    """The files take more than one import may."""


class _BadZip(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(name)
        self.problem = Problem(name, None, None, message)


class _Budget:
    """How many bytes the files of one import may still take, uncompressed."""

    def __init__(self, limit: int):
        self.left = limit

    def take(self, size: int) -> None:
        if size > self.left:
            raise _TooLarge()
        self.left -= size


@dataclass
class _Zip:
    """A ZIP file opened with the ZIP files inside it, the sizes their headers declare taken from the budget;
    not one of their other files expanded yet."""

    name: str
    archive: zipfile.ZipFile
    files: list[zipfile.ZipInfo]  # the CSV files (and the mark of a de-identified copy) it holds
    inner: list[_Zip]  # the ZIP files it holds, opened in turn

    @classmethod
    def open(cls, name: str, content: bytes, budget: _Budget, depth: int = 1) -> _Zip:
        if _declared_entries(content) > MAX_ZIP_ENTRIES:
            raise _BadZip(name, _("The ZIP file holds more than %(n)s files, more than an import takes.",
                                  n=MAX_ZIP_ENTRIES))
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError):
            raise _BadZip(name, _("It is not a ZIP file that can be opened.")) from None
        members = [m for m in archive.infolist() if not m.is_dir() and _wanted(m.filename)]
        budget.take(sum(m.file_size for m in members))
        opened = cls(name, archive, [m for m in members if not _is_zip(m.filename)], [])
        for member in members:
            if not _is_zip(member.filename):
                continue
            inner = _basename(member.filename)
            if depth >= MAX_ZIP_DEPTH:
                raise _BadZip(inner, _("An import opens ZIP files inside ZIP files down to %(n)s levels; this one is "
                                       "deeper. Take it out of the others first.", n=MAX_ZIP_DEPTH))
            opened.inner.append(cls.open(inner, opened.read(member), budget, depth + 1))
        return opened

    def entries(self) -> Iterator[tuple[str, bytes]]:
        """(name, content) of each file it holds, those of the ZIP files in it included."""
        for member in self.files:
            yield _basename(member.filename), self.read(member)
        for inner in self.inner:
            yield from inner.entries()

    def read(self, member: zipfile.ZipInfo) -> bytes:
        """The member's content, never more than its header declared."""
        try:
            with self.archive.open(member) as fh:
                data = fh.read(member.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError, RuntimeError, OSError):
            raise _BadZip(self.name, _("It is not a ZIP file that can be opened.")) from None
        if len(data) != member.file_size:
            raise _BadZip(self.name, _("It is not a ZIP file that can be opened."))
        return data


def _declared_entries(content: bytes) -> int:
    """How many files a ZIP file's end record says it holds, read before the archive is opened (0 if it has
    none: opening it then fails)."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(content):
        return 0
    count = int.from_bytes(content[end + 10:end + 12], "little")
    locator = end - 20  # a ZIP64 file keeps the real count in a record that a locator before the end points to
    if count == 0xFFFF and locator >= 0 and content[locator:locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(content[locator + 8:locator + 16], "little")
        if content[record:record + 4] == b"PK\x06\x06":
            count = int.from_bytes(content[record + 32:record + 40], "little")
    return count


def _basename(name: str) -> str:
    return re.split(r"[\\/]", name or "")[-1]


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def _wanted(path: str) -> bool:
    """A file an import can use; not what some systems add to a ZIP file by themselves."""
    name = _basename(path)
    if "__MACOSX" in path or name.startswith("."):
        return False
    return name.lower().endswith((".csv", ".zip")) or name in (DEIDENTIFIED_MARKER, MANIFEST)
