"""Exports for analysts: Excel, SPSS, Stata and a codebook, for a site and for the de-identified national data.

Beside the CSV export (``transfer/``, unchanged: scripts outside the project read it), by concern:

    model.py     the labelled tables: variables, their kinds, their value labels, across questionnaire versions
    tables.py    a site's tables (full or de-identified) and the pooled de-identified national tables
    writers.py   the workbook (XlsxWriter), .sav and .dta (pyreadstat); every file written atomically
    codebook.py  the codebook, generated from forms/ (HTML, and the workbook's last sheet)
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from flask_babel import gettext as _

from ..questionnaires import Questionnaire
from ..registry import list_sites
from ..shapes import check_site_file
from ..storage import SiteStore, Snapshot, registry_store, revision, site_path
from ..transfer.export import Pseudonyms
from ..transfer.layout import DEIDENTIFIED_MARKER, FILE_NAMES
from ..transfer.problems import TransferError
from .codebook import codebook_html, codebook_rows
from .model import Dataset
from .tables import national_dataset, site_dataset
from .writers import WORKBOOK, dta_bytes, sav_bytes, workbook_bytes, write_files

FORMATS = ("csv", "xlsx", "sav", "dta", "codebook")  # csv: the transfer export, exactly as it always was
ANALYST_FORMATS = FORMATS[1:]
CODEBOOK = "libro_de_codigos.html"


def analyst_files(dataset: Dataset, formats: Iterable[str], revision: int | None = None) -> dict[str, bytes]:
    """The files of the formats asked for, by file name."""
    formats = set(formats)
    files: dict[str, bytes] = {}
    if "xlsx" in formats:
        files[WORKBOOK] = workbook_bytes(dataset, codebook_rows(dataset))
    for table in dataset.tables:
        if "sav" in formats:
            files[f"{table.name}.sav"] = sav_bytes(table)
        if "dta" in formats:
            files[f"{table.name}.dta"] = dta_bytes(table)
    if "codebook" in formats:
        files[CODEBOOK] = codebook_html(dataset, revision)
    if dataset.deidentified and files:
        files[DEIDENTIFIED_MARKER] = (deidentified_note(dataset) + "\r\n").encode("utf-8-sig")
    return files


def deidentified_note(dataset: Dataset) -> str:
    if dataset.scope == "national":
        return _("De-identified national data for analysis: new random codes for the men, valid only within this "
                 "export; the state instead of the site; dates reduced to the month; no free text. The codebook says "
                 "what was removed and why. It cannot be imported into the portal.")
    return _("De-identified export of site %(site)s for analysis: new random codes for the men, valid only within this "
             "export; dates reduced to the month; no free text. It cannot be imported into the portal.",
             site=dataset.site)


def is_analyst_file(name: str) -> bool:
    return name in (WORKBOOK, CODEBOOK) or name.endswith((".sav", ".dta"))


def check_folder(folder: Path, deidentified: bool) -> None:
    """Never mix a copy with the real codes and a de-identified one in the same folder."""
    if folder.exists() and not folder.is_dir():
        raise TransferError(_("%(folder)s is a file, not a folder.", folder=folder))
    if not folder.exists():
        return
    marker = (folder / DEIDENTIFIED_MARKER).exists()
    present = [p.name for p in folder.iterdir() if p.name in FILE_NAMES or is_analyst_file(p.name)]
    if deidentified and present and not marker:
        raise TransferError(_("The folder %(folder)s holds an export with the real codes: write the de-identified "
                              "copy to another folder.", folder=folder))
    if not deidentified and marker:
        raise TransferError(_("The folder %(folder)s holds a de-identified export: write the full export to "
                              "another folder.", folder=folder))


def write_analyst_files(folder: Path | str, files: dict[str, bytes], deidentified: bool) -> list[Path]:
    folder = Path(folder)
    check_folder(folder, deidentified)
    folder.mkdir(parents=True, exist_ok=True)
    return write_files(folder, files)


def site_files(site_code: str, snapshot: Snapshot, versions: Mapping[str, Sequence[Questionnaire]],
               formats: Iterable[str], deidentified: bool = False, pseudonyms: Pseudonyms | None = None,
               revision: int | None = None) -> dict[str, bytes]:
    return analyst_files(site_dataset(site_code, snapshot, versions, deidentified, pseudonyms), formats, revision)


def zip_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def revision_of(snapshot: Snapshot) -> int:
    return revision(snapshot)


def national_sites(instance_path: Path | str) -> Iterator[tuple[str, Snapshot]]:
    """(state, snapshot) of every site, one at a time; a site whose file cannot be used stops the export (a
    ``StoreError`` naming it), since national data without it would be silently short. Each file is read by a
    store of its own, let go once the next is read: the portal's cache of parsed files does not grow by every
    site of the country."""
    for site in list_sites(registry_store(instance_path)):
        store = SiteStore(site_path(instance_path, site.code), check_site_file)
        try:
            yield site.state, store.read()
        finally:
            store.close()


def write_national(instance_path: Path | str, folder: Path, versions: Mapping[str, Sequence[Questionnaire]],
                   formats: Iterable[str]) -> list[Path]:
    check_folder(folder, True)
    return write_analyst_files(folder, national_files(national_sites(instance_path), versions, formats), True)


def national_files(sites: Iterable[tuple[str, Snapshot]], versions: Mapping[str, Sequence[Questionnaire]],
                   formats: Iterable[str]) -> dict[str, bytes]:
    return analyst_files(national_dataset(sites, versions), formats)


__all__ = ["FORMATS", "ANALYST_FORMATS", "CODEBOOK", "WORKBOOK", "analyst_files", "check_folder", "site_files",
           "national_files", "write_analyst_files", "write_national", "national_sites", "revision_of", "zip_files",
           "site_dataset", "national_dataset", "Dataset"]
