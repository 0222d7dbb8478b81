"""``flask --app portal export`` and ``import``: a site's CSV files out and in, and the files for analysts
(``analysis/``)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from .. import analysis, clock
from ..commands import cannot_write, fail, os_problem
from ..db import get_registry, get_site_store
from ..erasing import clear_traces
from ..registry import get_site
from ..storage import StoreError
from .export import Pseudonyms, export_site, write_export
from .files import files_in, uncompressed_limit
from .importing import counted
from .layout import TABLES
from .outcome import MERGE, SYNC, carry_out, preview
from .problems import ImportRefused, TransferError
from .reading import read_batch


@click.command("export")
@with_appcontext
@click.option("--site", "site_code", default=None, help="The site code.")
@click.option("--national", is_flag=True,
              help="Every site's data, pooled and de-identified, for analysts (Excel, SPSS, Stata, codebook).")
@click.option("--out", required=True, type=click.Path(), help="Folder for the files (created if needed).")
@click.option("--deidentified", is_flag=True,
              help="For analysts: new random participant codes, dates reduced to the month, no free text. "
                   "Such a copy cannot be imported; write it to a folder of its own.")
@click.option("--format", "formats", multiple=True, type=click.Choice(("csv", "xlsx", "sav", "dta", "codebook", "all")),
              help="csv (the default: one file per table, as always), xlsx (Excel workbook), sav (SPSS), dta (Stata), "
                   "codebook (HTML), or all; repeat it for several.")
def export_command(site_code: str | None, national: bool, out: str, deidentified: bool, formats: tuple) -> None:
    """Write a site's data as CSV files, one per table (UTF-8, opens in Excel), or files for analysts."""
    with force_locale("es"):
        if national == bool(site_code):
            fail(_("Give either --site CODE or --national."))
        chosen = set(analysis.ANALYST_FORMATS + (() if national else ("csv",))) if "all" in formats else set(formats)
        chosen = chosen or ({"xlsx", "sav", "dta", "codebook"} if national else {"csv"})
        if national and "csv" in chosen:
            fail(_("The national data comes as xlsx, sav, dta and codebook, not as CSV."))
        try:
            if national:
                written = analysis.write_national(current_app.instance_path, Path(out), _versions(), chosen)
                click.echo(_("De-identified national data written in %(folder)s: %(files)s.", folder=out,
                             files=", ".join(p.name for p in written)))
                return
            store = _existing_site_store(site_code)
            snapshot = store.read()
            pseudonyms = Pseudonyms() if deidentified else None
            if "csv" in chosen:
                _write_csv_export(site_code, snapshot, out, deidentified, pseudonyms)
            if chosen - {"csv"}:
                files = analysis.site_files(site_code, snapshot, _versions(), chosen, deidentified, pseudonyms,
                                            analysis.revision_of(snapshot))
                written = analysis.write_analyst_files(Path(out), files, deidentified)
                click.echo(_("Files for analysts written in %(folder)s: %(files)s.", folder=out,
                             files=", ".join(p.name for p in written)))
        except TransferError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(cannot_write(exc, out))
        except StoreError as exc:
            fail(_("The site's data file could not be used: %(problem)s", problem=exc))


def _versions():
    return current_app.extensions["form_versions"]


def _write_csv_export(site_code, snapshot, out, deidentified, pseudonyms) -> None:
    with click.progressbar(length=len(TABLES), label=_("Exporting %(code)s", code=site_code)) as bar:
        export = export_site(site_code, snapshot, current_app.extensions["questionnaires"],
                             deidentified=deidentified, progress=bar.update, pseudonyms=pseudonyms)
    write_export(Path(out), export)
    if deidentified:
        click.echo(_("De-identified copy of %(code)s written in %(folder)s: %(items)s. New random codes, dates by "
                     "month, no free text; it cannot be imported.", code=site_code, folder=out,
                     items=counted(export.rows)))
    else:
        click.echo(_("Export of %(code)s written in %(folder)s: %(items)s.", code=site_code, folder=out,
                     items=counted(export.rows)))
    if export.left_out:
        click.echo(ngettext("Warning: %(num)s stored answer to a question that is no longer in the questionnaires "
                            "was not exported.", "Warning: %(num)s stored answers to questions that are no "
                            "longer in the questionnaires were not exported.", export.left_out), err=True)


@click.command("import")
@with_appcontext
@click.option("--site", "site_code", required=True, help="The site code.")
@click.option("--sync", "sync", is_flag=True,
              help="Make this portal's copy of the site equal to a newer export of that site: new records added, "
                   "corrected ones changed, withdrawn ones withdrawn, erased ones erased.")
@click.option("--dry-run", "dry_run", is_flag=True, help="Only say what would change, per file; write nothing.")
@click.argument("source")
def import_command(site_code: str, sync: bool, dry_run: bool, source: str) -> None:
    """Bring data into a site from CSV files: a folder, or the ZIP downloaded from the portal.

    Every row is checked as the web forms check it; if any is wrong, every problem is listed
    and nothing is imported. Without --sync, what is new is added and rows already at the site
    are left as they are, so importing the same files twice changes nothing. With --sync, the
    site's copy is made equal to the export (which must be unchanged, of this site, and not
    older than the last one synced). A de-identified export cannot be imported.
    """
    with force_locale("es"):
        store = _existing_site_store(site_code)
        refused = None
        try:
            outcome = _import_files(store, get_site(get_registry(), site_code), source, SYNC if sync else MERGE,
                                    dry_run)
        except TransferError as exc:
            fail(str(exc))
        except OSError as exc:  # reading the files given (writing the site's file raises StoreError)
            fail(_("%(path)s could not be read (%(problem)s).", path=exc.filename or source,
                   problem=os_problem(exc)))
        except StoreError as exc:
            fail(_("The site's data file could not be used: %(problem)s", problem=exc))
        except ImportRefused as exc:
            refused = exc.lines(), exc.count  # words only: the files go with the exception
        if refused is not None:
            lines, count = refused
            for line in lines:
                click.echo(line, err=True)
            fail(_("Problems found: %(n)s. Nothing was imported: correct them and run the import again.", n=count))
        if outcome.erasures and not dry_run:
            clear_traces(current_app.instance_path, site_code, outcome.manifest.erased)
        for line in outcome.lines():
            click.echo(line)


def _import_files(store, site, source: str, mode: str, dry_run: bool):
    """Read the files of ``source`` within the size an import takes, and import them (or say what an import
    would change) with a progress bar."""
    questionnaires = current_app.extensions["questionnaires"]
    files = files_in(source, uncompressed_limit(current_app.config))
    batch = read_batch(files, questionnaires)
    label = _("Checking") if dry_run else _("Checking and importing")
    with click.progressbar(length=batch.rows, label=label) as bar:
        if dry_run:
            return preview(store.read(), site, questionnaires, files, mode, batch, bar.update)
        # whoever runs commands on the portal's machine is its administrator
        return carry_out(store, site, questionnaires, files, mode, "cli", batch, bar.update, may_erase=True)


def _existing_site_store(site_code: str):
    site = get_site(get_registry(), site_code)
    if site is None:
        fail(_("The site %(code)s does not exist.", code=site_code))
    clock.use_zone(site.time_zone)  # "today" for this command is the site's
    return get_site_store(site_code)
