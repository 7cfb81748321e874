"""The yearly impact report as a file: JSON, CSV, XLSX or PDF, in French or English.

The CLI, the API and the manager's page all write it through `render`, so the four
formats hold the same figures and the same definitions wherever they come from. The
repairs appendix is one list of rows (`repair_rows`) every format lays out its way.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from inventory.impact import KEYS, MONTHLY_KEYS, explain_changes
from inventory.repair_figures import SCALAR_KEYS as REPAIR_KEYS
from labels.documents import MONTHS
from labels.impact_report import render_impact_report

FORMATS = ("json", "csv", "xlsx", "pdf")
MIMETYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
CSV_HEADER = ("key", "label", "value", "definition")
MONTHLY_COLUMNS = (*MONTHLY_KEYS, "headcount")

WORDS = {
    "en": {
        "figures": "Figures",
        "monthly": "Monthly",
        "definitions": "Definitions",
        "month": "Month",
        "key": "Key",
        "label": "Label",
        "value": "Value",
        "definition": "Definition",
        "status": "Status",
        "computed": "computed",
        "published": "published",
        "published_at": "Published at",
        "events_hash": "Hash of the events counted",
        "changes": "Since publication",
        "repairs": "Repairs",
        "year": "Year",
    },
    "fr": {
        "figures": "Chiffres",
        "monthly": "Mensuel",
        "definitions": "Définitions",
        "month": "Mois",
        "key": "Clé",
        "label": "Libellé",
        "value": "Valeur",
        "definition": "Définition",
        "status": "Statut",
        "computed": "calculé",
        "published": "publié",
        "published_at": "Publié le",
        "events_hash": "Empreinte des événements comptés",
        "changes": "Depuis la publication",
        "repairs": "Réparations",
        "year": "Année",
    },
}


@dataclass(frozen=True)
class ReportFile:
    """A rendered report: its bytes, media type and a file name for downloads."""

    body: bytes
    mimetype: str
    filename: str


@dataclass(frozen=True)
class RepairRow:
    """One line of the repairs appendix: a figure, or one fault or action code, year and months."""

    key: str
    label: str
    year: Any
    months: tuple[Any, ...]
    definition: str
    group: str  # "figure", "repairs_by_fault" or "repairs_by_action"
    name: str  # the figure's label, or the code's label alone


def repair_rows(report: dict[str, Any], language: str) -> list[RepairRow]:
    """The appendix as rows: each figure, then each fault, then each action, by count."""
    repairs = report["repairs"]
    labels, definitions = repairs["labels"], repairs["definitions"]
    monthly = repairs["monthly"]
    rows = [
        RepairRow(
            f"repairs.{key}",
            labels[key],
            repairs[key],
            tuple(row[key] for row in monthly),
            definitions[key],
            "figure",
            labels[key],
        )
        for key in REPAIR_KEYS
    ]
    colon = "\u00a0: " if language == "fr" else ": "
    for group, names in (
        ("repairs_by_fault", repairs["fault_labels"]),
        ("repairs_by_action", repairs["action_labels"]),
    ):
        counts = repairs[group]
        # Most frequent first, then by code: the list reads as a ranking.
        for code in sorted(counts, key=lambda code: (-counts[code], code)):
            rows.append(
                RepairRow(
                    f"repairs.{group}.{code}",
                    f"{labels[group]}{colon}{names.get(code, code)}",
                    counts[code],
                    tuple(row[group].get(code, 0) for row in monthly),
                    definitions[group],
                    group,
                    names.get(code, code),
                )
            )
    return rows


def _number(value: Any) -> Any:
    """A figure as a spreadsheet number (the cost per unit is text in JSON, to keep its cents)."""
    if isinstance(value, str):
        return float(value)
    return value


def _local(moment: str, timezone: str) -> str:
    when = datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone))
    return when.strftime("%Y-%m-%d %H:%M")


def _csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for key in KEYS:
        value = report[key]
        writer.writerow(
            (key, report["labels"][key], "" if value is None else value, report["definitions"][key])
        )
    # The appendix in the same four columns, its keys prefixed: `repairs.<figure>[.<code>]`
    # for the year, `repairs.month.<MM>.<figure>[.<code>]` for each month.
    language = report["language"]
    rows = repair_rows(report, language)
    for row in rows:
        writer.writerow((row.key, row.label, "" if row.year is None else row.year, row.definition))
    for index, month in enumerate(MONTHS[language]):
        for row in rows:
            value = row.months[index]
            writer.writerow(
                (
                    row.key.replace("repairs.", f"repairs.month.{index + 1:02d}.", 1),
                    f"{row.label} ({month})",
                    "" if value is None else value,
                    row.definition,
                )
            )
    # The byte order mark tells Excel the file is UTF-8, so accents survive.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(report: dict[str, Any], language: str) -> bytes:
    words = WORDS[language]
    book = Workbook()
    bold = Font(bold=True)
    figures = book.active
    figures.title = words["figures"]
    figures.append([words["key"], words["label"], words["value"]])
    for key in KEYS:
        figures.append([key, report["labels"][key], report[key]])
    figures.append([])
    status = report["status"]
    figures.append([words["status"], words[status]])
    publication = report.get("publication")
    if publication:
        figures.append(
            [words["published_at"], _local(publication["published_at"], report["timezone"])]
        )
        figures.append([words["events_hash"], publication["events_hash"]])
        for line in explain_changes(publication, language):
            figures.append([words["changes"], line])
    figures.column_dimensions["A"].width = 28
    figures.column_dimensions["B"].width = 46
    figures.column_dimensions["C"].width = 16

    monthly = book.create_sheet(words["monthly"])
    labels = {**report["labels"], **report["monthly_labels"]}
    monthly.append([words["month"], *(labels[key] for key in MONTHLY_COLUMNS)])
    monthly.append(["", *MONTHLY_COLUMNS])
    for row in report["monthly"]:
        monthly.append(
            [MONTHS[language][row["month"] - 1], *(row.get(key) for key in MONTHLY_COLUMNS)]
        )
    monthly.column_dimensions["A"].width = 14
    for column in "BCDEFGHI":
        monthly.column_dimensions[column].width = 18

    repairs = book.create_sheet(words["repairs"])
    repairs.append([words["key"], words["label"], words["year"], *MONTHS[language]])
    appendix_rows = repair_rows(report, language)
    for row in appendix_rows:
        repairs.append(
            [row.key, row.label, _number(row.year), *(_number(value) for value in row.months)]
        )
    repairs.append([])
    repairs.append([words["status"], words[report["repairs"]["status"]]])
    repairs.column_dimensions["A"].width = 40
    repairs.column_dimensions["B"].width = 46
    for column in "CDEFGHIJKLMNO":
        repairs.column_dimensions[column].width = 11

    definitions = book.create_sheet(words["definitions"])
    definitions.append([words["key"], words["label"], words["definition"]])
    for key, text in report["definitions"].items():
        definitions.append([key, report["labels"][key], text])
    for key, text in report["monthly_definitions"].items():
        if key not in report["definitions"]:
            definitions.append([key, report["monthly_labels"][key], text])
    for key in report["repairs"]["definitions"]:
        definitions.append(
            [
                f"repairs.{key}",
                report["repairs"]["labels"][key],
                report["repairs"]["definitions"][key],
            ]
        )
    definitions.column_dimensions["A"].width = 28
    definitions.column_dimensions["B"].width = 40
    definitions.column_dimensions["C"].width = 100
    for sheet in (figures, monthly, repairs, definitions):
        for cell in sheet[1]:
            cell.font = bold
    for row in definitions.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(
    report: dict[str, Any], fmt: str, *, language: str, workshop: str = "Workshop"
) -> ReportFile:
    """The report in one of the four formats."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    year = report["year"]
    filename = f"impact-{year}-{language}.{fmt}"
    if fmt == "json":
        body = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    elif fmt == "csv":
        body = _csv(report)
    elif fmt == "xlsx":
        body = _xlsx(report, language)
    else:
        publication = report.get("publication")
        body = render_impact_report(
            report,
            language=language,
            workshop=workshop,
            keys=KEYS,
            monthly_keys=MONTHLY_COLUMNS,
            changes=explain_changes(publication, language) if publication else (),
            computed_when=_local(report["computed_at"], report["timezone"]),
            published_when=(
                _local(publication["published_at"], report["timezone"]) if publication else ""
            ),
            repair_rows=[
                (
                    row.label,
                    row.year,
                    row.months,
                    row.group,
                    row.key.removeprefix("repairs."),
                    row.name,
                )
                for row in repair_rows(report, language)
            ],
        )
    return ReportFile(body=body, mimetype=MIMETYPES[fmt], filename=filename)
