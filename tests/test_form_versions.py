"""Questionnaires that change mid-year: forms/ (a copy in a temporary folder) is changed under an instance holding
answers, in each supported way and each refused way, and the portal started again."""
import shutil
from datetime import date

import pyreadstat
import pytest
from conftest import FACILITATOR_INTAKE, INTAKE_ANSWERS, Staff
from fixtures import add_group, make_app

from portal import PROJECT_ROOT
from portal.db import get_registry, get_site_store
from portal.drafts import load
from portal.form_versions import VersionError
from portal.indicators import compute, from_snapshot
from portal.participants import register
from portal.registry import add_site, add_user, check_site
from portal.responses import Submission, save_response

PASSWORD = "fac-a-password-1"
V1, V2 = "2026.1", "2026.2"
MEDIA = "Lo vi o lo oí en la radio, la tele, internet o un cartel"
HEALTH_STAFF = "Me envió el centro de salud (médico, enfermera, psicólogo)"


@pytest.fixture
def forms(tmp_path):
    folder = tmp_path / "forms"
    shutil.copytree(PROJECT_ROOT / "forms", folder)
    return folder


def start(tmp_path, forms):
    """The portal started on the instance with the questionnaires of ``forms``."""
    app = make_app(tmp_path / "instance", FORMS_FOLDER=str(forms))
    with app.app_context():
        registry = get_registry()
        if not registry.read().all("sites"):
            add_site(registry, check_site("SITE-A", "Centro de Salud A", "09", 24))
            add_user(registry, "fac_a", "facilitator", PASSWORD, "SITE-A")
            add_group("SITE-A", "2026-A")
    return app


def change(forms, old, new, qid="intake", version=V2):
    path = forms / f"{qid}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    if version:
        text = text.replace(f'version: "{V1}"', f'version: "{version}"')
    path.write_text(text, encoding="utf-8")


def rename_health_staff(forms):
    """health_staff becomes health_services, declared once; its label changes too."""
    change(forms, f'{{name: "health_staff", label: {{es: "{HEALTH_STAFF}"',
           '{name: "health_services", renamed_from: "health_staff", label: {es: "Me envió un servicio de salud"')


def remove_media(forms):
    """The choice media taken out of the list, without declaring it retired."""
    change(forms, f'    - {{name: "media", label: {{es: "{MEDIA}", en: "I saw or heard about it on radio, TV, the '
                  'internet or a poster"}}\n', "")


def answer(app, answers, day=date(2026, 10, 5)):
    """A new man with his intake and entry interview, as the current version asks them."""
    with app.app_context():
        store = get_site_store("SITE-A")
        man = register(store, "SITE-A", "2026-A", date(2026, 10, 1), "fac_a")
        for qid, raw in (("intake", {**INTAKE_ANSWERS, **answers}), ("facilitator_intake", FACILITATOR_INTAKE)):
            form = app.extensions["questionnaires"][qid]
            result = form.validate(raw)
            assert result.ok, result.errors
            save_response(store, Submission(form, man, result.answers, "paper", "fac_a", day))
    return man


def his_page(app, man):
    client = app.test_client()
    Staff(client).login("fac_a", PASSWORD)
    return client, client.get(f"/sitio/SITE-A/participantes/{man}/").get_data(as_text=True)


def figures(app):
    with app.app_context():
        snapshot = get_site_store("SITE-A").read()
        return compute([from_snapshot("SITE-A", "09", 24, snapshot)], "2026", "2026-12-31")


def stata(app, runner_out):
    result = app.test_cli_runner().invoke(args=["export", "--site", "SITE-A", "--out", str(runner_out),
                                                "--format", "dta"])
    assert result.exit_code == 0, result.output
    return pyreadstat.read_dta(str(runner_out / "intake.dta"), apply_value_formats=True)[0].set_index(
        "participant_code")


def test_each_version_is_kept_and_a_changed_definition_needs_a_new_version(tmp_path, forms):
    app = start(tmp_path, forms)
    answer(app, {})
    kept = tmp_path / "instance" / "forms" / V1 / "intake.yaml"
    assert kept.read_bytes() == (forms / "intake.yaml").read_bytes()
    change(forms, "¿Cuántos años cumplidos tiene?", "¿Cuántos años tiene?", version=None)
    with pytest.raises(VersionError, match=f"«intake».*conserva la versión «{V1}».*versión nueva"):
        start(tmp_path, forms)
    assert not (tmp_path / "instance" / "forms" / V2).exists()
    change(forms, 'version: "2026.1"', 'version: "2026.2"', version=None)
    app = start(tmp_path, forms)
    assert [f.version for f in app.extensions["form_versions"]["intake"]] == [V1, V2]
    assert (tmp_path / "instance" / "forms" / V2 / "intake.yaml").exists()


def test_adding_a_question_keeps_old_answers_and_asks_the_new_one(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"age": "41"})
    change(forms, "  - type: select_one education\n", "  - type: integer\n    name: household_size\n"
           "    label: {es: \"¿Cuántas personas viven en su casa?\"}\n\n  - type: select_one education\n")
    app = start(tmp_path, forms)
    new = answer(app, {"household_size": "4"})
    data = stata(app, tmp_path / "x")
    assert data.loc[old, "age"] == 41 and data.loc[old, "household_size"] != data.loc[old, "household_size"]  # NaN
    assert data.loc[new, "household_size"] == 4
    assert data.loc[old, "form_version"] == V1 and data.loc[new, "form_version"] == V2
    assert "41" in his_page(app, old)[1]


def test_a_retired_question_is_no_longer_asked_and_its_answers_stay(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"previous_help": "yes"})
    change(forms, "  - type: select_one yes_no\n    name: previous_help\n",
           "  - type: select_one yes_no\n    retired: true\n    name: previous_help\n")
    app = start(tmp_path, forms)
    assert "previous_help" not in [q.name for q in app.extensions["questionnaires"]["intake"].questions]
    new = answer(app, {"previous_help": ""})
    page = his_page(app, old)[1]
    assert "¿Antes de este grupo, ha ido a terapia o a otro grupo de apoyo?" in page
    data = stata(app, tmp_path / "x")
    assert data.loc[old, "previous_help"] == "Sí" and data.loc[new, "previous_help"] != data.loc[new, "previous_help"]


def test_a_retired_choice_is_no_longer_offered_and_its_answers_stay_readable_and_counted(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"referral_source": "media"})
    change(forms, '{name: "media", label:', '{name: "media", retired: true, label:')
    app = start(tmp_path, forms)
    question = app.extensions["questionnaires"]["intake"].question("referral_source")
    assert "media" not in question.choice_names
    assert not app.extensions["questionnaires"]["intake"].validate({**INTAKE_ANSWERS, "referral_source": "media"}).ok
    client, page = his_page(app, old)
    assert MEDIA in page
    assert figures(app)["referral_source"]["media"]["count"] == 1
    assert stata(app, tmp_path / "x").loc[old, "referral_source"] == MEDIA
    # his answers are corrected with the version he answered, which still offers it
    form = client.get(f"/sitio/SITE-A/participantes/{old}/cuestionario/intake/corregir").get_data(as_text=True)
    assert 'value="media"' in form


def test_a_renamed_choice_is_declared_once_and_counted_as_one(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"referral_source": "health_staff"})
    rename_health_staff(forms)
    app = start(tmp_path, forms)
    new = answer(app, {"referral_source": "health_services"})
    assert figures(app)["referral_source"]["health_staff"]["count"] == 2  # the indicator's fixed name
    data = stata(app, tmp_path / "x")
    assert data.loc[old, "referral_source"] == data.loc[new, "referral_source"] == "Me envió un servicio de salud"
    assert HEALTH_STAFF in his_page(app, old)[1]  # as he was asked
    assert "Me envió un servicio de salud" in his_page(app, new)[1]


def test_a_fixed_label_shows_each_answer_as_it_was_asked(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"main_reason": "stop_violence"})
    change(forms, '{name: "stop_violence", label: {es: "Dejar atrás la violencia"',
           '{name: "stop_violence", label: {es: "Dejar de ser violento"')
    app = start(tmp_path, forms)
    new = answer(app, {"main_reason": "stop_violence"})
    assert "Dejar atrás la violencia" in his_page(app, old)[1]
    assert "Dejar de ser violento" in his_page(app, new)[1]
    assert figures(app)["main_reason"]["stop_violence"]["count"] == 2
    client, _ = his_page(app, old)
    assert f"/cuestionarios/intake/papel.pdf?version={V1}" in his_page(app, old)[1]
    pdf = client.get(f"/cuestionarios/intake/papel.pdf?version={V1}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/cuestionarios/intake/papel.pdf?version=1999.9").status_code == 404


def test_removing_a_choice_that_answers_use_stops_the_portal_and_changes_nothing(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"referral_source": "media"})
    site_file = tmp_path / "instance" / "sites" / "SITE-A.json"
    before = site_file.read_bytes()
    remove_media(forms)
    with pytest.raises(VersionError) as refused:
        start(tmp_path, forms)
    message = str(refused.value)
    assert "«intake»" in message and "«referral_source»" in message and "«media»" in message and old in message
    assert "retired: true" in message and "No se cambió nada" in message
    assert site_file.read_bytes() == before and not (tmp_path / "instance" / "forms" / V2).exists()


def test_removing_a_choice_nobody_used_is_allowed(tmp_path, forms):
    answer(start(tmp_path, forms), {"referral_source": "friends"})
    remove_media(forms)
    assert start(tmp_path, forms).extensions["questionnaires"]["intake"].version == V2


def test_changing_the_type_of_an_answered_question_stops_the_portal(tmp_path, forms):
    old = answer(start(tmp_path, forms), {"age": "41"})
    change(forms, "  - type: integer\n    name: age\n", "  - type: text\n    name: age\n")
    with pytest.raises(VersionError, match=f"(?s)«intake», pregunta «age»: cambió de tipo.*{old}"):
        start(tmp_path, forms)
    assert not (tmp_path / "instance" / "forms" / V2).exists()


def test_a_draft_of_the_old_version_moves_to_the_new_one_where_nothing_changes_meaning(tmp_path, forms):
    app = start(tmp_path, forms)
    with app.app_context():
        store = get_site_store("SITE-A")
        man = register(store, "SITE-A", "2026-A", date(2026, 10, 1), "fac_a")
        store.write(lambda tx: tx.insert("drafts", {
            "participant_code": man, "questionnaire": "intake", "version": V1, "reached": 3, "rejected": None,
            "answers": {"age": 40, "referral_source": "health_staff", "main_reason": "legal", "education": "primary"},
            "saved_at": "2026-10-02T10:00:00Z"}), user="participant")
    rename_health_staff(forms)
    change(forms, '{name: "legal", label:', '{name: "legal", retired: true, label:', version=None)
    app = start(tmp_path, forms)
    with app.app_context():
        draft = load(get_site_store("SITE-A").read(), man, "intake", app.extensions["questionnaires"]["intake"])
    assert draft.answers == {"age": 40, "referral_source": "health_services", "education": "primary"}


def test_an_export_with_retired_and_renamed_choices_still_imports_and_syncs(tmp_path, forms):
    """The monthly sync carries answers given before a choice was retired or renamed, as they were stored."""
    app = start(tmp_path, forms)
    answer(app, {"referral_source": "media"})
    answer(app, {"referral_source": "health_staff"})
    change(forms, '{name: "media", label:', '{name: "media", retired: true, label:')
    rename_health_staff(forms)
    runner = start(tmp_path, forms).test_cli_runner()
    result = runner.invoke(args=["export", "--site", "SITE-A", "--out", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    assert ",media," in (tmp_path / "csv" / "intake.csv").read_text(encoding="utf-8-sig")
    for mode in ([], ["--sync"]):
        result = runner.invoke(args=["import", "--site", "SITE-A", *mode, "--dry-run", str(tmp_path / "csv")])
        assert result.exit_code == 0, result.output


def test_the_codebook_lists_every_version_with_retired_and_renamed_choices(tmp_path, forms):
    answer(start(tmp_path, forms), {"referral_source": "media", "previous_help": "yes"})
    change(forms, '{name: "media", label:', '{name: "media", retired: true, label:')
    rename_health_staff(forms)
    change(forms, "  - type: select_one yes_no\n    name: previous_help\n",
           "  - type: select_one yes_no\n    retired: true\n    name: previous_help\n", version=None)
    app = start(tmp_path, forms)
    result = app.test_cli_runner().invoke(args=["export", "--site", "SITE-A", "--out", str(tmp_path / "x"),
                                                "--format", "codebook"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "x" / "libro_de_codigos.html").read_text(encoding="utf-8")
    assert f"versiones guardadas: {V1}, {V2}" in html
    assert "<code>media</code>; retirada: ya no se ofrece" in html
    assert "<code>health_staff</code>; se renombró health_services, se cuenta junto con ella" in html
    section = html[html.index('id="cuestionario-intake"'):]
    row = section[section.index("<code>previous_help</code>"):]
    assert row.index(f"<td>{V1}</td>") < row.index("</tr>")  # asked by the first version only
