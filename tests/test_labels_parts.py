"""Part labels scan first time: every medium, 203 and 300 dpi, decoded by zbar; text inside; ZPL."""

from __future__ import annotations

import re

import pytest

from inventory.codes import has_valid_check, part_code
from labels.layouts import PartLabel, plan_for
from labels.media import MEDIA
from labels.sheets import render_pdf
from labels.zpl import render_zpl
from tests.label_helpers import decode_positions, text_boxes_mm

LONG_ORIGIN = "Recyclerie du Grand Lyon Électronique et Informatique Solidaire, entrepôt nord"


def some_parts() -> list[PartLabel]:
    """A harvested battery, bought RAM with a long supplier, a part with a very long reference."""
    return [
        PartLabel(part_code(1), "Battery", "01AV452", "A00000427"),
        PartLabel(part_code(42), "Barrette de mémoire", "DDR4 SO-DIMM 8 GB", LONG_ORIGIN),
        PartLabel(part_code(999999), "Screen panel", "N140HCA-EAC " * 12, "Pièces Pro"),
    ]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", list(MEDIA))
def test_every_part_label_of_every_medium_decodes_to_its_code_with_its_check(name, dpi, tmp_path):
    medium = MEDIA[name]
    labels = some_parts()
    skip = 3 if medium.is_sheet else 0
    pdf = render_pdf(labels, medium, copies=2, skip=skip)
    read = decode_positions(pdf, medium, dpi, tmp_path)
    expected = [[]] * skip + [[label.code] for label in labels for _copy in (1, 2)]
    expected += [[]] * (len(read) - len(expected))
    assert read == expected
    assert all(has_valid_check(label.code) for label in labels)


@pytest.mark.parametrize("name", list(MEDIA))
def test_every_part_text_box_and_the_quiet_zones_stay_inside_the_label(name):
    medium = MEDIA[name]
    for label in some_parts() + [PartLabel(part_code(7), "K" * 90, "R" * 200, "O" * 150)]:
        plan = plan_for(label, medium)
        pad = medium.padding - 1e-6
        roles = {text.role for text in plan.texts}
        assert roles == {"title", "code", "origin"}
        for text in plan.texts:
            assert text.x >= pad and text.x + text.width <= medium.label_width - pad
            assert text.bottom >= pad and text.top <= medium.label_height - pad, text
            for line in text.lines:
                assert text.line_width(line) <= text.width + 1e-6, (line, text.size)
        bars = plan.bars
        assert bars.symbol.text == label.code
        assert bars.module_dots >= 2
        assert bars.quiet_left >= pad and bars.quiet_right <= medium.label_width - pad
        assert bars.y >= pad and bars.y + bars.height <= medium.label_height - pad
        for text in plan.texts:
            if text.lines:
                assert text.top <= bars.y + 1e-6 or text.bottom >= bars.y + bars.height - 1e-6
        # No two text boxes overlap.
        shown = sorted((t for t in plan.texts if t.lines), key=lambda t: t.top)
        for lower, upper in zip(shown, shown[1:], strict=False):
            assert lower.top <= upper.bottom + 1e-6


@pytest.mark.parametrize("name", list(MEDIA))
def test_what_poppler_reads_lies_inside_one_label(name, tmp_path):
    medium = MEDIA[name]
    pdf = render_pdf(some_parts(), medium)
    pages = text_boxes_mm(pdf, tmp_path)
    words = [word for page in pages for word, *_box in page]
    assert part_code(1) in words and "01AV452" in words and "A00000427" in words
    assert "Battery" in words and "Pièces" in words
    cells = []
    for position in range(medium.per_page):
        x, y = medium.origin(position)
        top = medium.page_height - y - medium.label_height
        cells.append((x, top, x + medium.label_width, top + medium.label_height))
    for page in pages:
        for word, x_min, y_min, x_max, y_max in page:
            assert any(
                left <= x_min and x_max <= right and top <= y_min and y_max <= bottom
                for left, top, right, bottom in cells
            ), word


def test_a_long_reference_wraps_on_two_lines_and_is_cut_with_an_ellipsis():
    medium = MEDIA["50x25"]
    plan = plan_for(some_parts()[2], medium)
    title = next(text for text in plan.texts if text.role == "title")
    assert len(title.lines) == 2 and title.lines[-1].endswith("...")
    short = plan_for(some_parts()[0], medium)
    assert next(text for text in short.texts if text.role == "title").lines == ("Battery 01AV452",)


@pytest.mark.parametrize("name", ["62x29", "50x25"])
def test_zpl_of_part_labels_carries_the_whole_code_and_every_text(name):
    medium = MEDIA[name]
    labels = some_parts()[:2]
    text = render_zpl(labels, medium, copies=2).decode()
    formats = re.findall(r"\^XA(.*?)\^XZ", text, re.S)
    assert len(formats) == 2
    for body, label in zip(formats, labels, strict=True):
        assert re.search(rf"\^BY[23]\n\^FO\d+,\d+\^BCN,\d+,N,N,N,A\^FD{label.code}\^FS", body)
        assert "^PQ2" in body and body.count("^FB") == 3
    assert "^FDBattery 01AV452^FS" in text and "^FDA00000427^FS" in text
    # Beyond ASCII goes as hexadecimal escapes: "é" of mémoire.
    assert "m_C3_A9moire" in text
