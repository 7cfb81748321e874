"""1,000 asset labels in one PDF, on an A4 sheet medium and on a Brother roll, against a floor.

For each medium the whole job runs as the workshop runs it (labels/sheets.py:
layout of every label, text fitting, Code 128 encoding, vector bars, the PDF
written and compressed), then the floor: the same canvas, page size and number
of pages with the same bars and text drawn from precomputed positions (no
encoding, no layout, no text fitting). Both are timed in alternating rounds,
medians are reported with labels per second and the ratio to the floor.

    python benchmarks/labels.py                 # 1,000 labels per medium, 5 rounds
    python benchmarks/labels.py --labels 5000 --rounds 3

Exits 1 when a medium's median is 2 s or more, or when a PDF is empty.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from inventory.codes import asset_tag  # noqa: E402
from labels.layouts import AssetLabel, plan_for  # noqa: E402
from labels.media import MEDIA, Medium  # noqa: E402
from labels.sheets import render_pdf  # noqa: E402

LIMIT_S = 2.0
MODELS = (
    ("Lenovo", "ThinkPad T480s"),
    ("HP", "EliteBook 840 G5 Healthcare Edition with Sure View"),
    ("Dell", "Latitude 5490"),
    ("Apple", "MacBook Pro 13-inch 2017 Two Thunderbolt 3 ports"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=int, default=1000, help="labels per PDF (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per way (5)")
    return parser.parse_args(argv)


def the_labels(count: int) -> list[AssetLabel]:
    """Distinct devices, as a lot of a day's intake would give."""
    return [
        AssetLabel(asset_tag(number), *MODELS[number % len(MODELS)], "Atelier du Rhône")
        for number in range(1, count + 1)
    ]


def workshop_pdf(labels: list[AssetLabel], medium: Medium) -> bytes:
    """The job as the workshop does it."""
    return render_pdf(labels, medium)


def floor_pdf(drawings: list, medium: Medium) -> bytes:
    """The same marks on the same pages, drawn from positions worked out beforehand."""
    output = io.BytesIO()
    canvas = Canvas(output, pagesize=(medium.page_width * mm, medium.page_height * mm))
    for index, (rects, texts) in enumerate(drawings):
        if index and index % medium.per_page == 0:
            canvas.showPage()
        path = canvas.beginPath()
        for rect in rects:
            path.rect(*rect)
        canvas.drawPath(path, stroke=0, fill=1)
        for font, size, x, y, line in texts:
            canvas.setFont(font, size)
            canvas.drawCentredString(x, y, line)
    canvas.showPage()
    canvas.save()
    return output.getvalue()


def precompute(labels: list[AssetLabel], medium: Medium) -> list:
    """Every bar rectangle and text line in points, per label, outside the timing."""
    drawings = []
    for position, label in enumerate(labels):
        plan = plan_for(label, medium)
        x, y = medium.origin(position)
        bars = plan.bars
        left, bottom, module = (x + bars.x) * mm, (y + bars.y) * mm, bars.module * mm
        rects = [
            (left + start * module, bottom, width * module, bars.height * mm)
            for start, width in bars.symbol.bars
        ]
        texts = [
            (text.font, text.size, (x + text.x + text.width / 2) * mm, (y + base) * mm, line)
            for text in plan.texts
            for line, base in zip(text.lines, text.baselines(), strict=True)
        ]
        drawings.append((rects, texts))
    return drawings


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    labels = the_labels(args.labels)
    failed = False
    for name in ("a4-24", "62x29"):
        medium = MEDIA[name]
        drawings = precompute(labels, medium)
        workshop_pdf(labels, medium)
        floor_pdf(drawings, medium)
        ours, floor = [], []
        size = 0
        for _round in range(args.rounds):
            started = time.perf_counter()
            size = len(workshop_pdf(labels, medium))
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            floor_size = len(floor_pdf(drawings, medium))
            floor.append(time.perf_counter() - started)
            if not size or not floor_size:
                failed = True
        ours_s, floor_s = statistics.median(ours), statistics.median(floor)
        pages = -(-len(labels) // medium.per_page)
        print(
            f"{name:<9} {len(labels)} labels, {pages} pages, {size / 1024:.0f} KiB: "
            f"{ours_s:.3f} s ({len(labels) / ours_s:,.0f} labels/s); "
            f"floor {floor_s:.3f} s ({len(labels) / floor_s:,.0f} labels/s); "
            f"ratio {ours_s / floor_s:.2f}"
        )
        if ours_s >= LIMIT_S:
            print(f"{name}: {ours_s:.2f} s is over the {LIMIT_S:.0f} s limit", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
