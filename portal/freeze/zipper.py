"""The summary's zip, written beside its folder: one file to send or copy, replaced atomically."""
from __future__ import annotations

import json
import struct
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..storage import write_file, writing_atomically
from .datafiles import site_files


BIG = 1_000_000  # bytes: the data files, written again at every build, are compressed faster and a little less


def _deflate(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    # level 3 packs indicators.csv in a third of level 6's time, 26 % larger (national scale: 5.6 MB, not 4.4)
    packer = zlib.compressobj(3 if len(data) >= BIG else 6, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), packer.compress(data) + packer.flush()


def write_zip(folder: Path, target: Path, digests: dict[str, str], index_file: Path) -> None:
    """One zip of the whole folder (under its own name), replaced atomically.

    A file that has not changed since the last zip is copied over still
    compressed; the others are compressed on two threads. Written by hand
    (plain PKZIP with UTF-8 names): the ``zipfile`` module cannot copy a
    compressed member, and is used instead when the zip would need ZIP64. ``index_file`` records the
    digest of each member of this zip (one per output folder: another folder's zip holds other bytes).
    """
    files = site_files(folder)
    try:
        zipped = json.loads(index_file.read_text(encoding="utf-8"))
        old = zipfile.ZipFile(target)
    except (OSError, ValueError, zipfile.BadZipFile):
        zipped, old = {}, None
    try:
        with writing_atomically(target, shared=True) as fh:
            if len(files) >= 0xFFFF or sum((folder / rel).stat().st_size for rel in files) >= 0x7FFFFFFF:
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for rel in files:
                        archive.write(folder / rel, f"{folder.name}/{rel}")
            else:
                _write_zip_entries(folder, files, fh, digests, zipped, old)
    finally:
        if old is not None:
            old.close()
    write_file(index_file, json.dumps({rel: digests.get(rel) for rel in files}))


def _write_zip_entries(folder: Path, files: list[str], fh, digests: dict, zipped: dict,
                       old: zipfile.ZipFile | None) -> None:
    reusable = {}
    if old is not None:
        for info in old.infolist():
            rel = info.filename.partition("/")[2]
            if info.compress_type == zipfile.ZIP_DEFLATED and rel in digests and zipped.get(rel) == digests[rel]:
                reusable[rel] = info
    fresh = [rel for rel in files if rel not in reusable]
    with ThreadPoolExecutor(2) as pool:
        packed = dict(zip(fresh, pool.map(_deflate, (folder / rel for rel in fresh))))
    central = []
    for rel in files:
        name = f"{folder.name}/{rel}".encode("utf-8")
        if rel in reusable:
            info = reusable[rel]
            old.fp.seek(info.header_offset)
            header = old.fp.read(30)
            skip = struct.unpack("<HH", header[26:30])
            old.fp.seek(info.header_offset + 30 + skip[0] + skip[1])
            crc, size, data, stamp = info.CRC, info.file_size, old.fp.read(info.compress_size), info.date_time
        else:
            crc, size, data = packed[rel]
            stamp = time.localtime((folder / rel).stat().st_mtime)[:6]
        dos_time = stamp[3] << 11 | stamp[4] << 5 | stamp[5] // 2
        dos_date = (max(stamp[0], 1980) - 1980) << 9 | stamp[1] << 5 | stamp[2]
        offset = fh.tell()
        fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, dos_time, dos_date, crc, len(data), size,
                             len(name), 0) + name + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x314, 20, 0x800, 8, dos_time, dos_date,
                                   crc, len(data), size, len(name), 0, 0, 0, 0, 0o100644 << 16, offset) + name)
    start = fh.tell()
    fh.write(b"".join(central))
    fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), fh.tell() - start, start, 0))
