"""A man never loses an answer: each part is a draft on the server, found again by his code."""
import errno
import json
import os
import re
from pathlib import Path

from conftest import INTAKE_ANSWERS, Facilitator, Participant, Staff, csrf_token, csrf_token_from

from portal import access_codes, drafts, storage
from portal.db import get_site_store


def site_snapshot(app, site="SITE-A"):
    with app.app_context():
        return get_site_store(site).read()


def draft_of(app, man, qid="intake"):
    return drafts.load(site_snapshot(app), man, qid)


def test_each_part_is_saved_and_the_code_brings_him_back_on_another_phone(app, client):
    man, code = Facilitator(client).code_for_new_man()
    first_phone = Participant(client)
    reached = first_phone.answer(code, INTAKE_ANSWERS, stop_at=2)
    assert reached == "/cuestionario/parte/3"
    draft = draft_of(app, man)
    assert draft.answers["age"] == 34 and draft.answers["education"] == "secondary"
    assert draft.reached == 2 and draft.rejected is None

    # the cookie carries which code he typed, never his answers
    cookie = client.get_cookie("portal_session").value
    session_data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert session_data["answering"]["participant"] == man
    values = json.dumps(session_data)
    assert "age" not in values and "education" not in values and "secondary" not in values
    assert 34 not in session_data["answering"].values()

    # a reload, or the questionnaire's old address, shows the part he reached
    assert client.get(reached).status_code == 200
    assert client.get("/cuestionario/preguntas").headers["Location"] == reached

    other_phone = Participant(app.test_client())
    url, html = other_phone.open(code)
    assert url == reached and "Parte 3 de" in html
    # Atrás shows part 2, then part 1, with his answers
    response = other_phone.send_part(url, html, {}, action="atras")
    assert response.headers["Location"] == "/cuestionario/parte/2"
    html = other_phone.client.get("/cuestionario/parte/2").get_data(as_text=True)
    assert "Parte 2 de" in html and re.search(r'<input checked[^>]*value="employee"', html)
    html1 = other_phone.client.get("/cuestionario/parte/1").get_data(as_text=True)
    assert 'value="34"' in html1 and re.search(r'<input checked[^>]*value="secondary"', html1)

    # he finishes on the second phone: the response is stored, the draft is gone, the code is spent
    response = other_phone.answer(code, INTAKE_ANSWERS)
    assert response.headers["Location"] == "/cuestionario/gracias"
    snap = site_snapshot(app)
    assert snap.first("responses", participant_code=man, questionnaire="intake")["answers"]["age"] == 34
    assert snap.count("drafts") == 0
    assert "ya se recibieron" in Participant(app.test_client()).open(code)[1]


def test_a_part_cannot_be_skipped_by_typing_its_address(app, client):
    man, code = Facilitator(client).code_for_new_man()
    Participant(client).open(code)
    response = client.get("/cuestionario/parte/5")
    assert response.status_code == 303 and response.headers["Location"] == "/cuestionario/parte/1"
    response = client.post("/cuestionario/parte/5", data={"csrf_token": csrf_token(client.get("/cuestionario/parte/1")),
                                                          "age": "40"})
    assert response.headers["Location"] == "/cuestionario/parte/1"
    assert not draft_of(app, man).started


def test_a_refused_part_is_shown_again_with_his_input_and_the_message(app, client):
    man, code = Facilitator(client).code_for_new_man()
    participant = Participant(client)
    url, html = participant.open(code)
    response = participant.send_part(url, html, {"age": "3x", "education": "secondary"})
    assert response.headers["Location"] == url
    for _ in range(2):  # and again after a reload
        text = client.get(url).get_data(as_text=True)
        assert 'value="3x"' in text and "Por favor" in text and "aria-invalid" in text
    assert draft_of(app, man).answers.get("education") == "secondary"  # what was right is kept
    assert "age" not in draft_of(app, man).answers


def test_a_replacement_code_resumes_the_same_draft_and_the_old_one_stops(app, client):
    fac = Facilitator(app.test_client())
    man = fac.register()
    old = fac.issue_code(man, "intake")
    phone = Participant(client)
    url = phone.answer(old, dict(INTAKE_ANSWERS, age="71"), stop_at=1)
    page = fac.client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    assert re.search(r"en curso: llegó a la parte 2 de \d+, guardado por última vez el \d\d/\d\d/\d{4} \d\d:\d\d",
                     page)
    assert "71" not in page and "Darle un código nuevo para continuar" in page  # where he is, not what he said
    new = fac.issue_code(man, "intake")
    # the old code's open page stops with the plain message
    response = client.get(url)
    assert response.headers["Location"] == "/cuestionario/"
    assert "reemplazado" in client.get("/cuestionario/").get_data(as_text=True)
    url, html = Participant(app.test_client()).open(new)
    assert url == "/cuestionario/parte/2"
    assert draft_of(app, man).answers["age"] == 71


def test_answers_stored_but_code_not_marked_never_opens_again(app, client, monkeypatch):
    """Killed between the response and marking the code: the site file says he answered."""
    man, code = Facilitator(client).code_for_new_man()

    def cut_short(*args, **kwargs):
        raise storage.StoreWriteError(Path("codes.json"), OSError(errno.EIO, "killed"))

    monkeypatch.setattr(access_codes, "mark_used", cut_short)
    response = Participant(client).answer(code, INTAKE_ANSWERS)
    assert response.headers["Location"] == "/cuestionario/gracias"
    monkeypatch.undo()
    with app.app_context():
        stored = access_codes.codes_store(app.instance_path).read().first("codes", participant_code=man)
    assert stored["used_at"] is None  # the second write did not happen ...
    url, text = Participant(app.test_client()).open(code)
    assert url == "/cuestionario/" and "ya se recibieron" in text  # ... yet the code cannot open it again
    assert site_snapshot(app).count("responses") == 1


def test_a_write_that_fails_while_sending_changes_nothing(app, client, monkeypatch):
    man, code = Facilitator(client).code_for_new_man()
    participant = Participant(client)
    participant.answer(code, INTAKE_ANSWERS, stop_at=2)
    site_file = Path(app.instance_path, "sites", "SITE-A.json")
    codes_file = Path(app.instance_path, "codes.json")
    # go on to the last part
    url, html = participant.follow(client.get("/cuestionario/preguntas"))
    while True:
        response = participant.send_part(url, html, INTAKE_ANSWERS)
        url, html = participant.follow(response)
        if "Enviar mis respuestas" in html:
            break
    before = site_file.read_bytes(), codes_file.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    data = {"csrf_token": csrf_token(client.get(url)), "accion": "siguiente"}
    for name in re.findall(r'name="([a-z_]+)"', html):
        if name in INTAKE_ANSWERS:
            data[name] = INTAKE_ANSWERS[name]
    response = client.post(url, data=data)
    monkeypatch.undo()
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and "no se pudieron guardar" in text
    assert 'class="participant"' in text and "Cerrar sesión" not in text  # his layout, not the staff one
    assert (site_file.read_bytes(), codes_file.read_bytes()) == before
    # he presses the button again once the disk has room: it is sent
    response = client.post(url, data=data)
    assert response.headers["Location"] == "/cuestionario/gracias"
    assert site_snapshot(app).count("drafts") == 0


def test_drafts_go_when_no_working_code_is_left(app, client):
    fac = Facilitator(app.test_client())
    man = fac.register()
    code = fac.issue_code(man, "intake")
    Participant(client).answer(code, INTAKE_ANSWERS, stop_at=1)
    with app.app_context():
        assert drafts.sweep(app.instance_path) == 0  # his code still works: the draft stays
        codes = access_codes.codes_store(app.instance_path)
        codes.write(lambda tx: tx.update("codes", tx.all("codes")[0]["doc_id"],
                                         {"expires_at": "2020-01-01T00:00:00+00:00"}))
    assert draft_of(app, man).started
    page = fac.client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    assert "en curso" not in page  # nothing can open it any more
    app.config["DRAFT_SWEEP_SECONDS"] = 0
    app.test_client().get("/entrar")  # any request sweeps now and then
    assert not draft_of(app, man).started
    assert "caducó" in Participant(app.test_client()).open(code)[1]


def test_a_draft_leaves_no_trace_in_the_history_exports_or_figures(app, client, runner, tmp_path):
    man, code = Facilitator(client).code_for_new_man()
    Participant(client).answer(code, dict(INTAKE_ANSWERS, age="77"), stop_at=2)
    site_file = Path(app.instance_path, "sites", "SITE-A.json")
    stored = json.loads(site_file.read_text(encoding="utf-8"))
    assert any(d["answers"].get("age") == 77 for d in stored["drafts"].values())
    assert not any(e["table"] == "drafts" for e in stored["_audit"].values())
    result = runner.invoke(args=["export", "--site", "SITE-A", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "out").glob("*.csv"):  # manifest.json holds checksums, whose hex digits may hold 77
        assert "77" not in path.read_text(encoding="utf-8-sig"), path.name
    from portal import indicators
    with app.app_context():
        data = indicators.from_snapshot("SITE-A", "09", 24, get_site_store("SITE-A").read())
    assert not data.responses  # indicators, sheets and the summary read responses, never drafts


def test_typing_a_code_ends_a_staff_session_in_the_same_browser(app, client):
    fac = Facilitator(client)
    man = fac.register()
    code = fac.issue_code(man, "intake")
    start = client.get("/cuestionario/").get_data(as_text=True)
    assert "sesión abierta del personal" in start
    url, html = Participant(client).open(code)
    assert url == "/cuestionario/parte/1"
    response = client.get(fac.url("participantes/"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/entrar")


def test_an_expired_page_asks_for_the_code_and_goes_on_from_the_draft(app, client):
    man, code = Facilitator(client).code_for_new_man()
    participant = Participant(client)
    url = participant.answer(code, INTAKE_ANSWERS, stop_at=1)
    html = client.get(url).get_data(as_text=True)
    client.delete_cookie("portal_session")  # the session ended: timed out, browser closed, clock moved
    data = {"csrf_token": csrf_token_from(html), "accion": "siguiente", "occupation_type": "employee"}
    response = client.post(url, data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/cuestionario/"
    text = client.get("/cuestionario/").get_data(as_text=True)
    assert "Esta página caducó" in text and "Cerrar sesión" not in text
    assert Participant(client).open(code)[0] == url
    # a part's address opened with no session says the same, in his layout
    fresh = app.test_client()
    response = fresh.get(url)
    assert response.headers["Location"] == "/cuestionario/"
    assert "escriba otra vez su código" in fresh.get("/cuestionario/").get_data(as_text=True)


def test_participant_errors_never_show_the_staff_layout(app, client):
    for path, status in (("/cuestionario/nada", 404), ("/c/", 404), ("/cuestionario/tableta", 405)):
        response = client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == status, path
        assert 'class="participant"' in text and "Portal del programa" not in text, path
    staff = Staff(app.test_client())
    staff.login("fac_a")
    text = staff.client.get("/sitio/SITE-A/nada").get_data(as_text=True)
    assert "Portal del programa" in text  # staff keep theirs


def test_shared_tablet_next_man_starts_clean(app, client):
    fac = Facilitator(client)
    first, second = fac.register(), fac.register()
    code1, code2 = fac.issue_code(first, "intake"), fac.issue_code(second, "intake")
    token = csrf_token(client.get(fac.url()))
    client.post("/cuestionario/tableta", data={"activar": "1", "csrf_token": token})
    Participant(client).answer(code1, INTAKE_ANSWERS, stop_at=2)
    client.get("/cuestionario/")  # the tablet went back to the start (idle refresh, or the next man)
    assert client.get("/cuestionario/parte/3").headers["Location"] == "/cuestionario/"
    url, html = Participant(client).open(code2)
    assert url == "/cuestionario/parte/1" and 'value="34"' not in html


def test_back_to_the_code_page_on_his_own_phone_lets_him_go_on(app, client):
    man, code = Facilitator(client).code_for_new_man()
    url = Participant(client).answer(code, INTAKE_ANSWERS, stop_at=1)
    start = client.get("/cuestionario/").get_data(as_text=True)  # the phone's Back from part 1
    assert "Seguir con mis respuestas" in start
    assert client.get("/cuestionario/preguntas").headers["Location"] == url
    qr = client.get(f"/c/{code}").get_data(as_text=True)  # or the QR address again
    assert "Seguir con mis respuestas" in qr
    # on a shared tablet the code page forgets him
    client.set_cookie("tableta", "1")
    assert "Seguir con mis respuestas" not in client.get("/cuestionario/").get_data(as_text=True)
    assert client.get(url).headers["Location"] == "/cuestionario/"


def test_a_code_of_a_man_withdrawn_meanwhile_stops_at_once(app, client):
    fac = Facilitator(app.test_client())
    man = fac.register()
    code = fac.issue_code(man, "intake")
    url = Participant(client).answer(code, INTAKE_ANSWERS, stop_at=1)
    fac.post_form(fac.url(f"participantes/{man}/retirar"), {"reason": "Registrado por error"})
    response = client.get(url)
    assert response.headers["Location"] == "/cuestionario/"
    assert "Ese código no es correcto" in client.get("/cuestionario/").get_data(as_text=True)
