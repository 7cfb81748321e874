"""The yearly impact report as a file: JSON, CSV, XLSX or PDF, in French or English.

The CLI, the API and the manager's page all write it through `render`, so the four
formats hold the same figures and the same definitions wherever they come from.
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
    },
}


@dataclass(frozen=True)
class ReportFile:
    """A rendered report: its bytes, media type and a file name for downloads."""

    body: bytes
    mimetype: str
    filename: str


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

    definitions = book.create_sheet(words["definitions"])
    definitions.append([words["key"], words["label"], words["definition"]])
    for key, text in report["definitions"].items():
        definitions.append([key, report["labels"][key], text])
    for key, text in report["monthly_definitions"].items():
        if key not in report["definitions"]:
            definitions.append([key, report["monthly_labels"][key], text])
    definitions.column_dimensions["A"].width = 28
    definitions.column_dimensions["B"].width = 40
    definitions.column_dimensions["C"].width = 100
    for sheet in (figures, monthly, definitions):
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
        )
    return ReportFile(body=body, mimetype=MIMETYPES[fmt], filename=filename)
