"""GET /api/v1/reports/impact/<year>: the yearly impact figures, as `workshop impact` prints them."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from inventory import impact
from inventory.db import begin_write
from workshop.api import bp
from workshop.api.auth import api_user, requires
from workshop.api.errors import commit
from workshop.database import db


def writing_session() -> Any:
    """The request's session as a writer: reading health data for totals writes to its log."""
    session = db()
    # End the read that found the caller, so the write turn is taken cleanly on SQLite.
    session.commit()
    begin_write(session)
    return session


@bp.route("/reports/impact/<year>", methods=["GET"])
@requires("view_impact")
def impact_report(year: str) -> Response:
    """The figures of a calendar year with their definitions, monthly breakdown and publication."""
    language = request.args.get("lang", "en")
    session = writing_session()
    data = impact.report(
        session,
        year,
        language=language,
        timezone=current_app.config["TIMEZONE"],
        reader=session.merge(api_user()),
    )
    commit()
    return jsonify(data)


NUMBER_OR_NULL = {"type": ["number", "null"]}


def openapi_paths() -> dict[str, Any]:
    """The endpoint as the OpenAPI document describes it (workshop/api/openapi.py merges it)."""
    # Imported here: openapi.py imports this module to merge what it returns.
    from workshop.api.openapi import READ_ERRORS, _ok, _operation, _shared

    return {
        "/reports/impact/{year}": {
            "get": _operation(
                "impactReport",
                "The impact figures of a calendar year, with their definitions",
                "view_impact",
                {
                    "200": _ok("The yearly report.", "ImpactReport"),
                    **_shared("Invalid", *READ_ERRORS),
                },
                parameters=[
                    {
                        "name": "year",
                        "in": "path",
                        "required": True,
                        "description": f"A calendar year, {impact.FIRST_YEAR} to "
                        f"{impact.LAST_YEAR}, in the workshop's time zone.",
                        "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
                    },
                    {
                        "name": "lang",
                        "in": "query",
                        "description": "The language of labels and definitions.",
                        "schema": {"type": "string", "enum": list(impact.LANGUAGES)},
                    },
                ],
                description="Figures of a published year are the frozen ones; `publication` "
                "then says what a recomputation gives differently and why. Disability figures "
                "are totals only.",
            )
        }
    }


def openapi_schemas() -> dict[str, Any]:
    """The ImpactReport schema."""
    figures = {
        figure.key: {
            **(
                {"type": "integer"}
                if figure.key.startswith(("units_", "jobs_", "headcount", "insertion_"))
                and figure.key != "units_repaired_per_fte"
                else NUMBER_OR_NULL
            ),
            "description": figure.definition_en,
        }
        for figure in impact.FIGURES
    }
    month = {
        "type": "object",
        "required": ["month", *impact.MONTHLY_KEYS, "headcount"],
        "properties": {
            "month": {"type": "integer", "minimum": 1, "maximum": 12},
            **{key: {"type": "number"} for key in impact.MONTHLY_KEYS},
            "headcount": {"type": "integer"},
        },
    }
    texts = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        **_repair_schemas(texts),
        "ImpactReport": {
            "type": "object",
            "required": [
                "year",
                *impact.KEYS,
                "monthly",
                "definitions",
                "labels",
                "status",
                "publication",
                "repairs",
            ],
            "properties": {
                "year": {"type": "integer"},
                **figures,
                "monthly": {"type": "array", "items": month, "minItems": 12, "maxItems": 12},
                "definitions": texts,
                "labels": texts,
                "monthly_labels": texts,
                "monthly_definitions": texts,
                "status": {"type": "string", "enum": ["computed", "published"]},
                "publication": {
                    "type": ["object", "null"],
                    "description": "When published: when, by whom, the hash of the events "
                    "counted, and what a recomputation now gives differently (`changes`), "
                    "with the events of the year recorded since (`late_events`); "
                    "`repairs_changed` says whether the repairs appendix recomputed now "
                    "differs (null for a year published before the appendix existed).",
                },
                "repairs": {"$ref": "#/components/schemas/ImpactRepairs"},
                "language": {"type": "string", "enum": list(impact.LANGUAGES)},
                "timezone": {"type": "string"},
                "computed_at": {"type": "string", "format": "date-time"},
            },
        },
    }


def _repair_schemas(texts: dict[str, Any]) -> dict[str, Any]:
    """The repairs appendix of the report: the year's repair figures and each month's."""
    from inventory import repair_figures

    counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    kinds = {
        "repairs_by_fault": counts,
        "repairs_by_action": counts,
        "share_needing_no_repair": NUMBER_OR_NULL,
        "mean_minutes_per_repaired_unit": NUMBER_OR_NULL,
        # Text, to keep the cents exact.
        "parts_cost_per_repaired_unit": {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$"},
    }
    period = {
        figure.key: {
            **kinds.get(figure.key, {"type": "integer", "minimum": 0}),
            "description": figure.definition_en,
        }
        for figure in repair_figures.FIGURES
    }
    month = {
        "type": "object",
        "required": ["month", *repair_figures.KEYS],
        "properties": {"month": {"type": "integer", "minimum": 1, "maximum": 12}, **period},
    }
    return {
        "ImpactRepairs": {
            "type": "object",
            "description": "The appendix on repairs and spare parts: faults and actions by "
            "code (their labels in `fault_labels` and `action_labels`), parts bought vs "
            "harvested. `status` is `published` when frozen with the year's figures, "
            "`computed` otherwise (also for a year published before the appendix existed).",
            "required": [
                *repair_figures.KEYS,
                "monthly",
                "status",
                "labels",
                "definitions",
                "fault_labels",
                "action_labels",
            ],
            "properties": {
                **period,
                "monthly": {"type": "array", "items": month, "minItems": 12, "maxItems": 12},
                "status": {"type": "string", "enum": ["computed", "published"]},
                "labels": texts,
                "definitions": texts,
                "fault_labels": texts,
                "action_labels": texts,
            },
        }
    }
