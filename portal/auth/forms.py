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


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired(_l("Write your current password.")),
                                                                Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[InputRequired(_l("Write the new password.")),
                                                        Length(max=200)],
                        description=_l("At least 10 characters. A short sentence is easy to remember."),
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("New password again"), validators=[InputRequired(_l("Write the new password again.")),
                                                                 Length(max=200)],
                           render_kw={"autocomplete": "new-password"})
