"""Forms of the sales pages: opening an order, scanning a device into it, plain buttons."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from inventory.models import SALE_CHANNELS
from workshop.display import label_for


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class OrderForm(FlaskForm):
    """Who buys and how."""

    customer = StringField(
        _l("Customer"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("A customer name is at most 200 characters."))],
    )
    channel = SelectField(_l("Channel"), validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = [
            SelectChoice(channel, label_for("channel", channel)) for channel in SALE_CHANNELS
        ]


class ScanForm(FlaskForm):
    """One scanned asset tag and the price it sells at."""

    code = StringField(_l("Scan an asset tag"), filters=[_strip], validators=[Length(max=200)])
    price = StringField(_l("Price (€)"), filters=[_strip], validators=[Length(max=20)])


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class ReturnForm(FlaskForm):
    """A sold device coming back: its scanned asset tag and why."""

    code = StringField(
        _l("Scan the returned device"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Scan the asset tag of the device that comes back.")),
            Length(max=200),
        ],
    )
    reason = StringField(
        _l("Why it comes back"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Say why the customer brought it back.")),
            Length(max=200, message=_l("A reason is at most 200 characters.")),
        ],
    )
