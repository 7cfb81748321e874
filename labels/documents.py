"""The page every document shares (A4, fonts with accents, header and footer) and its words.

Documents are built from plain values and come out as PDF bytes; nothing here knows the
database or the web. Their sentences are kept per language in WORDS, so a spec sheet or
a certificate reads the same from the web, the API and the command line.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

LANGUAGES = ("en", "fr")
NBSP = "\u00a0"
MARGIN = 18 * mm

# DejaVu covers every Latin script a donor's name may use; reportlab's Helvetica,
# the fallback, covers French (é, ’, « ») but not Polish or Turkish letters.
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)


class UnknownLanguage(ValueError):
    """A document asked in a language it is not written in."""

    def __init__(self, language: str) -> None:
        super().__init__(
            f"Documents are written in {', '.join(LANGUAGES)}, not {str(language)[:20]!r}."
        )
        self.language = language


@dataclass(frozen=True)
class Fonts:
    """The regular and bold faces the documents are set in."""

    regular: str
    bold: str


_fonts: Fonts | None = None


def fonts() -> Fonts:
    """DejaVu Sans when the system has it, else Helvetica; registered once per process."""
    global _fonts
    if _fonts is None:
        for folder in _FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                pdfmetrics.registerFont(TTFont("WorkshopSans", str(regular)))
                pdfmetrics.registerFont(TTFont("WorkshopSans-Bold", str(bold)))
                _fonts = Fonts("WorkshopSans", "WorkshopSans-Bold")
                break
        else:
            _fonts = Fonts("Helvetica", "Helvetica-Bold")
    return _fonts


def check_language(language: str) -> str:
    """The language itself, or UnknownLanguage."""
    if language not in LANGUAGES:
        raise UnknownLanguage(language)
    return language


# -- words ------------------------------------------------------------------------------------

# Shared by every document; each document module adds its own table.
COMMON = {
    "en": {
        "page": "Page %(number)d",
        "asset_tag": "Asset tag",
        "serial": "Serial number",
        "category": "Category",
        "make_model": "Make and model",
        "lot": "Donor lot",
        "donor": "Donor",
        "reference": "Reference",
        "received_on": "Received on",
        "times_in": "Times are given in %(zone)s time.",
        "yes": "yes",
        "no": "no",
        "none": "none",
    },
    "fr": {
        "page": "Page %(number)d",
        "asset_tag": "N° d’inventaire",
        "serial": "Numéro de série",
        "category": "Catégorie",
        "make_model": "Marque et modèle",
        "lot": "Lot du donateur",
        "donor": "Donateur",
        "reference": "Référence",
        "received_on": "Reçu le",
        "times_in": "Les heures sont données à l’heure de %(zone)s.",
        "yes": "oui",
        "no": "non",
        "none": "aucun",
    },
}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}


def french_spacing(text: str) -> str:
    """A no-break space before : ; ? ! and inside « », as French typography asks."""
    for mark in (":", ";", "?", "!"):
        text = text.replace(f" {mark}", f"{NBSP}{mark}")
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


def wording(*tables: dict[str, dict[str, str]]) -> Callable[..., Callable[..., str]]:
    """A function that gives, for a language, the sentence of a key filled with values."""

    def for_language(language: str) -> Callable[..., str]:
        check_language(language)
        merged: dict[str, str] = {}
        for table in (COMMON, *tables):
            merged.update(table[language])

        def say(key: str, **values: Any) -> str:
            text = merged[key] % values if values else merged[key]
            return french_spacing(text) if language == "fr" else text

        return say

    return for_language


def format_date(value: date | None, language: str) -> str:
    """A date as people write it: 2 July 2024, 2 juillet 2024."""
    if value is None:
        return ""
    month = MONTHS[language][value.month - 1]
    if language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    return f"{value.day} {month} {value.year}"


def format_datetime(value: datetime | None, language: str) -> str:
    """A moment, already in the workshop's time zone, to the minute."""
    if value is None:
        return ""
    if language == "fr":
        return f"{format_date(value.date(), language)} à {value:%H:%M}"
    return f"{format_date(value.date(), language)}, {value:%H:%M}"


def format_number(value: float | Decimal | int | None, language: str, places: int = 1) -> str:
    """A number with a decimal comma in French; whole numbers without decimals."""
    if value is None:
        return ""
    number = float(value)
    text = f"{number:,.{places}f}"
    if "." in text:
        # 4.500 kg reads as four thousand five hundred to some: no trailing zeros.
        text = text.rstrip("0").rstrip(".")
    if language == "fr":
        return text.replace(",", NBSP).replace(".", ",")
    return text


def format_capacity(capacity_bytes: int | None, language: str) -> str:
    """A drive's size in decimal gigabytes or terabytes, as drive makers count them."""
    if not capacity_bytes:
        return ""
    unit_gb, unit_tb = ("Go", "To") if language == "fr" else ("GB", "TB")
    if capacity_bytes >= 10**12:
        return f"{format_number(capacity_bytes / 10**12, language)}{NBSP}{unit_tb}"
    return f"{format_number(round(capacity_bytes / 10**9), language)}{NBSP}{unit_gb}"


# -- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of a document."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    dense: ParagraphStyle
    dense_bold: ParagraphStyle
    statement: ParagraphStyle


def styles() -> Styles:
    """Large enough to read without glasses, small enough for a lot's table on one page."""
    face = fonts()
    base = ParagraphStyle("body", fontName=face.regular, fontSize=10, leading=13.5)
    return Styles(
        title=ParagraphStyle("title", base, fontName=face.bold, fontSize=18, leading=22),
        subtitle=ParagraphStyle("subtitle", base, fontSize=12, leading=16, spaceAfter=4),
        heading=ParagraphStyle(
            "heading",
            base,
            fontName=face.bold,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
        ),
        body=ParagraphStyle("body", base, spaceAfter=4, alignment=TA_LEFT),
        small=ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=colors.black),
        cell=ParagraphStyle("cell", base, fontSize=8.5, leading=10.5),
        cell_bold=ParagraphStyle("cell_bold", base, fontName=face.bold, fontSize=8.5, leading=10.5),
        dense=ParagraphStyle("dense", base, fontSize=7.5, leading=9.5),
        dense_bold=ParagraphStyle(
            "dense_bold", base, fontName=face.bold, fontSize=7.5, leading=9.5
        ),
        statement=ParagraphStyle(
            "statement",
            base,
            fontName=face.bold,
            fontSize=10.5,
            leading=14,
            spaceBefore=4,
            spaceAfter=6,
            borderColor=colors.black,
            borderWidth=0.8,
            borderPadding=6,
        ),
    )


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: a donor named "<b>" stays text)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def facts(rows: Iterable[tuple[str, str]], style: Styles, width: float) -> Table:
    """Two columns: what, and its value."""
    data = [[para(name, style.cell_bold), para(value, style.cell)] for name, value in rows]
    table = Table(data, colWidths=[width * 0.32, width * 0.68], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


PADDING = 3


def wrapped(text: str, font: str, size: float, width: float) -> str:
    """Text broken into lines that fit a width, its own line breaks kept."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines += simpleSplit(line, font, size, width) or [""]
    return "\n".join(lines)


def grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    style: Styles,
    *,
    dense: bool = False,
) -> Table:
    """A table with a header row repeated on every page; `dense` sets it smaller.

    Cells are plain text wrapped here, not paragraphs: a lot's table of hundreds of drives
    is then laid out in a fraction of the time, and reads the same.
    """
    cell, bold = (style.dense, style.dense_bold) if dense else (style.cell, style.cell_bold)
    room = [width - 2 * PADDING for width in widths]
    data = [
        [
            wrapped(name, bold.fontName, bold.fontSize, w)
            for name, w in zip(header, room, strict=True)
        ]
    ]
    data += [
        [
            wrapped(value, cell.fontName, cell.fontSize, w)
            for value, w in zip(row, room, strict=True)
        ]
        for row in rows
    ]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize, cell.leading),
                ("FONT", (0, 0), (-1, 0), bold.fontName, bold.fontSize, bold.leading),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def spacer(height_mm: float = 3) -> Spacer:
    """Blank space between blocks."""
    return Spacer(1, height_mm * mm)


@dataclass(frozen=True)
class Frame:
    """What every page of a document repeats: the workshop, the document's title, a reference."""

    workshop: str
    title: str
    reference: str
    language: str


def _decorate(frame: Frame) -> Callable[[Canvas, Any], None]:
    say = wording()(frame.language)
    face = fonts()

    def on_page(canvas: Canvas, document: Any) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFont(face.bold, 9)
        canvas.drawString(MARGIN, height - 12 * mm, frame.workshop)
        canvas.setFont(face.regular, 9)
        canvas.drawRightString(width - MARGIN, height - 12 * mm, frame.title)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, height - 14 * mm, width - MARGIN, height - 14 * mm)
        canvas.line(MARGIN, 14 * mm, width - MARGIN, 14 * mm)
        canvas.setFont(face.regular, 8)
        canvas.drawString(MARGIN, 10 * mm, frame.reference)
        canvas.drawRightString(width - MARGIN, 10 * mm, say("page", number=document.page))
        canvas.restoreState()

    return on_page


def render(frame: Frame, story: list[Flowable], *, subject: str = "") -> bytes:
    """Lay the story out on A4 pages framed alike; the same story gives the same bytes."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=frame.title,
        author=frame.workshop,
        subject=subject or frame.reference,
        creator="Workshop",
        lang=frame.language,
        # No creation date nor random file id: the bytes depend on the content alone.
        invariant=1,
    )
    decorate = _decorate(frame)
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def text_width() -> float:
    """The width between the margins, in points."""
    return A4[0] - 2 * MARGIN
