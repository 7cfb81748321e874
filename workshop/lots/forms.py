"""The form that opens a lot when a collection arrives."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LotForm(FlaskForm):
    """Where a collection came from: code, donor, date, reference, note."""

    code = StringField(
        _l("Lot code"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the lot a code, for example 2024-06-CITY-HALL.")),
            Length(max=64, message=_l("A lot code is at most 64 characters.")),
        ],
    )
    donor = StringField(
        _l("Donor"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("A donor's name is at most 200 characters."))],
    )
    received_on = DateField(
        _l("Received on"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    reference = StringField(
        _l("Donor's reference"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("A reference is at most 200 characters."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=5000, message=_l("A note is at most 5000 characters."))],
    )
    # Where to go once the lot is open: back to intake when it was opened from there.
    then = HiddenField()
