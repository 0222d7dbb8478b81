"""A site's day is its own: "today" and every time shown follow the site's time zone, not the server's UTC."""
import re
from datetime import datetime, timezone

import pytest
from conftest import Facilitator, Staff, csrf_token
from fixtures import add_group

from portal import clock
from portal.db import get_registry
from portal.registry import RegistryError, add_site, add_user, check_site, get_site


def stand_at(monkeypatch, utc: str):
    """Every clock of the portal reads this instant (UTC)."""
    moment = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.fixture
def cancun(app):
    with app.app_context():
        registry = get_registry()
        add_site(registry, check_site("QROO-CUN", "Centro de Salud Cancún", "23", 24, "America/Cancun"))
        add_user(registry, "fac_cun", "facilitator", "fac-cun-password-1", "QROO-CUN")
        add_group("QROO-CUN", "2026-A")
    return app


def register_form_date(client, site):
    html = client.get(f"/sitio/{site}/participantes/nuevo").get_data(as_text=True)
    return re.search(r'name="enrolled_on"[^>]*value="([0-9-]+)"', html).group(1)


def test_at_nine_in_the_evening_each_site_is_still_on_its_own_day(app, cancun, client, monkeypatch):
    # 21:00 in Mexico City is 03:00 UTC of the next day
    stand_at(monkeypatch, "2026-12-12T03:00:00")
    fac = Facilitator(client)
    assert register_form_date(client, "SITE-A") == "2026-12-11"
    fac.logout()
    # 21:00 in Cancún is 02:00 UTC of the next day
    stand_at(monkeypatch, "2026-12-12T02:00:00")
    Staff(client).login("fac_cun", "fac-cun-password-1")
    assert register_form_date(client, "QROO-CUN") == "2026-12-11"


def test_at_the_same_instant_cancun_has_already_turned_the_day(app, cancun, client, monkeypatch):
    stand_at(monkeypatch, "2026-12-12T05:30:00")  # 23:30 in Mexico City, 00:30 in Cancún
    Staff(client).login("fac_cun", "fac-cun-password-1")
    assert register_form_date(client, "QROO-CUN") == "2026-12-12"
    Staff(client).logout()
    Facilitator(client)
    assert register_form_date(client, "SITE-A") == "2026-12-11"


def test_an_evening_session_and_registration_are_accepted_on_the_local_day(app, client, monkeypatch):
    stand_at(monkeypatch, "2026-12-12T03:00:00")  # 21:00 on the 11th in Mexico City
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-12-11")
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "2026-A", "enrolled_on": "2026-12-12"})
    assert response.status_code == 422 and "futur" in response.get_data(as_text=True)
    assert man.startswith("SITE-A-2026-")


def test_the_slip_and_his_file_show_the_same_expiry_in_local_time(app, client, monkeypatch):
    stand_at(monkeypatch, "2026-12-06T01:45:00")  # 19:45 on the 5th in Mexico City
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-12-05")
    page = client.get(fac.url(f"participantes/{man}/"))
    slip = client.post(fac.url(f"participantes/{man}/codigo"),
                       data={"cuestionario": "intake", "csrf_token": csrf_token(page)}, follow_redirects=True)
    slip_text = slip.get_data(as_text=True)
    assert "12/12/2026 19:45" in slip_text
    assert "13/12/2026" not in slip_text
    assert "12/12/2026 19:45" in client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)


def test_a_site_keeps_its_zone_and_refuses_one_outside_mexico(app):
    with app.app_context():
        assert get_site(get_registry(), "SITE-A").time_zone == "America/Mexico_City"
        with pytest.raises(RegistryError):
            check_site("X-01", "X", "09", 24, "Europe/Madrid")


def test_sites_add_keeps_its_old_form_and_takes_a_zone(app, runner):
    result = runner.invoke(args=["sites", "add", "CDMX-02", "--name", "Dos", "--state", "09"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["sites", "add", "BC-TIJ", "--name", "Tijuana", "--state", "02", "--sessions", "20",
                                 "--time-zone", "America/Tijuana"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["sites", "add", "BC-X", "--name", "X", "--state", "02", "--time-zone", "UTC"])
    assert result.exit_code != 0 and "zona horaria" in result.output
    with app.app_context():
        assert get_site(get_registry(), "CDMX-02").time_zone == "America/Mexico_City"
        assert get_site(get_registry(), "BC-TIJ").time_zone == "America/Tijuana"


def test_the_administrator_chooses_the_zone_in_the_site_form(app, staff):
    staff.login("admin")
    form = staff.client.get("/admin/sitios/nuevo").get_data(as_text=True)
    assert "America/Cancun" in form and "Quintana Roo" in form
    response = staff.post_form("/admin/sitios/nuevo", {"code": "QROO-02", "name": "Chetumal", "state": "23",
                                                        "sessions": "24", "time_zone": "America/Cancun"})
    assert response.status_code == 302
    with app.app_context():
        assert get_site(get_registry(), "QROO-02").time_zone == "America/Cancun"
