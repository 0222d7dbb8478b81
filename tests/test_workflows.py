"""Registration, codes, questionnaires, sessions, drop-out risk and exits, through the pages."""
import re
from pathlib import Path

from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, INTAKE_ANSWERS, Facilitator, Participant, Staff, csrf_token

from portal.db import get_site_store


def roster_row(html, code):
    return re.search(r"<tr[^>]*>(?:(?!</tr>).)*>" + code + r"<(?:(?!</tr>).)*</tr>", html, re.S).group(0)


def store(app, site="SITE-A"):
    with app.app_context():
        return get_site_store(site).read()


def test_registration_gives_sequential_codes_and_no_personal_fields(app, client):
    fac = Facilitator(client)
    page = client.get(fac.url("participantes/nuevo")).get_data(as_text=True)
    for word in ("nombre", "teléfono", "dirección", "CURP"):
        assert f'name="{word}' not in page.lower()
    first, second = fac.register(), fac.register()
    other_year = fac.register(enrolled_on="2025-12-01")
    assert (first, second, other_year) == ("SITE-A-2026-0001", "SITE-A-2026-0002", "SITE-A-2025-0001")
    snap = store(app)
    assert {p["code"]: p["group_code"] for p in snap.all("participants")}["SITE-A-2026-0002"] == "2026-A"
    assert snap.count("_audit") >= 4


def test_registration_refuses_bad_input_in_spanish(app, client):
    fac = Facilitator(client)
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "../x", "enrolled_on": "2026-11-02"})
    assert response.status_code == 422
    assert "El código del grupo" in response.get_data(as_text=True)
    response = fac.post_form(fac.url("participantes/nuevo"), {"group": "2026-A", "enrolled_on": "2999-01-01"})
    assert "no puede estar en el futuro" in response.get_data(as_text=True)
    assert store(app).count("participants") == 0


def test_facilitator_intake_then_participant_answers_with_code(app, client):
    fac = Facilitator(client)
    man = fac.register()
    response = fac.enter(man, "facilitator_intake", FACILITATOR_INTAKE)
    assert response.status_code == 302
    code = fac.issue_code(man, "intake")
    assert re.fullmatch(r"[ACDEFHJKMNPRTUVWXY34679]{4}-[ACDEFHJKMNPRTUVWXY34679]{4}", code)
    fac.logout()

    participant = Participant(client)
    answers = dict(INTAKE_ANSWERS, works="no", occupation_type="employee")  # skip rule: no occupation question
    response = participant.answer(code, answers)
    assert response.headers["Location"] == "/cuestionario/gracias"
    assert all("occupation_type" not in page for page in participant.pages_seen)  # hidden by its rule
    assert all(len([n for n in page if not n.endswith("_other")]) <= 5 for page in participant.pages_seen)
    snap = store(app)
    intake = snap.first("responses", participant_code=man, questionnaire="intake")
    assert intake["entered_by"] == "self" and intake["user"] is None
    assert intake["answers"]["age"] == 34 and "occupation_type" not in intake["answers"]
    assert intake["answers"]["rec_insults"] == "no"
    # the code works once, and his draft went with the sending
    url, text = participant.open(code)
    assert url == "/cuestionario/" and "ya se recibieron" in text
    assert snap.count("drafts") == 0
    # codes are stored hashed only
    codes_file = Path(app.instance_path) / "codes.json"
    assert code.replace("-", "") not in codes_file.read_text(encoding="utf-8")


def test_wrong_and_expired_codes_get_plain_messages_and_guessing_is_slowed(app, client):
    participant = Participant(client)
    url, text = participant.open("AAAA-AAAA")
    assert url == "/cuestionario/" and "Ese código no es correcto" in text
    assert 'value="AAAA-AAAA"' in text  # what he typed is still there to correct
    for _ in range(12):
        url, text = participant.open("CCCC-CCCC")
    assert "Se probaron demasiados códigos" in text

    # an expired code, on a fresh address
    fac = Facilitator(app.test_client())
    man = fac.register()
    code = fac.issue_code(man, "intake")
    with app.app_context():
        from portal.access_codes import codes_store

        codes = codes_store(app.instance_path)
        codes.write(lambda tx: tx.update("codes", tx.all("codes")[0]["doc_id"], {"expires_at": "2020-01-01T00:00:00+00:00"}))
    other = Participant(app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "127.0.0.2"  # another tablet, not slowed down
    assert "caducó" in other.open(code)[1]


def test_a_new_code_replaces_the_old_one(app, client):
    fac = Facilitator(client)
    man = fac.register()
    old, new = fac.issue_code(man, "exit"), fac.issue_code(man, "exit")
    fac.logout()
    participant = Participant(client)
    assert "reemplazado" in participant.open(old)[1]
    assert participant.open(new)[0] == "/cuestionario/parte/1"


def test_a_missing_answer_keeps_him_on_the_page_with_a_spanish_message(app, client):
    man, code = Facilitator(client).code_for_new_man()
    participant = Participant(client)
    url, html = participant.open(code)
    assert url == "/cuestionario/parte/1" and "Parte 1 de" in html
    response = participant.send_part(url, html, {"education": "secondary"})
    assert response.headers["Location"] == url  # back to the same part, by GET
    text = client.get(url).get_data(as_text=True)
    assert "Por favor responda esta pregunta." in text
    assert re.search(r'<input checked[^>]*value="secondary"', text)  # what he chose is still chosen
    assert "Por favor responda esta pregunta." in client.get(url).get_data(as_text=True)  # a reload: the same


def test_participant_pages_are_private_on_a_shared_tablet(app, client):
    man, code = Facilitator(client).code_for_new_man()
    participant = Participant(client)
    url, _ = participant.open(code)
    page = client.get(url)
    assert page.headers["Cache-Control"] == "no-store"
    title = re.search(r"<title>(.*?)</title>", page.get_data(as_text=True)).group(1)
    assert title == "Cuestionario"
    for word in ("violencia", "violence", "reeducación", "agresor"):
        assert word not in title.lower() and word not in url
    response = Participant(client).answer(code, INTAKE_ANSWERS)
    assert response.headers["Cache-Control"] == "no-store"
    # after he sends, the questionnaire's addresses lead to the thanks page: nothing of his answers
    for address in ("/cuestionario/preguntas", url):
        after = client.get(address)
        assert after.status_code == 303 and after.headers["Location"] == "/cuestionario/gracias"
    assert "34" not in client.get("/cuestionario/gracias").get_data(as_text=True)
    # back at the start, the next man starts clean
    client.get("/cuestionario/")
    after = client.get(url)
    assert after.status_code == 303 and after.headers["Location"] == "/cuestionario/"


def test_kiosk_mode_signs_staff_out_and_returns_to_the_start(app, client):
    fac = Facilitator(client)
    page = client.get(fac.url())
    response = client.post("/cuestionario/tableta", data={"activar": "1", "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/cuestionario/"
    assert "tableta=1" in response.headers["Set-Cookie"]
    assert client.get(fac.url()).status_code == 302  # no longer signed in
    thanks = client.get("/cuestionario/gracias").get_data(as_text=True)
    assert 'http-equiv="refresh" content="12;url=/cuestionario/"' in thanks


def test_sessions_attendance_and_the_at_risk_mark(app, client):
    fac = Facilitator(client)
    a, b = fac.register(), fac.register()
    fac.record_session("2026-A", 1, "2026-11-03", [a, b])
    roster = client.get(fac.url("participantes/")).get_data(as_text=True)
    assert "badge-risk" not in roster
    fac.record_session("2026-A", 2, "2026-11-10", [b], venue="community")
    assert "badge-risk" not in client.get(fac.url("participantes/")).get_data(as_text=True)
    fac.record_session("2026-A", 3, "2026-11-17", [b])
    row = roster_row(client.get(fac.url("participantes/")).get_data(as_text=True), a)
    assert "En riesgo: faltó a las últimas 2 sesiones" in row and "1 de 24" in row
    assert a in client.get(fac.url("seguimiento/")).get_data(as_text=True)
    assert b not in client.get(fac.url("seguimiento/")).get_data(as_text=True)
    # a correction: he did come to session 3; the change is audited
    sid = store(app).first("sessions", number=3)["session_id"]
    fac.record_session("2026-A", 3, "2026-11-17", [a, b], session_id=sid)
    assert "En riesgo" not in roster_row(client.get(fac.url("participantes/")).get_data(as_text=True), a)
    audit = [e for e in store(app).all("_audit") if e["table"] == "sessions" and e["action"] == "correct"]
    assert len(audit) == 1 and audit[0]["user"] == "fac_a" and audit[0]["reason"] == "Corrección de la lista de asistencia"
    assert audit[0]["steps"][0]["changes"]["present"] == [[b], sorted([a, b])]


def test_session_rules_in_spanish(app, client):
    fac = Facilitator(client)
    a = fac.register()
    fac.record_session("2026-A", 1, "2026-11-03", [a])
    for data, words in [
        ({"number": "1", "held_on": "2026-11-04", "venue": "online"}, "ya tiene una sesión número 1"),
        ({"number": "25", "held_on": "2026-11-04", "venue": "online"}, "entre 1 y 24"),
        ({"number": "2", "held_on": "2026-11-04", "venue": "online", "present": ["SITE-A-2026-9999"]},
         "no están en el grupo"),
    ]:
        response = fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), data)
        assert response.status_code == 422 and words in response.get_data(as_text=True), words
    assert store(app).count("sessions") == 1


def test_paper_entry_and_exit_change_the_status(app, client):
    fac = Facilitator(client)
    man = fac.register()
    response = fac.enter(man, "intake", INTAKE_ANSWERS, paper_date="2026-11-05")
    assert response.status_code == 302
    intake = store(app).first("responses", questionnaire="intake")
    assert (intake["entered_by"], intake["user"], intake["submitted_on"]) == ("paper", "fac_a", "2026-11-05")
    response = fac.enter(man, "facilitator_exit", FACILITATOR_EXIT)
    assert response.status_code == 302
    assert store(app).first("participants", code=man)["status"] == "dropped_out"
    assert "Abandonó" in client.get(fac.url("participantes/")).get_data(as_text=True)
    # entering it twice is refused, even by posting straight to the address
    page = client.get(fac.url(f"participantes/{man}/cuestionario/facilitator_exit"), follow_redirects=True)
    assert "ya se recibió" in page.get_data(as_text=True)
    response = client.post(fac.url(f"participantes/{man}/cuestionario/facilitator_exit"),
                           data={**FACILITATOR_EXIT, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert store(app).count("responses") == 2


# ---------------------------------------------------------------------------
# Authorization: every facilitator route refuses another site and anonymous users
# ---------------------------------------------------------------------------

def facilitator_routes(man):
    return [
        ("GET", "participantes/"), ("GET", "seguimiento/"), ("GET", "participantes/nuevo"),
        ("POST", "participantes/nuevo"), ("GET", f"participantes/{man}/"), ("POST", f"participantes/{man}/codigo"),
        ("GET", f"participantes/{man}/cuestionario/intake"), ("POST", f"participantes/{man}/cuestionario/exit"),
        ("GET", "sesiones/"), ("GET", "sesiones/nueva?grupo=2026-A"), ("POST", "sesiones/nueva?grupo=2026-A"),
        ("GET", "sesiones/S0001/"), ("POST", "sesiones/S0001/"), ("GET", ""),
    ]


def test_every_facilitator_route_refuses_other_sites_and_anonymous_users(app):
    owner = Facilitator(app.test_client())
    man = owner.register()
    owner.record_session("2026-A", 1, "2026-11-03", [man])
    before = Path(app.instance_path, "sites", "SITE-A.json").read_bytes()

    intruder = Facilitator(app.test_client(), "fac_b", "SITE-B")
    token = csrf_token(intruder.client.get("/sitio/SITE-B/"))
    anonymous = app.test_client()
    for method, path in facilitator_routes(man):
        url = f"/sitio/SITE-A/{path}"
        data = {"csrf_token": token, "group": "X", "enrolled_on": "2026-11-01", "cuestionario": "intake",
                "number": "2", "held_on": "2026-11-04", "venue": "online"}
        response = intruder.client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "Centro de Salud A" not in response.get_data(as_text=True)
        response = anonymous.open(url, method=method, data={"csrf_token": "x"} if method == "POST" else None)
        assert response.status_code in (302, 400), (method, url)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/entrar")
    assert Path(app.instance_path, "sites", "SITE-A.json").read_bytes() == before


def test_a_coordinator_reads_but_does_not_change(app):
    owner = Facilitator(app.test_client())
    man = owner.register()
    coord = Staff(app.test_client())
    coord.login("coord")
    assert coord.client.get(f"/sitio/SITE-A/participantes/{man}/").status_code == 200
    token = csrf_token(coord.client.get("/sitio/SITE-A/"))
    response = coord.client.post("/sitio/SITE-A/participantes/nuevo", data={"csrf_token": token, "group": "X",
                                                                          "enrolled_on": "2026-11-01"})
    assert response.status_code == 403
    assert store(app).count("participants") == 1


def test_a_participant_code_of_another_site_is_not_found(app, client):
    Facilitator(app.test_client(), "fac_b", "SITE-B").register()
    fac = Facilitator(client)
    assert client.get(fac.url("participantes/SITE-B-2026-0001/")).status_code == 404
