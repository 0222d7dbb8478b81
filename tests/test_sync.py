"""Sync (issue 13): the state's portal keeps its copy of a site equal to the site's exports, month after
month; an export that is not the site's latest, unchanged, full export is refused and changes nothing."""
import json
import random
import re
from datetime import date, timedelta

from conftest import Facilitator, Staff, csrf_token
from fixtures import add_group
from transfers import empty_instance, export, fill_site, rows, site_file, sync, upload, write_rows

from portal import corrections
from portal.attendance import save_session
from portal.db import get_registry, get_site_store
from portal.demo import build_year, insert_all
from portal.participants import ProgramError, register
from portal.registry import add_site, add_user, check_site
from portal.storage import WITHDRAWN
from portal.transfer import FILE_NAMES


def csv_files(folder):
    return {name: (folder / name).read_bytes() for name in FILE_NAMES if (folder / name).exists()}


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
        add_group("SITE-A", "2026-C", started_on="2026-11-02")
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


def test_many_months_of_random_corrections_withdrawals_and_erasures_keep_the_state_copy_equal(app, tmp_path):
    """A demo year, then four months in which the site corrects, withdraws, restores and erases at random; after
    each month's sync the state's export equals the site's, and the state's history names the export."""
    with app.app_context():
        add_site(get_registry(), check_site("CDMX-IZT", "Centro de Salud Iztapalapa", "09", 24))
        year = build_year(app.extensions["questionnaires"])["CDMX-IZT"]
        get_site_store("CDMX-IZT").write(lambda tx: insert_all(tx, year), user="demo")
    state = empty_instance(tmp_path, ("CDMX-IZT", "09", 24))
    rng = random.Random(2026)
    for month in range(4):
        with app.app_context():
            store = get_site_store("CDMX-IZT")
            for _ in range(6):
                random_change(store, rng, app.extensions["questionnaires"])
        export(app.test_cli_runner(), tmp_path / f"site-{month}", "CDMX-IZT")
        result = sync(state, tmp_path / f"site-{month}", site="CDMX-IZT")
        assert result.exit_code == 0, result.output
        export(state.test_cli_runner(), tmp_path / f"state-{month}", "CDMX-IZT")
        assert csv_files(tmp_path / f"state-{month}") == csv_files(tmp_path / f"site-{month}"), month
    with app.app_context():
        site_snapshot = get_site_store("CDMX-IZT").read()
    with state.app_context():
        state_snapshot = get_site_store("CDMX-IZT").read()
    # what the state holds is withdrawn there if and only if it is at the site (a record withdrawn at the site
    # before any sync never reaches the state: exports carry no withdrawn content); the same erasures and statuses
    for table, key in (("participants", "code"), ("sessions", "session_id")):
        at_state = {doc[key] for doc in state_snapshot.with_withdrawn().all(table)}
        assert withdrawn_keys(state_snapshot, table, key) == [k for k in withdrawn_keys(site_snapshot, table, key)
                                                              if k in at_state]
        assert withdrawn_keys(state_snapshot, table, key)  # the random months did withdraw some
    assert {e["code"] for e in site_snapshot.all("erased")} == {e["code"] for e in state_snapshot.all("erased")}
    assert {p["code"]: p["status"] for p in site_snapshot.all("participants")} == \
        {p["code"]: p["status"] for p in state_snapshot.all("participants")}


def withdrawn_keys(snapshot, table, key):
    return sorted(doc[key] for doc in snapshot.with_withdrawn().all(table) if doc.get(WITHDRAWN))


def random_change(store, rng, forms):
    """One thing a facilitator or an administrator does to the records, chosen at random (skipped if the rules
    refuse it, as the portal would)."""
    snapshot = store.read()
    every = snapshot.with_withdrawn()
    men = [p["code"] for p in snapshot.all("participants")]
    gone = [p["code"] for p in every.all("participants") if p.get(WITHDRAWN)]
    responses = snapshot.all("responses")
    withdrawn_responses = [r for r in every.all("responses") if r.get(WITHDRAWN) and not
                           r[WITHDRAWN].get("with_participant")]
    sessions = snapshot.all("sessions")
    kind = rng.choice(["withdraw_man", "restore_man", "erase", "withdraw_response", "restore_response",
                       "withdraw_session", "correct_registration", "correct_response", "new_man"])
    try:
        if kind == "withdraw_man" and men:
            corrections.withdraw_participant(store, rng.choice(men), "Prueba: retirado", "fac")
        elif kind == "restore_man" and gone:
            corrections.restore_participant(store, rng.choice(gone), "Prueba: restaurado", "fac")
        elif kind == "erase" and men:
            corrections.erase_participant(store, rng.choice(men), "Prueba: lo pidió", "admin")
        elif kind == "withdraw_response" and responses:
            corrections.withdraw_response(store, rng.choice(responses)["doc_id"], "Prueba: de otro", "fac")
        elif kind == "restore_response" and withdrawn_responses:
            corrections.restore_response(store, rng.choice(withdrawn_responses)["doc_id"], "Prueba: sí era", "fac")
        elif kind == "withdraw_session" and sessions:
            corrections.withdraw_session(store, rng.choice(sessions)["session_id"], "Prueba: no hubo", "fac")
        elif kind == "correct_registration" and men:
            man = snapshot.first("participants", code=rng.choice(men))
            day = date.fromisoformat(man["enrolled_on"]) - timedelta(days=rng.randint(1, 5))
            corrections.correct_registration(store, man["code"], man["group_code"], day, "Prueba: fecha", "fac")
        elif kind == "correct_response" and responses:
            response = rng.choice(responses)
            corrections.correct_response(store, forms[response["questionnaire"]], response["doc_id"],
                                         response["answers"], date.fromisoformat(response["submitted_on"]) +
                                         timedelta(days=rng.randint(0, 1)), "Prueba: fecha del cuestionario", "fac")
        elif kind == "new_man":
            register(store, "CDMX-IZT", "2010-Z", date(2010, 12, rng.randint(1, 20)), "fac")
    except ProgramError:
        pass  # refused by the portal's rules: nothing changed
