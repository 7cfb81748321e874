"""Code 128 symbols as runs of bars, sized on whole printer dots."""

from __future__ import annotations

from dataclasses import dataclass

from barcode import Code128

# The symbology asks for a quiet zone of at least ten modules on each side.
QUIET_MODULES = 10


class BarcodeError(ValueError):
    """Text that Code 128 cannot carry."""


@dataclass(frozen=True)
class Symbol:
    """One encoded code: its text and its bars as (first module, width in modules) pairs."""

    text: str
    modules: int
    bars: tuple[tuple[int, int], ...]

    @property
    def total_modules(self) -> int:
        """The width with both quiet zones, in modules."""
        return self.modules + 2 * QUIET_MODULES


def encode(text: str) -> Symbol:
    """Encode the whole text (check character included) as Code 128 bars."""
    if not text or not text.isascii() or not text.isprintable():
        raise BarcodeError(f"Code 128 labels carry printable ASCII text, not {text!r}.")
    pattern = Code128(text).build()[0]
    bars = []
    start = None
    for index, module in enumerate(pattern + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            bars.append((start, index - start))
            start = None
    return Symbol(text=text, modules=len(pattern), bars=tuple(bars))


def module_dots(symbol: Symbol, width_mm: float, dot_mm: float, most: int) -> int:
    """The widest module, in whole dots (at most `most`), that fits the symbol and its quiet zones."""
    dots = min(most, int(width_mm / (symbol.total_modules * dot_mm) + 1e-9))
    if dots < 1:
        raise BarcodeError(
            f"{symbol.text} needs {symbol.total_modules * dot_mm:.1f} mm with its quiet zones; "
            f"the label gives {width_mm:.1f} mm."
        )
    return dots
