"""Issue 22: an erasure leaves nothing of the man anywhere in the instance, whichever way it came: an
administrator's erasure, a sync by the command, a sync confirmed by an administrator in the browser. Every file
of the instance is searched (the ZIP files of uploads waiting for a confirmation opened too); only the fact of
the erasure may name him."""
import io
import json
import re
import zipfile
from pathlib import Path

from conftest import INTAKE_ANSWERS, Facilitator, Participant, Staff, csrf_token
from transfers import empty_instance, export, upload

from portal import answering, drafts
from portal.db import get_registry, get_site_store
from portal.registry import add_user
from portal.storage import AUDIT_TABLE


def traces(instance: Path, code: str) -> list[str]:
    """Where ``code`` is still written in the instance, beyond the tombstone and the audit entry of his erasure."""
    found = []
    for path in sorted(p for p in Path(instance).rglob("*") if p.is_file()):
        for name, content in _contents(path):
            if path.parent.name == "sites" and path.suffix == ".json":
                content = _without_the_fact(content, code)
            if code.encode() in content:
                found.append(f"{path.relative_to(instance)}{'!' + name if name else ''}")
    return found


def _contents(path: Path):
    raw = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            for name in archive.namelist():
                yield name, archive.read(name)
    yield None, raw


def _without_the_fact(content: bytes, code: str) -> bytes:
    try:
        tables = json.loads(content)
    except ValueError:
        return content
    tables.pop("erased", None)
    tables[AUDIT_TABLE] = {k: e for k, e in tables.get(AUDIT_TABLE, {}).items()
                           if not (e.get("action") == "erase" and e.get("record") == code)}
    return json.dumps(tables).encode()


def leave_traces(app, client, man):
    """His code handed out, a draft of his answers, and an upload naming him waiting for a confirmation."""
    fac = Facilitator(client)
    code = fac.issue_code(man)
    zipped = client.get("/sitio/SITE-A/datos/datos.zip").data
    review = upload(client, "/sitio/SITE-A/datos/", [("SITE-A.zip", zipped)], "agregar", confirm=False)
    assert review.status_code == 200
    fac.logout()
    Participant(client).answer(code, INTAKE_ANSWERS, stop_at=1)
    with app.app_context():
        assert get_site_store("SITE-A").read().first(drafts.TABLE, participant_code=man) is not None
    assert len(traces(Path(app.instance_path), man)) >= 3  # the site file, codes.json, the pending upload


def test_an_administrators_erasure_leaves_nothing_of_him_in_the_instance(app, client):
    fac = Facilitator(client)
    man = fac.register()
    fac.logout()
    leave_traces(app, client, man)
    app.config["SUMMARY_FOLDER"] = str(Path(app.instance_path).parent / "resumen")
    assert app.test_cli_runner().invoke(args=["freeze"]).exit_code == 0  # the summary's caches, in the instance
    admin = Staff(client)
    admin.login("admin")
    page = client.get(f"/sitio/SITE-A/participantes/{man}/borrar")
    response = client.post(f"/sitio/SITE-A/participantes/{man}/borrar", data={
        "csrf_token": csrf_token(page), "confirm": man, "reason": "Lo pidió él"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert traces(Path(app.instance_path), man) == []


def test_a_sync_that_erases_leaves_nothing_of_him_at_the_receiving_portal(app, client, tmp_path):
    """By the command, then (another man) by an administrator in the browser."""
    fac = Facilitator(client)
    men = [fac.register(), fac.register()]
    export(app.test_cli_runner(), tmp_path / "first")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    with state.app_context():
        add_user(get_registry(), "admin", "admin", "admin-password-1")
        add_user(get_registry(), "fac_a", "facilitator", "fac-a-password-1", "SITE-A")
    assert state.test_cli_runner().invoke(args=["import", "--site", "SITE-A", "--sync", str(tmp_path / "first")]) \
        .exit_code == 0
    browser = state.test_client()
    Staff(browser).login("fac_a", "fac-a-password-1")
    zipped = (tmp_path / "first")
    waiting = upload(browser, "/sitio/SITE-A/datos/", [(p.name, p.read_bytes()) for p in zipped.iterdir()],
                     "sincronizar", confirm=False)
    assert waiting.status_code == 200  # an upload naming both men waits at the state's portal

    with app.app_context():
        from portal import corrections
        corrections.erase_participant(get_site_store("SITE-A"), men[0], "Lo pidió él", "admin")
    export(app.test_cli_runner(), tmp_path / "second")
    result = state.test_cli_runner().invoke(args=["import", "--site", "SITE-A", "--sync", str(tmp_path / "second")])
    assert result.exit_code == 0, result.output
    assert traces(Path(state.instance_path), men[0]) == []

    with app.app_context():
        from portal import corrections
        corrections.erase_participant(get_site_store("SITE-A"), men[1], "Lo pidió él", "admin")
    third = client.get("/sitio/SITE-A/datos/datos.zip")  # fac is still signed in at the site's portal
    assert third.status_code == 200
    admin = state.test_client()
    Staff(admin).login("admin", "admin-password-1")
    done = upload(admin, "/sitio/SITE-A/datos/", [("SITE-A.zip", third.data)], "sincronizar")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert traces(Path(state.instance_path), men[1]) == []
    assert re.fullmatch(r"SITE-A-\d{4}-\d{4}", men[1])


def test_a_part_saved_after_his_erasure_leaves_no_draft(app):
    """The save and the check that he still exists are one write: the answers of a man erased while he
    answered are refused, never kept as a draft nobody would sweep."""
    from datetime import date

    import pytest

    from portal import corrections
    from portal.participants import ProgramError, register

    with app.app_context():
        store = get_site_store("SITE-A")
        man = register(store, "SITE-A", "2026-A", date(2026, 10, 1), "fac_a")
        intake = app.extensions["questionnaires"]["intake"]
        corrections.erase_participant(store, man, "Lo pidió él", "admin")
        raw = {q.name: INTAKE_ANSWERS.get(q.name) for q in intake.pages[0].questions}
        with pytest.raises(ProgramError):
            answering.save_part(store, intake, man, 0, raw, False, date(2026, 10, 2))
        assert store.read().first(drafts.TABLE, participant_code=man) is None


def test_an_upload_nobody_confirmed_goes_within_the_hour(app, tmp_path, monkeypatch):
    import os
    import time

    from portal.transfer import pending

    token = pending.keep(app.instance_path, "SITE-A", "fac_a", "merge", {"participants.csv": b"SITE-A-2026-0001"})
    path = Path(app.instance_path) / pending.FOLDER / f"{token}.zip"
    old = time.time() - pending.MAX_AGE_SECONDS - 1
    os.utime(path, (old, old))
    app.test_client().get("/cuestionario/")  # any request runs the portal's regular sweep
    assert not path.exists()
