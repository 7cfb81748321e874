"""Forms for logging in and creating the first administrator."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from workshop.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class SetupForm(FlaskForm):
    """The first administrator's account."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD)])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LanguageForm(FlaskForm):
    """The language switch in the page header."""

    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()
