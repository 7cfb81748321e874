"""Label media as descriptions: page, label size, grid, margins and pitch, in millimetres.

Adding a medium is adding one entry to MEDIA.
"""

from __future__ import annotations

from dataclasses import dataclass

INCH = 25.4


class UnknownMedium(ValueError):
    """A medium name that is not in MEDIA."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown label medium {name!r}: choose one of {', '.join(MEDIA)}.")
        self.name = name


@dataclass(frozen=True)
class Medium:
    """A roll or sheet of labels as the printer sees it."""

    name: str
    title: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    left: float = 0.0
    top: float = 0.0
    column_pitch: float = 0.0
    row_pitch: float = 0.0
    # Blank kept inside each label's edge, for die-cut tolerance and printer margins.
    padding: float = 1.5
    dpi: int = 203
    # The widest barcode module, in dots: wider bars only make the symbol longer.
    most_module_dots: int = 3

    @property
    def per_page(self) -> int:
        """How many labels one page holds."""
        return self.columns * self.rows

    @property
    def is_sheet(self) -> bool:
        """True when a page holds several labels, so positions can be skipped."""
        return self.per_page > 1

    @property
    def dot(self) -> float:
        """One printer dot in millimetres."""
        return INCH / self.dpi

    def origin(self, position: int) -> tuple[float, float]:
        """The bottom-left corner of a label position (0 is top left), from the page's bottom left."""
        row, column = divmod(position % self.per_page, self.columns)
        x = self.left + column * self.column_pitch
        top_edge = self.top + row * self.row_pitch
        return x, self.page_height - top_edge - self.label_height


MEDIA: dict[str, Medium] = {
    medium.name: medium
    for medium in (
        Medium("62x29", "Brother QL 62 × 29 mm", 62, 29, 62, 29),
        Medium("50x25", "Thermal roll 2 × 1 in", 50.8, 25.4, 50.8, 25.4, padding=1.25),
        Medium(
            "a4-24",
            "A4 sheet, 3 × 8 labels of 70 × 37 mm",
            210,
            297,
            70,
            37,
            columns=3,
            rows=8,
            left=0,
            top=0.5,
            column_pitch=70,
            row_pitch=37,
            padding=3,
        ),
        Medium(
            "letter-30",
            "US Letter, 3 × 10 labels of 2 5/8 × 1 in",
            8.5 * INCH,
            11 * INCH,
            2.625 * INCH,
            1 * INCH,
            columns=3,
            rows=10,
            left=0.1875 * INCH,
            top=0.5 * INCH,
            column_pitch=2.75 * INCH,
            row_pitch=1 * INCH,
            padding=1.5,
        ),
    )
}

DEFAULT_MEDIUM = "62x29"


def get_medium(name: str) -> Medium:
    """The medium called `name`, or UnknownMedium."""
    try:
        return MEDIA[name]
    except KeyError:
        raise UnknownMedium(str(name)[:40]) from None
