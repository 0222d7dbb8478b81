"""The summary's zip, written beside its folder: one file to send or copy, replaced atomically."""
from __future__ import annotations

import hashlib
import json
import struct
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..storage import write_file, writing_atomically
from .datafiles import file_stamp, site_files

BIG = 1_000_000  # bytes: the data files, written again at every build, are compressed faster and a little less
_END = b"\x03\x00"  # an empty last deflate block: ends a member packed piece by piece


def _level(size: int) -> int:
    # level 3 packs indicators.csv in a third of level 6's time, 26 % larger (national scale: 5.6 MB, not 4.4)
    return 3 if size >= BIG else 6


def _deflate(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    packer = zlib.compressobj(_level(len(data)), zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), packer.compress(data) + packer.flush()


def _deflate_piece(piece: bytes, level: int) -> bytes:
    """A piece packed on its own and flushed to a byte boundary, not ended: pieces packed so, one after the
    other and then ``_END``, are one deflate stream (a fresh packer refers to nothing before the piece)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH)


def _piece_key(piece: bytes) -> str:
    return hashlib.sha1(piece).hexdigest()


def write_zip(folder: Path, target: Path, digests: dict[str, str], index_file: Path,
              segments: dict[str, list[bytes]] | None = None) -> None:
    """One zip of the whole folder (under its own name), replaced atomically.

    A file that has not changed since the last zip is copied over still
    compressed; the others are compressed on two threads. ``segments`` gives
    big files (the data files) as the pieces they were joined from: each piece
    is packed on its own, so that a piece the last zip already holds is copied
    from it still packed (a change at one site repacks that site's, its state's
    and the country's records only). Written by hand (plain PKZIP with UTF-8
    names): the ``zipfile`` module cannot copy a compressed member, and is used
    instead when the zip would need ZIP64. ``index_file`` records the digest of
    each member of this zip and where its pieces lie (one per output folder:
    another folder's zip holds other bytes), and the zip's own size and time: a
    zip changed since is not copied from.
    """
    files = site_files(folder)
    segments = segments or {}
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
        if index.get("zip") != file_stamp(target):
            raise ValueError("the zip is not the one the index describes")
        old = zipfile.ZipFile(target)
    except (OSError, ValueError, AttributeError, zipfile.BadZipFile):
        index, old = {}, None
    pieces_at: dict[str, dict[str, list[int]]] = {}
    try:
        with writing_atomically(target, shared=True) as fh:
            if len(files) >= 0xFFFF or sum((folder / rel).stat().st_size for rel in files) >= 0x7FFFFFFF:
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for rel in files:
                        archive.write(folder / rel, f"{folder.name}/{rel}")
            else:
                pieces_at = _write_zip_entries(folder, files, fh, digests, index, old, segments)
    finally:
        if old is not None:
            old.close()
    write_file(index_file, json.dumps({"members": {rel: digests.get(rel) for rel in files}, "pieces": pieces_at,
                                       "zip": file_stamp(target)}))


def _member_data(old: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where a member's packed bytes start in the old zip."""
    old.fp.seek(info.header_offset)
    header = old.fp.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def _write_zip_entries(folder: Path, files: list[str], fh, digests: dict, index: dict,
                       old: zipfile.ZipFile | None, segments: dict[str, list[bytes]]) -> dict:
    """Every member and the central directory; returns where the pieces of each pieced member lie in its packed
    bytes ({rel: {piece digest: [offset, length]}})."""
    zipped, known_pieces = index.get("members", {}), index.get("pieces", {})
    reusable, starts = {}, {}
    if old is not None:
        for info in old.infolist():
            rel = info.filename.partition("/")[2]
            if info.compress_type != zipfile.ZIP_DEFLATED:
                continue
            if rel in digests and zipped.get(rel) == digests[rel]:
                reusable[rel] = info
            if rel in segments and known_pieces.get(rel):
                starts[rel] = _member_data(old, info)
    pieced = [rel for rel in files if rel in segments and rel not in reusable]
    fresh = [rel for rel in files if rel not in reusable and rel not in segments]
    jobs: dict[tuple[str, str], tuple[bytes, int]] = {}  # pieces to pack: (rel, digest) -> (piece, level)
    plans: dict[str, list[tuple[str, str]]] = {}
    for rel in pieced:
        level = _level(sum(map(len, segments[rel])))
        plans[rel] = []
        for piece in segments[rel]:
            key = _piece_key(piece)
            plans[rel].append((key, "old" if rel in starts and key in known_pieces[rel] else "new"))
            if plans[rel][-1][1] == "new":
                jobs[(rel, key)] = (piece, level)
    with ThreadPoolExecutor(2) as pool:
        packed = dict(zip(fresh, pool.map(_deflate, (folder / rel for rel in fresh))))
        packed_pieces = dict(zip(jobs, pool.map(lambda job: _deflate_piece(*job), jobs.values())))
    pieces_at: dict[str, dict[str, list[int]]] = {}
    for rel in pieced:
        data, crc, places = [], 0, {}
        offset = 0
        for piece, (key, source) in zip(segments[rel], plans[rel]):
            if source == "old":
                where, length = known_pieces[rel][key]
                old.fp.seek(starts[rel] + where)
                chunk = old.fp.read(length)
            else:
                chunk = packed_pieces[(rel, key)]
            crc = zlib.crc32(piece, crc)
            places.setdefault(key, [offset, len(chunk)])
            data.append(chunk)
            offset += len(chunk)
        data.append(_END)
        packed[rel] = (crc, sum(map(len, segments[rel])), b"".join(data))
        pieces_at[rel] = places
    central = []
    for rel in files:
        name = f"{folder.name}/{rel}".encode("utf-8")
        if rel in reusable:
            info = reusable[rel]
            old.fp.seek(_member_data(old, info))
            crc, size, data, stamp = info.CRC, info.file_size, old.fp.read(info.compress_size), info.date_time
            if rel in segments:
                pieces_at[rel] = known_pieces.get(rel, {})
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
    return pieces_at
