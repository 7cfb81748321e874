"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json.

Request bodies and query parameters come from `validation`, the same
declarations the endpoints check against; responses are described here and the
tests hold real answers against them.
"""

from __future__ import annotations

from copy import deepcopy
from functools import cache
from typing import Any

from diagnostics.records import REQUIRED_SCRIPTS, SCRIPT_NAMES
from diagnostics.results import OUTCOMES
from inventory.grading import CATALOGUE, DEFECT_CODES, MAX_MINOR_FOR_B
from inventory.lifecycle import STAGES
from inventory.models import (
    ASSIGNMENT_END_REASONS,
    CATEGORIES,
    CHECK_RESULTS,
    DESTROY,
    DESTRUCTIONS,
    DRIVE_TYPES,
    ERASURE_METHODS,
    GRADES,
    IDENTIFIER_KINDS,
    JOB_STATES,
    LOCATION_KINDS,
    MEASUREMENT_OUTCOMES,
    NIST_CATEGORIES,
    NIST_DESTROY,
    SALE_CHANNELS,
    SALE_STATUSES,
)
from labels.media import DEFAULT_MEDIUM, MEDIA
from workshop.api.impact import openapi_paths as impact_paths
from workshop.api.impact import openapi_schemas as impact_schemas
from workshop.api.validation import (
    ASSIGN,
    CHECKS,
    CLAIM,
    DESTROYED_DRIVE,
    DEVICE_QUERY,
    DIAGNOSTIC,
    GRADE,
    INTAKE,
    JOB,
    LOCATION,
    LOT,
    MANUAL_ERASURE,
    NO_STORAGE,
    PROGRESS,
    PUT_AWAY,
    RETURN,
    SALE,
    SCAN,
    TRANSITION,
    Body,
)
from workshop.roles import PERMISSIONS

BODIES = (
    INTAKE,
    TRANSITION,
    GRADE,
    SCAN,
    LOT,
    SALE,
    RETURN,
    PUT_AWAY,
    LOCATION,
    ASSIGN,
    CHECKS,
    DIAGNOSTIC,
    MANUAL_ERASURE,
    DESTROYED_DRIVE,
    NO_STORAGE,
    JOB,
    CLAIM,
    PROGRESS,
)

ERROR_CODES = (
    "invalid",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "already_received",
    "illegal_transition",
    "gate_unmet",
    "not_ready",
    "no_erasure",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "busy",
    "internal_error",
)

DESCRIPTION = """\
The workshop's JSON API, for scripts, scanning stations and bench agents.

**Authentication.** Every endpoint but this document needs
`Authorization: Bearer <token>` (create one with `workshop tokens add USERNAME`).
Without a valid token the answer is 401 `unauthorized` with a
`WWW-Authenticate: Bearer` header; a role without the endpoint's permission gets
403 `forbidden`. Each operation names its permission and the roles that hold it.

**Errors** are `{"error": {"code": ..., "message": ..., ...details}}`. The
message is a sentence for people; scripts act on the code and the details:
`field` names the member of the body or the query parameter that is wrong,
`allowed` lists the stages a device may move to, `missing` what it lacks to
enter a stage. Bodies must be JSON objects sent as `application/json` (415
otherwise), at most 64 KiB (413); unknown members and wrong types are 400
`invalid`. A lot code that names no lot is 400 `invalid` with `field: "lot"`:
the lot is part of the request, not the address.

**Transactions.** Each request is one transaction: either everything it asked
for is saved, or nothing is. Two clients changing one device at the same moment
cannot both win: the second gets 409 `conflict`. When the database is too busy
to answer in time the response is 503 `busy` with `Retry-After`: try again.

**Times** are ISO 8601 with their UTC offset; dates are `YYYY-MM-DD`.
"""


def _defects(severity: str) -> str:
    return ", ".join(f"`{kind.code}`" for kind in CATALOGUE if kind.severity == severity)


GRADE_RULE = f"""\
Send exactly one of `grade` and `defects`.

**`defects`** lists the codes of every cosmetic defect found in this cycle; the
list replaces any earlier one and the grade follows the rule: no defect gives A;
only minor defects, at most {MAX_MINOR_FOR_B}, give B; a major defect, or
{MAX_MINOR_FOR_B + 1} minor ones or more, give C. Minor: {_defects("minor")}.
Major: {_defects("major")}.
The event is `graded` with `source: defects`, `defects`, `computed_grade` and
`rule` in its payload; while an override stands the grade stays and the event is
`defects_recorded`.

**`grade`** sets the grade by hand, as an event `graded`, when no defects were
recorded in this cycle (or when it is the grade the device already has). Over a
grade the defects gave, or a standing override, it is an override: only
managers and admins (403 `forbidden` with `permission: "override_grade"` for
others), and `reason` is required (400 with `field: "reason"`). The override is
an event `grade_overridden` with `previous_grade`, `grade`, `computed_grade` and
`reason`; it stands, even when defects are recorded again, until a manager
clears it on the work card. A new cycle starts with no defects and no grade.
"""


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
STAGE = {"type": "string", "enum": list(STAGES)}
LOCATION_CODE = "^L[0-9]{5}[0-9A-Z]$"
PRICE = {
    "type": "string",
    "pattern": "^[0-9]+[.][0-9]{2}$",
    "description": "Euros, as text so the cents stay exact.",
}

DEVICE_PROPERTIES: dict[str, Any] = {
    "asset_tag": {
        "type": "string",
        "pattern": "^A[0-9]{7}[0-9A-Z]$",
        "description": "The workshop's code: A, seven digits and a check character.",
    },
    "serial_number": _nullable(STRING),
    "identifiers": {"type": "array", "items": _ref("Identifier")},
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "make": STRING,
    "model": STRING,
    "specs": {"type": "object"},
    "weight_kg": _nullable({"type": "number", "minimum": 0}),
    "lot": _nullable({"type": "string", "description": "The code of the donor lot."}),
    "location": _nullable(
        {
            "type": "string",
            "pattern": LOCATION_CODE,
            "description": "The code of the warehouse location it was put at, if any.",
        }
    ),
    "stage": STAGE,
    "stage_entered_at": TIME,
    "grade": _nullable({"type": "string", "enum": list(GRADES)}),
    "cycle": {
        "type": "integer",
        "minimum": 1,
        "description": "How many times the device has come into the workshop.",
    },
    "received_at": TIME,
    "allowed_moves": {
        "type": "array",
        "items": STAGE,
        "description": "The stages the device may move to from where it is.",
    },
    "assigned_to": _nullable(
        {"type": "string", "description": "The username of whoever is assigned the device now."}
    ),
}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Identifier": _object(
            {"kind": {"type": "string", "enum": list(IDENTIFIER_KINDS)}, "value": STRING}
        ),
        "Device": _object(DEVICE_PROPERTIES, "A device as the workshop knows it now."),
        "Grading": _object(
            {
                "defects": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(DEFECT_CODES)},
                    "description": "The codes of the defects found in the current cycle.",
                },
                "computed_grade": {"type": "string", "enum": list(GRADES)},
                "recorded_by": _nullable({"type": "string", "description": "A username."}),
                "recorded_at": TIME,
                "override": {
                    "anyOf": [
                        _object(
                            {
                                "grade": {"type": "string", "enum": list(GRADES)},
                                "reason": STRING,
                                "by": _nullable({"type": "string", "description": "A username."}),
                                "at": TIME,
                            }
                        ),
                        {"type": "null"},
                    ],
                    "description": "A manager's grade standing in place of the computed one.",
                },
            },
            "The defects recorded for the current cycle, the grade the rule gives them, and "
            "any override.",
        ),
        "GradeResult": _object(
            {
                **DEVICE_PROPERTIES,
                "grading": {
                    "anyOf": [_ref("Grading"), {"type": "null"}],
                    "description": "Null while no defects were recorded in this cycle.",
                },
            },
            "The device with its grade, and where the grade comes from.",
        ),
        "DeviceWithEvents": _object(
            {
                **DEVICE_PROPERTIES,
                "events": {"type": "array", "items": _ref("Event")},
                "diagnostics": {
                    "type": "array",
                    "items": _ref("DiagnosticRun"),
                    "description": "Every bench run of the device, in every cycle, newest first.",
                },
                "erasures": {
                    "type": "array",
                    "items": _ref("ErasureRecord"),
                    "description": "Every drive erased, in every cycle, oldest first.",
                },
            },
            "A device and its whole history, oldest event first, with its bench runs and "
            "erasure records.",
        ),
        "DiagnosticRun": _object(
            {
                "id": {"type": "integer"},
                "script": {"type": "string", "enum": list(SCRIPT_NAMES)},
                "cycle": {"type": "integer", "minimum": 1},
                "outcome": {
                    "type": "string",
                    "enum": list(OUTCOMES),
                    "description": "pass; fail: the device is faulty; error or timeout: the "
                    "test setup failed; aborted: stopped, or still running.",
                },
                "running": {
                    "type": "boolean",
                    "description": "True while the run has not ended (outcome aborted meanwhile).",
                },
                "code": STRING,
                "message": STRING,
                "bench": {"anyOf": [_ref("BenchIdentity"), {"type": "null"}]},
                "operator": _nullable({"type": "string", "description": "A username."}),
                "station": STRING,
                "started_at": TIME,
                "ended_at": _nullable(TIME),
                "limits": {
                    "type": "object",
                    "description": "The limits applied, by measurement: {low, high}.",
                },
                "steps": {"type": "array", "items": {"type": "object"}},
                "drives": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "The drives the bench reported: model, serial, "
                    "capacity_bytes, type.",
                },
                "measurements": {"type": "array", "items": _ref("Measurement")},
            },
            "One run of a diagnostic script on a bench.",
        ),
        "BenchIdentity": _object(
            {"maker": STRING, "model": STRING, "serial": STRING, "firmware": STRING},
            "A bench, as it answered *IDN?.",
        ),
        "Measurement": _object(
            {
                "step": STRING,
                "name": STRING,
                "value": _nullable({"type": "number"}),
                "unit": STRING,
                "low": _nullable({"type": "number"}),
                "high": _nullable({"type": "number"}),
                "required": {"type": "boolean"},
                "outcome": {"type": "string", "enum": list(MEASUREMENT_OUTCOMES)},
            },
            "One value a run measured and the limits it was held against.",
        ),
        "ErasureRecord": _object(
            {
                "id": {"type": "integer"},
                "cycle": {"type": "integer", "minimum": 1},
                "run": _nullable(
                    {
                        "type": "integer",
                        "description": "The bench run; null when erased elsewhere or destroyed.",
                    }
                ),
                "drive_model": STRING,
                "drive_serial": STRING,
                "capacity_bytes": {"type": "integer", "minimum": 0},
                "drive_type": {"type": "string", "enum": list(DRIVE_TYPES)},
                "method": {
                    "type": "string",
                    "enum": [*ERASURE_METHODS, DESTROY],
                    "description": "How it was erased, or DESTROY for a drive destroyed.",
                },
                "nist_category": {"type": "string", "enum": [*NIST_CATEGORIES, NIST_DESTROY]},
                "tool": {
                    "type": "string",
                    "description": "The bench, or the tool used elsewhere; empty when destroyed.",
                },
                "operator": _nullable({"type": "string", "description": "A username."}),
                "started_at": TIME,
                "ended_at": TIME,
                "verified": {
                    "type": "boolean",
                    "description": "Whether the erasure was verified; always true when destroyed.",
                },
                "verification": STRING,
                "manual": {
                    "type": "boolean",
                    "description": "True for a drive erased elsewhere or destroyed, recorded by "
                    "hand.",
                },
                "log": {"type": "string", "description": "The tool's log, for a manual record."},
                "recorded_by": _nullable({"type": "string", "description": "A username."}),
                "recorded_at": TIME,
                "destroyed": {
                    "type": "boolean",
                    "description": "True for a drive pulled out and physically destroyed instead "
                    "of erased: method DESTROY, NIST SP 800-88 Destroy; its dates are when it was "
                    "destroyed.",
                },
                "destruction": _nullable(
                    {
                        "type": "string",
                        "enum": list(DESTRUCTIONS),
                        "description": "How it was destroyed; null for an erasure.",
                    }
                ),
                "reference": {
                    "type": "string",
                    "description": "The destruction company's certificate number or the locked "
                    "bin's batch; empty for an erasure.",
                },
                "replaced": {
                    "type": "boolean",
                    "description": "For a drive destroyed: another drive was put in its place.",
                },
            },
            "One drive erased (by which method, NIST SP 800-88 category, tool and person) or "
            "destroyed (`destroyed`, how, and the destruction's reference).",
        ),
        "NoStorage": _object(
            {
                "asset_tag": STRING,
                "cycle": {"type": "integer", "minimum": 1},
                "note": STRING,
                "declared_by": _nullable({"type": "string", "description": "A username."}),
                "declared_at": TIME,
            },
            "The device has no storage in this cycle: no drive to erase.",
        ),
        "IntakeResult": _object(
            {
                **DEVICE_PROPERTIES,
                "new_cycle": {
                    "type": "boolean",
                    "description": "True when a device that had left (sold or recycled) "
                    "came back and started a new cycle on its record.",
                },
            },
            "The device just received.",
        ),
        "DevicePage": _object(
            {
                "items": {"type": "array", "items": _ref("Device")},
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
            },
            "One page of devices, the newest first.",
        ),
        "Event": _object(
            {
                "id": {"type": "integer"},
                "kind": {"type": "string", "examples": ["intake", "stage_change", "graded"]},
                "from_stage": _nullable(STAGE),
                "to_stage": _nullable(STAGE),
                "entered_by": _nullable({"type": "string", "description": "A username."}),
                "performed_by": _nullable({"type": "string", "description": "A username."}),
                "occurred_at": TIME,
                "recorded_at": TIME,
                "payload": {"type": "object"},
            },
            "One entry of the append-only event log.",
        ),
        "Lot": _object(
            {
                "code": STRING,
                "donor": STRING,
                "received_on": _nullable({"type": "string", "format": "date"}),
                "reference": STRING,
                "note": STRING,
                "created_at": TIME,
            },
            "A collection from one donor.",
        ),
        "LotList": _object({"items": {"type": "array", "items": _ref("Lot")}}),
        "Location": {
            **_object(
                {
                    "code": {
                        "type": "string",
                        "pattern": LOCATION_CODE,
                        "description": "L, five digits and a check character, as on its label.",
                    },
                    "name": STRING,
                    "kind": {"type": "string", "enum": list(LOCATION_KINDS)},
                    "active": {"type": "boolean"},
                    "created_at": TIME,
                    "devices": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "How many devices in stock sit there (in lists).",
                    },
                },
                "A place in the warehouse: a shelf, bin, pallet or area.",
            ),
            "required": ["code", "name", "kind", "active", "created_at"],
        },
        "LocationList": _object({"items": {"type": "array", "items": _ref("Location")}}),
        "Assignment": _object(
            {
                "asset_tag": STRING,
                "technician": {"type": "string", "description": "A username."},
                "stage": {**STAGE, "description": "The stage the device was in when assigned."},
                "assigned_by": _nullable(
                    {"type": "string", "description": "A username; null when claimed."}
                ),
                "started_at": TIME,
                "ended_at": _nullable(TIME),
                "end_reason": _nullable({"type": "string", "enum": list(ASSIGNMENT_END_REASONS)}),
                "device": _ref("Device"),
            },
            "A device given to one person for one stage; `ended_at` is null while it lasts.",
        ),
        "AssignmentList": _object({"items": {"type": "array", "items": _ref("Assignment")}}),
        "Staff": _object(
            {
                "username": STRING,
                "name": STRING,
                "active": {
                    "type": "boolean",
                    "description": "False when the account is deactivated: the badge logs no one in.",
                },
            },
            "The holder of a staff badge. Never their PIN.",
        ),
        "ScanResult": {
            "type": "object",
            "description": "What a scanned code is. `device` is present when kind is device, "
            "`location` when kind is location, `staff` when kind is staff (a badge), `part` "
            "when kind is part (a spare part's label); `message` says why a code is unknown or "
            "invalid, or that a badge or a part is not a device.",
            "properties": {
                "kind": {
                    "type": "string",
                    "enum": ["device", "location", "staff", "part", "unknown", "invalid"],
                },
                "code": {"type": "string", "description": "The code as normalized."},
                "device": _ref("Device"),
                "location": _ref("Location"),
                "staff": _ref("Staff"),
                "part": _ref("Part"),
                "message": STRING,
            },
            "required": ["kind", "code"],
            "additionalProperties": False,
        },
        "DeviceChecks": _object(
            {
                "asset_tag": STRING,
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "cycle": {"type": "integer", "minimum": 1},
                "complete": {
                    "type": "boolean",
                    "description": "True when every active check is answered and none failed: "
                    "what `ready` requires.",
                },
                "unanswered": {
                    "type": "array",
                    "items": STRING,
                    "description": "Codes of the active checks not answered in this cycle.",
                },
                "failed": {
                    "type": "array",
                    "items": STRING,
                    "description": "Codes of the active checks whose latest answer is fail.",
                },
                "checks": {"type": "array", "items": _ref("CheckAnswer")},
            },
            "A device's manual checks in its current cycle, in the checklist's order.",
        ),
        "CheckAnswer": _object(
            {
                "item": {"type": "string", "description": "The check's code."},
                "label_en": STRING,
                "label_fr": STRING,
                "active": {
                    "type": "boolean",
                    "description": "False for a retired check, listed because it was answered.",
                },
                "result": _nullable({"type": "string", "enum": list(CHECK_RESULTS)}),
                "note": STRING,
                "answered_by": _nullable({"type": "string", "description": "A username."}),
                "answered_at": _nullable(TIME),
            },
            "One check and its latest answer in this cycle (result null: not answered).",
        ),
        "ErrorDetail": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": list(ERROR_CODES)},
                "message": {"type": "string", "description": "A sentence for people."},
                "field": {
                    "type": "string",
                    "description": "The body member or query parameter at fault.",
                },
                "allowed": {
                    "type": "array",
                    "items": STRING,
                    "description": "The values (or stages to move to) that are allowed.",
                },
                "missing": {
                    "type": "array",
                    "items": STRING,
                    "description": "What the device lacks to enter the stage.",
                },
                "stage": STAGE,
                "asset_tag": STRING,
                "device": _ref("Device"),
                "refused": {
                    "type": "array",
                    "items": _ref("RefusedDevice"),
                    "description": "With `not_ready`: every device that could not be sold.",
                },
            },
            "required": ["code", "message"],
        },
        "Error": _object({"error": _ref("ErrorDetail")}),
        "RefusedDevice": _object(
            {"asset_tag": STRING, "stage": STAGE}, "A device refused and the stage it is in."
        ),
        "SaleOrder": _object(
            {
                "id": {"type": "integer"},
                "number": {"type": "string", "description": "The number printed on receipts."},
                "customer": STRING,
                "channel": {"type": "string", "enum": list(SALE_CHANNELS)},
                "reference": STRING,
                "status": {"type": "string", "enum": list(SALE_STATUSES)},
                "created_by": _nullable({"type": "string", "description": "A username."}),
                "created_at": TIME,
                "completed_at": _nullable(TIME),
                "lines": {"type": "array", "items": _ref("SaleOrderLine")},
                "total": PRICE,
            },
            "A sale order and the devices sold in it.",
        ),
        "SaleOrderLine": _object(
            {
                "asset_tag": STRING,
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "make": STRING,
                "model": STRING,
                "grade": _nullable({"type": "string", "enum": list(GRADES)}),
                "price": PRICE,
            }
        ),
        "AlreadyReceivedError": _object(
            {
                "error": {
                    "allOf": [
                        _ref("ErrorDetail"),
                        {
                            "type": "object",
                            "properties": {"received_at": TIME},
                            "required": ["device", "asset_tag", "received_at", "stage"],
                        },
                    ]
                }
            },
            "The serial is already in the workshop: `device` is the device that holds it.",
        ),
    }
    schemas.update(_job_schemas())
    for body in BODIES:
        schemas[body.name] = body.json_schema()
    return schemas


JOB_STATES_TEXT = (
    "queued: waiting for the station's bench agent; running: claimed, its run started; done; "
    "cancelled: stopped before or during the run; lost: the agent stopped reporting, its run "
    "ended as `error` with code `agent_lost`."
)


def _job_schemas() -> dict[str, Any]:
    job = {
        "id": {"type": "integer"},
        "asset_tag": STRING,
        "script": {"type": "string", "enum": list(SCRIPT_NAMES)},
        "station": STRING,
        "state": {"type": "string", "enum": list(JOB_STATES), "description": JOB_STATES_TEXT},
        "requested_by": _nullable({"type": "string", "description": "A username."}),
        "requested_at": TIME,
        "claimed_at": _nullable(TIME),
        "heartbeat_at": _nullable(
            {**TIME, "description": "The agent's latest report (progress or claim)."}
        ),
        "ended_at": _nullable(TIME),
        "percent": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
        "message": STRING,
        "abort_requested": {"type": "boolean"},
        "run": _nullable({"type": "integer", "description": "The run's id, once claimed."}),
        "outcome": _nullable(
            {"type": "string", "enum": list(OUTCOMES), "description": "The run's, once ended."}
        ),
    }
    limit = _object({"low": _nullable({"type": "number"}), "high": _nullable({"type": "number"})})
    return {
        "BenchJob": _object(job, "A script asked of a station's bench, and how far it is."),
        "BenchJobList": _object({"items": {"type": "array", "items": _ref("BenchJob")}}),
        "ClaimedJob": _object(
            {
                **job,
                "limits": {
                    "type": "object",
                    "additionalProperties": limit,
                    "description": "The limits to apply, by measurement: the script's defaults "
                    "with the administrator's for the device's category.",
                },
            },
            "The job the agent now runs, with the limits to apply.",
        ),
        "ProgressAnswer": _object(
            {"abort": {"type": "boolean", "description": "True: stop the run, report it aborted."}}
        ),
    }


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSES = {
    "Invalid": _error("400 `invalid`: the body or a parameter is wrong; `field` names it."),
    "Unauthorized": _error(
        "401 `unauthorized`: no token, or one that is unknown or revoked.",
        {"WWW-Authenticate": {"schema": STRING, "description": "Bearer"}},
    ),
    "Forbidden": _error("403 `forbidden`: the role lacks the endpoint's permission."),
    "NotFound": _error("404 `not_found`: no device has this asset tag."),
    "TooLarge": _error("413 `too_large`: the body is over 64 KiB."),
    "UnsupportedMediaType": _error("415 `unsupported_media_type`: the body is not JSON."),
    "Busy": _error(
        "503 `busy`: the database did not answer in time; nothing was saved.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}


def _ok(description: str, schema: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _shared(*names: str) -> dict[str, Any]:
    statuses = {
        "Invalid": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "TooLarge": "413",
        "UnsupportedMediaType": "415",
        "Busy": "503",
    }
    return {statuses[name]: {"$ref": f"#/components/responses/{name}"} for name in names}


WRITE_ERRORS = ("Invalid", "Unauthorized", "Forbidden", "TooLarge", "UnsupportedMediaType", "Busy")
READ_ERRORS = ("Unauthorized", "Forbidden", "Busy")
# Endpoints that take larger bodies document their own 413.
LARGE_WRITE_ERRORS = ("Invalid", "Unauthorized", "Forbidden", "UnsupportedMediaType", "Busy")
CONFLICT = "409 `conflict`: someone changed the device at the same moment; nothing was saved."

ASSET_TAG = {
    "name": "asset_tag",
    "in": "path",
    "required": True,
    "description": "The device's asset tag (case and blanks do not matter).",
    "schema": {"type": "string"},
}

JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "description": "The job's number, as the claim gave it.",
    "schema": {"type": "integer"},
}


def _operation(
    operation_id: str,
    summary: str,
    permission: str | None,
    responses: dict[str, Any],
    *,
    body: Body | None = None,
    parameters: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if permission is None:
        operation["security"] = []
        operation["x-permission"] = None
    else:
        roles = ", ".join(sorted(PERMISSIONS[permission]))
        description = f"{description}\n\nPermission `{permission}`: roles {roles}.".strip()
        operation["x-permission"] = permission
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body.name)}},
        }
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _query_parameters() -> list[dict[str, Any]]:
    parameters = []
    for field in DEVICE_QUERY:
        schema = field.json_schema()
        description = schema.pop("description")
        kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
        schema["type"] = kind
        if "enum" in schema:
            schema["enum"] = [value for value in schema["enum"] if value is not None]
        parameters.append(
            {"name": field.name, "in": "query", "description": description, "schema": schema}
        )
    return parameters


REQUIRED = "; ".join(
    f"{category}: {', '.join(scripts)}" for category, scripts in REQUIRED_SCRIPTS.items()
)


def _label_operation() -> dict[str, Any]:
    """GET /devices/{asset_tag}/label.pdf: the asset label, drawn on the medium asked for."""
    media = ", ".join(f"`{name}` ({medium.title})" for name, medium in MEDIA.items())
    return _operation(
        "getDeviceLabel",
        "A device's asset label as PDF",
        "print_labels",
        {
            "200": {
                "description": "One label: Code 128 barcode of the asset tag, the tag in clear, "
                "make and model, the workshop's name. Roll media give one page of the label's "
                "size; sheet media one sheet with the label in the first position.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            },
            **_shared("Invalid", "NotFound", *READ_ERRORS),
        },
        parameters=[
            ASSET_TAG,
            {
                "name": "medium",
                "in": "query",
                "description": f"The label medium, {DEFAULT_MEDIUM} by default: {media}. "
                'Another name is 400 `invalid` with `field: "medium"`.',
                "schema": {"type": "string", "enum": list(MEDIA), "default": DEFAULT_MEDIUM},
            },
        ],
        description="Never an empty PDF: an unknown tag is 404, an unknown medium 400.",
    )


def _paths() -> dict[str, Any]:
    created_device = {"Location": {"schema": STRING, "description": "The device's address."}}
    return {
        "/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This document",
                None,
                {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
                description="Needs no token.",
            )
        },
        "/devices": {
            "post": _operation(
                "receiveDevice",
                "Receive a device by its manufacturer serial",
                "intake",
                {
                    "201": _ok(
                        "Received: a new device, or one that came back (`new_cycle`).",
                        "IntakeResult",
                        created_device,
                    ),
                    "409": {
                        "description": "409 `already_received`: the serial is already in the "
                        "workshop; the message says when and under which asset tag, and "
                        "`device` is that device. Nothing was created. 409 `conflict`: another "
                        "terminal changed the same records at the same moment.",
                        "content": {
                            "application/json": {
                                "schema": {"anyOf": [_ref("AlreadyReceivedError"), _ref("Error")]}
                            }
                        },
                    },
                    **_shared(*WRITE_ERRORS),
                },
                body=INTAKE,
                description="A serial that belongs to a device that had left (sold or "
                "recycled) starts a new cycle on the same record, its history kept. A `lot` "
                'that names no lot is 400 `invalid` with `field: "lot"`.',
            ),
            "get": _operation(
                "listDevices",
                "Search and filter devices",
                "view_devices",
                {
                    "200": _ok("One page of devices, the newest first.", "DevicePage"),
                    **_shared("Invalid", *READ_ERRORS),
                },
                parameters=_query_parameters(),
                description="Unknown parameters are refused (400) so that a typo does not "
                "silently return everything.",
            ),
        },
        "/devices/{asset_tag}": {
            "get": _operation(
                "getDevice",
                "A device with its history",
                "view_devices",
                {
                    "200": _ok("The device and its events, oldest first.", "DeviceWithEvents"),
                    **_shared("NotFound", *READ_ERRORS),
                },
                parameters=[ASSET_TAG],
            )
        },
        "/devices/{asset_tag}/label.pdf": {"get": _label_operation()},
        "/devices/{asset_tag}/transitions": {
            "post": _operation(
                "moveDevice",
                "Move a device to another stage",
                "move",
                {
                    "200": _ok("Moved: the device in its new stage.", "Device"),
                    "409": _error(
                        "409 `illegal_transition`: the lifecycle does not allow the move; "
                        "`allowed` lists the moves that are. 409 `gate_unmet`: the device "
                        "lacks what the stage requires; `missing` lists it. " + CONFLICT + " "
                        "Also `conflict` when `from` is given and the device is no longer there."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=TRANSITION,
                parameters=[ASSET_TAG],
                description="A move to `recycled` needs a `reason` and, for a device never "
                "weighed, `weight_kg`; both are kept in the event for the yearly figures, and "
                "`weight_kg` also becomes the device's weight. Other moves refuse both (400). "
                "`sold` and `returned` are refused here (409 `illegal_transition`): a sale goes "
                "through `POST /sales` with its order, a return through `POST "
                "/devices/{asset_tag}/return` with its reason.",
            )
        },
        "/devices/{asset_tag}/return": {
            "post": _operation(
                "returnDevice",
                "Take back a sold device",
                "sell",
                {
                    "200": _ok("Taken back: the device in stage returned.", "Device"),
                    "409": _error(
                        "409 `illegal_transition`: only a sold device can be returned. " + CONFLICT
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=RETURN,
                parameters=[ASSET_TAG],
                description="The reason is kept in the event, with the order it was sold in.",
            )
        },
        "/sales": {
            "post": _operation(
                "sellDevices",
                "Sell devices to a customer",
                "sell",
                {
                    "201": _ok("Sold: the completed order.", "SaleOrder"),
                    "409": _error(
                        "409 `not_ready`: some devices are not ready for sale; `refused` "
                        "names every one with its stage, and nothing was sold. " + CONFLICT
                    ),
                    **_shared(*WRITE_ERRORS),
                },
                body=SALE,
                description="One call opens the order, adds the lines and completes it, in one "
                "transaction: every device is sold, or none. An asset tag that names no device "
                "is 400 `invalid` with `field` naming the line, like `lines[2].asset_tag`.",
            )
        },
        "/devices/{asset_tag}/grade": {
            "post": _operation(
                "gradeDevice",
                "Grade a device from its defects, or set or override its grade by hand",
                "grade",
                {
                    "200": _ok("Graded: the device, its grade and its grading.", "GradeResult"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device cannot be graded. "
                        + CONFLICT
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=GRADE,
                parameters=[ASSET_TAG],
                description=GRADE_RULE,
            )
        },
        "/scans": {
            "post": _operation(
                "scanCode",
                "Tell what a scanned code is",
                "scan",
                {
                    "200": _ok("What the code is; the scan was logged.", "ScanResult"),
                    **_shared(*WRITE_ERRORS),
                },
                body=SCAN,
                description="Every scan is kept in the scan log, whatever it turned out to be.",
            )
        },
        "/lots": {
            "get": _operation(
                "listLots",
                "Every donor lot, the newest first",
                "manage_lots",
                {"200": _ok("The lots.", "LotList"), **_shared(*READ_ERRORS)},
            ),
            "post": _operation(
                "openLot",
                "Record a collection that arrived from a donor",
                "manage_lots",
                {
                    "201": _ok("The lot, opened.", "Lot"),
                    "409": _error("409 `already_received`: a lot with this code exists."),
                    **_shared(*WRITE_ERRORS),
                },
                body=LOT,
            ),
        },
        "/devices/{asset_tag}/location": {
            "post": _operation(
                "putAwayDevice",
                "Put a device at a warehouse location",
                "put_away",
                {
                    "200": _ok("Put away: the device with its new location.", "Device"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left and "
                        "cannot be put away. 409 `conflict`: someone put the device elsewhere "
                        "at the same moment, or it is no longer where `from` says; nothing "
                        "was saved."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=PUT_AWAY,
                parameters=[ASSET_TAG],
                description="A location code that names no location, or one no longer in "
                'use, is 400 `invalid` with `field: "location"`. Each put-away is a '
                "`put_away` event with `from_location` and `to_location` in its payload.",
            )
        },
        "/devices/{asset_tag}/assignment": {
            "post": _operation(
                "assignDevice",
                "Assign a device to a technician for its current stage, or claim it",
                "work_queue",
                {
                    "200": _ok(
                        "The technician already had it: the assignment unchanged.", "Assignment"
                    ),
                    "201": _ok("Assigned: the new assignment.", "Assignment"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device cannot be assigned. "
                        "409 `conflict`: someone took the device at the same moment; the "
                        "message says who."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=ASSIGN,
                parameters=[ASSET_TAG],
                description="Whoever had the device is relieved (an event `reassigned`), then "
                "the new assignment is an event `assigned`. A `technician` that names no active "
                "user, or one whose role cannot hold devices (hr, warehouse), is 400 `invalid` "
                'with `field: "technician"`. Moving the device to another stage ends the '
                "assignment (`finished`). A technician (a role without the permission `assign`) "
                "may only name themselves: that claims a free device (an event `claimed`), and "
                "a device someone else holds is 409 `conflict` naming them; naming anyone else "
                "is 403.",
            ),
            "delete": _operation(
                "releaseDevice",
                "Release a device: it goes back to the pool, unassigned",
                "work_queue",
                {
                    "200": _ok("Released: the assignment, now ended.", "Assignment"),
                    "404": _error(
                        "404 `not_found`: no device has this asset tag, or no one is assigned it."
                    ),
                    **_shared(*READ_ERRORS),
                },
                parameters=[ASSET_TAG],
                description="The technician who holds the device may release it; anyone else "
                "needs the permission `assign` (403 otherwise).",
            ),
        },
        "/devices/{asset_tag}/checks": {
            "post": _operation(
                "answerChecks",
                "Answer some of a device's manual checks",
                "check_devices",
                {
                    "200": _ok("Recorded: the device's checks as they stand now.", "DeviceChecks"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left and its "
                        "checks cannot be answered."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=CHECKS,
                parameters=[ASSET_TAG],
                description="The checks of each category are kept by an administrator. "
                "Answering is one `checks` event carrying `results` and `notes`; answering a "
                "check again is a new event, and the latest answer counts. A device enters "
                "`ready` only when every active check of its category is answered in its "
                "current cycle with no fail (409 `gate_unmet` on the move otherwise, `missing` "
                "naming the checks). A code that is not on the category's list, a retired "
                "check, or a value other than pass, fail and na is 400 with `field` like "
                '`"results.webcam"`; a note for a check not in `results` is 400 with `field` '
                'like `"notes.webcam"`.',
            )
        },
        "/devices/{asset_tag}/diagnostics": {
            "post": _operation(
                "recordDiagnosticRun",
                "Store a diagnostic run's result from a bench agent",
                "record_diagnostics",
                {
                    "201": _ok("Stored: the run with its measurements.", "DiagnosticRun"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left and "
                        "cannot be tested. " + CONFLICT
                    ),
                    "413": _error("413 `too_large`: the body is over 8 MiB."),
                    **_shared("NotFound", *LARGE_WRITE_ERRORS),
                },
                body=DIAGNOSTIC,
                parameters=[ASSET_TAG],
                description="The fields of the runner's result. The run is stored with the "
                "caller as operator; each erased drive becomes an erasure record; the run and "
                "each erasure are events of the device (`diagnostic_started`, `erasure`, "
                "`diagnostic_run`). The limits applied are those the measurements carry. "
                "Entering `ready` needs, in the device's current cycle, a passing latest run "
                "of each script its category requires (" + REQUIRED + ") and an erasure "
                "record for every drive seen, or the device recorded as having no storage.",
            )
        },
        "/devices/{asset_tag}/erasures": {
            "post": _operation(
                "recordManualErasure",
                "Record a drive erased elsewhere, with the tool's log",
                "record_diagnostics",
                {
                    "201": _ok("Recorded: the erasure record, marked manual.", "ErasureRecord"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left. " + CONFLICT
                    ),
                    "413": _error("413 `too_large`: the body is over 1 MiB."),
                    **_shared("NotFound", *LARGE_WRITE_ERRORS),
                },
                body=MANUAL_ERASURE,
                parameters=[ASSET_TAG],
                description="For a drive erased by another tool or on another machine. The "
                "NIST SP 800-88 category follows the method: OVERWRITE is Clear, CRYPTO and "
                "SANITIZE are Purge. A verified manual record also stands in for the erasure "
                "run that `ready` asks for.",
            )
        },
        "/devices/{asset_tag}/destroyed-drives": {
            "post": _operation(
                "recordDestroyedDrive",
                "Record a drive pulled out and physically destroyed",
                "record_diagnostics",
                {
                    "201": _ok(
                        "Recorded: an erasure record with `destroyed` true, method DESTROY, NIST "
                        "category Destroy, as an event `drive_destroyed`.",
                        "ErasureRecord",
                    ),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left. 409 "
                        "`conflict`: the drive is already recorded as destroyed on the device "
                        "in this cycle (nothing more is saved), or someone changed the device "
                        "at the same moment."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=DESTROYED_DRIVE,
                parameters=[ASSET_TAG],
                description="For a drive that could not be erased (it is dying): pulled out and "
                "shredded, crushed, drilled, disintegrated or incinerated, here or by a "
                "destruction company. Name the drive by its serial: a drive the benches saw in "
                "the current cycle keeps the model, capacity and type they read; a drive no "
                "bench saw needs `drive_model`, `capacity_bytes` and `drive_type`. A drive is "
                "recorded as destroyed once per cycle. A destroyed drive no longer holds the "
                "device back from `ready`, but it is no erasure: it never stands in for the "
                "erasure run. When every drive known in the cycle was destroyed and none with "
                "`replaced` true, the device has no storage left and needs no disk-health or "
                "erasure run; a drive put in place of one destroyed must be erased like any "
                "other.",
            )
        },
        "/devices/{asset_tag}/no-storage": {
            "post": _operation(
                "recordNoStorage",
                "Record that a device has no storage",
                "record_diagnostics",
                {
                    "200": _ok("It was already recorded in this cycle: unchanged.", "NoStorage"),
                    "201": _ok("Recorded, as an event `no_storage`.", "NoStorage"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device has left. " + CONFLICT
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=NO_STORAGE,
                parameters=[ASSET_TAG],
                description="Send `{}` or a `note`. For the current cycle only: a device back "
                "for a new cycle is looked at again. Such a device needs no erasure record and "
                "no disk-health or erasure run to enter `ready`.",
            )
        },
        "/devices/{asset_tag}/jobs": {
            "post": _operation(
                "requestBenchJob",
                "Ask a station's bench to run a script on a device",
                "record_diagnostics",
                {
                    "201": _ok("Queued: the job, until the station's agent claims it.", "BenchJob"),
                    "409": _error(
                        "409 `illegal_transition`: a sold or recycled device cannot be tested. "
                        "409 `conflict`: the same script is already queued or running for the "
                        "device (`job` names it)."
                    ),
                    **_shared("NotFound", *WRITE_ERRORS),
                },
                body=JOB,
                parameters=[ASSET_TAG],
                description="The bench agent of `station` (`workshop bench agent --station "
                "NAME`) claims it when it has a bench for the script, runs it and reports "
                "progress and the result; an event `bench_job_requested`.",
            ),
            "get": _operation(
                "listBenchJobs",
                "A device's latest bench jobs, newest first, with their progress",
                "view_devices",
                {
                    "200": _ok("Up to 20 jobs.", "BenchJobList"),
                    **_shared("NotFound", *READ_ERRORS),
                },
                parameters=[ASSET_TAG],
                description="A running job whose agent has not reported for a while is marked "
                "`lost` first, its run ended as `error` (`agent_lost`): nothing stays running "
                "forever.",
            ),
        },
        "/agent/claim": {
            "post": _operation(
                "claimBenchJob",
                "A bench agent takes its station's oldest waiting job",
                "record_diagnostics",
                {
                    "200": _ok(
                        "The job, now running, with the limits to apply; its run is started.",
                        "ClaimedJob",
                    ),
                    "204": {"description": "No job waits for this station's benches."},
                    **_shared(*WRITE_ERRORS),
                },
                body=CLAIM,
                description="Only jobs of `station` whose script is in `scripts` are taken; "
                "two agents claiming at once never get the same job. The run is stored as "
                "started (an event `diagnostic_started`) before the agent opens the bench. "
                "Agents poll this every second or two.",
            )
        },
        "/agent/jobs/{job_id}/progress": {
            "post": _operation(
                "reportJobProgress",
                "A bench agent says how far its run is",
                "record_diagnostics",
                {
                    "200": _ok("Noted; `abort` says whether to stop the run.", "ProgressAnswer"),
                    "404": _error("404 `not_found`: no job has this number."),
                    "409": _error(
                        "409 `conflict`: the job is no longer running (lost, cancelled, done) "
                        "or another agent claimed it: stop working on it."
                    ),
                    **_shared(*WRITE_ERRORS),
                },
                body=PROGRESS,
                parameters=[JOB_ID],
                description="Each report is also a heartbeat: an agent silent for longer than "
                "the server's limit (60 s by default) has its job marked `lost`.",
            )
        },
        "/agent/jobs/{job_id}/result": {
            "post": _operation(
                "reportJobResult",
                "A bench agent sends its run's result",
                "record_diagnostics",
                {
                    "200": _ok(
                        "Stored: the run with its measurements. The same result sent again "
                        "(the agent never heard the answer) gives the same run, nothing added. "
                        "A job marked `lost` takes the late result of the agent that claimed "
                        "it: its run gets its real end, the job ends `done`.",
                        "DiagnosticRun",
                    ),
                    "404": _error("404 `not_found`: no job has this number."),
                    "409": _error(
                        "409 `conflict`: the job is no longer running (cancelled, done with "
                        "another result, or lost and sent by another agent) "
                        "or another agent claimed it; the result was not stored. "
                        "409 `illegal_transition`: the device has left."
                    ),
                    "413": _error("413 `too_large`: the body is over 8 MiB."),
                    **_shared(*LARGE_WRITE_ERRORS),
                },
                body=DIAGNOSTIC,
                parameters=[JOB_ID],
                description="The body is what `POST /devices/{asset_tag}/diagnostics` takes; "
                "it ends the run started at the claim (events `erasure` and `diagnostic_run`). "
                "A run stopped on request is sent with outcome `aborted`; the job then ends "
                "`cancelled`, otherwise `done`.",
            )
        },
        "/me/queue": {
            "get": _operation(
                "myQueue",
                "The caller's assigned devices, the oldest first",
                "work_queue",
                {"200": _ok("The caller's queue.", "AssignmentList"), **_shared(*READ_ERRORS)},
            )
        },
        "/locations": {
            "get": _operation(
                "listLocations",
                "Every warehouse location, in code order, with its device count",
                "manage_locations",
                {"200": _ok("The locations.", "LocationList"), **_shared(*READ_ERRORS)},
            ),
            "post": _operation(
                "createLocation",
                "Record a new shelf, bin, pallet or area",
                "manage_locations",
                {
                    "201": _ok("The location, with the code to print on its label.", "Location"),
                    **_shared(*WRITE_ERRORS),
                },
                body=LOCATION,
            ),
        },
    }


def _document_paths() -> dict[str, Any]:
    # That module imports this one's helpers: asked for when the document is built.
    from workshop.api.documents import document_paths

    return document_paths()


@cache
def _document() -> dict[str, Any]:
    # That module uses the endpoints' helpers, which load this one: asked for when built.
    from workshop.api.repairs import openapi_paths as repair_paths
    from workshop.api.repairs import openapi_schemas as repair_schemas

    return {
        "openapi": "3.1.0",
        "info": {"title": "Workshop API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths() | _document_paths() | impact_paths() | repair_paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `workshop tokens add USERNAME`.",
                }
            },
            "schemas": _schemas() | impact_schemas() | repair_schemas(),
            "responses": RESPONSES,
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document; a copy, so no caller can change the next one served."""
    return deepcopy(_document())
