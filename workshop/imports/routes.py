"""Upload a spreadsheet, see what it holds and what is wrong with it, then confirm it once."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory.imports import ImportKind, Report, RowError, check_file, import_file, kinds
from workshop.database import db, sessions
from workshop.imports import bp, uploads
from workshop.imports.forms import ConfirmForm, UploadForm
from workshop.roles import requires

# A year of a big workshop is about 11 MB of CSV; far more is a wrong file.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# Problems listed on the page; the rest are counted.
SHOWN_ERRORS = 500


def allowed_kinds() -> dict[str, type[ImportKind]]:
    """The kinds of import the logged-in user's role may make."""
    return {name: kind for name, kind in kinds().items() if current_user.role in kind.roles}


def reason_text(error: RowError) -> str:
    """Why a row is refused, in the reader's language."""
    return _(error.template, **error.details) if error.details else _(error.template)


def _preview(report: Report, kind: type[ImportKind], token: str | None, status: int = 200) -> Any:
    confirm = ConfirmForm(token=token) if token else None
    return (
        render_template(
            "imports/preview.html",
            report=report,
            kind=kind,
            confirm=confirm,
            errors=report.errors[:SHOWN_ERRORS],
            hidden_errors=max(0, len(report.errors) - SHOWN_ERRORS),
            reason=reason_text,
            upload=UploadForm(kind=kind.name),
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@requires("import_files")
def index() -> Any:
    """Choose what the file holds and upload it; it is checked, nothing is written yet."""
    allowed = allowed_kinds()
    form = UploadForm()
    form.kind.choices = [(name, _(kind.label)) for name, kind in allowed.items()]
    if request.method == "GET" and form.kind.data is None and len(allowed) == 1:
        form.kind.data = next(iter(allowed))
    if form.validate_on_submit():
        kind = allowed[form.kind.data]
        upload = form.file.data
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            form.file.errors.append(
                _("The file is larger than %(limit)s MB: split it.", limit=MAX_UPLOAD_BYTES >> 20)
            )
        else:
            filename = (upload.filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
            # A read of its own: checking a year of rows must not hold the database's write turn.
            with sessions()() as session:
                report = check_file(session, kind.name, data, filename)
            token = None
            if report.ok:
                token = uploads.keep(
                    current_app.instance_path,
                    user_id=current_user.id,
                    kind=kind.name,
                    filename=filename,
                    data=data,
                )
            return _preview(report, kind, token, 200 if report.ok else 422)
    status = 400 if request.method == "POST" else 200
    return render_template("imports/index.html", form=form, kinds=allowed), status


@bp.route("/confirm", methods=["POST"])
@requires("import_files")
def confirm() -> Any:
    """Import the checked file, once: a second confirmation finds it already taken."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    instance = current_app.instance_path
    upload = uploads.claim(instance, form.token.data or "", current_user.id)
    if upload is None:
        flash(
            _(
                "This file was already imported (or its check is more than a day old): "
                "nothing was imported again."
            ),
            "warning",
        )
        return redirect(url_for("imports.index"))
    kind = allowed_kinds().get(upload.kind)
    if kind is None:
        uploads.forget(instance, upload.token)
        abort(403)
    session = db()
    try:
        report = import_file(
            session,
            kind.name,
            upload.data,
            upload.filename,
            entered_by=current_user._get_current_object(),
        )
        if not report.ok:
            # Something changed since the check (another import took a serial): say what.
            session.rollback()
            uploads.forget(instance, upload.token)
            return _preview(report, kind, None, 409)
        session.commit()
    except BaseException:
        session.rollback()
        uploads.give_back(instance, upload.token)
        raise
    uploads.forget(instance, upload.token)
    flash(
        _(
            "%(what)s imported from %(file)s: %(count)s rows, nothing left out.",
            what=_(kind.label),
            file=upload.filename,
            count=report.rows,
        ),
        "success",
    )
    return redirect(url_for("imports.index"))
