"""Pages of labels as PDF: copies of each label, and positions skipped on a half-used sheet."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.layouts import Label, Plan, plan_for
from labels.media import Medium

MAX_COPIES = 100
MAX_LABELS = 5000


class SheetError(ValueError):
    """Copies, skipped positions or a label count that cannot be printed."""


def positions(
    labels: Sequence[Label], medium: Medium, *, copies: int = 1, skip: int = 0
) -> Iterator[tuple[int, int, Label]]:
    """(page, position on the page, label) for every copy, after the skipped positions."""
    check_run(len(labels), medium, copies=copies, skip=skip)
    slot = skip
    for label in labels:
        for _copy in range(copies):
            page, position = divmod(slot, medium.per_page)
            yield page, position, label
            slot += 1


def check_run(count: int, medium: Medium, *, copies: int, skip: int) -> None:
    """Refuse what cannot be printed, with the reason."""
    if count < 1:
        raise SheetError("There is no label to print.")
    if not 1 <= copies <= MAX_COPIES:
        raise SheetError(f"Copies go from 1 to {MAX_COPIES}.")
    if skip and not medium.is_sheet:
        raise SheetError(f"{medium.name} is a roll: there are no positions to skip.")
    if not 0 <= skip < max(medium.per_page, 1):
        raise SheetError(
            f"A {medium.name} sheet has {medium.per_page} positions: skip 0 to {medium.per_page - 1}."
        )
    if count * copies > MAX_LABELS:
        raise SheetError(f"At most {MAX_LABELS} labels at a time.")


def draw_plan(canvas: Canvas, plan: Plan, x: float, y: float) -> None:
    """Draw one label's plan with its bottom-left corner at (x, y) millimetres."""
    bars = plan.bars
    # One path for all bars: filled rectangles, no stroke, so no bar grows by a line width.
    path = canvas.beginPath()
    left = (x + bars.x) * mm
    bottom = (y + bars.y) * mm
    height = bars.height * mm
    module = bars.module * mm
    for start, width in bars.symbol.bars:
        path.rect(left + start * module, bottom, width * module, height)
    canvas.drawPath(path, stroke=0, fill=1)
    for text in plan.texts:
        canvas.setFont(text.font, text.size)
        for line, baseline in zip(text.lines, text.baselines(), strict=True):
            centre = (x + text.x + text.width / 2) * mm
            canvas.drawCentredString(centre, (y + baseline) * mm, line)


def render_pdf(
    labels: Iterable[Label],
    medium: Medium,
    *,
    copies: int = 1,
    skip: int = 0,
    title: str = "Labels",
) -> bytes:
    """The labels laid out on the medium's pages, as one PDF."""
    labels = list(labels)
    output = io.BytesIO()
    canvas = Canvas(
        output,
        pagesize=(medium.page_width * mm, medium.page_height * mm),
        pageCompression=1,
    )
    canvas.setTitle(title)
    canvas.setCreator("Workshop")
    plans: dict[Label, Plan] = {}
    current_page = 0
    canvas.setFillColorRGB(0, 0, 0)
    for page, position, label in positions(labels, medium, copies=copies, skip=skip):
        if page != current_page:
            canvas.showPage()
            canvas.setFillColorRGB(0, 0, 0)
            current_page = page
        plan = plans.get(label)
        if plan is None:
            plan = plans[label] = plan_for(label, medium)
        x, y = medium.origin(position)
        draw_plan(canvas, plan, x, y)
    canvas.showPage()
    canvas.save()
    return output.getvalue()
