"""``flask --app portal freeze``: the coordinators' static summary site, its data files and its zip.

Steps: each site's tallies (cached per site file, so only changed sites are read again: ``caches``), summed to
states and the country, their small counts protected (``summary.model``, ``disclosure``); the pages frozen with
Frozen-Flask from an app that holds the summary blueprint alone (``pages``: a page whose content did not change
is not rendered again); ``data/indicators.json``, ``data/indicators.csv`` and the ``SHA256SUMS`` manifest
(``datafiles``); one zip beside the folder (``zipper``). Every file is written through
``storage.write_atomically`` or its streaming variant. Sites are read and pages rendered on two forked processes
when there are many (``forked.run``). The command itself, with its progress bars, is ``command.py``.
"""
from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..registry import Site
from ..summary.model import only_state, summarise
from .caches import code_version, forget_left_behind, load_records, read_site, read_sites, save_records  # noqa: F401
from .datafiles import MANIFEST, EarlierData, edited_files, scope_pieces, site_files, write_data_files, write_manifest
from .pages import PACKAGE, changed_pages, create_summary_app, freeze_pages, page_list, page_path, remove_stale
from .zipper import write_zip


class FreezeError(Exception):
    """The summary cannot be built; the message is for a person."""


def check_destination(folder: Path) -> None:
    """Frozen-Flask deletes what it did not build: only an empty folder or an earlier summary may be used."""
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise FreezeError(folder)


class Report:
    def __init__(self, **figures):
        self.__dict__.update(figures)


def build(instance_path: str, sites: list[Site], questionnaires: dict, out: Path, k: int,
          progress: Callable[[str, int, int], None] | None = None, generated_at: str | None = None,
          state: str | None = None) -> Report:
    """Build (or bring up to date) the summary site in ``out`` and its zip beside it; with ``state``, that state's
    own summary (``summary.model.only_state``), its figures exactly those of the whole one."""
    progress = progress or (lambda stage, done, total: None)
    out = Path(out)
    check_destination(out)
    cache = Path(instance_path) / "cache" / "freeze"
    version = code_version(questionnaires)
    forget_left_behind(cache)

    timings, clock = {}, [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 2)
        clock[0] = now

    done = iter(range(1, len(sites) + 1))
    tallies, read, skipped = read_sites(instance_path, sites, cache, version,
                                        lambda: progress("sites", next(done, len(sites)), len(sites)))
    generated_at = generated_at or datetime.now().astimezone().isoformat(timespec="seconds")
    lap("sites")
    output_key = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:16]
    records_file = cache / "outputs" / f"{output_key}.pickle"
    stamps_file = cache / "outputs" / f"{output_key}.sha256.json"
    zip_index = cache / "outputs" / f"{output_key}.zip.json"
    earlier, layout = load_records(records_file, version)
    earlier_data = EarlierData.read(out, layout, stamps_file) if earlier else None
    if earlier_data is None:  # a place's records are copied from the data files: without them nothing is kept
        earlier = {}
    summary = summarise(tallies, k, generated_at)
    if state is not None:
        summary = only_state(summary, state)
    pieces = scope_pieces(summary, earlier_data, earlier)
    lap("indicators")

    app = create_summary_app(summary, questionnaires, out)
    existing = set(site_files(out))
    pages = changed_pages(summary, earlier, existing, edited_files(out, stamps_file, existing))
    lap("changes")
    done = iter(range(1, len(pages) + 1))
    freeze_pages(app, pages, lambda: progress("pages", next(done, len(pages)), len(pages)))
    if hasattr(os, "sync"):  # every page on disk before the manifest vouches for it (Unix)
        os.sync()
    remove_stale(out, {page_path(e, v) for e, v in page_list(summary)} |
                 {f"static/{name}" for name in os.listdir(PACKAGE / "summary" / "static")})
    lap("pages")

    segments, layout = write_data_files(out, summary, pieces)
    progress("data", 1, 1)
    lap("data")
    digests = write_manifest(out, stamps_file)
    lap("manifest")
    zip_path = out.with_name(out.name + ".zip")
    write_zip(out, zip_path, digests, zip_index, segments)
    progress("zip", 1, 1)
    lap("zip")
    save_records(records_file, version, summary, layout)
    lap("cache")
    return Report(timings=timings, sites=sum(key.startswith("site:") for key in summary.scopes), sites_read=read,
                  skipped=skipped, pages=len(page_list(summary)), rendered=len(pages), files=len(digests) + 1,
                  records=len(summary.records), data_as_of=summary.data_as_of, zip_path=zip_path, out=out)
