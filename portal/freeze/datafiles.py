"""The summary's data files and its manifest: ``data/indicators.json``, ``data/indicators.csv`` (PRODUCT.md section
7, one record per place and period) and ``SHA256SUMS`` (``sha256sum -c`` format), with the stamps that tell which
files changed since the last build."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..disclosure import declaration, flatten
from ..storage import write_file
from ..summary.model import Record, Summary

MANIFEST = "SHA256SUMS"
DATA_FILES = ("data/indicators.json", "data/indicators.csv")


JSON, CSV = DATA_FILES
_CSV_HEAD = b"scope,period,key,value,suppressed\n"


def record_texts(key: str, period: str, record: Record) -> tuple[str, str]:
    """(JSON line, CSV rows) of one published record."""
    exact = {"exact": True} if record.exact else {}
    line = json.dumps({"scope": key, "period": period, **record.values, "suppressed": record.withheld, **exact},
                      ensure_ascii=False)
    # scope, period and keys are plain [a-z0-9_:.-] and values numbers: no CSV quoting is ever needed
    withheld = set(record.withheld)
    rows = "".join(f"{key},{period},{path},{'' if value is None else value},"
                   f"{'true' if path in withheld else 'false'}\n" for path, value in flatten(record.values))
    return line, rows


class EarlierData:
    """The data files of the last build into a folder, as that build left them (``layout``: where each scope's
    records lie in them), so that a rebuild copies the records it keeps instead of writing them out again."""

    def __init__(self, files: dict[str, bytes], layout: dict[str, dict[str, tuple[int, int]]]) -> None:
        self.files, self.layout = files, layout

    @classmethod
    def read(cls, folder: Path, layout: dict, known_file: Path) -> EarlierData | None:
        """The data files of ``folder`` if they are byte for byte those the last build wrote (their size, time and
        inode as the manifest's stamps left them); None if one is missing or was changed since."""
        known = _known_stamps(known_file)
        try:
            if set(layout) != set(DATA_FILES) or any(known.get(rel, [None])[0] != file_stamp(folder / rel)
                                                     for rel in DATA_FILES):
                return None
            return cls({rel: (folder / rel).read_bytes() for rel in DATA_FILES}, layout)
        except OSError:
            return None

    def piece(self, rel: str, scope: str) -> bytes | None:
        where = self.layout[rel].get(scope)
        return None if where is None else self.files[rel][where[0]:where[0] + where[1]]


def scope_pieces(summary: Summary, earlier: EarlierData | None, digests: dict[str, str]) \
        -> dict[str, tuple[bytes, bytes]]:
    """Each scope's records as (JSON lines, CSV rows): copied from the earlier files where the scope's digest is
    that of the last build (``digests``: the same men, the same figures), written out otherwise."""
    pieces = {}
    for key, scope in summary.scopes.items():
        records = [summary.records[(key, period)] for period in scope.periods]
        if earlier is not None and records and digests.get(key) == scope.digest:
            json_piece, csv_piece = earlier.piece(JSON, key), earlier.piece(CSV, key)
            if json_piece is not None and csv_piece is not None:
                pieces[key] = (json_piece, csv_piece)
                continue
        texts = [record_texts(key, period, record) for period, record in zip(scope.periods, records)]
        pieces[key] = (",\n".join(line for line, _rows in texts).encode("utf-8"),
                       "".join(rows for _line, rows in texts).encode("utf-8"))
    return pieces


def write_data_files(folder: Path, summary: Summary, pieces: dict[str, tuple[bytes, bytes]]) \
        -> tuple[dict[str, list[bytes]], dict[str, dict[str, tuple[int, int]]]]:
    """``data/indicators.json`` and ``data/indicators.csv`` from each scope's pieces: (each file as the list of
    pieces it was joined from, for the zip; where each scope's records lie in each file, for the next build)."""
    head = json.dumps({"generated_at": summary.generated_at, "data_as_of": summary.data_as_of,
                       "disclosure": declaration(summary.k)}, ensure_ascii=False)[:-1] + ', "records": [\n'
    segments: dict[str, list[bytes]] = {JSON: [head.encode("utf-8")], CSV: [_CSV_HEAD]}
    layout: dict[str, dict[str, tuple[int, int]]] = {JSON: {}, CSV: {}}
    ends = {JSON: len(segments[JSON][0]), CSV: len(_CSV_HEAD)}
    for key, (json_piece, csv_piece) in pieces.items():
        for rel, piece in ((JSON, json_piece), (CSV, csv_piece)):
            if not piece:
                continue
            if rel == JSON and layout[JSON]:
                segments[JSON].append(b",\n")
                ends[JSON] += 2
            layout[rel][key] = (ends[rel], len(piece))
            segments[rel].append(piece)
            ends[rel] += len(piece)
    segments[JSON].append(b"\n]}\n")
    for rel in DATA_FILES:
        write_file(folder / rel, b"".join(segments[rel]), shared=True)
    return segments, layout


def site_files(folder: Path) -> list[str]:
    """Every file of the built site, as sorted paths relative to it."""
    found = []
    for root, _dirs, names in os.walk(folder):
        base = os.path.relpath(root, folder).replace(os.sep, "/")
        found.extend(name if base == "." else f"{base}/{name}" for name in names)
    return sorted(found)


def file_stamp(path: Path) -> str:
    """Changes whenever a file is written again: its size, time and inode."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _known_stamps(known_file: Path) -> dict[str, list[str]]:
    """rel -> [stamp, SHA-256] of every file as the last build into this folder left it."""
    try:
        return json.loads(known_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def edited_files(folder: Path, known_file: Path, existing: set[str]) -> set[str]:
    """The files someone changed (or put there) since the last build: the build writes them again, so the
    manifest never vouches for a page the freeze did not write."""
    known = _known_stamps(known_file)
    return {rel for rel in existing if rel not in known or known[rel][0] != file_stamp(folder / rel)}


def write_manifest(folder: Path, known_file: Path) -> dict[str, str]:
    """SHA256SUMS (``sha256sum -c`` format); a file unchanged since the last build is not read again."""
    known = _known_stamps(known_file)
    digests, stamps = {}, {}
    for rel in site_files(folder):
        if rel == MANIFEST:
            continue
        stamp = file_stamp(folder / rel)
        earlier = known.get(rel)
        digests[rel] = earlier[1] if earlier and earlier[0] == stamp else \
            hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        stamps[rel] = [stamp, digests[rel]]
    write_file(folder / MANIFEST, "".join(f"{digest}  {rel}\n" for rel, digest in digests.items()),
               shared=True)
    write_file(known_file, json.dumps(stamps))
    return digests
