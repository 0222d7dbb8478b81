"""The monthly sheet as PDF, read back: site, Spanish month, numbers, attendance grid, pages."""
import re

import pytest
from conftest import FACILITATOR_EXIT, INTAKE_ANSWERS, Facilitator, read_pdf

from portal import clock
from portal.db import get_registry, get_site_store
from portal.indicators import compute, from_snapshot
from portal.numbers import number
from portal.overview import PRINTED
from portal.registry import get_site
from portal.sheets import render_sheet_html


def pdf_text(path_or_bytes, tmp_path):
    path = path_or_bytes
    if isinstance(path_or_bytes, bytes):
        path = tmp_path / "sheet.pdf"
        path.write_bytes(path_or_bytes)
    return read_pdf(path)


@pytest.fixture
def site_month(app):
    """A November 2026 at SITE-A: three men, three sessions, one at risk, one exit."""
    fac = Facilitator(app.test_client())
    a, b, c = fac.register(enrolled_on="2026-11-02"), fac.register(enrolled_on="2026-11-02"), \
        fac.register(enrolled_on="2026-11-02")
    for man, age in ((a, "30"), (b, "41")):
        assert fac.enter(man, "intake", dict(INTAKE_ANSWERS, age=age), paper_date="2026-11-02").status_code == 302
    fac.record_session("2026-A", 1, "2026-11-03", [a, b, c])
    fac.record_session("2026-A", 2, "2026-11-10", [b, c], venue="community")
    fac.record_session("2026-A", 3, "2026-11-17", [b])
    assert fac.enter(c, "facilitator_exit", dict(FACILITATOR_EXIT, exit_date="2026-11-20")).status_code == 302
    return fac, (a, b, c)


def test_sheet_from_the_facilitator_button(app, site_month, tmp_path):
    fac, (a, b, c) = site_month
    page = fac.client.get(fac.url())
    assert "hoja-mensual" in page.get_data(as_text=True)
    response = fac.client.get(fac.url("hoja-mensual?mes=2026-11"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert "hoja-mensual-SITE-A-2026-11.pdf" in response.headers["Content-Disposition"]
    text, pages, size = pdf_text(response.data, tmp_path)
    assert size  # Letter
    assert f"Página 1 de {pages}" in text and f"Página {pages} de {pages}" in text
    assert "Centro de Salud A" in text and "SITE-A" in text and "Ciudad de México" in text
    assert "Noviembre de 2026" in text and "CONFIDENCIAL" in text
    with app.app_context():
        site = get_site(get_registry(), "SITE-A")
        data = from_snapshot("SITE-A", "09", 24, get_site_store("SITE-A").read())
    expected = compute([data], "2026-11", min("2026-11-30", clock.today().isoformat()))
    def shown(label, value, suffix=""):
        return re.search(re.escape(label) + r"\s+" + re.escape(f"{value}{suffix}") + r"\n", text)

    assert shown("Hombres que ingresaron (cuestionarios de inicio)", expected["enrolled"])
    assert shown("Edad promedio al ingresar", expected["mean_age"]) and expected["mean_age"] == 35.5
    assert shown("Sesiones realizadas", expected["sessions_held"])
    assert shown("Asistencias registradas", expected["attendances"])
    assert shown("Sesiones fuera del centro de salud", expected["sessions_outside_health_centre_pct"], "%")
    assert shown("Egresos registrados", expected["exits"])
    # the attendance grid: each man's row with sessions to date against N and the risk mark
    rows = {line.split()[0]: line for line in text.splitlines() if line.strip().startswith("SITE-A-2026-")}
    assert re.search(r"✓\s+·\s+·\s+1 / 24\s+⚠ En riesgo", rows[a])
    assert re.search(r"✓\s+✓\s+✓\s+3 / 24\s+Activo", rows[b])
    assert "2 / 24" in rows[c] and "Abandonó" in rows[c]  # his exit is recorded: no risk mark
    assert site.sessions == 24


def test_sheets_command_for_one_site_and_bad_input(app, site_month, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sheets", "--month", "2026-11", "--site", "SITE-A", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text, pages, _ = pdf_text(tmp_path / "hoja-mensual-SITE-A-2026-11.pdf", tmp_path)
    assert "Noviembre de 2026" in text and pages >= 1
    for args, words in [(["--month", "2026-13"], "AAAA-MM"), (["--month", "2026-11", "--site", "NOPE"], "NOPE")]:
        result = runner.invoke(args=["sheets", *args, "--out", str(tmp_path)])
        assert result.exit_code != 0 and words in result.output


def test_sheets_command_for_every_site_uses_both_cores(app, site_month, tmp_path):
    result = app.test_cli_runner().invoke(args=["sheets", "--month", "2026-11", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["hoja-mensual-SITE-A-2026-11.pdf",
                                                              "hoja-mensual-SITE-B-2026-11.pdf"]
    # printed on the command line counts as printed on the coordinators' page, once per month
    with app.app_context():
        for code in ("SITE-A", "SITE-B"):
            store = get_site_store(code)
            assert len(store.read().find(PRINTED, month="2026-11")) == 1
    again = app.test_cli_runner().invoke(args=["sheets", "--month", "2026-11", "--out", str(tmp_path)])
    assert again.exit_code == 0
    with app.app_context():
        assert len(get_site_store("SITE-A").read().find(PRINTED, month="2026-11")) == 1
    text, _, _ = pdf_text(tmp_path / "hoja-mensual-SITE-B-2026-11.pdf", tmp_path)
    assert "No se registraron sesiones en este mes." in text and "Jalisco" in text


def test_another_sites_sheet_is_refused(app, site_month):
    intruder = Facilitator(app.test_client(), "fac_b", "SITE-B")
    assert intruder.client.get("/sitio/SITE-A/hoja-mensual?mes=2026-11").status_code == 403


def test_site_page_shows_the_months_indicators_from_the_same_module(app, site_month):
    fac, _ = site_month
    html = fac.client.get(fac.url("?mes=2026-11")).get_data(as_text=True)
    with app.app_context():
        data = from_snapshot("SITE-A", "09", 24, get_site_store("SITE-A").read())
    expected = compute([data], "2026-11", clock.today().isoformat())
    shown = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', html))
    assert shown["Hombres que ingresaron (cuestionarios de inicio)"] == str(expected["enrolled"])
    assert shown["Edad promedio al ingresar"] == str(expected["mean_age"])
    assert shown["Asistencias"] == str(expected["attendances"])
    assert shown["De los que ingresaron: asistieron a 13 o más"] == f"{expected['attended_13_plus_pct']}%"
    assert "Indicadores de Noviembre de 2026" in html


def test_numbers_are_written_one_way_in_the_sheet_the_site_page_and_the_summary(app, site_month, tmp_path):
    """As Mexico writes them: thousands with a comma, decimals with a point, the percent sign right after
    the number; the sheet, the site's page and the summary (portal/summary/pages.py) all go through
    portal/numbers.py."""
    assert [number(0), number(1234), number(1257000)] == ["0", "1,234", "1,257,000"]
    assert [number(35.3, "mean"), number(1234.5, "mean"), number(7.0, "mean")] == ["35.3", "1,234.5", "7.0"]
    assert [number(90.5, "pct"), number(16.7, "pct"), number(100.0, "pct")] == ["90.5%", "16.7%", "100.0%"]
    assert number(None) == number(None, "pct") == "—"

    fac, _ = site_month
    with app.app_context():
        data = from_snapshot("SITE-A", "09", 24, get_site_store("SITE-A").read())
    expected = compute([data], "2026-11", min("2026-11-30", clock.today().isoformat()))
    assert expected["sessions_outside_health_centre_pct"] == 33.3 and expected["attended_13_plus_pct"] == 0.0
    text, _pages, _size = pdf_text(fac.client.get(fac.url("hoja-mensual?mes=2026-11")).data, tmp_path)
    html = fac.client.get(fac.url("?mes=2026-11")).get_data(as_text=True)
    assert re.search(r"Sesiones fuera del centro de salud\s+33\.3%\n", text)
    assert re.search(r"\n\s+100\.0%\s+0\.0%\s+0\.0%\s+2\.0\n", text)  # staying: the two who joined
    assert ">0.0%</td>" in html  # came to 13 or more: none of the two who joined
    for output in (text, html):
        assert re.findall(r"\d\.\d%", output) and not re.search(r"\d\s+%|\d,\d%", output)


def test_the_year_to_date_chart_writes_each_bars_value(app, site_month):
    """November's men: all came to a session, none yet to 13 or to more than 75% (months without men: no bars)."""
    with app.app_context():
        html = render_sheet_html(get_site(get_registry(), "SITE-A"), get_site_store("SITE-A").read(), "2026-11")
    svg = re.search(r"<svg.*?</svg>", html, re.S).group()
    assert re.findall(r'class="value">([^<]+)</text>', svg) == ["100.0%", "0.0%", "0.0%"]
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 3
