"""The portal's identity: a random id made once, with the instance, and kept by its backups.

Exports name the portal they came from by it (``transfer/manifest.py``), so that a sync can tell
one portal's revisions from another's. It is made when the instance is first used, whole or not at
all (``storage.create_once``: a full disk leaves no file, never an empty one), and a backup carries it.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from . import storage

PORTAL_ID_FILE = "portal_id"
PORTAL_ID_RE = re.compile(r"[0-9a-f]{16}")


def ensure_portal_id(instance: Path | str) -> str:
    """The instance's id, made now if it has none (or an unusable one, as an earlier full disk could leave)."""
    path = Path(instance) / PORTAL_ID_FILE
    found = read_portal_id(instance)
    if found:
        return found
    new = secrets.token_hex(8)
    if path.exists():  # empty or damaged: replaced whole
        storage.write_atomically(path, (new + "\n").encode("ascii"))
    elif not storage.create_once(path, (new + "\n").encode("ascii")):
        return read_portal_id(instance) or ensure_portal_id(instance)  # made by another process meanwhile
    return new


def read_portal_id(instance: Path | str) -> str | None:
    try:
        text = (Path(instance) / PORTAL_ID_FILE).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text if PORTAL_ID_RE.fullmatch(text) else None
