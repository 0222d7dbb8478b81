"""A site file edited by hand into valid JSON of the wrong shape: a Spanish page, no write, no 500."""
import json
from pathlib import Path

import pytest
from conftest import INTAKE_ANSWERS, Facilitator, csrf_token
from fixtures import make_app

DAMAGE = {
    "a man without a group": lambda d: d["participants"]["1"].pop("group_code"),
    "a session whose date is null": lambda d: d["sessions"]["1"].update(date=None),
    "answers stored as text": lambda d: d["responses"]["1"].update(answers="34 años"),
    "an id that is not a number": lambda d: d["participants"].update({"uno": d["participants"].pop("1")}),
    "a session number as text": lambda d: d["sessions"]["1"].update(number="1"),
    "present as text": lambda d: d["sessions"]["1"].update(present="SITE-A-2026-0001"),
}


def site_pages(man):
    return ["", "participantes/", f"participantes/{man}/", "sesiones/", "seguimiento/", "historial/", "retirados/",
            "sesiones/S0001/", "hoja-mensual?mes=2026-11", "datos/", f"participantes/{man}/registro"]


def damaged_site(app, client, damage):
    fac = Facilitator(client)
    man = fac.register(enrolled_on="2026-11-02")
    fac.enter(man, "intake", INTAKE_ANSWERS, paper_date="2026-11-03")
    fac.record_session("2026-A", 1, "2026-11-03", [man])
    path = Path(app.instance_path, "sites", "SITE-A.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    DAMAGE[damage](data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return fac, man, path


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_every_page_of_a_damaged_site_says_so_in_spanish_and_nothing_is_written(app, client, damage):
    fac, man, path = damaged_site(app, client, damage)
    before = path.read_bytes()
    for page in site_pages(man):
        response = client.get(fac.url(page))
        text = response.get_data(as_text=True)
        assert response.status_code == 503, (page, response.status_code)
        assert "SITE-A.json" in text and "no está como debe" in text, page
    token = csrf_token(client.get("/cuestionarios/"))  # a page of the portal that does not read the site
    response = client.post(fac.url("participantes/nuevo"), data={"group": "2026-A", "enrolled_on": "2026-11-05",
                                                                  "csrf_token": token})
    assert response.status_code == 503
    assert path.read_bytes() == before  # never written on top of


def test_other_sites_keep_working_and_freeze_and_sheets_skip_the_damaged_one(app, client, runner, tmp_path):
    fac, man, path = damaged_site(app, client, "a session whose date is null")
    other = Facilitator(app.test_client(), "fac_b", "SITE-B")
    assert other.register(enrolled_on="2026-11-02").startswith("SITE-B-")
    assert other.client.get("/sitio/SITE-B/participantes/").status_code == 200
    result = runner.invoke(args=["freeze", "--out", str(tmp_path / "resumen")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Se dejó fuera el sitio SITE-A" in result.output and "sessions 1, date" in result.output
    assert (tmp_path / "resumen" / "index.html").exists()  # the rest of the summary was built
    result = runner.invoke(args=["sheets", "--month", "2026-11", "--out", str(tmp_path / "hojas")])
    assert result.exit_code == 1 and "Se dejó fuera el sitio SITE-A" in result.output
    assert [p.name for p in (tmp_path / "hojas").iterdir()] == ["hoja-mensual-SITE-B-2026-11.pdf"]


def test_a_registry_with_sessions_as_text_gives_a_spanish_page(app, client, runner):
    fac = Facilitator(client)
    path = Path(app.instance_path, "portal.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    next(iter(data["sites"].values()))["sessions"] = "24"
    path.write_text(json.dumps(data), encoding="utf-8")
    response = client.get(fac.url())
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and "portal.json" in text and "sites 1, sessions" in text
    result = runner.invoke(args=["sheets", "--month", "2026-11"])
    assert result.exit_code != 0 and "Traceback" not in result.output


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_every_error_page_is_spanish_in_the_layout_of_whoever_sees_it(code, tmp_path):
    from flask import abort

    app = make_app(tmp_path / "i", PROPAGATE_EXCEPTIONS=False)

    @app.route("/fallo/<int:n>")
    @app.route("/cuestionario/fallo/<int:n>")
    def fail(n):
        if n == 500:
            raise RuntimeError("boom")
        abort(n)

    client = app.test_client()
    staff = client.get(f"/fallo/{code}")
    man = client.get(f"/cuestionario/fallo/{code}")
    for response in (staff, man):
        text = response.get_data(as_text=True)
        assert response.status_code == code and 'lang="es"' in text
        assert not any(word in text for word in ("Not Found", "Internal Server Error", "Forbidden", "Traceback"))
    assert "Portal del programa" in staff.get_data(as_text=True)
    assert 'class="participant"' in man.get_data(as_text=True) and "Portal del programa" not in man.get_data(as_text=True)
