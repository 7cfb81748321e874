"""Forms of the intake page: the scan field, the current lot, the intake form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from inventory.codes import has_valid_check, looks_like_asset_tag, normalize
from inventory.errors import InvalidInput
from inventory.intake import clean_serial, clean_weight
from inventory.models import CATEGORIES
from workshop.display import label_for


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ScanForm(FlaskForm):
    """The one field a scanner types into, followed by Enter."""

    # No validators: whatever was read goes to the scan log, good or bad.
    code = StringField(_l("Scan a serial number or an asset tag"))


def lot_field(label: Any, message: Any) -> StringField:
    """A lot's code, typed or scanned; the newest lots are offered while typing (see the view)."""
    return StringField(
        label,
        filters=[_strip],
        validators=[DataRequired(message=message), Length(max=64, message=message)],
        render_kw={"list": "recent-lots", "autocomplete": "off", "spellcheck": "false"},
    )


class LotChoiceForm(FlaskForm):
    """The lot the devices being scanned came in."""

    lot = lot_field(_l("Current lot"), _l("Type or scan the code of the lot."))


class ComeBackForm(FlaskForm):
    """Confirms that a device which had left starts a new cycle."""

    serial_number = StringField(
        _l("Serial number"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Scan or type the manufacturer's serial number.")),
            Length(max=100, message=_l("A serial number is at most 100 characters.")),
        ],
    )
    lot = lot_field(_l("Lot"), _l("Type or scan the code of the lot this device came in."))

    def validate_serial_number(self, field: Field) -> None:
        try:
            clean_serial(field.data or "")
        except InvalidInput:
            code = normalize(field.data or "")
            if looks_like_asset_tag(code) and has_valid_check(code):
                raise ValidationError(
                    _(
                        "%(code)s is one of our asset tags, not a manufacturer serial: "
                        "scan the serial on the manufacturer's label.",
                        code=code,
                    )
                ) from None
            raise ValidationError(
                _("This serial number cannot be used: scan the manufacturer's label again.")
            ) from None


class IntakeForm(ComeBackForm):
    """A new device: what it is, pre-filled from the previous device of the lot."""

    category = SelectField(
        _l("Category"), validators=[DataRequired(message=_l("Choose a category."))]
    )
    make = StringField(
        _l("Make"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Type the make, for example Lenovo.")),
            Length(max=100, message=_l("A make is at most 100 characters.")),
        ],
    )
    model = StringField(
        _l("Model"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Type the model, for example ThinkPad T480.")),
            Length(max=200, message=_l("A model is at most 200 characters.")),
        ],
    )
    weight_kg = StringField(_l("Weight in kg"), filters=[_strip], validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _("Choose a category"))] + [
            (code, label_for("category", code)) for code in CATEGORIES
        ]

    def validate_weight_kg(self, field: Field) -> None:
        try:
            clean_weight(field.data)
        except InvalidInput:
            raise ValidationError(
                _("Type a weight in kilograms between 0 and 2000, for example 1.6.")
            ) from None
