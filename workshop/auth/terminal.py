"""Workbench terminals: switching user by badge and PIN, and locking when left idle.

A session opened by badge keeps the time of its last request in the signed
session cookie, so every app process can tell when it has been idle too long.
Sessions opened with a password (office computers) are left alone.
"""

from __future__ import annotations

import time
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from inventory.badges import WrongPin, badge_holder, badge_login, check_badge
from inventory.codes import normalize
from inventory.errors import WorkshopError
from inventory.scanning import MAX_CODE, log_scan
from workshop.auth import bp
from workshop.auth.forms import BadgeForm
from workshop.auth.routes import TERMINAL_KEYS, TERMINAL_SEEN
from workshop.database import db
from workshop.display import error_text
from workshop.roles import can

STATION = "terminal"
DEFAULT_IDLE_MINUTES = 5
# Requests that go on after an idle lock: the badge page itself, so a badge
# scanned on it logs its holder in at once.
BADGE_PAGE = "auth.terminal"


def idle_seconds() -> float:
    """How long a terminal session may stay without a request, from the configuration."""
    try:
        minutes = float(current_app.config.get("TERMINAL_IDLE_MINUTES", DEFAULT_IDLE_MINUTES))
    except (TypeError, ValueError):
        minutes = DEFAULT_IDLE_MINUTES
    return (minutes if minutes > 0 else DEFAULT_IDLE_MINUTES) * 60


def is_terminal_session() -> bool:
    """True when the person logged in here came by badge."""
    return TERMINAL_SEEN in session and current_user.is_authenticated


def _end_terminal_session() -> None:
    # Not session.clear(): the CSRF token of a badge form already on screen must stay valid.
    logout_user()
    session.pop(TERMINAL_SEEN, None)


BACKGROUND_ENDPOINTS = frozenset({"workcard.bench_jobs"})


@bp.before_app_request
def lock_idle_terminal() -> Any:
    """Log out a badge session idle for too long, and send it to the badge page."""
    seen = session.get(TERMINAL_SEEN)
    if seen is None or request.endpoint == "static" or request.path.startswith("/api/"):
        return None
    if not current_user.is_authenticated:
        session.pop(TERMINAL_SEEN, None)
        return None
    now = time.time()
    if isinstance(seen, int | float) and now - seen <= idle_seconds():
        # A page polling by itself (a bench job's progress) is nobody at the terminal.
        if request.endpoint not in BACKGROUND_ENDPOINTS:
            session[TERMINAL_SEEN] = int(now)
        return None
    _end_terminal_session()
    if request.endpoint == BADGE_PAGE and request.method == "POST":
        return None
    flash(
        _(
            "The terminal locked itself after %(minutes)s minutes without use. "
            "Scan your badge to go on.",
            minutes=_minutes(),
        ),
        "info",
    )
    if request.endpoint == BADGE_PAGE:
        return None
    return redirect(url_for(BADGE_PAGE))


@bp.app_context_processor
def terminal_helpers() -> dict[str, Any]:
    """What base.html needs to lock an idle terminal page without a click."""
    if not is_terminal_session():
        return {"terminal_lock": None}
    return {
        "terminal_lock": {
            "idle_seconds": int(idle_seconds()),
            "lock_url": url_for("auth.lock"),
            "alive_url": url_for("auth.alive"),
        }
    }


@bp.route("/terminal", methods=["GET", "POST"])
def terminal() -> Any:
    """Scan a badge, type the PIN: its holder replaces whoever was logged in here."""
    form = BadgeForm()
    if not form.is_submitted():
        return _badge_page(form)
    if not form.validate():
        return _badge_page(form, pin_step=bool(form.badge.data) and not form.badge.errors), 400
    session_ = db()
    code = normalize(form.badge.data)
    pin = form.pin.data or ""
    try:
        if not pin:
            # The badge alone (no script, or Enter pressed twice): check it, then ask the PIN.
            holder = check_badge(session_, code)
            return _badge_page(form, pin_step=True, holder=holder)
        user = badge_login(session_, code, pin)
    except WrongPin as error:
        _log(code, error.code)
        session_.commit()
        form.pin.errors = [error_text(error)]
        return _badge_page(form, pin_step=True), 401
    except WorkshopError as error:
        _log(code, error.code)
        session_.commit()
        form.badge.data = ""
        form.badge.errors = [error_text(error)]
        return _badge_page(form), 401
    _log(code, "badge_login")
    session_.commit()
    # A fresh session stops session fixation; the terminal's own choices stay.
    kept = {key: session[key] for key in TERMINAL_KEYS if key in session}
    session.clear()
    session.update(kept)
    login_user(user)
    session[TERMINAL_SEEN] = int(time.time())
    flash(_("Hello %(name)s: you are logged in.", name=user.display_name), "success")
    if can("work_queue", user) and not can("intake", user):
        return redirect(url_for("queue.index"))
    return redirect(url_for("home"))


@bp.route("/terminal/lock", methods=["POST"])
def lock() -> Any:
    """Lock the terminal now (the idle script sends this form); the next person scans in."""
    if is_terminal_session():
        _end_terminal_session()
        flash(
            _(
                "The terminal locked itself after %(minutes)s minutes without use. "
                "Scan your badge to go on.",
                minutes=_minutes(),
            ),
            "info",
        )
    return redirect(url_for(BADGE_PAGE))


@bp.route("/terminal/alive")
def alive() -> Any:
    """Typing on a page counts as use: the idle script calls this now and then."""
    # The idle check above has already noted the time of this request.
    return "", 204, {"Cache-Control": "no-store"}


def _badge_page(form: BadgeForm, pin_step: bool = False, holder: Any = None) -> str:
    return render_template(
        "auth/terminal.html",
        form=form,
        pin_step=pin_step,
        holder=holder,
        locked_minutes=_minutes(),
    )


def _log(code: str, outcome: str) -> None:
    """Keep the badge read in the scan log, with its holder when the badge is ours."""
    holder = badge_holder(db(), code)
    log_scan(db(), code[:MAX_CODE], outcome, user=holder, station=STATION)


def _minutes() -> str:
    minutes = idle_seconds() / 60
    return str(int(minutes)) if minutes == int(minutes) else f"{minutes:g}"
