"""Forms of the repair pages: one repair action, the parts finder's question, parts received."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from inventory.repairs import MAX_MINUTES, MAX_NOTE


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RepairForm(FlaskForm):
    """One repair action: the fault, what was done, the parts used, the time it took."""

    fault = SelectField(_l("Fault"), validators=[DataRequired(message=_l("Choose the fault."))])
    action = SelectField(
        _l("What was done"), validators=[DataRequired(message=_l("Choose what was done."))]
    )
    # Parts used meanwhile by someone else stay offered: the service says so clearly.
    parts = SelectMultipleField(
        _l("Parts used, from stock"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    scanned = StringField(
        _l("Or scan the part labels"),
        filters=[_strip],
        validators=[Length(max=400, message=_l("Too many codes at once."))],
    )
    minutes = IntegerField(
        _l("Minutes spent"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_MINUTES, message=_l("Minutes are a whole number from 0 to 1440.")
            ),
        ],
    )
    note = StringField(
        _l("Note"),
        filters=[_strip],
        validators=[Length(max=MAX_NOTE, message=_l("The note is at most 2000 characters."))],
    )


class FinderForm(FlaskForm):
    """Which model the parts must fit, and of which kind."""

    class Meta:
        csrf = False

    fits = StringField(_l("Device model"), filters=[_strip], validators=[Length(max=200)])
    kind = SelectField(_l("Part kind"), validators=[Optional()])


class CodeLabelsForm(FlaskForm):
    """The labels of a fault or action, and the checks and bench tests a fault sends back."""

    label_en = StringField(
        _l("English label"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the English label.")), Length(max=200)],
    )
    label_fr = StringField(
        _l("French label"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the French label.")), Length(max=200)],
    )
    checks = StringField(
        _l("Checks it touches"), filters=[_strip], validators=[Optional(), Length(max=400)]
    )
    scripts = StringField(
        _l("Bench tests it touches"), filters=[_strip], validators=[Optional(), Length(max=200)]
    )


class RepairCodeForm(CodeLabelsForm):
    """A new fault of a category's list, or a new repair action."""

    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the code.")), Length(max=40)],
    )


class MoveCodeForm(FlaskForm):
    """Move a fault or action one place up or down; the position the page showed comes along."""

    seen_at = IntegerField(validators=[InputRequired()])


class HarvestForm(FlaskForm):
    """One part taken out of a recycled device."""

    kind = SelectField(_l("Part kind"), validators=[DataRequired(message=_l("Choose a kind."))])
    reference = StringField(
        _l("Reference"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the part number written on the part.")),
            Length(max=100),
        ],
    )
    location = StringField(_l("Shelf"), filters=[_strip], validators=[Optional(), Length(max=32)])
    fits = StringField(
        _l("Fits the models"), filters=[_strip], validators=[Optional(), Length(max=400)]
    )


class ReceiveForm(HarvestForm):
    """Bought parts of one kind and reference arriving from a supplier."""

    quantity = IntegerField(
        _l("How many"),
        default=1,
        validators=[
            DataRequired(message=_l("Give how many parts arrived.")),
            NumberRange(min=1, max=500, message=_l("From 1 to 500 parts at a time.")),
        ],
    )
    supplier = StringField(
        _l("Supplier"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the supplier.")), Length(max=200)],
    )
    unit_cost = StringField(
        _l("Price of one, in euros"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give the price of one part.")), Length(max=20)],
    )
