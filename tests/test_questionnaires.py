"""Questionnaire definitions: loading checks, and every validation rule, in Spanish."""
import textwrap

import pytest
from fixtures import make_app
from flask_babel import force_locale

from portal import FORMS_FOLDER
from portal.questionnaires import DefinitionError, load_all, load_questionnaire

REC_ITEMS = ["rec_insults", "rec_jealousy_control", "rec_threats", "rec_isolation", "rec_push_hit",
             "rec_throw_objects", "rec_forced_sex", "rec_withhold_money", "rec_take_belongings",
             "rec_children_leverage"]

FIXED = {
    "intake": {
        "age": ("integer", None),
        "referral_source": ("select_one", ["friends", "partner_invitation", "health_staff", "justice", "media",
                                           "self", "other"]),
        "main_reason": ("select_one", ["improve_family", "stop_violence", "partner_request", "legal", "other"]),
        **{name: ("select_one", ["yes", "no", "dont_know"]) for name in REC_ITEMS},
    },
    "exit": {
        **{name: ("select_one", ["yes", "no", "dont_know"]) for name in REC_ITEMS},
        "strategy_used": ("select_one", ["yes", "no"]),
        "strategies": ("select_multiple", ["time_out", "breathing", "talk_later", "call_someone",
                                           "physical_activity", "other"]),
        "family_change": ("select_one", ["better", "same", "worse"]),
    },
    "facilitator_intake": {
        "risk_level": ("select_one", ["low", "medium", "high"]),
        "substance_use": ("select_one", ["none", "alcohol", "drugs", "both"]),
    },
    "facilitator_exit": {
        "exit_reason": ("select_one", ["completed", "dropped_out", "transferred", "other"]),
    },
}


@pytest.fixture(scope="module")
def forms():
    return load_all(FORMS_FOLDER)


def test_indicator_fields_have_the_fixed_names_and_values(forms):
    for qid, fields in FIXED.items():
        for name, (qtype, values) in fields.items():
            question = forms[qid].question(name)
            assert question.type == qtype, (qid, name)
            if values is not None:
                assert question.choice_names == values, (qid, name)
    assert forms["intake"].question("age").constraint is not None
    assert forms["exit"].question("strategies").relevant.source.replace(" ", "") == "${strategy_used}='yes'"


def test_every_label_has_spanish_and_english(forms):
    for form in forms.values():
        for q in form.items:
            assert q.label["es"].strip() and q.label.get("en", "").strip(), (form.id, q.name)
            for choice in q.choices:
                assert choice.label["es"].strip() and choice.label.get("en"), (form.id, q.name, choice.name)


def test_no_question_asks_for_identifying_data(forms):
    forbidden = ("name", "nombre", "phone", "telefono", "teléfono", "address", "direccion", "dirección", "curp")
    for form in forms.values():
        for q in form.questions:
            assert not any(word in q.name for word in forbidden), (form.id, q.name)
            label = q.label["es"].lower()
            assert "su nombre" not in label and "teléfono" not in label and "curp" not in label, (form.id, q.name)


GOOD = """
id: {id}
version: "1"
title: {{es: "Prueba", en: "Test"}}
audience: participant
choices:
  yes_no:
    - {{name: "yes", label: {{es: "Sí", en: "Yes"}}}}
    - {{name: "no", label: {{es: "No", en: "No"}}}}
survey:
  - type: select_one yes_no
    name: works
    label: {{es: "¿Trabaja?", en: "Do you work?"}}
{extra}
"""


def write_form(tmp_path, extra, form_id="probe"):
    path = tmp_path / f"{form_id}.yaml"
    path.write_text(GOOD.format(id=form_id, extra=textwrap.indent(textwrap.dedent(extra), "  ")), encoding="utf-8")
    return path


@pytest.mark.parametrize("extra, field, words", [
    ("""- type: geopoint
  name: place
  label: {es: "Lugar"}""", "place", "unknown type 'geopoint'"),
    ("""- type: text
  name: job
  label: {en: "Job"}""", "job", "Spanish"),
    ("""- type: integer
  name: hours
  label: {es: "Horas"}
  relevant: "${works} = = 'yes'\"""", "hours", "relevant does not parse"),
    ("""- type: integer
  name: hours
  label: {es: "Horas"}
  constraint: ". >= 0 and"
  constraint_message: {es: "Mal"}""", "hours", "constraint does not parse"),
    ("""- type: select_one shifts
  name: shift
  label: {es: "Turno"}""", "shift", "choice list 'shifts' does not exist"),
    ("""- type: integer
  name: hours
  label: {es: "Horas"}
  relevant: "${later} = 'yes'\"""", "hours", "'${later}' is not an earlier question"),
    ("""- type: integer
  name: hours
  label: {es: "Horas"}
  constraint: ". > 0\"""", "hours", "constraint_message"),
    ("""- type: text
  name: works
  label: {es: "Otra vez"}""", "works", "used twice"),
])
def test_a_bad_definition_names_the_file_and_the_field(tmp_path, extra, field, words):
    path = write_form(tmp_path, extra)
    with pytest.raises(DefinitionError) as info:
        load_questionnaire(path)
    message = str(info.value)
    assert str(path) in message and f"field '{field}'" in message and words in message


def test_bare_yes_no_choice_names_are_refused(tmp_path):
    path = tmp_path / "probe.yaml"
    path.write_text(GOOD.format(id="probe", extra="").replace('name: "yes"', "name: yes"), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"choices.yes_no.*quoted"):
        load_questionnaire(path)


def test_a_bad_definition_stops_start_up(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for name in ("intake", "exit", "facilitator_intake", "facilitator_exit"):
        (forms / f"{name}.yaml").write_text((FORMS_FOLDER / f"{name}.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    exit_text = (forms / "exit.yaml").read_text(encoding="utf-8")
    (forms / "exit.yaml").write_text(exit_text.replace("type: select_multiple", "type: select_many", 1),
                                     encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"exit\.yaml: field 'strategies': unknown type 'select_many"):
        make_app(tmp_path / "inst", FORMS_FOLDER=str(forms))


# ---------------------------------------------------------------------------
# Validation rules, with the messages a person reads in Spanish
# ---------------------------------------------------------------------------

def valid_exit(**changes):
    answers = {name: "yes" for name in REC_ITEMS}
    answers.update(strategy_used="yes", strategies=["breathing", "time_out"], family_change="better",
                   partner_relationship_change="better", would_recommend="yes", most_useful=["managing_anger"])
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def spanish(app, fn):
    with app.app_context(), app.test_request_context(), force_locale("es"):
        return fn()


@pytest.fixture
def exit_form(app):
    return app.extensions["questionnaires"]["exit"]


@pytest.fixture
def intake_form(app):
    return app.extensions["questionnaires"]["intake"]


def test_a_complete_exit_is_valid_and_stored_in_choice_order(app, exit_form):
    result = spanish(app, lambda: exit_form.validate(valid_exit()))
    assert result.ok, result.errors
    assert result.answers["strategies"] == ["time_out", "breathing"]  # order of the choice list
    assert result.answers["rec_insults"] == "yes"


def test_required_in_spanish(app, exit_form):
    result = spanish(app, lambda: exit_form.validate(valid_exit(family_change=None)))
    assert result.errors == {"family_change": "Por favor responda esta pregunta."}


def test_constraint_message_in_spanish(app, intake_form):
    result = spanish(app, lambda: intake_form.validate({"age": "12"}))
    assert result.errors["age"] == intake_form.question("age").constraint_message["es"]
    assert "15" in result.errors["age"] and "99" in result.errors["age"]
    assert "age" not in spanish(app, lambda: intake_form.validate({"age": "35"})).errors


def test_type_errors_in_spanish(app, intake_form):
    result = spanish(app, lambda: intake_form.validate({"age": "treinta"}))
    assert result.errors["age"] == "Escriba un número entero con cifras, por ejemplo 35."


def test_unknown_choice_in_spanish(app, exit_form):
    result = spanish(app, lambda: exit_form.validate(valid_exit(family_change="excellent")))
    assert result.errors == {"family_change": "Elija una de las opciones que se muestran."}
    result = spanish(app, lambda: exit_form.validate(valid_exit(strategies=["breathing", "yoga"])))
    assert result.errors == {"strategies": "Elija solo entre las opciones que se muestran."}


def test_relevant_hides_and_requires(app, exit_form):
    # shown and required when strategy_used = yes
    result = spanish(app, lambda: exit_form.validate(valid_exit(strategies=None)))
    assert result.errors == {"strategies": "Por favor responda esta pregunta."}
    # hidden when strategy_used = no: not required, and an answer given anyway is not stored
    result = spanish(app, lambda: exit_form.validate(valid_exit(strategy_used="no", strategies=None)))
    assert result.ok and "strategies" not in result.answers
    result = spanish(app, lambda: exit_form.validate(valid_exit(strategy_used="no")))
    assert result.ok and "strategies" not in result.answers
    # an import is strict: an answer to a hidden question is an error
    result = spanish(app, lambda: exit_form.validate(valid_exit(strategy_used="no"), strict=True))
    assert result.errors == {"strategies": "Esta pregunta no aplica según las respuestas anteriores; déjela en blanco."}


def test_dates_accept_both_ways_of_writing(app):
    form = app.extensions["questionnaires"]["facilitator_exit"]
    question = form.question("exit_date")
    assert question.parse("2026-03-05") == "2026-03-05"
    assert question.parse("05/03/2026") == "2026-03-05"
    with pytest.raises(ValueError):
        question.parse("31/02/2026")
