"""The only way to a TinyDB file: per-site stores with safe, audited writes.

Every file is a TinyDB JSON document (``{"table": {"1": {...}}}``). Guarantees:

* A write holds an in-process lock and a cross-process file lock for the whole
  read-modify-write, so concurrent writers never lose each other's changes.
* The new content goes to a temporary file in the same folder, is fsync'ed and
  atomically replaces the old file; the folder is fsync'ed too. A crash leaves
  either the old or the new file, never a torn one.
* Writers that arrive while another write is under way in the same process are
  committed together in the next batch (group commit), and documents already
  written are not encoded again, so eight concurrent submissions do not queue
  eight full rewrites.
* Reads reuse the parsed content while the file on disk is the one that was
  parsed: a page that only reads costs a ``stat``, not a parse.
* A write that cannot have its file within ``LOCK_WAIT_SECONDS`` (another process holds
  it) gives up with ``StoreBusyError``, and once the lock has been awaited ``STUCK_SECONDS``
  later writers to that file give up at once: a held lock never takes every thread of a
  server, so other sites never wait for it.
* A file that does not parse is reported (``CorruptStoreError``) and never
  overwritten. So is a file larger than ``MAX_STORE_BYTES`` (it is not read), and a
  write that would make one is refused before anything is written (``StoreTooLargeError``).
* Every write raises the file's revision (``_meta``), so copies can tell newer from older.
* Every insert, update and delete is appended to the ``_audit`` table in the
  same atomic write as the change itself (drafts of unsent questionnaires
  excepted: they are not records, and no trace of them may outlive them).

Documents handed out by a snapshot are shared with the cache: treat them as
read-only. Changes go through ``SiteStore.write`` and a ``Transaction``.
"""
from __future__ import annotations

import copy
import errno
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from . import clock

SITE_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")
AUDIT_TABLE = "_audit"
SECRET_FIELDS = frozenset({"password_hash"})  # the history says they changed, never what they were
META_TABLE = "_meta"  # the file's revision: a number that grows with every write
# Drafts (a man's unsent answers), staff sign-ins and guessing counters are not records of the program.
UNAUDITED_TABLES = frozenset({AUDIT_TABLE, META_TABLE, "drafts", "logins", "throttle", "synced"})  # synced: transfer/syncing.py
WITHDRAWN = "withdrawn"  # a record entered by mistake: kept, with the reason, but out of every listing
LOCK_TIMEOUT_SECONDS = 60  # a backup or a restore waits this long for a file's lock
LOCK_WAIT_SECONDS = 5  # a write waits this long for its file, then the request is told to try again
STUCK_SECONDS = 0.5  # a file whose lock has been awaited this long is stuck: later writers do not queue for it
MAX_STORE_BYTES = 32 * 1024 * 1024  # a busy site's ten years take about 5 MB; no file may pass this
LOCK_POLL_SECONDS = 0.005  # how often a waiting process retries the file lock


class StoreError(Exception):
    """A problem with a store that a person must be told about."""


class CorruptStoreError(StoreError):
    """The file exists but is not a valid store; it is left untouched.

    ``record`` names the record of the wrong shape (table, number and field), when it is that.
    """

    def __init__(self, path: Path, detail: str, record: str | None = None):
        self.path = Path(path)
        self.detail = detail
        self.record = record
        super().__init__(f"{path}: {detail}")


class StoreWriteError(StoreError):
    """The new content could not be written; the old file is unchanged."""

    def __init__(self, path: Path, cause: OSError):
        self.path = Path(path)
        self.cause = cause
        self.disk_full = cause.errno in (errno.ENOSPC, errno.EDQUOT)
        super().__init__(f"{path}: {cause}")


class StoreTooLargeError(StoreError):
    """The write would make the file larger than ``MAX_STORE_BYTES``; nothing was written."""

    def __init__(self, path: Path, size: int):
        self.path = Path(path)
        self.size = size
        self.limit_mb = MAX_STORE_BYTES // (1024 * 1024)
        super().__init__(f"{path}: {size} bytes, more than {MAX_STORE_BYTES}")


class StoreBusyError(StoreError):
    """The file's lock could not be had in time (another process holds it); nothing was written."""

    def __init__(self, path: Path):
        self.path = Path(path)
        super().__init__(f"{path}: busy")


class InvalidSiteCode(ValueError):
    """A site code that could not safely name a file."""


def validate_site_code(code: Any) -> str:
    """Return ``code`` if it is a valid site code, else raise InvalidSiteCode."""
    if not isinstance(code, str) or not SITE_CODE_RE.fullmatch(code):
        raise InvalidSiteCode(code)
    return code


def now_iso() -> str:
    return clock.now().isoformat(timespec="seconds")


# --------------------------------------------------------------------------
# File format
# --------------------------------------------------------------------------

_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def serialise(tables: dict[str, dict[str, dict]], lines: dict | None = None) -> bytes:
    """TinyDB's JSON layout with one document per line, readable by a person.

    Each document goes through the C JSON encoder (``indent`` would force the
    slow pure-Python one); the result is plain valid JSON. ``lines``, if given,
    maps (table, id) to (document, its encoded line) from the last call: a
    document that is the same object, or equal, is not encoded again. It is
    updated in place to hold exactly the documents written.
    """
    previous = dict(lines) if lines else {}
    if lines is not None:
        lines.clear()
    parts = ["{"]
    first_table = True
    for name in sorted(tables):
        table = tables[name]
        parts.append(("\n" if first_table else ",\n") + _encode(name) + ": {")
        first_table = False
        first_doc = True
        for doc_id, doc in table.items():
            known = previous.get((name, doc_id))
            if known is not None and (known[0] is doc or known[0] == doc):
                line = known[1]
            else:
                line = _encode(doc_id) + ": " + _encode(doc)
            if lines is not None:
                lines[(name, doc_id)] = (doc, line)
            parts.append(("\n  " if first_doc else ",\n  ") + line)
            first_doc = False
        parts.append("\n}" if not first_doc else "}")
    parts.append("\n}\n")
    return "".join(parts).encode("utf-8")


MAX_NUMBER_CHARACTERS = 40  # a decimal number longer than this in a data file is damage, never data


class BoundedJSONError(ValueError):
    """JSON that passes a bound: nesting deeper than Python's recursion allows, a decimal number too long,
    NaN or Infinity. (A whole number of more than 4,300 digits is refused by Python itself, as a ValueError.)"""


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise BoundedJSONError(f"a number of {len(text)} characters")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BoundedJSONError("a number too large")
    return value


def _no_constant(name: str):
    raise BoundedJSONError(f"{name} is not a number")


def load_json(text: str | bytes) -> Any:
    """``json.loads`` for every file the portal reads, within bounds: any damage is a ValueError (a
    ``json.JSONDecodeError``, a ``UnicodeDecodeError``, a ``BoundedJSONError``), never another exception.

    The fast C parser is kept (a site file parses at full speed): whole numbers of more than 4,300 digits are
    refused by Python, nesting past its recursion limit by the parser (turned into a ``BoundedJSONError``
    here); how deep a record may nest and how large its numbers may be are then the shapes' business
    (``shapes.py``)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return json.loads(text, parse_float=_bounded_float, parse_constant=_no_constant)
    except RecursionError:
        raise BoundedJSONError("nested too deep") from None


def parse(path: Path, raw: bytes) -> dict[str, dict[str, dict]]:
    try:
        data = load_json(raw)
    except UnicodeDecodeError as exc:
        raise CorruptStoreError(path, f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CorruptStoreError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise CorruptStoreError(path, f"not valid data ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(t, dict) and all(isinstance(d, dict) for d in t.values()) for t in data.values()
    ):
        raise CorruptStoreError(path, "not a TinyDB document (tables of documents)")
    meta = data.get(META_TABLE, {}).get("1")
    if meta is not None and (not isinstance(meta.get("revision"), int) or isinstance(meta["revision"], bool)):
        raise CorruptStoreError(path, "the revision (_meta 1) is not a whole number", f"{META_TABLE} 1, revision")
    return data


def write_atomically(path: Path, content: bytes, shared: bool = False, durable: bool = True) -> None:
    """Temporary file in the same folder, fsync, rename over, fsync the folder.

    The file can be read by its owner only (a site's data), or, ``shared``, by everyone the umask allows (the
    summary's pages and files, which are made to be copied and opened by others). Not ``durable``: no fsync, for
    a caller that writes many files and then calls ``os.sync()`` once (a reader still never sees half a file)."""
    with writing_atomically(path, shared, durable) as tmp:
        tmp.write(content)


def create_once(path: Path, content: bytes) -> bool:
    """Create ``path`` holding ``content`` if it does not exist yet; False if it did (it is left as it is).

    Whole or not at all: the content is written to a temporary file, fsync'ed, and linked to its name,
    which fails if another process made the file first. A full disk leaves no file, never an empty one."""
    folder = Path(path).parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
            tmp.flush()
            os.fsync(tmp.fileno())
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp_name)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def write_file(path: Path, content: bytes | str, shared: bool = False) -> None:
    """``write_atomically``, creating the folder first; text is written as UTF-8."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(Path(path), content.encode("utf-8") if isinstance(content, str) else content, shared)


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (another thread may be creating a
    file at this moment)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def writing_atomically(path: Path, shared: bool = False, durable: bool = True) -> Iterator[BinaryIO]:
    """``write_atomically`` for content written piece by piece: the open temporary file, renamed over ``path``
    (after an fsync, and the folder's) only when the block ends without an error; removed if it fails."""
    folder = Path(path).parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".tmp", dir=folder)
    try:
        if shared:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as tmp:
            yield tmp
            tmp.flush()
            if durable:
                os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    if not durable:
        return
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


SERVER_LOCK = ".server.lock"  # in the instance folder: held (shared) by every server process of it


def hold_instance(instance: Path | str) -> int:
    """Mark the instance as served by this process, for as long as it lives (the descriptor is kept open).

    A shared lock: several server processes may serve one instance; ``instance_in_use`` sees any of them.
    """
    fd = os.open(Path(instance) / SERVER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def instance_in_use(instance: Path | str) -> bool:
    """Whether a server process holds the instance now."""
    try:
        fd = os.open(Path(instance) / SERVER_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing lets go of a lock it got
    return False


def remove_stale_temporary_files(folder: Path, older_than_seconds: float = 600) -> list[Path]:
    """Temporary files left by a killed write: full copies of private data that nothing else removes.

    Only ``write_atomically``'s own names, and only old ones: a write in progress in another
    process takes well under a second.
    """
    removed = []
    now = datetime.now(timezone.utc).timestamp()
    for path in Path(folder).glob(".*.tmp"):
        try:
            if path.is_file() and now - path.stat().st_mtime > older_than_seconds:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            pass
    return removed


# --------------------------------------------------------------------------
# Read side: snapshots over TinyDB
# --------------------------------------------------------------------------

class _SnapshotStorage(Storage):
    """A TinyDB storage over already-parsed content; refuses writes."""

    def __init__(self, tables: dict):
        self._tables = tables

    def read(self):
        return self._tables

    def write(self, data):  # pragma: no cover - guarded by design
        raise StoreError("snapshots are read-only; use SiteStore.write()")


class Snapshot:
    """A consistent, read-only view of a store at one moment.

    Records withdrawn by mistake (a truthy ``withdrawn`` field) are left out of every
    listing, so no count, sheet, summary or export sees them; ``with_withdrawn()`` gives
    the view that shows them too (a man's history, restoring, keeping codes unique).
    """

    def __init__(self, tables: dict[str, dict[str, dict]], show_withdrawn: bool = False):
        self._tables = tables
        self._show_withdrawn = show_withdrawn
        self._db: TinyDB | None = None

    def with_withdrawn(self) -> "Snapshot":
        return Snapshot(self._tables, show_withdrawn=True)

    def _rows(self, table: str):
        rows = self._tables.get(table, {}).items()
        if self._show_withdrawn:
            return rows
        return [(k, v) for k, v in rows if not v.get(WITHDRAWN)]

    def all(self, table: str) -> list[dict]:
        """Every document of a table, in insertion order, with its ``doc_id``."""
        return [_with_id(k, v) for k, v in self._rows(table)]

    def get(self, table: str, doc_id: int) -> dict | None:
        """One document by id, withdrawn or not."""
        doc = self._tables.get(table, {}).get(str(doc_id))
        return None if doc is None else _with_id(str(doc_id), doc)

    def find(self, table: str, **match) -> list[dict]:
        """Documents whose fields equal every keyword given."""
        return [_with_id(k, v) for k, v in self._rows(table) if all(v.get(f) == want for f, want in match.items())]

    def first(self, table: str, **match) -> dict | None:
        for k, v in self._rows(table):
            if all(v.get(f) == want for f, want in match.items()):
                return _with_id(k, v)
        return None

    def count(self, table: str) -> int:
        return len(self._rows(table))

    def table(self, name: str):
        """The TinyDB table, for ``Query`` searches (read-only; withdrawn records included)."""
        if self._db is None:
            self._db = TinyDB(storage=_SnapshotStorage, tables=self._tables)
        return self._db.table(name, cache_size=0)


def revision(snapshot: Snapshot) -> int:
    """How many writes the file has had (0 for a new or older file): exports carry it."""
    meta = snapshot.get(META_TABLE, 1)
    return int(meta["revision"]) if meta else 0


def _with_id(doc_id: str, doc: dict) -> dict:
    out = dict(doc)
    out["doc_id"] = int(doc_id)
    return out


# --------------------------------------------------------------------------
# Write side
# --------------------------------------------------------------------------

class Transaction(Snapshot):
    """The working state of one write: read what is there, then change it.

    Documents are never changed in place: a change puts a new dict in a copy
    of the table, so the committed snapshot stays intact and a failed
    operation can be undone exactly.
    """

    def __init__(self, tables: dict, user: str | None):
        super().__init__(tables)
        self.user = user
        self._owned: set[str] = set()
        self._undo: list[tuple[str, str, dict | None]] = []
        self._next_ids: dict[str, int] = {}
        self._action: dict | None = None
        self.changed = False

    def with_withdrawn(self) -> Snapshot:
        """A read view of this write's working state that shows withdrawn records too."""
        return Snapshot(self._tables, show_withdrawn=True)

    @contextmanager
    def action(self, action: str, table: str, record: str, reason: str | None = None):
        """One audit entry for what a person did, however many records it changed.

        The entry says who, when, what (``action`` on ``record`` of ``table``), why
        (``reason``) and, in ``steps``, every change with its old and new values.
        """
        if self._action is not None:
            raise StoreError("actions do not nest")
        self._action = {"at": now_iso(), "user": self.user, "action": action, "table": table,
                        "record": record, "reason": reason, "steps": []}
        try:
            yield self._action
        finally:
            entry, self._action = self._action, None
        if entry["steps"]:
            self._append_audit(entry)

    # the three changes -----------------------------------------------------
    def insert(self, table: str, doc: dict) -> int:
        doc_id = self._next_id(table)
        self._put(table, str(doc_id), _clean(doc))
        self._audit("create", table, doc_id, None)
        return doc_id

    def update(self, table: str, doc_id: int, fields: dict) -> dict:
        old = self._tables.get(table, {}).get(str(doc_id))
        if old is None:
            raise KeyError(f"{table}/{doc_id}")
        new = {**old, **_clean(fields)}
        changes = {k: ["***", "***"] if k in SECRET_FIELDS else [old.get(k), new[k]]
                   for k in fields if old.get(k) != new[k]}
        if changes:
            self._put(table, str(doc_id), new)
            self._audit("update", table, doc_id, changes)
        return new

    def remove(self, table: str, doc_id: int) -> None:
        old = self._tables.get(table, {}).get(str(doc_id))
        if old is None:
            raise KeyError(f"{table}/{doc_id}")
        self._put(table, str(doc_id), None)
        self._audit("delete", table, doc_id, {"before": old})

    def _bump_revision(self) -> None:
        self._own(META_TABLE)["1"] = {"revision": revision(self) + 1, "changed_at": now_iso()}

    def purge(self, table: str, doc_id: int, replacement: dict | None = None) -> None:
        """Remove (or replace) a document leaving no trace of it in the history.

        Only for erasing a person's data at his request: the caller records that an
        erasure happened, never what was erased.
        """
        self._put(table, str(doc_id), None if replacement is None else _clean(replacement))

    # internals ---------------------------------------------------------------
    def _next_id(self, table: str) -> int:
        if table not in self._next_ids:
            keys = self._tables.get(table, {}).keys()
            self._next_ids[table] = max((int(k) for k in keys), default=0) + 1
        doc_id = self._next_ids[table]
        self._next_ids[table] += 1
        return doc_id

    def _own(self, table: str) -> dict:
        if table not in self._owned:
            self._tables[table] = dict(self._tables.get(table, {}))
            self._owned.add(table)
        return self._tables[table]

    def _put(self, table: str, key: str, doc: dict | None) -> None:
        rows = self._own(table)
        self._undo.append((table, key, rows.get(key)))
        if doc is None:
            del rows[key]
        else:
            rows[key] = doc
        self.changed = True

    def _audit(self, action: str, table: str, doc_id: int, changes: dict | None) -> None:
        if table in UNAUDITED_TABLES:
            return
        entry = {"at": now_iso(), "user": self.user, "action": action, "table": table, "record_id": doc_id}
        if changes:
            entry["changes"] = changes
        if self._action is not None:
            del entry["at"], entry["user"]
            self._action["steps"].append(entry)
            return
        self._append_audit(entry)

    def _append_audit(self, entry: dict) -> None:
        key = str(self._next_id(AUDIT_TABLE))
        rows = self._own(AUDIT_TABLE)
        self._undo.append((AUDIT_TABLE, key, None))
        rows[key] = entry

    def _mark(self) -> tuple[int, dict[str, int], bool]:
        return len(self._undo), dict(self._next_ids), self.changed

    def _rollback(self, mark: tuple[int, dict[str, int], bool]) -> None:
        length, next_ids, changed = mark
        while len(self._undo) > length:
            table, key, old = self._undo.pop()
            if old is None:
                self._tables[table].pop(key, None)
            else:
                self._tables[table][key] = old
        self._next_ids = next_ids
        self.changed = changed


def _clean(doc: dict) -> dict:
    """A private deep copy without the ``doc_id`` a snapshot adds."""
    out = copy.deepcopy(dict(doc))
    out.pop("doc_id", None)
    return out


@dataclass
class _Pending:
    fn: Callable[[Transaction], Any]
    user: str | None
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Loaded:
    tables: dict
    fd: int  # kept open so the inode cannot be reused while we trust the cache
    size: int
    mtime_ns: int
    ino: int


class SiteStore:
    """One TinyDB file, shared by every thread of this process.

    ``check``, if given, judges the records' shapes each time the file is parsed; what it
    raises (``ValueError``) makes the file unusable like one that does not parse.
    """

    def __init__(self, path: Path | str, check: Callable[[dict], None] | None = None):
        self.path = Path(path)
        self.check = check
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._changed = threading.Condition()  # guards the queue and the committing flag
        self._committing = False
        self._queue: list[_Pending] = []
        self._awaiting_lock_since: float | None = None  # when the committing thread began to wait for the file
        self._lines: dict = {}  # (table, id) -> (document, encoded line) of the last write
        self.parse_count = 0  # how many times the file was parsed (for tests/bench)
        self.write_count = 0  # how many files were written

    # reading -------------------------------------------------------------------
    def read(self) -> Snapshot:
        """A snapshot of the current content; parses only if the file changed."""
        return Snapshot(self._current())

    def _current(self) -> dict:
        with self._load_lock:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                self._forget()
                return {}
            cached = self._loaded
            if (
                cached is not None
                and os.fstat(cached.fd).st_ino == st.st_ino
                and cached.ino == st.st_ino
                and cached.size == st.st_size
                and cached.mtime_ns == st.st_mtime_ns
            ):
                return cached.tables
            fd = os.open(self.path, os.O_RDONLY)
            try:
                fst = os.fstat(fd)
                if fst.st_size > MAX_STORE_BYTES:  # never read into memory
                    raise CorruptStoreError(self.path, f"larger than {MAX_STORE_BYTES // (1024 * 1024)} MB")
                raw = _read_all(fd)
                tables = parse(self.path, raw)
                if self.check is not None:
                    try:
                        self.check(tables)
                    except ValueError as exc:
                        raise CorruptStoreError(self.path, f"a record of the wrong shape: {exc}",
                                                getattr(exc, "where", str(exc))) from None
            except BaseException:
                os.close(fd)
                raise
            self.parse_count += 1
            self._forget()
            self._loaded = _Loaded(tables, fd, fst.st_size, fst.st_mtime_ns, fst.st_ino)
            return tables

    def _forget(self) -> None:
        if self._loaded is not None:
            os.close(self._loaded.fd)
            self._loaded = None

    def close(self) -> None:
        with self._load_lock:
            self._forget()

    # writing -------------------------------------------------------------------
    def write(self, fn: Callable[[Transaction], Any], user: str | None = None) -> Any:
        """Run ``fn(tx)`` under the locks and commit what it changed.

        If ``fn`` raises, its changes are undone and the exception is raised
        here; other writers in the same batch are not affected. When this
        returns, the change is on disk (fsync'ed). ``StoreBusyError`` (nothing
        written) if the file cannot be had within ``LOCK_WAIT_SECONDS``.
        """
        pending = _Pending(fn, user)
        batch = None
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        with self._changed:
            if self._stuck():
                raise StoreBusyError(self.path)
            self._queue.append(pending)
            # Wait while another thread commits; it may take this change with it.
            while self._committing and not pending.done:
                self._changed.wait(timeout=STUCK_SECONDS / 2)
                if pending in self._queue and (self._stuck() or time.monotonic() > deadline):
                    self._queue.remove(pending)  # not taken by a batch: leave without a trace
                    raise StoreBusyError(self.path)
            if not pending.done:  # lead the next batch: everything queued so far
                self._committing = True
                batch, self._queue = self._queue, []
        if batch is not None:
            try:
                self._commit(batch, deadline)
            finally:
                with self._changed:
                    self._committing = False
                    self._awaiting_lock_since = None
                    self._changed.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _stuck(self) -> bool:
        """Whether the committing thread has awaited the file's lock too long already (call with the lock)."""
        since = self._awaiting_lock_since
        return since is not None and time.monotonic() - since > STUCK_SECONDS

    def _commit(self, batch: list[_Pending], deadline: float) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with self._changed:
                self._awaiting_lock_since = time.monotonic()
            lock = FileLock(str(self.lock_path), timeout=max(0.0, deadline - time.monotonic()),
                            poll_interval=LOCK_POLL_SECONDS)
            with lock:
                with self._changed:
                    self._awaiting_lock_since = None
                committed = self._current()
                tx = Transaction(dict(committed), None)
                for pending in batch:
                    tx.user = pending.user
                    mark = tx._mark()
                    try:
                        pending.result = pending.fn(tx)
                    except Exception as exc:  # the operation's own refusal
                        tx._rollback(mark)
                        pending.error = exc
                if tx.changed:
                    tx._bump_revision()
                    content = serialise(tx._tables, self._lines)
                    if len(content) > MAX_STORE_BYTES:
                        self._lines.clear()
                        self._fail(batch, StoreTooLargeError(self.path, len(content)))
                        return
                    try:
                        write_atomically(self.path, content)
                    except OSError as exc:
                        self._lines.clear()  # they describe content that was not written
                        self._fail(batch, StoreWriteError(self.path, exc))
                        return
                    self.write_count += 1
                    self._adopt(tx._tables)
        except Timeout:
            error = StoreBusyError(self.path)
            for pending in batch:
                pending.error = pending.error or error
        except BaseException as exc:
            for pending in batch:
                if pending.error is None:
                    pending.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for pending in batch:
                pending.done = True

    @staticmethod
    def _fail(batch: list[_Pending], error: StoreError) -> None:
        """Nothing of the batch was written: each change that had succeeded gets ``error``."""
        for pending in batch:
            if pending.error is None:
                pending.error = error
                pending.result = None

    def _adopt(self, tables: dict) -> None:
        """Trust what we just wrote as the cache, without parsing it again."""
        with self._load_lock:
            fd = os.open(self.path, os.O_RDONLY)
            st = os.fstat(fd)
            self._forget()
            self._loaded = _Loaded(tables, fd, st.st_size, st.st_mtime_ns, st.st_ino)


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# --------------------------------------------------------------------------
# Registry of open stores (one object per file per process)
# --------------------------------------------------------------------------

_stores: dict[Path, SiteStore] = {}
_stores_lock = threading.Lock()


def open_store(path: Path | str, check: Callable[[dict], None] | None = None) -> SiteStore:
    path = Path(path).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = SiteStore(path, check)
        return store


def site_path(instance_path: Path | str, code: str) -> Path:
    folder = (Path(instance_path) / "sites").resolve()
    path = (folder / f"{validate_site_code(code)}.json").resolve()
    if path.parent != folder:  # belt and braces: the pattern already forbids this
        raise InvalidSiteCode(code)
    return path


def store_for_site(instance_path: Path | str, code: str) -> SiteStore:
    from .shapes import check_site_file

    return open_store(site_path(instance_path, code), check_site_file)


def registry_store(instance_path: Path | str) -> SiteStore:
    """The portal-wide file: sites registry and users."""
    from .shapes import check_registry_file

    return open_store(Path(instance_path) / "portal.json", check_registry_file)
