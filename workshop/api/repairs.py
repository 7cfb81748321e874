"""Repairs and spare parts: record a repair, harvest a recycled device, find and receive parts."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from inventory import parts as stock
from inventory import repairs
from inventory.errors import N_, InvalidInput, NotFound
from inventory.locations import get_location
from inventory.models import CATEGORIES
from inventory.repair_models import PART_SOURCES, PART_STATES, Part, RepairAction
from workshop.api import bp
from workshop.api.auth import api_user, requires
from workshop.api.errors import commit
from workshop.api.routes import _load_device
from workshop.api.validation import Body, Field, _check_object, parse_query, read_json
from workshop.database import db

MAX_CODE = 40
MAX_LIST = 50

REPAIR = Body(
    "RepairRequest",
    (
        Field(
            "fault",
            "string",
            "The fault's code, from the device's category list.",
            required=True,
            max_length=MAX_CODE,
        ),
        Field("action", "string", "What was done, by code.", required=True, max_length=MAX_CODE),
        Field("minutes", "integer", "The technician's time, in minutes.", minimum=0, maximum=1440),
        Field("note", "string", "Free text kept with the repair.", max_length=2000),
    ),
)
PARTS_FIELD = {
    "type": ["array", "null"],
    "description": "The codes of the parts used, taken from stock with the repair.",
    "items": {"type": "string", "maxLength": 16},
    "maxItems": repairs.MAX_PARTS,
}
FITS_FIELD = {
    "type": ["array", "null"],
    "description": "Device models these parts fit, recorded as fits.",
    "items": {"type": "string", "maxLength": stock.MAX_MODEL},
    "maxItems": MAX_LIST,
}
NEW_PART_FIELDS = (
    Field("kind", "string", "The part kind's code (battery, ram, ssd...).", required=True),
    Field(
        "reference",
        "string",
        "The manufacturer's part number, or the fitting key of a generic part.",
        required=True,
        max_length=stock.MAX_REFERENCE,
    ),
    Field(
        "attributes",
        "map",
        'The attributes that matter for fitting, e.g. {"size_gb": "8"}.',
        max_length=100,
        max_items=stock.MAX_ATTRIBUTES,
    ),
    Field("location", "string", "The code of the shelf it goes on.", max_length=32),
)
HARVEST_PART = Body("HarvestedPart", NEW_PART_FIELDS)
HARVEST = Body(
    "HarvestRequest",
    (
        Field(
            "parts",
            "array",
            "The parts taken out of the recycled device.",
            required=True,
            items=HARVEST_PART,
            max_items=MAX_LIST,
        ),
    ),
)
RECEIVE = Body(
    "ReceivePartsRequest",
    (
        *NEW_PART_FIELDS,
        Field("supplier", "string", "Who sold them.", required=True, max_length=200),
        Field("unit_cost", "price", "The price of one part, in euros.", required=True),
        Field(
            "quantity",
            "integer",
            "How many identical parts (each gets its own code).",
            minimum=1,
            maximum=stock.MAX_QUANTITY,
        ),
    ),
)
PARTS_QUERY = (
    Field("fits", "string", "A device model: only parts that fit it.", max_length=200),
    Field("kind", "string", "Only parts of this kind.", max_length=MAX_CODE),
    Field(
        "near",
        "string",
        "The requesting station's location code: parts there come first.",
        max_length=32,
    ),
)


def _strings(value: Any, name: str, limit: int, max_items: int) -> list[str]:
    """A list of short texts, or a refusal naming the member."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        raise InvalidInput(
            N_("%(field)s is a list of at most %(limit)s texts."), field=name, limit=max_items
        )
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > limit:
            raise InvalidInput(
                N_("%(field)s is a text of at most %(limit)s characters."),
                field=f"{name}[{index}]",
                limit=limit,
            )
    return value


def _body_with_list(body: Body, name: str, limit: int, max_items: int) -> tuple[dict, list[str]]:
    data = read_json(body.max_bytes)
    listed = _strings(data.pop(name, None), name, limit, max_items)
    return _check_object(body, data), listed


def part_json(part: Part) -> dict[str, Any]:
    """A part as the API shows it."""
    return {
        "code": part.code,
        "kind": part.kind.code,
        "reference": part.reference,
        "attributes": part.attributes,
        "location": part.location.code if part.location is not None else None,
        "state": part.state,
        "source": part.source,
        "supplier": part.supplier,
        "unit_cost": None if part.unit_cost is None else f"{part.unit_cost:.2f}",
        "donor": part.donor.asset_tag if part.donor is not None else None,
        "received_at": part.received_at.isoformat(),
    }


def repair_json(repair: RepairAction) -> dict[str, Any]:
    """A repair action as the API shows it."""
    return {
        "id": repair.id,
        "asset_tag": repair.device.asset_tag,
        "cycle": repair.cycle,
        "fault": repair.fault,
        "action": repair.action,
        "parts": [part_json(part) for part in repair.parts],
        "minutes": repair.minutes,
        "note": repair.note,
        "technician": repair.technician.username if repair.technician is not None else None,
        "occurred_at": repair.occurred_at.isoformat(),
    }


@bp.post("/devices/<asset_tag>/repairs")
@requires("repair")
def record_repair(asset_tag: str) -> Any:
    """Record a repair action on a device in stage repair, its parts taken from stock."""
    found = _load_device(asset_tag)
    values, codes = _body_with_list(REPAIR, "parts", 16, repairs.MAX_PARTS)
    session = db()
    repair = repairs.record_repair(
        session,
        found,
        values["fault"],
        values["action"],
        codes,
        values.get("minutes"),
        values.get("note"),
        by=api_user(),
    )
    commit()
    return jsonify(repair_json(repair)), 201


@bp.post("/devices/<asset_tag>/harvest")
@requires("harvest_parts")
def harvest(asset_tag: str) -> Any:
    """Put parts taken out of a recycled device into stock, each with a code and its donor."""
    found = _load_device(asset_tag)
    data = read_json(HARVEST.max_bytes)
    raw = data.get("parts")
    fits = []
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, dict):
                fits.append(_strings(item.pop("fits", None), f"parts[{index}].fits", 200, MAX_LIST))
    values = _check_object(HARVEST, data)
    for item, models in zip(values["parts"], fits, strict=False):
        item["fits"] = models
    session = db()
    parts = stock.harvest(session, found, values["parts"], by=api_user())
    commit()
    return jsonify({"items": [part_json(part) for part in parts]}), 201


@bp.get("/parts")
@requires("view_parts")
def part_list() -> Any:
    """Parts in stock that fit a model (of a kind), nearest first."""
    values = parse_query(PARTS_QUERY)
    if "fits" not in values:
        raise InvalidInput(N_("Say which model the parts must fit: ?fits=<model>."), field="fits")
    session = db()
    kind = stock.get_kind(session, values["kind"]) if "kind" in values else None
    near = None
    if "near" in values:
        try:
            near = get_location(session, values["near"])
        except NotFound as error:
            raise InvalidInput(error.template, field="near", **error.details) from None
    found = stock.parts_that_fit(session, values["fits"], kind=kind, near=near)
    return jsonify({"items": [part_json(part) for part in found]})


@bp.post("/parts")
@requires("receive_parts")
def receive_parts() -> Any:
    """Receive bought parts into stock: one code each, one event for the delivery."""
    values, fits = _body_with_list(RECEIVE, "fits", 200, MAX_LIST)
    session = db()
    parts = stock.receive_parts(
        session,
        {**values, "fits": fits},
        quantity=values.get("quantity", 1),
        supplier=values["supplier"],
        unit_cost=values["unit_cost"],
        by=api_user(),
    )
    commit()
    return jsonify({"items": [part_json(part) for part in parts]}), 201


# -- the OpenAPI description (workshop/api/openapi.py merges it) ------------------------------

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}


def _with(body: Body, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    document = body.json_schema()
    document["properties"][name] = schema
    return document


def openapi_schemas() -> dict[str, Any]:
    """The repair and part schemas."""
    part = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "pattern": "^P[0-9]{6}[0-9A-Z]$"},
            "kind": _STRING,
            "reference": _STRING,
            "attributes": {"type": "object"},
            "location": _NULLABLE_STRING,
            "state": {"type": "string", "enum": list(PART_STATES)},
            "source": {"type": "string", "enum": list(PART_SOURCES)},
            "supplier": _STRING,
            "unit_cost": {**_NULLABLE_STRING, "description": "Euros, for a bought part."},
            "donor": {
                **_NULLABLE_STRING,
                "description": "The asset tag of the device a harvested part came from.",
            },
            "received_at": {"type": "string", "format": "date-time"},
        },
    }
    part["required"] = list(part["properties"])
    repair = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "asset_tag": _STRING,
            "cycle": {"type": "integer", "minimum": 1},
            "fault": _STRING,
            "action": _STRING,
            "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
            "minutes": {"type": ["integer", "null"]},
            "note": _STRING,
            "technician": _NULLABLE_STRING,
            "occurred_at": {"type": "string", "format": "date-time"},
        },
    }
    repair["required"] = list(repair["properties"])
    harvest_part = _with(HARVEST_PART, "fits", FITS_FIELD)
    harvest_body = HARVEST.json_schema()
    harvest_body["properties"]["parts"]["items"] = harvest_part
    return {
        "Part": part,
        "PartList": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}}
            },
        },
        "RepairAction": repair,
        REPAIR.name: _with(REPAIR, "parts", PARTS_FIELD),
        HARVEST.name: harvest_body,
        RECEIVE.name: _with(RECEIVE, "fits", FITS_FIELD),
    }


def openapi_paths() -> dict[str, Any]:
    """The repair and part endpoints."""
    # Imported here: openapi.py imports this module to merge what it returns.
    from workshop.api.openapi import ASSET_TAG, READ_ERRORS, WRITE_ERRORS, _error, _ok, _operation
    from workshop.api.openapi import _shared as shared

    categories = ", ".join(CATEGORIES)
    query = []
    for field in PARTS_QUERY:
        schema = field.json_schema()
        query.append(
            {
                "name": field.name,
                "in": "query",
                "required": field.name == "fits",
                "description": schema.pop("description"),
                "schema": {"type": "string", "maxLength": field.max_length},
            }
        )
    return {
        "/devices/{asset_tag}/repairs": {
            "post": _operation(
                "recordRepair",
                "Record a repair action on a device in stage repair",
                "repair",
                {
                    "201": _ok("Recorded: the repair with the parts it used.", "RepairAction"),
                    "409": _error(
                        "409 `conflict`: a part is not in stock (already used, perhaps by "
                        "someone at the same moment); nothing was saved. 409 "
                        "`illegal_transition`: the device is not in stage repair."
                    ),
                    **shared("NotFound", *WRITE_ERRORS),
                },
                body=REPAIR,
                parameters=[ASSET_TAG],
                description="Faults are coded per category (" + categories + "), actions "
                "for all; an administrator keeps both lists. One `repair` event per action; "
                "the parts named are taken from stock in the same transaction. Afterwards "
                "`ready` needs the manual checks and diagnostic scripts the fault touches to "
                "be done again (409 `gate_unmet` on the move otherwise). A part code that "
                'names no part is 400 with `field: "parts"`.',
            )
        },
        "/devices/{asset_tag}/harvest": {
            "post": _operation(
                "harvestParts",
                "Put parts taken out of a recycled device into stock",
                "harvest_parts",
                {
                    "201": _ok("The parts, each with its code and the donor.", "PartList"),
                    "409": _error(
                        "409 `illegal_transition`: the device is not recycled: parts are "
                        "harvested only from recycled devices."
                    ),
                    **shared("NotFound", *WRITE_ERRORS),
                },
                body=HARVEST,
                parameters=[ASSET_TAG],
                description="One `harvest` event on the donor, naming the part codes. "
                "Each part goes on the shelf `location` if given.",
            )
        },
        "/parts": {
            "get": _operation(
                "findParts",
                "Parts in stock that fit a device model, nearest first",
                "view_parts",
                {
                    "200": _ok("Up to 100 parts.", "PartList"),
                    **shared("Invalid", *READ_ERRORS),
                },
                parameters=query,
                description="Nearest first: the parts at the location `near` (the requesting "
                "station's shelf), then the others in location code order, then those not "
                "put away.",
            ),
            "post": _operation(
                "receiveParts",
                "Receive bought parts into stock",
                "receive_parts",
                {
                    "201": _ok("The parts received, each with its own code.", "PartList"),
                    **shared(*WRITE_ERRORS),
                },
                body=RECEIVE,
                description="One `parts_received` event for the delivery. `fits` records the "
                "models the parts fit, for the parts finder.",
            ),
        },
    }
