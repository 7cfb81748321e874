"""Forms of the locations pages: a new location, and the put-away scan field."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from inventory.locations import MAX_NAME
from inventory.models import LOCATION_KINDS
from workshop.display import label_for


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LocationForm(FlaskForm):
    """A new shelf, bin, pallet or area: its name and kind; the code is given."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the location a name, for example Shelf A3.")),
            Length(max=MAX_NAME, message=_l("A location name is at most 100 characters.")),
        ],
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired(message=_l("Choose a kind."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(code, label_for("location_kind", code)) for code in LOCATION_KINDS]


class PutAwayScanForm(FlaskForm):
    """The one field the scanner types into: a location label or a device."""

    # No validators: whatever was read goes to the scan log, good or bad.
    code = StringField(_l("Scan a location label or a device"))
