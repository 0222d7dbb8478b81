"""No silent mistakes: a reload repeats nothing, nothing dangerous is chosen for you, a change that changes
nothing is refused, and each error sits next to its field with a link to it at the top."""
import re

from conftest import INTAKE_ANSWERS, Facilitator, Participant, csrf_token
from portal.db import get_site_store


def test_reloading_the_code_slip_shows_the_same_code_and_the_printed_one_still_opens(app, client):
    fac = Facilitator(client)
    man = fac.register()
    page = client.get(fac.url(f"participantes/{man}/"))
    response = client.post(fac.url(f"participantes/{man}/codigo"),
                           data={"cuestionario": "intake", "csrf_token": csrf_token(page)})
    assert response.status_code == 303  # post, redirect, get
    slip_url = response.headers["Location"]
    first = re.search(r'id="codigo">([A-Z0-9-]+)<', client.get(slip_url).get_data(as_text=True)).group(1)
    again = re.search(r'id="codigo">([A-Z0-9-]+)<', client.get(slip_url).get_data(as_text=True)).group(1)
    assert first == again
    fac.logout()
    url, html = Participant(app.test_client()).open(first)
    assert "/cuestionario/parte/1" in url


def test_the_follow_up_form_starts_empty_and_refuses_a_contradiction(app, client):
    fac = Facilitator(client)
    man = fac.register()
    html = client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    form = html[html.index('class="attempt"'):]
    form = form[:form.index("</form>")]
    assert "checked" not in form and "selected" not in form
    response = fac.post_form(fac.url(f"seguimiento/{man}/intento"), {"date": "2026-11-20", "reached": "yes",
                                                                     "outcome": "no_contact"})
    assert "no puede ser «No se le pudo localizar»" in client.get(response.headers["Location"]).get_data(as_text=True)
    fac.post_form(fac.url(f"seguimiento/{man}/intento"), {"date": "2026-11-20", "outcome": "will_come_back"})
    with app.app_context():
        assert not get_site_store("SITE-A").read().all("followups")


def test_a_correction_that_changes_nothing_is_refused_as_such(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    response = fac.post_form(fac.url(f"participantes/{man}/registro"), {
        "group": "2026-A", "enrolled_on": "2026-11-02", "reason": "Revisión"})
    assert response.status_code == 422 and "No cambió nada" in response.get_data(as_text=True)
    fac.enter(man, "intake", INTAKE_ANSWERS, paper_date="2026-11-03")
    url = fac.url(f"participantes/{man}/cuestionario/intake/corregir")
    response = fac.post_form(url, {**INTAKE_ANSWERS, "fecha_papel": "2026-11-03", "reason": "Revisión"})
    assert response.status_code == 422 and "No cambió nada" in response.get_data(as_text=True)
    with app.app_context():
        assert not [e for e in get_site_store("SITE-A").read().all("_audit") if e.get("action") == "correct"]


def test_a_correction_without_a_reason_links_from_the_top_to_the_reason(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    fac.enter(man, "intake", INTAKE_ANSWERS, paper_date="2026-11-03")
    url = fac.url(f"participantes/{man}/cuestionario/intake/corregir")
    response = fac.post_form(url, {**INTAKE_ANSWERS, "age": "40", "fecha_papel": "2026-11-03", "reason": ""})
    html = response.get_data(as_text=True)
    summary = html[html.index('class="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert 'href="#reason"' in summary and "Escriba el motivo" in summary
    assert 'id="reason-error"' in html
