"""Blank paper questionnaires (PDF) from the same definitions, with the skip rules written out, and
``flask --app portal paper``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from .commands import cannot_write, fail
from .documents import document_pdf
from .paths import PROJECT_ROOT
from .questionnaires import Question, Questionnaire, localized
from .rule_text import describe
from .storage import write_atomically


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
                                    for c in q.offered]
            items.append(entry)
        sections.append({"label": localized(group.label, "es") if group.label else "",
                         "only_if": describe(group.relevant.tree, form) if group.relevant else "", "entries": items})
    return {"form": form, "title": localized(form.title, "es"), "sections": sections}


def paper_pdf(form: Questionnaire) -> bytes:
    return document_pdf("paper/questionnaire.html", **paper_context(form))


@click.command("paper")
@with_appcontext
@click.argument("questionnaire", type=click.Choice(("intake", "exit", "facilitator_intake", "facilitator_exit")))
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="PDF file (default exports/paper/NAME.pdf).")
def paper_command(questionnaire: str, out: str | None) -> None:
    """The blank questionnaire for paper use, with the skip rules written out."""
    with force_locale("es"):
        path = Path(out) if out else PROJECT_ROOT / "exports" / "paper" / f"{questionnaire}.pdf"
        pdf = paper_pdf(current_app.extensions["questionnaires"][questionnaire])
        try:  # whole or not at all: a full disk leaves an earlier PDF as it was (a blank form: readable by all)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, pdf, shared=True)
        except OSError as exc:
            fail(cannot_write(exc, path))
        click.echo(_("Paper questionnaire written in %(path)s.", path=path))
