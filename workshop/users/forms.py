"""Forms of user administration: a new user, (de)activation, an API token, a badge and PIN."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Regexp

from inventory.accounts import ROLES
from workshop.accounts import MIN_PASSWORD
from workshop.display import label_for


class AddUserForm(FlaskForm):
    """A new account with its role and first password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD)])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role, label_for("role", role)) for role in ROLES]


class ActiveForm(FlaskForm):
    """Deactivate or reactivate one user."""

    active = HiddenField(validators=[AnyOf(("0", "1"))])


class TokenForm(FlaskForm):
    """An API token for a script or a bench agent acting as this user."""

    label = StringField(_l("What the token is for (optional)"), validators=[Length(max=200)])


class BadgeForm(FlaskForm):
    """Issue a badge, or a new one that replaces the old (only the CSRF token)."""


class PinForm(FlaskForm):
    """The PIN a user types after scanning their badge at a workbench terminal."""

    pin = PasswordField(
        _l("New PIN"),
        validators=[
            DataRequired(message=_l("A PIN is 4 to 8 digits.")),
            Regexp(r"^[0-9]{4,8}$", message=_l("A PIN is 4 to 8 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "new-password", "maxlength": 8},
    )
    confirm = PasswordField(
        _l("PIN again"),
        validators=[EqualTo("pin", message=_l("The PINs differ."))],
        render_kw={"inputmode": "numeric", "autocomplete": "new-password", "maxlength": 8},
    )
