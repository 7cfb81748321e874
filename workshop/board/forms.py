"""The period a time report covers."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired, ValidationError

# Longer periods are a yearly report's job, and would load a year of events here.
MAX_DAYS = 366


class DayField(DateField):
    """A day typed as 2024-06-01, with our own words when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the day; anything else is an error saying how to write it."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Write the day as 2024-06-01.")) from None


class PeriodForm(FlaskForm):
    """From one day to another, both included."""

    since = DayField(
        _l("From"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Give the first day, as 2024-06-01."))],
    )
    until = DayField(
        _l("To"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Give the last day, as 2024-06-30."))],
    )

    def validate_until(self, field: DayField) -> None:
        """The last day comes after the first, within a year."""
        if self.since.data is None or field.data is None:
            return
        if field.data < self.since.data:
            raise ValidationError(_l("The last day comes before the first: swap them."))
        if (field.data - self.since.data).days >= MAX_DAYS:
            raise ValidationError(
                _l("A period is at most %(days)s days: choose a shorter one.", days=MAX_DAYS)
            )
