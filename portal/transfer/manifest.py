"""The manifest of an export: which site, from which portal, at which revision and when, and the SHA-256
of each file, so that a sync can tell an export of another site, an older one or an edited one.

``manifest.json`` sits beside the CSV files (PRODUCT.md §8). Besides the checksums it lists the
codes of the records withdrawn and erased at the site (never their content), so that a sync can
carry a withdrawal or an erasure to the state's portal. A de-identified copy has a manifest too,
which says so and lists no code.
"""
from __future__ import annotations

import hashlib
import json
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from flask import current_app
from flask_babel import gettext as _

from ..corrections import ERASED
from ..i18n import date_time
from ..identity import ensure_portal_id
from ..storage import WITHDRAWN, Snapshot, load_json, revision
from .layout import FILE_NAMES
from .problems import Problem

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    site: str
    portal_id: str
    portal_name: str
    revision: int
    exported_at: str  # ISO 8601, UTC
    deidentified: bool
    files: dict[str, str]  # file name -> SHA-256 (hex)
    withdrawn: dict[str, list] = field(default_factory=dict)  # participants/sessions: keys; responses: [qid, code]
    erased: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # the site's groups (one may have sessions and no man left)

    def when(self) -> str:
        """The export time as a person reads it: dd/mm/aaaa hh:mm, in the portal's time zone."""
        return moment(self.exported_at)

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "site": self.site, "portal": {"id": self.portal_id, "name": self.portal_name},
                "revision": self.revision, "exported_at": self.exported_at, "deidentified": self.deidentified,
                "files": self.files, "withdrawn": self.withdrawn, "erased": self.erased, "groups": self.groups}
        return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def moment(iso: str) -> str:
    """dd/mm/aaaa hh:mm of a stored UTC time, in the portal's time zone."""
    return date_time(parse_moment(iso))


def parse_moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def portal_identity() -> tuple[str, str]:
    """(id, name) of this portal: a random id kept in the instance folder (made with the instance, see
    ``identity.py``), and ``PORTAL_NAME`` or the machine's name."""
    portal_id = ensure_portal_id(current_app.instance_path)
    return portal_id, current_app.config.get("PORTAL_NAME") or socket.gethostname()


def make_manifest(site: str, snapshot: Snapshot, files: Mapping[str, bytes], deidentified: bool) -> Manifest:
    portal_id, portal_name = portal_identity()
    withdrawn: dict[str, list] = {}
    erased: list[str] = []
    groups: list[str] = []
    if not deidentified:
        groups = sorted(g["code"] for g in snapshot.all("groups"))
        every = snapshot.with_withdrawn()
        withdrawn = {
            "participants": sorted(p["code"] for p in every.all("participants") if p.get(WITHDRAWN)),
            "sessions": sorted(s["session_id"] for s in every.all("sessions") if s.get(WITHDRAWN)),
            "responses": sorted([r["questionnaire"], r["participant_code"]] for r in every.all("responses")
                                if r.get(WITHDRAWN)),
        }
        erased = sorted(e["code"] for e in snapshot.all(ERASED))
    exported_at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    return Manifest(site, portal_id, portal_name, revision(snapshot), exported_at, deidentified,
                    {name: checksum(content) for name, content in sorted(files.items())}, withdrawn, erased, groups)


class ManifestProblem(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.problem = Problem(MANIFEST, None, None, message)


def read_manifest(files: Mapping[str, bytes]) -> Manifest:
    """The manifest of the files of an export; ManifestProblem (in Spanish) if it is absent or cannot be read."""
    raw = files.get(MANIFEST)
    if raw is None:
        raise ManifestProblem(_(
            "These files have no manifest.json, so they are not an export of the portal as it was made: a sync "
            "takes only the ZIP file (or folder) of a portal's export, unchanged. To bring in a spreadsheet, "
            "import it without sync."))
    try:
        data = load_json(raw)
        portal = data["portal"]
        manifest = Manifest(
            site=_text(data["site"]), portal_id=_text(portal["id"]), portal_name=str(portal.get("name") or ""),
            revision=_whole(data["revision"]), exported_at=_moment(data["exported_at"]),
            deidentified=bool(data.get("deidentified")),
            files={_text(name): _text(digest) for name, digest in dict(data["files"]).items()},
            withdrawn={table: list(keys) for table, keys in dict(data.get("withdrawn") or {}).items()},
            erased=[_text(code) for code in data.get("erased") or []],
            groups=[_text(code) for code in data.get("groups") or []])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise ManifestProblem(_("manifest.json cannot be read: it was changed or damaged after the export. "
                                "Export the site's data again.")) from None
    if data.get("format") != FORMAT:
        raise ManifestProblem(_("manifest.json is of a format this portal does not know: update the portal."))
    return manifest


def _text(value) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(value)
    return value


def _whole(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10 ** 12:
        raise ValueError(value)
    return value


def _moment(value) -> str:
    if parse_moment(_text(value)).tzinfo is None:
        raise ValueError(value)
    return value


def file_problems(manifest: Manifest, files: Mapping[str, bytes]) -> list[Problem]:
    """The files that are not as the export wrote them: changed, missing, or added after it."""
    problems = []
    for name, digest in manifest.files.items():
        if name not in files:
            problems.append(Problem(name, None, None, _(
                "The export had this file and it is missing here: use the whole ZIP file of the export.")))
        elif checksum(files[name]) != digest:
            problems.append(Problem(name, None, None, _(
                "The file was changed after the export (it is not the one the portal wrote on %(day)s; opening it "
                "in Excel and saving it is enough to change it). Use the export as it was downloaded, or export "
                "the site's data again.", day=manifest.when())))
    for name in sorted(files):
        if name != MANIFEST and name not in manifest.files and (name in FILE_NAMES or name.lower().endswith(".csv")):
            problems.append(Problem(name, None, None, _(
                "The file is not part of the export made on %(day)s: take it out, or export the site's data "
                "again.", day=manifest.when())))
    return problems
