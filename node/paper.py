"""Paper at the edge: QR codes drawn as PNG, pages printed to PDF by headless
Chromium, photos and PDFs scanned back to the payloads of their QR codes.

Used by key cards and paper ballots (``caracol card``, ``caracol ballots``)
and by printed bulletins (``mesh.bulletin``). The codecs of what the codes
carry are IO-free and live elsewhere (``protocol.keycard``,
``protocol.sneakernet``); this module only draws, prints and reads. Its
libraries are the ``paper`` extra (``node.extras``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import NodeError
from .extras import need

# Chromium as a print engine only: no network, no profile left behind.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
)
SCAN_DPI = 200  # a PDF page is rasterised at this resolution before scanning


class PaperError(NodeError):
    """Printing or scanning failed: no Chromium or pdftoppm, a file that is
    not an image or a readable PDF. The message names the file or the tool."""

    code = "paper"


def qr_png(data: bytes, *, scale: int = 4, error: str = "l") -> bytes:
    """One QR code (byte mode) carrying ``data``, as PNG bytes."""
    segno = need("segno", "paper")
    buf = io.BytesIO()
    segno.make(data, error=error, mode="byte", micro=False).save(
        buf, kind="png", scale=scale, border=4
    )
    return buf.getvalue()


def qr_sheet(pngs: list[bytes], *, columns: int = 3) -> Any:
    """PNG codes on one printable image (a grid), as a PIL image."""
    image = need("PIL.Image", "paper")
    images = [image.open(io.BytesIO(png)).convert("L") for png in pngs]
    w = max(i.width for i in images)
    h = max(i.height for i in images)
    rows = (len(images) + columns - 1) // columns
    sheet = image.new("L", (w * min(columns, len(images)), h * rows), 255)
    for n, img in enumerate(images):
        sheet.paste(img, ((n % columns) * w, (n // columns) * h))
    return sheet


def write_printable(out: Path, stem: str, page: str, *, pdf: bool = True) -> list[str]:
    """Write ``stem.html`` in ``out`` and, with ``pdf``, ``stem.pdf`` through
    headless Chromium; the names written. A missing Chromium is not an
    error here: the HTML prints from any browser, and the reason is said on
    stderr."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.html").write_text(page)
    wrote = [f"{stem}.html"]
    if pdf:
        try:
            print_pdf(out / f"{stem}.html", out / f"{stem}.pdf")
            wrote.append(f"{stem}.pdf")
        except PaperError as exc:
            print(f"caracol: no PDF: {exc}", file=sys.stderr)
    return wrote


def print_pdf(html_file: Path, pdf_file: Path, *, chromium: str | None = None) -> None:
    """Print an HTML page to PDF with headless Chromium (Debian's package),
    the same engine that renders it on screen."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise PaperError("printing a PDF needs Chromium (Debian: apt install chromium)")
    pdf_file = Path(pdf_file).resolve()
    pdf_file.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="caracol-chromium-") as profile:
        try:
            done = subprocess.run(
                [
                    exe,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={pdf_file}",
                    Path(html_file).resolve().as_uri(),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PaperError(f"Chromium did not print {html_file} within 120 s") from None
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise PaperError(
            f"Chromium (exit {done.returncode}) wrote no PDF at {pdf_file}: " + " / ".join(tail)
        )


def pdf_pages(pdf_file: Path, *, dpi: int = SCAN_DPI) -> list[Any]:
    """The pages of a PDF as PIL images (poppler's pdftoppm), to be scanned."""
    image = need("PIL.Image", "paper")
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise PaperError("scanning a PDF needs pdftoppm (Debian: apt install poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="caracol-pages-") as tmp:
        done = subprocess.run(
            [exe, "-r", str(dpi), "-gray", "-png", str(pdf_file), f"{tmp}/page"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise PaperError(f"{pdf_file} is not a readable PDF: {done.stderr.strip()[:200]}")
        pages = []
        for png in sorted(Path(tmp).glob("page*.png")):
            with image.open(png) as img:
                pages.append(img.copy())
    return pages


def scan_images(images: list[Any]) -> list[bytes]:
    """QR payloads found in images (PIL images, image files or PDF files), in
    any order."""
    image = need("PIL.Image", "paper")
    zxingcpp = need("zxingcpp", "paper")
    out = []
    for item in images:
        if isinstance(item, (str, Path)) and str(item).lower().endswith(".pdf"):
            pages: list[Any] = pdf_pages(Path(item))
        elif isinstance(item, (str, Path)):
            try:
                pages = [image.open(item)]
            except (OSError, ValueError) as exc:
                raise PaperError(f"{item} is not an image: {exc}") from None
        else:
            pages = [item]
        for img in pages:
            for result in zxingcpp.read_barcodes(img):
                if result.format == zxingcpp.BarcodeFormat.QRCode:
                    out.append(bytes(result.bytes))
    return out
