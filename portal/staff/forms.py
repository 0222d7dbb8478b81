from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from .. import clock
from ..attendance import VENUES
from ..refusals import ProgramError


class RegisterForm(FlaskForm):
    group = SelectField(_l("Group"), validators=[InputRequired(_l("Choose the group."))], validate_choice=False,
                        description=_l("One of the site's open groups. A new group is created on the Groups page."))
    enrolled_on = DateField(_l("Enrolment date"), default=clock.today,
                            validators=[InputRequired(_l("Write the date as day/month/year."))])


class GroupForm(FlaskForm):
    code = StringField(_l("Group code"), validators=[InputRequired(_l("Write the group code."))],
                       description=_l("1 to 16 capital letters, digits and hyphens, for example 2026-C."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 16})
    started_on = DateField(_l("Date of its first session"), default=clock.today,
                           validators=[InputRequired(_l("Write the date as day/month/year."))])
    sessions = IntegerField(_l("Number of sessions"), validators=[
        InputRequired(_l("Write the number of sessions.")),
        NumberRange(min=1, max=60, message=_l("Use a number from 1 to 60."))], render_kw={"inputmode": "numeric"})


class SessionForm(FlaskForm):
    number = IntegerField(_l("Session number"), validators=[
        InputRequired(_l("Write the session number.")), NumberRange(min=1, message=_l("Use a number from 1."))],
        render_kw={"inputmode": "numeric"})
    held_on = DateField(_l("Date of the session"), default=clock.today,
                        validators=[InputRequired(_l("Write the date as day/month/year."))])
    venue = RadioField(_l("Where was it held?"), validators=[InputRequired(_l("Choose where the session was held."))],
                       choices=[SelectChoice(k, v) for k, v in VENUES.items()], default="health_centre")
    present = SelectMultipleField(_l("Who came"), choices=[], validate_choice=False,
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


def field_error(form: FlaskForm, exc: ProgramError, fields: dict[str, str]) -> str | None:
    """Put a refusal next to its field (``fields``: the rule's name -> the form's field); return the message
    when no field takes it."""
    name = fields.get(exc.field or "")
    if name and name in form:
        form[name].errors = [*form[name].errors, str(exc)]
        return None
    return str(exc)
