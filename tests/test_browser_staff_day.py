"""The facilitator's day without traps, in chromium: her own local day, groups that exist, a slip that
survives a reload, no dangerous defaults, and every staff page at 360 px without sideways scroll."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from browser import PHONE, axe_violations, no_horizontal_scroll, sign_in
from conftest import PASSWORDS
from fixtures import add_group

from portal import clock
from portal.attendance import save_session
from portal.db import get_registry, get_site_store
from portal.participants import register
from portal.registry import add_site, add_user, check_site

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}


def stand_at(monkeypatch, utc):
    moment = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.fixture
def cancun(app):
    with app.app_context():
        add_site(get_registry(), check_site("QROO-CUN", "Centro de Salud Cancún", "23", 24, "America/Cancun"))
        add_user(get_registry(), "fac_cun", "facilitator", "fac-cun-password-1", "QROO-CUN")
        add_group("QROO-CUN", "2026-A")
    return app


@pytest.mark.parametrize("utc, who, password, site", [
    ("2026-12-12T03:00:00", "fac_a", PASSWORDS["fac_a"], "SITE-A"),  # 21:00 in Mexico City
    ("2026-12-12T02:00:00", "fac_cun", "fac-cun-password-1", "QROO-CUN"),  # 21:00 in Cancún
], ids=["mexico-city", "cancun"])
def test_at_nine_in_the_evening_a_facilitator_registers_a_man_on_her_own_day(chromium, cancun, live, monkeypatch,
                                                                             utc, who, password, site):
    stand_at(monkeypatch, utc)
    page = chromium.new_context(viewport=DESKTOP, locale="es-MX").new_page()
    sign_in(page, live.url, who, password)
    page.goto(f"{live.url}/sitio/{site}/participantes/nuevo")
    assert page.get_by_label("Fecha de ingreso").input_value() == "2026-12-11"
    # groups are chosen, never typed: 2026-C cannot be made up here
    assert page.get_by_label("Grupo").evaluate("el => el.tagName") == "SELECT"
    assert "2026-C" not in page.get_by_label("Grupo").inner_text()
    page.get_by_label("Grupo").select_option("2026-A")
    page.get_by_role("button", name="Registrar y seguir").click()
    man = re.search(rf"{site}-2026-\d{{4}}", page.url).group(0)
    # his code slip: a reload shows the same code, valid until the same local minute as on his page
    page.goto(f"{live.url}/sitio/{site}/participantes/{man}/")
    page.get_by_role("button", name="Darle un código para contestarlo").first.click()
    code = page.locator("#codigo").inner_text()
    assert "18/12/2026 21:00" in page.content()
    page.reload()
    assert page.locator("#codigo").inner_text() == code
    page.goto(f"{live.url}/sitio/{site}/participantes/{man}/")
    assert "18/12/2026 21:00" in page.content()


def test_a_new_user_without_a_role_is_refused_and_the_error_is_in_view(chromium, live):
    page = chromium.new_context(viewport=PHONE, locale="es-MX").new_page()
    sign_in(page, live.url, "admin", PASSWORDS["admin"])
    page.goto(live.url + "/admin/usuarios/nuevo")
    page.get_by_label("Nombre de usuario").fill("lucia.fac")
    page.get_by_role("button", name="Guardar").click()
    assert page.locator("#role-error").is_visible()
    assert page.evaluate("document.activeElement.id") == "role"
    assert no_horizontal_scroll(page)
    assert not axe_violations(page)


PAGES = ["", "participantes/", "participantes/nuevo", "grupos/", "sesiones/", "sesiones/nueva", "seguimiento/",
         "historial/", "retirados/"]


@pytest.mark.slow
def test_every_staff_page_fits_a_phone(chromium, live, app):
    with app.app_context():  # a site with a year of work: 60 men, 23 sessions
        store = get_site_store("SITE-A")
        men = [register(store, "SITE-A", "2026-A", date(2026, 1, 5), "fac_a") for _ in range(60)]
        for n in range(1, 24):
            save_session(store, group_code="2026-A", number=n, held_on=date(2026, 1, 6) + timedelta(weeks=n),
                         venue="health_centre", present=men[n:n + 30], sessions_in_program=24, user="fac_a")
    page = chromium.new_context(viewport=PHONE, locale="es-MX", is_mobile=True, has_touch=True).new_page()
    sign_in(page, live.url, "fac_a", PASSWORDS["fac_a"])
    for path in PAGES + [f"participantes/{men[0]}/", "sesiones/S0001/"]:
        page.goto(f"{live.url}/sitio/SITE-A/{path}")
        assert no_horizontal_scroll(page), path
    page.goto(f"{live.url}/sitio/SITE-A/participantes/")
    assert not page.get_by_label("Situación").is_visible()  # the first screen is the list, not every filter
    assert page.get_by_role("navigation", name="Páginas de los participantes").is_visible()
    page.get_by_role("link", name="Siguiente »").click()
    assert "pagina=2" in page.url and page.locator("table.roster tbody tr").count() == 10
    page.goto(f"{live.url}/sitio/SITE-A/historial/")
    assert page.get_by_role("navigation", name="Páginas del historial").count() == 1
    sign_in_admin = chromium.new_context(viewport=PHONE, locale="es-MX").new_page()
    sign_in(sign_in_admin, live.url, "admin", PASSWORDS["admin"])
    for path in ("/sitios/", "/coordinacion/", "/admin/usuarios/", "/admin/usuarios/nuevo", "/admin/sitios/nuevo",
                 "/admin/sitios/SITE-A/", "/admin/usuarios/fac_a/contrasena"):
        sign_in_admin.goto(live.url + path)
        assert no_horizontal_scroll(sign_in_admin), path
