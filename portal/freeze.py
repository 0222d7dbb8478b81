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
import time
import warnings
import zipfile
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
from .storage import site_path, store_for_site
from .summary.model import SiteTallies, Summary, summarise

PACKAGE = Path(__file__).resolve().parent
MANIFEST = "SHA256SUMS"
DATA_FILES = ("data/indicators.json", "data/indicators.csv")
FAR_FUTURE = "9999-12-31"  # tallies count every attendance; no session is dated after the data's date


class FreezeError(Exception):
    """The summary cannot be built; the message is for a person."""


def code_version() -> str:
    """Changes whenever the code or templates that shape the output change (then everything is redone)."""
    digest = hashlib.sha256()
    sources = [PACKAGE / "indicators.py", PACKAGE / "disclosure.py", PACKAGE / "charts.py", PACKAGE / "freeze.py",
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
    cache_file = cache / "sites" / f"{site.code}.json"
    try:
        saved = json.loads(cache_file.read_text(encoding="utf-8"))
        if saved["key"] == key:
            return SiteTallies(site.code, site.name, site.state,
                               {p: Counter(t) for p, t in saved["tallies"].items()},
                               saved["first_day"], saved["last_day"]), False
    except (OSError, ValueError, KeyError):
        pass
    tallies = read_site(instance_path, site)
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
        FREEZER_DESTINATION_IGNORE=[MANIFEST, "data/*"],
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
    pages = [("summary.home", {}), ("summary.methodology", {})]
    for key, scope in summary.scopes.items():
        if key != "all":
            pages.append(("summary.overview", {"slug": scope.slug}))
        pages.extend(("summary.period", {"slug": scope.slug, "period": p}) for p in scope.periods)
    return pages


def page_hashes(app: Flask, summary: Summary, pages: list[tuple[str, dict]], version: str) -> dict[str, str]:
    """url -> a digest of everything the page shows, to skip the pages that did not change.

    A period page shows its scope's names, dates and periods, its record, its
    children's records for the period and the year's enrolment by month: the
    digest covers exactly those. The other pages (a few hundred) digest their
    whole content.
    """
    from flask import url_for

    from .summary.pages import context_for

    digests: dict[tuple[str, str], str] = {}

    def record_digest(key: str, period: str) -> str | None:
        if (key, period) not in summary.records:
            return None
        if (key, period) not in digests:
            record = summary.records[(key, period)]
            digests[(key, period)] = hashlib.sha1(json.dumps([record.values, record.hidden]).encode()).hexdigest()
        return digests[(key, period)]

    hashes = {}
    with app.test_request_context(), force_locale("es"):
        for endpoint, values in pages:
            if endpoint == "summary.period":
                scope, period = summary.by_slug(values["slug"]), values["period"]
                chain, up = [], scope.parent
                while up:
                    chain.append(summary.scopes[up].name)
                    up = summary.scopes[up].parent
                months = [(m, summary.records[(scope.key, m)].values["enrolled"],
                           summary.records[(scope.key, m)].hidden.get("enrolled")) for m in scope.months[period[:4]]]
                content = json.dumps([summary.k, scope.key, scope.name, chain, scope.last_day, scope.months,
                                      record_digest(scope.key, period), months,
                                      [(c, summary.scopes[c].name, record_digest(c, period)) for c in scope.children]])
            else:
                content = json.dumps(context_for(endpoint, values), sort_keys=True, ensure_ascii=False, default=str)
            hashes[url_for(endpoint, **values)] = hashlib.sha1((version + content).encode()).hexdigest()
    return hashes


def _freeze_part(app: Flask, pages: list[tuple[str, dict]], unchanged: set[str], with_static: bool,
                 tick: Callable[[bool], None]) -> None:
    """Freeze some of the pages with Frozen-Flask; a page whose content did not change is kept as it is."""
    app.config["FREEZER_SKIP_EXISTING"] = lambda url, path: url in unchanged
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
                tick(page.url not in unchanged)


_FORKED: dict = {}


def _forked_part(index: int) -> int:
    """A worker process's share of the pages (the app and lists come with the fork)."""
    app, parts, unchanged, queue = _FORKED["job"]
    rendered = 0

    def tick(fresh: bool) -> None:
        nonlocal rendered
        rendered += fresh
        queue.put(1)

    _freeze_part(app, parts[index], unchanged, index == 0, tick)
    return rendered


def freeze_pages(app: Flask, pages: list[tuple[str, dict]], unchanged: set[str],
                 progress: Callable[[], None], workers: int = 2) -> int:
    """Render every page whose content changed, on ``workers`` processes; return how many were rendered."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        rendered = 0

        def tick(fresh: bool) -> None:
            nonlocal rendered
            rendered += fresh
            progress()

        _freeze_part(app, pages, unchanged, True, tick)
        return rendered
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    _FORKED["job"] = (app, [pages[i::workers] for i in range(workers)], unchanged, queue)
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
            return sum(result.get())
    finally:
        _FORKED.clear()


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete what an earlier build wrote and this one did not (a site or a month that is gone)."""
    for rel in site_files(folder):
        if rel not in keep and rel != MANIFEST and not rel.startswith("data/"):
            (folder / rel).unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()


# --- the data files, the manifest, the zip -------------------------------------------------------------------

def records(summary: Summary) -> Iterable[dict]:
    for key, scope in summary.scopes.items():
        for period in scope.periods:
            record = summary.records[(key, period)]
            yield {"scope": key, "period": period, **record.values, "suppressed": list(record.hidden)}


def indicators_json(summary: Summary) -> str:
    return json.dumps({"generated_at": summary.generated_at, "data_as_of": summary.data_as_of,
                       "suppression_k": summary.k, "records": list(records(summary))},
                      ensure_ascii=False, indent=1) + "\n"


def indicators_csv(summary: Summary) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("scope", "period", "key", "value", "suppressed"))
    for key, scope in summary.scopes.items():
        for period in scope.periods:
            record = summary.records[(key, period)]
            for path, value in flatten(record.values):
                writer.writerow((key, period, path, "" if value is None else value,
                                 "true" if path in record.hidden else "false"))
    return out.getvalue()


def site_files(folder: Path) -> list[str]:
    """Every file of the built site, as sorted paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def write_manifest(folder: Path, cache: Path) -> list[str]:
    """SHA256SUMS (``sha256sum -c`` format); a file unchanged since the last build is not read again."""
    known_file = cache / "sha256.json"
    try:
        known = json.loads(known_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    lines, now = [], {}
    for rel in site_files(folder):
        if rel == MANIFEST:
            continue
        st = (folder / rel).stat()
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
        digest = known.get(rel, [None, None])[1] if known.get(rel, [None])[0] == stamp else None
        if digest is None:
            digest = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        now[rel] = [stamp, digest]
        lines.append(f"{digest}  {rel}\n")
    _write_text(folder / MANIFEST, "".join(lines))
    _write_text(known_file, json.dumps(now))
    return lines


def write_zip(folder: Path, target: Path) -> None:
    """One zip of the whole folder (under its own name), replaced atomically."""
    temp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for rel in site_files(folder):
            archive.write(folder / rel, f"{folder.name}/{rel}")
    os.replace(temp, target)


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
    version = code_version()

    timings, clock = {}, [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 2)
        clock[0] = now

    tallies, read = [], 0
    for i, site in enumerate(sites):
        t, fresh = cached_site(instance_path, site, cache, version)
        tallies.append(t)
        read += fresh
        progress("sites", i + 1, len(sites))
    generated_at = generated_at or datetime.now().astimezone().isoformat(timespec="seconds")
    lap("sites")
    summary = summarise(tallies, k, generated_at)
    lap("indicators")

    app = create_summary_app(summary, questionnaires, out)
    pages = page_list(summary)
    hashes = page_hashes(app, summary, pages, version)
    state_file = cache / f"pages-{hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:12]}.json"
    try:
        previous = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    unchanged = {url for url, digest in hashes.items() if previous.get(url) == digest}
    lap("changes")
    total = len(pages)
    done = iter(range(1, total + 1))
    rendered = freeze_pages(app, pages, unchanged, lambda: progress("pages", next(done, total), total))
    remove_stale(out, {url[1:] + ("index.html" if url.endswith("/") else "") for url in hashes} |
                 {f"static/{name}" for name in os.listdir(PACKAGE / "summary" / "static")})
    _write_text(state_file, json.dumps(hashes))
    lap("pages")

    _write_text(out / DATA_FILES[0], indicators_json(summary))
    _write_text(out / DATA_FILES[1], indicators_csv(summary))
    progress("data", 1, 1)
    lap("data")
    files = write_manifest(out, cache)
    lap("manifest")
    zip_path = out.with_name(out.name + ".zip")
    write_zip(out, zip_path)
    progress("zip", 1, 1)
    lap("zip")
    return Report(timings=timings, sites=len(sites), sites_read=read, pages=total, rendered=rendered, files=len(files) + 1,
                  records=len(summary.records), data_as_of=summary.data_as_of, zip_path=zip_path, out=out)
