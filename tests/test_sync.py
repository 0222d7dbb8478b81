"""Sync (issue 13): the state's portal keeps its copy of a site equal to the site's exports, month after
month; an export that is not the site's latest, unchanged, full export is refused and changes nothing."""
import json
import re
from datetime import date

from conftest import Facilitator, Staff, csrf_token
from portal import corrections
from portal.db import get_registry, get_site_store
from portal.participants import register
from portal.attendance import save_session
from portal.registry import add_user
from portal.storage import WITHDRAWN
from test_transfer import FILE_NAMES, empty_instance, export, fill_site, rows, site_file, upload, write_rows


def csv_files(folder):
    return {name: (folder / name).read_bytes() for name in FILE_NAMES if (folder / name).exists()}


def sync(app_, folder, *extra, site="SITE-A"):
    return app_.test_cli_runner().invoke(args=["import", "--site", site, "--sync", *extra, str(folder)])


def change_the_site(app, men):
    """What a month of daily work does: a correction, withdrawals, an erasure, a new man and a new session."""
    with app.app_context():
        store = get_site_store("SITE-A")
        forms = app.extensions["questionnaires"]
        corrections.correct_registration(store, men[2], "2026-A", date(2026, 10, 4), "Fecha mal copiada", "fac_a")
        corrections.withdraw_participant(store, men[1], "Registrado por error", "fac_a")
        intake = store.read().first("responses", participant_code=men[0], questionnaire="facilitator_intake")
        corrections.withdraw_response(store, intake["doc_id"], "Era de otro hombre", "fac_a")
        corrections.erase_participant(store, men[3], "Lo pidió él", "fac_a")
        exit_record = store.read().first("responses", participant_code=men[0], questionnaire="exit")
        answers = {**exit_record["answers"], "comments": "Corregido: gracias a todos"}
        corrections.correct_response(store, forms["exit"], exit_record["doc_id"], answers, date(2026, 11, 21),
                                     "Comentario mal copiado", "fac_a")
        new = register(store, "SITE-A", "2026-C", date(2026, 11, 2), "fac_a")
        save_session(store, group_code="2026-C", number=1, held_on=date(2026, 11, 3), venue="health_centre",
                     present=[new], sessions_in_program=24, user="fac_a")
    return new


def test_a_site_synced_month_after_month_leaves_the_state_copy_equal_to_the_site(app, tmp_path):
    men = fill_site(app)
    runner = app.test_cli_runner()
    export(runner, tmp_path / "october")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))

    result = sync(state, tmp_path / "october")
    assert result.exit_code == 0, result.output
    export(state.test_cli_runner(), tmp_path / "state-october")
    assert csv_files(tmp_path / "state-october") == csv_files(tmp_path / "october")

    new = change_the_site(app, men)
    export(runner, tmp_path / "november")
    before = site_file(state)
    dry = sync(state, tmp_path / "november", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert site_file(state) == before  # the dry run wrote nothing
    out = dry.output
    assert "Ensayo: no se cambió nada." in out
    assert "participants.csv: nuevos 1, corregidos 1, retirados 1, borrados 1, sin cambios 1" in out, out
    assert "sessions.csv: nuevos 1, corregidos 2, sin cambios 2" in out, out  # men[1] and men[3] left S0001, S0004

    result = sync(state, tmp_path / "november")
    assert result.exit_code == 0, result.output
    export(state.test_cli_runner(), tmp_path / "state-november")
    assert csv_files(tmp_path / "state-november") == csv_files(tmp_path / "november")

    with state.app_context():
        snapshot = get_site_store("SITE-A").read()
        every = snapshot.with_withdrawn()
        assert every.first("participants", code=men[1])[WITHDRAWN]  # withdrawn, kept with its history
        assert every.first("participants", code=men[3]) is None  # erased: gone
        assert snapshot.first("erased", code=men[3]) is not None  # and cannot come back
        traces = [doc for table in ("responses", "sessions", "_audit") for doc in every.all(table)
                  if men[3] in json.dumps(doc)]
        assert [(doc["action"], doc["record"]) for doc in traces] == [("erase", men[3])]  # only the fact stays
        assert snapshot.first("participants", code=new)["status"] == "active"
        history = [e for e in snapshot.all("_audit") if "Sincronización con la exportación" in (e.get("reason") or "")]
        kinds = {(e["action"], e["table"], e["record"]) for e in history}
        assert ("correct", "participants", men[2]) in kinds and ("withdraw", "participants", men[1]) in kinds
        assert ("create", "participants", new) in kinds and ("withdraw", "responses", men[0]) in kinds
        assert ("erase", "participants", men[3]) in kinds

    # The same export again changes nothing at all; an earlier one is refused, naming both dates.
    before = site_file(state)
    again = sync(state, tmp_path / "november")
    assert again.exit_code == 0 and "No cambió nada" in again.output, again.output
    assert site_file(state) == before
    older = sync(state, tmp_path / "october")
    assert older.exit_code != 0
    october = json.loads((tmp_path / "october" / "manifest.json").read_text())
    assert f"revisión {october['revision']}" in older.output and "de una exportación posterior" in older.output
    assert older.output.count("/2026") >= 2 or older.output.count(f"/{date.today().year}") >= 2
    assert site_file(state) == before


def refused_sync(state, folder, expected):
    before = site_file(state)
    result = sync(state, folder)
    assert result.exit_code != 0, result.output
    assert expected in result.output, result.output
    assert "No se importó nada" in result.output
    assert site_file(state) == before  # byte for byte


def test_an_export_of_another_site_an_edited_one_and_a_deidentified_copy_are_refused(app, tmp_path):
    fill_site(app)
    runner = app.test_cli_runner()
    export(runner, tmp_path / "export")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24), ("SITE-B", "09", 24))
    assert sync(state, tmp_path / "export").exit_code == 0
    refused_sync_b = sync(state, tmp_path / "export", site="SITE-B")
    assert refused_sync_b.exit_code != 0 and "es una exportación del sitio SITE-A, no de SITE-B" in \
        refused_sync_b.output, refused_sync_b.output

    edited = tmp_path / "edited"
    export(runner, edited)
    table = rows(edited, "participants.csv")
    table[1][2] = "2026-10-03"
    write_rows(edited, "participants.csv", table)
    refused_sync(state, edited, "participants.csv: El archivo cambió después de la exportación")

    missing = tmp_path / "missing"
    export(runner, missing)
    (missing / "manifest.json").unlink()
    refused_sync(state, missing, "no traen manifest.json")

    anon = tmp_path / "anon"
    export(runner, anon, "SITE-A", "--deidentified")
    refused_sync(state, anon, "copia desidentificada")


def test_a_dry_run_of_a_merge_writes_nothing_and_says_what_would_be_added(app, tmp_path):
    fill_site(app)
    export(app.test_cli_runner(), tmp_path / "export")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    before = site_file(state)
    result = state.test_cli_runner().invoke(args=["import", "--site", "SITE-A", "--dry-run",
                                                  str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    assert "participants.csv: nuevos 4" in result.output and "attendance.csv: nuevos 7" in result.output
    assert "Ensayo: no se cambió nada." in result.output
    assert site_file(state) == before


def test_a_sync_withdraws_what_the_state_has_and_the_site_does_not_and_restores_what_comes_back(app, tmp_path):
    men = fill_site(app)
    export(app.test_cli_runner(), tmp_path / "first")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    assert sync(state, tmp_path / "first").exit_code == 0
    with state.app_context():  # typed in at the state by mistake
        extra = register(get_site_store("SITE-A"), "SITE-A", "2026-A", date(2026, 10, 9), "state")
    with app.app_context():
        corrections.withdraw_participant(get_site_store("SITE-A"), men[1], "Por error", "fac_a")
    export(app.test_cli_runner(), tmp_path / "second")
    assert sync(state, tmp_path / "second").exit_code == 0
    with app.app_context():
        corrections.restore_participant(get_site_store("SITE-A"), men[1], "Sí era él", "fac_a")
    export(app.test_cli_runner(), tmp_path / "third")
    result = sync(state, tmp_path / "third")
    assert result.exit_code == 0, result.output
    export(state.test_cli_runner(), tmp_path / "state")
    assert csv_files(tmp_path / "state") == csv_files(tmp_path / "third")
    with state.app_context():
        every = get_site_store("SITE-A").read().with_withdrawn()
        assert every.first("participants", code=extra)[WITHDRAWN]["reason"].startswith("Sincronización")
        assert not every.first("participants", code=men[1]).get(WITHDRAWN)
        assert every.first("responses", participant_code=men[1], questionnaire="intake").get(WITHDRAWN) is None



def test_in_the_browser_pages_a_sync_shows_what_it_would_change_and_waits_for_confirmation(app, client, tmp_path):
    men = fill_site(app)
    Facilitator(client)
    zipped = client.get("/sitio/SITE-A/datos/datos.zip").data
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    with state.app_context():
        add_user(get_registry(), "admin", "admin", "admin-password-1")
        add_user(get_registry(), "admin2", "admin", "admin-password-2")
    browser = state.test_client()
    Staff(browser).login("admin", "admin-password-1")
    assert upload(browser, "/sitio/SITE-A/datos/", [("SITE-A-datos.zip", zipped)], "sincronizar").status_code == 302

    with app.app_context():
        corrections.withdraw_participant(get_site_store("SITE-A"), men[1], "Registrado por error", "fac_a")
    zipped = client.get("/sitio/SITE-A/datos/datos.zip").data
    before = site_file(state)
    check = upload(browser, "/sitio/SITE-A/datos/", [("SITE-A-datos.zip", zipped)], "sincronizar", confirm=False)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and "Lo que cambiaría la sincronización" in page
    # columns: new, corrected (S0001 without him), withdrawn, unchanged; no column for kinds there are none of
    assert re.search(r"<th scope=\"row\">participants.csv</th><td class=\"num\">0</td><td class=\"num\">0</td>"
                     r"<td class=\"num\">1</td><td class=\"num\">3</td>", page), page
    assert "Borrados" not in page and "Restaurados" not in page
    assert site_file(state) == before  # nothing written before the confirmation
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    other = state.test_client()  # another administrator cannot confirm it
    Staff(other).login("admin2", "admin-password-2")
    response = other.post("/sitio/SITE-A/datos/confirmar", data={
        "csrf_token": csrf_token(other.get("/sitio/SITE-A/datos/")), "token": token})
    assert "ya no es válida" in other.get(response.headers["Location"]).get_data(as_text=True)
    assert site_file(state) == before

    confirmed = browser.post("/sitio/SITE-A/datos/confirmar", data={"csrf_token": csrf_token(check), "token": token})
    assert confirmed.status_code == 302
    done = browser.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "participants.csv: retirados 1" in done and "Última sincronización" in done
    with state.app_context():
        assert get_site_store("SITE-A").read().with_withdrawn().first("participants", code=men[1])[WITHDRAWN]
    again = browser.post("/sitio/SITE-A/datos/confirmar", data={"csrf_token": csrf_token(check), "token": token})
    assert "ya no es válida" in browser.get(again.headers["Location"]).get_data(as_text=True)  # Back, confirm again
    history = browser.get("/sitio/SITE-A/historial/").get_data(as_text=True)
    assert men[1] in history and "Sincronización con la exportación de SITE-A" in history


def test_a_synced_questionnaire_says_where_it_came_from(app, client, tmp_path):
    men = fill_site(app)
    export(app.test_cli_runner(), tmp_path / "export")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    assert sync(state, tmp_path / "export").exit_code == 0
    with state.app_context():
        add_user(get_registry(), "admin", "admin", "admin-password-1")
    browser = state.test_client()
    Staff(browser).login("admin", "admin-password-1")
    page = browser.get(f"/sitio/SITE-A/participantes/{men[0]}/").get_data(as_text=True)
    assert "recibido del portal del sitio, cli" in page  # synced by the command
