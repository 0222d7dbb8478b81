"""Backups of a whole instance: ``flask --app portal backup --out FILE.zip`` and ``restore FILE.zip``.

A backup is a zip of every data file a deployment owns (the TinyDB stores, ``secret_key``,
``portal_id`` and the program's recorded voices in ``recordings/``) and a manifest with the SHA-256 of each. Never
``config.py`` or any other code: a backup is data, and a file in it that would run (a ``config.py`` added with its
sum written into the manifest) must never reach the instance folder, where the portal would run it at its next
start. Each store is read while holding the file lock its writers hold, so it can be taken while the portal runs;
each file is then consistent in itself (files are read one after another, not at one single moment).
Left out: lock files, temporary files, ``cache/`` (with the synthetic speech, made again from ``forms/``), and the
sign-ins and guessing counters
(``logins.json``, ``throttle.json``): restoring them would reopen sessions that were closed.

A restore checks everything before it writes anything: the manifest, every sum, that no file
was added or removed, that every file is one of the portal's data files, and that every store
parses and has the shape the portal reads (``shapes.py``). It only fills an empty instance (one
without stores; the ``secret_key`` the portal creates on its first start is replaced by the
backup's, which the one-time codes need), and never while a server holds the instance
(``storage.instance_in_use``): the server would go on with the old key and files.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import subprocess
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import click
from filelock import FileLock
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from . import shapes, storage
from .audio import recordings
from .commands import cannot_write, os_problem
from .i18n import date_time
from .numbers import count
from .paths import PROJECT_ROOT

MANIFEST = "backup-manifest.json"
FORMAT = "portal-backup"
FORMAT_VERSION = 1
NOT_BACKED_UP = frozenset({"logins.json", "throttle.json"})  # sessions and counters, not data
PLAIN_FILES = ("secret_key", "portal_id")  # portal_id: who made an export (transfer/manifest.py)
SETTINGS = "config.py"  # backups made before issue 22 held it: it is code, so a restore leaves it out
PLAIN_RE = {"secret_key": re.compile(r"[0-9a-f]{64}\n?"), "portal_id": re.compile(r"[0-9a-f]{16}\n?")}
STORE_NAME_RE = re.compile(r"^[a-z0-9_]+\.json$")  # stores at the top of the instance folder


class BackupError(Exception):
    """A backup that cannot be taken or restored; the message is for the person."""


# --------------------------------------------------------------------------
# What a backup holds
# --------------------------------------------------------------------------

def is_store(name: str) -> bool:
    return name.endswith(".json")


def member_allowed(name: str) -> bool:
    """A name a backup may hold: a file of the instance, never a path out of it."""
    if name in PLAIN_FILES:
        return True
    if name.startswith("sites/"):
        code = name[len("sites/"):].removesuffix(".json")
        return name.endswith(".json") and storage.SITE_CODE_RE.fullmatch(code) is not None
    if name.startswith(f"{recordings.FOLDER}/"):
        return recordings.NAME_RE.fullmatch(name[len(recordings.FOLDER) + 1:]) is not None
    return STORE_NAME_RE.fullmatch(name) is not None and name not in NOT_BACKED_UP


def instance_files(instance: Path) -> list[str]:
    """The names (relative, with '/') of the instance's files a backup holds."""
    names = [p.name for p in sorted(instance.glob("*.json"))]
    names += [f"sites/{p.name}" for p in sorted((instance / "sites").glob("*.json"))]
    names += [name for name in PLAIN_FILES if (instance / name).is_file()]
    names += [f"{recordings.FOLDER}/{p.name}" for p in sorted((instance / recordings.FOLDER).glob("rec-*.ogg"))]
    return [name for name in names if member_allowed(name)]


def store_of(instance: Path, name: str) -> storage.SiteStore:
    """The store of a file, opened the way the portal opens it."""
    if name == "portal.json":
        return storage.registry_store(instance)
    if name.startswith("sites/"):
        return storage.store_for_site(instance, name[len("sites/"):-len(".json")])
    return storage.open_store(instance / name)


def read_member(instance: Path, name: str) -> bytes:
    """A file's bytes; a store's under the lock its writers hold, and checked to parse."""
    path = instance / name
    if not is_store(name):
        return path.read_bytes()
    lock = FileLock(str(store_of(instance, name).lock_path), timeout=storage.LOCK_TIMEOUT_SECONDS)
    with lock:
        raw = path.read_bytes()
    storage.parse(path, raw)
    return raw


@functools.cache
def portal_version() -> str | None:
    """The commit the portal runs (when it runs from a git clone)."""
    try:
        # safe.directory: the service's user reads a clone that root owns
        done = subprocess.run(["git", "-c", f"safe.directory={PROJECT_ROOT}", "-C", str(PROJECT_ROOT), "describe",
                               "--always", "--dirty"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


# --------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------

@dataclass
class Summary:
    files: int
    sites: int
    created_at: str


def backup_zip(instance: Path, questionnaires: dict) -> tuple[bytes, Summary]:
    """The zip of the instance, and what it holds."""
    files = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in instance_files(instance):
            raw = read_member(instance, name)
            zf.writestr(name, raw)
            files[name] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": storage.now_iso(),
                    "portal_version": portal_version(),
                    "questionnaires": {qid: q.version for qid, q in sorted(questionnaires.items())},
                    "files": files}
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    sites = sum(name.startswith("sites/") for name in files)
    return buffer.getvalue(), Summary(len(files), sites, manifest["created_at"])


def write_backup(instance: Path, out: Path, questionnaires: dict) -> Summary:
    content, summary = backup_zip(instance, questionnaires)
    out.parent.mkdir(parents=True, exist_ok=True)
    storage.write_atomically(out, content)
    return summary


# --------------------------------------------------------------------------
# Restore
# --------------------------------------------------------------------------

def read_backup(source: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every file of a backup, each checked; BackupError if anything is off."""
    try:
        with zipfile.ZipFile(source) as zf:
            names = zf.namelist()
            if MANIFEST not in names:
                raise BackupError(not_a_backup(source))
            manifest = read_manifest(source, zf.read(MANIFEST))
            files = {name: v for name, v in manifest["files"].items() if name != SETTINGS}
            names = [name for name in names if name != SETTINGS]
            differ = sorted((set(names) - {MANIFEST}) ^ set(files))
            twice = sorted(name for name, n in Counter(names).items() if n > 1)
            if differ or twice:
                raise BackupError(tampered(source, (differ or twice)[0]))
            contents = {name: _checked_member(source, zf, name, files[name]) for name in sorted(files)}
    except zipfile.BadZipFile:
        raise BackupError(not_a_backup(source)) from None
    except OSError as exc:
        raise BackupError(_("%(path)s could not be read (%(problem)s).", path=source,
                            problem=os_problem(exc))) from None
    return manifest, contents


def read_manifest(source: Path, raw: bytes) -> dict:
    """The manifest of the backup ``source`` from its raw bytes; BackupError if it is not one this portal reads."""
    try:
        manifest = storage.load_json(raw)
    except ValueError:
        raise BackupError(not_a_backup(source)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(not_a_backup(source))
    if not isinstance(manifest.get("files"), dict):
        raise BackupError(tampered(source, MANIFEST))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(_("%(path)s was made by a newer version of the portal; update the portal before "
                            "restoring it.", path=source))
    return manifest


def _checked_member(source: Path, zf: zipfile.ZipFile, name: str, expected) -> bytes:
    if not member_allowed(name) or not isinstance(expected, dict):
        raise BackupError(tampered(source, name))
    if zf.getinfo(name).file_size != expected.get("bytes"):  # checked before it is decompressed
        raise BackupError(tampered(source, name))
    try:
        raw = zf.read(name)
    except (zipfile.BadZipFile, zlib.error):  # its compressed bytes were changed
        raise BackupError(tampered(source, name)) from None
    if hashlib.sha256(raw).hexdigest() != expected.get("sha256"):
        raise BackupError(tampered(source, name))
    problem = _data_problem(name, raw)
    if problem:
        raise BackupError(_("%(name)s in the backup is not valid data (%(problem)s). Nothing was restored.",
                            name=name, problem=problem))
    return raw


def _data_problem(name: str, raw: bytes) -> str | None:
    """Why a file of a backup is not what the portal would read there (None if it is)."""
    if name.startswith(f"{recordings.FOLDER}/"):  # a recording the portal made: Ogg, never anything that runs
        return None if raw.startswith(b"OggS") else _("not an audio recording")
    if not is_store(name):
        return None if PLAIN_RE[name].fullmatch(raw.decode("ascii", "replace")) else "?"
    try:
        tables = storage.parse(Path(name), raw)
        check = shapes.check_registry_file if name == "portal.json" else \
            shapes.check_site_file if name.startswith("sites/") else None
        if check is not None:
            check(tables)
    except storage.CorruptStoreError as exc:
        return exc.detail
    except ValueError as exc:  # a record of the wrong shape
        return str(exc)
    return None


def not_a_backup(source: Path) -> str:
    return _("%(path)s is not a backup of the portal (made with flask --app portal backup). Nothing was "
             "restored.", path=source)


def tampered(source: Path, name: str) -> str:
    return _("%(path)s does not match its own list of files and sums (%(name)s): it was changed or damaged "
             "after the backup was made. Nothing was restored.", path=source, name=name)


def data_in(instance: Path) -> list[str]:
    """What an instance holds that a restore would overwrite (its secret key and its portal id excepted)."""
    return [name for name in instance_files(instance) if name not in ("secret_key", "portal_id")]


def restore(instance: Path, source: Path) -> Summary:
    if storage.instance_in_use(instance):
        raise BackupError(_("A server is running on the instance %(path)s. Stop it first (sudo systemctl stop "
                            "portal, or Ctrl+C), then run the restore again. Nothing was restored.", path=instance))
    manifest, contents = read_backup(source)
    present = data_in(instance)
    if present:
        raise BackupError(_("The instance %(path)s already holds data (%(name)s). A backup is restored only into "
                            "an empty instance: stop the portal, move that folder aside, and run the restore again.",
                            path=instance, name=present[0]))
    (instance / "sites").mkdir(mode=0o700, parents=True, exist_ok=True)
    (instance / recordings.FOLDER).mkdir(mode=0o700, exist_ok=True)
    # The registry last: until it is written, the instance shows no sites and no users.
    for name in sorted(contents, key=lambda n: (n == "portal.json", n)):
        if is_store(name):
            with FileLock(str(store_of(instance, name).lock_path), timeout=storage.LOCK_TIMEOUT_SECONDS):
                storage.write_atomically(instance / name, contents[name])
        else:
            storage.write_atomically(instance / name, contents[name])
    sites = sum(name.startswith("sites/") for name in contents)
    return Summary(len(contents), sites, manifest.get("created_at") or "?")


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

@click.command("backup")
@with_appcontext
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The zip file to write.")
def backup_command(out: str) -> None:
    """Copy the whole instance into a zip, while the portal runs, with the SHA-256 of every file."""
    with force_locale("es"):
        try:
            summary = write_backup(Path(current_app.instance_path), Path(out),
                                   current_app.extensions["questionnaires"])
        except storage.CorruptStoreError as exc:
            raise click.ClickException(_("The backup was not written: %(path)s cannot be read (%(problem)s). "
                                         "Repair that file, then run the backup again.", path=exc.path,
                                         problem=exc.detail)) from None
        except OSError as exc:
            raise click.ClickException(cannot_write(exc, out)) from None
        click.echo(_("Backup of %(files)s (%(sites)s) written in %(path)s.", **_counted(summary), path=out))


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(dir_okay=False))
def restore_command(source: str) -> None:
    """Put a backup into an empty instance (stop the portal first); a changed backup is refused."""
    with force_locale("es"):
        instance = Path(current_app.instance_path)
        try:
            summary = restore(instance, Path(source))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(cannot_write(exc, instance)) from None
        try:
            when = date_time(summary.created_at)
        except (TypeError, ValueError):  # the manifest's time is not checked by any sum
            when = summary.created_at
        click.echo(_("Restored %(files)s (%(sites)s) of the backup of %(when)s into %(path)s.", **_counted(summary),
                     when=when, path=instance))


def _counted(summary: Summary) -> dict[str, str]:
    """The files and sites of a backup, each with its plural form."""
    return {"files": ngettext("%(count)s file", "%(count)s files", summary.files, count=count(summary.files)),
            "sites": ngettext("%(count)s site", "%(count)s sites", summary.sites, count=count(summary.sites))}
