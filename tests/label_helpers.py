"""Helpers for the label tests: rasterise a PDF, decode each label position, stand-in printers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from labels.media import Medium

MM_PER_INCH = 25.4


def rasterise(pdf: bytes, dpi: int, folder: Path) -> list[Path]:
    """Every page of the PDF as a grey PNG at `dpi`, in page order."""
    source = folder / f"labels-{dpi}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(folder / f"page-{dpi}")],
        check=True,
        capture_output=True,
    )
    return sorted(
        folder.glob(f"page-{dpi}-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1])
    )


def zbar(images: list[Path]) -> dict[Path, list[str]]:
    """What zbarimg reads in each image: a list of Code 128 texts (empty when nothing)."""
    found: dict[Path, list[str]] = {image: [] for image in images}
    done = subprocess.run(
        ["zbarimg", "--xml", "-q", "-Sdisable", "-Scode128.enable", *map(str, images)],
        capture_output=True,
        text=True,
    )
    # zbarimg exits 4 when an image holds no symbol: that is an answer here, not a failure.
    assert done.returncode in (0, 4), done.stderr
    root = ElementTree.fromstring(done.stdout)
    for source in root.iter():
        if not source.tag.endswith("source"):
            continue
        path = Path(source.attrib["href"])
        for data in source.iter():
            if data.tag.endswith("data"):
                found[path].append(data.text or "")
    return found


def crop_positions(pages: list[Path], medium: Medium, dpi: int, folder: Path) -> list[Path]:
    """One image per label position, over every page, in printing order."""
    scale = dpi / MM_PER_INCH
    crops = []
    for page_number, page in enumerate(pages):
        with Image.open(page) as image:
            for position in range(medium.per_page):
                x, y = medium.origin(position)
                top = medium.page_height - y - medium.label_height
                box = (
                    round(x * scale),
                    round(top * scale),
                    round((x + medium.label_width) * scale),
                    round((top + medium.label_height) * scale),
                )
                crop = folder / f"crop-{dpi}-{page_number:03d}-{position:02d}.png"
                image.crop(box).save(crop)
                crops.append(crop)
    return crops


def decode_positions(pdf: bytes, medium: Medium, dpi: int, folder: Path) -> list[list[str]]:
    """What a scanner reads at each label position of the rasterised PDF, in printing order."""
    crops = crop_positions(rasterise(pdf, dpi, folder), medium, dpi, folder)
    read = zbar(crops)
    return [read[crop] for crop in crops]


def pdf_page_sizes_mm(pdf: bytes, folder: Path) -> list[tuple[float, float]]:
    """The size of every page in millimetres, as poppler's pdfinfo reports it."""
    source = folder / "sizes.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "9999", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    sizes = []
    for line in done.stdout.splitlines():
        if line.startswith("Page") and "size:" in line:
            numbers = line.split("size:")[1].split("pts")[0].split("x")
            width, height = (float(number) * MM_PER_INCH / 72 for number in numbers)
            sizes.append((round(width, 2), round(height, 2)))
    return sizes


def text_boxes_mm(pdf: bytes, folder: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, every word and its box (xmin, ymin, xmax, ymax) in mm from the top left."""
    source = folder / "words.pdf"
    source.write_bytes(pdf)
    target = folder / "words.html"
    subprocess.run(
        ["pdftotext", "-bbox", str(source), str(target)], check=True, capture_output=True
    )
    text = target.read_text(encoding="utf-8")
    # pdftotext writes XHTML; read it as XML.
    root = ElementTree.fromstring(text[text.index("<html") :])
    pages = []
    for page in root.iter():
        if not page.tag.endswith("page"):
            continue
        words = []
        for word in page.iter():
            if word.tag.endswith("word"):
                box = [
                    float(word.attrib[key]) * MM_PER_INCH / 72
                    for key in ("xMin", "yMin", "xMax", "yMax")
                ]
                words.append((word.text or "", *box))
        pages.append(words)
    return pages


class PrinterServer:
    """A raw TCP printer on 127.0.0.1: keeps every job it is sent, one per connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        """host:port, as a station printer's target."""
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                link, _peer = self.listener.accept()
            except OSError:
                return
            with link:
                chunks = []
                while chunk := link.recv(65536):
                    chunks.append(chunk)
            self.jobs.append(b"".join(chunks))
            self.received.set()

    def close(self) -> None:
        """Stop listening (shutdown first: close alone leaves the blocked accept listening)."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)


def printer_server() -> Iterator[PrinterServer]:
    """Fixture body: a raw printer for the test, closed after it."""
    server = PrinterServer()
    yield server
    server.close()


LP_SCRIPT = """#!/bin/sh
# A stand-in for CUPS' lp: records its arguments and the job, answers like lp.
printf '%s\\n' "$@" > "{folder}/lp-args-$$"
cat > "{folder}/lp-job-$$"
if [ -e "{folder}/refuse" ]; then echo "lp: The printer or class does not exist." >&2; exit 1; fi
echo "request id is $2-1 (1 file(s))"
"""


def install_lp(folder: Path, monkeypatch) -> Path:
    """Put an `lp` that records its calls first on PATH; return the folder it records into."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    record = folder / "lp-calls"
    record.mkdir()
    lp = bin_dir / "lp"
    lp.write_text(LP_SCRIPT.format(folder=record))
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def lp_calls(record: Path) -> list[tuple[list[str], bytes]]:
    """(arguments, job bytes) of every call of the stand-in lp."""
    calls = []
    for args in sorted(record.glob("lp-args-*")):
        job = record / args.name.replace("lp-args-", "lp-job-")
        calls.append((args.read_text().splitlines(), job.read_bytes()))
    return calls
