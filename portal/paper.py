"""Blank paper questionnaires (PDF) from the same definitions, with the skip rules written out."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from .questionnaires import Question, Questionnaire, localized
from .sheets import html_to_pdf

COMPARE = {">": "anotó más de {v}", ">=": "anotó {v} o más", "<": "anotó menos de {v}", "<=": "anotó {v} o menos"}


def _label(question: Question | None, value) -> str:
    if question is not None and question.choices:
        return f"«{question.choice_label(str(value), 'es')}»"
    return str(value)


def describe(tree: tuple, form: Questionnaire) -> str:
    """A skip rule in plain Spanish: 'en la pregunta 12 contestó «No»'."""
    kind = tree[0]

    def question(node):
        return form.question(node[1]) if node[0] == "ref" else None

    if kind in ("and", "or"):
        return f"{describe(tree[1], form)} {'y' if kind == 'and' else 'o'} {describe(tree[2], form)}"
    if kind == "cmp" and tree[2][0] == "ref" and tree[3][0] == "lit":
        q, value = question(tree[2]), tree[3][1]
        if tree[1] == "=":
            return f"en la pregunta {q.number} contestó {_label(q, value)}"
        if tree[1] == "!=":
            return f"en la pregunta {q.number} no contestó {_label(q, value)}"
        return f"en la pregunta {q.number} " + COMPARE[tree[1]].format(v=value)
    if kind == "call" and tree[1] == "selected" and tree[2][0][0] == "ref":
        q = question(tree[2][0])
        return f"en la pregunta {q.number} marcó {_label(q, tree[2][1][1])}"
    if kind == "call" and tree[1] == "not":
        inner = describe(tree[2][0], form)
        for verb in ("contestó", "marcó", "anotó"):
            if inner.count(verb) == 1 and " y " not in inner and " o " not in inner:
                return inner.replace(verb, "no " + verb)
        return f"no es cierto que {inner}"
    return _source(tree, form)


def _source(tree: tuple, form: Questionnaire) -> str:
    """Fallback: the rule with each reference named by its question number."""
    kind = tree[0]
    if kind == "ref":
        return f"(respuesta a la pregunta {form.question(tree[1]).number})"
    if kind == "lit":
        return str(tree[1])
    if kind == "call":
        return f"{tree[1]}({', '.join(_source(a, form) for a in tree[2])})"
    if kind in ("cmp", "arith"):
        return f"{_source(tree[2], form)} {tree[1]} {_source(tree[3], form)}"
    return f"{_source(tree[1], form)} {'y' if kind == 'and' else 'o'} {_source(tree[2], form)}"


def _conditions(q: Question) -> list:
    return [e for e in ((q.group.relevant if q.group else None), q.relevant) if e is not None]


def go_to(form: Questionnaire, source: Question, value: str) -> str | None:
    """Where a man who chose ``value`` in ``source`` goes next, if not to the next question.

    Questions whose rules depend only on ``source`` (or on questions skipped because of
    it) are evaluated; any other question is taken as shown.
    """
    questions = form.questions
    after = questions[questions.index(source) + 1:]
    if not after:
        return None
    answers, skipped = {source.name: value}, set()
    for q in after:
        rules = _conditions(q)
        decidable = rules and all(e.references <= ({source.name} | skipped) for e in rules)
        if decidable and not all(e.holds(answers) for e in rules):
            skipped.add(q.name)
            continue
        return None if q is after[0] else f"pase a la pregunta {q.number}"
    return "pase al final del cuestionario"


def paper_context(form: Questionnaire) -> dict:
    sections = []
    for group in form.groups:
        items = []
        for q in group.items:
            rules = _conditions(q) if q.answerable else ([q.relevant] if q.relevant else [])
            entry = {"q": q, "label": localized(q.label, "es"), "hint": localized(q.hint, "es") if q.hint else "",
                     "only_if": " y ".join(describe(e.tree, form) for e in rules if e is not q.group.relevant)
                     if q.group else " y ".join(describe(e.tree, form) for e in rules),
                     "options": []}
            if q.type in ("select_one", "select_multiple"):
                entry["options"] = [{"label": localized(c.label, "es"),
                                     "goto": go_to(form, q, c.name) if q.type == "select_one" else None}
                                    for c in q.choices]
            items.append(entry)
        sections.append({"label": localized(group.label, "es") if group.label else "",
                         "only_if": describe(group.relevant.tree, form) if group.relevant else "", "entries": items})
    return {"form": form, "title": localized(form.title, "es"), "sections": sections}


def paper_pdf(form: Questionnaire) -> bytes:
    with force_locale("es"):
        return html_to_pdf(render_template("paper/questionnaire.html", **paper_context(form)))
