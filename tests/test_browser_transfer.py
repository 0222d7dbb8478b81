"""Export and import from the browser, in Debian's chromium at phone size: the facilitator
downloads the site's ZIP and reads it, uploads a spoiled file and sees every problem in
Spanish, then uploads good files and sees what was imported."""
import csv
import io
import zipfile

import pytest
from browser import LiveServer, axe_violations, no_horizontal_scroll, sign_in
from conftest import PASSWORDS, Facilitator
from transfers import empty_instance, fill_site

from portal import corrections
from portal.db import get_registry, get_site_store
from portal.registry import add_user

pytestmark = pytest.mark.browser


def fits_and_is_accessible(page):
    assert no_horizontal_scroll(page), page.url
    assert not axe_violations(page), page.url


@pytest.mark.slow
def test_facilitator_downloads_uploads_and_reads_the_problems_on_a_phone(app, live, phone, tmp_path):
    men = fill_site(app)
    page = phone
    sign_in(page, live.url, "fac_a")
    page.get_by_role("link", name="Exportar e importar").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Exportar e importar").is_visible()
    fits_and_is_accessible(page)

    # The download: a ZIP with the site's CSV files, readable as a spreadsheet would read them.
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar los datos (ZIP)").click()
    zipped = tmp_path / download.value.suggested_filename
    download.value.save_as(zipped)
    assert zipped.name.startswith("SITE-A-datos-")
    archive = zipfile.ZipFile(zipped)
    participants = list(csv.reader(io.StringIO(archive.read("participants.csv").decode("utf-8-sig"), newline="")))
    assert participants[0] == ["participant_code", "group_code", "enrolled_on"]
    assert [row[0] for row in participants[1:]] == men
    assert "señor Peña" in archive.read("intake.csv").decode("utf-8-sig")

    # A spoiled file: every problem, in Spanish, with file, line and column; nothing imported.
    bad = tmp_path / "intake.csv"
    intake = archive.read("intake.csv").decode("utf-8-sig").replace(",34,", ",120,", 1)
    bad.write_text(intake, encoding="utf-8-sig")
    broken = tmp_path / "sessions.csv"
    broken.write_text("session_id,group_code,number\r\n", encoding="utf-8")
    page.get_by_label("Archivo ZIP o archivos CSV").set_input_files([str(bad), str(broken)])
    page.get_by_role("button", name="Revisar los archivos").click()
    page.wait_for_load_state()
    problems = page.locator("#problemas")
    assert problems.is_visible()
    assert "No se importó nada" in problems.inner_text()
    assert "intake.csv, línea 2, columna age: Escriba una edad entre 15 y 99 años." in problems.inner_text()
    assert "sessions.csv, línea 1: Faltan columnas: date, venue." in problems.inner_text()
    fits_and_is_accessible(page)

    # Good files: the ZIP just downloaded changes nothing; a man typed in a spreadsheet is added.
    page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(zipped))
    page.get_by_role("button", name="Revisar los archivos").click()
    page.wait_for_load_state()
    assert page.get_by_text("No cambiaría nada: el sitio ya tiene estos datos.").is_visible()
    fits_and_is_accessible(page)
    page.get_by_role("button", name="Confirmar e importar").click()
    page.wait_for_load_state()
    assert page.get_by_text("Nada nuevo: el sitio ya tenía todos estos datos.").is_visible()
    new_man = tmp_path / "participants.csv"
    new_man.write_text("participant_code,group_code,enrolled_on\r\nSITE-A-2025-0001,2025-A,15/12/2025\r\n",
                       encoding="utf-8-sig")
    page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(new_man))
    page.get_by_role("button", name="Revisar los archivos").click()
    page.wait_for_load_state()
    assert page.get_by_role("row", name="participants.csv 1 0").is_visible()  # one new man, nothing unchanged
    page.get_by_role("button", name="Confirmar e importar").click()
    page.wait_for_load_state()
    assert page.get_by_text("Importación en SITE-A: 1 participante.").is_visible()
    fits_and_is_accessible(page)
    page.goto(live.url + "/sitio/SITE-A/participantes/")
    assert page.get_by_role("link", name="SITE-A-2025-0001").is_visible()
    assert not page.console_errors


@pytest.mark.slow
def test_the_state_syncs_a_sites_export_reads_the_dry_run_confirms_and_sees_the_history(app, chromium, tmp_path):
    """At the state's portal, on a desktop: an administrator uploads the site's export with sync, reads what would
    change, confirms, and finds the changes in the site's history; next month the same with a withdrawal."""
    men = fill_site(app)
    site_client = app.test_client()
    Facilitator(site_client)
    (tmp_path / "october.zip").write_bytes(site_client.get("/sitio/SITE-A/datos/datos.zip").data)
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    with state.app_context():
        add_user(get_registry(), "admin", "admin", PASSWORDS["admin"])
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    page = context.new_page()
    with LiveServer(state) as server:
        sign_in(page, server.url, "admin")

        def sync(zipped):
            page.goto(server.url + "/sitio/SITE-A/datos/")
            page.get_by_label("Sincronizar con la exportación del sitio").check()
            page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(zipped))
            page.get_by_role("button", name="Revisar los archivos").click()
            page.wait_for_load_state()
            assert page.get_by_role("heading", name="Revisar antes de importar").is_visible()

        sync(tmp_path / "october.zip")
        table = page.get_by_role("table", name="Lo que cambiaría la sincronización")
        assert table.get_by_role("row", name="participants.csv 4 0").is_visible()  # new, unchanged
        page.reload()  # the check is a page of its own: a reload shows it again, nothing written
        assert table.get_by_role("row", name="participants.csv 4 0").is_visible()
        page.screenshot(path=str(tmp_path / "dry-run.png"))
        fits_and_is_accessible(page)
        page.get_by_role("button", name="Confirmar y sincronizar").click()
        page.wait_for_load_state()
        assert page.get_by_text("participants.csv: nuevos 4").is_visible()
        assert page.get_by_text("Última sincronización").is_visible()
        page.screenshot(path=str(tmp_path / "synced.png"), full_page=True)
        page.go_back()  # to the check already confirmed: it says so, and nothing happens twice
        page.wait_for_load_state()
        assert page.get_by_text("Esta revisión ya no es válida").is_visible()

        with app.app_context():
            corrections.withdraw_participant(get_site_store("SITE-A"), men[1], "Registrado por error", "fac_a")
        (tmp_path / "november.zip").write_bytes(site_client.get("/sitio/SITE-A/datos/datos.zip").data)
        sync(tmp_path / "november.zip")
        # new, corrected (S0001 without him), withdrawn, unchanged
        assert table.get_by_role("row", name="participants.csv 0 0 1 3").is_visible()
        assert table.get_by_role("row", name="sessions.csv 0 1 0 3").is_visible()
        page.screenshot(path=str(tmp_path / "dry-run-2.png"))
        page.get_by_role("button", name="Confirmar y sincronizar").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Ver los cambios en el historial del sitio").click()
        page.wait_for_load_state()
        history = page.locator("main").inner_text()
        assert "Sincronización con la exportación de SITE-A" in history and men[1] in history
        assert "Retirado" in history
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
        fits_and_is_accessible(page)
        # An older export afterwards is refused, and says why.
        sync_page = page
        sync_page.goto(server.url + "/sitio/SITE-A/datos/")
        sync_page.get_by_label("Sincronizar con la exportación del sitio").check()
        sync_page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(tmp_path / "october.zip"))
        sync_page.get_by_role("button", name="Revisar los archivos").click()
        sync_page.wait_for_load_state()
        assert "de una exportación posterior" in sync_page.locator("#problemas").inner_text()
    context.close()
