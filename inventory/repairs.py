"""Repairs: the coded faults and actions, a device's repair actions, and what they send back.

Faults are coded per category, actions for every category; an administrator
keeps both lists (repair_codes). Each repair action is a `repair` event and a
repair_actions row, and takes its parts from stock in the same transaction. A
fault names the manual checks and diagnostic scripts it touches: after a repair,
`ready` waits until those were done again (the gate at the end of this module).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from diagnostics.scripts import SCRIPTS
from inventory.accounts import User
from inventory.checks import open_checks
from inventory.errors import N_, Conflict, IllegalTransition, InvalidInput
from inventory.events import record_event
from inventory.lifecycle import Gate, add_gate
from inventory.models import CATEGORIES, CheckAnswer, CheckItem, Device, DiagnosticRun
from inventory.repair_models import Part, RepairAction, RepairCode
from inventory.types import utcnow

CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_LABEL = 200
MAX_NOTE = 2000
MAX_MINUTES = 24 * 60
MAX_PARTS = 20
# The stage in which repairs are recorded.
REPAIR_STAGE = "repair"

# The repair actions a new workshop starts with: (code, English, French).
# The 0015 migration seeds the same ones; tests hold the two together.
DEFAULT_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("replaced", "Replaced", "Remplacé"),
    ("cleaned", "Cleaned", "Nettoyé"),
    ("reseated", "Reseated", "Remis en place"),
    ("upgraded", "Upgraded", "Amélioré"),
    ("reinstalled_os", "Reinstalled the operating system", "Système réinstallé"),
    ("no_fault_found", "No fault found", "Aucun défaut trouvé"),
)

# Faults per category: (code, English, French, checks touched, scripts touched).
_SCREEN = ("broken_screen", "Broken screen", "Écran cassé")
_DISK = ("failing_disk", "Failing disk", "Disque défaillant", (), ("disk-health", "erasure"))
_RAM = ("missing_ram", "Missing or faulty memory", "Mémoire absente ou défectueuse", (), ())
_OS = ("os_problem", "Operating system does not start", "Le système ne démarre pas", (), ())
_LIQUID = ("liquid_damage", "Liquid damage", "Dégât des eaux")
DEFAULT_FAULTS: dict[str, tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]] = {
    "laptop": (
        ("no_power", "No power", "Ne s'allume pas", ("charger",), ("battery",)),
        ("dead_battery", "Dead battery", "Batterie morte", (), ("battery",)),
        (*_SCREEN, ("screen",), ()),
        _DISK,
        _RAM,
        ("keyboard_keys", "Keyboard keys", "Touches du clavier", ("keyboard",), ()),
        ("touchpad", "Touchpad", "Pavé tactile", ("touchpad",), ()),
        ("hinge", "Hinge", "Charnière", ("hinges",), ()),
        (*_LIQUID, ("keyboard", "touchpad", "usb_ports"), ("battery",)),
        ("wifi", "Wi-Fi", "Wi-Fi", ("wifi",), ()),
        ("usb_ports", "USB ports", "Ports USB", ("usb_ports",), ()),
        ("webcam", "Webcam", "Webcam", ("webcam",), ()),
        (
            "sound",
            "Speakers or microphone",
            "Haut-parleurs ou micro",
            ("speakers", "microphone"),
            (),
        ),
        ("charger", "Charger", "Chargeur", ("charger",), ()),
        _OS,
    ),
    "desktop": (
        ("no_power", "No power", "Ne s'allume pas", ("power",), ("psu",)),
        ("power_supply", "Power supply", "Alimentation", ("power",), ("psu",)),
        _DISK,
        _RAM,
        ("fan_noise", "Noisy or dead fan", "Ventilateur bruyant ou mort", ("fans",), ()),
        ("usb_ports", "USB ports", "Ports USB", ("usb_ports",), ()),
        ("video_output", "Video output", "Sortie vidéo", ("video_outputs",), ()),
        ("network_port", "Network port", "Port réseau", ("network_port",), ()),
        _OS,
    ),
    "monitor": (
        ("no_power", "No power", "Ne s'allume pas", ("power_cable",), ()),
        ("panel", "Damaged panel", "Dalle abîmée", ("panel",), ()),
        ("backlight", "Backlight", "Rétroéclairage", ("backlight",), ()),
        ("inputs", "Video inputs", "Entrées vidéo", ("inputs",), ()),
        ("stand", "Stand", "Pied", ("stand",), ()),
    ),
    "phone": (
        ("no_power", "No power", "Ne s'allume pas", ("battery", "charging_port"), ()),
        ("dead_battery", "Dead battery", "Batterie morte", ("battery",), ()),
        (*_SCREEN, ("screen_touch",), ()),
        ("charging_port", "Charging port", "Port de charge", ("charging_port",), ()),
        ("cameras", "Cameras", "Appareils photo", ("cameras",), ()),
        (*_LIQUID, ("screen_touch", "speaker_mic", "charging_port"), ()),
        _OS,
    ),
    "tablet": (
        ("no_power", "No power", "Ne s'allume pas", ("battery", "charging_port"), ()),
        ("dead_battery", "Dead battery", "Batterie morte", ("battery",), ()),
        (*_SCREEN, ("screen_touch",), ()),
        ("charging_port", "Charging port", "Port de charge", ("charging_port",), ()),
        _OS,
    ),
}
# Every category without a list of its own starts with these.
GENERIC_FAULTS = (
    ("no_power", "No power", "Ne s'allume pas", (), ()),
    ("damaged", "Physical damage", "Dégât physique", (), ()),
    (
        "does_not_work",
        "Main function does not work",
        "La fonction principale ne marche pas",
        (),
        (),
    ),
)


def default_faults(
    category: str,
) -> tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """The faults a category starts with."""
    return DEFAULT_FAULTS.get(category, GENERIC_FAULTS)


# -- the coded lists --------------------------------------------------------------------------


def seed_default_codes(session: Session) -> int:
    """Give the actions and every category without faults their defaults; how many were added."""
    known = set(session.execute(select(RepairCode.kind, RepairCode.category).distinct()))
    added = 0
    rows: list[tuple[str, str, tuple[Any, ...]]] = []
    if ("action", "") not in known:
        rows += [("action", "", (*action, (), ())) for action in DEFAULT_ACTIONS]
    for category in CATEGORIES:
        if ("fault", category) not in known:
            rows += [("fault", category, fault) for fault in default_faults(category)]
    positions: dict[tuple[str, str], int] = {}
    for kind, category, (code, label_en, label_fr, checks, scripts) in rows:
        position = positions[(kind, category)] = positions.get((kind, category), 0) + 1
        session.add(
            RepairCode(
                kind=kind,
                category=category,
                code=code,
                label_en=label_en,
                label_fr=label_fr,
                position=position,
                checks=list(checks),
                scripts=list(scripts),
                active=True,
                created_at=utcnow(),
            )
        )
        added += 1
    session.flush()
    return added


def faults(session: Session, category: str, *, retired: bool = False) -> list[RepairCode]:
    """A category's faults in their order."""
    query = select(RepairCode).where(RepairCode.kind == "fault", RepairCode.category == category)
    if not retired:
        query = query.where(RepairCode.active.is_(True))
    return list(session.scalars(query.order_by(RepairCode.position, RepairCode.id)))


def actions(session: Session, *, retired: bool = False) -> list[RepairCode]:
    """The repair actions in their order."""
    query = select(RepairCode).where(RepairCode.kind == "action")
    if not retired:
        query = query.where(RepairCode.active.is_(True))
    return list(session.scalars(query.order_by(RepairCode.position, RepairCode.id)))


def _clean_label(value: Any, name: str) -> str:
    label = " ".join(value.split()) if isinstance(value, str) else ""
    if not label:
        raise InvalidInput(N_("Type the %(field)s."), field=name)
    if len(label) > MAX_LABEL:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field=name, limit=MAX_LABEL
        )
    return label


def _clean_touched(value: Any, known: Sequence[str], name: str) -> list[str]:
    items = list(value or [])
    for item in items:
        if item not in known:
            raise InvalidInput(
                N_("%(field)s: unknown code %(value)r."),
                field=name,
                value=str(item)[:40],
                allowed=list(known),
            )
    return items


def _checklist_codes(session: Session, category: str) -> list[str]:
    return list(session.scalars(select(CheckItem.code).where(CheckItem.category == category)))


def add_code(
    session: Session,
    kind: str,
    code: Any,
    label_en: Any,
    label_fr: Any,
    *,
    category: str = "",
    checks: Sequence[str] = (),
    scripts: Sequence[str] = (),
    entered_by: User | None,
) -> RepairCode:
    """Add a fault to a category's list, or an action, at the end; an event says who."""
    if kind not in ("fault", "action"):
        raise InvalidInput(N_("Unknown kind %(value)r."), field="kind", value=str(kind)[:20])
    if kind == "fault" and category not in CATEGORIES:
        raise InvalidInput(
            N_("Unknown category %(value)r."), field="category", value=str(category)[:100]
        )
    category = category if kind == "fault" else ""
    code = code.strip().lower() if isinstance(code, str) else ""
    if not CODE.fullmatch(code):
        raise InvalidInput(
            N_("The code is a short word of small letters, digits and _, starting with a letter."),
            field="code",
        )
    checklist_codes = _checklist_codes(session, category)
    last = session.scalar(
        select(func.max(RepairCode.position)).where(
            RepairCode.kind == kind, RepairCode.category == category
        )
    )
    item = RepairCode(
        kind=kind,
        category=category,
        code=code,
        label_en=_clean_label(label_en, "label_en"),
        label_fr=_clean_label(label_fr, "label_fr"),
        position=(last or 0) + 1,
        checks=_clean_touched(checks, checklist_codes, "checks"),
        scripts=_clean_touched(scripts, list(SCRIPTS), "scripts"),
        active=True,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        raise InvalidInput(
            N_("The list already has the code %(value)s."), field="code", value=code
        ) from None
    _record_change(session, "repair_code_added", item, entered_by)
    return item


def edit_code(
    session: Session,
    item: RepairCode,
    *,
    label_en: Any,
    label_fr: Any,
    checks: Sequence[str] | None = None,
    scripts: Sequence[str] | None = None,
    entered_by: User | None,
) -> RepairCode:
    """Change the labels of a fault or action, and what a fault sends back; its code stays."""
    item.label_en = _clean_label(label_en, "label_en")
    item.label_fr = _clean_label(label_fr, "label_fr")
    if item.kind == "fault" and checks is not None:
        item.checks = _clean_touched(checks, _checklist_codes(session, item.category), "checks")
    if item.kind == "fault" and scripts is not None:
        item.scripts = _clean_touched(scripts, list(SCRIPTS), "scripts")
    session.flush()
    _record_change(session, "repair_code_changed", item, entered_by)
    return item


def retire_code(session: Session, item: RepairCode, *, entered_by: User | None) -> RepairCode:
    """Stop offering a fault or action; the repairs that named it keep their meaning."""
    if item.active:
        item.active = False
        session.flush()
        _record_change(session, "repair_code_retired", item, entered_by)
    return item


def restore_code(session: Session, item: RepairCode, *, entered_by: User | None) -> RepairCode:
    """Offer a retired fault or action again, where it stood in the list."""
    if not item.active:
        item.active = True
        session.flush()
        _record_change(session, "repair_code_restored", item, entered_by)
    return item


def move_code(session: Session, item: RepairCode, *, up: bool, seen_at: int) -> RepairCode:
    """Swap a fault or action with its neighbour in the list the technicians choose from.

    `seen_at` is the position the administrator's page showed: a second click, or
    another administrator's move in between, is refused instead of moving it twice.
    """
    if item.position != seen_at:
        raise Conflict(
            N_("The list changed meanwhile: look at it again before moving %(code)s."),
            code=item.code,
        )
    same_list = (RepairCode.kind == item.kind, RepairCode.category == item.category)
    if up:
        query = select(RepairCode).where(*same_list, RepairCode.position < item.position)
        query = query.order_by(RepairCode.position.desc(), RepairCode.id.desc())
    else:
        query = select(RepairCode).where(*same_list, RepairCode.position > item.position)
        query = query.order_by(RepairCode.position, RepairCode.id)
    neighbour = session.scalar(query.limit(1))
    if neighbour is not None:
        item.position, neighbour.position = neighbour.position, item.position
        session.flush()
    return item


def _record_change(session: Session, kind: str, item: RepairCode, entered_by: User | None) -> None:
    record_event(
        session,
        kind,
        device=None,
        entered_by=entered_by,
        code_kind=item.kind,
        category=item.category or None,
        code=item.code,
        label_en=item.label_en,
        label_fr=item.label_fr,
        checks=list(item.checks) if item.kind == "fault" else None,
        scripts=list(item.scripts) if item.kind == "fault" else None,
    )


# -- proposing a fault ------------------------------------------------------------------------


def failed_scripts(session: Session, device: Device) -> list[str]:
    """Scripts whose latest ended run in the device's cycle failed."""
    rows = session.execute(
        select(DiagnosticRun.script, DiagnosticRun.outcome)
        .where(
            DiagnosticRun.device_id == device.id,
            DiagnosticRun.cycle == device.cycle,
            DiagnosticRun.ended_at.is_not(None),
        )
        .order_by(DiagnosticRun.started_at, DiagnosticRun.id)
    )
    latest = {script: outcome for script, outcome in rows}
    return [script for script, outcome in latest.items() if outcome == "fail"]


def proposed_faults(session: Session, device: Device) -> list[RepairCode]:
    """The faults a failed check or a failed diagnostic points to, in the list's order."""
    _unanswered, failed_checks = open_checks(session, device)
    scripts = set(failed_scripts(session, device))
    checks = set(failed_checks)
    return [
        fault
        for fault in faults(session, device.category)
        if checks & set(fault.checks) or scripts & set(fault.scripts)
    ]


# -- recording a repair -----------------------------------------------------------------------


def _code(session: Session, kind: str, category: str, code: Any) -> RepairCode:
    found = None
    if isinstance(code, str):
        found = session.scalar(
            select(RepairCode).where(
                RepairCode.kind == kind, RepairCode.category == category, RepairCode.code == code
            )
        )
    if found is None or not found.active:
        allowed = [
            item.code
            for item in (faults(session, category) if kind == "fault" else actions(session))
        ]
        if kind == "fault":
            raise InvalidInput(
                N_("A %(category)s has no fault %(value)r."),
                field="fault",
                category=category,
                value=str(code)[:40],
                allowed=allowed,
            )
        raise InvalidInput(
            N_("There is no repair action %(value)r."),
            field="action",
            value=str(code)[:40],
            allowed=allowed,
        )
    return found


def _clean_minutes(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        raise InvalidInput(
            N_("minutes is a whole number from 0 to %(limit)s."), field="minutes", limit=MAX_MINUTES
        )
    return value


def _clean_note(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(N_("note must be text."), field="note")
    if len(value) > MAX_NOTE:
        raise InvalidInput(
            N_("note is at most %(limit)s characters."), field="note", limit=MAX_NOTE
        )
    return value.strip()


def _clean_part_codes(value: Any) -> list[str]:
    from inventory.codes import normalize

    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(code, str) for code in value):
        raise InvalidInput(N_("parts is a list of part codes."), field="parts")
    codes = [normalize(code) for code in value if code.strip()]
    if len(codes) > MAX_PARTS:
        raise InvalidInput(
            N_("At most %(limit)s parts per repair."), field="parts", limit=MAX_PARTS
        )
    if len(set(codes)) != len(codes):
        raise InvalidInput(N_("A part is named twice."), field="parts")
    return codes


def take_parts(session: Session, codes: list[str], repair: RepairAction) -> list[Part]:
    """Take parts from stock for a repair, each only if it is still in stock at this instant.

    One conditional UPDATE per part: of two technicians taking the last one, the
    database lets one UPDATE match the row and the other match nothing.
    """
    if not codes:
        return []
    found = {part.code: part for part in session.scalars(select(Part).where(Part.code.in_(codes)))}
    for code in codes:
        if code not in found:
            # Named in the body, not the address: a refusal of the request, not a missing page.
            raise InvalidInput(N_("No part has the code %(part)s."), part=code, field="parts")
    table = Part.__table__
    now = utcnow()
    for code in codes:
        taken = session.execute(
            update(table)
            .where(table.c.code == code, table.c.state == "in_stock")
            .values(state="used", repair_id=repair.id, used_at=now)
        )
        if taken.rowcount != 1:
            part = found[code]
            session.refresh(part)
            raise Conflict(
                N_("The part %(part)s is not in stock (it is %(state)s): someone used it first."),
                part=code,
                state=part.state,
            )
    parts = [found[code] for code in codes]
    for part in parts:
        session.refresh(part)
    return parts


def record_repair(
    session: Session,
    device: Device,
    fault: Any,
    action: Any,
    parts: Any = None,
    minutes: Any = None,
    note: Any = None,
    *,
    by: User | None,
    entered_by: User | None = None,
    occurred_at: datetime | None = None,
) -> RepairAction:
    """Record one repair action on a device in `repair`: one event, its parts taken from stock."""
    # Take the device's turn first: a move decided meanwhile on the device as it was (to
    # `ready` without this repair's checks) then fails as a conflict, and the stage read
    # here is the one that holds.
    devices = Device.__table__
    session.execute(
        update(devices).where(devices.c.id == device.id).values(version=devices.c.version + 1)
    )
    session.refresh(device, ["version", "stage"])
    if device.stage != REPAIR_STAGE:
        raise IllegalTransition(
            N_("%(asset_tag)s is in stage %(stage)s: repairs are recorded in stage repair."),
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )
    fault_code = _code(session, "fault", device.category, fault)
    action_code = _code(session, "action", "", action)
    codes = _clean_part_codes(parts)
    minutes = _clean_minutes(minutes)
    note = _clean_note(note)
    event = record_event(
        session,
        "repair",
        device=device,
        entered_by=entered_by or by,
        performed_by=by,
        occurred_at=occurred_at,
        cycle=device.cycle,
        stage=device.stage,
        fault=fault_code.code,
        action=action_code.code,
        parts=codes or None,
        minutes=minutes,
        note=note or None,
    )
    session.flush()
    repair = RepairAction(
        device_id=device.id,
        cycle=device.cycle,
        fault=fault_code.code,
        action=action_code.code,
        minutes=minutes,
        note=note,
        technician_id=by.id if by is not None else None,
        occurred_at=event.occurred_at,
        event_id=event.id,
    )
    session.add(repair)
    session.flush()
    take_parts(session, codes, repair)
    session.refresh(repair, ["parts"])
    return repair


def repairs_of(session: Session, device: Device, *, cycle: int | None = None) -> list[RepairAction]:
    """A device's repair actions in a cycle (its current one by default), oldest first."""
    query = select(RepairAction).where(
        RepairAction.device_id == device.id,
        RepairAction.cycle == (device.cycle if cycle is None else cycle),
    )
    return list(session.scalars(query.order_by(RepairAction.id)))


def device_repairs(session: Session, device: Device) -> list[RepairAction]:
    """Every repair action of a device, all cycles, oldest first, with their parts."""
    query = (
        select(RepairAction)
        .where(RepairAction.device_id == device.id)
        .options(selectinload(RepairAction.parts), selectinload(RepairAction.technician))
    )
    return list(session.scalars(query.order_by(RepairAction.id)))


def code_labels(
    session: Session, category: str, language: str | None
) -> dict[tuple[str, str], str]:
    """The labels of a category's faults and of every action, retired ones too, by (kind, code)."""
    query = select(RepairCode).where(
        (RepairCode.kind == "action") | (RepairCode.category == category)
    )
    return {(item.kind, item.code): item.label(language) for item in session.scalars(query)}


# -- the gate on `ready` ----------------------------------------------------------------------


@dataclass(frozen=True)
class ToRedo:
    """What the repairs of this cycle sent the device back through and it has not done again."""

    checks: tuple[str, ...]
    scripts: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.checks or self.scripts)


def to_redo(session: Session, device: Device) -> ToRedo:
    """Checks not answered and scripts not run since the latest repair that touched them."""
    rows = session.execute(
        select(RepairAction.fault, RepairAction.event_id, RepairAction.occurred_at)
        .where(RepairAction.device_id == device.id, RepairAction.cycle == device.cycle)
        .order_by(RepairAction.id)
    ).all()
    if not rows:
        return ToRedo((), ())
    touched = {fault.code: fault for fault in faults(session, device.category, retired=True)}
    # For each check and script: the latest repair that touched it (its event and time).
    check_since: dict[str, int] = {}
    script_since: dict[str, datetime] = {}
    for fault, event_id, occurred_at in rows:
        code = touched.get(fault)
        if code is None:
            continue
        for check in code.checks:
            check_since[check] = event_id
        for script in code.scripts:
            script_since[script] = occurred_at
    answered = dict(
        session.execute(
            select(CheckItem.code, CheckAnswer.event_id)
            .join(CheckAnswer, CheckAnswer.item_id == CheckItem.id)
            .where(CheckAnswer.device_id == device.id, CheckAnswer.cycle == device.cycle)
        ).all()
    )
    active = set(
        session.scalars(
            select(CheckItem.code).where(
                CheckItem.category == device.category, CheckItem.active.is_(True)
            )
        )
    )
    checks = tuple(
        check
        for check, since in check_since.items()
        if check in active and (answered.get(check) or 0) <= since
    )
    last_runs = dict(
        session.execute(
            # A run counts when it ended after the repair: benches report once done.
            select(DiagnosticRun.script, func.max(DiagnosticRun.ended_at))
            .where(
                DiagnosticRun.device_id == device.id,
                DiagnosticRun.cycle == device.cycle,
                DiagnosticRun.ended_at.is_not(None),
            )
            .group_by(DiagnosticRun.script)
        ).all()
    )
    scripts = tuple(
        script
        for script, since in script_since.items()
        if last_runs.get(script) is None or _aware(last_runs[script]) < since
    )
    return ToRedo(checks, scripts)


def _aware(value: datetime) -> datetime:
    # max() over a column comes back without the column's type on SQLite: naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _checks_again(session: Session, device: Device) -> str | None:
    # Unanswered and failed checks are the checks' own gates: only those answered before.
    unanswered, failed = open_checks(session, device)
    again = [
        code
        for code in to_redo(session, device).checks
        if code not in unanswered and code not in failed
    ]
    return f"answers again after the repair ({', '.join(again)})" if again else None


def _script_again(script: str) -> Any:
    def missing(session: Session, device: Device) -> str | None:
        # Said as the diagnostics' gate says it; a run that did not pass is that gate's.
        if script not in to_redo(session, device).scripts:
            return None
        latest = session.scalar(
            select(DiagnosticRun.outcome)
            .where(
                DiagnosticRun.device_id == device.id,
                DiagnosticRun.cycle == device.cycle,
                DiagnosticRun.script == script,
                DiagnosticRun.ended_at.is_not(None),
            )
            .order_by(DiagnosticRun.started_at.desc(), DiagnosticRun.id.desc())
            .limit(1)
        )
        # Loaded here: diagnostics.records loads the lifecycle, which loads this module.
        from diagnostics.records import required_scripts

        passed_before = latest == "pass"
        required = script in required_scripts(device.category)
        return f"a passing {script} run" if passed_before or not required else None

    return missing


add_gate("ready", Gate("repair_checks_again", _checks_again))
for _script in SCRIPTS:
    add_gate("ready", Gate(f"repair_run_again_{_script}", _script_again(_script)))
