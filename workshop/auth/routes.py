"""Login, logout, first administrator, language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from inventory.errors import WorkshopError
from workshop import accounts
from workshop.auth import bp
from workshop.auth.forms import LanguageForm, LoginForm, SetupForm
from workshop.database import db

# Choices that belong to the terminal, not to the person logged in on it.
TERMINAL_KEYS = ("language", "intake_lot", "bench_station")
# In the session of a badge login: when its last request came (see terminal.py).
TERMINAL_SEEN = "terminal_seen"


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return url_for("home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with a username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(db(), form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        # A fresh session stops session fixation; the terminal's own choices stay.
        kept = {key: session[key] for key in TERMINAL_KEYS if key in session}
        session.clear()
        session.update(kept)
        login_user(user)
        return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    """Log out; the form's CSRF token stops other sites from doing it."""
    # At a workbench terminal the next person comes by badge.
    by_badge = session.pop(TERMINAL_SEEN, None) is not None
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.terminal" if by_badge else "auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """Create the first administrator; closed once any user exists."""
    session_ = db()
    if accounts.has_users(session_):
        return redirect(url_for("home"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                session_, form.username.data, "admin", form.password.data, form.name.data or ""
            )
        except WorkshopError as error:
            form.username.errors.append(error.message)
        else:
            session_.commit()
            current_app.extensions["workshop.has_users"] = True
            login_user(user)
            flash(_("Welcome. You are the workshop's first administrator."), "success")
            return redirect(url_for("home"))
    return render_template("auth/setup.html", form=form)


@bp.route("/language", methods=["POST"])
def language() -> Any:
    """Switch the interface language for this browser, and for the user when logged in."""
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in current_app.config["LANGUAGES"]:
        session["language"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            db().commit()
    return redirect(_safe_next(form.next.data))
