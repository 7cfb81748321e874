"""Files the pages and the API hand out: the bytes, their type and the name to save them under."""

from __future__ import annotations

from flask import Response


def file_response(body: bytes, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    """A file the browser saves (or, `inline`, shows) as `filename`, which must be ASCII."""
    disposition = "inline" if inline else "attachment"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )
