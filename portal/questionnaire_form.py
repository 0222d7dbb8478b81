"""Turn a questionnaire definition into a WTForms form (written once, for every form)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, TextInput

from .questionnaires import Question, Questionnaire, Result, localized


class QuestionnaireForm(FlaskForm):
    """Base of every generated form: CSRF from Flask-WTF, rules from the definition."""

    questionnaire: Questionnaire
    result: Result | None = None

    def validate(self, extra_validators=None) -> bool:
        csrf_ok = super().validate(extra_validators)
        self.result = self.questionnaire.validate(self.raw_answers())
        for name, message in self.result.errors.items():
            self[name].errors = [message]
        return csrf_ok and self.result.ok

    def raw_answers(self) -> dict:
        raw = {}
        for q in self.questionnaire.questions:
            field = self[q.name]
            values = field.raw_data or []
            raw[q.name] = list(values) if q.type == "select_multiple" else (values[0] if values else None)
        return raw

    def current_answers(self) -> dict:
        """The answers as the form holds them now (sent, or filled from a stored record), judged."""
        raw = {}
        for q in self.questionnaire.questions:
            field = self[q.name]
            if field.raw_data:
                raw[q.name] = list(field.raw_data) if q.type == "select_multiple" else field.raw_data[0]
            else:
                raw[q.name] = field.data
        return self.questionnaire.validate(raw).answers

    def questions_with_fields(self, group=None):
        """(question, field or None) in order; notes have no field."""
        items = group.items if group is not None else self.questionnaire.items
        return [(q, self[q.name] if q.answerable else None) for q in items]


_classes: dict[tuple[int, str], type[QuestionnaireForm]] = {}


def form_class(questionnaire: Questionnaire, lang: str) -> type[QuestionnaireForm]:
    """The form class of a definition in one language (built once, then reused)."""
    key = (id(questionnaire), lang)
    cls = _classes.get(key)
    if cls is None or cls.questionnaire is not questionnaire:
        # A fresh subclass per definition and language: fields are never added to a shared class.
        attrs = {"questionnaire": questionnaire}
        for q in questionnaire.questions:
            attrs[q.name] = _field(q, lang)
        name = questionnaire.id.title().replace("_", "") + "Form"
        cls = _classes[key] = type(name, (QuestionnaireForm,), attrs)
    return cls


def _field(q: Question, lang: str):
    label = localized(q.label, lang)
    description = localized(q.hint, lang) if q.hint else ""
    common = {"label": label, "description": description}
    if q.type in ("select_one", "select_multiple"):
        choices = [SelectChoice(c.name, localized(c.label, lang)) for c in q.offered]
        if q.type == "select_one":
            # Own required/choice messages come from the definition's rules, not WTForms.
            return RadioField(choices=choices, validate_choice=False, **common)
        return SelectMultipleField(
            choices=choices,
            validate_choice=False,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            **common,
        )
    if q.type == "integer":
        return StringField(widget=TextInput(), render_kw={"inputmode": "numeric", "autocomplete": "off"}, **common)
    if q.type == "decimal":
        return StringField(widget=TextInput(), render_kw={"inputmode": "decimal", "autocomplete": "off"}, **common)
    if q.type == "date":
        return StringField(widget=DateInput(), render_kw={"autocomplete": "off"}, **common)
    if q.max_length > 120:
        return TextAreaField(render_kw={"maxlength": q.max_length, "rows": 3, "autocomplete": "off"}, **common)
    return StringField(render_kw={"maxlength": q.max_length, "autocomplete": "off"}, **common)
