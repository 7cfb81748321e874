"""What goes where on an asset, location, badge or part label, worked out before anything is drawn.

A layout is a list of boxes in millimetres from the label's bottom-left corner:
the PDF, ZPL and tests all read the same plan, so what is checked is what is printed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.code128 import QUIET_MODULES, Symbol, encode, module_dots
from labels.media import Medium

PT = 25.4 / 72  # one typographic point in millimetres
LEADING = 1.15
ASCENT = 0.72  # Helvetica's cap height and ascenders, as a share of the size
DESCENT = 0.22
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
ELLIPSIS = "..."


@dataclass(frozen=True)
class AssetLabel:
    """A device's label: its tag (encoded whole, check character included), make, model, workshop."""

    asset_tag: str
    make: str = ""
    model: str = ""
    workshop: str = ""


@dataclass(frozen=True)
class LocationLabel:
    """A shelf, bin, pallet or area: its code and a name big enough to read from two metres."""

    code: str
    name: str = ""


@dataclass(frozen=True)
class BadgeLabel:
    """A staff badge: the badge code, the person's name and username."""

    code: str
    name: str = ""
    username: str = ""
    workshop: str = ""


@dataclass(frozen=True)
class PartLabel:
    """A spare part: its code, its kind and reference, and where it came from.

    `origin` is the donor device's asset tag for a harvested part, the supplier for a bought one.
    """

    code: str
    kind: str = ""
    reference: str = ""
    origin: str = ""


Label = AssetLabel | LocationLabel | BadgeLabel | PartLabel


@dataclass(frozen=True)
class Bars:
    """A barcode: the symbol, where its first bar starts, the module width and bar height."""

    symbol: Symbol
    x: float
    y: float
    module: float
    module_dots: int
    height: float

    @property
    def width(self) -> float:
        """The bars alone, without quiet zones."""
        return self.symbol.modules * self.module

    @property
    def quiet_left(self) -> float:
        """Where the left quiet zone starts."""
        return self.x - QUIET_MODULES * self.module

    @property
    def quiet_right(self) -> float:
        """Where the right quiet zone ends."""
        return self.x + self.width + QUIET_MODULES * self.module


@dataclass(frozen=True)
class Text:
    """Lines of text in a box: top-left corner, width, font and size in points."""

    role: str
    lines: tuple[str, ...]
    x: float
    top: float
    width: float
    font: str
    size: float
    centred: bool = True

    @property
    def line_height(self) -> float:
        """Millimetres between two baselines."""
        return self.size * PT * LEADING

    @property
    def height(self) -> float:
        """The whole box, first ascender to last descender."""
        return self.line_height * len(self.lines)

    @property
    def bottom(self) -> float:
        """The box's lower edge."""
        return self.top - self.height

    def baselines(self) -> list[float]:
        """The baseline of each line."""
        first = self.top - self.size * PT * (ASCENT + (LEADING - ASCENT - DESCENT) / 2)
        return [first - index * self.line_height for index in range(len(self.lines))]

    def line_width(self, line: str) -> float:
        """How wide a line is drawn, in millimetres."""
        return stringWidth(line, self.font, self.size) * PT


@dataclass(frozen=True)
class Plan:
    """Everything on one label."""

    width: float
    height: float
    bars: Bars
    texts: tuple[Text, ...]


# Letters that have no accent to take off, and that Helvetica's cp1252 lacks.
_PLAIN = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def _plain(char: str) -> str:
    """A letter the label's fonts lack, as close as they can draw it: Ş as S, ễ as e, Ł as L."""
    base = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    ).translate(_PLAIN)
    try:
        base.encode("cp1252")
    except UnicodeEncodeError:
        return "?"
    return base or "?"


def printable(text: str) -> str:
    """The text as the label's fonts can draw it: one line, letters they lack made plain.

    Labels are set in Helvetica, which draws cp1252 (French and most of Western
    Europe); a name like Şahin, Łukasz or Nguyễn would otherwise print with a "?".
    """
    text = " ".join(str(text or "").split())
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        pass
    else:
        return text
    kept = []
    for char in text:
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            kept.append(_plain(char))
        else:
            kept.append(char)
    return "".join(kept)


def _width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size) * PT


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word longer than the line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while _width(word, font, size) > width:
            cut = len(word)
            while cut > 1 and _width(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _clip(line: str, font: str, size: float, width: float) -> str:
    """The line with an ellipsis, cut until it fits."""
    while line and _width(line + ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def fit(
    text: str,
    *,
    font: str,
    width: float,
    height: float,
    largest: float,
    smallest: float,
    max_lines: int = 1,
) -> tuple[float, tuple[str, ...]]:
    """The largest size (and its lines) at which the text fits the box; shrink, then wrap, then cut."""
    text = printable(text)
    if not text:
        return smallest, ()
    size = largest
    while size >= smallest:
        lines = _wrap(text, font, size, width)
        if len(lines) <= max_lines and len(lines) * size * PT * LEADING <= height + 1e-9:
            return size, tuple(lines)
        size -= 0.5
    size = smallest
    room = max(1, min(max_lines, int(height / (size * PT * LEADING) + 1e-9)))
    lines = _wrap(text, font, size, width)
    if len(lines) > room:
        lines = lines[: room - 1] + [_clip(lines[room - 1], font, size, width)]
    return size, tuple(lines)


def _text(
    role: str,
    text: str,
    *,
    font: str,
    x: float,
    top: float,
    width: float,
    height: float,
    largest: float,
    smallest: float,
    max_lines: int = 1,
) -> Text:
    size, lines = fit(
        text,
        font=font,
        width=width,
        height=height,
        largest=largest,
        smallest=smallest,
        max_lines=max_lines,
    )
    return Text(role, lines, x, top, width, font, size)


def _bars(medium: Medium, code: str, x: float, width: float, y: float, height: float) -> Bars:
    """A barcode centred in the width, its module and its left edge on whole dots."""
    symbol = encode(code)
    dots = module_dots(symbol, width, medium.dot, medium.most_module_dots)
    module = dots * medium.dot
    left = x + (width - symbol.total_modules * module) / 2 + QUIET_MODULES * module
    left = round(left / medium.dot) * medium.dot
    return Bars(symbol, left, y, module, dots, height)


def _stack(medium: Medium) -> tuple[float, float, float, float]:
    pad = medium.padding
    return pad, pad, medium.label_width - 2 * pad, medium.label_height - 2 * pad


def asset_plan(label: AssetLabel, medium: Medium) -> Plan:
    """Barcode on top, the tag in clear under it, then make and model, then the workshop."""
    x, y, width, height = _stack(medium)
    top = y + height
    scale = min(1.0, height / 26)
    workshop = _text(
        "workshop",
        label.workshop,
        font=REGULAR,
        x=x,
        top=y + 6 * scale * PT * LEADING,
        width=width,
        height=6 * scale * PT * LEADING,
        largest=6 * scale,
        smallest=4.5,
    )
    bars_height = max(height * 0.36, min(12.0, height * 0.42))
    tag = _text(
        "asset_tag",
        label.asset_tag,
        font=BOLD,
        x=x,
        top=top - bars_height - 0.4,
        width=width,
        height=12 * scale * PT * LEADING,
        largest=12 * scale,
        smallest=7,
    )
    model_top = tag.bottom
    model_room = model_top - (workshop.top if workshop.lines else y) - 0.2
    model = _text(
        "model",
        f"{label.make} {label.model}",
        font=REGULAR,
        x=x,
        top=model_top,
        width=width,
        height=model_room,
        largest=8.5 * scale,
        smallest=4.5,
        max_lines=2,
    )
    bars = _bars(medium, label.asset_tag, x, width, top - bars_height, bars_height)
    return Plan(medium.label_width, medium.label_height, bars, (tag, model, workshop))


def location_plan(label: LocationLabel, medium: Medium) -> Plan:
    """The name as large as the label allows, the barcode and the code under it."""
    x, y, width, height = _stack(medium)
    top = y + height
    code_height = 8 * PT * LEADING
    bars_height = max(5.0, height * 0.26)
    code = _text(
        "code",
        label.code,
        font=BOLD,
        x=x,
        top=y + code_height,
        width=width,
        height=code_height,
        largest=8,
        smallest=6,
    )
    bars = _bars(medium, label.code, x, width, code.top + 0.2, bars_height)
    name = _text(
        "name",
        label.name or label.code,
        font=BOLD,
        x=x,
        top=top,
        width=width,
        height=top - (bars.y + bars.height) - 0.6,
        largest=48,
        smallest=8,
        max_lines=2,
    )
    return Plan(medium.label_width, medium.label_height, bars, (name, code))


def badge_plan(label: BadgeLabel, medium: Medium) -> Plan:
    """The person's name, the workshop, the barcode and the badge code."""
    x, y, width, height = _stack(medium)
    top = y + height
    name = _text(
        "name",
        label.name or label.username,
        font=BOLD,
        x=x,
        top=top,
        width=width,
        height=height * 0.3,
        largest=14,
        smallest=6,
        max_lines=1,
    )
    workshop = _text(
        "workshop",
        label.workshop,
        font=REGULAR,
        x=x,
        top=name.bottom,
        width=width,
        height=6 * PT * LEADING,
        largest=6,
        smallest=4.5,
    )
    code = _text(
        "code",
        label.code,
        font=BOLD,
        x=x,
        top=y + 8 * PT * LEADING,
        width=width,
        height=8 * PT * LEADING,
        largest=8,
        smallest=6,
    )
    bars_top = (workshop.bottom if workshop.lines else name.bottom) - 0.6
    bars = _bars(medium, label.code, x, width, code.top + 0.2, bars_top - code.top - 0.2)
    return Plan(medium.label_width, medium.label_height, bars, (name, workshop, code))


def part_plan(label: PartLabel, medium: Medium) -> Plan:
    """Kind and reference on top (what the shelf picker looks for), barcode, code, origin."""
    x, y, width, height = _stack(medium)
    top = y + height
    scale = min(1.0, height / 26)
    origin = _text(
        "origin",
        label.origin,
        font=REGULAR,
        x=x,
        top=y + 6.5 * scale * PT * LEADING,
        width=width,
        height=6.5 * scale * PT * LEADING,
        largest=6.5 * scale,
        smallest=4.5,
    )
    code_bottom = origin.top if origin.lines else y
    code_height = 10 * scale * PT * LEADING
    code = _text(
        "code",
        label.code,
        font=BOLD,
        x=x,
        top=code_bottom + code_height,
        width=width,
        height=code_height,
        largest=10 * scale,
        smallest=6,
    )
    bars_height = max(5.0, height * 0.32)
    bars = _bars(medium, label.code, x, width, code.top + 0.2, bars_height)
    title = _text(
        "title",
        f"{label.kind} {label.reference}",
        font=BOLD,
        x=x,
        top=top,
        width=width,
        height=top - (bars.y + bars.height) - 0.4,
        largest=11 * scale,
        smallest=5,
        max_lines=2,
    )
    return Plan(medium.label_width, medium.label_height, bars, (title, code, origin))


def plan_for(label: Label, medium: Medium) -> Plan:
    """The plan of any kind of label."""
    if isinstance(label, AssetLabel):
        return asset_plan(label, medium)
    if isinstance(label, LocationLabel):
        return location_plan(label, medium)
    if isinstance(label, PartLabel):
        return part_plan(label, medium)
    return badge_plan(label, medium)
