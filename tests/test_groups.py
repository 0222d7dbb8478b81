"""Groups are records created on purpose; men and sessions go only into them, at plausible dates."""
import re

from conftest import Facilitator

from portal.db import get_site_store


def groups_of(app, site="SITE-A"):
    with app.app_context():
        return {g["code"]: g for g in get_site_store(site).read().all("groups")}


def test_a_group_typed_when_registering_is_refused_and_not_created(app, client):
    fac = Facilitator(client)
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "2026-C", "enrolled_on": "2026-11-02"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "El grupo 2026-C no existe en este sitio" in html
    assert "2026-C" not in groups_of(app)


def test_the_registration_form_offers_the_open_groups_to_choose(app, client):
    fac = Facilitator(client)
    html = client.get(fac.url("participantes/nuevo")).get_data(as_text=True)
    assert re.search(r'<select[^>]*name="group"', html)
    assert '<option value="2026-A">' in html and '<option value="2026-B">' in html
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "", "enrolled_on": "2026-11-02"})
    assert response.status_code == 422 and "Elija el grupo" in response.get_data(as_text=True)


def test_a_facilitator_creates_a_group_lists_it_and_registers_a_man_in_it(app, client):
    fac = Facilitator(client)
    response = fac.post_form(fac.url("grupos/"), {"code": "2026-c", "started_on": "2026-11-09", "sessions": "20"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/grupos/")
    page = client.get(fac.url("grupos/")).get_data(as_text=True)
    assert "Grupo 2026-C" in page and "0 de 20 sesiones" in page
    assert groups_of(app)["2026-C"]["started_on"] == "2026-11-09"
    man = fac.register(group="2026-C", enrolled_on="2026-11-09")
    assert man.startswith("SITE-A-2026-")
    again = fac.post_form(fac.url("grupos/"), {"code": "2026-C", "started_on": "2026-11-09", "sessions": "20"})
    assert again.status_code == 422 and "ya existe" in again.get_data(as_text=True)


def test_a_registration_years_away_from_the_group_is_refused(app, client):
    fac = Facilitator(client)
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "2026-A", "enrolled_on": "2016-12-06"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "antes de que empezara el grupo 2026-A" in html
    with app.app_context():
        assert not get_site_store("SITE-A").read().all("participants")


def test_sessions_keep_their_dates_in_the_order_of_their_numbers(app, client):
    fac = Facilitator(client)
    man = fac.register(group="2026-B", enrolled_on="2026-11-02")
    fac.record_session("2026-B", 1, "2026-11-03", [man])
    response = fac.post_form(fac.url("sesiones/nueva?grupo=2026-B"), {
        "number": "7", "held_on": "2025-12-06", "venue": "health_centre", "present": [man]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La sesión 7 no puede tener fecha anterior a la sesión 1" in html
    assert 'id="held_on"' in html and "has-error" in html  # next to the date


def test_a_closed_group_takes_no_new_man(app, client):
    fac = Facilitator(client)
    fac.post_form(fac.url("grupos/"), {"code": "2026-Z", "started_on": "2026-11-02", "sessions": "24"})
    fac.post_form(fac.url("grupos/2026-Z/cerrar"), {"cerrar": "1", "volver": "grupos"})
    html = client.get(fac.url("participantes/nuevo")).get_data(as_text=True)
    assert '<option value="2026-Z">' not in html
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "2026-Z", "enrolled_on": "2026-11-02"})
    assert response.status_code == 422 and "está cerrado" in response.get_data(as_text=True)


def test_a_second_session_on_the_same_day_asks_first_and_saves_once_confirmed(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    fac.record_session("2026-A", 1, "2026-11-03", [man])
    data = {"number": "2", "held_on": "2026-11-03", "venue": "health_centre", "present": [man]}
    asked = fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "ya tiene la sesión 1 el 03/11/2026" in html
    assert 'name="confirmar" value="1"' in html
    with app.app_context():
        assert len(get_site_store("SITE-A").read().all("sessions")) == 1
    saved = fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), {**data, "confirmar": "1"})
    assert saved.status_code == 302
    with app.app_context():
        assert len(get_site_store("SITE-A").read().all("sessions")) == 2


def test_a_session_with_nobody_present_asks_first(app, client):
    fac = Facilitator(client)
    fac.register(enrolled_on="2026-11-02")
    data = {"number": "1", "held_on": "2026-11-03", "venue": "health_centre"}
    asked = fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), data)
    assert asked.status_code == 422 and "No marcó a nadie como presente" in asked.get_data(as_text=True)
    assert fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), {**data, "confirmar": "1"}).status_code == 302
