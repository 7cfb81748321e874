"""Forms of the work card: the scan field, the defects, a manager's override, a finished stage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from diagnostics.jobs import MAX_STATION
from inventory.grading import DEFECT_CODES, MAX_REASON
from inventory.models import GRADES
from inventory.stages import MAX_NOTE


class CardScanForm(FlaskForm):
    """One code read by the scanner: the device whose card opens next."""

    code = StringField(_l("Scan a device"), validators=[DataRequired(), Length(max=200)])
    # The card the scan was made on, to come back to when the code is not a device.
    current = HiddenField(validators=[Length(max=40)])


class DefectsForm(FlaskForm):
    """The cosmetic defects found on the device; none ticked means none found."""

    defects = SelectMultipleField(
        _l("Cosmetic defects found"),
        choices=[SelectChoice(code) for code in DEFECT_CODES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=MAX_NOTE)])


class OverrideForm(FlaskForm):
    """A manager's grade in place of the computed one, and why."""

    grade = RadioField(
        _l("Grade to give instead"),
        choices=[SelectChoice(grade) for grade in GRADES],
        validators=[DataRequired(message=_l("Choose grade A, B or C."))],
    )
    reason = TextAreaField(
        _l("Why (required)"),
        validators=[
            DataRequired(message=_l("Say why the grade differs from the defects' grade.")),
            Length(max=MAX_REASON),
        ],
    )


class FinishForm(FlaskForm):
    """The end of the stage: the next stage is the button pressed."""

    to = HiddenField(validators=[DataRequired()])
    expected_stage = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=MAX_NOTE)])


class BenchJobForm(FlaskForm):
    """A script to run on the bench of a station; its bench agent picks the job up."""

    # The choices are the device's category's scripts, set by the view.
    script = SelectField(_l("Test to run"), validators=[DataRequired()])
    station = StringField(
        _l("Station"),
        validators=[DataRequired(), Length(max=MAX_STATION)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
