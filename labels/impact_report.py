"""The yearly impact report as a PDF a funder can read: figures, charts, definitions.

It is drawn from the report's plain values (inventory/impact.py makes them); the charts
are reportlab's own: the device figures month by month, and the headcount. The repairs
appendix follows on pages of its own, as tables: the year, then month by month.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labels.documents import check_language, fonts, format_number, wording

WORDS = {
    "en": {
        "title": "Impact report %(year)s",
        "subtitle": "%(workshop)s: the year from 1 January to 31 December %(year)s (%(zone)s time).",
        "computed": "Computed on %(when)s from the event log and the staff records.",
        "published": "Published on %(when)s. Hash of the %(count)s events counted: %(hash)s.",
        "figures": "Figures",
        "figure": "Figure",
        "value": "Value",
        "key": "Key",
        "monthly": "Month by month",
        "devices_chart": "Devices per month",
        "headcount_chart": "Headcount at the end of each month (paid contracts)",
        "definitions": "Definitions",
        "changes": "Since publication",
        "no_changes": "A recomputation today gives the same figures from the same events.",
        "month": "Month",
        "empty": "n/a",
        "health": "Disability figures are totals only; no person can be identified from them.",
        "appendix": "Appendix: repairs and spare parts",
        "appendix_published": "Published with the figures above, as they were then.",
        "appendix_computed": "Computed on %(when)s from the recorded repairs and parts.",
        "appendix_year": "The year %(year)s",
        "appendix_monthly": "Repairs month by month",
        "appendix_faults": "Repairs by fault",
        "appendix_actions": "Repairs by action",
        "none": "No repair recorded.",
        "fault": "Fault",
        "action": "Action",
    },
    "fr": {
        "title": "Rapport d’impact %(year)s",
        "subtitle": "%(workshop)s : l’année du 1er janvier au 31 décembre %(year)s "
        "(heure de %(zone)s).",
        "computed": "Calculé le %(when)s à partir du journal des événements et des fiches du "
        "personnel.",
        "published": "Publié le %(when)s. Empreinte des %(count)s événements comptés : %(hash)s.",
        "figures": "Chiffres",
        "figure": "Indicateur",
        "value": "Valeur",
        "key": "Clé",
        "monthly": "Mois par mois",
        "devices_chart": "Appareils par mois",
        "headcount_chart": "Effectif à la fin de chaque mois (contrats rémunérés)",
        "definitions": "Définitions",
        "changes": "Depuis la publication",
        "no_changes": "Un nouveau calcul aujourd’hui donne les mêmes chiffres à partir des "
        "mêmes événements.",
        "month": "Mois",
        "empty": "n.d.",
        "health": "Les chiffres liés au handicap ne sont que des totaux ; aucune personne ne "
        "peut en être identifiée.",
        "appendix": "Annexe : réparations et pièces détachées",
        "appendix_published": "Publiée avec les chiffres ci-dessus, tels qu’ils étaient alors.",
        "appendix_computed": "Calculée le %(when)s à partir des réparations et des pièces "
        "enregistrées.",
        "appendix_year": "L’année %(year)s",
        "appendix_monthly": "Réparations mois par mois",
        "appendix_faults": "Réparations par panne",
        "appendix_actions": "Réparations par action",
        "none": "Aucune réparation enregistrée.",
        "fault": "Panne",
        "action": "Action",
    },
}
say_in = wording(WORDS)

SHORT_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}

# The device series charted month by month, with their colours (distinct in greyscale too).
CHARTED = (
    ("units_received", colors.HexColor("#1f4e79")),
    ("units_repaired", colors.HexColor("#2e8b57")),
    ("units_sold", colors.HexColor("#e0a526")),
    ("units_donated", colors.HexColor("#9b59b6")),
    ("units_recycled", colors.HexColor("#8c8c8c")),
)


def _value(value: Any, key: str, language: str, empty: str) -> str:
    if value is None:
        return empty
    if isinstance(value, int):
        return format_number(value, language, 0)
    places = 4 if key.endswith(("_rate", "_share")) else 3
    return format_number(value, language, places)


# Decimal places of the appendix's figures that are not counts.
REPAIR_PLACES = {
    "share_needing_no_repair": 4,
    "mean_minutes_per_repaired_unit": 1,
    "parts_cost_per_repaired_unit": 2,
}


def _repair_value(value: Any, key: str, language: str, empty: str) -> str:
    if value is None:
        return empty
    if key == "parts_cost_per_repaired_unit":
        # Money keeps its cents.
        text = f"{float(value):,.2f}"
        return text.replace(",", "\u00a0").replace(".", ",") if language == "fr" else text
    return format_number(float(value), language, REPAIR_PLACES.get(key, 0))


def _styles() -> dict[str, ParagraphStyle]:
    face = fonts()
    body = ParagraphStyle("body", fontName=face.regular, fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=face.bold, fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=face.bold, fontSize=12.5, leading=16, spaceBefore=8
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "bold": ParagraphStyle("bold", parent=body, fontName=face.bold, fontSize=9, leading=11),
        "tiny": ParagraphStyle("tiny", parent=body, fontSize=7.5, leading=9),
        "tiny_bold": ParagraphStyle(
            "tiny_bold", parent=body, fontName=face.bold, fontSize=7.5, leading=9
        ),
    }


def _bar_chart(report: dict[str, Any], language: str, title: str) -> Drawing:
    """The device figures of each month, side by side."""
    face = fonts()
    drawing = Drawing(170 * mm, 78 * mm)
    drawing.add(String(0, 74 * mm, title, fontName=face.bold, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 20 * mm
    chart.width, chart.height = 150 * mm, 48 * mm
    monthly = report["monthly"]
    chart.data = [[row.get(key) or 0 for row in monthly] for key, _colour in CHARTED]
    if not any(any(series) for series in chart.data):
        chart.valueAxis.valueMax = 1
    chart.categoryAxis.categoryNames = SHORT_MONTHS[language]
    chart.categoryAxis.labels.fontName = face.regular
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = face.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda value: format_number(value, language, 0)
    chart.barSpacing = 0.5
    chart.groupSpacing = 4
    for index, (_key, colour) in enumerate(CHARTED):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 12 * mm, 12 * mm
    legend.alignment = "right"
    legend.columnMaximum = 2
    legend.deltax = 52 * mm
    legend.fontName = face.regular
    legend.fontSize = 7
    legend.colorNamePairs = [(colour, report["labels"][key]) for key, colour in CHARTED]
    drawing.add(legend)
    return drawing


def _line_chart(report: dict[str, Any], language: str, title: str) -> Drawing:
    """The headcount at the end of each month."""
    face = fonts()
    drawing = Drawing(170 * mm, 58 * mm)
    drawing.add(String(0, 54 * mm, title, fontName=face.bold, fontSize=10))
    chart = HorizontalLineChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = 150 * mm, 38 * mm
    chart.data = [[row.get("headcount") or 0 for row in report["monthly"]]]
    # An empty year still gets a readable axis, not five zeros.
    if not any(chart.data[0]):
        chart.valueAxis.valueMax = 1
    chart.categoryAxis.categoryNames = SHORT_MONTHS[language]
    chart.categoryAxis.labels.fontName = face.regular
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = face.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda value: format_number(value, language, 0)
    chart.lines[0].strokeColor = colors.HexColor("#1f4e79")
    chart.lines[0].strokeWidth = 2
    drawing.add(chart)
    return drawing


def device_chart(report: dict[str, Any], language: str) -> Drawing:
    """The chart of the device figures month by month, as the PDF draws it."""
    return _bar_chart(report, language, say_in(language)("devices_chart"))


def headcount_chart(report: dict[str, Any], language: str) -> Drawing:
    """The chart of the headcount at each month's end, as the PDF draws it."""
    return _line_chart(report, language, say_in(language)("headcount_chart"))


def _table(
    rows: list[list[Any]],
    widths: Sequence[float],
    numeric_column: int | None,
    size: float = 8.5,
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), fonts().regular),
        ("FONTSIZE", (0, 0), (-1, -1), size),
    ]
    if numeric_column is not None:
        style.append(("ALIGN", (numeric_column, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def render_impact_report(
    report: dict[str, Any],
    *,
    language: str,
    workshop: str,
    keys: Sequence[str],
    monthly_keys: Sequence[str],
    changes: Sequence[str] = (),
    computed_when: str = "",
    published_when: str = "",
    repair_rows: Sequence[tuple[str, Any, Sequence[Any], str, str, str]] = (),
) -> bytes:
    """The report as PDF bytes: figures, charts, the monthly table, definitions, changes.

    `repair_rows` are the appendix's lines (label, year, months, group, key, name), drawn on
    pages of their own when the report has the appendix.
    """
    check_language(language)
    say = say_in(language)
    styles = _styles()
    year = report["year"]
    empty = say("empty")

    def para(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[Any] = [
        para(say("title", year=year), "title"),
        Spacer(1, 3 * mm),
        para(say("subtitle", workshop=workshop, year=year, zone=report["timezone"])),
    ]
    publication = report.get("publication")
    if publication:
        story.append(
            para(
                say(
                    "published",
                    when=published_when,
                    count=format_number(publication["events_count"], language, 0),
                    hash=publication["events_hash"],
                ),
                "small",
            )
        )
    story.append(para(say("computed", when=computed_when), "small"))

    rows: list[list[Any]] = [[para(say("figure"), "bold"), para(say("value"), "bold")]]
    for key in keys:
        rows.append(
            [para(report["labels"][key], "cell"), _value(report[key], key, language, empty)]
        )
    story += [para(say("figures"), "h2"), _table(rows, (120 * mm, 50 * mm), 1)]
    story.append(para(say("health"), "small"))

    story += [
        Spacer(1, 4 * mm),
        KeepTogether(_bar_chart(report, language, say("devices_chart"))),
        KeepTogether(_line_chart(report, language, say("headcount_chart"))),
    ]

    short = SHORT_MONTHS[language]
    header = [para(say("month"), "bold")] + [para(name, "bold") for name in short]
    monthly_rows: list[list[Any]] = [header]
    for key in monthly_keys:
        label = report["labels"].get(key) or report["monthly_labels"][key]
        monthly_rows.append(
            [para(label, "cell")]
            + [
                format_number(row.get(key) or 0, language, 1 if key.endswith("_kg") else 0)
                for row in report["monthly"]
            ]
        )
    story += [
        para(say("monthly"), "h2"),
        _table(monthly_rows, (38 * mm,) + (11 * mm,) * 12, 1),
    ]

    story.append(para(say("definitions"), "h2"))
    definitions: list[list[Any]] = []
    for key, text in report["definitions"].items():
        definitions.append([para(key, "cell"), para(text, "cell")])
    for key, text in report["monthly_definitions"].items():
        if key not in report["definitions"]:
            definitions.append([para(key, "cell"), para(text, "cell")])
    story.append(_table(definitions, (45 * mm, 125 * mm), None))

    if publication:
        story.append(para(say("changes"), "h2"))
        for line in changes or [say("no_changes")]:
            story.append(para(line))

    if report.get("repairs"):
        story += _appendix(report, repair_rows, language, para, computed_when)

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=say("title", year=year),
        author=workshop,
    )
    document.build(story)
    return out.getvalue()


def _appendix(
    report: dict[str, Any],
    rows: Sequence[tuple[str, Any, Sequence[Any], str, str, str]],
    language: str,
    para: Any,
    computed_when: str,
) -> list[Any]:
    """The repairs appendix: the year's figures, faults and actions, month by month, words."""
    say = say_in(language)
    empty = say("empty")
    repairs = report["repairs"]
    story: list[Any] = [PageBreak(), para(say("appendix"), "title"), Spacer(1, 2 * mm)]
    story.append(
        para(
            say("appendix_published")
            if repairs["status"] == "published"
            else say("appendix_computed", when=computed_when),
            "small",
        )
    )
    figures = [row for row in rows if row[3] == "figure"]
    year_rows: list[list[Any]] = [[para(say("figure"), "bold"), para(say("value"), "bold")]]
    for label, value, _months, _group, key, _name in figures:
        year_rows.append([para(label, "cell"), _repair_value(value, key, language, empty)])
    story += [
        para(say("appendix_year", year=report["year"]), "h2"),
        _table(year_rows, (120 * mm, 50 * mm), 1),
    ]
    for group, title in (
        ("repairs_by_fault", "appendix_faults"),
        ("repairs_by_action", "appendix_actions"),
    ):
        counted = [row for row in rows if row[3] == group]
        story.append(para(say(title), "h2"))
        if not counted:
            story.append(para(say("none")))
            continue
        heading = say("fault" if group == "repairs_by_fault" else "action")
        code_rows: list[list[Any]] = [[para(heading, "bold"), para(say("value"), "bold")]]
        # The table's title names the grouping: each line shows the code's label only.
        for _label, value, _months, _group, _key, name in counted:
            code_rows.append([para(name, "cell"), _repair_value(value, "", language, empty)])
        story.append(_table(code_rows, (120 * mm, 50 * mm), 1))

    # Month names as plain text: a paragraph would break "janv." across two lines.
    header = [para(say("month"), "tiny_bold"), *SHORT_MONTHS[language]]
    monthly: list[list[Any]] = [header]
    for label, _value, months, _group, key, _name in rows:
        figure = key.split(".", 1)[0]
        monthly.append(
            [para(label, "tiny")]
            + [_repair_value(value, figure, language, empty) for value in months]
        )
    story += [
        para(say("appendix_monthly"), "h2"),
        _table(monthly, (38 * mm,) + (11 * mm,) * 12, 1, size=7.5),
        # The heading stays with its table, never alone at a page's foot.
        KeepTogether(
            [
                para(say("definitions"), "h2"),
                _table(
                    [
                        [para(f"repairs.{key}", "cell"), para(text, "cell")]
                        for key, text in repairs["definitions"].items()
                    ],
                    (45 * mm, 125 * mm),
                    None,
                ),
            ]
        ),
    ]
    return story
