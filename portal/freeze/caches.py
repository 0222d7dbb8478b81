"""The freeze's memory between builds, so that a rebuild redoes only what changed.

- each site's tallies (with its men's cell keys added up), under its file's size, time and inode
  (``read_sites``);
- the places of the last build into an output folder: each one's digest, and where its records lie in that
  build's data files, which a rebuild copies from (``load_records``, ``datafiles.EarlierData``).

Everything is kept under ``code_version``: a change to the code, templates, translations or questionnaires that
shape the output starts afresh. Files live in ``instance/cache/freeze/`` and are written atomically.
"""
from __future__ import annotations

import hashlib
import json
import pickle
from collections import Counter
from pathlib import Path
from typing import Callable

from .. import forked
from ..disclosure import CellKeys, secret_for
from ..indicators import SiteData, site_tallies
from ..paths import TRANSLATIONS_FOLDER
from ..registry import Site
from ..storage import CorruptStoreError, site_path, store_for_site, write_file, writing_atomically
from ..summary.model import SiteTallies, Summary

PACKAGE = Path(__file__).resolve().parent.parent
FAR_FUTURE = "9999-12-31"  # tallies count every attendance; no session is dated after the data's date


def code_version(questionnaires: dict | None = None) -> str:
    """Changes whenever the code, templates or questionnaire wording that shape the output change.

    Pages show the questionnaires' answer labels, so rewording a form redoes everything too.
    """
    digest = hashlib.sha256()
    for qid, form in sorted((questionnaires or {}).items()):
        try:
            digest.update(qid.encode() + Path(form.path).read_bytes())
        except OSError:
            digest.update(qid.encode() + repr(form.title).encode() + form.version.encode())
    sources = [PACKAGE / "indicators.py", PACKAGE / "disclosure.py", PACKAGE / "charts.py", PACKAGE / "labels.py",
               *sorted((PACKAGE / "freeze").glob("*.py")), PACKAGE / "numbers.py", PACKAGE / "i18n.py",
               *sorted((PACKAGE / "summary").rglob("*.*")), *sorted((PACKAGE / "templates" / "summary").glob("*")),
               *sorted(TRANSLATIONS_FOLDER.glob("*/LC_MESSAGES/*.mo"))]
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def cell_key_secret(instance_path: str) -> bytes:
    """The secret the men's cell keys are made from (``disclosure.CellKeys``): derived from the portal's own
    ``secret_key``, which the instance and its backups keep and nothing publishes."""
    return secret_for((Path(instance_path) / "secret_key").read_bytes().strip())


# Files an earlier version of the freeze kept here and nothing reads any more (the cell-suppression memo, which
# held which small counts were hidden): removed at the next build rather than left behind for ever.
LEFT_BEHIND = ("suppression.pickle",)


def forget_left_behind(cache: Path) -> None:
    for name in LEFT_BEHIND:
        (cache / name).unlink(missing_ok=True)


def read_site(instance_path: str, site: Site, secret: bytes | None = None) -> SiteTallies:
    """Tally one site's records, with its men's cell keys (the only place the freeze reads a site's file)."""
    secret = cell_key_secret(instance_path) if secret is None else secret
    store = store_for_site(instance_path, site.code)
    try:
        snapshot = store.read()
        data = SiteData(site.code, site.state, site.sessions, snapshot.all("participants"),
                        snapshot.all("sessions"), snapshot.all("responses"))
    finally:
        store.close()
    days = [p["enrolled_on"] for p in data.participants] + [s["date"] for s in data.sessions] + \
        [r["submitted_on"] for r in data.responses]
    return SiteTallies(site.code, site.name, site.state,
                       site_tallies(data, FAR_FUTURE, keys=CellKeys(secret, site.code)),
                       min(days, default=None), max(days, default=None))


def read_sites(instance_path: str, sites: list[Site], cache: Path, version: str,
               tick: Callable[[], None] = lambda: None, workers: int = 2) -> tuple[list[SiteTallies], int, list]:
    """(each site's tallies, how many were read again, [(code, problem)] of the damaged files left out).

    A site's tallies come from the cache when its file has not changed since (its size, time and inode); the
    others are read again, on ``workers`` forked processes when there are many.
    """
    found: dict[str, SiteTallies] = {}
    keys: dict[str, list] = {}
    secret = cell_key_secret(instance_path)
    fingerprint = hashlib.sha256(b"fingerprint" + secret).hexdigest()[:16]  # a new secret, new tallies
    for site in sites:
        path = site_path(instance_path, site.code)
        try:
            st = path.stat()
            keys[site.code] = [st.st_size, st.st_mtime_ns, st.st_ino, site.name, site.state, site.sessions, version,
                               fingerprint]
        except FileNotFoundError:
            keys[site.code] = [None, site.name, site.state, site.sessions, version, fingerprint]
        try:
            saved = json.loads((cache / "sites" / f"{site.code}.json").read_text(encoding="utf-8"))
            if saved["key"] == keys[site.code]:
                found[site.code] = SiteTallies(site.code, site.name, site.state,
                                               {p: Counter(t) for p, t in saved["tallies"].items()},
                                               saved["first_day"], saved["last_day"])
                tick()
        except (OSError, ValueError, KeyError):
            pass
    stale = [site for site in sites if site.code not in found]
    skipped = []
    # many sites are read on forked processes; a handful is not worth the fork
    read = forked.run(_read_or_say, stale, shared=(instance_path, secret), workers=workers, least=20, tick=tick)
    for site, tallies in zip(stale, read):
        if isinstance(tallies, str):  # left out, and said: the rest of the summary is built
            skipped.append((site.code, tallies))
            continue
        found[site.code] = tallies
        write_file(cache / "sites" / f"{site.code}.json",
                   json.dumps({"key": keys[site.code], "tallies": tallies.tallies, "first_day": tallies.first_day,
                               "last_day": tallies.last_day}))
    result = []
    for site in sites:
        if site.code in found:
            found[site.code].digest = hashlib.sha1(json.dumps(keys[site.code]).encode()).hexdigest()
            result.append(found[site.code])
    return result, len(stale) - len(skipped), skipped


def _read_or_say(instance_path: str, secret: bytes, site: Site) -> SiteTallies | str:
    """A site's tallies, or what is wrong with its file."""
    try:
        return read_site(instance_path, site, secret)
    except CorruptStoreError as exc:
        return exc.record or exc.detail


def load_records(path: Path, version: str) -> tuple[dict, dict]:
    """(scope -> its digest, where each scope lies in the data files) of the last build into the same folder."""
    try:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)
        if saved.get("version") == version and isinstance(saved.get("layout"), dict):
            return saved["scopes"], saved["layout"]
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, KeyError, TypeError):
        pass
    return {}, {}


def save_records(path: Path, version: str, summary: Summary, layout: dict) -> None:
    scopes = {key: scope.digest for key, scope in summary.scopes.items()}
    _write_pickle(path, {"version": version, "scopes": scopes, "layout": layout})


def _write_pickle(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with writing_atomically(path) as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
