"""API endpoints for labels: a device's asset label as PDF."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from inventory.errors import N_, InvalidInput
from workshop import label_jobs
from workshop.api import bp
from workshop.api.auth import requires
from workshop.api.routes import _load_device
from workshop.downloads import file_response

LABEL_QUERY = frozenset({"medium"})


@bp.get("/devices/<asset_tag>/label.pdf")
@requires("print_labels")
def device_label(asset_tag: str) -> Any:
    """The asset label of one device as a PDF on the medium asked for (62x29 by default)."""
    unknown = sorted(set(request.args) - LABEL_QUERY)
    if unknown:
        raise InvalidInput(
            N_("Unknown parameter %(field)s: this endpoint takes only medium."), field=unknown[0]
        )
    medium = label_jobs.medium_named(request.args.get("medium"))
    device = _load_device(asset_tag)
    batch = label_jobs.devices_batch([device], current_app.config["WORKSHOP_NAME"])
    data = label_jobs.render(batch, medium, "pdf")
    return file_response(
        data, "application/pdf", f"{device.asset_tag}-{medium.name}.pdf", inline=True
    )
