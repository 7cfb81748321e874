"""A run's stored message in the reader's language, and closing a run its program abandoned."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect
from flask_babel import gettext as _
from sqlalchemy import select

from diagnostics import messages, records
from diagnostics.messages import Failure, Sentence
from inventory.errors import WorkshopError
from inventory.models import BenchJob, DiagnosticRun
from workshop.database import db
from workshop.diagnostics_pages import bp
from workshop.diagnostics_pages.routes import _back, _device_or_404, _user
from workshop.display import error_text, label_for
from workshop.roles import requires


class _Quoted(str):
    """A detail its template gives with %r: the stored text already has its quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def message_text(message: str | None) -> str:
    """A run's stored message said in the reader's language; what is not ours stays as stored."""
    return " ".join(_say(sentence) for sentence in messages.parse(message or ""))


def _say(sentence: Sentence) -> str:
    if not sentence.template:
        return sentence.text
    if not sentence.details:
        return _(sentence.template)
    params: dict[str, Any] = {key: _detail(key, value) for key, value in sentence.details.items()}
    for key in sentence.quoted:
        params[key] = _Quoted(params[key])
    return _(sentence.template, **params)


def _detail(key: str, value: Any) -> str:
    if isinstance(value, Sentence):
        return _say(value)
    if key == "failures":
        return _(messages.FAILURE_SEPARATOR).join(_failure(item) for item in value)
    if key == "methods":
        said = value[-1]
        for method in reversed(value[:-1]):
            said = _(messages.METHODS_OR, some=method, other=said)
        return said
    if key == "step":
        return label_for("step", value)
    if key == "script":
        return label_for("script", value)
    return str(value)


def _failure(item: Failure) -> str:
    return _(
        messages.FAILURE,
        name=label_for("measurement", item.name),
        value=item.value,
        limits=_say(item.limits),
    )


def can_abandon(run: DiagnosticRun) -> bool:
    """True for a run still open that no bench job drives (the work card stops those)."""
    if not run.running:
        return False
    driven = db().scalar(
        select(BenchJob.id).where(BenchJob.run_id == run.id, BenchJob.state == "running").limit(1)
    )
    return driven is None


@bp.app_context_processor
def _run_helpers() -> dict[str, Any]:
    """Let the device page and the work card say a run's message, and offer to close it."""
    return {"run_message": message_text, "can_abandon": can_abandon}


@bp.post("/devices/<asset_tag>/runs/<int:run_id>/abandoned")
@requires("record_diagnostics")
def abandon_run(asset_tag: str, run_id: int) -> Any:
    """Close a run left open by a program that died: it ends as stopped, to be run again."""
    session = db()
    device = _device_or_404(asset_tag)
    run = session.get(DiagnosticRun, run_id)
    if run is None or run.device_id != device.id:
        abort(404)
    script = label_for("script", run.script)
    try:
        closed = records.close_abandoned_run(session, run, entered_by=_user())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_back(device))
    session.commit()
    if closed:
        flash(
            _(
                "The %(script)s run is closed as abandoned: run the test again.",
                script=script,
            ),
            "success",
        )
    else:
        # A second click, or its program ended it meanwhile: nothing to do.
        flash(
            _(
                "This %(script)s run had already ended (%(outcome)s): nothing was changed.",
                script=script,
                outcome=label_for("run_outcome", run.outcome),
            ),
            "info",
        )
    return redirect(_back(device))
