"""The monthly monitoring sheet (PDF, Letter, Spanish) that a facilitator signs and sends."""
from __future__ import annotations

from pathlib import Path

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from . import clock
from .as_of import AsOf, month_end  # noqa: F401  (month_end: also the sheets' helper)
from .charts import grouped_bars
from .i18n import month_name
from .indicators import compute, from_snapshot
from .labels import SHEET_BREAKDOWNS, SHEET_CHART, SHEET_INDICATORS, SHEET_STAYING
from .participants import roster
from .registry import Site

STATIC = Path(__file__).resolve().parent / "static"


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
    with force_locale("es"):
        return render_template("sheets/monthly.html", **sheet_context(site, snapshot, month))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: start-up and pages that never print stay light

    return HTML(string=html, base_url=str(STATIC) + "/").write_pdf()


def sheet_pdf(site: Site, snapshot, month: str) -> bytes:
    return html_to_pdf(render_sheet_html(site, snapshot, month))


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

