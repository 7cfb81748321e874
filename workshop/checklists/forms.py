"""Forms of the checklist pages: a new check, a check's labels and place, a device's answers."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from inventory.checks import MAX_CODE, MAX_LABEL, MAX_POSITION


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ItemLabelsForm(FlaskForm):
    """A check's labels in both languages and its place in the list."""

    label_en = StringField(
        _l("Label in English"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Type the English label of the check.")),
            Length(max=MAX_LABEL, message=_l("A check's label is at most 200 characters.")),
        ],
    )
    label_fr = StringField(
        _l("Label in French"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Type the French label of the check.")),
            Length(max=MAX_LABEL, message=_l("A check's label is at most 200 characters.")),
        ],
    )
    position = IntegerField(
        _l("Position in the list"),
        validators=[
            DataRequired(message=_l("Give the position as a whole number, 1 or more.")),
            NumberRange(
                min=1,
                max=MAX_POSITION,
                message=_l("The position is a whole number from 1 to 9999."),
            ),
        ],
    )


class NewItemForm(ItemLabelsForm):
    """A new check: its code too, and a position that defaults to the end of the list."""

    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the check a code, for example usb_ports.")),
            Length(max=MAX_CODE, message=_l("A code is at most 40 characters.")),
        ],
    )
    position = IntegerField(
        _l("Position in the list (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_POSITION,
                message=_l("The position is a whole number from 1 to 9999."),
            ),
        ],
    )


class AnswersForm(FlaskForm):
    """A device's answers: the radio buttons and notes are named per check, read by the view."""

    # Where to go back to: the device page, or the work card that included the form.
    next = HiddenField()


class ButtonForm(FlaskForm):
    """A form that is only a button (retire, restore): its CSRF token."""
