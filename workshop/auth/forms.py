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


class BadgeForm(FlaskForm):
    """A staff badge, as scanned, and the PIN typed after it at a workbench terminal."""

    badge = StringField(
        _l("Badge"),
        validators=[DataRequired(message=_l("Scan your badge.")), Length(max=64)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "data-badge-field": True,
        },
    )
    # Digits only, but a text box would show them: a password box that brings up a keypad.
    pin = PasswordField(
        _l("PIN"),
        validators=[Length(max=8, message=_l("A PIN is 4 to 8 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "data-pin-field": True},
    )


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
