"""Small things a facilitator meets every day on the forms."""
import re
from pathlib import Path

import pytest
from browser import axe_violations, sign_in
from conftest import FACILITATOR_INTAKE, Facilitator

ALERT = "Riesgo alto: aplique hoy el protocolo de seguridad de la pareja."


def alert_hidden(html):
    tag = re.search(r'<div class="note" id="q-high_risk_note"[^>]*>', html).group(0)
    return " hidden" in tag


def test_the_partner_safety_alert_shows_only_once_high_is_chosen(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    url = fac.url(f"participantes/{man}/cuestionario/facilitator_intake")
    assert alert_hidden(client.get(url).get_data(as_text=True))
    answers = {**FACILITATOR_INTAKE, "interview_date": "", "risk_level": "high"}  # an error: it comes back
    response = fac.post_form(url, answers)
    assert response.status_code == 422 and not alert_hidden(response.get_data(as_text=True))
    response = fac.post_form(url, {**answers, "risk_level": "medium"})
    assert alert_hidden(response.get_data(as_text=True))


def test_one_man_came_is_written_in_the_singular(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    response = fac.record_session("2026-A", 1, "2026-11-03", [man])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "asistió 1 hombre." in page and "asistieron 1 hombres" not in page


@pytest.mark.browser
def test_with_javascript_the_alert_follows_the_choice_at_once(chromium, live, app):
    fac = Facilitator(app.test_client())
    man = fac.register(enrolled_on="2026-11-02")
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    page = context.new_page()
    sign_in(page, live.url, "fac_a")
    page.goto(live.url + f"/sitio/SITE-A/participantes/{man}/cuestionario/facilitator_intake")
    alert = page.get_by_text(ALERT)
    assert not alert.is_visible()
    page.locator('[name="risk_level"][value="high"]').check()
    assert alert.is_visible()
    page.locator('[name="risk_level"][value="low"]').check()
    assert not alert.is_visible()
    assert not axe_violations(page)
    context.close()


def test_the_roster_finds_a_man_by_code_and_filters_by_status(app, client):
    fac = Facilitator(client)
    men = [fac.register(enrolled_on="2026-11-02") for _ in range(3)]
    fac.enter(men[1], "facilitator_intake", dict(FACILITATOR_INTAKE, interview_date="2026-11-02", risk_level="high"))
    page = client.get(fac.url("participantes/?codigo=0002")).get_data(as_text=True)
    assert men[1] in page and men[0] not in page and men[2] not in page
    page = client.get(fac.url("participantes/?estado=riesgo-alto")).get_data(as_text=True)
    assert men[1] in page and men[0] not in page
    page = client.get(fac.url("participantes/?estado=nada&codigo=%00<b>")).get_data(as_text=True)
    assert "<b>" not in page  # odd input: ignored or escaped, never an error


def test_calls_to_men_at_risk_are_recorded_without_names_and_shown(app, client):
    fac = Facilitator(client)
    a, b = fac.register(enrolled_on="2026-11-02"), fac.register(enrolled_on="2026-11-02")
    for n, day in ((1, "2026-11-03"), (2, "2026-11-10"), (3, "2026-11-17")):
        fac.record_session("2026-A", n, day, [b])
    page = client.get(fac.url("seguimiento/")).get_data(as_text=True)
    assert "CONFIDENCIAL" in page and a in page and "ninguna todavía" in page
    before = Path(app.instance_path, "sites", "SITE-A.json").read_bytes()
    response = fac.post_form(fac.url(f"seguimiento/{a}/intento"), {"date": "2026-11-18", "reached": "no",
                                                                   "outcome": "will_come_back"})
    assert "Si no se le localizó" in client.get(response.headers["Location"]).get_data(as_text=True)
    fac.post_form(fac.url(f"seguimiento/{a}/intento"), {"date": "2026-10-01", "reached": "yes", "outcome": "other"})
    assert Path(app.instance_path, "sites", "SITE-A.json").read_bytes() == before  # both refused, nothing written
    fac.post_form(fac.url(f"seguimiento/{a}/intento"), {"date": "2026-11-18", "reached": "no", "outcome": "no_contact"})
    fac.post_form(fac.url(f"seguimiento/{a}/intento"), {"date": "2026-11-19", "reached": "yes",
                                                        "outcome": "will_come_back"})
    page = client.get(fac.url("seguimiento/")).get_data(as_text=True)
    assert "19/11/2026: localizado, Va a regresar" in page
    his = client.get(fac.url(f"participantes/{a}/")).get_data(as_text=True)
    assert "Llamadas de seguimiento" in his and "No se le pudo localizar" in his and "Va a regresar" in his


def test_a_session_offers_only_active_men_and_a_group_can_be_closed(app, client):
    fac = Facilitator(client)
    stays, leaves = fac.register(enrolled_on="2026-11-02"), fac.register(enrolled_on="2026-11-02")
    fac.record_session("2026-A", 1, "2026-11-03", [stays, leaves])
    fac.enter(leaves, "facilitator_exit", {"exit_date": "2026-11-05", "exit_reason": "dropped_out",
                                           "dropout_reason": "work_schedule", "goals_met": "no",
                                           "new_violence_reported": "no", "referral_made": "none"})
    form = client.get(fac.url("sesiones/nueva?grupo=2026-A")).get_data(as_text=True)
    assert f'value="{stays}"' in form and f'value="{leaves}"' not in form  # he left: not offered
    correction = client.get(fac.url("sesiones/S0001/")).get_data(as_text=True)
    assert f'value="{leaves}"' in correction  # but a correction of a session he came to shows him
    fac.post_form(fac.url("grupos/2026-A/cerrar"), {"cerrar": "1"})
    page = client.get(fac.url("sesiones/nueva")).get_data(as_text=True)
    assert "grupo=2026-A" not in page and "Grupos cerrados: 2026-A." in page
    fac.post_form(fac.url("grupos/2026-A/cerrar"), {"cerrar": "0"})
    assert "grupo=2026-A" in client.get(fac.url("sesiones/nueva")).get_data(as_text=True)
