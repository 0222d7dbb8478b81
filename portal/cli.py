"""Every operation a person runs: ``flask --app portal ...``."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from . import clock, logins
from .clock import ZONES
from .db import get_registry
from .numbers import count as number_of
from .paths import PROJECT_ROOT, TRANSLATIONS_FOLDER
from .registry import ROLES, RegistryError, add_site, add_user, check_site, list_sites, list_users, set_password
from .states import STATES

sites_cli = AppGroup("sites", help="Add and list sites.")
users_cli = AppGroup("users", help="Add and list users.")
translate_cli = AppGroup("translate", help="Update and compile the interface translations.")


def _fail(message: str) -> None:
    raise click.ClickException(message)


@sites_cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name of the site (health centre or venue).")
@click.option("--state", required=True, help="INEGI code of the state, 01 to 32.")
@click.option("--sessions", default=None, type=int, help="Number of program sessions (default 24).")
@click.option("--time-zone", default=None, help="The site's IANA time zone (default America/Mexico_City); "
              "see `sites zones`.")
def sites_add(code: str, name: str, state: str, sessions: int | None, time_zone: str | None) -> None:
    """Add a site."""
    with force_locale("es"):
        try:
            default = current_app.config["DEFAULT_SESSIONS"]
            site = check_site(code, name, state, default if sessions is None else sessions, time_zone)
            add_site(get_registry(), site, user="cli")
        except RegistryError as exc:
            _fail(str(exc))
        click.echo(ngettext("Site %(code)s added: %(name)s, %(state)s, %(num)s session.",
                            "Site %(code)s added: %(name)s, %(state)s, %(num)s sessions.", site.sessions,
                            code=site.code, name=site.name, state=site.state_name))


@sites_cli.command("list")
def sites_list() -> None:
    """List the sites."""
    with force_locale("es"):
        sites = list_sites(get_registry())
        if not sites:
            click.echo(_("There are no sites yet."))
        for site in sites:
            click.echo(f"{site.code}\t{site.state} {site.state_name}\t{site.sessions}\t{site.name}\t{site.time_zone}")


@sites_cli.command("zones")
def sites_zones() -> None:
    """List the time zones a site may have (Mexico's)."""
    with force_locale("es"):
        for name, label in ZONES.items():
            click.echo(f"{name}\t{label}")


@users_cli.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin, coordinator or facilitator.")
@click.option("--site", default=None, help="The facilitator's site code.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_add(username: str, role: str, site: str | None, password_stdin: bool) -> None:
    """Add a user (the password is asked for, never given on the command line)."""
    with force_locale("es"):
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        try:
            user = add_user(get_registry(), username.strip().lower(), role, password, site, user="cli")
        except RegistryError as exc:
            _fail(f"{exc} (--site CODE)" if "site" in exc.fields and not site else str(exc))
        where = _(" at site %(site)s", site=user.site) if user.site else ""
        click.echo(_("User %(name)s added with the role %(role)s%(where)s.", name=user.username,
                     role=user.role, where=where))


@users_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_password(username: str, password_stdin: bool) -> None:
    """Reset a user's password; every session of that user ends."""
    with force_locale("es"):
        password = (sys.stdin.readline().rstrip("\r\n") if password_stdin
                    else click.prompt(_("Password"), hide_input=True, confirmation_prompt=True))
        username = username.strip().lower()
        try:
            set_password(get_registry(), username, password, user="cli")
        except RegistryError as exc:
            _fail(str(exc))
        ended = logins.end_all(logins.logins_store(current_app.instance_path), username)
        click.echo(ngettext("New password for %(name)s; %(num)s open session was closed.",
                            "New password for %(name)s; %(num)s open sessions were closed.", ended, name=username))


@users_cli.command("list")
def users_list() -> None:
    """List the users."""
    for user in list_users(get_registry()):
        click.echo(f"{user.username}\t{user.role}\t{user.site or ''}")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=PROJECT_ROOT)


@translate_cli.command("update")
def translate_update() -> None:
    """Extract the interface strings and merge them into the catalogs."""
    pot = str(TRANSLATIONS_FOLDER / "messages.pot")
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--omit-header", "-o", pot, "portal")
    for lang in current_app.config["LANGUAGES"]:
        if lang == "en":  # the source language needs no catalog
            continue
        if not (TRANSLATIONS_FOLDER / lang / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("init", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang)
        _pybabel("update", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang, "--no-fuzzy-matching",
                 "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (the portal shows English source text without this)."""
    _pybabel("compile", "--statistics", "-d", str(TRANSLATIONS_FOLDER))


@click.command("states")
@with_appcontext
def states_list() -> None:
    """List the states and their INEGI codes."""
    for code, name in STATES.items():
        click.echo(f"{code}\t{name}")


_worker_app = None


def _sheet_worker(args: tuple[str, str, str]) -> str:
    """Produce one site's sheet in a worker process (each worker builds the app once)."""
    global _worker_app
    instance, code, month_out = args
    month, out = month_out.split("|", 1)
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app({"INSTANCE_PATH": instance})
    with _worker_app.app_context(), _worker_app.test_request_context():
        return _write_sheet(code, month, Path(out))


def _write_sheet(code: str, month: str, out: Path) -> str | tuple[str, str]:
    """The sheet's path, or (site, what is wrong) when the site's file cannot be used."""
    from .db import get_site_store
    from .overview import record_sheet_printed
    from .registry import get_site
    from .sheets import sheet_filename, sheet_pdf
    from .storage import CorruptStoreError, write_atomically

    site = get_site(get_registry(), code)
    clock.use_zone(site.time_zone if site else None)
    path = out / sheet_filename(code, month)
    store = get_site_store(code)
    try:
        pdf = sheet_pdf(site, store.read(), month)
    except CorruptStoreError as exc:
        return code, exc.record or exc.detail
    finally:
        store.close()  # a run over hundreds of sites must not keep each one parsed and open
    write_atomically(path, pdf)
    store = get_site_store(code)
    try:  # the coordinators' page shows the month's sheet as printed, as when a facilitator prints it
        record_sheet_printed(store, month, "cli")
    finally:
        store.close()
    return str(path)


@click.command("sheets")
@with_appcontext
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--site", "site_code", default=None, help="One site (default: every site).")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Folder (default exports/sheets/YYYY-MM).")
def sheets_command(month: str, site_code: str | None, out: str | None) -> None:
    """Produce the monthly monitoring sheets as PDF."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from .registry import get_site
    from .sheets import check_month
    from .storage import StoreError

    with force_locale("es"):
        try:
            check_month(month)
        except ValueError as exc:
            _fail(str(exc))
        try:
            codes = [site_code] if site_code and get_site(get_registry(), site_code) else \
                [] if site_code else [s.code for s in list_sites(get_registry())]
        except StoreError as exc:
            _fail(_("The portal's file of sites and users cannot be used: %(problem)s", problem=exc))
        if site_code and not codes:
            _fail(_("The site %(code)s does not exist.", code=site_code))
        if not codes:
            _fail(_("There are no sites yet."))
        folder = Path(out) if out else PROJECT_ROOT / "exports" / "sheets" / month
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        with click.progressbar(length=len(codes), label=_("Producing the monthly sheets")) as bar:
            if len(codes) == 1:
                with current_app.test_request_context():
                    written.append(_write_sheet(codes[0], month, folder))
                bar.update(1)
            else:
                jobs = [(current_app.instance_path, code, f"{month}|{folder}") for code in codes]
                with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                    for future in as_completed([pool.submit(_sheet_worker, job) for job in jobs]):
                        written.append(future.result())
                        bar.update(1)
        skipped = [w for w in written if isinstance(w, tuple)]
        click.echo(ngettext("%(num)s sheet written in %(folder)s.", "%(num)s sheets written in %(folder)s.",
                            len(written) - len(skipped), folder=folder))
        _report_skipped(skipped)


def _report_skipped(skipped: list[tuple[str, str]]) -> None:
    """Sites left out because their file cannot be used: said plainly, and the command fails."""
    for code, problem in skipped:
        click.echo(_("The site %(code)s was left out: its data file cannot be used (%(problem)s). Restore it from "
                     "a backup.", code=code, problem=problem), err=True)
    if skipped:
        sys.exit(1)


@click.command("paper")
@with_appcontext
@click.argument("questionnaire", type=click.Choice(("intake", "exit", "facilitator_intake", "facilitator_exit")))
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="PDF file (default exports/paper/NAME.pdf).")
def paper_command(questionnaire: str, out: str | None) -> None:
    """The blank questionnaire for paper use, with the skip rules written out."""
    from .paper import paper_pdf

    with force_locale("es"), current_app.test_request_context():
        path = Path(out) if out else PROJECT_ROOT / "exports" / "paper" / f"{questionnaire}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(paper_pdf(current_app.extensions["questionnaires"][questionnaire]))
        click.echo(_("Paper questionnaire written in %(path)s.", path=path))


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
    from . import analysis, transfer
    from .storage import StoreError

    with force_locale("es"):
        if national == bool(site_code):
            _fail(_("Give either --site CODE or --national."))
        chosen = set(analysis.ANALYST_FORMATS + (() if national else ("csv",))) if "all" in formats else set(formats)
        chosen = chosen or ({"xlsx", "sav", "dta", "codebook"} if national else {"csv"})
        if national and "csv" in chosen:
            _fail(_("The national data comes as xlsx, sav, dta and codebook, not as CSV."))
        try:
            if national:
                written = analysis.write_national(current_app.instance_path, Path(out), _versions(), chosen)
                click.echo(_("De-identified national data written in %(folder)s: %(files)s.", folder=out,
                             files=", ".join(p.name for p in written)))
                return
            store = _existing_site_store(site_code)
            snapshot = store.read()
            pseudonyms = transfer.Pseudonyms() if deidentified else None
            if "csv" in chosen:
                _write_csv_export(site_code, snapshot, out, deidentified, pseudonyms)
            if chosen - {"csv"}:
                files = analysis.site_files(site_code, snapshot, _versions(), chosen, deidentified, pseudonyms,
                                            analysis.revision_of(snapshot))
                written = analysis.write_analyst_files(Path(out), files, deidentified)
                click.echo(_("Files for analysts written in %(folder)s: %(files)s.", folder=out,
                             files=", ".join(p.name for p in written)))
        except transfer.TransferError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(_cannot_write(exc, out))
        except StoreError as exc:
            _fail(_("The site's data file could not be used: %(problem)s", problem=exc))


def _versions():
    return current_app.extensions["form_versions"]


def _write_csv_export(site_code, snapshot, out, deidentified, pseudonyms) -> None:
    from . import transfer

    with click.progressbar(length=len(transfer.TABLES), label=_("Exporting %(code)s", code=site_code)) as bar:
        export = transfer.export_site(site_code, snapshot, current_app.extensions["questionnaires"],
                                      deidentified=deidentified, progress=bar.update, pseudonyms=pseudonyms)
    transfer.write_export(Path(out), export)
    if deidentified:
        click.echo(_("De-identified copy of %(code)s written in %(folder)s: %(items)s. New random codes, dates by "
                     "month, no free text; it cannot be imported.", code=site_code, folder=out,
                     items=transfer.counted(export.rows)))
    else:
        click.echo(_("Export of %(code)s written in %(folder)s: %(items)s.", code=site_code, folder=out,
                     items=transfer.counted(export.rows)))
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
    from . import transfer
    from .registry import get_site
    from .storage import StoreError

    with force_locale("es"):
        store = _existing_site_store(site_code)
        refused = None
        try:
            outcome = _import_files(store, get_site(get_registry(), site_code), source,
                                    transfer.SYNC if sync else transfer.MERGE, dry_run)
        except transfer.TransferError as exc:
            _fail(str(exc))
        except OSError as exc:  # reading the files given (writing the site's file raises StoreError)
            _fail(_("%(path)s could not be read (%(problem)s).", path=exc.filename or source,
                    problem=_os_problem(exc)))
        except StoreError as exc:
            _fail(_("The site's data file could not be used: %(problem)s", problem=exc))
        except transfer.ImportRefused as exc:
            refused = exc.lines(), exc.count  # words only: the files go with the exception
        if refused is not None:
            lines, count = refused
            for line in lines:
                click.echo(line, err=True)
            _fail(_("Problems found: %(n)s. Nothing was imported: correct them and run the import again.", n=count))
        if outcome.erasures and not dry_run:
            from .erasing import clear_traces

            clear_traces(current_app.instance_path, site_code, outcome.manifest.erased)
        for line in outcome.lines():
            click.echo(line)


def _import_files(store, site, source: str, mode: str, dry_run: bool):
    """Read the files of ``source`` within the size an import takes, and import them (or say what an import
    would change) with a progress bar."""
    from . import transfer

    questionnaires = current_app.extensions["questionnaires"]
    files = transfer.files_in(source, transfer.uncompressed_limit(current_app.config))
    batch = transfer.read_batch(files, questionnaires)
    label = _("Checking") if dry_run else _("Checking and importing")
    with click.progressbar(length=batch.rows, label=label) as bar:
        if dry_run:
            return transfer.preview(store.read(), site, questionnaires, files, mode, batch, bar.update)
        # whoever runs commands on the portal's machine is its administrator
        return transfer.carry_out(store, site, questionnaires, files, mode, "cli", batch, bar.update, may_erase=True)


def _existing_site_store(site_code: str):
    from .db import get_site_store
    from .registry import get_site

    site = get_site(get_registry(), site_code)
    if site is None:
        _fail(_("The site %(code)s does not exist.", code=site_code))
    clock.use_zone(site.time_zone)  # "today" for this command is the site's
    return get_site_store(site_code)


def init_app(app: Flask) -> None:
    app.cli.add_command(sites_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(states_list)
    app.cli.add_command(sheets_command)
    app.cli.add_command(paper_command)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(freeze_command)
    from .demo import demo_command

    app.cli.add_command(demo_command)
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _os_problem(exc: OSError) -> str:
    """Why a file could not be used, in Spanish (the system's own words are English)."""
    reasons = {errno.ENOSPC: _("the disk is full"), errno.EDQUOT: _("the disk is full"),
               errno.EACCES: _("there is no permission to use it"), errno.EPERM: _("there is no permission to use it"),
               errno.EROFS: _("the disk can only be read"), errno.ENOTDIR: _("a file has the name a folder needs")}
    return reasons.get(exc.errno, exc.strerror or str(exc))


def _cannot_write(exc: OSError, path: Path | str) -> str:
    """A file or folder could not be written: a full or read-only disk, no permission, a file in the way."""
    return _("%(path)s could not be written (%(problem)s). Check that the disk has free space and that the "
             "folder can be written to, then run the command again.", path=exc.filename or path,
             problem=_os_problem(exc))


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
    from .freeze import FreezeError, build
    from .i18n import short_date
    from .storage import StoreError

    with force_locale("es"):
        sites = list_sites(get_registry())
        if state is not None:
            state = state.strip()
            if state not in STATES:
                _fail(_("%(state)s is not a state's code. Write its INEGI code with two digits, from 01 to 32 (for "
                        "example 14 for Jalisco); the command flask --app portal states lists them all.",
                        state=state or "''"))
            if not any(site.state == state for site in sites):
                _fail(_("No site of %(state)s is registered, so it has no summary of its own.",
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
            _fail(_("The folder %(folder)s already holds other files. Choose an empty folder, or the folder of an "
                    "earlier summary (it has a SHA256SUMS file).", folder=folder))
        except StoreError as exc:
            _fail(_("The summary was not built: %(problem)s", problem=exc))
        except OSError as exc:
            _fail(_("The summary was not built: %(problem)s", problem=_cannot_write(exc, folder)))
        click.echo(_("Summary of %(sites)s: %(pages)s (%(rendered)s), data up to %(day)s.",
                     sites=ngettext("%(count)s site", "%(count)s sites", report.sites, count=number_of(report.sites)),
                     pages=ngettext("%(count)s page", "%(count)s pages", report.pages, count=number_of(report.pages)),
                     rendered=ngettext("%(count)s written again", "%(count)s written again", report.rendered,
                                       count=number_of(report.rendered)),
                     day=short_date(report.data_as_of) if report.data_as_of else "—"))
        click.echo(_("Open %(index)s, or share %(zip)s (check it with: sha256sum -c SHA256SUMS).",
                     index=report.out / "index.html", zip=report.zip_path))
        _report_skipped(report.skipped)
