"""The summary's pages: an app with the summary blueprint alone, frozen with Frozen-Flask (on two processes when
there are many), each page written atomically; the pages whose content did not change are not rendered again."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable

import flask_babel
from flask import Flask
from flask_babel import force_locale
from flask_frozen import Freezer, MissingURLGeneratorWarning

from .. import forked, i18n
from ..paths import TRANSLATIONS_FOLDER
from ..storage import write_atomically
from ..summary import bp as summary_bp
from ..summary.model import Summary
from .datafiles import DATA_FILES, MANIFEST, site_files

PACKAGE = Path(__file__).resolve().parent.parent


class _AtomicPath(type(Path())):
    """A path whose ``write_bytes`` goes through ``storage.write_atomically``: how Frozen-Flask writes a page."""

    def write_bytes(self, data: bytes) -> int:
        write_atomically(self, data, shared=True, durable=False)  # the build syncs once, after the last page
        return len(data)


class _AtomicFreezer(Freezer):
    """Frozen-Flask writing every page atomically, so a crash never leaves half a page."""

    @property
    def root(self) -> Path:
        return _AtomicPath(super().root)


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
    app.register_blueprint(summary_bp)
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


class _PageWriter:
    """Frozen-Flask over the summary app, writing the pages it is given (in the build's process or in a forked
    worker, which gets its own copy)."""

    def __init__(self, app: Flask):
        app.config["FREEZER_REMOVE_EXTRA_FILES"] = False  # the build removes stale files once every page is done
        self.freezer = _AtomicFreezer(app, with_no_argument_rules=False, log_url_for=False, with_static_files=False)
        self.pages: list[tuple[str, dict]] = []
        self.freezer.register_generator(lambda: iter(self.pages))

    def write(self, pages: list[tuple[str, dict]]) -> None:
        self.pages = pages
        with force_locale("es"), warnings.catch_warnings():
            # a call holds some endpoints only; every endpoint is in the whole list (``page_list``)
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            for _page in self.freezer.freeze_yield():
                pass

    def write_one(self, page: tuple[str, dict]) -> None:
        self.write([page])


def freeze_pages(app: Flask, pages: list[tuple[str, dict]], progress: Callable[[], None], workers: int = 2) -> None:
    """Render the pages (``progress()`` after each), on ``workers`` forked processes when there are many, and the
    summary's static files."""
    writer = _PageWriter(app)
    writer.write([("summary.static", {"filename": name}) for name in sorted(os.listdir(PACKAGE / "summary" / "static"))])
    forked.run(_PageWriter.write_one, pages, shared=(writer,), workers=workers, least=500, tick=progress)


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete what an earlier build wrote and this one did not (a site or a month that is gone)."""
    for rel in site_files(folder):
        if rel not in keep and rel != MANIFEST and rel not in DATA_FILES:
            (folder / rel).unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
