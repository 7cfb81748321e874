"""What a kind of import is: its header, its checks, its writing; and the registry of kinds."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import N_, InvalidInput

# Modules holding kinds; each registers its own. One not written yet is skipped.
KIND_MODULES = (
    "inventory.imports.devices",
    "inventory.imports.staff",
    "inventory.imports.parts",
)

_KINDS: dict[str, type[ImportKind]] = {}


@dataclass(frozen=True)
class RowError:
    """One problem in the file: the line, the column ("" for the whole line) and why."""

    line: int
    column: str
    template: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why, in English; the page translates the template instead."""
        return self.template % self.details if self.details else self.template

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Row:
    """One line of the file: its number, its cells by column name, the problems found in it."""

    line: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, template: str, /, **details: Any) -> None:
        """Record a problem with one cell (or with the whole row when column is "")."""
        self.errors.append(RowError(self.line, column, template, details))

    def refused(self, column: str, error: InvalidInput) -> None:
        """Record a refusal of one of the workshop's own checks (intake's, sales') as a problem."""
        self.errors.append(RowError(self.line, column, error.template, dict(error.details)))


@dataclass(frozen=True)
class Source:
    """Where the rows being written come from: the file, its hash, the import's own event."""

    filename: str
    sha256: str
    event_id: int | None


Progress = Callable[[int], None]


class ImportKind:
    """One kind of spreadsheet the workshop can import; subclasses fill in the class attributes."""

    name: ClassVar[str]
    label: ClassVar[str]
    noun: ClassVar[str] = N_("rows")
    columns: ClassVar[tuple[str, ...]]
    optional_columns: ClassVar[tuple[str, ...]] = ()
    roles: ClassVar[frozenset[str]] = frozenset({"manager", "admin"})

    def __init__(self, session: Session) -> None:
        self.session = session

    def check_row(self, row: Row) -> Any:
        """Convert one row, reporting each problem on it; the record is kept only without any."""
        raise NotImplementedError

    def check_together(self, checked: list[tuple[Row, Any]]) -> None:
        """Checks across the rows, or against the database in bulk; none by default."""

    def summary(self, records: list[Any]) -> dict[str, int]:
        """Counts to show before the rows are written (devices by final stage...); none by default."""
        return {}

    def write(
        self,
        records: list[Any],
        *,
        entered_by: User | None,
        source: Source,
        progress: Progress,
    ) -> dict[str, int]:
        """Write every record in the caller's transaction; the counts to report."""
        raise NotImplementedError


def register(kind: type[ImportKind]) -> type[ImportKind]:
    """Make a kind known to the CLI and the upload page (usable as a class decorator)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, type[ImportKind]]:
    """Every kind there is, by name, in the order of KIND_MODULES."""
    for module in KIND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            # Only the kind's own module may be missing; a broken import inside it must show.
            if error.name != module:
                raise
    return dict(_KINDS)


def get_kind(name: str) -> type[ImportKind]:
    """The kind with this name, or InvalidInput naming those there are."""
    known = kinds()
    if name not in known:
        raise InvalidInput(
            N_("There is no import of %(value)r; there are: %(allowed)s."),
            field="kind",
            value=name,
            allowed=", ".join(known),
        )
    return known[name]
