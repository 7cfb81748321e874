"""Manual checks: each category's checklist, kept by an administrator, and a device's answers.

The checklists live in the database (check_items), so an administrator changes
them without code. Every answer is a `checks` event, the source of truth; the
check_answers table keeps the latest answer per check for quick reading. A
device is answered again in each cycle, and enters `ready` only when every
active check of its category is answered with no fail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import IllegalTransition, InvalidInput, NotFound
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES, Gate, add_gate
from inventory.models import CATEGORIES, CHECK_RESULTS, CheckAnswer, CheckItem, Device, Event
from inventory.types import utcnow

CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_CODE = 40
MAX_LABEL = 200
MAX_NOTE = 2000
MAX_POSITION = 9999

# The checklists a new workshop starts with: (code, English label, French label).
# The 0006 migration seeds the same ones; tests hold the two together.
DEFAULT_CHECKLISTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "laptop": (
        ("screen", "Screen", "Écran"),
        ("keyboard", "Keyboard", "Clavier"),
        ("touchpad", "Touchpad", "Pavé tactile"),
        ("webcam", "Webcam", "Webcam"),
        ("speakers", "Speakers", "Haut-parleurs"),
        ("microphone", "Microphone", "Microphone"),
        ("wifi", "Wi-Fi", "Wi-Fi"),
        ("usb_ports", "USB ports", "Ports USB"),
        ("hinges", "Hinges", "Charnières"),
        ("charger", "Charger", "Chargeur"),
    ),
    "desktop": (
        ("power", "Power button and power supply", "Bouton et alimentation"),
        ("usb_ports", "USB ports", "Ports USB"),
        ("video_outputs", "Video outputs", "Sorties vidéo"),
        ("network_port", "Network port", "Port réseau"),
        ("audio_jacks", "Audio jacks", "Prises audio"),
        ("fans", "Fans run quietly", "Ventilateurs silencieux"),
        ("case", "Case and feet", "Boîtier et pieds"),
    ),
    "monitor": (
        ("panel", "Panel: no dead pixels or marks", "Dalle : ni pixel mort ni marque"),
        ("backlight", "Even backlight", "Rétroéclairage uniforme"),
        ("inputs", "Video inputs", "Entrées vidéo"),
        ("buttons", "Buttons and menu", "Boutons et menu"),
        ("stand", "Stand", "Pied"),
        ("power_cable", "Power cable", "Câble d'alimentation"),
    ),
    "phone": (
        ("screen_touch", "Screen and touch", "Écran et tactile"),
        ("battery", "Battery holds its charge", "La batterie tient la charge"),
        ("cameras", "Cameras", "Appareils photo"),
        ("speaker_mic", "Speaker and microphone", "Haut-parleur et micro"),
        ("charging_port", "Charging port", "Port de charge"),
        ("buttons", "Buttons", "Boutons"),
        ("sim_slot", "SIM slot", "Emplacement SIM"),
        ("wifi_bluetooth", "Wi-Fi and Bluetooth", "Wi-Fi et Bluetooth"),
    ),
    "tablet": (
        ("screen_touch", "Screen and touch", "Écran et tactile"),
        ("battery", "Battery holds its charge", "La batterie tient la charge"),
        ("cameras", "Cameras", "Appareils photo"),
        ("speakers", "Speakers", "Haut-parleurs"),
        ("charging_port", "Charging port", "Port de charge"),
        ("buttons", "Buttons", "Boutons"),
        ("wifi", "Wi-Fi", "Wi-Fi"),
    ),
    "printer": (
        ("power", "Powers on", "S'allume"),
        ("paper_feed", "Paper feed", "Entraînement du papier"),
        ("print_quality", "Test page quality", "Qualité de la page de test"),
        ("connectivity", "USB or network connection", "Connexion USB ou réseau"),
        ("consumables", "Toner or ink present", "Toner ou encre présents"),
    ),
    "server": (
        ("power_supplies", "Power supplies", "Alimentations"),
        ("fans", "Fans", "Ventilateurs"),
        ("drive_bays", "Drive bays", "Baies de disques"),
        ("network_ports", "Network ports", "Ports réseau"),
        ("management", "Remote management console", "Console de gestion à distance"),
        ("rails", "Rails and front panel", "Rails et façade"),
    ),
    "network": (
        ("power", "Powers on", "S'allume"),
        ("ports", "Every port links", "Chaque port établit le lien"),
        ("factory_reset", "Factory reset done", "Remise à zéro effectuée"),
        ("fans", "Fans", "Ventilateurs"),
    ),
    "peripheral": (
        ("works", "Works when plugged in", "Fonctionne une fois branché"),
        ("buttons_keys", "Buttons and keys", "Boutons et touches"),
        ("cable", "Cable and connector", "Câble et connecteur"),
        ("clean", "Cleaned", "Nettoyé"),
    ),
    "other": (
        ("powers_on", "Powers on", "S'allume"),
        ("main_function", "Main function works", "La fonction principale marche"),
        ("clean", "Cleaned", "Nettoyé"),
    ),
}


# -- the checklists ---------------------------------------------------------------------------


def _check_category(category: Any) -> str:
    if category not in CATEGORIES:
        raise InvalidInput(
            "Unknown category %(value)r.",
            field="category",
            value=str(category)[:100],
            allowed=list(CATEGORIES),
        )
    return category


def checklist(session: Session, category: str, *, retired: bool = False) -> list[CheckItem]:
    """A category's checks in their order; the retired ones too when asked."""
    query = select(CheckItem).where(CheckItem.category == category)
    if not retired:
        query = query.where(CheckItem.active.is_(True))
    return list(session.scalars(query.order_by(CheckItem.position, CheckItem.id)))


def count_per_category(session: Session) -> dict[str, tuple[int, int]]:
    """For each category, how many checks are asked and how many are retired."""
    rows = session.execute(
        select(CheckItem.category, CheckItem.active, func.count()).group_by(
            CheckItem.category, CheckItem.active
        )
    )
    counts = {category: [0, 0] for category in CATEGORIES}
    for category, active, number in rows:
        counts.setdefault(category, [0, 0])[0 if active else 1] += number
    return {category: (asked, retired) for category, (asked, retired) in counts.items()}


def get_item(session: Session, category: str, item_id: int) -> CheckItem:
    """One check of a category's list, or NotFound."""
    item = session.get(CheckItem, item_id)
    if item is None or item.category != category:
        raise NotFound("This checklist has no such check.")
    return item


def _clean_label(value: Any, name: str) -> str:
    label = " ".join(value.split()) if isinstance(value, str) else ""
    if not label and name == "label_fr":
        raise InvalidInput("Type the French label of the check.", field=name)
    if not label:
        raise InvalidInput("Type the English label of the check.", field=name)
    if len(label) > MAX_LABEL:
        raise InvalidInput(
            "A check's label is at most %(limit)s characters.", field=name, limit=MAX_LABEL
        )
    return label


def _clean_position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POSITION:
        raise InvalidInput(
            "The position is a whole number from 1 to %(limit)s.",
            field="position",
            limit=MAX_POSITION,
        )
    return value


def add_item(
    session: Session,
    category: str,
    code: Any,
    label_en: Any,
    label_fr: Any,
    *,
    position: Any = None,
    entered_by: User | None,
) -> CheckItem:
    """Add a check at the end of a category's list (or at `position`)."""
    _check_category(category)
    code = code.strip().lower() if isinstance(code, str) else ""
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "The code is a short word of small letters, digits and _, starting with a letter "
            "(for example usb_ports).",
            field="code",
        )
    label_en = _clean_label(label_en, "label_en")
    label_fr = _clean_label(label_fr, "label_fr")
    wanted = None if position is None else _clean_position(position)
    last = session.scalar(
        select(func.max(CheckItem.position)).where(CheckItem.category == category)
    )
    position = min((last or 0) + 1, MAX_POSITION)
    taken = session.scalar(
        select(CheckItem).where(CheckItem.category == category, CheckItem.code == code)
    )
    if taken is not None:
        raise _code_taken(taken)
    item = CheckItem(
        category=category,
        code=code,
        label_en=label_en,
        label_fr=label_fr,
        position=position,
        active=True,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        # Another administrator added the same code at the same moment.
        raise _code_taken(item) from None
    if wanted is not None:
        _place(session, item, wanted)
    _record_change(session, "check_item_added", item, entered_by)
    return item


def _code_taken(item: CheckItem) -> InvalidInput:
    if not item.active:
        return InvalidInput(
            "The check %(code)s exists but is retired: restore it instead.",
            field="code",
            code=item.code,
        )
    return InvalidInput(
        "This checklist already has a check with the code %(code)s.", field="code", code=item.code
    )


def edit_item(
    session: Session,
    item: CheckItem,
    *,
    label_en: Any,
    label_fr: Any,
    position: Any,
    entered_by: User | None,
) -> bool:
    """Change a check's labels or place in the list; False when nothing changed."""
    changes = {
        "label_en": _clean_label(label_en, "label_en"),
        "label_fr": _clean_label(label_fr, "label_fr"),
        "position": _clean_position(position),
    }
    before = {name: getattr(item, name) for name in changes}
    if before == changes:
        return False
    item.label_en = changes["label_en"]
    item.label_fr = changes["label_fr"]
    if changes["position"] != before["position"]:
        _place(session, item, changes["position"])
    session.flush()
    _record_change(
        session,
        "check_item_changed",
        item,
        entered_by,
        previous={name: value for name, value in before.items() if changes[name] != value},
    )
    return True


def _place(session: Session, item: CheckItem, position: int) -> None:
    """Put a check at a place in its list, the others closing up behind it, numbered from 1."""
    others = [
        other for other in checklist(session, item.category, retired=True) if other is not item
    ]
    others.insert(max(0, min(position - 1, len(others))), item)
    for number, each in enumerate(others, start=1):
        each.position = number
    session.flush()


def retire_item(session: Session, item: CheckItem, *, entered_by: User | None) -> CheckItem:
    """Stop asking a check; its answers stay, and it no longer holds devices back."""
    if item.active:
        item.active = False
        session.flush()
        _record_change(session, "check_item_retired", item, entered_by)
    return item


def restore_item(session: Session, item: CheckItem, *, entered_by: User | None) -> CheckItem:
    """Ask a retired check again."""
    if not item.active:
        item.active = True
        session.flush()
        _record_change(session, "check_item_restored", item, entered_by)
    return item


def _record_change(
    session: Session, kind: str, item: CheckItem, entered_by: User | None, **details: Any
) -> Event:
    return record_event(
        session,
        kind,
        device=None,
        entered_by=entered_by,
        category=item.category,
        check=item.code,
        label_en=item.label_en,
        label_fr=item.label_fr,
        position=item.position,
        **details,
    )


def seed_default_checklists(session: Session) -> int:
    """Give every category without any check its default list; how many checks were added."""
    known = set(session.scalars(select(CheckItem.category).distinct()))
    added = 0
    for category, items in DEFAULT_CHECKLISTS.items():
        if category in known:
            continue
        for position, (code, label_en, label_fr) in enumerate(items, start=1):
            session.add(
                CheckItem(
                    category=category,
                    code=code,
                    label_en=label_en,
                    label_fr=label_fr,
                    position=position,
                    active=True,
                    created_at=utcnow(),
                )
            )
            added += 1
    session.flush()
    return added


# -- a device's answers -----------------------------------------------------------------------


@dataclass
class CheckLine:
    """One check as it stands for a device: the item and its latest answer, if any."""

    item: CheckItem
    answer: CheckAnswer | None

    @property
    def result(self) -> str | None:
        """pass, fail, na, or None while unanswered."""
        return self.answer.result if self.answer is not None else None

    @property
    def note(self) -> str:
        """The note that came with the latest answer."""
        return self.answer.note if self.answer is not None else ""


@dataclass
class DeviceChecks:
    """A device's checklist in its current cycle, with what is left to do."""

    device: Device
    cycle: int
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def unanswered(self) -> list[str]:
        """Codes of the active checks not answered in this cycle."""
        return [line.item.code for line in self.lines if line.item.active and line.answer is None]

    @property
    def failed(self) -> list[str]:
        """Codes of the active checks whose latest answer is fail."""
        return [line.item.code for line in self.lines if line.item.active and line.result == "fail"]

    @property
    def complete(self) -> bool:
        """True when every active check is answered and none failed."""
        return not self.unanswered and not self.failed

    @property
    def asked(self) -> list[CheckLine]:
        """The lines of the checks still asked (the form shows these)."""
        return [line for line in self.lines if line.item.active]

    @property
    def answered(self) -> list[CheckLine]:
        """The asked checks that have an answer in this cycle."""
        return [line for line in self.asked if line.answer is not None]

    @property
    def unanswered_lines(self) -> list[CheckLine]:
        """The asked checks still without an answer."""
        return [line for line in self.asked if line.answer is None]

    @property
    def failed_lines(self) -> list[CheckLine]:
        """The asked checks whose latest answer is fail."""
        return [line for line in self.asked if line.result == "fail"]


def device_checks(session: Session, device: Device) -> DeviceChecks:
    """The device's checklist: every active check, and retired ones answered in this cycle."""
    answers = {
        answer.item_id: answer
        for answer in session.scalars(
            select(CheckAnswer).where(
                CheckAnswer.device_id == device.id, CheckAnswer.cycle == device.cycle
            )
        )
    }
    lines = [
        CheckLine(item, answers.get(item.id))
        for item in checklist(session, device.category, retired=True)
        if item.active or item.id in answers
    ]
    return DeviceChecks(device=device, cycle=device.cycle, lines=lines)


def _clean_answer_note(value: Any, code: str) -> str:
    if value is None:
        return ""
    name = f"notes.{code}"
    if not isinstance(value, str):
        raise InvalidInput("%(field)s must be text.", field=name)
    if len(value) > MAX_NOTE:
        raise InvalidInput("%(field)s is at most %(limit)s characters.", field=name, limit=MAX_NOTE)
    return value.strip()


def _take_turn(session: Session, device: Device) -> None:
    """Mark the device as changed, waiting for any other terminal answering or moving it.

    The row lock makes two answers at once take turns (both are kept), and the
    new version makes a move to `ready` decided on older answers fail as a
    conflict instead of slipping past a fail.
    """
    devices = Device.__table__
    session.execute(
        update(devices).where(devices.c.id == device.id).values(version=devices.c.version + 1)
    )
    session.refresh(device, ["version"])


def answer_checks(
    session: Session,
    device: Device,
    results: Mapping[str, Any],
    notes: Mapping[str, Any] | None = None,
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Record answers to some of a device's checks as one `checks` event; the latest counts."""
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            "%(asset_tag)s has left the workshop (stage: %(stage)s): its checks cannot be "
            "answered.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )
    if not isinstance(results, Mapping) or not results:
        raise InvalidInput("Answer at least one check: pass, fail or na.", field="results")
    notes = notes or {}
    if not isinstance(notes, Mapping):
        raise InvalidInput("%(field)s must be a JSON object, {...}.", field="notes")
    items = {item.code: item for item in checklist(session, device.category, retired=True)}
    asked = [code for code, item in items.items() if item.active]
    for code, result in results.items():
        name = f"results.{str(code)[:MAX_CODE]}"
        item = items.get(code)
        if item is None:
            raise InvalidInput(
                "%(field)s: a %(category)s has no check %(check)r.",
                field=name,
                category=device.category,
                check=str(code)[:MAX_CODE],
                allowed=asked,
            )
        if not item.active:
            raise InvalidInput(
                "%(field)s: the check %(check)s is retired and no longer asked.",
                field=name,
                check=code,
                allowed=asked,
            )
        if result not in CHECK_RESULTS:
            raise InvalidInput(
                "%(field)s: unknown value %(value)r; answer pass, fail or na.",
                field=name,
                value=str(result)[:100],
                allowed=list(CHECK_RESULTS),
            )
    for code in notes:
        if code not in results:
            raise InvalidInput(
                "%(field)s: a note goes with an answer; answer %(check)s in results too.",
                field=f"notes.{str(code)[:MAX_CODE]}",
                check=str(code)[:MAX_CODE],
            )
    cleaned = {code: _clean_answer_note(notes.get(code), code) for code in results}

    _take_turn(session, device)
    answerer = performed_by or entered_by
    event = record_event(
        session,
        "checks",
        device=device,
        entered_by=entered_by,
        performed_by=performed_by,
        occurred_at=occurred_at,
        cycle=device.cycle,
        stage=device.stage,
        results=dict(results),
        notes={code: note for code, note in cleaned.items() if note} or None,
    )
    session.flush()
    current = {
        answer.item_id: answer
        for answer in session.scalars(
            select(CheckAnswer).where(
                CheckAnswer.device_id == device.id,
                CheckAnswer.cycle == device.cycle,
                CheckAnswer.item_id.in_([items[code].id for code in results]),
            )
        )
    }
    for code, result in results.items():
        item = items[code]
        answer = current.get(item.id)
        if answer is None:
            answer = CheckAnswer(device_id=device.id, cycle=device.cycle, item_id=item.id)
            session.add(answer)
        answer.result = result
        answer.note = cleaned[code]
        answer.answered_by = answerer
        answer.answered_at = event.occurred_at
        answer.event_id = event.id
    session.flush()
    return event


def answer_every_check(
    session: Session,
    device: Device,
    result: str = "pass",
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    occurred_at: datetime | None = None,
) -> Event | None:
    """Give one answer to every check still asked (demo data, imports, tests); None if none is."""
    codes = [item.code for item in checklist(session, device.category)]
    if not codes:
        return None
    return answer_checks(
        session,
        device,
        dict.fromkeys(codes, result),
        entered_by=entered_by,
        performed_by=performed_by,
        occurred_at=occurred_at,
    )


def changed_answers(
    checks: DeviceChecks, results: Mapping[str, str], notes: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Of a whole form's answers, those that differ from the current ones (with their notes)."""
    lines = {line.item.code: line for line in checks.lines}
    changed: dict[str, str] = {}
    for code, result in results.items():
        line = lines.get(code)
        note = (notes.get(code) or "").strip()
        if line is None or line.result != result or line.note != note:
            changed[code] = result
    return changed, {code: notes[code] for code in changed if notes.get(code)}


# -- the gate on `ready` ----------------------------------------------------------------------


def open_checks(session: Session, device: Device) -> tuple[list[str], list[str]]:
    """Codes of the active checks not answered in this cycle, and of those failed."""
    rows = session.execute(
        select(CheckItem.code, CheckAnswer.result)
        .select_from(CheckItem)
        .outerjoin(
            CheckAnswer,
            and_(
                CheckAnswer.item_id == CheckItem.id,
                CheckAnswer.device_id == device.id,
                CheckAnswer.cycle == device.cycle,
            ),
        )
        .where(CheckItem.category == device.category, CheckItem.active.is_(True))
        .order_by(CheckItem.position, CheckItem.id)
    )
    unanswered: list[str] = []
    failed: list[str] = []
    for code, result in rows:
        if result is None:
            unanswered.append(code)
        elif result == "fail":
            failed.append(code)
    return unanswered, failed


def _all_answered(session: Session, device: Device) -> str | None:
    unanswered, _failed = open_checks(session, device)
    return f"answers to the checks ({', '.join(unanswered)})" if unanswered else None


def _none_failed(session: Session, device: Device) -> str | None:
    _unanswered, failed = open_checks(session, device)
    return f"a pass on the failed checks ({', '.join(failed)})" if failed else None


add_gate("ready", Gate("checks_answered", _all_answered))
add_gate("ready", Gate("checks_passed", _none_failed))
