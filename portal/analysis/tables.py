"""A site's data, or the de-identified national data, as the labelled tables of ``model.py``.

A site's export has the tables of the CSV export (participants, sessions, attendance, one per
questionnaire); its de-identified copy gives the men new random codes, reduces every date to its
month and leaves out free text, as the de-identified CSV does.

The national data is always de-identified, and pooled: no site, group, session or participant
code of the portal is in it, only new random codes for the men (the same in every table of one
export), the state (the finest place the summary publishes above a site), dates reduced to the
month, and no free text. Attendance comes as the number of sessions each man attended.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable, Mapping, Sequence

from flask_babel import force_locale

from ..attendance import VENUES
from ..questionnaires import QUESTIONNAIRE_IDS, Questionnaire, localized
from ..states import STATES
from ..storage import Snapshot
from ..transfer.export import Pseudonyms, natural
from .model import (
    CODE,
    DATE,
    NUMBER,
    TEXT,
    Column,
    Dataset,
    Names,
    Table,
    Variable,
    answer_cells,
    as_date,
    codes_variable,
    collect,
    question_columns,
)

STATE_LABELS = {code: name for code, name in STATES.items()}


def site_dataset(site_code: str, snapshot: Snapshot, versions: Mapping[str, Sequence[Questionnaire]],
                 deidentified: bool = False, pseudonyms: Callable[[str], str] | None = None) -> Dataset:
    """The site's tables for analysts; with ``deidentified``, new codes, months and no free text."""
    code = (pseudonyms or Pseudonyms()) if deidentified else (lambda real: real)
    sessions = sorted(snapshot.all("sessions"), key=lambda s: natural(s["session_id"]))
    attended = Counter(man for s in sessions for man in s["present"])
    with force_locale("es"):
        venue, venue_codes = codes_variable("venue", "Lugar de la sesión", VENUES)
    participants = Table("participants", "Participantes", [
        Variable("participant_code", "Código del participante", TEXT),
        Variable("group_code", "Grupo", TEXT),
        Variable("enrolled_on", _month_label("Fecha de registro", deidentified), DATE),
        Variable("sessions_attended", "Sesiones a las que asistió", NUMBER),
    ], collect([code(p["code"]), p["group_code"], as_date(p["enrolled_on"], deidentified), attended[p["code"]]]
               for p in snapshot.all("participants")))
    session_table = Table("sessions", "Sesiones", [
        Variable("session_id", "Sesión", TEXT), Variable("group_code", "Grupo", TEXT),
        Variable("number", "Número de la sesión", NUMBER),
        Variable("date", _month_label("Fecha de la sesión", deidentified), DATE), venue,
    ], [[s["session_id"], s["group_code"], s["number"], as_date(s["date"], deidentified), venue_codes.get(s["venue"])]
        for s in sessions])
    attendance = Table("attendance", "Asistencia (un renglón por hombre presente)", [
        Variable("session_id", "Sesión", TEXT), Variable("participant_code", "Código del participante", TEXT),
    ], [[s["session_id"], man] for s in sessions for man in sorted(code(p) for p in s["present"])])
    tables = [participants, session_table, attendance]
    for qid in QUESTIONNAIRE_IDS:
        names = Names()
        keys = [Variable(names("participant_code"), "Código del participante", TEXT)]
        rows = [([code(r["participant_code"])], r) for r in snapshot.find("responses", questionnaire=qid)]
        tables.append(response_table(qid, versions[qid], keys, names, deidentified, rows))
    return Dataset("site", site_code, deidentified, tables, versions)


def national_dataset(sites: Iterable[tuple[str, Snapshot]], versions: Mapping[str, Sequence[Questionnaire]]) -> Dataset:
    """Every site's men, pooled and de-identified: state and month, never the site or a portal code.

    ``sites`` yields (state code, snapshot) pairs; one site's snapshot is let go before the next is read.
    """
    code = Pseudonyms()
    state, state_codes = codes_variable("state", "Estado", STATE_LABELS)
    with force_locale("es"):
        venue, venue_codes = codes_variable("venue", "Lugar de la sesión", VENUES)
    participants, sessions, responses = [], [], {qid: [] for qid in QUESTIONNAIRE_IDS}
    for state_code, snapshot in sites:
        place = state_codes.get(state_code)
        attended = Counter(man for s in snapshot.all("sessions") for man in s["present"])
        # A man's new code is drawn when he is first met, in the order of the site's file: the tables are sorted
        # below, so nothing of the site's order is left in them.
        for p in snapshot.all("participants"):
            participants.append([code(p["code"]), place, as_date(p["enrolled_on"], True), attended[p["code"]]])
        for s in snapshot.all("sessions"):
            sessions.append([place, as_date(s["date"], True), s["number"], venue_codes.get(s["venue"])])
        for qid in QUESTIONNAIRE_IDS:
            responses[qid].extend(([code(r["participant_code"]), place], r)
                                  for r in snapshot.find("responses", questionnaire=qid))
    tables = [
        Table("participants", "Participantes", [
            Variable("participant_code", "Código del participante (nuevo, solo vale en esta exportación)", TEXT),
            state, Variable("enrolled_on", _month_label("Fecha de registro", True), DATE),
            Variable("sessions_attended", "Sesiones a las que asistió", NUMBER)], collect(participants)),
        Table("sessions", "Sesiones", [state, Variable("date", _month_label("Fecha de la sesión", True), DATE),
                                       Variable("number", "Número de la sesión", NUMBER), venue], collect(sessions)),
    ]
    for qid in QUESTIONNAIRE_IDS:
        names = Names()
        keys = [Variable(names("participant_code"), "Código del participante", TEXT), _renamed(state, names)]
        tables.append(response_table(qid, versions[qid], keys, names, True, responses[qid]))
    return Dataset("national", None, True, tables, versions)


def response_table(qid: str, versions: Sequence[Questionnaire], keys: list[Variable], names: Names,
                   deidentified: bool, rows: Iterable[tuple[list, dict]]) -> Table:
    """One questionnaire's table: the keys given, the date and version, then each question's variables."""
    fixed = keys + [Variable(names("submitted_on"), _month_label("Fecha del cuestionario", deidentified), DATE),
                    Variable(names("form_version"), "Versión del cuestionario que contestó", TEXT)]
    columns: list[Column] = question_columns(versions, names, keep_text=not deidentified)
    variables = fixed + [v for c in columns for v in c.variables]
    body = []
    for key_cells, r in rows:
        row = key_cells + [as_date(r["submitted_on"], deidentified), r.get("version", "")]
        for column in columns:
            row.extend(answer_cells(column, r["answers"], deidentified))
        body.append(row)
    return Table(qid, localized(versions[-1].title, "es"), variables, collect(body))


def _month_label(label: str, month_only: bool) -> str:
    return f"{label} (solo el mes: se muestra el día 1)" if month_only else label


def _renamed(variable: Variable, names: Names) -> Variable:
    return Variable(names(variable.name), variable.label, variable.kind, variable.values, variable.names)


__all__ = ["site_dataset", "national_dataset", "response_table", "CODE", "DATE", "NUMBER", "TEXT"]
