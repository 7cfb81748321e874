"""What the work card says: one instruction per stage, and the names of grading codes."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from inventory.grading import (
    DEFECTS,
    MAX_MINOR_FOR_B,
    RULE,
    RULE_VALUES,
    SEVERITY_LABELS,
    Verdict,
)
from workshop.display import LABELS

# What to do in each stage, said to the person at the bench.
INSTRUCTIONS = {
    "received": _l(
        "Check the device against its label: make, model and serial. "
        "Note anything missing, then send it to triage."
    ),
    "triage": _l(
        "Switch it on and look it over. Worth repairing: send it to erasure. "
        "Not worth it: recycle it from the device page."
    ),
    "erasure": _l(
        "Erase every storage drive with the approved tool and keep the report. "
        "Then send it to diagnostics."
    ),
    "diagnostics": _l(
        "Run the diagnostic script on the test bench. Everything passed: send it to quality "
        "control. Something failed: send it to repair."
    ),
    "repair": _l(
        "Fix what failed: change the part, clean, tighten. Then test it again in diagnostics, "
        "or send it to quality control."
    ),
    "qc": _l(
        "Tick every check and record the cosmetic defects: that sets the grade. "
        "All good: it is ready for sale. A fault: back to repair."
    ),
    "ready": _l("Ready for sale. Put it on its shelf; the sales team takes it from here."),
    "sold": _l("Sold: nothing to do. If it comes back, it is received again."),
    "recycled": _l("Recycled: it has left the workshop. Nothing to do."),
    "returned": _l(
        "A customer brought it back. Read the reason in the history, then send it to triage."
    ),
}

# Events of grading, named for the history tables.
EVENT_LABELS = {
    "defects_recorded": _l("Defects recorded"),
    "grade_overridden": _l("Grade overridden"),
    "grade_override_cleared": _l("Grade override cleared"),
}


def register_labels() -> None:
    """Name the grading events and gates wherever the interface shows stored codes."""
    # display.py is shared by every area; the names of this area's codes join it here.
    for code, name in EVENT_LABELS.items():
        LABELS["event"].setdefault(code, name)
    LABELS["field"].setdefault("defects", _l("Defects"))


def instruction(stage: str) -> str:
    """What to do in this stage, in the user's language."""
    text = INSTRUCTIONS.get(stage)
    return str(text) if text is not None else ""


def defect_label(code: str) -> str:
    """The name of a defect code in the user's language; an unknown code as it is."""
    kind = DEFECTS.get(code)
    return gettext(kind.label) if kind is not None else code


def severity_label(severity: str) -> str:
    """Minor or major, in the user's language."""
    text = SEVERITY_LABELS.get(severity)
    return gettext(text) if text is not None else severity


def rule_lines() -> list[tuple[str, str]]:
    """The grading rule in words: (grade, condition), best grade first."""
    return [(grade, gettext(words, **RULE_VALUES)) for grade, words in RULE]


def verdict_text(verdict: Verdict) -> str:
    """Why the rule gave this grade, in words."""
    if verdict.rule == "major":
        return ngettext("%(num)d major defect", "%(num)d major defects", verdict.major)
    if verdict.rule == "many_minor":
        return gettext(
            "%(num)d minor defects, more than %(limit)d",
            num=verdict.minor,
            limit=MAX_MINOR_FOR_B,
        )
    if verdict.rule == "few_minor":
        return ngettext(
            "%(num)d minor defect and no major one",
            "%(num)d minor defects and no major one",
            verdict.minor,
        )
    return gettext("no defect was found")


def template_helpers() -> dict[str, Any]:
    """The names the work card and the device page use to say grading codes."""
    return {
        "defect_label": defect_label,
        "severity_label": severity_label,
        "grade_rule": rule_lines,
    }
