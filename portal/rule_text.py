"""Skip rules in plain Spanish: 'en la pregunta 12 contestó «No»'.

Used by the paper questionnaires and by the facilitator's forms.
"""
from __future__ import annotations

from .questionnaires import Question, Questionnaire

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
