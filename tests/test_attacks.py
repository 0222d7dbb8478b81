"""Issue 22: no one does more than their role allows, and no file, lock or upload brings the portal down.

Each attack of the red-team run is a test: it was possible before, it is refused now, and it changes nothing
it should not."""
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import Staff, csrf_token
from fixtures import GROUPS, add_group, make_app
from transfers import empty_instance, export, fill_site, forge_erasure, site_file, state_portal, sync, upload, write_rows

from portal.db import get_registry, get_site_store
from portal.registry import add_user


def zipped(folder):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def test_a_facilitator_cannot_erase_a_man_with_a_forged_manifest_only_an_administrator_can(app, tmp_path):
    men = fill_site(app)
    state = state_portal(tmp_path, app)
    forged = tmp_path / "forged"
    export(app.test_cli_runner(), forged)
    forge_erasure(forged, men[0])
    before = site_file(state)

    facilitator = state.test_client()
    Staff(facilitator).login("fac_a", "fac-a-password-1")
    review = upload(facilitator, "/sitio/SITE-A/datos/", [("SITE-A.zip", zipped(forged))], "sincronizar",
                    confirm=False)
    page = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "borraría para siempre a 1 hombre" in page and "espera a uno" in page, page
    assert "Confirmar y sincronizar" not in page  # no button for him
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    forced = facilitator.post("/sitio/SITE-A/datos/confirmar", data={"csrf_token": csrf_token(review), "token": token})
    assert forced.status_code == 422 and "Solo un administrador de este portal" in forced.get_data(as_text=True)
    assert site_file(state) == before  # he is still there, byte for byte

    admin = state.test_client()
    Staff(admin).login("admin", "admin-password-1")
    listed = admin.get("/sitio/SITE-A/datos/").get_data(as_text=True)
    assert "Sincronizaciones que esperan a un administrador" in listed and "fac_a" in listed
    link = re.search(r'href="(/sitio/SITE-A/datos/revisar/[^"]+)"', listed).group(1)
    review = admin.get(link)
    assert "Confirmar y sincronizar" in review.get_data(as_text=True)
    done = admin.post("/sitio/SITE-A/datos/confirmar", data={"csrf_token": csrf_token(review), "token": token})
    assert done.status_code == 302
    with state.app_context():
        snapshot = get_site_store("SITE-A").read()
        assert snapshot.with_withdrawn().first("participants", code=men[0]) is None
        assert snapshot.first("erased", code=men[0])["by"] == "admin"


def test_a_manifest_dated_in_the_future_is_refused_and_genuine_syncs_go_on(app, tmp_path):
    fill_site(app)
    state = state_portal(tmp_path, app)
    future = tmp_path / "future"
    export(app.test_cli_runner(), future)
    manifest = json.loads((future / "manifest.json").read_text(encoding="utf-8"))
    manifest["exported_at"] = "9999-12-31T00:00:00+00:00"
    (future / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = site_file(state)
    result = sync(state, future)
    assert result.exit_code != 0 and "posterior a este momento" in result.output, result.output
    assert site_file(state) == before
    export(app.test_cli_runner(), tmp_path / "later")
    assert sync(state, tmp_path / "later").exit_code == 0  # the next genuine export is not "older"


def million_rows_zip(site="SITE-A"):
    """A small ZIP file of a million plausible rows of participants.csv."""
    lines = ["participant_code,group_code,enrolled_on"]
    lines += [f"{site}-{1900 + i % 100}-{i % 10000:04d},G{i // 10000},{1900 + i % 100}-01-01" for i in range(1_000_000)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("participants.csv", "\r\n".join(lines) + "\r\n")
    return buffer.getvalue()


def test_a_small_zip_of_a_million_men_is_refused_naming_the_bound_and_nothing_is_written(app, client):
    before = site_file(app)  # the site's groups only
    Staff(client).login("fac_a")
    content = million_rows_zip()
    assert len(content) < 4 * 1024 * 1024
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    # encoded here, in memory: the test client would keep a large body in a temporary file it never closes
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": csrf_token(client.get("/sitio/SITE-A/datos/")), "modo": "agregar",
        "archivos": FileStorage(io.BytesIO(content), "muchos.zip")}))
    response = client.post("/sitio/SITE-A/datos/importar", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "participants.csv: El archivo tiene más de 60,000 filas" in page, page
    assert site_file(app) == before  # nothing written


def test_a_site_holds_a_bounded_number_of_men(app, monkeypatch, tmp_path):
    from datetime import date

    from portal import bounds
    from portal.participants import ProgramError, register

    fill_site(app)  # four men
    monkeypatch.setattr(bounds, "MAX_MEN_PER_SITE", 4)
    with app.app_context():
        store = get_site_store("SITE-A")
        before = site_file(app)
        try:
            register(store, "SITE-A", "2026-A", date(2026, 10, 9), "fac_a")
        except ProgramError as exc:
            assert "Un sitio tiene como máximo 4 hombres, y este ya tiene 4" in str(exc), str(exc)
        else:
            raise AssertionError("a man past the bound was registered")
        assert site_file(app) == before
    folder = tmp_path / "more"
    export(app.test_cli_runner(), folder)
    monkeypatch.setattr(bounds, "MAX_MEN_PER_SITE", 3)
    other = empty_instance(tmp_path, ("SITE-A", "09", 24))
    result = other.test_cli_runner().invoke(args=["import", "--site", "SITE-A", str(folder)])
    assert result.exit_code != 0 and "Un sitio tiene como máximo 3 hombres" in result.output, result.output
    assert site_file(other) is None


def test_a_site_file_has_a_bounded_size_on_writing_and_on_reading(app, client, monkeypatch):
    from datetime import date

    from portal import storage
    from portal.participants import register

    fill_site(app)
    before = site_file(app)
    monkeypatch.setattr(storage, "MAX_STORE_BYTES", len(before) + 10)
    with app.app_context():
        try:
            register(get_site_store("SITE-A"), "SITE-A", "2026-A", date(2026, 10, 9), "fac_a")
        except storage.StoreTooLargeError:
            pass
        else:
            raise AssertionError("the file grew past its bound")
    assert site_file(app) == before
    monkeypatch.setattr(storage, "MAX_STORE_BYTES", len(before) - 10)
    with app.app_context():
        get_site_store("SITE-A").close()
    Staff(client).login("admin")
    home = client.get("/sitio/SITE-A/")
    assert home.status_code == 503 and "SITE-A.json" in home.get_data(as_text=True)
    assert client.get("/sitio/SITE-B/").status_code == 200
    assert site_file(app) == before


def judged_logins(app, monkeypatch):
    """Count the passwords the portal actually judges."""
    from portal.auth import routes

    judged = []
    real = routes.authenticate

    def counting(*args, **kwargs):
        judged.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(routes, "authenticate", counting)
    app.config.update(WTF_CSRF_ENABLED=False, LOGIN_SLOW_SECONDS=0)
    return judged


def try_login(app, username, password, address="127.0.0.1"):
    return app.test_client().post("/entrar", data={"username": username, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


def test_forty_simultaneous_wrong_passwords_are_judged_no_more_than_the_limit(app, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    judged = judged_logins(app, monkeypatch)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda i: try_login(app, "fac_a", f"wrong-password-{i}").status_code, range(40)))
    assert codes == [401] * 40
    assert len(judged) == 5, len(judged)


@pytest.mark.slow
def test_a_spray_of_user_names_from_one_address_is_judged_no_more_than_the_address_limit(app, monkeypatch):
    judged = judged_logins(app, monkeypatch)
    for i in range(200):
        try_login(app, f"usuario{i}", "password-guess-1")
    assert len(judged) == 30, len(judged)
    assert try_login(app, "fac_a", "fac-a-password-1", "10.0.0.9").status_code == 302  # another address is not


def test_guesses_from_many_addresses_never_lock_the_owner_out(app, monkeypatch):
    judged_logins(app, monkeypatch)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        for i in range(5):
            assert try_login(app, "fac_a", f"wrong-password-{i}", address).status_code == 401
    assert try_login(app, "fac_a", "fac-a-password-1", "10.0.0.1").status_code == 401  # a guessing address waits
    assert try_login(app, "fac_a", "fac-a-password-1", "192.168.1.20").status_code == 302  # his own gets in


def _deep(text):
    return text.replace('"status": "active"', '"status": "active", "x": ' + "[" * 100_000 + "]" * 100_000, 1)


def _withdrawn_odd(text):
    return text.replace('"status": "active"', '"status": "active", "withdrawn": {"at": "ayer"}', 1)


DAMAGED_TEXT = {
    "a number of 5,000 digits": lambda text: re.sub(r'"revision": \d+', '"revision": ' + "9" * 5000, text),
    "nesting 100,000 deep": _deep,
    "a revision that is text": lambda text: re.sub(r'"revision": \d+', '"revision": "abc"', text),
    "an odd withdrawn value": _withdrawn_odd,
    "an answer 4,000 digits long": lambda text: re.sub(r'"age": \d+', '"age": ' + "9" * 4000, text, count=1),
}


@pytest.mark.slow
def test_a_damaged_site_file_gives_a_spanish_503_for_that_site_only(tmp_path):
    from conftest import INTAKE_ANSWERS, Facilitator

    for damage, change in DAMAGED_TEXT.items():
        instance = tmp_path / damage.replace(" ", "-")
        this = make_app(instance)
        with this.app_context():
            from portal.registry import add_site, check_site
            add_site(get_registry(), check_site("SITE-A", "Centro de Salud A", "09", 24))
            add_site(get_registry(), check_site("SITE-B", "Centro de Salud B", "14", 20))
            add_user(get_registry(), "admin", "admin", "admin-password-1")
            add_user(get_registry(), "fac_a", "facilitator", "fac-a-password-1", "SITE-A")
            add_group("SITE-A", "2026-A")
        browser = this.test_client()
        fac = Facilitator(browser)
        man = fac.register(enrolled_on="2026-11-02")
        fac.enter(man, "intake", INTAKE_ANSWERS, paper_date="2026-11-03")
        fac.logout()
        path = instance / "sites" / "SITE-A.json"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        damaged = path.read_bytes()
        with this.app_context():
            get_site_store("SITE-A").close()
        Staff(browser).login("admin", "admin-password-1")
        home = browser.get("/sitio/SITE-A/")
        assert home.status_code == 503 and "SITE-A.json" in home.get_data(as_text=True), damage
        assert browser.get("/sitio/SITE-B/").status_code == 200, damage
        overview = browser.get("/coordinacion/")
        assert overview.status_code == 200 and "SITE-A" in overview.get_data(as_text=True), damage
        assert "no se puede usar" in overview.get_data(as_text=True), damage
        cli = this.test_cli_runner()
        frozen = cli.invoke(args=["freeze", "--out", str(tmp_path / "resumen" / damage.replace(" ", "-"))])
        assert frozen.exit_code == 1 and "Se dejó fuera el sitio SITE-A" in frozen.output, (damage, frozen.output)
        sheets = cli.invoke(args=["sheets", "--month", "2026-11", "--out", str(tmp_path / "hojas" / damage[:5])])
        assert sheets.exit_code == 1 and "Se dejó fuera el sitio SITE-A" in sheets.output, (damage, sheets.output)
        assert path.read_bytes() == damaged, damage  # never written on top of


HOLD_LOCK = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def held_lock(app, site="SITE-A"):
    """Another process holding the site's file lock, as a stalled command would: the Popen (kill it)."""
    import subprocess
    import sys

    from portal import PROJECT_ROOT

    with app.app_context():
        lock = str(get_site_store(site).lock_path)
    Path(lock).parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, lock], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow
def test_a_held_lock_gives_a_spanish_try_again_and_frees_the_thread(app, client, monkeypatch):
    from datetime import date
    from threading import Thread

    from portal import storage
    from portal.participants import register

    monkeypatch.setattr(storage, "LOCK_WAIT_SECONDS", 2)
    fill_site(app, "SITE-B")
    holder = held_lock(app)
    try:
        Staff(client).login("admin")
        response = client.post("/sitio/SITE-A/participantes/nuevo", data={
            "csrf_token": csrf_token(client.get("/sitio/SITE-A/participantes/nuevo")), "group": "2026-A",
            "enrolled_on": "2026-11-02"})
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "inténtelo de nuevo" in page, page
        assert client.get("/sitio/SITE-B/").status_code == 200  # another site does not wait

        outcomes = {}

        def first():
            with app.app_context():
                try:
                    register(get_site_store("SITE-A"), "SITE-A", "2026-A", date(2026, 11, 2), "fac_a")
                except storage.StoreBusyError:
                    outcomes["first"] = "busy"

        leader = Thread(target=first)
        leader.start()
        import time
        while get_site_store_of(app, "SITE-A")._awaiting_lock_since is None:
            time.sleep(0.01)
        time.sleep(storage.STUCK_SECONDS + 0.1)
        with app.app_context():  # the file is stuck: a later writer is told at once, its change never run
            ran = []
            try:
                get_site_store("SITE-A").write(lambda tx: ran.append(1))
            except storage.StoreBusyError:
                outcomes["second"] = ("busy", leader.is_alive())
        leader.join()
        assert outcomes == {"first": "busy", "second": ("busy", True)} and ran == []
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with app.app_context():
        register(get_site_store("SITE-A"), "SITE-A", "2026-A", date(2026, 11, 2), "fac_a")  # free again


def get_site_store_of(app, site):
    with app.app_context():
        return get_site_store(site)


def test_the_portals_identity_is_made_with_the_instance_and_kept_by_a_backup(app, tmp_path):
    from portal.identity import read_portal_id

    made = read_portal_id(app.instance_path)
    assert made  # before any export
    out = tmp_path / "copia.zip"
    assert app.test_cli_runner().invoke(args=["backup", "--out", str(out)]).exit_code == 0
    other = empty_instance(tmp_path)  # a new portal: an identity of its own, replaced by the backup's
    assert read_portal_id(other.instance_path) not in (None, made)
    result = other.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    assert read_portal_id(other.instance_path) == made


def test_a_full_disk_never_leaves_an_empty_identity(tmp_path, monkeypatch):
    import errno
    import os

    from portal.identity import PORTAL_ID_FILE, read_portal_id

    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("a" * 64 + "\n")
    monkeypatch.setattr(os, "fsync", full)
    try:
        make_app(instance)
    except OSError:
        pass
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not (instance / PORTAL_ID_FILE).exists()  # nothing, never an empty file
    (instance / PORTAL_ID_FILE).write_text("")  # what the old way of writing it left on a full disk
    make_app(instance)
    assert read_portal_id(instance)  # mended at the next start


def test_a_get_of_the_monthly_sheet_changes_nothing(app, client):
    fill_site(app)
    Staff(client).login("fac_a")
    before = site_file(app)
    response = client.get("/sitio/SITE-A/hoja-mensual?mes=2026-11")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert site_file(app) == before


def test_an_import_refuses_dates_before_the_program_began(app, tmp_path):
    folder = tmp_path / "viejo"
    folder.mkdir()
    write_rows(folder, "participants.csv", [["participant_code", "group_code", "enrolled_on"],
                                           ["SITE-A-1899-0001", "1899-A", "1899-03-01"]])
    before = site_file(app)
    result = app.test_cli_runner().invoke(args=["import", "--site", "SITE-A", str(folder)])
    assert result.exit_code != 0 and "anterior a 2007" in result.output, result.output
    assert site_file(app) == before


def test_instance_folders_are_made_for_their_owner_only(tmp_path):
    import stat

    instance = tmp_path / "nueva"
    app = make_app(instance)
    with app.app_context():
        from portal.registry import add_site, check_site
        add_site(get_registry(), check_site("SITE-A", "Centro", "09", 24))
        for group in GROUPS:
            add_group("SITE-A", group)
    fill_site(app)
    for folder in (instance, instance / "sites"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_simultaneous_wrong_codes_are_judged_no_more_than_the_limit(app, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from portal import access_codes

    judged = []
    real = access_codes.check

    def counting(*args, **kwargs):
        judged.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(access_codes, "check", counting)
    app.config.update(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    def guess(i):
        return client.post("/cuestionario/", data={"codigo": f"WRONG{i:04d}"}).status_code

    assert guess(9999) == 303  # one browser: its device is now in its session
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(guess, range(30))) == {303}
    assert len(judged) == 10, len(judged)


def test_a_registration_before_the_program_began_is_refused(app):
    from datetime import date

    from portal.participants import ProgramError, register

    before = site_file(app)
    with app.app_context():
        try:
            register(get_site_store("SITE-A"), "SITE-A", "1899-A", date(1899, 3, 1), "fac_a")
        except ProgramError as exc:
            assert "anterior a 2007" in str(exc)
        else:
            raise AssertionError("a man registered in 1899")
    assert site_file(app) == before
