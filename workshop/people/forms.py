"""Forms of the staff pages, and the names of the codes they store."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from inventory.people import CONTRACTS, EXIT_OUTCOMES, SKILL_LEVELS

CONTRACT_NAMES = {
    "permanent": _l("Permanent"),
    "fixed_term": _l("Fixed term"),
    "insertion": _l("Insertion contract"),
    "apprentice": _l("Apprenticeship"),
    "subsidised": _l("Subsidised contract"),
    "intern": _l("Internship (unpaid)"),
    "volunteer": _l("Volunteer (unpaid)"),
}
OUTCOME_NAMES = {
    "durable_employment": _l("Durable employment"),
    "transition_employment": _l("Transition employment"),
    "training": _l("Training"),
    "other": _l("Other"),
}
LEVEL_NAMES = {
    "learning": _l("Learning"),
    "autonomous": _l("Autonomous"),
    "trainer": _l("Can train others"),
}
assert set(CONTRACT_NAMES) == set(CONTRACTS)
assert set(OUTCOME_NAMES) == set(EXIT_OUTCOMES)
assert set(LEVEL_NAMES) == set(SKILL_LEVELS)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class PersonForm(FlaskForm):
    """Who the person is: staff number, name, and the account they log in with, if any."""

    staff_number = StringField(
        _l("Staff number"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the staff number.")),
            Length(max=32, message=_l("A staff number is at most 32 characters.")),
        ],
    )
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the person's name.")),
            Length(max=200, message=_l("A name is at most 200 characters.")),
        ],
    )
    username = SelectField(_l("User account"), choices=[], validate_choice=True)


class EmploymentForm(FlaskForm):
    """One period of employment: from when, until when, on which contract, how much time."""

    hired_on = DateField(
        _l("Hired on"),
        format="%Y-%m-%d",
        validators=[DataRequired(message=_l("Give the hire date, YYYY-MM-DD."))],
    )
    left_on = DateField(_l("Left on (last day worked)"), format="%Y-%m-%d", validators=[Optional()])
    contract = SelectField(
        _l("Contract"), choices=[SelectChoice(code, name) for code, name in CONTRACT_NAMES.items()]
    )
    fte = StringField(
        _l("Working time (FTE, 0 to 1)"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the working time, for example 0.8."))],
    )


class InsertionForm(FlaskForm):
    """A stay in an insertion programme, and where its exit led."""

    entered_on = DateField(
        _l("Entered on"),
        format="%Y-%m-%d",
        validators=[DataRequired(message=_l("Give the entry date, YYYY-MM-DD."))],
    )
    exited_on = DateField(_l("Exited on"), format="%Y-%m-%d", validators=[Optional()])
    exit_outcome = SelectField(
        _l("Exit outcome"),
        choices=[SelectChoice("", _l("Not yet known"))]
        + [SelectChoice(code, name) for code, name in OUTCOME_NAMES.items()],
    )


class RecognitionForm(FlaskForm):
    """A disability recognition's validity."""

    valid_from = DateField(
        _l("Valid from"),
        format="%Y-%m-%d",
        validators=[DataRequired(message=_l("Give the first day it is valid, YYYY-MM-DD."))],
    )
    valid_until = DateField(
        _l("Valid until (empty: no end)"), format="%Y-%m-%d", validators=[Optional()]
    )


class SkillsForm(FlaskForm):
    """One level per stage; the fields are read by stage name (skill-<stage>)."""
