"""The donor's lot report: what became of each device given, counted and weighed, for the
donor's own CSR reporting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.platypus import Flowable

from labels.certificate import LotFacts
from labels.documents import (
    Frame,
    facts,
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

# The outcomes a donor is told of, in the order the report lists them.
OUTCOMES = ("reused", "in_progress", "recycled")

WORDS = {
    "en": {
        "title": "Lot report",
        "headline": "What became of your devices",
        "intro": (
            "%(workshop)s received this lot from %(donor)s. This report says what became of "
            "each device, for your own social and environmental (CSR) reporting."
        ),
        "intro_nodonor": (
            "%(workshop)s received this lot. This report says what became of each device."
        ),
        "in_short": "In short",
        "short": (
            "Reused: %(reused)d of %(total)d (%(reused_kg)s kg). Recycled: %(recycled)d "
            "(%(recycled_kg)s kg). Still being refurbished: %(progress)d. In all: %(kg)s kg."
        ),
        "outcome": "Outcome",
        "devices": "Devices",
        "kilograms": "Kilograms",
        "total": "Total",
        "reused": "Reused (refurbished, sold or for sale)",
        "in_progress": "Still being refurbished",
        "recycled": "Recycled",
        "unweighed": "Devices with no recorded weight, left out of the kilograms: %(count)d.",
        "erased": "Storage drives erased with verification: %(drives)d (certificates on request).",
        "one_reused": "reused",
        "one_in_progress": "in progress",
        "one_recycled": "recycled",
        "definitions": (
            "Reused: refurbished, then sold or ready for sale. Recycled: could not be reused and "
            "went to recycling, weighed. Still being refurbished: received, not finished yet; "
            "a later report will say what became of them."
        ),
        "every_device": "Every device",
        "device": "Device",
        "weight": "Weight (kg)",
        "stated": "Report of %(date)s.",
    },
    "fr": {
        "title": "Bilan du lot",
        "headline": "Ce que sont devenus vos appareils",
        "intro": (
            "%(workshop)s a reçu ce lot de %(donor)s. Ce bilan dit ce qu’est devenu chaque "
            "appareil, pour votre propre rapport de responsabilité sociétale (RSE)."
        ),
        "intro_nodonor": (
            "%(workshop)s a reçu ce lot. Ce bilan dit ce qu’est devenu chaque appareil."
        ),
        "in_short": "En bref",
        "short": (
            "Réemployés : %(reused)d sur %(total)d (%(reused_kg)s kg). Recyclés : %(recycled)d "
            "(%(recycled_kg)s kg). Encore en cours : %(progress)d. En tout : %(kg)s kg."
        ),
        "outcome": "Devenir",
        "devices": "Appareils",
        "kilograms": "Kilogrammes",
        "total": "Total",
        "reused": "Réemployés (reconditionnés, vendus ou en vente)",
        "in_progress": "Encore en cours de reconditionnement",
        "recycled": "Recyclés",
        "unweighed": (
            "Appareils sans poids enregistré, que les kilogrammes ne comptent pas : %(count)d."
        ),
        "erased": (
            "Supports de stockage effacés avec vérification : %(drives)d (certificats sur demande)."
        ),
        "one_reused": "réemployé",
        "one_in_progress": "en cours",
        "one_recycled": "recyclé",
        "definitions": (
            "Réemployés : reconditionnés, puis vendus ou prêts à la vente. Recyclés : ne "
            "pouvaient pas être réemployés et sont partis au recyclage, pesés. Encore en cours : "
            "reçus, pas encore terminés ; un prochain bilan dira ce qu’ils sont devenus."
        ),
        "every_device": "Chaque appareil",
        "device": "Appareil",
        "weight": "Poids (kg)",
        "stated": "Bilan du %(date)s.",
    },
}
say_in = wording(WORDS)


@dataclass(frozen=True)
class OutcomeTotal:
    """How many devices had one outcome, and what they weighed."""

    count: int = 0
    weight_kg: Decimal = Decimal("0")
    unweighed: int = 0


@dataclass(frozen=True)
class LotDevice:
    """One device of the lot as the donor sees it."""

    asset_tag: str
    description: str
    serial: str
    outcome: str
    weight_kg: Decimal | None


@dataclass(frozen=True)
class LotReport:
    """Everything the lot report states."""

    workshop: str
    lot: LotFacts
    outcomes: dict[str, OutcomeTotal]
    devices: Sequence[LotDevice]
    drives_erased: int
    stated_on: date


def render_lot_report(report: LotReport, language: str) -> bytes:
    """The lot report as PDF bytes."""
    for device in report.devices:
        if device.outcome not in OUTCOMES:
            raise ValueError(f"outcome is one of {', '.join(OUTCOMES)}, not {device.outcome!r}")
    say = say_in(language)
    style = styles()
    width = text_width()
    lot = report.lot
    totals = {name: report.outcomes.get(name, OutcomeTotal()) for name in OUTCOMES}
    count = sum(item.count for item in totals.values())
    weight = sum((item.weight_kg for item in totals.values()), Decimal("0"))
    unweighed = sum(item.unweighed for item in totals.values())

    def kg(value: Decimal) -> str:
        return format_number(value, language, places=3)  # to the gram

    intro = (
        say("intro", workshop=report.workshop, donor=lot.donor)
        if lot.donor
        else say("intro_nodonor", workshop=report.workshop)
    )
    rows = [(say("lot"), lot.code)]
    if lot.donor:
        rows.append((say("donor"), lot.donor))
    if lot.reference:
        rows.append((say("reference"), lot.reference))
    if lot.received_on:
        rows.append((say("received_on"), format_date(lot.received_on, language)))
    story: list[Flowable] = [
        para(say("headline"), style.title),
        para(intro, style.body),
        facts(rows, style, width),
        para(say("in_short"), style.heading),
        para(
            say(
                "short",
                reused=totals["reused"].count,
                total=count,
                reused_kg=kg(totals["reused"].weight_kg),
                recycled=totals["recycled"].count,
                recycled_kg=kg(totals["recycled"].weight_kg),
                progress=totals["in_progress"].count,
                kg=kg(weight),
            ),
            style.statement,
        ),
    ]
    table = [[say(name), str(totals[name].count), kg(totals[name].weight_kg)] for name in OUTCOMES]
    table.append([say("total"), str(count), kg(weight)])
    story.append(
        grid(
            [say("outcome"), say("devices"), say("kilograms")],
            table,
            [width * 0.6, width * 0.2, width * 0.2],
            style,
        )
    )
    if unweighed:
        story.append(para(say("unweighed", count=unweighed), style.small))
    if report.drives_erased:
        story.append(para(say("erased", drives=report.drives_erased), style.body))
    story += [spacer(2), para(say("definitions"), style.small)]
    if report.devices:
        story.append(para(say("every_device"), style.heading))
        rows_devices = [
            [
                device.asset_tag,
                device.description,
                device.serial,
                say(f"one_{device.outcome}"),
                kg(device.weight_kg) if device.weight_kg is not None else "",
            ]
            for device in report.devices
        ]
        story.append(
            grid(
                [say("asset_tag"), say("device"), say("serial"), say("outcome"), say("weight")],
                rows_devices,
                [width * s for s in (0.15, 0.33, 0.17, 0.22, 0.13)],
                style,
            )
        )
    story += [
        spacer(4),
        para(say("stated", date=format_date(report.stated_on, language)), style.small),
    ]
    frame = Frame(
        workshop=report.workshop,
        title=say("title"),
        reference=f"{say('lot')} {lot.code}",
        language=language,
    )
    return render(frame, story)
