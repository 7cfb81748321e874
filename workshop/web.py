"""Extensions, blueprints and the rules every page follows."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel, format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError

from inventory.accounts import User
from workshop import accounts
from workshop.database import before_writing
from workshop.display import label_for
from workshop.roles import can

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

# Pages reachable before the first administrator exists.
OPEN_ENDPOINTS = frozenset({"auth.setup", "static", "auth.language"})


def select_locale() -> str:
    """The user's chosen language, else the one picked on this browser, else the browser's."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    user_language = getattr(current_user, "language", None)
    if user_language in languages:
        return user_language
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages) or languages[0]


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = before_writing(lambda session: session.get(User, int(user_id)))
    return user if user is not None and user.active else None


class CookieSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions, left unopened for API calls that bring no cookie."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        """An empty session for a script's API call; the cookie's otherwise."""
        # A script sends a token, not a cookie: building the cookie's signer for it is
        # work on every intake of a scanning station, for nothing.
        if request.path.startswith("/api/") and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Wire extensions, blueprints, the first-run redirect and error pages."""
    app.session_interface = CookieSessions()
    from workshop.api import bp as api_bp
    from workshop.auth import bp as auth_bp
    from workshop.board import bp as board_bp
    from workshop.checklists import bp as checklists_bp
    from workshop.devices import bp as devices_bp
    from workshop.diagnostics_pages import bp as diagnostics_bp
    from workshop.documents import bp as documents_bp
    from workshop.impact import bp as impact_bp
    from workshop.imports import bp as imports_bp
    from workshop.intake import bp as intake_bp
    from workshop.locations import bp as locations_bp
    from workshop.lots import bp as lots_bp
    from workshop.people import bp as people_bp
    from workshop.printing import bp as printing_bp
    from workshop.queue import bp as queue_bp
    from workshop.repairs import bp as repairs_bp
    from workshop.sales import bp as sales_bp
    from workshop.users import bp as users_bp
    from workshop.workcard import bp as workcard_bp

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)

    for blueprint in (
        auth_bp,
        intake_bp,
        devices_bp,
        lots_bp,
        users_bp,
        locations_bp,
        sales_bp,
        board_bp,
        queue_bp,
        checklists_bp,
        workcard_bp,
        diagnostics_bp,
        printing_bp,
        documents_bp,
        people_bp,
        impact_bp,
        imports_bp,
        repairs_bp,
    ):
        app.register_blueprint(blueprint)
    # The API authenticates with bearer tokens, not cookies, so no CSRF there.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)

    app.before_request(_first_administrator)
    app.context_processor(_template_helpers)
    app.add_url_rule("/", "home", _home)
    _register_error_pages(app)


def _first_administrator() -> Any:
    """While no user exists, every page leads to the page that creates the first admin."""
    from flask import current_app

    if current_app.extensions.get("workshop.has_users"):
        return None
    if request.path.startswith("/api/") or request.endpoint in OPEN_ENDPOINTS:
        return None
    if before_writing(accounts.has_users):
        # Once true it stays true, so every process may remember it.
        current_app.extensions["workshop.has_users"] = True
        return None
    return redirect(url_for("auth.setup"))


def _home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if can("intake"):
        return redirect(url_for("intake.scan"))
    if can("view_devices"):
        return redirect(url_for("devices.index"))
    return render_template("home.html")


def _template_helpers() -> dict[str, Any]:
    language = select_locale()
    return {
        "can": can,
        "label": label_for,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_decimal": format_decimal,
        "current_language": language,
        # Between a label and what follows: French puts a no-break space before the colon.
        "colon": "\u00a0:" if language == "fr" else ":",
    }


def _register_error_pages(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    from workshop.api.errors import http_error_response, is_api_request

    def page(status: int, title: str, message: str, error: Any = None) -> Any:
        # Any address under /api/ answers JSON, even one that matches no endpoint.
        if is_api_request():
            return http_error_response(status, error if isinstance(error, HTTPException) else None)
        return render_template("error.html", title=title, message=message, status=status), status

    @app.errorhandler(403)
    def forbidden(error: Any) -> Any:
        return page(403, _("Not allowed"), _("Your role does not give access to this page."), error)

    @app.errorhandler(404)
    def not_found(error: Any) -> Any:
        return page(
            404, _("Not found"), _("There is no such page. Check the address or scan again."), error
        )

    @app.errorhandler(405)
    def wrong_method(error: Any) -> Any:
        return page(
            405, _("Not allowed"), _("This address does not accept that kind of request."), error
        )

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> Any:
        # Pages keep werkzeug's answer for the rarer statuses; the API never answers HTML.
        if is_api_request() and error.code is not None:
            return http_error_response(error.code, error)
        return error

    @app.errorhandler(CSRFError)
    def csrf_error(_error: Any) -> Any:
        return page(
            400,
            _("Form expired"),
            _(
                "The form had expired or was sent twice. Nothing was saved: go back, reload and try again."
            ),
        )

    @app.errorhandler(OperationalError)
    def database_busy(_error: Any) -> Any:
        return page(
            503,
            _("Database busy"),
            _("The database did not answer in time. Nothing was saved: try again in a moment."),
        )

    @app.errorhandler(500)
    def server_error(_error: Any) -> Any:
        return page(
            500,
            _("Something went wrong"),
            _("The workshop could not finish this request. Nothing was saved: try again."),
        )
