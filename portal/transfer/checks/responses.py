"""intake.csv, exit.csv, facilitator_intake.csv, facilitator_exit.csv: one questionnaire per man and file,
each row judged by ``Questionnaire.validate`` as the web forms judge it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Generator, Iterable

from flask_babel import lazy_gettext as _l

from ...questionnaires import Questionnaire
from ...storage import WITHDRAWN, Snapshot
from ..cells import Cells
from ..layout import file_name, free_text_columns, unescape_formula
from ..problems import Problem
from ..reading import Place, Row
from .participants import Men

FUTURE_DATE = _l("The date cannot be in the future.")


@dataclass(frozen=True)
class NewResponse:
    questionnaire: Questionnaire
    code: str
    answers: dict
    submitted: date
    place: Place


@dataclass
class Responses:
    """The questionnaires of one file that are new, and how many the site has already."""

    new: list[NewResponse] = field(default_factory=list)
    unchanged: int = 0


class ResponsesCheck:
    def __init__(self, snapshot: Snapshot, questionnaire: Questionnaire, men: Men, today: date):
        table = questionnaire.id
        self.questionnaire = questionnaire
        self.file = file_name(table)
        self.men = men
        self.today = today
        self.at_site = {r["participant_code"]: r for r in snapshot.find("responses", questionnaire=table)}
        every = snapshot.with_withdrawn().find("responses", questionnaire=table)
        self.withdrawn = {r["participant_code"] for r in every if r.get(WITHDRAWN)}
        self.names = [q.name for q in questionnaire.questions]
        self.text_columns = free_text_columns(table, {table: questionnaire})
        self.lines: dict[str, int] = {}  # code -> the line where the file has his questionnaire
        self.responses = Responses()

    def check(self, rows: Iterable[Row]) -> Generator[Problem, None, Responses]:
        for row in rows:
            problems = self.row(row)
            if problems:
                yield from problems
        return self.responses

    def row(self, row: Row) -> list[Problem]:
        cells = Cells(self.file, row, self.today)
        code = self.participant(cells)
        submitted = cells.day("submitted_on", FUTURE_DATE)
        raw = self.answers(cells)
        result = self.questionnaire.validate(raw, strict=True)
        for name, message in result.errors.items():
            if name in raw:  # else its digits are named already
                cells.problem(name, message)
        if code is not None:
            self.lines[code] = row.line
            if submitted is not None and result.ok:
                self.place(cells, code, result.answers, submitted)
        return cells.problems

    def answers(self, cells: Cells) -> dict[str, str]:
        """The row's answers as ``Questionnaire.validate`` takes them; a free text loses the apostrophe an export
        puts before what a spreadsheet would run as a formula; any other answer is left out when it has
        digits other than 0 to 9."""
        raw = {}
        for name in self.names:
            value = cells.row.cell(name)
            if name in self.text_columns:
                raw[name] = unescape_formula(value.strip())
            elif cells.digits(name, value):
                raw[name] = value
        return raw

    def participant(self, cells: Cells) -> str | None:
        """The man of the row, if he can have this questionnaire imported."""
        code = cells.required("participant_code")
        if code is not None and not self.men.knows(code):
            unknown = self.men.unknown(code)
            if unknown is not None:
                cells.problem("participant_code", unknown)
            return None
        if code in self.lines:
            cells.problem("participant_code", _l(
                "This man already has this questionnaire on line %(line)s of the same file.", line=self.lines[code]))
            return None
        return code

    def place(self, cells: Cells, code: str, answers: dict, submitted: date) -> None:
        """Take in a questionnaire whose row is right: at the site already, withdrawn there, or new."""
        stored = self.at_site.get(code)
        if code in self.withdrawn and stored is None:
            cells.problem("participant_code", _l(
                "This questionnaire of %(code)s was withdrawn at this site: restore it from his page in the "
                "portal, or take this row out of the file.", code=code))
        elif stored is not None:
            before = {"submitted_on": stored["submitted_on"], **{n: stored["answers"].get(n) for n in self.names}}
            now = {"submitted_on": submitted.isoformat(), **{n: answers.get(n) for n in self.names}}
            if not cells.conflicts(_l("The questionnaire of %(code)s", code=code), before, now):
                self.responses.unchanged += 1
        else:
            self.responses.new.append(NewResponse(self.questionnaire, code, answers, submitted, cells.row.place))
