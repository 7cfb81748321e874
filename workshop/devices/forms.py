"""Forms of the device pages: the search, a move, a grade."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from inventory.models import GRADES
from inventory.stages import MAX_NOTE
from workshop.display import label_for


class FilterField(SelectField):
    """A select whose first choice means "any"; an unknown value is named in the error."""

    def pre_validate(self, form: Any) -> None:
        if self.data and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(
                _("%(value)s is not in this list: choose one of its entries.", value=self.data)
            )


class DeviceSearchForm(FlaskForm):
    """The search and filters of the device list, sent with GET so links can keep them."""

    class Meta:
        # A search changes nothing, and its address must work as a bookmark.
        csrf = False

    q = SearchField(_l("Search or scan"), validators=[Length(max=200)])
    stage = FilterField(_l("Stage"))
    category = FilterField(_l("Category"))
    # Typed or scanned: thousands of lots make a list nobody can use from the keyboard.
    lot = StringField(
        _l("Lot"),
        validators=[Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    since = DateField(_l("In this stage since"), validators=[Optional()])

    def fill_choices(self, stages: Any, categories: Any) -> None:
        """Offer the stored codes under their translated names, after an "any" entry."""
        self.stage.choices = [SelectChoice("", _("Any stage"))] + [
            SelectChoice(stage, label_for("stage", stage)) for stage in stages
        ]
        self.category.choices = [SelectChoice("", _("Any category"))] + [
            SelectChoice(category, label_for("category", category)) for category in categories
        ]


class MoveForm(FlaskForm):
    """A move to another stage; `expected_stage` makes a second click harmless."""

    to = HiddenField(validators=[DataRequired()])
    expected_stage = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=MAX_NOTE)])
    # Recycling takes the device out of stock, so it needs this second step.
    confirm = HiddenField()
    # Asked only when recycling; the view checks them against the reasons it offers.
    reason = StringField(validators=[Length(max=40)])
    weight_kg = StringField(validators=[Length(max=20)])


class GradeForm(FlaskForm):
    """The cosmetic grade of a device."""

    grade = RadioField(
        _l("Grade"),
        choices=[SelectChoice(grade) for grade in GRADES],
        validators=[DataRequired(message=_l("Choose grade A, B or C."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=MAX_NOTE)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grade.choices = [SelectChoice(grade, label_for("grade", grade)) for grade in GRADES]
