"""The monthly monitoring sheet (PDF, Letter, Spanish) that a facilitator signs and sends, and
``flask --app portal sheets``: every site's sheet of a month, written on both cores."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from . import clock, forked
from .as_of import AsOf, month_end  # noqa: F401  (month_end: also the sheets' helper)
from .charts import grouped_bars
from .commands import fail, report_skipped
from .db import get_registry, get_site_store
from .documents import document_pdf, render_document
from .i18n import month_name
from .indicators import compute, from_snapshot
from .labels import SHEET_BREAKDOWNS, SHEET_CHART, SHEET_INDICATORS, SHEET_STAYING
from .overview import record_sheet_printed
from .participants import roster
from .paths import PROJECT_ROOT
from .registry import Site, get_site, list_sites
from .storage import CorruptStoreError, StoreError, write_atomically


def sheet_context(site: Site, snapshot, month: str) -> dict:
    """Everything the sheet shows, from the indicator module and the site's records."""
    as_of = min(month_end(month), clock.today().isoformat())
    past = AsOf(snapshot, as_of)
    data = from_snapshot(site.code, site.state, site.sessions, past)
    indicators = compute([data], month, as_of)
    rows = {r.code: r for r in roster(past)}
    month_sessions = sorted((s for s in past.all("sessions") if s["date"].startswith(month)),
                            key=lambda s: (s["group_code"], s["date"], s["number"]))
    grid = []
    for group in sorted({s["group_code"] for s in month_sessions}):
        sessions = [s for s in month_sessions if s["group_code"] == group]
        men = sorted(code for code, r in rows.items() if r.group_code == group
                     and (r.status == "active" or any(code in s["present"] for s in sessions)))
        grid.append({"group": group, "sessions": sessions, "rows": [rows[code] for code in men]})
    year = month[:4]
    months = [f"{year}-{m:02d}" for m in range(1, int(month[5:7]) + 1)]
    ytd = [compute([data], m, as_of) for m in months]
    # The sheet is a Spanish document whatever the interface language (PRODUCT.md section 7).
    chart = grouped_bars(
        [month_name(m, with_year=False)[:3] for m in months],
        [(str(label), [r[key] for r in ytd]) for key, label in SHEET_CHART],
        f"Permanencia de los hombres que ingresaron cada mes de {year}")
    return {"site": site, "month": month, "month_title": month_name(month), "as_of": as_of,
            "ind": indicators, "grid": grid, "chart": chart, "generated": clock.today(),
            "labels": {"indicators": SHEET_INDICATORS, "staying": SHEET_STAYING, "breakdowns": SHEET_BREAKDOWNS}}


def render_sheet_html(site: Site, snapshot, month: str) -> str:
    return render_document("sheets/monthly.html", **sheet_context(site, snapshot, month))


def sheet_pdf(site: Site, snapshot, month: str) -> bytes:
    return document_pdf("sheets/monthly.html", **sheet_context(site, snapshot, month))


def sheet_filename(site_code: str, month: str) -> str:
    return f"hoja-mensual-{site_code}-{month}.pdf"


def check_month(text: str) -> str:
    try:
        year, mon = text.split("-")
        if len(year) == 4 and len(mon) == 2 and 1 <= int(mon) <= 12 and 2000 <= int(year) <= 2100:
            return text
    except ValueError:
        pass
    raise ValueError(_("The month must be written as YYYY-MM, for example 2010-03."))


def write_sheet(app: Flask, month: str, folder: Path, code: str) -> str | tuple[str, str]:
    """Write one site's sheet of ``month`` into ``folder`` (atomically) and count it as printed, as when a
    facilitator prints it: the sheet's path, or (site, what is wrong) when the site's file cannot be used.

    Runs in the command's process or in a forked worker, in an app context of its own.
    """
    with app.app_context():
        site = get_site(get_registry(), code)
        clock.use_zone(site.time_zone if site else None)
        path = folder / sheet_filename(code, month)
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


def write_sheets(app: Flask, month: str, folder: Path, codes: list[str],
                 tick: Callable[[], None] = lambda: None) -> list[str | tuple[str, str]]:
    """Each site's sheet (``write_sheet``), in the order of ``codes``, on two forked processes when there are
    several sites and cores."""
    return forked.run(write_sheet, codes, shared=(app, month, folder), workers=min(2, os.cpu_count() or 1),
                      tick=tick)


@click.command("sheets")
@with_appcontext
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--site", "site_code", default=None, help="One site (default: every site).")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Folder (default exports/sheets/YYYY-MM).")
def sheets_command(month: str, site_code: str | None, out: str | None) -> None:
    """Produce the monthly monitoring sheets as PDF."""
    with force_locale("es"):
        try:
            check_month(month)
        except ValueError as exc:
            fail(str(exc))
        try:
            codes = [site_code] if site_code and get_site(get_registry(), site_code) else \
                [] if site_code else [s.code for s in list_sites(get_registry())]
        except StoreError as exc:
            fail(_("The portal's file of sites and users cannot be used: %(problem)s", problem=exc))
        if site_code and not codes:
            fail(_("The site %(code)s does not exist.", code=site_code))
        if not codes:
            fail(_("There are no sites yet."))
        folder = Path(out) if out else PROJECT_ROOT / "exports" / "sheets" / month
        folder.mkdir(parents=True, exist_ok=True)
        with click.progressbar(length=len(codes), label=_("Producing the monthly sheets")) as bar:
            written = write_sheets(current_app._get_current_object(), month, folder, codes, lambda: bar.update(1))
        skipped = [w for w in written if isinstance(w, tuple)]
        click.echo(ngettext("%(num)s sheet written in %(folder)s.", "%(num)s sheets written in %(folder)s.",
                            len(written) - len(skipped), folder=folder))
        report_skipped(skipped)
