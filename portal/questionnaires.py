"""Questionnaire definitions (YAML in ``forms/``) and the rules that check answers.

A definition uses the XLSForm vocabulary: rows with ``type``, ``name``,
``label`` (``es`` required, ``en``), ``hint``, ``required``, ``constraint`` and
``constraint_message``, ``relevant``, choice lists and a form ``version``.
``begin_group``/``end_group`` mark the short sections a person sees.

Loading checks everything that can be checked before anyone answers; a bad
definition raises ``DefinitionError`` naming the file and the field.
``Questionnaire.validate`` is the single place where a submission is judged:
the web form, the paper entry and the CSV import all call it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .expressions import Expression, ExpressionError, parse_expression

QUESTIONNAIRE_IDS = ("intake", "exit", "facilitator_intake", "facilitator_exit")
ANSWER_TYPES = ("integer", "decimal", "text", "date", "select_one", "select_multiple")
ROW_TYPES = ANSWER_TYPES + ("note", "begin_group", "end_group")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_MAX_LENGTH = 500
MAX_PER_PAGE = 5  # questions a man sees at once on a phone

MESSAGES = {
    "required": _l("Please answer this question."),
    "integer": _l("Write a whole number using digits, for example 35."),
    "decimal": _l("Write a number using digits, for example 2.5."),
    "date": _l("Write the date as day/month/year, for example 05/03/2026."),
    "choice": _l("Choose one of the options shown."),
    "choices": _l("Choose only among the options shown."),
    "too_long": _l("Your answer is too long: use at most %(limit)s characters."),
    "not_applicable": _l("This question does not apply given the earlier answers; leave it blank."),
}


class DefinitionError(Exception):
    """A questionnaire definition that cannot be used; names file and field."""


def localized(text: Mapping[str, str] | None, lang: str | None = None) -> str:
    """Pick the label in the current language, falling back to Spanish."""
    if not text:
        return ""
    if lang is None:
        locale = get_locale()
        lang = locale.language if locale is not None else "es"
    return text.get(lang) or text["es"]


@dataclass(frozen=True)
class Choice:
    name: str
    label: dict[str, str]
    retired: bool = False  # declared retired: no longer offered, its stored answers keep their label
    renamed_from: tuple[str, ...] = ()  # earlier names of the same choice, declared once (form_versions.py)


@dataclass
class Question:
    type: str  # one of ANSWER_TYPES or "note"
    name: str
    label: dict[str, str]
    hint: dict[str, str] | None = None
    required: bool = False
    constraint: Expression | None = None
    constraint_message: dict[str, str] | None = None
    relevant: Expression | None = None
    list_name: str | None = None
    choices: tuple[Choice, ...] = ()
    max_length: int = DEFAULT_MAX_LENGTH
    group: "Group | None" = None
    number: int = 0  # 1-based position among answerable questions

    @property
    def answerable(self) -> bool:
        return self.type != "note"

    @property
    def choice_names(self) -> list[str]:
        """The choices offered (a retired choice is not)."""
        return [c.name for c in self.choices if not c.retired]

    @property
    def offered(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.retired)

    def choice_label(self, value: str, lang: str | None = None) -> str:
        for c in self.choices:
            if c.name == value:
                return localized(c.label, lang)
        return value

    @property
    def stored_names(self) -> list[str]:
        """Every name a stored answer may have: the choices offered, retired ones, earlier names of renamed ones."""
        return [c.name for c in self.choices] + [n for c in self.choices for n in c.renamed_from]

    def parse(self, raw: Any, stored: bool = False) -> Any:
        """Turn one raw answer into its stored value; ``None`` when empty. With ``stored`` (an import of answers
        given earlier), a retired choice or the earlier name of a renamed one is accepted as it was stored.

        Raises ``ValueError`` with a message a person can read.
        """
        names = self.stored_names if stored else self.choice_names
        if self.type == "select_multiple":
            values = _as_list(raw)
            if not values:
                return None
            unknown = [v for v in values if v not in names]
            if unknown:
                raise ValueError(MESSAGES["choices"])
            return [c for c in names if c in values]
        text = _as_text(raw)
        if text == "":
            return None
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,9}", text):
                raise ValueError(MESSAGES["integer"])
            return int(text)
        if self.type == "decimal":
            candidate = text.replace(",", ".")
            if not re.fullmatch(r"[+-]?(\d{1,9}(\.\d*)?|\.\d+)", candidate):
                raise ValueError(MESSAGES["decimal"])
            return float(candidate)
        if self.type == "date":
            return parse_date(text).isoformat()
        if self.type == "select_one":
            if text not in names:
                raise ValueError(MESSAGES["choice"])
            return text
        if len(text) > self.max_length:
            raise ValueError(MESSAGES["too_long"] % {"limit": self.max_length})
        return text


@dataclass
class Group:
    name: str
    label: dict[str, str] | None  # None for rows outside any begin_group
    relevant: Expression | None = None
    items: list[Question] = field(default_factory=list)


@dataclass
class Page:
    """What a person sees at once: a section, or part of one."""

    index: int
    group: Group
    items: list[Question]

    @property
    def questions(self) -> list[Question]:
        return [q for q in self.items if q.answerable]


@dataclass
class Result:
    answers: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Questionnaire:
    id: str
    version: str
    title: dict[str, str]
    audience: str
    path: Path
    items: list[Question]  # every row but groups, in order (notes included)
    groups: list[Group]  # every section in order; rows outside a group get one of their own
    retired: tuple[str, ...] = ()  # questions declared retired: no longer asked (form_versions.py)

    @property
    def questions(self) -> list[Question]:
        return [q for q in self.items if q.answerable]

    @cached_property
    def pages(self) -> list[Page]:
        """Sections, split wherever a question's skip rule depends on one shown with it.

        Every skip rule then depends only on earlier pages, so the server decides what
        to show and no script is needed.
        """
        pages: list[Page] = []
        for group in self.groups:
            chunk: list[Question] = []
            names: set[str] = set()
            for q in group.items:
                depends = q.relevant is not None and bool(q.relevant.references & names)
                full = q.answerable and sum(1 for c in chunk if c.answerable) >= MAX_PER_PAGE
                if chunk and (depends or full):
                    pages.append(Page(len(pages), group, chunk))
                    chunk, names = [], set()
                chunk.append(q)
                names.add(q.name)
            if chunk:
                pages.append(Page(len(pages), group, chunk))
        return pages

    def page_shown(self, page: Page, answers: Mapping[str, Any]) -> bool:
        return any(self.is_relevant(q, answers) for q in page.items)

    def question(self, name: str) -> Question:
        for q in self.items:
            if q.name == name and q.answerable:
                return q
        raise KeyError(name)

    def is_relevant(self, question: Question, answers: Mapping[str, Any]) -> bool:
        if question.group is not None and question.group.relevant is not None:
            if not question.group.relevant.holds(answers):
                return False
        return question.relevant is None or question.relevant.holds(answers)

    def validate(self, raw: Mapping[str, Any], strict: bool = False) -> Result:
        """Judge a submission: types, choices, required, constraints, skip logic.

        ``raw`` maps field names to text (or a list of texts for multiple
        choice; a space-separated text also works). Questions hidden by their
        ``relevant`` are neither required nor stored; with ``strict`` (imports)
        an answer given to a hidden question is an error instead of ignored, and a choice retired or renamed
        since it was answered is taken as it was stored (form_versions.py).
        """
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for q in self.questions:
            present = raw.get(q.name)
            if not self.is_relevant(q, answers):
                given = _as_list(present) if q.type == "select_multiple" else _as_text(present)
                if strict and given:
                    errors[q.name] = str(MESSAGES["not_applicable"])
                continue
            try:
                value = q.parse(present, stored=strict)
            except ValueError as exc:
                errors[q.name] = str(exc.args[0])
                continue
            if value is None:
                if q.required:
                    errors[q.name] = str(MESSAGES["required"])
                continue
            if q.constraint is not None and not q.constraint.holds(answers, value):
                errors[q.name] = localized(q.constraint_message)
                continue
            answers[q.name] = value
        return Result(answers, errors)


ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> date:
    text = text.strip()
    if ISO_DATE_RE.fullmatch(text):  # the common case, without strptime's cost (an import reads many)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(MESSAGES["date"]) from None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError(MESSAGES["date"])


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else ""
    return str(raw).strip()


def _as_list(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return raw.split()
    return [str(v).strip() for v in raw if str(v).strip()]


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

# libyaml's safe loader where PyYAML was built with it: the same documents, read ten times faster (the four
# questionnaires took half a second of every start of the portal and of every command)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_questionnaire(path: Path | str) -> Questionnaire:
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: cannot be read as YAML: {exc}") from None
    return _Loader(path, data).load()


def load_all(folder: Path | str, ids: Iterable[str] = QUESTIONNAIRE_IDS) -> dict[str, Questionnaire]:
    folder = Path(folder)
    forms = {}
    for qid in ids:
        path = folder / f"{qid}.yaml"
        if not path.exists():
            raise DefinitionError(f"{path}: questionnaire '{qid}' is missing")
        forms[qid] = load_questionnaire(path)
    return forms


class _Loader:
    def __init__(self, path: Path, data: Any):
        self.path = path
        self.data = data

    def fail(self, where: str | None, message: str) -> DefinitionError:
        place = f"{self.path}: field '{where}'" if where else f"{self.path}"
        return DefinitionError(f"{place}: {message}")

    def text(self, value: Any, where: str, what: str, required: bool = True) -> dict[str, str] | None:
        if value is None and not required:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("es"), str) or not value["es"].strip():
            raise self.fail(where, f"{what} needs a Spanish text under 'es'")
        for lang, text in value.items():
            if lang not in ("es", "en") or not isinstance(text, str):
                raise self.fail(where, f"{what} has an unknown language '{lang}' or a text that is not text")
        return dict(value)

    def expression(self, source: Any, where: str, what: str) -> Expression | None:
        if source is None:
            return None
        try:
            return parse_expression(source if isinstance(source, str) else "")
        except ExpressionError as exc:
            raise self.fail(where, f"{what} does not parse: {exc}") from None

    def load(self) -> Questionnaire:
        data = self.data
        if not isinstance(data, dict):
            raise self.fail(None, "must be a mapping with id, version, title, choices and survey")
        qid = data.get("id")
        if qid != self.path.stem:
            raise self.fail(None, f"id '{qid}' must equal the file name '{self.path.stem}'")
        version = data.get("version")
        if not isinstance(version, (str, int, float)) or str(version).strip() == "":
            raise self.fail(None, "needs a 'version'")
        title = self.text(data.get("title"), "title", "the title")
        audience = data.get("audience")
        if audience not in ("participant", "facilitator"):
            raise self.fail(None, "audience must be 'participant' or 'facilitator'")
        choices = self.choice_lists(data.get("choices") or {})
        rows = data.get("survey")
        if not isinstance(rows, list) or not rows:
            raise self.fail(None, "needs a 'survey' list of rows")

        items: list[Question] = []
        groups: list[Group] = []
        current: Group | None = None
        loose: Group | None = None
        seen: set[str] = set()
        retired: list[str] = []
        number = 0
        for index, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise self.fail(f"row {index}", "each row must be a mapping")
            if row.get("retired") is True:  # declared retired: kept in the file for the record, not asked
                if not isinstance(row.get("name"), str) or row["name"] in seen:
                    raise self.fail(f"row {index}", "a retired question needs its own name")
                seen.add(row["name"])
                retired.append(row["name"])
                continue
            type_text = str(row.get("type", "")).strip()
            base, _, list_name = type_text.partition(" ")
            list_name = list_name.strip()
            name = row.get("name")
            where = name if isinstance(name, str) else f"row {index}"
            if base not in ROW_TYPES:
                raise self.fail(where, f"unknown type '{type_text}'")
            if base == "end_group":
                if current is None:
                    raise self.fail(where, "end_group without begin_group")
                current = None
                continue
            if not isinstance(name, str) or not NAME_RE.fullmatch(name):
                raise self.fail(where, "needs a 'name' in lower case letters, digits and _")
            if name in seen:
                raise self.fail(name, "the name is used twice")
            seen.add(name)
            label = self.text(row.get("label"), name, "the label")
            relevant = self.expression(row.get("relevant"), name, "relevant")
            if relevant is not None:
                self.check_references(relevant, name, items)
                if relevant.uses_self:
                    raise self.fail(name, "relevant cannot use '.'")
            if base == "begin_group":
                if current is not None:
                    raise self.fail(name, "groups cannot be nested")
                current = Group(name, label, relevant)
                groups.append(current)
                loose = None
                continue
            if base in ("select_one", "select_multiple"):
                if not list_name:
                    raise self.fail(name, f"{base} needs a choice list name")
                if list_name not in choices:
                    raise self.fail(name, f"choice list '{list_name}' does not exist")
            elif list_name:
                raise self.fail(name, f"unknown type '{type_text}'")
            required = row.get("required", False)
            if not isinstance(required, bool):
                raise self.fail(name, "required must be true or false")
            constraint = self.expression(row.get("constraint"), name, "constraint")
            message = self.text(row.get("constraint_message"), name, "constraint_message", required=False)
            if constraint is not None:
                self.check_references(constraint, name, items)
                if message is None:
                    raise self.fail(name, "a constraint needs a constraint_message with 'es'")
            max_length = row.get("max_length", DEFAULT_MAX_LENGTH)
            if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
                raise self.fail(name, "max_length must be a positive whole number")
            if base == "note" and (required or constraint is not None):
                raise self.fail(name, "a note cannot be required or have a constraint")
            if base != "note":
                number += 1
            question = Question(
                type=base,
                name=name,
                label=label,
                hint=self.text(row.get("hint"), name, "the hint", required=False),
                required=required,
                constraint=constraint,
                constraint_message=message,
                relevant=relevant,
                list_name=list_name or None,
                choices=choices.get(list_name, ()),
                max_length=max_length,
                number=number if base != "note" else 0,
            )
            if current is None:
                if loose is None:  # rows outside any group form a section of their own
                    loose = Group(f"_section_{len(groups) + 1}", None)
                    groups.append(loose)
                loose.items.append(question)
            else:
                question.group = current
                current.items.append(question)
            items.append(question)
        if current is not None:
            raise self.fail(current.name, "begin_group without end_group")
        if number == 0:
            raise self.fail(None, "has no question to answer")
        return Questionnaire(qid, str(version), title, audience, self.path, items, groups, tuple(retired))

    def choice_lists(self, data: Any) -> dict[str, tuple[Choice, ...]]:
        if not isinstance(data, dict):
            raise self.fail("choices", "must map list names to lists of choices")
        lists = {}
        for list_name, entries in data.items():
            where = f"choices.{list_name}"
            if not isinstance(entries, list) or not entries:
                raise self.fail(where, "must be a non-empty list")
            names = set()
            out = []
            for entry in entries:
                value = entry.get("name") if isinstance(entry, dict) else None
                if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_]+", value):
                    raise self.fail(
                        where,
                        f"choice name {value!r} must be quoted text of letters, digits and _ "
                        "(YAML reads bare yes/no as true/false)",
                    )
                if value in names:
                    raise self.fail(where, f"choice '{value}' appears twice")
                names.add(value)
                out.append(Choice(value, self.text(entry.get("label"), f"{where}.{value}", "the label"),
                                  self.flag(entry.get("retired", False), f"{where}.{value}", "retired"),
                                  self.earlier_names(entry.get("renamed_from"), f"{where}.{value}")))
            if all(c.retired for c in out):
                raise self.fail(where, "every choice is retired")
            for choice in out:
                if set(choice.renamed_from) & names:
                    raise self.fail(f"{where}.{choice.name}", "renamed_from names a choice that is still in the list")
            lists[str(list_name)] = tuple(out)
        return lists

    def flag(self, value: Any, where: str, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{what} must be true or false")
        return value

    def earlier_names(self, value: Any, where: str) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if names is None:
            return ()
        if not isinstance(names, list) or not all(isinstance(n, str) and re.fullmatch(r"[A-Za-z0-9_]+", n)
                                                  for n in names):
            raise self.fail(where, "renamed_from must be an earlier choice name, or a list of them, quoted")
        return tuple(names)

    def check_references(self, expr: Expression, name: str, earlier: list[Question]) -> None:
        known = {q.name for q in earlier if q.answerable}
        for ref in sorted(expr.references):
            if ref not in known:
                raise self.fail(name, f"'${{{ref}}}' is not an earlier question of this form")
