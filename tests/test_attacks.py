"""Issue 22: no one does more than their role allows, and no file, lock or upload brings the portal down.

Each attack of the red-team run is a test: it was possible before, it is refused now, and it changes nothing
it should not."""
import hashlib
import io
import json
import re
import zipfile

from conftest import Staff, csrf_token
from portal.db import get_registry, get_site_store
from portal.registry import add_user
from test_transfer import FILE_NAMES, empty_instance, export, fill_site, rows, site_file, upload, write_rows


def sync(app_, folder, site="SITE-A"):
    return app_.test_cli_runner().invoke(args=["import", "--site", site, "--sync", str(folder)])


def forge_erasure(folder, code):
    """What a facilitator could do to an export: take a man out of every file, list him as erased, and write
    the sums again."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in FILE_NAMES:
        if (folder / name).exists():
            write_rows(folder, name, [row for row in rows(folder, name) if code not in row])
            manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    manifest["erased"].append(code)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def zipped(folder):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def state_portal(tmp_path, app):
    """The state's portal, holding the site's data from its first export, with a facilitator of the site and
    an administrator."""
    export(app.test_cli_runner(), tmp_path / "first")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    assert sync(state, tmp_path / "first").exit_code == 0
    with state.app_context():
        add_user(get_registry(), "admin", "admin", "admin-password-1")
        add_user(get_registry(), "fac_a", "facilitator", "fac-a-password-1", "SITE-A")
    return state


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
