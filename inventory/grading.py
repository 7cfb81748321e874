"""The cosmetic grade from coded defects, and a manager's override of it.

The rule, written once (and shown on the work card in these words):

- no defect: grade A;
- only minor defects, at most MAX_MINOR_FOR_B of them: grade B;
- a major defect, or more than MAX_MINOR_FOR_B minor ones: grade C.

Recording the defects again replaces the list of the current cycle and
recomputes the grade. A manager (or admin) may override the computed grade
with a reason; the override stands, even when defects are recorded again,
until a manager clears it. A new cycle starts with no defects and no grade.
Every change is one event: `graded` (by hand, or `source: defects`),
`defects_recorded` (while an override stands), `grade_overridden` and
`grade_override_cleared`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.accounts import User
from inventory.errors import N_, InvalidInput, NotFound, WorkshopError
from inventory.models import Device, Grading, GradingDefect
from inventory.stages import check_gradable, write_grade
from inventory.types import utcnow

# Who may put their own grade in place of the one the defects give.
OVERRIDE_ROLES = ("manager", "admin")
MAX_MINOR_FOR_B = 2
MAX_REASON = 500


@dataclass(frozen=True)
class DefectKind:
    """One entry of the catalogue: a stored code, how much it weighs, its English name."""

    code: str
    severity: str  # "minor" or "major"
    label: str  # translated at display


# The catalogue of cosmetic defects, in the order the work card lists them.
CATALOGUE: tuple[DefectKind, ...] = (
    DefectKind("lid_scratch", "minor", N_("Scratch on the lid")),
    DefectKind("lid_dent", "major", N_("Dent in the lid")),
    DefectKind("case_scuff", "minor", N_("Scuffs on the case")),
    DefectKind("case_crack", "major", N_("Crack in the case")),
    DefectKind("sticker_residue", "minor", N_("Sticker residue")),
    DefectKind("discoloured", "minor", N_("Yellowed or discoloured plastic")),
    DefectKind("foot_missing", "minor", N_("Rubber foot missing")),
    DefectKind("engraving", "major", N_("Engraving or permanent marking")),
    DefectKind("keyboard_worn", "minor", N_("Worn keyboard (shiny or faded keys)")),
    DefectKind("missing_key", "major", N_("Key missing")),
    DefectKind("palmrest_worn", "minor", N_("Worn palm rest")),
    DefectKind("screen_mark", "minor", N_("Mark on the screen, seen when it is off")),
    DefectKind("screen_scratch", "major", N_("Scratch on the screen")),
    DefectKind("bezel_chip", "minor", N_("Chip in the screen bezel")),
)
DEFECTS: dict[str, DefectKind] = {kind.code: kind for kind in CATALOGUE}
DEFECT_CODES: tuple[str, ...] = tuple(DEFECTS)

SEVERITY_LABELS = {"minor": N_("Minor"), "major": N_("Major")}

# The rule in words, one line per grade; filled with limit and many.
RULE: tuple[tuple[str, str], ...] = (
    ("A", N_("No defect.")),
    ("B", N_("Only minor defects, %(limit)d at most.")),
    ("C", N_("A major defect, or %(many)d minor defects or more.")),
)
RULE_VALUES = {"limit": MAX_MINOR_FOR_B, "many": MAX_MINOR_FOR_B + 1}


class OverrideRefused(WorkshopError):
    """Someone without a manager's role tried to change a grade the defects gave."""

    code = "forbidden"


@dataclass(frozen=True)
class Verdict:
    """The grade a list of defects gives, which branch of the rule gave it, and the counts.

    `rule` is kept in the event: no_defect, few_minor, major or many_minor.
    """

    grade: str
    rule: str
    minor: int
    major: int


def compute_grade(codes: list[str] | tuple[str, ...]) -> Verdict:
    """The grade the rule gives to these defect codes (each a code of the catalogue)."""
    major = sum(1 for code in codes if DEFECTS[code].severity == "major")
    minor = len(codes) - major
    if major:
        return Verdict("C", "major", minor, major)
    if minor > MAX_MINOR_FOR_B:
        return Verdict("C", "many_minor", minor, major)
    if minor:
        return Verdict("B", "few_minor", minor, major)
    return Verdict("A", "no_defect", minor, major)


def may_override(user: User | None) -> bool:
    """True when the user's role may override a computed grade."""
    return user is not None and user.role in OVERRIDE_ROLES


def current_grading(session: Session, device: Device) -> Grading | None:
    """The defects and grade recorded for the device's current cycle, if any."""
    return session.scalar(
        select(Grading)
        .where(Grading.device_id == device.id, Grading.cycle == device.cycle)
        .options(selectinload(Grading.defects))
    )


def clean_codes(codes: Any, *, field: str = "defects") -> list[str]:
    """The defect codes as a list in catalogue order, or a refusal naming the wrong one."""
    if not isinstance(codes, (list, tuple)):
        raise InvalidInput(N_("%(field)s must be a list of defect codes."), field=field)
    seen: set[str] = set()
    for index, code in enumerate(codes):
        name = f"{field}[{index}]"
        if not isinstance(code, str) or code not in DEFECTS:
            raise InvalidInput(
                N_("%(field)s: unknown defect %(value)r."),
                field=name,
                value=str(code)[:100],
                allowed=list(DEFECT_CODES),
            )
        if code in seen:
            raise InvalidInput(N_("%(field)s: %(value)s is listed twice."), field=name, value=code)
        seen.add(code)
    return [code for code in DEFECT_CODES if code in seen]


def _clean_reason(reason: Any) -> str:
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput(N_("%(field)s must be text."), field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            N_("An override needs a reason: say why the grade differs from the defects' grade."),
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field="reason", limit=MAX_REASON
        )
    return reason


def _refuse_unless_manager(device: Device, user: User | None, grading: Grading) -> None:
    if may_override(user):
        return
    if grading.overridden:
        template = N_(
            "%(asset_tag)s has grade %(grade)s, set by a manager's override: "
            "only a manager can change it."
        )
    else:
        template = N_(
            "%(asset_tag)s has grade %(grade)s from its recorded defects: record the defects "
            "again to change it, or ask a manager to override it."
        )
    raise OverrideRefused(
        template,
        asset_tag=device.asset_tag,
        grade=device.grade,
        permission="override_grade",
    )


def is_override(session: Session, device: Device, grade: Any) -> bool:
    """True when setting this grade by hand would replace a grade the defects (or a manager) gave."""
    grading = current_grading(session, device)
    return grading is not None and grade != device.grade


def record_defects(
    session: Session,
    device: Device,
    codes: Any,
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    note: Any = None,
    occurred_at: datetime | None = None,
) -> Grading:
    """Record the defects found in this cycle (replacing any earlier list) and grade by the rule."""
    codes = clean_codes(codes)
    verdict = compute_grade(codes)
    check_gradable(device, verdict.grade)
    grading = current_grading(session, device)
    details: dict[str, Any] = {"defects": codes, "computed_grade": verdict.grade}
    details["rule"] = verdict.rule
    # The device row is written first: its version makes a second terminal wait, then fail.
    if grading is not None and grading.overridden:
        write_grade(
            session,
            device,
            device.grade,
            kind="defects_recorded",
            entered_by=entered_by,
            performed_by=performed_by,
            note=note,
            occurred_at=occurred_at,
            override_stands=True,
            **details,
        )
    else:
        write_grade(
            session,
            device,
            verdict.grade,
            entered_by=entered_by,
            performed_by=performed_by,
            note=note,
            occurred_at=occurred_at,
            source="defects",
            **details,
        )
    if grading is None:
        grading = Grading(device_id=device.id, cycle=device.cycle)
        session.add(grading)
    grading.computed_grade = verdict.grade
    grading.recorded_by = entered_by
    grading.recorded_at = occurred_at or utcnow()
    # The old list goes first: one flush inserts before it deletes, and a code
    # found again would clash with itself.
    grading.defects.clear()
    session.flush()
    grading.defects.extend(GradingDefect(code=code) for code in codes)
    session.flush()
    return grading


def override_grade(
    session: Session,
    device: Device,
    grade: Any,
    *,
    reason: Any,
    entered_by: User | None,
    note: Any = None,
    occurred_at: datetime | None = None,
) -> Grading:
    """A manager puts their grade in place of the computed one, saying why."""
    check_gradable(device, grade)
    grading = current_grading(session, device)
    if grading is None:
        raise InvalidInput(
            N_(
                "%(asset_tag)s has no defects recorded in this cycle: record them first, "
                "or set the grade by hand."
            ),
            field="grade",
            asset_tag=device.asset_tag,
        )
    _refuse_unless_manager(device, entered_by, grading)
    reason = _clean_reason(reason)
    write_grade(
        session,
        device,
        grade,
        kind="grade_overridden",
        entered_by=entered_by,
        note=note,
        occurred_at=occurred_at,
        computed_grade=grading.computed_grade,
        reason=reason,
    )
    grading.override_grade = grade
    grading.override_reason = reason
    grading.overridden_by = entered_by
    grading.overridden_at = occurred_at or utcnow()
    session.flush()
    return grading


def clear_override(
    session: Session,
    device: Device,
    *,
    entered_by: User | None,
    occurred_at: datetime | None = None,
) -> Grading:
    """A manager lifts the override: the grade is the one the defects give again."""
    grading = current_grading(session, device)
    if grading is None or not grading.overridden:
        raise NotFound(
            N_("%(asset_tag)s has no grade override to clear."), asset_tag=device.asset_tag
        )
    _refuse_unless_manager(device, entered_by, grading)
    write_grade(
        session,
        device,
        grading.computed_grade,
        kind="grade_override_cleared",
        entered_by=entered_by,
        occurred_at=occurred_at,
        computed_grade=grading.computed_grade,
        override_grade=grading.override_grade,
    )
    grading.override_grade = None
    grading.override_reason = None
    grading.overridden_by = None
    grading.overridden_at = None
    session.flush()
    return grading


def grade_by_hand(
    session: Session,
    device: Device,
    grade: Any,
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    note: Any = None,
    reason: Any = None,
    occurred_at: datetime | None = None,
) -> Device:
    """A grade chosen by hand: anyone may give the first one; over the defects' grade it is an override."""
    check_gradable(device, grade)
    if is_override(session, device, grade):
        # The device page has only a note: there, the note is the override's reason.
        override_grade(
            session,
            device,
            grade,
            reason=reason if reason is not None else note,
            entered_by=entered_by,
            note=note if reason is not None else None,
            occurred_at=occurred_at,
        )
        return device
    details = {"reason": reason.strip()} if isinstance(reason, str) and reason.strip() else {}
    return write_grade(
        session,
        device,
        grade,
        entered_by=entered_by,
        performed_by=performed_by,
        note=note,
        occurred_at=occurred_at,
        **details,
    )
