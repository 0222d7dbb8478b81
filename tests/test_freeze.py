"""The freeze as a state's coordinator and a state's IT department rely on it: a state's own summary holds
nothing of another state's sites, and every file is written whole or not at all."""
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from summary_data import freeze, record_of

from portal.freeze import pages as freeze_pages

OTHER_STATE = ("SITE-A", "sitio-SITE-A", "Centro de Salud A", "estado-09", "state:09", "Ciudad de México")


def every_text(folder, zip_path):
    """(name, text) of every file of the folder and every member of its zip."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield str(path.relative_to(folder)), path.read_text(encoding="utf-8", errors="replace")
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            yield f"zip:{name}", archive.read(name).decode("utf-8", errors="replace")


def test_a_states_summary_holds_its_sites_and_the_country_and_nothing_of_another_state(crafted, tmp_path):
    runner = crafted["app"].test_cli_runner()
    result = runner.invoke(args=["freeze", "--state", "14", "--out", str(tmp_path / "jalisco")])
    assert result.exit_code == 0, result.output
    assert "Resumen de 2 sitios" in result.output, result.output
    out = tmp_path / "jalisco"
    texts = dict(every_text(out, tmp_path / "jalisco.zip"))
    assert "sitio-SITE-B/index.html" in texts and "estado-14/index.html" in texts and "nacional/2025.html" in texts
    leaks = {(name, word) for name, text in texts.items() for word in OTHER_STATE if word in text}
    assert not leaks, sorted(leaks)[:10]
    assert "Jalisco para su coordinación" in texts["index.html"]

    # the state's, its sites' and the country's figures are those of the whole summary, hidden cells and all
    whole = crafted["json"]
    mine = json.loads(texts["data/indicators.json"])
    assert {r["scope"] for r in mine["records"]} == {"all", "state:14", "site:SITE-B", "site:SITE-C"} - \
        ({"site:SITE-C"} - {r["scope"] for r in whole["records"]})
    for record in mine["records"]:
        assert record == record_of(whole, record["scope"], record["period"])

    # built again with nothing changed: no page is written again, and the summary is the same
    again = runner.invoke(args=["freeze", "--state", "14", "--out", str(out)])
    assert again.exit_code == 0 and "(2 escritas de nuevo)" in again.output, again.output  # home and methodology
    assert json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))["records"] == mine["records"]


@pytest.mark.parametrize("code, message", [
    ("99", "99 no es la clave de un estado"), ("1", "1 no es la clave de un estado"),
    ("", "no es la clave de un estado"), ("02", "No hay ningún sitio de Baja California registrado")])
def test_a_state_that_is_not_one_or_has_no_site_is_said_and_nothing_is_written(crafted, tmp_path, code, message):
    result = crafted["app"].test_cli_runner().invoke(args=["freeze", "--state", code, "--out", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert not (tmp_path / "r").exists() and not (tmp_path / "r.zip").exists()


def test_every_page_is_written_through_an_atomic_write(crafted, tmp_path, monkeypatch):
    written = []
    real = freeze_pages.write_atomically

    def recording(path, content, shared=False, durable=True):
        written.append(path.relative_to(tmp_path / "resumen").as_posix())
        real(path, content, shared, durable)

    monkeypatch.setattr(freeze_pages, "write_atomically", recording)
    freeze(crafted["app"], tmp_path / "resumen")
    pages = sorted(p.relative_to(tmp_path / "resumen").as_posix() for p in (tmp_path / "resumen").rglob("*.html"))
    assert pages and sorted(p for p in written if p.endswith(".html")) == pages
    assert not list((tmp_path / "resumen").rglob("*.tmp")) and not list(tmp_path.glob("*.tmp"))

    # made to be copied and opened by others: readable by everyone the umask allows, not by the owner alone
    # (a site's own data files stay the owner's)
    umask = os.umask(0o022)
    os.umask(umask)
    for path in (tmp_path / "resumen" / "index.html", tmp_path / "resumen" / "data" / "indicators.json",
                 tmp_path / "resumen" / "SHA256SUMS", tmp_path / "resumen.zip"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def test_a_memo_an_earlier_freeze_left_behind_is_removed_at_the_next_build(crafted, tmp_path):
    cache = Path(crafted["app"].instance_path) / "cache" / "freeze"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "suppression.pickle").write_bytes(b"an earlier version's memo")
    freeze(crafted["app"], tmp_path / "resumen")
    assert not (cache / "suppression.pickle").exists()
    assert (cache / "sites").is_dir()  # the caches this version keeps are still there
