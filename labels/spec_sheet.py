"""The spec sheet of a device for sale: what it is, how it looks, what was measured, that its
drives were erased, and its warranty.

"Refurbished" (« reconditionné ») is a promise: the sheet says it only of a device that
passed every check and erasure, and never calls a device new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable

from labels.certificate import ErasedDrive
from labels.documents import (
    Frame,
    facts,
    format_capacity,
    format_date,
    format_number,
    grid,
    para,
    render,
    spacer,
    styles,
    text_width,
    wording,
)

WORDS = {
    "en": {
        "title": "Specification sheet",
        "headline": "%(headline)s: %(category)s",
        "headline_refurbished": "Refurbished device",
        "headline_used": "Used device",
        "statement_refurbished": (
            "Refurbished by %(workshop)s: it passed every test and check the workshop requires, "
            "its storage was erased, and it was graded."
        ),
        "statement_used": (
            "Not every test or check has passed on this device: it is sold as a used device, "
            "tested as stated below."
        ),
        "identity": "Identity",
        "specs": "Specifications",
        "appearance": "Appearance",
        "grade": "Cosmetic grade",
        "grade_A": "A: very good condition, no cosmetic defect recorded.",
        "grade_B": "B: good condition, light signs of use.",
        "grade_C": "C: fair condition, visible signs of use.",
        "no_grade": "not graded",
        "defects": "Defects found",
        "no_defects": "none",
        "measured": "Measured on the test benches",
        "measurement": "Measurement",
        "value": "Value",
        "limits": "Limits",
        "result": "Result",
        "pass": "within limits",
        "fail": "out of limits",
        "not_measured": "not measured",
        "nothing_measured": "No bench measurement is recorded for this kind of device.",
        "erasure": "Data erasure",
        "erasure_drives": (
            "Every storage drive of this device was erased, and the erasure checked, following "
            "NIST SP 800-88:"
        ),
        "erasure_none": "This device holds no storage drive: it carried no data to erase.",
        "erasure_removed": (
            "The storage drive of this device was taken out and destroyed (NIST SP 800-88 "
            "Destroy): it is sold without a drive, and no data."
        ),
        "erasure_needless": "This kind of device keeps no user data: it needed no erasure.",
        "erasure_missing": "No erasure of this device's storage is recorded.",
        "drive": "Drive",
        "method": "Method",
        "nist": "NIST SP 800-88",
        "erased_on": "Erased on",
        "warranty": "Warranty",
        "warranty_text": (
            "%(months)d months from the date of sale, parts and labour. It comes on top of the "
            "legal guarantee of conformity, which it does not limit."
        ),
        "printed": "Sheet printed on %(date)s.",
        "low_high": "%(low)s to %(high)s",
        "at_least": "at least %(low)s",
        "at_most": "at most %(high)s",
        "health": "Battery health",
        "cycles": "Battery charge cycles",
        "full_charge_capacity": "Battery full charge capacity",
        "design_capacity": "Battery design capacity",
        "measured_capacity": "Battery measured capacity",
        "internal_resistance": "Battery internal resistance",
        "temperature": "Battery temperature",
        "voltage": "Battery voltage",
        "wear": "Drive wear",
        "power_on_hours": "Drive power-on hours",
        "reallocated_sectors": "Reallocated sectors",
        "pending_sectors": "Pending sectors",
        "uncorrectable_sectors": "Uncorrectable sectors",
        "power_good": "Power supply: power good signal",
        "power_good_time": "Power supply: power good delay",
        "verified": "Erasure verified",
        "sectors_sampled": "Sectors read back after erasure",
    },
    "fr": {
        "title": "Fiche technique",
        "headline": "%(headline)s : %(category)s",
        "headline_refurbished": "Appareil reconditionné",
        "headline_used": "Appareil d’occasion",
        "statement_refurbished": (
            "Reconditionné par %(workshop)s : il a réussi chaque test et chaque contrôle que "
            "l’atelier exige, ses supports de stockage ont été effacés, et son état a été noté."
        ),
        "statement_used": (
            "Cet appareil n’a pas réussi tous les tests ou contrôles : il est vendu comme "
            "appareil d’occasion, testé comme indiqué ci-dessous."
        ),
        "identity": "Identité",
        "specs": "Caractéristiques",
        "appearance": "Aspect",
        "grade": "Grade esthétique",
        "grade_A": "A : très bon état, aucun défaut esthétique relevé.",
        "grade_B": "B : bon état, légères traces d’usage.",
        "grade_C": "C : état correct, traces d’usage visibles.",
        "no_grade": "non noté",
        "defects": "Défauts relevés",
        "no_defects": "aucun",
        "measured": "Mesures sur les bancs de test",
        "measurement": "Mesure",
        "value": "Valeur",
        "limits": "Limites",
        "result": "Résultat",
        "pass": "dans les limites",
        "fail": "hors limites",
        "not_measured": "non mesuré",
        "nothing_measured": "Aucune mesure de banc n’est enregistrée pour ce type d’appareil.",
        "erasure": "Effacement des données",
        "erasure_drives": (
            "Chaque support de stockage de cet appareil a été effacé, et l’effacement vérifié, "
            "selon la norme NIST SP 800-88 :"
        ),
        "erasure_none": (
            "Cet appareil ne contient aucun support de stockage : il ne portait aucune donnée "
            "à effacer."
        ),
        "erasure_removed": (
            "Le support de stockage de cet appareil a été retiré et détruit (NIST SP 800-88 "
            "Destroy) : il est vendu sans support, et sans aucune donnée."
        ),
        "erasure_needless": (
            "Ce type d’appareil ne conserve pas de données d’utilisateur : aucun effacement "
            "n’était nécessaire."
        ),
        "erasure_missing": "Aucun effacement des supports de cet appareil n’est enregistré.",
        "drive": "Support",
        "method": "Méthode",
        "nist": "NIST SP 800-88",
        "erased_on": "Effacé le",
        "warranty": "Garantie",
        "warranty_text": (
            "%(months)d mois à compter de la date de vente, pièces et main-d’œuvre. Elle "
            "s’ajoute à la garantie légale de conformité, qu’elle ne limite pas."
        ),
        "printed": "Fiche imprimée le %(date)s.",
        "low_high": "de %(low)s à %(high)s",
        "at_least": "au moins %(low)s",
        "at_most": "au plus %(high)s",
        "health": "Santé de la batterie",
        "cycles": "Cycles de charge de la batterie",
        "full_charge_capacity": "Capacité de la batterie à pleine charge",
        "design_capacity": "Capacité d’origine de la batterie",
        "measured_capacity": "Capacité mesurée de la batterie",
        "internal_resistance": "Résistance interne de la batterie",
        "temperature": "Température de la batterie",
        "voltage": "Tension de la batterie",
        "wear": "Usure du disque",
        "power_on_hours": "Heures de fonctionnement du disque",
        "reallocated_sectors": "Secteurs réalloués",
        "pending_sectors": "Secteurs en attente",
        "uncorrectable_sectors": "Secteurs illisibles",
        "power_good": "Alimentation : signal « power good »",
        "power_good_time": "Alimentation : délai du signal « power good »",
        "verified": "Effacement vérifié",
        "sectors_sampled": "Secteurs relus après effacement",
    },
}
say_in = wording(WORDS)
METHODS = {
    "en": {"OVERWRITE": "Overwrite", "CRYPTO": "Cryptographic erase", "SANITIZE": "Sanitize"},
    "fr": {
        "OVERWRITE": "Écrasement",
        "CRYPTO": "Effacement cryptographique",
        "SANITIZE": "Effacement par le micrologiciel",
    },
}
# drives: its drives erased; no_storage: it has none; removed: its drives were taken out and
# destroyed; needless: its kind keeps no data; missing: none of these is recorded.
ERASURE_STATES = ("drives", "no_storage", "removed", "needless", "missing")


@dataclass(frozen=True)
class Measured:
    """One value a bench measured, with its limits and outcome."""

    name: str
    value: float | None
    unit: str
    outcome: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class SpecSheet:
    """What a spec sheet states of one device ready for sale."""

    workshop: str
    asset_tag: str
    category: str
    make: str
    model: str
    serial: str
    specs: Sequence[tuple[str, str]]
    grade: str | None
    defects: Sequence[str]
    measurements: Sequence[Measured]
    erasure: str
    drives: Sequence[ErasedDrive]
    refurbished: bool
    warranty_months: int
    printed_on: date


# Units as a reader writes them; Helvetica has no Ω, so mOhm stays.
SHOWN_UNITS = {"C": "°C"}


def _unit(item: Measured) -> str:
    """The measurement's unit after a no-break space; none for a count of cycles."""
    if item.unit in ("", "cycles"):
        return ""
    return f"\u00a0{SHOWN_UNITS.get(item.unit, item.unit)}"


def _value(item: Measured, language: str) -> str:
    if item.value is None:
        return ""
    return f"{format_number(item.value, language, places=2)}{_unit(item)}"


def _limits(item: Measured, language: str) -> str:
    say = say_in(language)
    unit = _unit(item)
    low = None if item.low is None else format_number(item.low, language, 2) + unit
    high = None if item.high is None else format_number(item.high, language, 2) + unit
    if low is not None and high is not None:
        return low if low == high else say("low_high", low=low, high=high)
    if low is not None:
        return say("at_least", low=low)
    if high is not None:
        return say("at_most", high=high)
    return ""


def _name(item: Measured, language: str) -> str:
    table = WORDS[language]
    return table.get(item.name, item.name.replace("_", " "))


def render_spec_sheet(sheet: SpecSheet, language: str) -> bytes:
    """The spec sheet as PDF bytes."""
    if sheet.erasure not in ERASURE_STATES:
        raise ValueError(f"erasure is one of {', '.join(ERASURE_STATES)}")
    say = say_in(language)
    style = styles()
    width = text_width()
    headline = say("headline_refurbished" if sheet.refurbished else "headline_used")
    statement = (
        say("statement_refurbished", workshop=sheet.workshop)
        if sheet.refurbished
        else say("statement_used")
    )
    story: list[Flowable] = [
        para(say("headline", headline=headline, category=sheet.category), style.title),
        para(f"{sheet.make} {sheet.model}", style.subtitle),
        para(statement, style.statement),
        para(say("identity"), style.heading),
    ]
    identity = [(say("asset_tag"), sheet.asset_tag), (say("category"), sheet.category)]
    identity.append((say("make_model"), f"{sheet.make} {sheet.model}"))
    if sheet.serial:
        identity.append((say("serial"), sheet.serial))
    story.append(facts(identity, style, width))
    if sheet.specs:
        story += [para(say("specs"), style.heading), facts(sheet.specs, style, width)]
    grade = say(f"grade_{sheet.grade}") if sheet.grade in ("A", "B", "C") else say("no_grade")
    defects = ", ".join(sheet.defects) if sheet.defects else say("no_defects")
    story += [
        para(say("appearance"), style.heading),
        facts([(say("grade"), grade), (say("defects"), defects)], style, width),
        para(say("measured"), style.heading),
    ]
    if sheet.measurements:
        rows = [
            [
                _name(item, language),
                _value(item, language),
                _limits(item, language),
                say(item.outcome)
                if item.outcome in ("pass", "fail", "not_measured")
                else item.outcome,
            ]
            for item in sheet.measurements
        ]
        header = [say("measurement"), say("value"), say("limits"), say("result")]
        story.append(grid(header, rows, [width * s for s in (0.4, 0.18, 0.22, 0.2)], style))
    else:
        story.append(para(say("nothing_measured"), style.body))
    story.append(para(say("erasure"), style.heading))
    if sheet.erasure == "drives" and sheet.drives:
        story.append(para(say("erasure_drives"), style.body))
        rows = [
            [
                f"{drive.model} ({drive.drive_type} "
                f"{format_capacity(drive.capacity_bytes, language)}), {drive.serial}",
                f"{METHODS[language].get(drive.method, drive.method)} ({drive.method})",
                drive.nist_category,
                format_date(drive.ended_at.date(), language),
            ]
            for drive in sheet.drives
        ]
        header = [say("drive"), say("method"), say("nist"), say("erased_on")]
        story.append(grid(header, rows, [width * s for s in (0.42, 0.26, 0.14, 0.18)], style))
    else:
        state = {
            "no_storage": "erasure_none",
            "removed": "erasure_removed",
            "needless": "erasure_needless",
        }
        story.append(para(say(state.get(sheet.erasure, "erasure_missing")), style.body))
    story += [
        para(say("warranty"), style.heading),
        para(say("warranty_text", months=sheet.warranty_months), style.body),
        spacer(4),
        para(say("printed", date=format_date(sheet.printed_on, language)), style.small),
    ]
    frame = Frame(
        workshop=sheet.workshop,
        title=say("title"),
        reference=f"{sheet.asset_tag} · {sheet.make} {sheet.model}",
        language=language,
    )
    return render(frame, story)
