"""The upload form (which kind, which file) and the confirmation of a checked file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField
from wtforms.validators import DataRequired


class UploadForm(FlaskForm):
    """A kind of import and a CSV or XLSX file."""

    kind = RadioField(
        _l("What the file holds"),
        validators=[DataRequired(message=_l("Choose what the file holds."))],
    )
    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
    )


class ConfirmForm(FlaskForm):
    """Import the checked file kept under this token."""

    token = HiddenField()
