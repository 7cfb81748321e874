"""Bearer tokens and roles: every API endpoint declares the permission it needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from inventory.accounts import User
from inventory.errors import N_
from workshop.accounts import user_for_token
from workshop.api.errors import Forbidden, Unauthorized
from workshop.database import before_writing
from workshop.roles import PERMISSIONS, can

F = TypeVar("F", bound=Callable[..., Any])

# A real token is about 50 characters; anything far longer is not one of ours.
MAX_TOKEN = 512


def bearer_token() -> str | None:
    """The token of an 'Authorization: Bearer <token>' header, if there is one."""
    scheme, _space, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN:
        return None
    return token


def token_user() -> User:
    """The active user whose token came with the request, or Unauthorized."""
    token = bearer_token()
    if token is None:
        raise Unauthorized(N_("Send an API token as 'Authorization: Bearer <token>'."))
    user = before_writing(lambda session: user_for_token(session, token))
    if user is None:
        raise Unauthorized(N_("This API token is unknown, revoked, or its user is inactive."))
    return user


def api_user() -> User:
    """The user the current API request acts for."""
    return g.api_user


def requires(permission: str) -> Callable[[F], F]:
    """Endpoint decorator: 401 without a valid token, 403 unless the role holds the permission."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = token_user()
            if not can(permission, user):
                raise Forbidden(
                    N_(
                        "The role %(role)s does not allow this: it needs the permission "
                        "%(permission)s."
                    ),
                    role=user.role,
                    permission=permission,
                )
            g.api_user = user
            return view(*args, **kwargs)

        wrapped.api_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Endpoint decorator: open without a token (only the API's own description)."""
    view.api_permission = None  # type: ignore[attr-defined]
    return view


def refuse_undeclared() -> None:
    """Before every API request: an endpoint that declares no permission is closed."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and not hasattr(view, "api_permission"):
        raise Forbidden(N_("This endpoint declares no permission, so it is closed."))
