"""Exports for analysts: Excel, SPSS and Stata files with their labels, and the codebook, for a site (full or
de-identified) and for the de-identified national data; read back with independent readers."""
import random
import re
from collections import Counter
from datetime import date

import pyreadstat
import pytest
from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, INTAKE_ANSWERS, REC_ITEMS
from openpyxl import load_workbook

from portal.attendance import save_session
from portal.db import get_site_store
from portal.demo import fill
from portal.participants import register
from portal.responses import Submission, save_response
from portal.transfer import FILE_NAMES

SECRET_TEXT = "Me llamo Juan Pérez y vivo en la calle Olmo"
FORMULA = '=HYPERLINK("http://example.com","clic")'  # a man's text a spreadsheet must never run


def fill_sites(app):
    """SITE-A (state 09): three men; SITE-B (state 14): two men. Intakes, facilitator intakes, an exit with
    several strategies and free text, exits, sessions."""
    men = {}
    with app.app_context():
        forms = app.extensions["questionnaires"]
        for site, reasons in (("SITE-A", ["improve_family", "stop_violence", "improve_family"]),
                              ("SITE-B", ["legal", "improve_family"])):
            store = get_site_store(site)
            codes = [register(store, site, "2026-A", date(2026, 10, 1 + i), "fac_a") for i in range(len(reasons))]
            save_session(store, group_code="2026-A", number=1, held_on=date(2026, 10, 6), venue="community",
                         present=codes[:2], sessions_in_program=20, user="fac_a")

            def save(qid, man, raw, day):
                result = forms[qid].validate(raw)
                assert result.ok, result.errors
                save_response(store, Submission(forms[qid], man, result.answers, "paper", "fac_a", day))

            for i, (man, reason) in enumerate(zip(codes, reasons)):
                save("intake", man, {**INTAKE_ANSWERS, "age": str(30 + i), "main_reason": reason,
                                     "expectations": SECRET_TEXT}, date(2026, 10, 3 + i))
                save("facilitator_intake", man, {**FACILITATOR_INTAKE, "interview_date": f"2026-10-0{3 + i}"},
                     date(2026, 10, 3 + i))
            exit_answers = fill(forms["exit"], random.Random(3), {
                "strategy_used": "yes", "strategies": ["time_out", "breathing"], **{r: "yes" for r in REC_ITEMS}},
                date(2026, 11, 20))
            save("exit", codes[0], {**exit_answers, "strategies": ["time_out", "breathing"],
                                    "comments": FORMULA}, date(2026, 11, 20))
            save("facilitator_exit", codes[0], {**FACILITATOR_EXIT, "exit_date": "2026-11-20"}, date(2026, 11, 20))
            men[site] = codes
    return men


def spanish_labels(app, qid, name):
    question = app.extensions["questionnaires"][qid].question(name)
    return [c.label["es"] for c in question.choices]


def export(runner, *args):
    result = runner.invoke(args=["export", *args])
    assert result.exit_code == 0, result.output
    return result


def test_sav_and_dta_carry_the_spanish_labels_of_the_forms(app, runner, tmp_path):
    men = fill_sites(app)
    out = tmp_path / "analisis"
    export(runner, "--site", "SITE-A", "--out", str(out), "--format", "sav", "--format", "dta")
    assert not list(out.glob("*.csv")), "the CSV files come only when asked for (or by default)"
    for reader, suffix in ((pyreadstat.read_sav, "sav"), (pyreadstat.read_dta, "dta")):
        data, meta = reader(str(out / f"intake.{suffix}"))
        for name in ("main_reason", "referral_source", "rec_insults", "education"):
            labels = meta.variable_value_labels[name]
            assert [labels[k] for k in sorted(labels)] == spanish_labels(app, "intake", name), (suffix, name)
        assert meta.column_names_to_labels["age"] == app.extensions["questionnaires"]["intake"].question("age").label["es"]
        rows = data.set_index("participant_code")
        assert rows.loc[men["SITE-A"][1], "age"] == 31  # a number
        assert rows.loc[men["SITE-A"][1], "submitted_on"] == date(2026, 10, 4)  # a date
        reason = meta.variable_value_labels["main_reason"][rows.loc[men["SITE-A"][1], "main_reason"]]
        assert reason == "Dejar atrás la violencia"
        assert rows.loc[men["SITE-A"][0], "expectations"] == SECRET_TEXT  # the full export keeps free text
        assert rows.loc[men["SITE-A"][0], "form_version"] == app.extensions["questionnaires"]["intake"].version

        exits, meta = reader(str(out / f"exit.{suffix}"))
        choices = [c.name for c in app.extensions["questionnaires"]["exit"].question("strategies").choices]
        # the free-text question strategies_other keeps its own name: the choice "other" gives way to it
        column = {c: "strategies_other_2" if c == "other" else f"strategies_{c}" for c in choices}
        flags = {c: exits.loc[0, column[c]] for c in choices}
        assert flags == {c: (1 if c in ("time_out", "breathing") else 0) for c in choices}
        assert meta.variable_value_labels["strategies_time_out"] == {0: "No", 1: "Sí"}
        assert "Me salí un rato del lugar" in meta.column_names_to_labels["strategies_time_out"]
        assert meta.column_names_to_labels["strategies_other_2"].endswith(": Otra cosa")

        sessions, meta = reader(str(out / f"sessions.{suffix}"))
        assert meta.variable_value_labels["venue"][sessions.loc[0, "venue"]] == "Espacio comunitario"


def test_the_csv_export_stays_exactly_as_it_was(app, runner, tmp_path):
    fill_sites(app)
    export(runner, "--site", "SITE-A", "--out", str(tmp_path / "antes"))
    export(runner, "--site", "SITE-A", "--out", str(tmp_path / "todo"), "--format", "all")
    before = sorted(p.name for p in (tmp_path / "antes").iterdir())
    assert before == sorted(list(FILE_NAMES) + ["manifest.json"])
    for name in FILE_NAMES:
        assert (tmp_path / "antes" / name).read_bytes() == (tmp_path / "todo" / name).read_bytes(), name
    names = {p.name for p in (tmp_path / "todo").iterdir()}
    assert {"datos.xlsx", "libro_de_codigos.html", "intake.sav", "intake.dta", "attendance.dta"} <= names
    # the folder is still an export the import reads: the files for analysts are not in its way
    result = runner.invoke(args=["import", "--site", "SITE-A", "--dry-run", str(tmp_path / "todo")])
    assert result.exit_code == 0, result.output


def test_the_workbook_has_one_sheet_per_table_codes_labels_and_a_codebook(app, runner, tmp_path):
    men = fill_sites(app)
    export(runner, "--site", "SITE-A", "--out", str(tmp_path / "x"), "--format", "xlsx")
    book = load_workbook(tmp_path / "x" / "datos.xlsx")
    assert book.sheetnames == ["participants", "sessions", "attendance", "intake", "exit", "facilitator_intake",
                               "facilitator_exit", "libro_de_codigos"]
    sheet = book["intake"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    second = rows[men["SITE-A"][1]]
    assert second["main_reason"] == 2 and second["main_reason_etiqueta"] == "Dejar atrás la violencia"  # as in .dta
    assert second["age"] == 31
    assert second["submitted_on"].date() == date(2026, 10, 4)  # a date cell, not text
    exits = book["exit"]
    header = [c.value for c in exits[1]]
    text = exits.cell(row=2, column=header.index("comments") + 1)
    assert text.value == FORMULA and text.data_type == "s"  # text, not a formula
    codebook = [[c for c in r] for r in book["libro_de_codigos"].iter_rows(values_only=True)]
    main_reason = next(r for r in codebook if r[0] == "intake" and r[1] == "main_reason")
    assert "2 = Dejar atrás la violencia (stop_violence)" in main_reason[4]
    occupation = next(r for r in codebook if r[0] == "intake" and r[1] == "occupation_type")
    assert occupation[6].startswith("en la pregunta")  # its skip rule in words


def test_the_codebook_lists_every_question_with_type_choices_rule_and_versions(app, runner, tmp_path):
    fill_sites(app)
    export(runner, "--site", "SITE-A", "--out", str(tmp_path / "x"), "--format", "codebook")
    html = (tmp_path / "x" / "libro_de_codigos.html").read_text(encoding="utf-8")
    for qid, form in app.extensions["questionnaires"].items():
        for q in form.questions:
            assert f"<code>{q.name}</code>" in html, (qid, q.name)
    assert "Mejorar la relación con mi familia" in html and "una opción" in html and "varias opciones" in html
    assert re.search(r"en la pregunta \d+ contestó «Sí»", html)
    assert form.version in html


def test_the_deidentified_site_copy_has_new_codes_months_and_no_free_text(app, runner, tmp_path):
    men = fill_sites(app)
    out = tmp_path / "desid"
    export(runner, "--site", "SITE-A", "--out", str(out), "--deidentified", "--format", "all")
    everything = b"".join(p.read_bytes() for p in out.iterdir())
    assert SECRET_TEXT.encode() not in everything and "Juan Pérez".encode("utf-16-le") not in everything
    assert not any(man.encode() in everything for man in men["SITE-A"])
    data, meta = pyreadstat.read_dta(str(out / "intake.dta"))
    assert "expectations" not in data.columns
    assert set(data["submitted_on"]) == {date(2026, 10, 1)}  # the month only
    csv_codes = {line.split(",")[0] for line in (out / "intake.csv").read_text(encoding="utf-8-sig").splitlines()[1:]}
    assert csv_codes == set(data["participant_code"])  # the same new codes in the CSV and the analysts' files
    html = (out / "libro_de_codigos.html").read_text(encoding="utf-8")
    assert "Qué se quitó y por qué" in html and "texto libre" in html
    assert (out / "DEIDENTIFIED.txt").exists()
    result = runner.invoke(args=["export", "--site", "SITE-A", "--out", str(out), "--format", "dta"])
    assert result.exit_code != 0 and "desidentificada" in result.output  # never a full copy beside it


def test_the_national_data_is_pooled_by_state_without_any_site_or_code(app, runner, tmp_path):
    men = fill_sites(app)
    out = tmp_path / "nacional"
    export(runner, "--national", "--out", str(out))
    assert {p.suffix for p in out.iterdir()} == {".xlsx", ".sav", ".dta", ".html", ".txt"}
    everything = b"".join(p.read_bytes() for p in out.iterdir())
    for forbidden in ["SITE-A", "SITE-B", "2026-A", SECRET_TEXT, *men["SITE-A"], *men["SITE-B"]]:
        assert forbidden.encode() not in everything, forbidden
    # as an analyst would: open the Stata file, tabulate the reason for joining by state
    data, meta = pyreadstat.read_dta(str(out / "intake.dta"), apply_value_formats=True)
    table = Counter(zip(data["state"], data["main_reason"]))
    assert table == {("Ciudad de México", "Mejorar la relación con mi familia"): 2,
                     ("Ciudad de México", "Dejar atrás la violencia"): 1,
                     ("Jalisco", "Por un asunto legal (juez o Ministerio Público)"): 1,
                     ("Jalisco", "Mejorar la relación con mi familia"): 1}
    participants, _ = pyreadstat.read_sav(str(out / "participants.sav"))
    assert sorted(participants["sessions_attended"]) == [0, 1, 1, 1, 1]  # the first two men of each site came
    assert set(participants["participant_code"]) == set(data["participant_code"])
    html = (out / "libro_de_codigos.html").read_text(encoding="utf-8")
    assert "el estado" in html and "Qué se quitó y por qué" in html


@pytest.mark.parametrize("args, message", [
    (["--out", "x"], "--site"),
    (["--national", "--site", "SITE-A", "--out", "x"], "--site"),
    (["--national", "--format", "csv", "--out", "x"], "CSV"),
])
def test_the_export_command_says_what_is_wrong(runner, tmp_path, args, message):
    result = runner.invoke(args=["export", *[str(tmp_path / a) if a == "x" else a for a in args]])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_libreoffice_calc_opens_the_workbook_with_the_same_values(app, runner, tmp_path):
    """LibreOffice Calc, headless, turns the intake sheet into CSV: the values openpyxl reads, dates as dates."""
    import csv
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    assert soffice, "libreoffice-calc-nogui is in the Makefile's TEST_PACKAGES"
    men = fill_sites(app)
    export(runner, "--site", "SITE-A", "--out", str(tmp_path / "x"), "--format", "xlsx")
    out = tmp_path / "calc"
    # sheet 4 (intake), UTF-8, comma separated; dates as Calc shows them (ISO here, from the cells' format)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,4",
                    "--outdir", str(out), str(tmp_path / "x" / "datos.xlsx")], check=True, capture_output=True,
                   timeout=180)
    rows = list(csv.reader((out / "datos-intake.csv").read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    calc = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    book = load_workbook(tmp_path / "x" / "datos.xlsx")["intake"]
    assert [c.value for c in book[1]] == header
    second = calc[men["SITE-A"][1]]
    assert second["age"] == "31" and second["main_reason_etiqueta"] == "Dejar atrás la violencia"
    assert second["submitted_on"] == "2026-10-04"
    assert len(calc) == book.max_row - 1


def test_staff_download_the_files_for_analysis_where_they_download_the_csv(app, client, staff, tmp_path):
    import io
    import zipfile

    men = fill_sites(app)
    staff.login("fac_a")
    page = client.get("/sitio/SITE-A/datos/").get_data(as_text=True)
    assert "Descargar para análisis (ZIP)" in page and "/sitio/SITE-A/datos/analisis-desidentificado.zip" in page
    response = client.get("/sitio/SITE-A/datos/analisis-datos.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {"datos.xlsx", "libro_de_codigos.html", "intake.sav", "intake.dta"} <= set(archive.namelist())
    (tmp_path / "intake.dta").write_bytes(archive.read("intake.dta"))
    data, _ = pyreadstat.read_dta(str(tmp_path / "intake.dta"))
    assert set(data["participant_code"]) == set(men["SITE-A"])
    hidden = zipfile.ZipFile(io.BytesIO(client.get("/sitio/SITE-A/datos/analisis-desidentificado.zip").data))
    assert "DEIDENTIFIED.txt" in hidden.namelist()
    assert not any(man.encode() in hidden.read(name) for name in hidden.namelist() for man in men["SITE-A"])
    assert client.get("/sitio/SITE-B/datos/analisis-datos.zip").status_code == 403  # another site's
    assert client.get("/sitio/SITE-A/datos/analisis-otro.zip").status_code == 404
    assert client.get("/coordinacion/datos-nacionales.zip").status_code == 403  # facilitators: their site only
    staff.logout()
    staff.login("coord")
    assert "Descargar los datos nacionales para análisis (ZIP)" in client.get("/coordinacion/").get_data(as_text=True)
    national = zipfile.ZipFile(io.BytesIO(client.get("/coordinacion/datos-nacionales.zip").data))
    assert "intake.dta" in national.namelist() and "attendance.dta" not in national.namelist()
    assert not any(b"SITE-A" in national.read(name) for name in national.namelist())
