"""Labels that scan first time: every medium rendered, rasterised at 203 and 300 dpi, decoded by zbar."""

from __future__ import annotations

import re
import subprocess

import pytest

from inventory.codes import asset_tag, badge_code, has_valid_check, location_code
from labels.code128 import QUIET_MODULES, BarcodeError, encode
from labels.layouts import AssetLabel, BadgeLabel, LocationLabel, plan_for
from labels.media import MEDIA, Medium, UnknownMedium, get_medium
from labels.sheets import SheetError, positions, render_pdf
from labels.svg import barcode_svg
from labels.zpl import render_zpl
from tests.label_helpers import decode_positions, pdf_page_sizes_mm, text_boxes_mm

LONG_MODEL = "EliteBook 840 G5 Healthcare Edition with Sure View Integrated Privacy Screen"
PAGE_SIZES = {
    "62x29": (62.0, 29.0),
    "50x25": (50.8, 25.4),
    "a4-24": (210.0, 297.0),
    "letter-30": (215.9, 279.4),
}


def a_mix() -> list:
    """An asset with a long model, a location and a badge: the three kinds on one run."""
    return [
        AssetLabel(asset_tag(4217), "Hewlett-Packard", LONG_MODEL, "Atelier du Rhône"),
        AssetLabel(asset_tag(4218), "Dell", "Latitude 5490", "Atelier du Rhône"),
        LocationLabel(location_code(12), "Étagère A3"),
        BadgeLabel(badge_code(7), "Léa Rousseau-Delacroix", "lea", "Atelier du Rhône"),
    ]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", list(MEDIA))
def test_every_label_of_every_medium_decodes_to_its_exact_code(name, dpi, tmp_path):
    medium = MEDIA[name]
    labels = a_mix()
    skip = 2 if medium.is_sheet else 0
    pdf = render_pdf(labels, medium, copies=2, skip=skip)
    read = decode_positions(pdf, medium, dpi, tmp_path)
    expected = [[]] * skip + [[code] for label in labels for code in [_code(label)] * 2]
    expected += [[]] * (len(read) - len(expected))
    assert read == expected


def _code(label) -> str:
    return label.asset_tag if isinstance(label, AssetLabel) else label.code


@pytest.mark.parametrize("name", list(MEDIA))
def test_pages_have_the_medium_size_in_millimetres(name, tmp_path):
    medium = MEDIA[name]
    pdf = render_pdf(a_mix(), medium)
    sizes = pdf_page_sizes_mm(pdf, tmp_path)
    pages = 4 if not medium.is_sheet else 1
    assert sizes == [PAGE_SIZES[name]] * pages


@pytest.mark.parametrize("name", list(MEDIA))
def test_the_grid_fits_the_page_and_labels_do_not_overlap(name):
    medium = MEDIA[name]
    boxes = []
    for position in range(medium.per_page):
        x, y = medium.origin(position)
        assert x >= 0 and x + medium.label_width <= medium.page_width + 1e-6
        assert y >= 0 and y + medium.label_height <= medium.page_height + 1e-6
        boxes.append((x, y))
    for index, (x, y) in enumerate(boxes):
        for other_x, other_y in boxes[index + 1 :]:
            apart_x = abs(x - other_x) >= medium.label_width - 1e-6
            apart_y = abs(y - other_y) >= medium.label_height - 1e-6
            assert apart_x or apart_y


@pytest.mark.parametrize("name", list(MEDIA))
def test_every_text_box_and_the_quiet_zones_stay_inside_the_label(name):
    medium = MEDIA[name]
    for label in a_mix() + [AssetLabel(asset_tag(1), "X" * 80, "Y" * 200, "Z" * 120)]:
        plan = plan_for(label, medium)
        pad = medium.padding - 1e-6
        for text in plan.texts:
            assert text.x >= pad and text.x + text.width <= medium.label_width - pad
            assert text.bottom >= pad and text.top <= medium.label_height - pad, text
            for line in text.lines:
                assert text.line_width(line) <= text.width + 1e-6, (line, text.size)
        bars = plan.bars
        assert bars.quiet_left >= pad and bars.quiet_right <= medium.label_width - pad
        assert bars.y >= pad and bars.y + bars.height <= medium.label_height - pad
        # Bars and text never cross.
        for text in plan.texts:
            if text.lines:
                assert text.top <= bars.y + 1e-6 or text.bottom >= bars.y + bars.height - 1e-6


@pytest.mark.parametrize("name", list(MEDIA))
def test_the_module_is_a_whole_number_of_printer_dots_and_starts_on_one(name):
    medium = MEDIA[name]
    for label in a_mix():
        bars = plan_for(label, medium).bars
        assert bars.module_dots >= 2, "one-dot bars do not survive a worn thermal head"
        assert bars.module == pytest.approx(bars.module_dots * 25.4 / 203)
        assert bars.x / medium.dot == pytest.approx(round(bars.x / medium.dot))


def test_a_long_model_shrinks_then_wraps_and_never_overflows(tmp_path):
    medium = MEDIA["62x29"]
    short = plan_for(AssetLabel(asset_tag(1), "Dell", "Latitude", "W"), medium)
    long = plan_for(AssetLabel(asset_tag(1), "Hewlett-Packard", LONG_MODEL, "W"), medium)
    endless = plan_for(AssetLabel(asset_tag(1), "Hewlett-Packard", LONG_MODEL * 5, "W"), medium)
    size = {plan: next(t for t in plan.texts if t.role == "model") for plan in (short, long)}
    assert len(size[short].lines) == 1
    assert len(size[long].lines) == 2 and size[long].size <= size[short].size
    model = next(t for t in endless.texts if t.role == "model")
    assert model.lines[-1].endswith("...") and len(model.lines) <= 2
    # And what poppler reads off the page stays inside the label, clear text included.
    pdf = render_pdf([AssetLabel(asset_tag(1), "Hewlett-Packard", LONG_MODEL * 5, "W")], medium)
    words = text_boxes_mm(pdf, tmp_path)[0]
    assert asset_tag(1) in [word for word, *_box in words]
    for _word, x_min, y_min, x_max, y_max in words:
        assert x_min > 0 and x_max < medium.label_width
        assert y_min > 0 and y_max < medium.label_height


@pytest.mark.parametrize("name", ["a4-24", "letter-30"])
def test_every_word_on_a_sheet_lies_inside_one_label(name, tmp_path):
    medium = MEDIA[name]
    pdf = render_pdf(a_mix(), medium, copies=3, skip=5)
    cells = []
    for position in range(medium.per_page):
        x, y = medium.origin(position)
        top = medium.page_height - y - medium.label_height
        cells.append((x, top, x + medium.label_width, top + medium.label_height))
    words = text_boxes_mm(pdf, tmp_path)[0]
    assert words
    for word, x_min, y_min, x_max, y_max in words:
        assert any(
            left <= x_min and x_max <= right and top <= y_min and y_max <= bottom
            for left, top, right, bottom in cells
        ), word


def test_a_name_beyond_the_label_fonts_prints_its_plain_letters_not_question_marks(tmp_path):
    names = {
        "Łukasz Wiśniewski": "Lukasz Wisniewski",
        "Nguyễn Văn An": "Nguyen Van An",
        "Şahin Yılmaz": "Sahin Yilmaz",
        "Zoë Müller": "Zoë Müller",
    }
    for name, printed in names.items():
        plan = plan_for(BadgeLabel(badge_code(9), name, "worker"), MEDIA["62x29"])
        title = next(text for text in plan.texts if text.role == "name")
        assert title.lines == (printed,)
    pdf = tmp_path / "badges.pdf"
    pdf.write_bytes(
        render_pdf([BadgeLabel(badge_code(9), "Łukasz Wiśniewski", "lukasz")], MEDIA["62x29"])
    )
    words = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Lukasz Wisniewski" in words and "?" not in words


def test_a_location_name_is_large_enough_to_read_from_two_metres():
    for name in MEDIA:
        plan = plan_for(LocationLabel(location_code(3), "Shelf A3"), MEDIA[name])
        title = next(t for t in plan.texts if t.role == "name")
        # About 7 mm capital height and more: a sign read from two metres away.
        assert title.size >= 28, (name, title.size)


def test_copies_and_skipped_positions_fill_a_sheet_then_the_next():
    medium = MEDIA["a4-24"]
    labels = [AssetLabel(asset_tag(n)) for n in (1, 2, 3)]
    placed = list(positions(labels, medium, copies=9, skip=20))
    assert len(placed) == 27
    assert placed[0][:2] == (0, 20)
    assert placed[3][:2] == (0, 23)
    assert placed[4][:2] == (1, 0)
    assert [label.asset_tag for *_where, label in placed[:10]] == [asset_tag(1)] * 9 + [
        asset_tag(2)
    ]
    assert placed[-1][:2] == (1, 22)


def test_impossible_runs_are_refused_with_the_reason():
    roll, sheet = MEDIA["62x29"], MEDIA["letter-30"]
    one = [AssetLabel(asset_tag(1))]
    with pytest.raises(SheetError, match="roll"):
        render_pdf(one, roll, skip=1)
    with pytest.raises(SheetError, match="skip 0 to 29"):
        render_pdf(one, sheet, skip=30)
    with pytest.raises(SheetError, match="Copies"):
        render_pdf(one, sheet, copies=0)
    with pytest.raises(SheetError, match="no label"):
        render_pdf([], sheet)
    with pytest.raises(UnknownMedium, match="62x29, 50x25, a4-24, letter-30"):
        get_medium("a5")
    with pytest.raises(BarcodeError):
        encode("Étagère")


def test_a_new_medium_is_one_description(tmp_path):
    medium = Medium("40x20", "Test roll", 40, 20, 40, 20, padding=1)
    pdf = render_pdf([BadgeLabel(badge_code(3), "Ana")], medium)
    assert pdf_page_sizes_mm(pdf, tmp_path) == [(40.0, 20.0)]
    assert decode_positions(pdf, medium, 300, tmp_path) == [[badge_code(3)]]


def test_the_check_character_is_encoded_with_the_tag():
    tag = asset_tag(42)
    symbol = encode(tag)
    assert symbol.text == tag and has_valid_check(symbol.text)
    assert symbol.total_modules == symbol.modules + 2 * QUIET_MODULES


def test_zpl_has_one_format_per_label_with_width_length_and_the_whole_code():
    medium = MEDIA["62x29"]
    labels = [
        AssetLabel(asset_tag(7), "Lenovo", "ThinkPad ^ T480 ~ 50% _off_", "Atelier"),
        LocationLabel(location_code(4), "Bac 4"),
    ]
    text = render_zpl(labels, medium, copies=3).decode()
    formats = re.findall(r"\^XA(.*?)\^XZ", text, re.S)
    assert len(formats) == 2
    for body, code in zip(formats, [asset_tag(7), location_code(4)], strict=True):
        assert "^PW496" in body and "^LL232" in body  # 62 x 29 mm at 203 dpi
        assert re.search(rf"\^BY[23]\n\^FO\d+,\d+\^BCN,\d+,N,N,N,A\^FD{code}\^FS", body)
        assert "^PQ3" in body and "^CI28" in body
    # Field data never carries a raw caret or tilde: they would end the field.
    for data in re.findall(r"\^FD(.*?)\^FS", text):
        assert "^" not in data and "~" not in data
    assert "_5E" in text and "_7E" in text and "_5F" in text
    with pytest.raises(SheetError, match="PDF"):
        render_zpl(labels, MEDIA["a4-24"])


def test_the_svg_barcode_has_every_bar_and_its_quiet_zones():
    tag = asset_tag(42)
    svg = barcode_svg(tag)
    symbol = encode(tag)
    bars = re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', svg)
    assert [(int(x) - QUIET_MODULES, int(w)) for x, w in bars] == list(symbol.bars)
    assert f'viewBox="0 0 {symbol.total_modules} 40"' in svg
    assert 'role="img"' in svg and f'aria-label="{tag}"' in svg
