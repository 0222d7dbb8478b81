"""Files uploaded for an import, kept between the check a person reads and the confirmation.

The page shows what the import or sync would change (a dry run); the files wait in the instance
folder (``pending-imports/``, one ZIP file each, written atomically) until the same person
confirms or cancels, at most ``MAX_AGE_SECONDS`` (older ones are removed whenever the folder is
used, and by the portal's regular sweep). Nobody else can take them: the token is random and bound
to the site and the user. A sync that would erase men, uploaded by someone who is not an
administrator, waits for one (``for_admin``): any administrator of this portal may take it.

They hold men's codes and answers: erasing a man removes every upload waiting for his site
(``drop_site``).
"""
from __future__ import annotations

import io
import json
import re
import secrets
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from ..storage import load_json, write_atomically

FOLDER = "pending-imports"
MAX_AGE_SECONDS = 3600
ABOUT = "_pending.json"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


def _folder(instance: Path | str) -> Path:
    return Path(instance) / FOLDER


def _path(instance: Path | str, token: str) -> Path | None:
    return _folder(instance) / f"{token}.zip" if TOKEN_RE.fullmatch(token or "") else None


@dataclass(frozen=True)
class Kept:
    """Files kept for a confirmation, and who kept them."""

    token: str
    site: str
    user: str
    mode: str
    at: float  # when (seconds since the epoch)
    for_admin: bool
    files: dict[str, bytes]

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.at, timezone.utc)


def keep(instance: Path | str, site: str, user: str, mode: str, files: Mapping[str, bytes],
         for_admin: bool = False) -> str:
    """Keep the files for a later confirmation; the token that names them."""
    sweep(instance)
    token = secrets.token_urlsafe(24)
    buffer = io.BytesIO()
    about = {"site": site, "user": user, "mode": mode, "at": time.time(), "for_admin": for_admin}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ABOUT, json.dumps(about))
        for name, content in files.items():
            archive.writestr(name, content)
    _folder(instance).mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(_path(instance, token), buffer.getvalue())
    return token


def take(instance: Path | str, token: str, site: str, user: str, is_admin: bool = False) -> Kept | None:
    """What was kept under ``token`` for this site and user (or for any administrator, if it waits for one),
    if it is still there and not too old."""
    kept = _open(_path(instance, token), with_files=True)
    if kept is None or kept.site != site or not (kept.user == user or (kept.for_admin and is_admin)):
        return None
    return kept


def waiting_for_admin(instance: Path | str, site: str) -> list[Kept]:
    """The syncs of ``site`` that wait for an administrator (without their files), oldest first."""
    sweep(instance)
    folder = _folder(instance)
    found = [_open(path) for path in sorted(folder.glob("*.zip"))] if folder.is_dir() else []
    return sorted((k for k in found if k is not None and k.site == site and k.for_admin), key=lambda k: k.at)


def _open(path: Path | None, with_files: bool = False) -> Kept | None:
    if path is None or not path.is_file():
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            about = load_json(archive.read(ABOUT))
            if time.time() - float(about["at"]) > MAX_AGE_SECONDS:
                return None
            files = {name: archive.read(name) for name in archive.namelist() if name != ABOUT} if with_files else {}
        return Kept(path.stem, str(about["site"]), str(about["user"]), str(about["mode"]), float(about["at"]),
                    about.get("for_admin") is True, files)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, RecursionError):
        return None


def drop(instance: Path | str, token: str) -> None:
    path = _path(instance, token)
    if path is not None:
        path.unlink(missing_ok=True)


def drop_site(instance: Path | str, site: str) -> None:
    """Remove every upload waiting for ``site`` (an erasure: none of them may keep the man's data)."""
    folder = _folder(instance)
    for path in sorted(folder.glob("*.zip")) if folder.is_dir() else []:
        kept = _open(path)
        if kept is None or kept.site == site:  # one that cannot be read may be his too
            path.unlink(missing_ok=True)


def sweep(instance: Path | str) -> None:
    """Remove the files nobody confirmed in time."""
    folder = _folder(instance)
    if not folder.is_dir():
        return
    for path in folder.glob("*.zip"):
        try:
            if time.time() - path.stat().st_mtime > MAX_AGE_SECONDS:
                path.unlink()
        except OSError:
            pass
