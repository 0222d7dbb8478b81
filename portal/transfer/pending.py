"""Files uploaded for an import, kept between the check a person reads and the confirmation.

The page shows what the import or sync would change (a dry run); the files wait in the instance
folder (``pending-imports/``, one ZIP file each, written atomically) until the same person
confirms or cancels, at most ``MAX_AGE_SECONDS``. Nobody else can take them: the token is random
and bound to the site and the user.
"""
from __future__ import annotations

import io
import json
import re
import secrets
import time
import zipfile
from pathlib import Path
from typing import Mapping

from ..storage import write_atomically

FOLDER = "pending-imports"
MAX_AGE_SECONDS = 3600
ABOUT = "_pending.json"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


def _folder(instance: Path | str) -> Path:
    return Path(instance) / FOLDER


def _path(instance: Path | str, token: str) -> Path | None:
    return _folder(instance) / f"{token}.zip" if TOKEN_RE.fullmatch(token or "") else None


def keep(instance: Path | str, site: str, user: str, mode: str, files: Mapping[str, bytes]) -> str:
    """Keep the files for a later confirmation; the token that names them."""
    sweep(instance)
    token = secrets.token_urlsafe(24)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ABOUT, json.dumps({"site": site, "user": user, "mode": mode, "at": time.time()}))
        for name, content in files.items():
            archive.writestr(name, content)
    _folder(instance).mkdir(parents=True, exist_ok=True)
    write_atomically(_path(instance, token), buffer.getvalue())
    return token


def take(instance: Path | str, token: str, site: str, user: str) -> tuple[str, dict[str, bytes]] | None:
    """(mode, files) kept under ``token`` for this site and user, if they are still there and not too old."""
    path = _path(instance, token)
    if path is None or not path.is_file():
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            about = json.loads(archive.read(ABOUT))
            if about["site"] != site or about["user"] != user or time.time() - about["at"] > MAX_AGE_SECONDS:
                return None
            files = {name: archive.read(name) for name in archive.namelist() if name != ABOUT}
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return None
    return about["mode"], files


def drop(instance: Path | str, token: str) -> None:
    path = _path(instance, token)
    if path is not None:
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
