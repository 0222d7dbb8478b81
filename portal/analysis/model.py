"""The tables an analyst gets: each variable with its Spanish label, its kind and its value labels.

A questionnaire's table has one column per question of every version the portal keeps (a question
retired in a later version keeps its column), a multiple choice becomes one 0/1 column per choice,
a single choice a numeric code with value labels. Codes are given in the order in which the choices
first appeared, oldest version first, so a choice added later never moves the codes of earlier ones.
Each answer is read with the definition of the version the man answered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from ..questionnaires import Question, Questionnaire, localized

TEXT, NUMBER, DATE, CODE = "text", "number", "date", "code"
MAX_NAME = 28  # Stata allows 32, but pyreadstat names a value label after its variable plus a counter
FLAG_VALUES = {0: "No", 1: "Sí"}  # a choice of a multiple choice: marked or not


@dataclass
class Variable:
    name: str
    label: str
    kind: str  # TEXT, NUMBER, DATE or CODE
    values: dict[int, str] | None = None  # code -> Spanish label (kind CODE)
    names: dict[int, str] | None = None  # code -> the choice's name in forms/ (the CSV's value)
    question: Question | None = None  # the question it comes from (its newest definition)
    choice: str | None = None  # the choice of a multiple choice this 0/1 column stands for

    @property
    def flag(self) -> bool:
        return self.choice is not None


@dataclass
class Table:
    name: str
    label: str
    variables: list[Variable]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Dataset:
    """What one export holds: its tables, and what de-identification removed (for the codebook)."""

    scope: str  # "site" or "national"
    site: str | None
    deidentified: bool
    tables: list[Table]
    versions: Mapping[str, Sequence[Questionnaire]]  # every version kept, oldest first


class Names:
    """Column names an analyst's package accepts: letters, digits and _, unique, at most 28 characters."""

    def __init__(self):
        self.used: set[str] = set()
        self.reserved: set[str] = set()

    @staticmethod
    def _base(wanted: str) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:MAX_NAME]

    def reserve(self, name: str) -> None:
        """Keep a question's name for its own column, whatever column asks first."""
        self.reserved.add(self._base(name).lower())

    def __call__(self, wanted: str, own: bool = False) -> str:
        base = self._base(wanted)
        name, n = base, 1
        if own and base.lower() in self.reserved and base.lower() not in self.used:
            self.used.add(base.lower())
            return base
        while name.lower() in self.used or name.lower() in self.reserved:
            n += 1
            suffix = f"_{n}"
            name = base[:MAX_NAME - len(suffix)] + suffix
        self.used.add(name.lower())
        return name


@dataclass
class Column:
    """How one question of a questionnaire becomes its variables, across versions."""

    question: Question
    variables: list[Variable]
    codes: dict[str, int]  # choice name -> code
    asked_in: list[str]  # the versions that asked it


def question_columns(versions: Sequence[Questionnaire], names: Names, keep_text: bool) -> list[Column]:
    """One entry per question of any version: the newest version's order, then questions only older ones had."""
    newest: dict[str, Question] = {}
    asked: dict[str, list[str]] = {}
    order: list[str] = []
    for form in reversed(versions):
        for q in form.questions:
            if q.name not in newest:
                newest[q.name] = q
                order.append(q.name)
            asked.setdefault(q.name, []).insert(0, form.version)
    for qname in order:  # a question keeps its own name; a choice's column gives way to it
        names.reserve(qname)
    columns = []
    for qname in order:
        q = newest[qname]
        if q.type == "text" and not keep_text:
            continue
        codes, newest_choices = _choice_codes(qname, versions)
        columns.append(Column(q, _variables(q, codes, newest_choices, names), codes, asked[qname]))
    return columns


def _choice_codes(qname: str, versions: Sequence[Questionnaire]) -> tuple[dict[str, int], dict[int, tuple[str, str]]]:
    """Codes by first appearance (oldest version first), a renamed choice sharing the code of its earlier name;
    each code's name and label from the newest version that has it."""
    codes: dict[str, int] = {}
    newest: dict[int, tuple[str, str]] = {}
    for form in versions:
        q = next((x for x in form.questions if x.name == qname), None)
        if q is None:
            continue
        for choice in q.choices:
            earlier = next((codes[n] for n in choice.renamed_from if n in codes), None)
            code = codes.setdefault(choice.name, earlier or len(set(codes.values())) + 1)
            newest[code] = (choice.name, localized(choice.label, "es"))
    return codes, newest


def _variables(q: Question, codes: dict[str, int], newest: dict[int, tuple[str, str]], names: Names) -> list[Variable]:
    label = localized(q.label, "es")
    if q.type == "select_one":
        return [Variable(names(q.name, own=True), label, CODE, {c: text for c, (_, text) in newest.items()},
                         {c: name for c, (name, _) in newest.items()}, q)]
    if q.type == "select_multiple":
        return [Variable(names(f"{q.name}_{name}"), f"{label}: {text}", CODE, dict(FLAG_VALUES), None, q, name)
                for code, (name, text) in newest.items()]
    kind = {"integer": NUMBER, "decimal": NUMBER, "date": DATE}.get(q.type, TEXT)
    return [Variable(names(q.name, own=True), label, kind, question=q)]


def answer_cells(column: Column, answers: Mapping[str, Any], month_only: bool) -> list[Any]:
    """The values of one question's variables for one response (None where it was not answered)."""
    q = column.question
    value = answers.get(q.name)
    if q.type == "select_multiple":
        if not value:
            return [None] * len(column.variables)
        chosen = {column.codes.get(n) for n in (value if isinstance(value, list) else str(value).split())}
        return [1 if column.codes[v.choice] in chosen else 0 for v in column.variables]
    if value is None or value == "":
        return [None]
    if q.type == "select_one":
        return [column.codes.get(str(value))]
    if q.type == "date":
        return [as_date(str(value), month_only)]
    if q.type in ("integer", "decimal"):
        return [value if isinstance(value, (int, float)) else float(value)]
    return [str(value)]


def as_date(iso: str, month_only: bool = False) -> date | None:
    """A stored date as a date; reduced to the first day of its month in a de-identified copy."""
    if not iso:
        return None
    day = date.fromisoformat(iso[:10]) if len(iso) >= 10 else date.fromisoformat(iso[:7] + "-01")
    return day.replace(day=1) if month_only else day


def codes_variable(name: str, label: str, labels: Mapping[str, Any]) -> tuple[Variable, dict[str, int]]:
    """A fixed list of values (venues, states) as a coded variable."""
    codes = {key: i for i, key in enumerate(labels, start=1)}
    return Variable(name, label, CODE, {codes[k]: str(v) for k, v in labels.items()},
                    {codes[k]: k for k in labels}), codes


def collect(items: Iterable[list[Any]]) -> list[list[Any]]:
    """Rows in a fixed order, by their first cells (a table of new random codes loses its files' order)."""
    return sorted(items, key=lambda row: tuple("" if v is None else str(v) for v in row[:4]))
