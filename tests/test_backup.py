"""Backups: a copy of the whole instance taken while it is written, restored only into an empty
instance, and refused when it was changed after it was made."""
import hashlib
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fixtures import add_group, copy_instance, make_app

from portal import PROJECT_ROOT, access_codes, backup, storage
from portal.participants import register


def flask_cli(instance, *args):
    """``flask --app portal ARGS`` on this instance: the result of the command."""
    return make_app(instance).test_cli_runner().invoke(args=[str(a) for a in args])


def files_of(instance):
    """Every file of an instance folder and the SHA-256 of its bytes."""
    return {str(p.relative_to(instance)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(instance.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(demo_instance, tmp_path_factory):
    """A copy of the demo instance, with one one-time code handed out: (instance, the code)."""
    instance = copy_instance(demo_instance[0], tmp_path_factory.mktemp("demo") / "instance")
    app = make_app(instance)
    with app.app_context():
        add_group("CDMX-IZT", "2010-Z", started_on="2010-11-01")
        man = register(storage.store_for_site(instance, "CDMX-IZT"), "CDMX-IZT", "2010-Z", date(2010, 11, 2),
                       "test")
        code, _ = access_codes.issue(access_codes.codes_store(instance), app.secret_key, site="CDMX-IZT",
                                     participant_code=man, questionnaire="intake", user="test")
    return instance, code


@pytest.fixture(scope="module")
def demo_backup(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("backup") / "copia.zip"
    result = flask_cli(demo[0], "backup", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_backup_holds_the_instance_and_the_sum_of_every_file(demo, demo_backup):
    instance, _ = demo
    with zipfile.ZipFile(demo_backup) as zf:
        manifest = backup.read_manifest(demo_backup, zf.read(backup.MANIFEST))
        names = set(zf.namelist()) - {backup.MANIFEST}
        for name, entry in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == entry["sha256"] == \
                hashlib.sha256((instance / name).read_bytes()).hexdigest()
    assert {"portal.json", "codes.json", "secret_key", "sites/CDMX-IZT.json", "sites/YUC-VAL.json"} <= names
    assert len([n for n in names if n.startswith("sites/")]) == 19
    assert not [n for n in names if n.endswith((".lock", ".tmp")) or n.startswith("cache/")]
    assert manifest["created_at"] and manifest["questionnaires"]["intake"]


def test_backup_says_in_spanish_how_many_files_and_sites_it_holds(demo, tmp_path):
    result = flask_cli(demo[0], "backup", "--out", tmp_path / "copia.zip")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "copia.zip") as zf:
        files = len(zf.namelist()) - 1  # all but the manifest
    assert f"Respaldo de {files} archivos (19 sitios) escrito en" in result.output


@pytest.mark.slow
def test_restored_backup_gives_the_same_exports_users_and_codes(demo, demo_backup, tmp_path):
    instance, code = demo
    restored = tmp_path / "restored"
    result = flask_cli(restored, "restore", demo_backup)
    assert result.exit_code == 0, result.output

    for command in (["users", "list"], ["sites", "list"]):
        assert flask_cli(restored, *command).output == flask_cli(instance, *command).output
    sites = [line.split("\t")[0] for line in flask_cli(instance, "sites", "list").output.splitlines()]
    assert len(sites) == 19
    for site in sites:
        for name, folder in (("original", instance), ("restored", restored)):
            result = flask_cli(folder, "export", "--site", site, "--out", tmp_path / name / site)
            assert result.exit_code == 0, result.output
        original = sorted((tmp_path / "original" / site).glob("*.csv"))
        assert original and [p.name for p in original] == \
            [p.name for p in sorted((tmp_path / "restored" / site).glob("*.csv"))]
        for path in original:
            assert path.read_bytes() == (tmp_path / "restored" / site / path.name).read_bytes(), (site, path.name)
    # The secret key came back too, so a code handed out before the backup still opens.
    app = make_app(restored)
    with app.app_context():
        assert access_codes.check(access_codes.codes_store(restored), app.secret_key, code).site == "CDMX-IZT"


def rewrite(source, target, change):
    """A copy of a backup zip with ``change(name, data)`` applied to each member (None drops it)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return target


def one_byte_changed(name, data):
    if name == "sites/JAL-ZAP.json":
        at = data.index(b'"age": ') + len(b'"age": ')
        return data[:at] + (b"4" if data[at:at + 1] != b"4" else b"5") + data[at + 1:]
    return data


TAMPERED = {
    "one byte changed": lambda src, dst: rewrite(src, dst, one_byte_changed),
    "a member added": lambda src, dst: _add(rewrite(src, dst, lambda n, d: d), "sites/OTRO.json", b"{}\n"),
    "a member removed": lambda src, dst: rewrite(src, dst, lambda n, d: None if n == "sites/NL-MTY.json" else d),
    "no manifest": lambda src, dst: rewrite(src, dst, lambda n, d: None if n == backup.MANIFEST else d),
    "an export, not a backup": lambda src, dst: _add(dst, "participants.csv", b"participant_code\n"),
    "not a zip": lambda src, dst: dst.write_bytes(b"PK not really") or dst,
    "a byte of the zip flipped": lambda src, dst: _flip(src, dst),
}


def _flip(source, target):
    data = bytearray(source.read_bytes())
    data[len(data) // 3] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def _add(path, name, data):
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, data)
    return path


@pytest.mark.parametrize("how", TAMPERED)
def test_a_changed_backup_or_another_file_is_refused_and_changes_nothing(demo_backup, tmp_path, how):
    changed = TAMPERED[how](demo_backup, tmp_path / "cambiada.zip")
    instance = tmp_path / "instance"
    make_app(instance)  # the portal's first start: a secret key, nothing else
    before = files_of(instance)
    result = flask_cli(instance, "restore", changed)
    assert result.exit_code != 0
    assert str(changed) in result.output
    assert files_of(instance) == before
    assert backup.data_in(instance) == []


def test_restore_refuses_an_instance_that_holds_data(demo, demo_backup, tmp_path):
    target = tmp_path / "instance"
    assert flask_cli(target, "sites", "add", "UNO", "--name", "Centro Uno", "--state", "09").exit_code == 0
    before = files_of(target)
    result = flask_cli(target, "restore", demo_backup)
    assert result.exit_code != 0 and "portal.json" in result.output
    assert files_of(target) == before


def test_restore_of_a_missing_file_says_so(tmp_path):
    result = flask_cli(tmp_path / "instance", "restore", tmp_path / "no-existe.zip")
    assert result.exit_code != 0 and "no-existe.zip" in result.output


WRITER = """
import sys
import time
from datetime import date
from pathlib import Path
from portal import storage
from portal.participants import register
store = storage.store_for_site(Path(sys.argv[1]), "SITE-A")
for i in range(int(sys.argv[2])):
    register(store, "SITE-A", "2026-A", date(2026, 11, 2), "writer")
    time.sleep(0.02)  # a steady stream of writes, so that backups are taken in the middle of it
"""


@pytest.mark.slow
def test_backup_taken_while_another_process_writes_is_consistent(app, tmp_path):
    """Every backup taken while a writer registers men holds files that parse, with their count only growing."""
    instance = app.instance_path
    writes = 200
    writer = subprocess.Popen([sys.executable, "-c", WRITER, instance, str(writes)], cwd=PROJECT_ROOT)
    site_file = Path(instance, "sites", "SITE-A.json")
    deadline = time.monotonic() + 60
    while not site_file.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the writer has started writing (its start-up can be slow on a fresh machine)
    counts = []
    try:
        while writer.poll() is None or not counts:
            content, _ = backup.backup_zip(Path(instance), app.extensions["questionnaires"])
            out = tmp_path / f"copia-{len(counts)}.zip"
            out.write_bytes(content)
            manifest, files = backup.read_backup(out)  # sums and parsing checked
            tables = storage.parse(out, files.get("sites/SITE-A.json", b"{}"))  # absent before the first write
            counts.append(len(tables.get("participants", {})))
    finally:
        assert writer.wait(timeout=120) == 0
    assert counts == sorted(counts)
    assert any(0 < n < writes for n in counts), sorted(set(counts))  # taken while the file was being written
    assert len(counts) > 2 and counts[-1] <= writes
    final, _ = backup.backup_zip(Path(instance), app.extensions["questionnaires"])
    (tmp_path / "final.zip").write_bytes(final)
    assert len(storage.parse(tmp_path, backup.read_backup(tmp_path / "final.zip")[1]["sites/SITE-A.json"])
               ["participants"]) == writes


def resummed(source, target, change):
    """A backup changed as an attacker would: ``change(files)`` edits the members, and the manifest's sums and
    sizes are written again to match."""
    import json

    with zipfile.ZipFile(source) as zin:
        files = {name: zin.read(name) for name in zin.namelist() if name != backup.MANIFEST}
        manifest = json.loads(zin.read(backup.MANIFEST))
    change(files)
    manifest["files"] = {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                         for name, data in files.items()}
    with zipfile.ZipFile(target, "w") as zout:
        for name, data in files.items():
            zout.writestr(name, data)
        zout.writestr(backup.MANIFEST, json.dumps(manifest))
    return target


def test_a_backup_carrying_code_restores_the_data_and_never_the_code(demo_backup, tmp_path):
    """Issue 22: a config.py added to a backup with its sum and size in the manifest would run at the next start
    of any command."""
    def add_code(files):
        files["config.py"] = b"import os\nos.system('touch /tmp/pwned')\n"

    changed = resummed(demo_backup, tmp_path / "con-codigo.zip", add_code)
    instance = tmp_path / "instance"
    result = flask_cli(instance, "restore", changed)
    assert result.exit_code == 0, result.output
    assert not (instance / "config.py").exists()
    assert (instance / "sites" / "CDMX-IZT.json").exists()


def test_a_backup_with_a_store_of_the_wrong_shape_is_refused_even_with_its_sums_right(demo_backup, tmp_path):
    def wrong_shape(files):
        files["sites/CDMX-IZT.json"] = files["sites/CDMX-IZT.json"].replace(b'"group_code": "', b'"group_code": 7, "x": "', 1)

    changed = resummed(demo_backup, tmp_path / "forma.zip", wrong_shape)
    instance = tmp_path / "instance"
    make_app(instance)
    before = files_of(instance)
    result = flask_cli(instance, "restore", changed)
    assert result.exit_code != 0 and "sites/CDMX-IZT.json" in result.output and "group_code" in result.output, \
        result.output
    assert files_of(instance) == before


def test_restore_refuses_while_a_server_holds_the_instance(demo_backup, tmp_path):
    import os

    instance = tmp_path / "instance"
    make_app(instance)
    held = storage.hold_instance(instance)  # what python -m portal.serve does when it starts
    try:
        before = files_of(instance)
        result = flask_cli(instance, "restore", demo_backup)
        assert result.exit_code != 0 and "servidor" in result.output, result.output
        assert files_of(instance) == before
    finally:
        os.close(held)
    assert flask_cli(instance, "restore", demo_backup).exit_code == 0  # stopped: now it may
