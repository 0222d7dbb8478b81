"""Export and import from the browser, in Debian's chromium at phone size: the facilitator
downloads the site's ZIP and reads it, uploads a spoiled file and sees every problem in
Spanish, then uploads good files and sees what was imported."""
import csv
import io
import zipfile

import pytest

from browser import axe_violations, no_horizontal_scroll
from conftest import PASSWORDS
from test_transfer import fill_site

pytestmark = pytest.mark.browser


def sign_in(page, base, username):
    page.goto(base + "/entrar")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORDS[username])
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_load_state()


def fits_and_is_accessible(page):
    assert no_horizontal_scroll(page), page.url
    assert not axe_violations(page), page.url


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
    page.get_by_role("button", name="Revisar e importar").click()
    page.wait_for_load_state()
    problems = page.locator("#problemas")
    assert problems.is_visible()
    assert "No se importó nada" in problems.inner_text()
    assert "intake.csv, línea 2, columna age: Escriba una edad entre 15 y 99 años." in problems.inner_text()
    assert "sessions.csv, línea 1: Faltan columnas: date, venue." in problems.inner_text()
    fits_and_is_accessible(page)

    # Good files: the ZIP just downloaded changes nothing; a man typed in a spreadsheet is added.
    page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(zipped))
    page.get_by_role("button", name="Revisar e importar").click()
    page.wait_for_load_state()
    assert page.get_by_text("Nada nuevo: el sitio ya tenía todos estos datos.").is_visible()
    new_man = tmp_path / "participants.csv"
    new_man.write_text("participant_code,group_code,enrolled_on\r\nSITE-A-2025-0001,2025-A,15/12/2025\r\n",
                       encoding="utf-8-sig")
    page.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(new_man))
    page.get_by_role("button", name="Revisar e importar").click()
    page.wait_for_load_state()
    assert page.get_by_text("Se importaron en SITE-A: 1 participantes").is_visible()
    fits_and_is_accessible(page)
    page.goto(live.url + "/sitio/SITE-A/participantes/")
    assert page.get_by_role("link", name="SITE-A-2025-0001").is_visible()
    assert not page.console_errors
