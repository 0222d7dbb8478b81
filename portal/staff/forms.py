from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from .. import clock
from ..attendance import VENUES


class RegisterForm(FlaskForm):
    group = StringField(_l("Group"), validators=[InputRequired(_l("Write the group code."))],
                        description=_l("Write an existing group or a new one, for example 2026-A."),
                        render_kw={"autocomplete": "off", "list": "grupos", "autocapitalize": "characters"})
    enrolled_on = DateField(_l("Enrolment date"), default=clock.today,
                            validators=[InputRequired(_l("Write the date as day/month/year."))])


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
