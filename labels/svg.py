"""A Code 128 barcode as inline SVG, for the device page."""

from __future__ import annotations

from html import escape

from labels.code128 import QUIET_MODULES, encode


def barcode_svg(code: str, *, height: int = 40, label: str = "") -> str:
    """The barcode with its quiet zones, one unit per module, scaled by CSS."""
    symbol = encode(code)
    width = symbol.total_modules
    bars = "".join(
        f'<rect x="{QUIET_MODULES + start}" y="0" width="{size}" height="{height}"/>'
        for start, size in symbol.bars
    )
    title = escape(label or code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'data-code="{escape(code)}" aria-label="{title}">'
        f'<title>{title}</title><rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g fill="#000" shape-rendering="crispEdges">{bars}</g></svg>'
    )
