"""User administration: the list, a new user, (de)activation, API tokens, badges and PINs."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import badges
from inventory.accounts import User
from inventory.errors import NotFound, WorkshopError
from inventory.types import utcnow
from workshop import accounts
from workshop.database import db
from workshop.display import error_text
from workshop.roles import requires
from workshop.users import bp
from workshop.users.forms import ActiveForm, AddUserForm, BadgeForm, PinForm, TokenForm

# Language names are written in their own language, as in the switch of every page.
LANGUAGES = {"en": "English", "fr": "Français"}


@bp.route("/", methods=["GET", "POST"])
@requires("manage_users")
def index() -> Any:
    """Every user, and the form that adds one."""
    session = db()
    form = AddUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                session, form.username.data, form.role.data, form.password.data, form.name.data
            )
        except WorkshopError as error:
            name = error.details.get("field", "")
            field = next((f for f in form if f.name == name), form.username)
            field.errors.append(error_text(error))
        else:
            session.commit()
            flash(_("%(username)s is added and can log in now.", username=user.username), "success")
            return redirect(url_for("users.index"))
    status = 400 if form.errors else 200
    return _list_page(session, form), status


@bp.route("/<username>/active", methods=["POST"])
@requires("manage_users")
def set_active(username: str) -> Any:
    """Deactivate a user (who can no longer log in or use a token), or reactivate them."""
    session = db()
    user = _user_or_404(session, username)
    form = ActiveForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete. Nothing was changed."), "error")
        return redirect(url_for("users.index"))
    active = form.active.data == "1"
    try:
        accounts.set_active(session, user, active, by=current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(url_for("users.index"))
    session.commit()
    if active:
        flash(_("%(username)s can log in again.", username=user.username), "success")
    else:
        flash(
            _(
                "%(username)s is deactivated: they can no longer log in or use their API tokens.",
                username=user.username,
            ),
            "success",
        )
    return redirect(url_for("users.index"))


@bp.route("/<username>/tokens", methods=["POST"])
@requires("manage_users")
def issue_token(username: str) -> Any:
    """Issue an API token and show it this once; only its hash is kept."""
    session = db()
    user = _user_or_404(session, username)
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("The label of a token is at most 200 characters. No token was made."), "error")
        return redirect(url_for("users.index"))
    if not user.active:
        flash(
            _("%(username)s is deactivated: reactivate them first.", username=user.username),
            "error",
        )
        return redirect(url_for("users.index"))
    token = accounts.issue_token(session, user, form.label.data or "")
    session.commit()
    response = make_response(render_template("users/token.html", user=user, token=token))
    # The token must not linger in a cache or in the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<username>/badge", methods=["POST"])
@requires("manage_users")
def issue_badge(username: str) -> Any:
    """Issue a staff badge, or a new one: the old code stops working at once."""
    session = db()
    user = _user_or_404(session, username)
    if not BadgeForm().validate_on_submit():
        flash(_("The form was incomplete. Nothing was changed."), "error")
        return redirect(url_for("users.index"))
    replaced = user.badge_code
    try:
        code = badges.issue_badge(session, user, by=current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(url_for("users.index"))
    session.commit()
    if replaced:
        flash(
            _(
                "New badge %(code)s for %(username)s: print it. Badge %(old)s no longer works.",
                code=code,
                username=user.username,
                old=replaced,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Badge %(code)s issued for %(username)s: print it.",
                code=code,
                username=user.username,
            ),
            "success",
        )
    return redirect(url_for("users.index"))


@bp.route("/<username>/pin", methods=["POST"])
@requires("manage_users")
def set_pin(username: str) -> Any:
    """Set the PIN typed after the badge; it is never shown again, not even here."""
    session = db()
    user = _user_or_404(session, username)
    form = PinForm()
    if not form.validate_on_submit():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        flash(
            " ".join(problems)
            + " "
            + _("The PIN of %(username)s was not changed.", username=user.username),
            "error",
        )
        return redirect(url_for("users.index"))
    try:
        badges.set_pin(session, user, form.pin.data, by=current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(url_for("users.index"))
    session.commit()
    flash(_("The PIN of %(username)s is set.", username=user.username), "success")
    return redirect(url_for("users.index"))


def _user_or_404(session: Session, username: str) -> User:
    try:
        return accounts.get_user(session, username)
    except NotFound:
        abort(404)


def _list_page(session: Session, form: AddUserForm) -> str:
    users = session.scalars(select(User).order_by(User.active.desc(), User.username))
    return render_template(
        "users/index.html",
        users=list(users),
        form=form,
        active_form=ActiveForm(formdata=None),
        token_form=TokenForm(formdata=None),
        pin_form=PinForm(formdata=None),
        now=utcnow(),
        languages=LANGUAGES,
    )
