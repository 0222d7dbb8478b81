"""``flask --app portal freeze``: the command that builds the summary (``build``), with its progress bars."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from ..commands import cannot_write, fail, report_skipped
from ..db import get_registry
from ..i18n import short_date
from ..numbers import count as number_of
from ..paths import PROJECT_ROOT
from ..registry import list_sites
from ..states import STATES
from ..storage import StoreError
from . import FreezeError, build


@click.command("freeze")
@with_appcontext
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Folder of the static site (default exports/resumen); the zip goes beside it.")
@click.option("--k", "k", default=None, type=click.IntRange(min=2),
              help="Threshold k (default 5): a percentage or mean about fewer men is left blank; the country's "
                   "years are exact from k men.")
@click.option("--state", default=None,
              help="INEGI code of a state (01 to 32): that state's own summary, for its coordinator "
                   "(default folder exports/resumen-NN).")
def freeze_command(out: str | None, k: int | None, state: str | None) -> None:
    """Build the coordinators' static summary site, its data files and its zip."""
    with force_locale("es"):
        sites = list_sites(get_registry())
        if state is not None:
            state = state.strip()
            if state not in STATES:
                fail(_("%(state)s is not a state's code. Write its INEGI code with two digits, from 01 to 32 (for "
                        "example 14 for Jalisco); the command flask --app portal states lists them all.",
                        state=state or "''"))
            if not any(site.state == state for site in sites):
                fail(_("No site of %(state)s is registered, so it has no summary of its own.",
                        state=STATES[state]))
        default = "resumen" if state is None else f"resumen-{state}"
        folder = Path(out) if out else PROJECT_ROOT / "exports" / default
        k = k or current_app.config["SUPPRESSION_K"]
        labels = {"sites": _("Reading the sites"), "pages": _("Writing the pages")}
        bars: dict = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in labels:
                return
            if stage not in bars:
                bars[stage] = click.progressbar(length=total, label=labels[stage], file=sys.stderr)
                bars[stage].__enter__()
            bars[stage].update(done - bars[stage].pos)
            if done >= total:
                bars.pop(stage).__exit__(None, None, None)

        try:
            report = build(current_app.instance_path, sites, current_app.extensions["questionnaires"], folder, k,
                           progress, state=state)
        except FreezeError:
            fail(_("The folder %(folder)s already holds other files. Choose an empty folder, or the folder of an "
                    "earlier summary (it has a SHA256SUMS file).", folder=folder))
        except StoreError as exc:
            fail(_("The summary was not built: %(problem)s", problem=exc))
        except OSError as exc:
            fail(_("The summary was not built: %(problem)s", problem=cannot_write(exc, folder)))
        click.echo(_("Summary of %(sites)s: %(pages)s (%(rendered)s), data up to %(day)s.",
                     sites=ngettext("%(count)s site", "%(count)s sites", report.sites, count=number_of(report.sites)),
                     pages=ngettext("%(count)s page", "%(count)s pages", report.pages, count=number_of(report.pages)),
                     rendered=ngettext("%(count)s written again", "%(count)s written again", report.rendered,
                                       count=number_of(report.rendered)),
                     day=short_date(report.data_as_of) if report.data_as_of else "—"))
        click.echo(_("Open %(index)s, or share %(zip)s (check it with: sha256sum -c SHA256SUMS).",
                     index=report.out / "index.html", zip=report.zip_path))
        report_skipped(report.skipped)
