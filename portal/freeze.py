"""``flask --app portal freeze``: the coordinators' static summary site, its data files and its zip.

Steps: each site's tallies (cached per site file, so only changed sites are
read again), summed to states and the country and suppressed
(``summary.model``); the pages frozen with Frozen-Flask from an app that holds
the summary blueprint alone (a page whose content did not change is not
rendered again); ``data/indicators.json`` and ``data/indicators.csv``; the
``SHA256SUMS`` manifest; one zip beside the folder.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import pickle
import struct
import time
import zlib
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

import flask_babel
from flask import Flask
from flask_babel import force_locale
from flask_frozen import Freezer, MissingURLGeneratorWarning

from . import TRANSLATIONS_FOLDER, i18n
from .disclosure import flatten
from .indicators import SiteData, site_tallies
from .registry import Site
from .storage import CorruptStoreError, site_path, store_for_site
from .summary.model import Record, SiteTallies, Summary, summarise

PACKAGE = Path(__file__).resolve().parent
MANIFEST = "SHA256SUMS"
DATA_FILES = ("data/indicators.json", "data/indicators.csv")
FAR_FUTURE = "9999-12-31"  # tallies count every attendance; no session is dated after the data's date


class FreezeError(Exception):
    """The summary cannot be built; the message is for a person."""


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
    sources = [PACKAGE / "indicators.py", PACKAGE / "disclosure.py", PACKAGE / "charts.py", PACKAGE / "freeze.py",
               PACKAGE / "numbers.py", PACKAGE / "i18n.py",
               *sorted((PACKAGE / "summary").rglob("*.*")), *sorted((PACKAGE / "templates" / "summary").glob("*")),
               *sorted(TRANSLATIONS_FOLDER.glob("*/LC_MESSAGES/*.mo"))]
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


# --- each site's tallies, cached ------------------------------------------------------------------------------

def read_site(instance_path: str, site: Site) -> SiteTallies:
    """Tally one site's records (the only place the freeze reads a site's file)."""
    store = store_for_site(instance_path, site.code)
    try:
        snapshot = store.read()
        data = SiteData(site.code, site.state, site.sessions, snapshot.all("participants"),
                        snapshot.all("sessions"), snapshot.all("responses"))
    finally:
        store.close()
    days = [p["enrolled_on"] for p in data.participants] + [s["date"] for s in data.sessions] + \
        [r["submitted_on"] for r in data.responses]
    return SiteTallies(site.code, site.name, site.state, site_tallies(data, FAR_FUTURE),
                       min(days, default=None), max(days, default=None))


def cached_site(instance_path: str, site: Site, cache: Path, version: str) -> tuple[SiteTallies, bool]:
    """The site's tallies from the cache when its file has not changed since; True when it was read again."""
    path = site_path(instance_path, site.code)
    try:
        st = path.stat()
        key = [st.st_size, st.st_mtime_ns, st.st_ino, site.name, site.state, site.sessions, version]
    except FileNotFoundError:
        key = [None, site.name, site.state, site.sessions, version]
    digest = hashlib.sha1(json.dumps(key).encode()).hexdigest()
    cache_file = cache / "sites" / f"{site.code}.json"
    try:
        saved = json.loads(cache_file.read_text(encoding="utf-8"))
        if saved["key"] == key:
            return SiteTallies(site.code, site.name, site.state,
                               {p: Counter(t) for p, t in saved["tallies"].items()},
                               saved["first_day"], saved["last_day"], digest), False
    except (OSError, ValueError, KeyError):
        pass
    tallies = read_site(instance_path, site)
    tallies.digest = digest
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    _write_text(cache_file, json.dumps({"key": key, "tallies": tallies.tallies, "first_day": tallies.first_day,
                                        "last_day": tallies.last_day}))
    return tallies, True


# --- the pages --------------------------------------------------------------------------------------------------

def create_summary_app(summary: Summary, questionnaires: dict, destination: Path) -> Flask:
    """An app with the summary blueprint alone: nothing else exists to be crawled into the static site."""
    app = Flask("portal", root_path=str(PACKAGE), static_folder=None)
    app.config.update(
        BABEL_DEFAULT_LOCALE="es", BABEL_DEFAULT_TIMEZONE="America/Mexico_City",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_FOLDER), LANGUAGES=("es",),
        SUPPRESSION_K=summary.k,
        FREEZER_DESTINATION=str(destination.resolve()),
        FREEZER_RELATIVE_URLS=True,
    )
    i18n.init_app(app)
    # one language for the whole build: look each template string up once, not on every page
    translated: dict[str, str] = {}

    def gettext_once(text: str) -> str:
        if text not in translated:
            translated[text] = flask_babel.gettext(text)
        return translated[text]

    app.jinja_env.install_gettext_callables(gettext_once, flask_babel.ngettext, newstyle=True)
    app.extensions["summary"] = summary
    app.extensions["questionnaires"] = questionnaires
    from .summary import bp

    app.register_blueprint(bp)
    return app


def page_list(summary: Summary) -> list[tuple[str, dict]]:
    """Every page: home, methodology, each state's and site's overview, and a page per scope and year (its
    months are columns of that page, not pages of their own)."""
    pages = [("summary.home", {}), ("summary.methodology", {})]
    for key, scope in summary.scopes.items():
        if key != "all":
            pages.append(("summary.overview", {"slug": scope.slug}))
        pages.extend(("summary.year", {"slug": scope.slug, "year": year}) for year in scope.years)
    return pages


def changed_pages(summary: Summary, earlier: dict[str, str], existing: set[str],
                  edited: set[str] = frozenset()) -> list[tuple[str, dict]]:
    """The pages to render: those of every scope whose digest changed, any page missing or changed by
    hand since the last build (``edited``), home and methodology.

    A scope's pages show only its own records, its children's (a subset of
    its sites) and names and dates that come from those sites, so equal
    digests mean equal pages. ``earlier`` maps scope -> digest of the last build.
    """
    pages = []
    for endpoint, values in page_list(summary):
        scope = summary.by_slug(values.get("slug", ""))
        path = page_path(endpoint, values)
        if scope is None or earlier.get(scope.key) != scope.digest or path not in existing or path in edited:
            pages.append((endpoint, values))
    return pages


def page_path(endpoint: str, values: dict) -> str:
    """Where a page lands in the folder (Frozen-Flask's rule: a folder URL gets index.html)."""
    if endpoint == "summary.home":
        return "index.html"
    if endpoint == "summary.methodology":
        return "metodologia.html"
    if endpoint == "summary.overview":
        return f"{values['slug']}/index.html"
    return f"{values['slug']}/{values['year']}.html"


def _freeze_part(app: Flask, pages: list[tuple[str, dict]], with_static: bool, tick: Callable[[], None]) -> None:
    """Freeze some of the pages with Frozen-Flask."""
    app.config["FREEZER_REMOVE_EXTRA_FILES"] = False  # the build removes stale files once every part is done
    freezer = Freezer(app, with_no_argument_rules=False, log_url_for=False, with_static_files=False)
    freezer.register_generator(lambda: iter(pages))
    if with_static:
        freezer.register_generator(lambda: (("summary.static", {"filename": name})
                                            for name in sorted(os.listdir(PACKAGE / "summary" / "static"))))
    with force_locale("es"), warnings.catch_warnings():
        # a part holds some endpoints only; every endpoint is in the whole list (``page_list``)
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        for page in freezer.freeze_yield():
            if page.path.suffix == ".html":
                tick()


_FORKED: dict = {}


def _forked_part(index: int) -> None:
    """A worker process's share of the pages (the app and lists come with the fork)."""
    app, parts, queue = _FORKED["job"]
    _freeze_part(app, parts[index], index == 0, lambda: queue.put(1))


def freeze_pages(app: Flask, pages: list[tuple[str, dict]], progress: Callable[[], None], workers: int = 2) -> None:
    """Render the pages, on ``workers`` processes when there are many."""
    if workers < 2 or len(pages) < 500 or "fork" not in multiprocessing.get_all_start_methods():
        _freeze_part(app, pages, True, progress)
        return
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    _FORKED["job"] = (app, [pages[i::workers] for i in range(workers)], queue)
    try:
        with context.Pool(workers) as pool:
            result = pool.map_async(_forked_part, range(workers))
            for _ in range(len(pages)):
                while not result.ready() and queue.empty():
                    result.wait(0.05)
                if queue.empty():
                    break
                queue.get()
                progress()
            result.get()
    finally:
        _FORKED.clear()


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete what an earlier build wrote and this one did not (a site or a month that is gone)."""
    for rel in site_files(folder):
        if rel not in keep and rel != MANIFEST and rel not in DATA_FILES:
            (folder / rel).unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()


class StoredRecord(Record):
    """A record kept from the last build: its figures are read back from its JSON line only when a page needs them."""

    def __init__(self, hidden: dict[str, str], text: tuple[str, str, str]):
        self.hidden, self.text, self._values = hidden, text, None

    @property
    def values(self) -> dict:
        if self._values is None:
            values = json.loads(self.text[1])
            for key in ("scope", "period", "suppressed"):
                del values[key]
            self._values = values
        return self._values


def load_records(path: Path, version: str) -> dict:
    """scope -> (digest, {period: (hidden, texts)}) from the last build into the same folder."""
    try:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)
        return saved["scopes"] if saved.get("version") == version else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, KeyError, TypeError):
        return {}


def load_memo(path: Path, version: str) -> dict:
    """The suppression's memory from the last build (``disclosure.publish_linked``), or an empty one."""
    try:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)
        return saved["memo"] if saved.get("version") == version and isinstance(saved.get("memo"), dict) else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, KeyError, TypeError):
        return {}


def save_memo(path: Path, version: str, memo: dict) -> None:
    _write_pickle(path, {"version": version, "memo": memo})


def _write_pickle(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temp, path)


def save_records(path: Path, version: str, summary: Summary, texts: dict) -> None:
    scopes = {key: (scope.digest, {p: (summary.records[(key, p)].hidden, texts[(key, p)]) for p in scope.periods})
              for key, scope in summary.scopes.items()}
    _write_pickle(path, {"version": version, "scopes": scopes})


# --- the data files, the manifest, the zip -------------------------------------------------------------------

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
    _write_text(folder / MANIFEST, "".join(f"{digest}  {rel}\n" for rel, digest in digests.items()))
    _write_text(known_file, json.dumps(stamps))
    return digests


def _deflate(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
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
    temp = target.with_name(target.name + ".tmp")
    try:
        if len(files) >= 0xFFFF or sum((folder / rel).stat().st_size for rel in files) >= 0x7FFFFFFF:
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for rel in files:
                    archive.write(folder / rel, f"{folder.name}/{rel}")
        else:
            _write_zip_entries(folder, files, temp, digests, zipped, old)
    finally:
        if old is not None:
            old.close()
    os.replace(temp, target)
    _write_text(index_file, json.dumps({rel: digests.get(rel) for rel in files}))


def _write_zip_entries(folder: Path, files: list[str], temp: Path, digests: dict, zipped: dict,
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
    with open(temp, "wb") as fh:
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
        fh.flush()
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    """Write a whole file through a temporary one, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def check_destination(folder: Path) -> None:
    """Frozen-Flask deletes what it did not build: only an empty folder or an earlier summary may be used."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise FreezeError(folder)


# --- the whole build ------------------------------------------------------------------------------------------

class Report:
    def __init__(self, **figures):
        self.__dict__.update(figures)


def build(instance_path: str, sites: list[Site], questionnaires: dict, out: Path, k: int,
          progress: Callable[[str, int, int], None] | None = None, generated_at: str | None = None) -> Report:
    """Build (or bring up to date) the summary site in ``out`` and its zip beside it."""
    progress = progress or (lambda stage, done, total: None)
    out = Path(out)
    check_destination(out)
    cache = Path(instance_path) / "cache" / "freeze"
    version = code_version(questionnaires)

    timings, clock = {}, [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 2)
        clock[0] = now

    tallies, read, skipped = [], 0, []
    for i, site in enumerate(sites):
        try:
            t, fresh = cached_site(instance_path, site, cache, version)
        except CorruptStoreError as exc:  # left out, and said: the rest of the summary is built
            skipped.append((site.code, exc.record or exc.detail))
            continue
        finally:
            progress("sites", i + 1, len(sites))
        tallies.append(t)
        read += fresh
    generated_at = generated_at or datetime.now().astimezone().isoformat(timespec="seconds")
    lap("sites")
    output_key = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:16]
    records_file = cache / "outputs" / f"{output_key}.pickle"
    stamps_file = cache / "outputs" / f"{output_key}.sha256.json"
    zip_index = cache / "outputs" / f"{output_key}.zip.json"
    earlier = load_records(records_file, version)
    memo_file = cache / "suppression.pickle"  # the search of hidden cells, part by part (any output folder)
    memo = load_memo(memo_file, version)
    summary = summarise(tallies, k, generated_at,
                        reuse={key: (digest, {p: StoredRecord(hidden, text) for p, (hidden, text) in periods.items()})
                               for key, (digest, periods) in earlier.items()}, memo=memo)
    save_memo(memo_file, version, memo)
    texts = {}
    for key, scope in summary.scopes.items():
        for period in scope.periods:
            record = summary.records[(key, period)]
            texts[(key, period)] = record.text if isinstance(record, StoredRecord) else \
                record_texts(key, period, record)
    lap("indicators")

    app = create_summary_app(summary, questionnaires, out)
    existing = set(site_files(out))
    pages = changed_pages(summary, {key: digest for key, (digest, _p) in earlier.items()}, existing,
                          edited_files(out, stamps_file, existing))
    lap("changes")
    done = iter(range(1, len(pages) + 1))
    freeze_pages(app, pages, lambda: progress("pages", next(done, len(pages)), len(pages)))
    remove_stale(out, {page_path(e, v) for e, v in page_list(summary)} |
                 {f"static/{name}" for name in os.listdir(PACKAGE / "summary" / "static")})
    lap("pages")

    _write_text(out / DATA_FILES[0], indicators_json(summary, texts))
    _write_text(out / DATA_FILES[1], indicators_csv(texts))
    progress("data", 1, 1)
    lap("data")
    digests = write_manifest(out, stamps_file)
    lap("manifest")
    zip_path = out.with_name(out.name + ".zip")
    write_zip(out, zip_path, digests, zip_index)
    progress("zip", 1, 1)
    lap("zip")
    save_records(records_file, version, summary, texts)
    lap("cache")
    return Report(timings=timings, sites=len(tallies), sites_read=read, skipped=skipped, pages=len(page_list(summary)),
                  rendered=len(pages), files=len(digests) + 1, records=len(summary.records), data_as_of=summary.data_as_of, zip_path=zip_path, out=out)
