"""Labels in ZPL II for Zebra printers, from the same plans as the PDF."""

from __future__ import annotations

from collections.abc import Iterable

from labels.layouts import PT, Label, Plan, Text, plan_for
from labels.media import Medium
from labels.sheets import SheetError, check_run


def _field_data(text: str) -> str:
    """Field data with ^, ~ and _ and anything beyond ASCII as hexadecimal escapes (^FH_)."""
    out = []
    for char in text:
        if char.isascii() and char.isprintable() and char not in "^~_\\":
            out.append(char)
        else:
            out.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def _dots(value: float, medium: Medium) -> int:
    return max(0, round(value / medium.dot))


def _text(text: Text, plan: Plan, medium: Medium) -> list[str]:
    """One ^FB block per text box, centred, one line per ^FB line."""
    if not text.lines:
        return []
    height = _dots(text.size * PT, medium)
    line_gap = _dots(text.line_height, medium) - height
    top = plan.height - text.top
    data = "\\&".join(_field_data(line) for line in text.lines)
    return [
        f"^FO{_dots(text.x, medium)},{_dots(top, medium)}"
        f"^A0N,{height},{height}"
        f"^FB{_dots(text.width, medium)},{len(text.lines)},{line_gap},C,0"
        f"^FH_^FD{data}^FS"
    ]


def label_zpl(plan: Plan, medium: Medium, copies: int = 1) -> str:
    """One label format: ^XA ... ^XZ, printed `copies` times."""
    bars = plan.bars
    bar_top = plan.height - bars.y - bars.height
    lines = [
        "^XA",
        "^CI28",
        f"^PW{_dots(plan.width, medium)}",
        f"^LL{_dots(plan.height, medium)}",
        "^LH0,0",
        f"^BY{bars.module_dots}",
        f"^FO{_dots(bars.x, medium)},{_dots(bar_top, medium)}"
        f"^BCN,{_dots(bars.height, medium)},N,N,N,A"
        f"^FD{_field_data(bars.symbol.text)}^FS",
    ]
    for text in plan.texts:
        lines.extend(_text(text, plan, medium))
    if copies > 1:
        lines.append(f"^PQ{copies}")
    lines.append("^XZ")
    return "\n".join(lines)


def render_zpl(labels: Iterable[Label], medium: Medium, *, copies: int = 1, skip: int = 0) -> bytes:
    """Every label as a ZPL format, one after the other; a roll has no positions to skip."""
    labels = list(labels)
    if medium.is_sheet:
        raise SheetError(f"{medium.name} is a sheet for office printers: print it as PDF, not ZPL.")
    check_run(len(labels), medium, copies=copies, skip=skip)
    return (
        "\n".join(label_zpl(plan_for(label, medium), medium, copies) for label in labels) + "\n"
    ).encode("utf-8")
