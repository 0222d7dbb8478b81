"""The coordinators' view of every site for a month, and the summary they download."""
import re
import zipfile
from io import BytesIO

from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, Facilitator, Staff, csrf_token


def test_every_site_for_a_month_with_the_sheet_printed(app, tmp_path):
    app.config["SUMMARY_FOLDER"] = str(tmp_path / "resumen")
    fac = Facilitator(app.test_client())
    man = fac.register(enrolled_on="2026-11-02")
    fac.enter(man, "facilitator_intake", dict(FACILITATOR_INTAKE, interview_date="2026-11-02", risk_level="high"))
    fac.record_session("2026-A", 1, "2026-11-03", [man])
    coord = Staff(app.test_client())
    coord.login("coord")
    page = coord.client.get("/coordinacion/?mes=noviembre 2026").get_data(as_text=True)
    assert "Todos los sitios en Noviembre de 2026" in page and "SITE-A" in page and "SITE-B" in page
    assert page.count("todavía no") >= 2  # no sheet printed yet
    before = (tmp_path / "instance" / "sites" / "SITE-A.json").read_bytes()
    assert fac.client.get(fac.url("hoja-mensual?mes=2026-11")).status_code == 200
    assert (tmp_path / "instance" / "sites" / "SITE-A.json").read_bytes() == before  # a GET changes nothing
    assert "sí, el" not in coord.client.get("/coordinacion/?mes=2026-11").get_data(as_text=True)
    home = fac.client.get(fac.url())
    sheet = fac.client.post(fac.url("hoja-mensual"), data={"mes": "2026-11", "csrf_token": csrf_token(home)})
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "application/pdf"
    page = coord.client.get("/coordinacion/?mes=2026-11").get_data(as_text=True)
    assert "sí, el" in page
    odd = coord.client.get("/coordinacion/?mes=2026-13")
    assert odd.status_code == 422 and "Escriba el mes como 10/2010" in odd.get_data(as_text=True)
    assert fac.client.get("/coordinacion/").status_code == 403  # facilitators see their own site


def test_a_coordinator_downloads_the_summary_an_administrator_built(app, tmp_path):
    app.config["SUMMARY_FOLDER"] = str(tmp_path / "resumen")
    coord = Staff(app.test_client())
    coord.login("coord")
    assert "Todavía no se ha construido el resumen" in coord.client.get("/coordinacion/").get_data(as_text=True)
    assert coord.client.get("/coordinacion/resumen.zip").status_code == 404
    token = csrf_token(coord.client.get("/coordinacion/"))
    assert coord.client.post("/coordinacion/resumen", data={"csrf_token": token}).status_code == 403
    admin = Staff(app.test_client())
    admin.login("admin")
    token = csrf_token(admin.client.get("/coordinacion/"))
    response = admin.client.post("/coordinacion/resumen", data={"csrf_token": token})
    assert response.status_code == 302
    with coord.client.get("/coordinacion/resumen.zip") as download:
        assert download.status_code == 200 and download.headers["Content-Type"] == "application/zip"
        names = zipfile.ZipFile(BytesIO(download.data)).namelist()
    assert any(n.endswith("index.html") for n in names) and any(n.endswith("data/indicators.json") for n in names)


def overview_rows(html):
    """{row heading: [the figures of its cells]} of the overview's table."""
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        heading = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if heading:
            name = re.sub(r"<[^>]+>", "", heading.group(1)).split("(")[0].strip()
            found[name] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', row)]
    return found


def test_a_past_month_shows_that_months_figures_with_a_row_per_state_and_the_country(app):
    fac = Facilitator(app.test_client())
    man = fac.register(enrolled_on="2026-01-05")
    fac.enter(man, "facilitator_intake", dict(FACILITATOR_INTAKE, interview_date="2026-01-05", risk_level="high"))
    fac.record_session("2026-A", 1, "2026-01-06", [man])
    fac.enter(man, "facilitator_exit", dict(FACILITATOR_EXIT, exit_date="2026-03-10", exit_reason="completed"))
    other = Facilitator(app.test_client(), "fac_b", "SITE-B")
    other.register(enrolled_on="2026-02-02")
    coord = Staff(app.test_client())
    coord.login("coord")

    before = overview_rows(coord.client.get("/coordinacion/?mes=2009-01").get_data(as_text=True))
    assert before["SITE-A Centro de Salud A"][1] == "0" and before["Todo el país"][1] == "0"  # no active men

    feb = overview_rows(coord.client.get("/coordinacion/?mes=feb 2026").get_data(as_text=True))
    # columns: joined, active, at risk, high risk, sessions, exits, completed
    assert feb["SITE-A Centro de Salud A"][1:4] == ["1", "0", "1"]  # active then, with his high risk
    assert feb["SITE-B Centro de Salud B"][1] == "1"
    assert feb["Total de Ciudad de México"][1] == "1" and feb["Total de Jalisco"][1] == "1"
    assert feb["Todo el país"][1] == "2"

    march = overview_rows(coord.client.get("/coordinacion/?mes=marzo 2026").get_data(as_text=True))
    assert march["SITE-A Centro de Salud A"][1] == "0" and march["SITE-A Centro de Salud A"][5:7] == ["1", "1"]
    html = coord.client.get("/coordinacion/?mes=marzo 2026").get_data(as_text=True)
    assert 'href="/sitio/SITE-A/?mes=2026-03"' in html and 'href="/sitio/SITE-B/?mes=2026-03"' in html
