"""A facilitator's working day, and administration, in chromium at desktop size on the demo."""
import re
import zipfile

import pytest
from browser import LiveServer, axe_violations, sign_in
from fixtures import copy_instance, make_app

from portal import clock

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def demo_live(demo_instance, tmp_path):
    """The portal on a copy of the demo instance, served on loopback."""
    app = make_app(copy_instance(demo_instance[0], tmp_path / "instance"), SUMMARY_FOLDER=str(tmp_path / "resumen"))
    with LiveServer(app) as server:
        yield server


@pytest.mark.slow
def test_a_facilitators_day_on_the_demo(chromium, demo_live):
    context = chromium.new_context(viewport=DESKTOP, locale="es-MX", accept_downloads=True)
    page = context.new_page()
    sign_in(page, demo_live.url, "facilitador", "demo-facilitador-2010")
    assert page.url.endswith("/sitio/CDMX-IZT/")

    # who is at risk today: the follow-up list is not empty on the demo
    page.get_by_role("link", name="Seguimiento").first.click()
    assert page.get_by_text("CONFIDENCIAL").is_visible()
    at_risk = page.locator("table tbody tr").first.locator("td").first.inner_text().split()[0]
    assert re.fullmatch(r"CDMX-IZT-\d{4}-\d{4}", at_risk)
    assert not axe_violations(page)

    # find him by his code on the roster
    page.get_by_role("link", name="Participantes").first.click()
    page.get_by_label("Código").fill(at_risk[-4:])
    page.get_by_role("button", name="Mostrar").click()
    assert page.locator("table.roster tbody tr", has_text=at_risk).count() == 1
    assert "En riesgo" in page.locator("table.roster tbody tr", has_text=at_risk).inner_text()
    group = page.locator("table.roster tbody tr", has_text=at_risk).locator("td").nth(1).inner_text()

    # record a call to him from the follow-up list
    page.get_by_role("link", name="Seguimiento").first.click()
    row = page.locator("tr", has_text=at_risk)
    row.locator("summary", has_text="Registrar una llamada").click()
    row.get_by_label("No", exact=True).check()
    row.get_by_label("Qué resultó").select_option("no_contact")
    row.get_by_role("button", name="Registrar la llamada").click()
    assert page.get_by_text(f"Se registró la llamada a {at_risk}.").is_visible()
    assert "no localizado, No se le pudo localizar" in page.locator("tr", has_text=at_risk).inner_text()
    assert not axe_violations(page)

    # record today's session of his group: the next number is filled in, he came back
    page.get_by_role("link", name="Sesiones").first.click()
    page.goto(demo_live.url + f"/sitio/CDMX-IZT/sesiones/nueva?grupo={group}")
    number = page.get_by_label("Número de sesión").input_value()
    assert number.isdigit() and int(number) > 1
    page.get_by_label(at_risk).check()
    page.get_by_role("button", name="Guardar la sesión").click()
    assert page.get_by_text(f"Se guardó la sesión {number} del grupo {group}").is_visible()
    page.get_by_role("link", name="Participantes").first.click()
    assert "En riesgo" not in page.locator("table.roster tbody tr", has_text=at_risk).inner_text()

    # print last month's sheet
    page.get_by_role("link", name="Resumen").first.click()
    last_month = (clock.today().replace(day=1) - __import__("datetime").timedelta(days=1))
    page.get_by_label("Hoja mensual de monitoreo (PDF)").fill(last_month.strftime("%m/%Y"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar la hoja").click()
    assert download.value.suggested_filename == f"hoja-mensual-CDMX-IZT-{last_month:%Y-%m}.pdf"
    context.close()


@pytest.mark.slow
def test_administration_and_the_coordinators_summary(chromium, demo_live):
    context = chromium.new_context(viewport=DESKTOP, locale="es-MX", accept_downloads=True)
    page = context.new_page()
    sign_in(page, demo_live.url, "admin", "demo-admin-2010")
    page.get_by_role("link", name="Usuarios").first.click()
    page.get_by_role("link", name="Agregar un usuario").click()
    page.get_by_label("Nombre de usuario").fill("lucia.fac")
    page.get_by_label("Papel").select_option("facilitator")
    page.get_by_label("Sitio (solo facilitadores)").select_option("OAX-CEN")
    page.get_by_role("button", name="Guardar").click()
    temporary = page.locator("#contrasena").inner_text()
    assert not axe_violations(page)
    page.get_by_role("button", name="Cerrar sesión").click()

    sign_in(page, demo_live.url, "lucia.fac", temporary)
    assert page.url.endswith("/cuenta/contrasena")  # she must choose her own first
    page.goto(demo_live.url + "/sitio/OAX-CEN/")
    assert page.url.endswith("/cuenta/contrasena")
    page.get_by_label("Contraseña actual").fill(temporary)
    page.get_by_label("Contraseña nueva", exact=True).fill("la frase de lucia 2026")
    page.get_by_label("Contraseña nueva otra vez").fill("la frase de lucia 2026")
    page.get_by_role("button", name="Cambiar mi contraseña").click()
    assert page.url.endswith("/sitio/OAX-CEN/")
    page.get_by_role("button", name="Cerrar sesión").click()

    sign_in(page, demo_live.url, "admin", "demo-admin-2010")
    page.get_by_role("link", name="Todos los sitios").first.click()
    page.get_by_role("button", name="Construir otra vez el resumen ahora").click()
    assert page.get_by_text(re.compile(r"Se construyó otra vez el resumen: \d+ páginas de 19 sitios\.")).is_visible()
    page.get_by_role("button", name="Cerrar sesión").click()

    sign_in(page, demo_live.url, "coordinacion", "demo-coordinacion-2010")
    page.get_by_role("link", name="Todos los sitios").first.click()
    assert page.locator("table tbody tr:not(.total)").count() == 19  # a row per site
    assert page.locator("table tbody tr.total").count() == 8  # a total per state
    assert page.locator("table tfoot tr", has_text="Todo el país").count() == 1
    assert not axe_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el resumen (zip)").click()
    assert download.value.suggested_filename == "resumen.zip"
    # the whole zip arrives (waiting for it, so the server is not cut off mid-file) and opens as the summary
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "resumen/index.html" in archive.namelist() and archive.testzip() is None
    context.close()
