"""The data erasure certificate, for one device or a donor's whole lot: every drive, how it
was erased, its NIST SP 800-88 category, when, by whom, verified how, on which bench or tool;
or, for a drive that could not be erased, how it was physically destroyed (NIST Destroy) and
the destruction's reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether

from labels.documents import (
    PADDING,
    Frame,
    facts,
    format_capacity,
    format_date,
    format_datetime,
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
        "title": "Data erasure certificate",
        "number": "Certificate %(number)s, issued %(when)s by %(issuer)s.",
        "number_nobody": "Certificate %(number)s, issued %(when)s.",
        "footer": "Erasure certificate %(number)s",
        "statement": (
            "%(workshop)s certifies that every storage drive listed below was erased with the "
            "method stated, and the erasure checked as stated, following NIST Special "
            "Publication 800-88 Rev. 1, Guidelines for Media Sanitization."
        ),
        "statement_destroyed": (
            "%(workshop)s certifies that every storage drive listed below was erased with the "
            "method stated, and the erasure checked as stated, or, when it could not be "
            "erased, physically destroyed as stated, following NIST Special Publication "
            "800-88 Rev. 1, Guidelines for Media Sanitization."
        ),
        "categories": (
            "NIST SP 800-88 categories: Clear overwrites every user-addressable block and "
            "protects against recovery with ordinary tools; Purge (cryptographic or firmware "
            "erase) protects against recovery even in a laboratory; Destroy makes the drive "
            "unusable."
        ),
        "verify": (
            "%(workshop)s keeps the SHA-256 fingerprint of this file, with what it certifies, "
            "when and by whom it was issued: the workshop can confirm that a copy is one it "
            "issued, unaltered."
        ),
        "lot_heading": "Donor lot",
        "summary": "Devices: %(devices)d; drives erased: %(drives)d.",
        "summary_destroyed": (
            "Devices: %(devices)d; drives erased: %(drives)d; drives destroyed: %(destroyed)d."
        ),
        "verdict": "%(verdict)s: %(detail)s",
        "device_heading": "%(tag)s: %(category)s %(make)s %(model)s",
        "serial_line": "Serial number %(serial)s.",
        "serial_short": "S/N %(serial)s",
        "device": "Device",
        "drive": "Drive",
        "drive_serial": "Drive serial",
        "method": "Method",
        "nist": "NIST SP 800-88",
        "dates": "Started, ended",
        "operator": "Operator",
        "verification": "Verification",
        "tool": "Bench or tool",
        "verified": "verified",
        "not_verified": "NOT verified",
        "manual": "recorded by hand",
        "OVERWRITE": "Overwrite",
        "CRYPTO": "Cryptographic erase",
        "SANITIZE": "Firmware sanitize",
        "DESTROY": "Physical destruction",
        "destroy_method": "%(method)s (%(code)s): %(how)s",
        "shredded": "shredded",
        "crushed": "crushed",
        "drilled": "drilled through",
        "disintegrated": "disintegrated",
        "incinerated": "incinerated",
        "destroyed": "destroyed",
        "destroyed_on": "destroyed %(when)s",
        "reference": "reference %(reference)s",
        "no_storage": "Recorded as having no storage drive: nothing to erase.",
        "not_covered_heading": "Devices of the lot this certificate does not cover",
        "not_covered": "No erasure recorded (not erased yet, or left the workshop without).",
    },
    "fr": {
        "title": "Certificat d’effacement des données",
        "number": "Certificat %(number)s, délivré le %(when)s par %(issuer)s.",
        "number_nobody": "Certificat %(number)s, délivré le %(when)s.",
        "footer": "Certificat d’effacement %(number)s",
        "statement": (
            "%(workshop)s certifie que chaque support de stockage listé ci-dessous a été "
            "effacé par la méthode indiquée, et l’effacement vérifié comme indiqué, selon la "
            "publication spéciale NIST 800-88 rév. 1, Guidelines for Media Sanitization."
        ),
        "categories": (
            "Catégories NIST SP 800-88 : Clear (effacement) écrase chaque bloc adressable et "
            "protège contre une récupération avec des outils ordinaires ; Purge (effacement "
            "cryptographique ou par le micrologiciel) protège même contre une récupération en "
            "laboratoire ; Destroy (destruction) rend le support inutilisable."
        ),
        "verify": (
            "%(workshop)s conserve l’empreinte SHA-256 de ce fichier, avec ce qu’il certifie, "
            "la date et l’auteur de sa délivrance : l’atelier peut confirmer qu’une copie est "
            "bien l’une des siennes, sans altération."
        ),
        "lot_heading": "Lot du donateur",
        "statement_destroyed": (
            "%(workshop)s certifie que chaque support de stockage listé ci-dessous a été "
            "effacé par la méthode indiquée, et l’effacement vérifié comme indiqué, ou, s’il "
            "ne pouvait pas être effacé, détruit physiquement comme indiqué, selon la "
            "publication spéciale NIST 800-88 rév. 1, Guidelines for Media Sanitization."
        ),
        "summary": "Appareils : %(devices)d ; supports effacés : %(drives)d.",
        "summary_destroyed": (
            "Appareils : %(devices)d ; supports effacés : %(drives)d ; supports détruits : "
            "%(destroyed)d."
        ),
        "verdict": "%(verdict)s : %(detail)s",
        "device_heading": "%(tag)s : %(category)s %(make)s %(model)s",
        "serial_line": "Numéro de série %(serial)s.",
        "serial_short": "N° de série %(serial)s",
        "device": "Appareil",
        "drive": "Support",
        "drive_serial": "N° de série du support",
        "method": "Méthode",
        "nist": "NIST SP 800-88",
        "dates": "Début, fin",
        "operator": "Opérateur",
        "verification": "Vérification",
        "tool": "Banc ou outil",
        "verified": "vérifié",
        "not_verified": "NON vérifié",
        "manual": "saisi à la main",
        "OVERWRITE": "Écrasement",
        "CRYPTO": "Effacement cryptographique",
        "SANITIZE": "Effacement par le micrologiciel",
        "DESTROY": "Destruction physique",
        "destroy_method": "%(method)s (%(code)s) : %(how)s",
        "shredded": "broyé",
        "crushed": "écrasé",
        "drilled": "percé de part en part",
        "disintegrated": "désintégré",
        "incinerated": "incinéré",
        "destroyed": "détruit",
        "destroyed_on": "détruit le %(when)s",
        "reference": "référence %(reference)s",
        "no_storage": "Enregistré sans support de stockage : rien à effacer.",
        "not_covered_heading": "Appareils du lot que ce certificat ne couvre pas",
        "not_covered": "Aucun effacement enregistré (pas encore effacé, ou parti sans l’être).",
    },
}
say_in = wording(WORDS)


@dataclass(frozen=True)
class ErasedDrive:
    """One drive as its erasure record has it."""

    model: str
    serial: str
    capacity_bytes: int
    drive_type: str
    method: str
    nist_category: str
    started_at: datetime
    ended_at: datetime
    operator: str
    verified: bool
    verification: str
    tool: str
    manual: bool = False
    # For a drive destroyed instead of erased (method DESTROY): how, and the reference of
    # the destruction (a destruction company's certificate, a locked bin's batch).
    destruction: str = ""
    reference: str = ""

    @property
    def destroyed(self) -> bool:
        """True for a drive physically destroyed rather than erased."""
        return self.method == "DESTROY"


@dataclass(frozen=True)
class ErasedDevice:
    """A device and its drives erased in its current cycle (or its lack of storage)."""

    asset_tag: str
    category: str
    make: str
    model: str
    serial: str
    drives: Sequence[ErasedDrive] = ()
    no_storage: bool = False

    @property
    def covered(self) -> bool:
        """True when the certificate has something to say of it."""
        return bool(self.drives) or self.no_storage


@dataclass(frozen=True)
class LotFacts:
    """A donor lot as documents name it."""

    code: str
    donor: str
    reference: str
    received_on: date | None


@dataclass(frozen=True)
class Certificate:
    """What one certificate states, for one device or for the devices of a lot."""

    number: str
    workshop: str
    issued_at: datetime
    issued_by: str
    devices: Sequence[ErasedDevice]
    time_zone: str
    lot: LotFacts | None = None
    # Devices of the lot with nothing recorded: named, so the donor sees none is forgotten.
    not_covered: Sequence[ErasedDevice] = field(default_factory=tuple)


# The last column's share of the width, in a device's table and in a lot's.
TOOL_SHARE = 0.15


def _fitted(text: str) -> str:
    """Text whose every word fits the last column: a reference typed without a blank (a long
    certificate number) is cut where it reaches the edge, instead of running over it."""
    style = styles().dense
    room = text_width() * TOOL_SHARE - 2 * PADDING
    words = []
    for word in text.split(" "):
        while stringWidth(word, style.fontName, style.fontSize) > room and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and stringWidth(word[:cut], style.fontName, style.fontSize) > room:
                cut -= 1
            # After a hyphen or a slash when there is one: DESTRUKT-2026-/118 reads better.
            joint = max(word.rfind("-", 1, cut), word.rfind("/", 1, cut))
            cut = joint + 1 if joint > 0 else cut
            words.append(word[:cut] + "\n")
            word = word[cut:]
        words.append(word + " ")
    return "".join(words).replace("\n ", "\n").rstrip(" ")


def _destroyed_row(drive: ErasedDrive, language: str) -> list[str]:
    """A drive destroyed: how instead of a method, one date, and the destruction's reference."""
    say = say_in(language)
    how = say(drive.destruction) if drive.destruction in WORDS[language] else drive.destruction
    where = _fitted(say("reference", reference=drive.reference)) if drive.reference else ""
    tool = "\n".join(part for part in (where, say("manual") if drive.manual else "") if part)
    return [
        f"{drive.model}\n{drive.drive_type} {format_capacity(drive.capacity_bytes, language)}",
        drive.serial,
        f"{say('destroy_method', method=say('DESTROY'), code=drive.method, how=how)}\n"
        f"{drive.nist_category}",
        say("destroyed_on", when=format_datetime(drive.ended_at, language)),
        f"{drive.operator}\n{say('destroyed')}",
        tool,
    ]


def _drive_rows(drives: Sequence[ErasedDrive], language: str) -> list[list[str]]:
    say = say_in(language)
    rows = []
    for drive in drives:
        if drive.destroyed:
            rows.append(_destroyed_row(drive, language))
            continue
        verdict = say("verified") if drive.verified else say("not_verified")
        if drive.verification:
            verdict = say("verdict", verdict=verdict, detail=drive.verification)
        tool = drive.tool + (f" ({say('manual')})" if drive.manual else "")
        rows.append(
            [
                f"{drive.model}\n{drive.drive_type} "
                f"{format_capacity(drive.capacity_bytes, language)}",
                drive.serial,
                f"{say(drive.method)} ({drive.method})\n{drive.nist_category}",
                f"{format_datetime(drive.started_at, language)}\n"
                f"{format_datetime(drive.ended_at, language)}",
                f"{drive.operator}\n{verdict}",
                tool,
            ]
        )
    return rows


def _device_block(device: ErasedDevice, language: str) -> list[Flowable]:
    say = say_in(language)
    style = styles()
    width = text_width()
    heading = say(
        "device_heading",
        tag=device.asset_tag,
        category=device.category,
        make=device.make,
        model=device.model,
    )
    block: list[Flowable] = [para(heading, style.heading)]
    if device.serial:
        block.append(para(say("serial_line", serial=device.serial), style.body))
    if device.drives:
        header = [
            say("drive"),
            say("drive_serial"),
            f"{say('method')}, {say('nist')}",
            say("dates"),
            f"{say('operator')}, {say('verification')}",
            say("tool"),
        ]
        shares = (0.17, 0.21, 0.16, 0.15, 0.16, TOOL_SHARE)
        rows = _drive_rows(device.drives, language)
        block.append(grid(header, rows, [width * s for s in shares], style, dense=True))
    if device.no_storage:
        block.append(para(say("no_storage"), style.body))
    return [KeepTogether(block[:3]), *block[3:]]


def _lot_rows(devices: Sequence[ErasedDevice], language: str) -> list[list[str]]:
    """One row per drive, the device named on its first: one table for a whole lot."""
    say = say_in(language)
    rows = []
    for device in devices:
        named = f"{device.asset_tag}\n{device.category} {device.make} {device.model}"
        if device.serial:
            named += f"\n{say('serial_short', serial=device.serial)}"
        for index, row in enumerate(_drive_rows(device.drives, language)):
            drive, serial, *rest = row
            rows.append([named if index == 0 else "", f"{drive}\n{serial}", *rest])
        if device.no_storage:
            rows.append([named if not device.drives else "", say("no_storage"), "", "", "", ""])
    return rows


def _lot_table(devices: Sequence[ErasedDevice], language: str) -> Flowable:
    say = say_in(language)
    header = [
        say("device"),
        f"{say('drive')}, {say('drive_serial')}",
        f"{say('method')}, {say('nist')}",
        say("dates"),
        f"{say('operator')}, {say('verification')}",
        say("tool"),
    ]
    shares = (0.19, 0.2, 0.15, 0.15, 0.16, TOOL_SHARE)
    rows = _lot_rows(devices, language)
    return grid(header, rows, [text_width() * s for s in shares], styles(), dense=True)


def render_certificate(certificate: Certificate, language: str) -> bytes:
    """The certificate as PDF bytes."""
    say = say_in(language)
    style = styles()
    width = text_width()
    when = format_datetime(certificate.issued_at, language)
    if certificate.issued_by:
        line = say("number", number=certificate.number, when=when, issuer=certificate.issued_by)
    else:
        line = say("number_nobody", number=certificate.number, when=when)
    every_drive = [drive for device in certificate.devices for drive in device.drives]
    destroyed = sum(1 for drive in every_drive if drive.destroyed)
    statement = "statement_destroyed" if destroyed else "statement"
    story: list[Flowable] = [
        para(say("title"), style.title),
        para(line, style.subtitle),
        para(say(statement, workshop=certificate.workshop), style.statement),
    ]
    if certificate.lot is not None:
        lot = certificate.lot
        rows = [(say("lot"), lot.code)]
        if lot.donor:
            rows.append((say("donor"), lot.donor))
        if lot.reference:
            rows.append((say("reference"), lot.reference))
        if lot.received_on:
            rows.append((say("received_on"), format_date(lot.received_on, language)))
        story += [para(say("lot_heading"), style.heading), facts(rows, style, width)]
        devices, erased = len(certificate.devices), len(every_drive) - destroyed
        if destroyed:
            summary = say("summary_destroyed", devices=devices, drives=erased, destroyed=destroyed)
        else:
            summary = say("summary", devices=devices, drives=erased)
        story.append(para(summary, style.body))
    if certificate.lot is not None:
        # A lot holds hundreds of devices: one table reads (and draws) faster than a block each.
        story.append(_lot_table(certificate.devices, language))
    else:
        for device in certificate.devices:
            story += _device_block(device, language)
    if certificate.not_covered:
        story.append(para(say("not_covered_heading"), style.heading))
        rows = [
            [device.asset_tag, f"{device.category} {device.make} {device.model}", device.serial]
            for device in certificate.not_covered
        ]
        story.append(para(say("not_covered"), style.body))
        story.append(
            grid(
                [say("asset_tag"), say("make_model"), say("serial")],
                rows,
                [width * 0.2, width * 0.5, width * 0.3],
                style,
            )
        )
    story += [
        spacer(4),
        para(say("categories"), style.small),
        spacer(2),
        para(say("verify", workshop=certificate.workshop), style.small),
        spacer(2),
        para(say("times_in", zone=certificate.time_zone), style.small),
    ]
    frame = Frame(
        workshop=certificate.workshop,
        title=say("title"),
        reference=say("footer", number=certificate.number),
        language=language,
    )
    return render(frame, story)
