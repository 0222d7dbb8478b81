"""Issue 22 in Debian's chromium, on a desktop: a facilitator uploads an export whose manifest was forged to
erase a man; the check says it waits for an administrator and offers no way to confirm it; an administrator of
the state's portal finds it on the site's export page, reads which man it erases, and confirms it."""
import zipfile

import pytest
from browser import LiveServer, axe_violations, no_horizontal_scroll, sign_in
from conftest import PASSWORDS
from transfers import export, fill_site, forge_erasure, state_portal

from portal.db import get_registry, get_site_store
from portal.registry import add_user

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_a_forged_erasure_waits_for_an_administrator_in_the_browser(app, chromium, tmp_path):
    men = fill_site(app)
    state = state_portal(tmp_path, app)
    forged = tmp_path / "forged"
    export(app.test_cli_runner(), forged)
    forge_erasure(forged, men[0])
    zipped = tmp_path / "SITE-A-datos.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted(forged.iterdir()):
            archive.write(path, path.name)
    with state.app_context():
        add_user(get_registry(), "admin2", "admin", PASSWORDS["admin"])
    with LiveServer(state) as server:
        fac = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX").new_page()
        sign_in(fac, server.url, "fac_a", "fac-a-password-1")
        fac.goto(server.url + "/sitio/SITE-A/datos/")
        fac.get_by_label("Sincronizar con la exportación del sitio").check()
        fac.get_by_label("Archivo ZIP o archivos CSV").set_input_files(str(zipped))
        fac.get_by_role("button", name="Revisar los archivos").click()
        fac.wait_for_load_state()
        assert fac.get_by_text("Esta sincronización borraría para siempre a 1 hombre.").is_visible()
        assert fac.get_by_role("button", name="Confirmar y sincronizar").count() == 0
        assert no_horizontal_scroll(fac) and not axe_violations(fac)
        fac.reload()  # still waiting, still nothing to confirm
        assert fac.get_by_role("button", name="Confirmar y sincronizar").count() == 0

        admin = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX").new_page()
        sign_in(admin, server.url, "admin2", PASSWORDS["admin"])
        admin.goto(server.url + "/sitio/SITE-A/datos/")
        assert admin.get_by_role("heading", name="Sincronizaciones que esperan a un administrador").is_visible()
        admin.get_by_role("link", name="Revisar y confirmar").click()
        admin.wait_for_load_state()
        assert admin.get_by_text(men[0]).is_visible()  # he reads which man it erases
        assert not axe_violations(admin)
        admin.get_by_role("button", name="Confirmar y sincronizar").click()
        admin.wait_for_load_state()
        assert admin.get_by_text("participants.csv: borrados 1").is_visible()
    with state.app_context():
        assert get_site_store("SITE-A").read().first("erased", code=men[0])["by"] == "admin2"
