"""The scan field of the queue page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class QueueScanForm(FlaskForm):
    """One code read by the scanner: a device to open, or to take if no one has it."""

    code = StringField(_l("Scan a device"), validators=[DataRequired(), Length(max=200)])
