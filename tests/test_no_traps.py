"""No silent mistakes: a reload repeats nothing, nothing dangerous is chosen for you, a change that changes
nothing is refused, and each error sits next to its field with a link to it at the top."""
import re

from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, INTAKE_ANSWERS, Facilitator, Participant, csrf_token

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


def test_the_count_of_parts_does_not_jump_when_his_answers_hide_a_part(app):
    from portal import drafts

    intake = app.extensions["questionnaires"]["intake"]
    answers, seen = {}, []
    given = {**INTAKE_ANSWERS, "works": "no", "relationship_status": "single", "has_children": "no"}
    for page in intake.pages:
        if not intake.page_shown(page, answers):
            continue
        position, total = drafts.progress(intake, answers, page.index)
        seen.append((position, total, drafts.total_is_final(intake, answers, page.index)))
        answers.update({q.name: given[q.name] for q in page.items if q.name in given})
    assert [p for p, _total, _final in seen] == list(range(1, len(seen) + 1))
    # "of N" alone only once N cannot change (then it is the number of parts he saw); before, "of N or fewer"
    assert {total for _p, total, final in seen if final} == {len(seen)}
    assert all(total >= len(seen) for _p, total, final in seen if not final)
    assert not seen[0][2]


def test_after_half_an_hour_away_his_unsent_answers_open_only_with_his_code_again(app, client, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from portal import clock

    start = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: start)
    fac = Facilitator(client)
    man = fac.register()
    code = fac.issue_code(man)
    fac.logout()
    phone = app.test_client()
    him = Participant(phone)
    url = him.answer(code, INTAKE_ANSWERS, stop_at=2)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=20))
    assert phone.get(url).status_code == 200  # back after 20 minutes: still open
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=51))
    reopened = phone.get(url)  # from the phone's history, half an hour after the last use
    assert reopened.status_code == 303 and reopened.headers["Location"].endswith("/cuestionario/")
    page = phone.get("/cuestionario/").get_data(as_text=True)
    assert "escriba otra vez su código" in page and "name=\"age\"" not in page
    url, html = him.open(code)  # his code again: his answers are there
    assert "/cuestionario/parte/3" in url


def test_a_man_who_finished_is_told_so_and_the_thanks_fit_his_own_phone(app, client):
    fac = Facilitator(client)
    man = fac.register()
    code = fac.issue_code(man)
    fac.logout()
    him = Participant(app.test_client())
    response = him.answer(code, INTAKE_ANSWERS)
    thanks = him.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tableta" not in thanks and "Puede cerrar esta página" in thanks
    url, text = Participant(app.test_client()).open(code)
    assert "ya terminó este cuestionario" in text


def test_staff_pages_say_things_in_their_words(app, client):
    fac = Facilitator(client)
    man = fac.register()
    code = fac.issue_code(man)
    Participant(app.test_client()).answer(code, INTAKE_ANSWERS)
    history = client.get(fac.url("historial/")).get_data(as_text=True)
    assert "él mismo (su propio cuestionario)" in history and ">participant<" not in history
    withdrawn = client.get(fac.url("retirados/")).get_data(as_text=True)
    assert "Ninguna sesión retirada." in withdrawn and "Ninguno." not in withdrawn
    search = client.get(fac.url("participantes/?codigo=9999")).get_data(as_text=True)
    assert "Ningún hombre coincide con esta búsqueda" in search and "Todavía no hay hombres" not in search


def test_a_registration_correction_puts_its_refusal_next_to_the_date(app, client):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    response = fac.post_form(fac.url(f"participantes/{man}/registro"), {
        "group": "2026-A", "enrolled_on": "2016-11-02", "reason": "Fecha mal copiada"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="enrolled_on-error"' in html and 'href="#enrolled_on"' in html


def test_a_mistyped_year_never_dates_a_record(app, client):
    """Tomorrow's year or last century's, typed by a tired facilitator: refused next to the date, nothing saved."""
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    url = fac.url(f"participantes/{man}/cuestionario/facilitator_intake")
    for typed, said in (("2062-11-02", "no puede estar en el futuro"), ("2006-11-02", "anterior a 2007")):
        response = fac.post_form(url, {**FACILITATOR_INTAKE, "interview_date": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and said in html
        assert 'href="#interview_date"' in html  # the summary at the top leads to the date
        errors = re.search(r'id="interview_date-error"[^>]*>(.*?)</', html, re.S)
        assert errors and said in errors.group(1)
    response = fac.post_form(fac.url(f"participantes/{man}/cuestionario/intake"),
                             {**INTAKE_ANSWERS, "fecha_papel": "03/11/1996"})
    assert response.status_code == 422 and "anterior a 2007" in response.get_data(as_text=True)
    fac.post_form(fac.url(f"seguimiento/{man}/intento"), {"date": "2001-11-20", "reached": "no",
                                                          "outcome": "no_contact"})
    with app.app_context():
        snapshot = get_site_store("SITE-A").read()
        assert not snapshot.all("responses") and not snapshot.all("followups")

    # a correction is held to the same rule
    fac.enter(man, "facilitator_intake", FACILITATOR_INTAKE)
    fac.enter(man, "facilitator_exit", FACILITATOR_EXIT)
    response = fac.post_form(fac.url(f"participantes/{man}/cuestionario/facilitator_exit/corregir"),
                             {**FACILITATOR_EXIT, "exit_date": "2062-11-20", "reason": "Fecha de egreso"})
    assert response.status_code == 422 and "no puede estar en el futuro" in response.get_data(as_text=True)
    with app.app_context():
        exit_record = get_site_store("SITE-A").read().first("responses", questionnaire="facilitator_exit")
        assert exit_record["submitted_on"] == FACILITATOR_EXIT["exit_date"]
