from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[InputRequired(_l("Write your user name."))],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Write your password.")),
                                                         Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
