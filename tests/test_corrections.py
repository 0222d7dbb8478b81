"""Every record can be seen, corrected, withdrawn and restored with its history; a man can be erased."""
import json
import re
from pathlib import Path

import pytest
from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, INTAKE_ANSWERS, Facilitator, Staff, csrf_token

from portal import clock, indicators
from portal.db import get_site_store
from portal.sheets import sheet_context

TODAY = clock.today().isoformat()
MONTH = TODAY[:7]


def snapshot(app, site="SITE-A"):
    with app.app_context():
        return get_site_store(site).read()


def site_file(app, site="SITE-A") -> Path:
    return Path(app.instance_path, "sites", f"{site}.json")


def figures(app, period=MONTH):
    with app.app_context():
        data = indicators.from_snapshot("SITE-A", "09", 24, get_site_store("SITE-A").read())
        return indicators.compute([data], period, TODAY)


def actions(app, kind):
    return [e for e in snapshot(app).all("_audit") if e["action"] == kind]


@pytest.fixture
def fac(client):
    return Facilitator(client)


def man_with_intake(fac, age="34", enrolled_on=None):
    man = fac.register(enrolled_on=enrolled_on or TODAY)
    response = fac.enter(man, "intake", dict(INTAKE_ANSWERS, age=age), paper_date=enrolled_on or TODAY)
    assert response.status_code == 302
    return man


def test_his_page_is_his_file(app, fac, client):
    man = fac.register(enrolled_on=TODAY)
    fac.enter(man, "facilitator_intake", dict(FACILITATOR_INTAKE, interview_date=TODAY, risk_level="high"))
    fac.enter(man, "intake", dict(INTAKE_ANSWERS, age="52"), paper_date=TODAY)
    fac.issue_code(man, "exit")
    fac.record_session("2026-A", 1, TODAY, [man])
    page = client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    assert "Riesgo alto de violencia grave" in page and "protocolo de seguridad de la pareja" in page
    assert "52" in page and "Secundaria terminada" in page  # answers as labels, not stored values
    assert "<dd>secondary</dd>" not in page and "<dd>Secundaria terminada</dd>" in page
    assert re.search(r"pendiente, válido hasta el \d\d/\d\d/\d{4}", page)  # the code's state, never the code
    roster = client.get(fac.url("participantes/")).get_data(as_text=True)
    assert "Riesgo alto: protocolo de seguridad de la pareja" in roster
    with app.app_context():
        from portal.db import get_registry
        from portal.registry import get_site

        context = sheet_context(get_site(get_registry(), "SITE-A"), get_site_store("SITE-A").read(), MONTH)
    assert [r.high_risk for block in context["grid"] for r in block["rows"]] == [True]


def test_correcting_a_questionnaire_keeps_the_old_answers_and_changes_the_indicator(app, fac, client):
    man = man_with_intake(fac, age="34")
    assert figures(app)["mean_age"] == 34.0
    url = fac.url(f"participantes/{man}/cuestionario/intake/corregir")
    form = client.get(url).get_data(as_text=True)
    assert 'value="34"' in form  # the stored answers fill the same form
    before = site_file(app).read_bytes()
    response = fac.post_form(url, {**INTAKE_ANSWERS, "age": "43", "fecha_papel": TODAY, "reason": ""})
    assert response.status_code == 422 and "Escriba el motivo" in response.get_data(as_text=True)
    response = fac.post_form(url, {**INTAKE_ANSWERS, "age": "430", "fecha_papel": TODAY, "reason": "edad mal"})
    assert response.status_code == 422 and "entre 15 y 99" in response.get_data(as_text=True)
    assert site_file(app).read_bytes() == before  # refused: byte for byte unchanged
    response = fac.post_form(url, {**INTAKE_ANSWERS, "age": "43", "fecha_papel": TODAY,
                                   "reason": "La edad se capturó mal del papel"})
    assert response.status_code == 302
    assert figures(app)["mean_age"] == 43.0
    [entry] = actions(app, "correct")
    assert entry["user"] == "fac_a" and entry["at"] and entry["reason"] == "La edad se capturó mal del papel"
    assert entry["steps"][0]["changes"]["answers"][0]["age"] == 34
    assert entry["steps"][0]["changes"]["answers"][1]["age"] == 43
    page = client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    assert "¿Cuántos años cumplidos tiene?: 34 → 43" in page


def test_correcting_the_registration_follows_the_rules(app, fac, client):
    man = fac.register(enrolled_on="2026-11-02")
    fac.record_session("2026-A", 1, "2026-11-03", [man])
    url = fac.url(f"participantes/{man}/registro")
    before = site_file(app).read_bytes()
    response = fac.post_form(url, {"group": "2026-A", "enrolled_on": "2026-11-05", "reason": "fecha mal"})
    assert response.status_code == 422 and "Asistió a una sesión el 03/11/2026" in response.get_data(as_text=True)
    response = fac.post_form(url, {"group": "2026-B", "enrolled_on": "2026-11-02", "reason": "grupo mal"})
    assert "corrija primero esas sesiones" in response.get_data(as_text=True)
    assert site_file(app).read_bytes() == before
    response = fac.post_form(url, {"group": "2026-A", "enrolled_on": "2026-11-01", "reason": "Fecha mal copiada"})
    assert response.status_code == 302
    assert snapshot(app).first("participants", code=man)["enrolled_on"] == "2026-11-01"
    [entry] = actions(app, "correct")
    assert entry["steps"][0]["changes"]["enrolled_on"] == ["2026-11-02", "2026-11-01"]


def test_withdrawing_a_man_takes_him_out_of_everything_and_restoring_brings_him_back(app, fac, client, runner,
                                                                                    tmp_path):
    keep = man_with_intake(fac, age="30", enrolled_on=TODAY)
    mistake = man_with_intake(fac, age="70", enrolled_on=TODAY)
    fac.record_session("2026-A", 1, TODAY, [keep, mistake])
    assert figures(app)["enrolled"] == 2 and figures(app)["attendances"] == 2
    response = fac.post_form(fac.url(f"participantes/{mistake}/retirar"), {"reason": "Se registró dos veces"})
    assert response.status_code == 302
    assert "fue retirado" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert figures(app)["enrolled"] == 1 and figures(app)["attendances"] == 1 and figures(app)["mean_age"] == 30.0
    assert mistake not in client.get(fac.url("participantes/")).get_data(as_text=True)
    assert mistake not in client.get(fac.url("sesiones/")).get_data(as_text=True)
    result = runner.invoke(args=["export", "--site", "SITE-A", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert not any(mistake in p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").glob("*.csv"))
    # the manifest names him (his code alone) as withdrawn, so that a sync withdraws him at the state too
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["withdrawn"]["participants"] == [mistake]
    withdrawn = client.get(fac.url("retirados/")).get_data(as_text=True)
    assert mistake in withdrawn and "Se registró dos veces" in withdrawn
    page = client.get(fac.url(f"participantes/{mistake}/")).get_data(as_text=True)
    assert "Retirado por error" in page
    [entry] = actions(app, "withdraw")
    assert entry["reason"] == "Se registró dos veces" and entry["user"] == "fac_a"

    response = fac.post_form(fac.url(f"participantes/{mistake}/restaurar"), {"reason": "Fue un error retirarlo"})
    assert response.status_code == 302
    assert figures(app)["enrolled"] == 2 and figures(app)["attendances"] == 2
    assert len(actions(app, "restore")) == 1


def test_a_questionnaire_and_a_session_can_be_withdrawn_and_restored(app, fac, client):
    man = man_with_intake(fac, age="40", enrolled_on=TODAY)
    fac.record_session("2026-A", 1, TODAY, [man])
    rid = snapshot(app).first("responses", questionnaire="intake")["doc_id"]
    fac.post_form(fac.url(f"participantes/{man}/"), {})
    response = client.post(fac.url(f"respuestas/{rid}/retirar"), data={
        "reason": "Era de otro hombre", "csrf_token": csrf_token(client.get(fac.url(f"participantes/{man}/")))})
    assert response.status_code == 302
    assert figures(app)["mean_age"] is None
    sid = snapshot(app).first("sessions", number=1)["session_id"]
    response = fac.post_form(fac.url(f"sesiones/{sid}/retirar"), {"reason": "Sesión capturada dos veces"})
    assert response.status_code == 302 and figures(app)["sessions_held"] == 0
    assert len(actions(app, "withdraw")) == 2
    fac.post_form(fac.url(f"respuestas/{rid}/restaurar"), {"reason": "Sí era suyo"})
    fac.post_form(fac.url(f"sesiones/{sid}/restaurar"), {"reason": "Sí se tuvo"})
    assert figures(app)["mean_age"] == 40.0 and figures(app)["sessions_held"] == 1
    assert len(actions(app, "restore")) == 2


def test_an_exit_can_be_undone(app, fac, client):
    man = fac.register(enrolled_on="2026-11-02")
    fac.enter(man, "facilitator_exit", FACILITATOR_EXIT)
    assert snapshot(app).first("participants", code=man)["status"] == "dropped_out"
    response = fac.post_form(fac.url(f"participantes/{man}/deshacer-egreso"), {"reason": "Volvió al grupo"})
    assert response.status_code == 302
    assert snapshot(app).first("participants", code=man)["status"] == "active"
    assert snapshot(app).first("responses", questionnaire="facilitator_exit") is None
    [entry] = actions(app, "undo_exit")
    assert entry["reason"] == "Volvió al grupo"
    assert {tuple(s["changes"].get("status", [])) for s in entry["steps"]} >= {("dropped_out", "active")}


def test_erasing_a_man_removes_his_content_from_the_file_and_its_history(app, client):
    admin = Staff(client)
    admin.login("admin")
    fac = Facilitator(app.test_client())
    keep = fac.register(enrolled_on="2026-11-02")
    man = fac.register(enrolled_on="2026-11-02")
    fac.enter(man, "intake", dict(INTAKE_ANSWERS, age="87", expectations="Quiero-cambiar-XYZ"),
              paper_date="2026-11-03")
    fac.record_session("2026-A", 1, "2026-11-03", [keep, man])
    fac.record_session("2026-A", 1, "2026-11-03", [man], session_id="S0001", reason="Asistencia corregida")
    fac.issue_code(man, "exit")
    fac.post_form(fac.url(f"seguimiento/{man}/intento"), {"date": "2026-11-20", "reached": "yes",
                                                          "outcome": "moved_away"})
    url = f"/sitio/SITE-A/participantes/{man}/borrar"
    assert fac.client.get(url).status_code == 403  # facilitators cannot erase
    response = admin.post_form(url, {"reason": "A petición suya (derecho de cancelación)", "confirm": "otro"})
    assert response.status_code == 422 and man in site_file(app).read_text(encoding="utf-8")
    response = admin.post_form(url, {"reason": "A petición suya (derecho de cancelación)", "confirm": man})
    assert response.status_code == 302
    text = site_file(app).read_text(encoding="utf-8")
    assert "Quiero-cambiar-XYZ" not in text and '"age": 87' not in text
    stored = json.loads(text)
    assert not [d for d in stored["participants"].values() if d["code"] == man]
    assert not stored.get("responses") and not stored.get("followups")
    assert all(man not in s["present"] for s in stored["sessions"].values())
    mentions = [e for e in stored["_audit"].values() if man in json.dumps(e)]
    assert len(mentions) == 1 and mentions[0]["action"] == "erase" and mentions[0]["user"] == "admin"
    assert mentions[0]["reason"] == "A petición suya (derecho de cancelación)"
    assert [e["code"] for e in stored["erased"].values()] == [man]
    assert fac.register(enrolled_on="2026-11-02") != man  # his code is never given again
    assert man not in Path(app.instance_path, "codes.json").read_text(encoding="utf-8")  # nor his codes


def test_the_frozen_summary_follows_a_withdrawal(app, fac, runner, tmp_path):
    men = [man_with_intake(fac, age=str(30 + i), enrolled_on="2026-11-02") for i in range(6)]

    def enrolled():
        result = runner.invoke(args=["freeze", "--out", str(tmp_path / "resumen")])
        assert result.exit_code == 0, result.output
        data = json.loads((tmp_path / "resumen" / "data" / "indicators.json").read_text(encoding="utf-8"))
        # the country's year is exact (a site's month carries the summary's small adjustment)
        return next(r["enrolled"] for r in data["records"] if r["scope"] == "all" and r["period"] == "2026")

    assert enrolled() == 6
    fac.post_form(fac.url(f"participantes/{men[0]}/retirar"), {"reason": "Registrado por error"})
    assert enrolled() == 5


def test_the_rules_are_the_same_on_every_form(app, fac, client):
    early = fac.register(enrolled_on="2026-11-10")
    before = site_file(app).read_bytes()
    response = fac.post_form(fac.url("sesiones/nueva?grupo=2026-A"), {
        "number": "1", "held_on": "2026-11-03", "venue": "health_centre", "present": [early]})
    assert response.status_code == 422
    assert "se registraron después de esta sesión (03/11/2026)" in response.get_data(as_text=True)
    response = fac.enter(early, "intake", INTAKE_ANSWERS, paper_date="2026-11-05")
    response = client.get(fac.url(f"participantes/{early}/"))
    assert "anterior a su registro" in response.get_data(as_text=True)
    response = fac.enter(early, "facilitator_exit", dict(FACILITATOR_EXIT, exit_date="2026-11-01"))
    assert site_file(app).read_bytes() == before


def test_new_sessions_are_offered_only_to_groups_with_sessions_left(app, client):
    fac = Facilitator(client, "fac_b", "SITE-B")  # SITE-B has 20 sessions
    man = fac.register(enrolled_on="2026-01-05")
    for n in range(1, 21):
        fac.record_session("2026-A", n, f"2026-{1 + (n - 1) // 4:02d}-{6 + (n - 1) % 4 * 7:02d}", [man])
    other = fac.register(group="2026-B", enrolled_on="2026-11-02")
    fac.record_session("2026-B", 1, "2026-11-03", [other])
    page = client.get(fac.url("sesiones/nueva")).get_data(as_text=True)
    assert "grupo=2026-B" in page and "grupo=2026-A" not in page and "sigue: sesión 2 de 20" in page
    form = client.get(fac.url("sesiones/nueva?grupo=2026-B")).get_data(as_text=True)
    assert re.search(r'name="number"[^>]*value="2"|value="2"[^>]*name="number"', form)


def test_coordinators_read_every_page_and_change_nothing(app, fac):
    man = man_with_intake(fac, enrolled_on="2026-11-02")
    fac.record_session("2026-A", 1, "2026-11-03", [man])
    rid = snapshot(app).first("responses")["doc_id"]
    coord = Staff(app.test_client())
    coord.login("coord")
    for path in (f"participantes/{man}/", "historial/", "retirados/"):
        assert coord.client.get(f"/sitio/SITE-A/{path}").status_code == 200, path
    token = csrf_token(coord.client.get("/sitio/SITE-A/"))
    before = site_file(app).read_bytes()
    for path in (f"participantes/{man}/cuestionario/intake/corregir", f"participantes/{man}/registro",
                 f"participantes/{man}/retirar", f"participantes/{man}/restaurar",
                 f"participantes/{man}/deshacer-egreso", f"participantes/{man}/borrar", f"respuestas/{rid}/retirar",
                 f"respuestas/{rid}/restaurar", "sesiones/S0001/retirar", "sesiones/S0001/restaurar"):
        response = coord.client.post(f"/sitio/SITE-A/{path}", data={"csrf_token": token, "reason": "prueba",
                                                                     "confirm": man})
        assert response.status_code == 403, path
    assert site_file(app).read_bytes() == before


def test_the_site_history_reads_in_spanish_and_filters(app, fac, client):
    man = man_with_intake(fac, enrolled_on="2026-11-02")
    fac.post_form(fac.url(f"participantes/{man}/retirar"), {"reason": "Registro duplicado"})
    page = client.get(fac.url("historial/")).get_data(as_text=True)
    assert "Historial de cambios" in page and "Retirado" in page and "Registro duplicado" in page
    only = client.get(fac.url("historial/?tipo=withdraw")).get_data(as_text=True)
    assert "Registro duplicado" in only and "Capturado:" not in only
    nobody = client.get(fac.url("historial/?persona=otra")).get_data(as_text=True)
    assert "No hay cambios registrados." in nobody
    future = client.get(fac.url("historial/?desde=01/01/2099")).get_data(as_text=True)
    assert "No hay cambios registrados." in future
    odd = client.get(fac.url("historial/?desde=ayer"))
    assert odd.status_code == 200 and "Escriba las fechas como día/mes/año" in odd.get_data(as_text=True)
