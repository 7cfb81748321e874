"""The shape of what clients send: JSON bodies and query strings, checked before any service.

Each body and query is declared once here; the endpoints validate with it and
the OpenAPI document is drawn from it, so the two cannot drift apart. Business
rules (is this serial already here, may this device move) stay in `inventory/`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import request

from diagnostics.records import MAX_CAPACITY, MAX_LOG, MAX_REFERENCE, SCRIPT_NAMES
from diagnostics.results import OUTCOMES
from inventory.devices import MAX_PER_PAGE
from inventory.errors import N_, InvalidInput
from inventory.grading import DEFECT_CODES, MAX_REASON
from inventory.lifecycle import STAGES
from inventory.models import (
    CATEGORIES,
    CHECK_RESULTS,
    DESTRUCTIONS,
    DRIVE_TYPES,
    ERASURE_METHODS,
    GRADES,
    LOCATION_KINDS,
    MEASUREMENT_OUTCOMES,
    NIST_CATEGORIES,
    SALE_CHANNELS,
)
from workshop.api.errors import TooLarge, UnsupportedMediaType

# The largest body any endpoint needs is a few hundred bytes; this leaves room
# for long notes while keeping a runaway client from filling memory.
MAX_BODY = 64 * 1024
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
PRICE = re.compile(r"[0-9]{1,8}([.][0-9]{1,2})?")
# The longest member name a "map" field accepts (check codes are at most 40).
MAX_MEMBER_NAME = 40
# Tabs and line breaks are harmless in text; other control characters are not.
ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class Field:
    """One member of a body or one query parameter, with its type and limits."""

    name: str
    # "string", "number", "integer", "date", "price", "array", "codes", "map", "boolean",
    # "datetime" (ISO 8601 with its UTC offset) or "object" (the Body in `items`)
    kind: str
    description: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    # Scanners may send control characters (GS1 separators); the scan endpoint
    # reports those codes as invalid instead of refusing the request.
    controls: bool = False
    # For "array": the object each item must be, and how many items at most.
    items: Body | None = None
    max_items: int | None = None
    # For "array": the fewest items it may hold (a run may end before measuring anything).
    min_items: int = 1

    def json_schema(self) -> dict[str, Any]:
        """This field as a JSON Schema (OpenAPI 3.1) property."""
        if self.kind == "codes":
            assert self.choices is not None
            return {
                "type": "array",
                "description": self.description,
                "items": {"type": "string", "enum": list(self.choices)},
                "uniqueItems": True,
                "maxItems": len(self.choices),
            }
        if self.kind == "map":
            # An object whose member names are chosen by the client (check codes).
            values: dict[str, Any] = {"type": "string"}
            if self.choices is not None:
                values["enum"] = list(self.choices)
            if self.max_length is not None:
                values["maxLength"] = self.max_length
            schema_map: dict[str, Any] = {
                "type": "object" if self.required else ["object", "null"],
                "description": self.description,
                "propertyNames": {"maxLength": MAX_MEMBER_NAME},
                "additionalProperties": values,
                "maxProperties": self.max_items,
            }
            if self.required:
                schema_map["minProperties"] = 1
            return schema_map
        if self.kind == "array":
            assert self.items is not None
            return {
                "type": "array",
                "description": self.description,
                "items": self.items.json_schema(),
                "minItems": self.min_items,
                "maxItems": self.max_items,
            }
        if self.kind == "object":
            assert self.items is not None
            inner = {**self.items.json_schema(), "description": self.description}
            if self.required:
                return inner
            return {"anyOf": [inner, {"type": "null"}], "description": self.description}
        if self.kind == "boolean":
            return {
                "type": "boolean" if self.required else ["boolean", "null"],
                "description": self.description,
            }
        if self.kind == "price":
            kinds = ["number", "string"] + ([] if self.required else ["null"])
            return {
                "type": kinds,
                "description": self.description,
                "minimum": 0,
                "pattern": "^[0-9]{1,8}([.][0-9]{1,2})?$",
            }
        base = {
            "string": "string",
            "date": "string",
            "datetime": "string",
            "number": "number",
            "integer": "integer",
        }
        kind = base[self.kind]
        schema: dict[str, Any] = {"type": kind if self.required else [kind, "null"]}
        schema["description"] = self.description
        if self.kind == "date":
            schema["format"] = "date"
        if self.kind == "datetime":
            schema["format"] = "date-time"
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.choices is not None:
            schema["enum"] = list(self.choices) + ([] if self.required else [None])
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


@dataclass(frozen=True)
class Body:
    """A JSON object an endpoint accepts: a name for the document, and its fields."""

    name: str
    fields: tuple[Field, ...]
    # Members of which exactly one must be given (e.g. a grade, or the defects).
    one_of: tuple[str, ...] = ()
    # The largest body accepted, in bytes (a run's transcript needs more than most).
    max_bytes: int = MAX_BODY

    def json_schema(self) -> dict[str, Any]:
        """The body as a JSON Schema object that refuses unknown members."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {field.name: field.json_schema() for field in self.fields},
            "required": [field.name for field in self.fields if field.required],
            "additionalProperties": False,
        }
        if self.one_of:
            schema["oneOf"] = [{"required": [name]} for name in self.one_of]
        return schema


def _text_problem(field: Field, value: str) -> str | None:
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return N_("%(field)s holds a broken character (a lone surrogate).")
        if category == "Cc" and char not in ALLOWED_CONTROLS and not field.controls:
            return N_("%(field)s holds control characters.")
    return None


def _check(field: Field, value: Any, name: str | None = None) -> Any:
    """The value if it fits the field, else InvalidInput naming the field."""
    name = name or field.name
    if field.kind == "array":
        return _check_array(field, value, name)
    if field.kind == "map":
        return _check_map(field, value, name)
    if field.kind == "codes":
        return _check_codes(field, value, name)
    if field.kind == "object":
        assert field.items is not None
        return _check_object(field.items, value, f"{name}.")
    if field.kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidInput(N_("%(field)s must be true or false."), field=name)
        return value
    if field.kind == "price":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InvalidInput(N_("%(field)s must be a price in euros, like 149.90."), field=name)
        if isinstance(value, str) and not PRICE.fullmatch(value):
            raise InvalidInput(N_("%(field)s must be a price in euros, like 149.90."), field=name)
        return value
    if field.kind in ("string", "date", "datetime"):
        if not isinstance(value, str):
            raise InvalidInput(N_("%(field)s must be text."), field=name)
        problem = _text_problem(field, value)
        if problem:
            raise InvalidInput(problem, field=name)
        if field.max_length is not None and len(value) > field.max_length:
            raise InvalidInput(
                N_("%(field)s is at most %(limit)s characters."),
                field=name,
                limit=field.max_length,
            )
        if field.choices is not None and value not in field.choices:
            raise InvalidInput(
                N_("%(field)s: unknown value %(value)r."),
                field=name,
                value=value[:100],
                allowed=list(field.choices),
            )
        if field.kind == "date":
            return _parse_date(field, value)
        if field.kind == "datetime":
            return _parse_datetime(value, name)
        return value
    if field.kind in ("number", "integer"):
        wanted = int if field.kind == "integer" else (int, float)
        # JSON's true and false are ints to Python; they are not numbers here.
        if isinstance(value, bool) or not isinstance(value, wanted):
            if field.kind == "integer":
                raise InvalidInput(N_("%(field)s must be a whole number."), field=name)
            raise InvalidInput(N_("%(field)s must be a number."), field=name)
        too_low = field.minimum is not None and value < field.minimum
        too_high = field.maximum is not None and value > field.maximum
        if too_low or too_high:
            raise InvalidInput(
                N_("%(field)s must be between %(minimum)s and %(maximum)s."),
                field=name,
                minimum=_number(field.minimum),
                maximum=_number(field.maximum),
            )
        return value
    raise ValueError(f"unknown field kind {field.kind!r}")


def _check_array(field: Field, value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInput(N_("%(field)s must be a list, [...]."), field=name)
    if len(value) < field.min_items:
        raise InvalidInput(N_("%(field)s must be a list with at least one item."), field=name)
    if field.max_items is not None and len(value) > field.max_items:
        raise InvalidInput(
            N_("%(field)s holds at most %(limit)s items."), field=name, limit=field.max_items
        )
    assert field.items is not None
    return [
        _check_object(field.items, item, f"{name}[{index}].") for index, item in enumerate(value)
    ]


def _check_codes(field: Field, value: Any, name: str) -> list[str]:
    """A list of known codes, each once; an empty list is a real answer (none found)."""
    assert field.choices is not None
    if not isinstance(value, list):
        raise InvalidInput(N_('%(field)s must be a list of codes, like ["a", "b"].'), field=name)
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in field.choices:
            raise InvalidInput(
                N_("%(field)s: unknown value %(value)r."),
                field=f"{name}[{index}]",
                value=str(item)[:100],
                allowed=list(field.choices),
            )
        if item in value[:index]:
            raise InvalidInput(
                N_("%(field)s: %(value)s is listed twice."), field=f"{name}[{index}]", value=item
            )
    return list(value)


def _check_map(field: Field, value: Any, name: str) -> dict[str, Any]:
    """An object of client-chosen names, each value checked as text (and against choices)."""
    if not isinstance(value, dict):
        raise InvalidInput(N_("%(field)s must be a JSON object, {...}."), field=name)
    if field.required and not value:
        raise InvalidInput(N_("%(field)s must hold at least one member."), field=name)
    if field.max_items is not None and len(value) > field.max_items:
        raise InvalidInput(
            N_("%(field)s holds at most %(limit)s members."), field=name, limit=field.max_items
        )
    member = Field(
        name, "string", "", required=True, max_length=field.max_length, choices=field.choices
    )
    checked: dict[str, Any] = {}
    for key, item in value.items():
        member_name = f"{name}.{key[:MAX_MEMBER_NAME]}"
        if len(key) > MAX_MEMBER_NAME or _text_problem(member, key):
            raise InvalidInput(
                N_("%(field)s: a member name is at most %(limit)s plain characters."),
                field=member_name,
                limit=MAX_MEMBER_NAME,
            )
        checked[key] = _check(member, item, member_name)
    return checked


def _check_object(body: Body, data: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON object checked against its declaration; absent or null members omitted."""
    if not isinstance(data, dict):
        raise InvalidInput(N_("%(field)s must be a JSON object, {...}."), field=prefix[:-1])
    known = {field.name: field for field in body.fields}
    for name in data:
        if name not in known:
            raise InvalidInput(
                N_("Unknown field %(field)r: this endpoint takes %(fields)s."),
                field=prefix + name[:100],
                fields=", ".join(known),
            )
    values: dict[str, Any] = {}
    for field in body.fields:
        value = data.get(field.name)
        if value is None:
            if field.required:
                raise InvalidInput(N_("%(field)s is required."), field=prefix + field.name)
            continue
        values[field.name] = _check(field, value, prefix + field.name)
    if body.one_of:
        given = [name for name in body.one_of if name in values]
        if len(given) != 1:
            raise InvalidInput(
                N_("Send exactly one of %(fields)s."),
                field=prefix + (given[1] if given else body.one_of[0]),
                fields=", ".join(body.one_of),
            )
    return values


def _number(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if float(value).is_integer() else str(value)


def _parse_date(field: Field, value: str) -> date:
    message = N_("%(field)s must be a date written YYYY-MM-DD.")
    if not ISO_DATE.fullmatch(value):
        raise InvalidInput(message, field=field.name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(message, field=field.name) from None


def _parse_datetime(value: str, name: str) -> datetime:
    message = N_("%(field)s must be a time like 2026-03-04T15:30:00+00:00, with its UTC offset.")
    if not ISO_DATETIME.fullmatch(value):
        raise InvalidInput(message, field=name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(message, field=name) from None
    if parsed.tzinfo is None:
        raise InvalidInput(message, field=name)
    return parsed.astimezone(UTC)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's body as a JSON object, or a refusal saying what is wrong with it."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            N_("Send the body as JSON, with 'Content-Type: application/json'."),
            content_type=mimetype or None,
        )
    too_large = TooLarge(N_("The request body is larger than %(limit)s bytes."), limit=limit)
    if (request.content_length or 0) > limit:
        raise too_large
    # Read at most one byte past the limit, so a body without a length is bounded too.
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(N_("The body is not UTF-8 text.")) from None
    if not text.strip():
        raise InvalidInput(N_("The body is empty: send a JSON object."))
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidInput(N_("The body is nested too deeply to be read.")) from None
    except ValueError as error:
        raise InvalidInput(
            N_("The body is not valid JSON: %(reason)s."), reason=str(error)
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(N_("The body must be a JSON object, {...}."))
    return data


def parse_body(body: Body) -> dict[str, Any]:
    """The request's JSON body checked against its declaration; absent or null members omitted."""
    return _check_object(body, read_json(body.max_bytes))


def parse_query(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The query string checked against its declaration; empty parameters omitted."""
    known = {field.name: field for field in fields}
    for name in request.args:
        if name not in known:
            raise InvalidInput(
                N_("Unknown parameter %(field)r: this endpoint takes %(fields)s."),
                field=name[:100],
                fields=", ".join(known),
            )
    values: dict[str, Any] = {}
    for field in fields:
        raw = request.args.get(field.name, "")
        if raw == "":
            continue
        if field.kind == "integer":
            if not WHOLE_NUMBER.fullmatch(raw):
                raise InvalidInput(N_("%(field)s must be a whole number."), field=field.name)
            values[field.name] = _check(field, int(raw))
        else:
            values[field.name] = _check(field, raw)
    return values


NOTE = Field("note", "string", "Free text kept with the event.", max_length=2000)

INTAKE = Body(
    "IntakeRequest",
    (
        Field(
            "serial_number",
            "string",
            "The manufacturer's serial, as scanned; blanks are removed and letters upper-cased.",
            required=True,
            max_length=200,
        ),
        Field(
            "category", "string", "What kind of device it is.", required=True, choices=CATEGORIES
        ),
        Field("make", "string", "The manufacturer.", required=True, max_length=100),
        Field("model", "string", "The model name.", required=True, max_length=200),
        Field("lot", "string", "The code of the donor lot it came in.", max_length=64),
        Field("weight_kg", "number", "Weight in kilograms.", minimum=0, maximum=2000),
    ),
)

TRANSITION = Body(
    "TransitionRequest",
    (
        Field("to", "string", "The stage to move the device to.", required=True, choices=STAGES),
        NOTE,
        Field(
            "reason",
            "string",
            "Why the device is recycled (required with `to: recycled`, refused otherwise), "
            "e.g. beyond_repair, obsolete, missing_parts, liquid_damage, no_demand, other.",
            max_length=200,
        ),
        Field(
            "weight_kg",
            "number",
            "Weight in kilograms, recorded with the recycling (required with `to: recycled` "
            "when the device was never weighed; it also updates the device's weight).",
            minimum=0,
            maximum=2000,
        ),
        Field(
            "from",
            "string",
            "The stage the client believes the device is in; if it is elsewhere now, "
            "nothing changes and the answer is 409 conflict (refuses double submissions).",
            choices=STAGES,
        ),
    ),
)

GRADE = Body(
    "GradeRequest",
    (
        Field(
            "grade",
            "string",
            "A cosmetic grade chosen by hand. Over a grade computed from recorded defects (or "
            "a standing override) this is an override: managers and admins only, with `reason`.",
            choices=GRADES,
        ),
        Field(
            "defects",
            "codes",
            "The codes of every cosmetic defect found in this cycle (an empty list for none); "
            "the grade is computed from them and replaces any earlier list.",
            choices=DEFECT_CODES,
        ),
        Field(
            "reason",
            "string",
            "Why the grade differs from the defects' grade; required for an override.",
            max_length=MAX_REASON,
        ),
        NOTE,
    ),
    one_of=("grade", "defects"),
)

SCAN = Body(
    "ScanRequest",
    (
        Field(
            "code",
            "string",
            "What the scanner read: an asset tag, a location code, a staff badge "
            "or a manufacturer serial.",
            required=True,
            controls=True,
        ),
        Field("station", "string", "Which scanner or workbench read it.", max_length=64),
    ),
)

LOT = Body(
    "LotRequest",
    (
        Field(
            "code",
            "string",
            "The lot's code, unique in the workshop.",
            required=True,
            max_length=64,
        ),
        Field("donor", "string", "Who gave the devices.", max_length=200),
        Field("received_on", "date", "The day the collection arrived."),
        Field("reference", "string", "The donor's or carrier's reference.", max_length=200),
        Field("note", "string", "Free text about the lot.", max_length=2000),
    ),
)

DEVICE_QUERY = (
    Field("stage", "string", "Only devices in this stage.", choices=STAGES),
    Field("category", "string", "Only devices of this category.", choices=CATEGORIES),
    Field(
        "q",
        "string",
        "Search: an asset tag, the start of a serial, or part of the make or model.",
        max_length=200,
    ),
    Field("lot", "string", "Only devices of the lot with this code.", max_length=64),
    Field("page", "integer", "Page number, from 1.", minimum=1, maximum=1_000_000),
    Field("per_page", "integer", "Devices per page.", minimum=1, maximum=MAX_PER_PAGE),
)

SALE_LINE = Body(
    "SaleLine",
    (
        Field(
            "asset_tag",
            "string",
            "The device sold, by its asset tag.",
            required=True,
            max_length=32,
        ),
        Field(
            "price",
            "price",
            'The price in euros, a number or a text like "149.90" (at most two decimals).',
            required=True,
        ),
    ),
)

SALE = Body(
    "SaleRequest",
    (
        Field(
            "customer", "string", "Who buys (a name or a company).", required=True, max_length=200
        ),
        Field(
            "channel",
            "string",
            "How it is sold.",
            required=True,
            choices=SALE_CHANNELS,
        ),
        Field("reference", "string", "The customer's or the shop's reference.", max_length=200),
        Field(
            "lines",
            "array",
            "The devices sold, each once, with their prices.",
            required=True,
            items=SALE_LINE,
            max_items=500,
        ),
    ),
)

RETURN = Body(
    "ReturnRequest",
    (
        Field(
            "reason", "string", "Why the customer brought it back.", required=True, max_length=200
        ),
        NOTE,
    ),
)

PUT_AWAY = Body(
    "PutAwayRequest",
    (
        Field(
            "location",
            "string",
            "The code of the location the device is put at, as scanned from its label.",
            required=True,
            max_length=32,
        ),
        Field(
            "from",
            "string",
            "The location code the client believes the device is at (an empty string for "
            "none); if it is elsewhere now, nothing changes and the answer is 409 conflict.",
            max_length=32,
        ),
    ),
)

LOCATION = Body(
    "LocationRequest",
    (
        Field(
            "name",
            "string",
            "What the location is called on the floor, e.g. Shelf A3.",
            required=True,
            max_length=100,
        ),
        Field("kind", "string", "What kind of place it is.", required=True, choices=LOCATION_KINDS),
    ),
)

ASSIGN = Body(
    "AssignRequest",
    (
        Field(
            "technician",
            "string",
            "The username of the technician (or manager or admin) who is to work on the device.",
            required=True,
            max_length=64,
        ),
    ),
)

CHECKS = Body(
    "ChecksRequest",
    (
        Field(
            "results",
            "map",
            "The answers, by check code: pass, fail or na (not applicable), e.g. "
            '{"screen": "pass", "hinges": "fail"}. Only the checks named are answered.',
            required=True,
            choices=CHECK_RESULTS,
            max_items=100,
        ),
        Field(
            "notes",
            "map",
            "Optional notes by check code; each goes with an answer in `results`.",
            max_length=2000,
            max_items=100,
        ),
    ),
)

# -- diagnostics: a run's result from a bench agent, an erasure done elsewhere ------------------

BENCH = Body(
    "BenchIdentity",
    (
        Field("maker", "string", "The maker, as *IDN? says it.", required=True, max_length=100),
        Field("model", "string", "The bench model, e.g. BATT-100.", required=True, max_length=40),
        Field("serial", "string", "The bench's serial.", required=True, max_length=100),
        Field("firmware", "string", "Its firmware version.", required=True, max_length=40),
    ),
)

MEASUREMENT = Body(
    "MeasurementResult",
    (
        Field("step", "string", "The step that took it.", required=True, max_length=40),
        Field("name", "string", "What was measured.", required=True, max_length=60),
        Field("value", "number", "The value; null when it could not be measured."),
        Field("unit", "string", "Its unit, e.g. V, mOhm, %.", max_length=20),
        Field("low", "number", "The lowest accepted value applied; null for none."),
        Field("high", "number", "The highest accepted value applied; null for none."),
        Field("required", "boolean", "Whether it decides the run (true when absent)."),
        Field(
            "outcome",
            "string",
            "pass, fail, or not_measured.",
            required=True,
            choices=MEASUREMENT_OUTCOMES,
        ),
    ),
)

STEP = Body(
    "StepResult",
    (
        Field("name", "string", "The step.", required=True, max_length=40),
        Field("outcome", "string", "How it ended.", required=True, choices=OUTCOMES),
        Field("code", "string", "Why, as a snake_case code.", max_length=40),
        Field("message", "string", "Why, as a sentence.", max_length=2000),
    ),
)

ERASURE_RESULT = Body(
    "ErasureResult",
    (
        Field("drive_model", "string", "The drive's model.", required=True, max_length=200),
        Field("drive_serial", "string", "The drive's serial.", required=True, max_length=100),
        Field(
            "capacity_bytes",
            "integer",
            "Its capacity in bytes.",
            required=True,
            minimum=0,
            maximum=MAX_CAPACITY,
        ),
        Field("drive_type", "string", "HDD, SSD or NVME.", required=True, choices=DRIVE_TYPES),
        Field("method", "string", "The erase method used.", required=True, choices=ERASURE_METHODS),
        Field(
            "nist_category",
            "string",
            "NIST SP 800-88: Clear for OVERWRITE, Purge for CRYPTO and SANITIZE.",
            choices=NIST_CATEGORIES,
        ),
        Field("verified", "boolean", "Whether the verification passed.", required=True),
        Field(
            "verification",
            "string",
            'The bench\'s verification answer, e.g. "PASS,4096".',
            max_length=2000,
        ),
        Field("started_at", "datetime", "When the erase started.", required=True),
        Field("ended_at", "datetime", "When it ended.", required=True),
    ),
)

TRANSCRIPT_LINE = Body(
    "TranscriptLine",
    (
        Field("at", "datetime", "When it was sent or received.", required=True),
        Field(
            "direction",
            "string",
            "> sent to the bench, < received, # a note.",
            required=True,
            choices=(">", "<", "#"),
        ),
        Field(
            "text", "string", "The line, without its line ending.", required=True, max_length=2000
        ),
    ),
)

DIAGNOSTIC = Body(
    "DiagnosticResult",
    (
        Field("script", "string", "The script run.", required=True, choices=SCRIPT_NAMES),
        Field("outcome", "string", "How the run ended.", required=True, choices=OUTCOMES),
        Field("code", "string", "Why, as a snake_case code (empty on a pass).", max_length=40),
        Field("message", "string", "Why, as a sentence for the technician.", max_length=2000),
        Field("bench", "object", "The bench it ran on, as *IDN? answered.", items=BENCH),
        Field(
            "measurements",
            "array",
            "Every value taken, with the limits applied.",
            items=MEASUREMENT,
            min_items=0,
            max_items=500,
        ),
        Field(
            "steps",
            "array",
            "How each step reached ended.",
            items=STEP,
            min_items=0,
            max_items=50,
        ),
        Field("started_at", "datetime", "When the run started.", required=True),
        Field("ended_at", "datetime", "When it ended; now when absent."),
        Field(
            "erasures",
            "array",
            "The drives erased by the run, one erasure record each.",
            items=ERASURE_RESULT,
            min_items=0,
            max_items=16,
        ),
        Field(
            "transcript",
            "array",
            "Every line sent and received on the serial link.",
            items=TRANSCRIPT_LINE,
            min_items=0,
            max_items=50_000,
        ),
        Field("station", "string", "The workbench it ran on.", max_length=64),
    ),
    max_bytes=8 * 1024 * 1024,
)

MANUAL_ERASURE = Body(
    "ManualErasureRequest",
    (
        Field("drive_model", "string", "The drive's model.", required=True, max_length=200),
        Field("drive_serial", "string", "The drive's serial.", required=True, max_length=100),
        Field(
            "capacity_bytes",
            "integer",
            "Its capacity in bytes.",
            required=True,
            minimum=1,
            maximum=MAX_CAPACITY,
        ),
        Field("drive_type", "string", "HDD, SSD or NVME.", required=True, choices=DRIVE_TYPES),
        Field(
            "method",
            "string",
            "The method: OVERWRITE (NIST Clear), CRYPTO or SANITIZE (NIST Purge).",
            required=True,
            choices=ERASURE_METHODS,
        ),
        Field(
            "tool",
            "string",
            "The tool that erased it, with its version.",
            required=True,
            max_length=200,
        ),
        Field("log", "string", "The tool's log, as text.", required=True, max_length=MAX_LOG),
        Field("verified", "boolean", "Whether the tool verified the erasure (true when absent)."),
        Field("verification", "string", "What the verification said.", max_length=2000),
        Field("started_at", "datetime", "When the erasure started."),
        Field("ended_at", "datetime", "When it ended; now when absent."),
    ),
    max_bytes=1024 * 1024,
)

NO_STORAGE = Body(
    "NoStorageRequest",
    (Field("note", "string", "Why, e.g. the donor kept the drives.", max_length=2000),),
)

DESTROYED_DRIVE = Body(
    "DestroyedDriveRequest",
    (
        Field(
            "drive_serial",
            "string",
            "The drive's serial. A drive the benches saw keeps the model, capacity and type "
            "they read from it; the three below are for a drive no bench saw.",
            required=True,
            max_length=100,
        ),
        Field("drive_model", "string", "The model of a drive no bench saw.", max_length=200),
        Field(
            "capacity_bytes",
            "integer",
            "The capacity in bytes of a drive no bench saw.",
            minimum=1,
            maximum=MAX_CAPACITY,
        ),
        Field(
            "drive_type",
            "string",
            "HDD, SSD or NVME, for a drive no bench saw.",
            choices=DRIVE_TYPES,
        ),
        Field(
            "destruction",
            "string",
            "How it was destroyed (NIST SP 800-88 Destroy).",
            required=True,
            choices=DESTRUCTIONS,
        ),
        Field(
            "replaced",
            "boolean",
            "Whether another drive was put in its place (that one must then be erased).",
            required=True,
        ),
        Field(
            "reference",
            "string",
            "The destruction company's certificate number, or the locked bin's batch.",
            max_length=MAX_REFERENCE,
        ),
        Field("destroyed_at", "datetime", "When it was destroyed; now when absent."),
    ),
)

# -- bench jobs: a script asked of a station's bench, and its agent's reports -----------------

STATION = Field(
    "station",
    "string",
    "The workstation whose bench runs it, as its bench agent names it (--station).",
    required=True,
    max_length=64,
)

JOB = Body(
    "BenchJobRequest",
    (
        Field("script", "string", "The script to run.", required=True, choices=SCRIPT_NAMES),
        STATION,
    ),
)

CLAIM = Body(
    "AgentClaim",
    (
        STATION,
        Field(
            "scripts",
            "codes",
            "The scripts the agent's benches can run now.",
            required=True,
            choices=SCRIPT_NAMES,
        ),
    ),
)

PROGRESS = Body(
    "JobProgress",
    (
        Field("percent", "integer", "How far the run is, when known.", minimum=0, maximum=100),
        Field("message", "string", "What the run is doing, for the work card.", max_length=200),
    ),
)
