"""Staff pages: the list, a person's record (periods, insertion, skills, work history).

Disability recognitions have pages of their own, for the `health_data` permission
only (hr, admin); every one of their reads is logged, and no other page shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from inventory import recognition, staff
from inventory.accounts import User
from inventory.db import begin_write
from inventory.errors import NotFound, WorkshopError
from inventory.people import Person
from workshop.database import db
from workshop.display import error_text
from workshop.people import bp
from workshop.people.forms import (
    CONTRACT_NAMES,
    LEVEL_NAMES,
    OUTCOME_NAMES,
    EmploymentForm,
    InsertionForm,
    PersonForm,
    RecognitionForm,
    SkillsForm,
)
from workshop.roles import requires

NAMES = {"contract": CONTRACT_NAMES, "outcome": OUTCOME_NAMES, "level": LEVEL_NAMES}
# The insertion services name their fields after the model; the form's are shorter.
INSERTION_FIELDS = {"insertion_exit_on": "exited_on", "insertion_entry_on": "entered_on"}


def _person_or_404(person_id: int) -> Person:
    try:
        return staff.get_person(db(), person_id)
    except NotFound:
        abort(404)


def _me() -> User:
    return current_user._get_current_object()


def _refuse_into(form: Any, error: WorkshopError, default: str) -> None:
    """Show a service's refusal under the field it names, else under `default`."""
    db().rollback()
    name = error.details.get("field")
    name = INSERTION_FIELDS.get(name, name)
    field = getattr(form, name, None) if isinstance(name, str) else None
    if field is None or not hasattr(field, "errors"):
        field = getattr(form, default)
    field.errors = [*field.errors, error_text(error)]


def _account_choices(session: Any, person: Person | None) -> list[SelectChoice]:
    """Accounts nobody else's record holds, with the person's own."""
    taken = {
        user_id
        for user_id in session.scalars(select(Person.user_id).where(Person.user_id.is_not(None)))
        if person is None or user_id != person.user_id
    }
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [SelectChoice("", _("No account"))] + [
        SelectChoice(user.username, f"{user.username} ({user.display_name})")
        for user in users
        if user.id not in taken
    ]


def _account(session: Any, username: str) -> User | None:
    if not username:
        return None
    return session.scalar(select(User).where(User.username == username))


@bp.route("/")
@requires("view_staff")
def index() -> str:
    """Everyone, with the period they work under today."""
    people = staff.list_people(db())
    today = date.today()
    rows = [(person, staff.current_employment(person, today)) for person in people]
    return render_template("people/index.html", rows=rows, names=NAMES)


@bp.route("/new", methods=["GET", "POST"])
@requires("manage_staff")
def new() -> Any:
    """Record a new person."""
    session = db()
    form = PersonForm()
    form.username.choices = _account_choices(session, None)
    if form.validate_on_submit():
        try:
            person = staff.add_person(
                session,
                staff_number=form.staff_number.data,
                name=form.name.data,
                user=_account(session, form.username.data),
            )
        except WorkshopError as error:
            _refuse_into(form, error, "staff_number")
        else:
            session.commit()
            flash(
                _("%(name)s is recorded. Add their employment period.", name=person.name), "success"
            )
            return redirect(url_for("people.new_employment", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("people/person_form.html", form=form, person=None), status


@bp.route("/<int:person_id>")
@requires("view_staff")
def show(person_id: int) -> str:
    """A person's record: periods, insertion, skills and what the event log says they did."""
    person = _person_or_404(person_id)
    skills = {skill.stage: skill.level for skill in person.skills}
    return render_template(
        "people/show.html",
        person=person,
        skills=skills,
        stages=staff.SKILL_STAGES,
        history=staff.work_history(db(), person),
        names=NAMES,
        skills_form=SkillsForm(),
    )


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@requires("manage_staff")
def edit(person_id: int) -> Any:
    """Change a person's staff number, name or account."""
    session = db()
    person = _person_or_404(person_id)
    form = PersonForm(
        staff_number=person.staff_number,
        name=person.name,
        username=person.user.username if person.user else "",
    )
    form.username.choices = _account_choices(session, person)
    if form.validate_on_submit():
        try:
            staff.update_person(
                session,
                person,
                staff_number=form.staff_number.data,
                name=form.name.data,
                user=_account(session, form.username.data),
            )
        except WorkshopError as error:
            _refuse_into(form, error, "staff_number")
        else:
            session.commit()
            flash(_("The record of %(name)s is saved.", name=person.name), "success")
            return redirect(url_for("people.show", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("people/person_form.html", form=form, person=person), status


def _period_or_404(getter: Callable[..., Any], person: Person, record_id: int | None) -> Any:
    """The person's period `record_id` through `getter`, None for a new one; 404 if not theirs."""
    if record_id is None:
        return None
    try:
        return getter(db(), person, record_id)
    except NotFound:
        abort(404)


def _save_period(
    form: Any,
    person: Person,
    record: Any,
    values: dict[str, Any],
    add: Callable[..., Any],
    update: Callable[..., Any],
    *,
    field: str,
    saved: str,
) -> Any:
    """Add or update a period; the redirect to the person once saved, None when refused."""
    session = db()
    try:
        if record is None:
            add(session, person, **values)
        else:
            update(session, record, **values)
    except WorkshopError as error:
        _refuse_into(form, error, field)
        return None
    session.commit()
    flash(saved, "success")
    return redirect(url_for("people.show", person_id=person.id))


@bp.route("/<int:person_id>/employments/new", methods=["GET", "POST"])
@bp.route("/<int:person_id>/employments/<int:employment_id>", methods=["GET", "POST"])
@requires("manage_staff")
def new_employment(person_id: int, employment_id: int | None = None) -> Any:
    """Record a period of employment (a hire or a rehire), or correct or end one."""
    person = _person_or_404(person_id)
    employment = _period_or_404(staff.get_employment, person, employment_id)
    form = EmploymentForm(obj=employment)
    if request.method == "GET" and employment is not None:
        form.fte.data = str(employment.fte)
    if form.validate_on_submit():
        values = {
            "hired_on": form.hired_on.data,
            "left_on": form.left_on.data,
            "contract": form.contract.data,
            "fte": form.fte.data,
        }
        done = _save_period(
            form,
            person,
            employment,
            values,
            staff.add_employment,
            staff.update_employment,
            field="hired_on",
            saved=_("The employment period is saved."),
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template(
        "people/employment_form.html", form=form, person=person, employment=employment
    ), status


@bp.route("/<int:person_id>/insertion/new", methods=["GET", "POST"])
@bp.route("/<int:person_id>/insertion/<int:programme_id>", methods=["GET", "POST"])
@requires("manage_staff")
def insertion(person_id: int, programme_id: int | None = None) -> Any:
    """Record a stay in an insertion programme, or its exit and where it led."""
    person = _person_or_404(person_id)
    programme = _period_or_404(staff.get_insertion, person, programme_id)
    form = InsertionForm(obj=programme)
    if request.method == "GET" and programme is not None:
        form.exit_outcome.data = programme.exit_outcome or ""
    if form.validate_on_submit():
        values = {
            "entered_on": form.entered_on.data,
            "exited_on": form.exited_on.data,
            "exit_outcome": form.exit_outcome.data or None,
        }
        done = _save_period(
            form,
            person,
            programme,
            values,
            staff.add_insertion,
            staff.update_insertion,
            field="entered_on",
            saved=_("The insertion programme is saved."),
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template(
        "people/insertion_form.html", form=form, person=person, programme=programme
    ), status


@bp.route("/<int:person_id>/skills", methods=["POST"])
@requires("manage_staff")
def skills(person_id: int) -> Any:
    """Save the level of each stage at once."""
    session = db()
    person = _person_or_404(person_id)
    form = SkillsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        for stage in staff.SKILL_STAGES:
            staff.set_skill(session, person, stage, request.form.get(f"skill-{stage}", ""))
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("people.show", person_id=person.id))
    session.commit()
    flash(_("The skills of %(name)s are saved.", name=person.name), "success")
    return redirect(url_for("people.show", person_id=person.id))


# -- health data: hr and admin only, every read logged ----------------------------------------


@bp.route("/<int:person_id>/recognition", methods=["GET", "POST"])
@bp.route("/<int:person_id>/recognition/<int:recognition_id>", methods=["GET", "POST"])
@requires("health_data")
def recognitions(person_id: int, recognition_id: int | None = None) -> Any:
    """A person's disability recognitions, and the form to record or correct one."""
    session = db()
    if request.method == "GET":
        # Logging the read is a write: take the write turn before reading anything.
        session.commit()
        begin_write(session)
    person = _person_or_404(person_id)
    form = RecognitionForm()
    if form.validate_on_submit():
        try:
            if recognition_id is None:
                recognition.add_recognition(
                    session,
                    person,
                    valid_from=form.valid_from.data,
                    valid_until=form.valid_until.data,
                    by=_me(),
                )
            else:
                recognition.update_recognition(
                    session,
                    person,
                    recognition_id,
                    valid_from=form.valid_from.data,
                    valid_until=form.valid_until.data,
                    by=_me(),
                )
        except NotFound:
            abort(404)
        except WorkshopError as error:
            _refuse_into(form, error, "valid_from")
        else:
            session.commit()
            flash(_("The recognition is saved."), "success")
            return redirect(url_for("people.recognitions", person_id=person.id))
    found = recognition.recognitions_of(session, person, reader=_me(), purpose="record")
    editing = None
    if recognition_id is not None:
        editing = next((item for item in found if item.id == recognition_id), None)
        if editing is None:
            abort(404)
        if request.method == "GET":
            form.valid_from.data, form.valid_until.data = editing.valid_from, editing.valid_until
    session.commit()
    status = 400 if form.errors else 200
    return render_template(
        "people/recognitions.html",
        person=person,
        recognitions=found,
        form=form,
        editing=editing,
    ), status


@bp.route("/health-data-reads")
@requires("health_data")
def health_log() -> str:
    """Who read whose health data, and when, newest first."""
    reads = recognition.read_log(db(), reader=_me())
    return render_template("people/health_log.html", reads=reads)
