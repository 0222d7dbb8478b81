"""The summary's data files and its manifest: ``data/indicators.json``, ``data/indicators.csv`` (PRODUCT.md section
7, one record per place and period) and ``SHA256SUMS`` (``sha256sum -c`` format), with the stamps that tell which
files changed since the last build."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..disclosure import flatten
from ..storage import write_file
from ..summary.model import Record, Summary

MANIFEST = "SHA256SUMS"
DATA_FILES = ("data/indicators.json", "data/indicators.csv")


def record_texts(key: str, period: str, record: Record) -> tuple[str, str, str]:
    """(digest, JSON line, CSV rows) of one published record; the digest also tells a page whether it changed."""
    line = json.dumps({"scope": key, "period": period, **record.values, "suppressed": list(record.hidden)},
                      ensure_ascii=False)
    # scope, period and keys are plain [a-z0-9_:.-] and values numbers: no CSV quoting is ever needed
    rows = "".join(f"{key},{period},{path},{'' if value is None else value},"
                   f"{'true' if path in record.hidden else 'false'}\n" for path, value in flatten(record.values))
    return hashlib.sha1((line + repr(record.hidden)).encode()).hexdigest(), line, rows


def indicators_json(summary: Summary, texts: dict) -> str:
    head = json.dumps({"generated_at": summary.generated_at, "data_as_of": summary.data_as_of,
                       "suppression_k": summary.k}, ensure_ascii=False)[:-1]
    return head + ', "records": [\n' + ",\n".join(line for _d, line, _r in texts.values()) + "\n]}\n"


def indicators_csv(texts: dict) -> str:
    return "scope,period,key,value,suppressed\n" + "".join(rows for _d, _l, rows in texts.values())


def site_files(folder: Path) -> list[str]:
    """Every file of the built site, as sorted paths relative to it."""
    found = []
    for root, _dirs, names in os.walk(folder):
        base = os.path.relpath(root, folder).replace(os.sep, "/")
        found.extend(name if base == "." else f"{base}/{name}" for name in names)
    return sorted(found)


def _stamp(path: Path) -> str:
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
    return {rel for rel in existing if rel not in known or known[rel][0] != _stamp(folder / rel)}


def write_manifest(folder: Path, known_file: Path) -> dict[str, str]:
    """SHA256SUMS (``sha256sum -c`` format); a file unchanged since the last build is not read again."""
    known = _known_stamps(known_file)
    digests, stamps = {}, {}
    for rel in site_files(folder):
        if rel == MANIFEST:
            continue
        stamp = _stamp(folder / rel)
        earlier = known.get(rel)
        digests[rel] = earlier[1] if earlier and earlier[0] == stamp else \
            hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        stamps[rel] = [stamp, digests[rel]]
    write_file(folder / MANIFEST, "".join(f"{digest}  {rel}\n" for rel, digest in digests.items()),
               shared=True)
    write_file(known_file, json.dumps(stamps))
    return digests
