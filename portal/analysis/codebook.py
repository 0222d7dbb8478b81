"""The codebook, generated from forms/: every question of every version kept, its type, its choices with their
codes, its skip rule in words, which versions asked it; the tables and their variables; and, for a de-identified
copy, what was removed and why. An HTML page (it opens in any browser) and a sheet of the workbook.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..questionnaires import QUESTIONNAIRE_IDS, Question, Questionnaire, localized
from ..rule_text import describe
from .model import CODE, Dataset, Names, question_columns
from .writers import KIND_WORDS

TYPE_WORDS = {"integer": "número entero", "decimal": "número con decimales", "text": "texto libre",
              "date": "fecha", "select_one": "una opción", "select_multiple": "varias opciones"}


@dataclass
class Entry:
    """One question of a questionnaire, over every version that asked it."""

    name: str
    number: int  # its number in the newest version that asked it (the skip rules name questions by number)
    type: str
    labels: list[tuple[str, str]]  # (versions, label): one entry when every version says the same
    choices: list[tuple[int, str, str, str]]  # code, name, Spanish label, what became of it (retired, renamed)
    rule: str
    asked_in: list[str]
    variables: list[str]
    left_out: bool  # free text, not in a de-identified copy


def rule_in_words(q: Question, form: Questionnaire) -> str:
    rules = [e for e in ((q.group.relevant if q.group else None), q.relevant) if e is not None]
    return " y ".join(describe(e.tree, form) for e in rules)


def entries(versions: list[Questionnaire], deidentified: bool) -> list[Entry]:
    columns = {c.question.name: c for c in question_columns(versions, Names(), keep_text=True)}
    out = []
    for name, column in columns.items():
        labels: dict[str, list[str]] = {}
        rule = ""
        for form in versions:
            q = next((x for x in form.questions if x.name == name), None)
            if q is not None:
                labels.setdefault(localized(q.label, "es"), []).append(form.version)
                rule = rule_in_words(q, form)  # the newest version's rule
        q = column.question
        choices = []
        if column.codes:
            names = {c.name: localized(c.label, "es") for form in versions for x in form.questions if x.name == name
                     for c in x.choices}
            choices = [(code, choice, names[choice], _fate(q, choice)) for choice, code in column.codes.items()]
        left_out = deidentified and q.type == "text"
        out.append(Entry(name, q.number, TYPE_WORDS.get(q.type, q.type),
                         [(", ".join(v), label) for label, v in labels.items()], choices, rule, column.asked_in,
                         [] if left_out else [v.name for v in column.variables], left_out))
    return out


def _fate(q: Question, choice: str) -> str:
    """What the newest definition says of a choice: retired, renamed, or no longer in the list."""
    for c in q.choices:
        if c.name == choice:
            return _("retired: no longer offered") if c.retired else ""
        if choice in c.renamed_from:
            return _("renamed %(name)s, counted as one with it", name=c.name)
    return _("only in earlier versions")


def removed(dataset: Dataset) -> list[str]:
    """What de-identification took out, and why, in the words of the codebook."""
    if not dataset.deidentified:
        return []
    notes = [
        _("The men's codes are new random ones, valid only within this export and drawn again for each export: they "
          "cannot be traced back to a man, nor joined with another export."),
        _("Every date is reduced to its month (shown as the first day of the month): a day together with a place can "
          "single a man out."),
        _("Free-text answers are left out: a man may have written a name, a place or something only he would say."),
    ]
    if dataset.scope == "national":
        notes += [
            _("No site, group or session code: the place is the state, the finest place the national summary "
              "publishes beside the country; attendance is given as the number of sessions each man attended."),
            _("No breakdown finer than the summary's (state, year and month) is made here: the tables hold one row "
              "per man or per session, and the analyst's own counts of fewer than five men must not be published."),
        ]
    return notes


def codebook_rows(dataset: Dataset) -> list[list[str]]:
    """The codebook sheet of the workbook: one row per variable."""
    with force_locale("es"):
        rows = [[_("table"), _("variable"), _("label"), _("kind"), _("values"), _("versions that asked it"),
                 _("asked only if")]]
        for table in dataset.tables:
            forms = dataset.versions.get(table.name)
            for v in table.variables:
                values = "; ".join(f"{k} = {text}" + (f" ({v.names[k]})" if v.names else "")
                                   for k, text in (v.values or {}).items())
                asked, rule = "", ""
                if v.question is not None and forms:
                    asked = ", ".join(f.version for f in forms if any(q.name == v.question.name for q in f.questions))
                    newest = next(f for f in reversed(forms) if any(q.name == v.question.name for q in f.questions))
                    rule = rule_in_words(newest.question(v.question.name), newest)
                rows.append([table.name, v.name, v.label, KIND_WORDS[v.kind], values, asked, rule])
        for note in removed(dataset):
            rows.append(["", "", note, "", "", "", ""])
    return rows


def codebook_html(dataset: Dataset, revision: int | None = None) -> bytes:
    with force_locale("es"):
        questionnaires = [(localized(dataset.versions[qid][-1].title, "es"), qid,
                           [f.version for f in dataset.versions[qid]], entries(list(dataset.versions[qid]),
                                                                             dataset.deidentified))
                          for qid in QUESTIONNAIRE_IDS]
        html = render_template("analysis/codebook.html", dataset=dataset, questionnaires=questionnaires,
                               removed=removed(dataset), kinds=KIND_WORDS, code_kind=CODE, revision=revision,
                               made=datetime.now(timezone.utc))
    return html.encode("utf-8")
