"""Printable bulletins: a notice-board page whose QR codes carry the signed
messages behind it, so that a paper copy can be scanned back in and verified.

A bulletin shows a body's whole decisions — each proposal's text with its
amendments, its grievances by category and their delegates, every stage's
tally (digital and by hand), deadlines, roles, the verdict and the minutes,
a page or more each — and its mandates, as an HTML page (print it, or let
Chromium turn it into a PDF). Its
QR codes carry the messages of each decision's causal cut — the genesis, the
proposals, the votes and the closes — so a node that scans them holds exactly
what the verdicts were computed from, and re-derives them.

QR payload (binary mode, one per code)::

    "CQ" 0x00 || canonical [0, body id, index, count, [message, ...]]

Scanning collects the payloads from one or more images (any number of codes
per image, in any order), checks the framing, and returns the messages. They
are then verified and inserted like any others: a tampered code fails to
decode or to verify, and is reported with its reason; nothing in a bulletin is
trusted.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
import zxingcpp
from PIL import Image

from crdt.log import Log
from protocol import canonical
from protocol.assembly import Assembly, SubjectKind
from protocol.errors import ProtocolError
from protocol.minutes import minutes, utc
from protocol.stages import DURATION, FINAL

from .errors import BadFrame, LocalMeshError

MAGIC = b"CQ\x00"
VERSION = 0
CODE_BYTES = 1100  # per QR code: version ~25 at ECC level L, easy to print and scan
MAX_BYTES = 256 * 1024
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


@dataclass(frozen=True, slots=True)
class Bulletin:
    body: bytes
    html: str
    payloads: tuple[bytes, ...]
    omitted: int = 0  # messages of the causal cuts that did not fit (a bundle carries them)

    def qr_pngs(self, scale: int = 4) -> list[bytes]:
        out = []
        for p in self.payloads:
            buf = io.BytesIO()
            segno.make(p, error="l", mode="byte", micro=False).save(
                buf, kind="png", scale=scale, border=4
            )
            out.append(buf.getvalue())
        return out

    def sheet(self, scale: int = 3, columns: int = 3) -> Image.Image:
        """All codes on one printable image (a grid)."""
        images = [Image.open(io.BytesIO(png)).convert("L") for png in self.qr_pngs(scale)]
        w = max(i.width for i in images)
        h = max(i.height for i in images)
        rows = (len(images) + columns - 1) // columns
        sheet = Image.new("L", (w * min(columns, len(images)), h * rows), 255)
        for n, img in enumerate(images):
            sheet.paste(img, ((n % columns) * w, (n // columns) * h))
        return sheet


def _messages_for(log: Log, assembly: Assembly, max_bytes: int) -> tuple[list[bytes], int]:
    """Genesis first, then each decision's causal cut, in replay order; and
    how many messages did not fit in ``max_bytes``. A decision goes on the
    notice whole or not at all (oldest first), so every verdict that a scan
    brings back can be re-derived from what it brought."""
    kept: set[bytes] = {log.body}
    size = len(log.get(log.body).raw)
    wanted: set[bytes] = set(kept)
    full = False
    for sid in sorted(assembly.proposals(), key=log.index):
        closes = assembly.subject(sid).closes
        last = closes[-1][1] if closes else sid
        cut = log.causal_past(last) | {last, sid}
        wanted |= cut
        extra = sum(len(log.get(m).raw) for m in cut - kept)
        if full or size + extra > max_bytes:
            full = True
            continue
        kept |= cut
        size += extra
    raws = [log.get(m).raw for m in log.order() if m in kept]
    return raws, len(wanted - kept)


def _chunk(body: bytes, raws: list[bytes]) -> list[bytes]:
    groups: list[list[bytes]] = [[]]
    size = 0
    for raw in raws:
        if groups[-1] and size + len(raw) + 3 > CODE_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(raw)
        size += len(raw) + 3
    n = len(groups)
    return [MAGIC + canonical.encode((VERSION, body, i, n, tuple(g))) for i, g in enumerate(groups)]


def _who(a: Assembly, names: dict[bytes, str], key_or_identity: bytes) -> str:
    ident = a.membership.identity_of(key_or_identity) or key_or_identity
    return names.get(ident) or key_or_identity.hex()[:8]


def _count(c: Any) -> str:
    return (
        f"FOR {c.votes_for}, AGAINST {c.votes_against}, ABSTAIN {c.abstentions} of {c.electorate}"
    )


def _decision(a: Assembly, sid: bytes, names: dict[bytes, str], now: int) -> str:
    """One decision whole, for people to read: the text with its amendments,
    grievances by category and their delegates, every stage's tally (digital
    and by hand), the deadline, the roles, the verdict and the minutes."""
    s = a.subject(sid)
    e = html.escape
    title = e(getattr(s.payload, "title", "") or s.kind.name.lower())
    v = a.verdict(sid)
    verdict = (
        f"<p><strong>Verdict: {v.outcome.name.lower()}</strong> ({_count(v.count)})</p>"
        if v is not None
        else ""
    )
    deadline = ""
    if s.stage not in FINAL and s.stage in DURATION:
        due = s.opened_time + s.rules.deadline[DURATION[s.stage]]
        deadline = f" · deadline {utc(due)}"
    roles = (
        f"facilitator {e(_who(a, names, s.facilitator))}, minutes "
        f"{e(_who(a, names, s.minute_taker))}, mediator {e(_who(a, names, s.mediator))}"
    )
    parts = [
        f'<section class="decision"><h2>{title}</h2>',
        f"<p>Stage <strong>{s.stage.name.lower()}</strong>{deadline} · {roles} · "
        f"<code>{sid.hex()[:16]}</code></p>",
        verdict,
    ]
    if s.kind == SubjectKind.PROPOSAL:
        proposed = getattr(s.payload, "text", "")
        current = a.text(sid)
        parts.append(f"<h3>Text</h3><blockquote>{e(current)}</blockquote>")
        if current != proposed:
            parts.append(f"<p>As proposed:</p><blockquote>{e(proposed)}</blockquote>")
        amendments = a.amendments(sid)
        if amendments:
            items = "".join(
                "<li>{} for “{}” by {}: {}{}</li>".format(
                    e(am.stage.name.lower()),
                    e(am.category),
                    e(_who(a, names, am.identity)),
                    e(am.status),
                    f" ({_count(am.count)})" if am.count is not None else "",
                )
                for am in amendments
            )
            parts.append(f"<h3>Friendly amendments</h3><ul>{items}</ul>")
    grievances = a.grievances(sid)
    if grievances:
        delegates = a.delegates(sid)
        rows = "".join(
            "<tr><td>{}{}</td><td>{}</td><td>{}</td></tr>".format(
                e(cat),
                " (deal-breaker)" if db else "",
                e(_who(a, names, delegates[(cat, db)])) if (cat, db) in delegates else "—",
                "<br>".join(
                    f"{e(_who(a, names, g.identity))}: {e(g.text)} "
                    f"(agree {g.agree}, disagree {g.disagree})"
                    for g in items
                ),
            )
            for (cat, db), items in grievances.items()
        )
        parts.append(
            "<h3>Grievances</h3><table><tr><th>category</th><th>delegate</th>"
            f"<th>grievances</th></tr>{rows}</table>"
        )
    tallies = [
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            r.stage.name.lower(),
            r.event.name.lower().replace("_", " "),
            (_count(r.count) if r.count is not None else "—")
            + (f"; {len(r.hand)} hand count(s)" if r.hand else ""),
        )
        for r in s.history
    ]
    if tallies:
        parts.append(
            "<h3>Stages</h3><table><tr><th>stage</th><th>result</th><th>tally</th></tr>"
            f"{''.join(tallies)}</table>"
        )
    lines = minutes(a, sid, names)
    parts.append(f"<h3>Minutes</h3><pre>{e(chr(10).join(lines))}</pre></section>")
    return "".join(parts)


def make_bulletin(
    log: Log, *, title: str = "", now: int = 0, max_bytes: int = 64 * 1024
) -> Bulletin:
    assembly = Assembly(log.body).fold(log)
    raws, omitted = _messages_for(log, assembly, max_bytes)
    payloads = _chunk(log.body, raws)
    name = getattr(log.get(log.body).payload, "name", "")
    names = {i: r.name for i, r in assembly.names.all().items()}
    decisions = "".join(_decision(assembly, sid, names, now) for sid in assembly.proposals())
    mandates = [
        f"<li>{html.escape(m.scope)} — {html.escape(m.status)} (delegate "
        f"{html.escape(_who(assembly, names, m.delegate))}, until {utc(m.expires)})</li>"
        for m in assembly.mandates(now)
    ]
    partial = (
        f"<p><strong>{omitted} newer messages did not fit on this notice</strong>: the codes "
        "carry the older decisions whole (newer ones are listed, not carried); bring the "
        "rest on a USB bundle (<code>caracol export --bundle</code>).</p>"
        if omitted
        else ""
    )
    codes = "".join(
        f'<figure><img alt="signed messages, part {i + 1} of {len(payloads)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
        f"<figcaption>{i + 1} / {len(payloads)}</figcaption></figure>"
        for i, png in enumerate(Bulletin(log.body, "", tuple(payloads)).qr_pngs())
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title or name)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .6em;vertical-align:top}}
figure{{display:inline-block;margin:.5em}} blockquote{{white-space:pre-wrap;margin:.5em 1em}}
pre{{white-space:pre-wrap;font-size:.85em}}
@media print{{figure{{break-inside:avoid}} section.decision,h2.codes{{break-before:page}}}}
</style></head>
<body><h1>{html.escape(title or name)}</h1>
<p>Body <code>{log.body.hex()}</code>. Scan the codes with <code>caracol mesh scan</code>:
they carry the signed messages these decisions were computed from, and every one is
verified on import.</p>
<h2>Mandates</h2><ul>{"".join(mandates) or "<li>none</li>"}</ul>
{decisions or "<p>No proposals yet.</p>"}
<h2 class="codes">Signed messages</h2>{codes}
{partial}</body></html>
"""
    return Bulletin(log.body, page, tuple(payloads), omitted)


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
        except LocalMeshError as exc:
            print(f"caracol: no PDF: {exc}", file=sys.stderr)
    return wrote


def print_pdf(html_file: Path, pdf_file: Path, *, chromium: str | None = None) -> None:
    """Print a bulletin's HTML to PDF with headless Chromium (Debian's package),
    the same engine that renders it on screen."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise LocalMeshError("printing a PDF needs Chromium (Debian: apt install chromium)")
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
            raise LocalMeshError("Chromium did not print the bulletin within 120 s") from None
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise LocalMeshError(
            f"Chromium (exit {done.returncode}) wrote no PDF at {pdf_file}: " + " / ".join(tail)
        )


def pdf_pages(pdf_file: Path, *, dpi: int = SCAN_DPI) -> list[Image.Image]:
    """The pages of a PDF as images (poppler's pdftoppm), to be scanned."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise LocalMeshError("scanning a PDF needs pdftoppm (Debian: apt install poppler-utils)")
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
            raise BadFrame(f"{pdf_file} is not a readable PDF: {done.stderr.strip()[:200]}")
        pages = []
        for png in sorted(Path(tmp).glob("page*.png")):
            with Image.open(png) as img:
                pages.append(img.copy())
    return pages


def scan_images(images: list[Any]) -> list[bytes]:
    """QR payloads found in images (PIL images, image files or PDF files), in
    any order."""
    out = []
    for image in images:
        if isinstance(image, (str, Path)) and str(image).lower().endswith(".pdf"):
            pages: list[Any] = pdf_pages(Path(image))
        elif isinstance(image, (str, Path)):
            try:
                pages = [Image.open(image)]
            except (OSError, ValueError) as exc:
                raise BadFrame(f"{image} is not an image: {exc}") from None
        else:
            pages = [image]
        for img in pages:
            for result in zxingcpp.read_barcodes(img):
                if result.format == zxingcpp.BarcodeFormat.QRCode:
                    out.append(bytes(result.bytes))
    return out


def messages_from_payloads(payloads: list[bytes]) -> tuple[bytes, list[bytes], list[str]]:
    """(body id, messages in order, problems). Untrusted: a code that does
    not parse is reported, the rest used; the messages still need verifying."""
    body: bytes | None = None
    parts: dict[int, tuple[bytes, ...]] = {}
    count = 0
    problems = []
    for n, p in enumerate(payloads):
        try:
            if not p.startswith(MAGIC):
                raise BadFrame("not a Caracol bulletin code")
            value = canonical.decode(p[len(MAGIC) :], max_bytes=MAX_BYTES)
            if (
                type(value) is not tuple
                or len(value) != 5
                or type(value[0]) is not int
                or value[0] != VERSION
            ):
                raise BadFrame("a bulletin code is [0, body, index, count, [message, ...]]")
            _, b, index, total, raws = value
            if (
                type(b) is not bytes
                or len(b) != 32
                or type(index) is not int
                or type(total) is not int
            ):
                raise BadFrame("bad body id or numbering")
            if (
                not 0 <= index < total
                or type(raws) is not tuple
                or not all(type(r) is bytes for r in raws)
            ):
                raise BadFrame("bad numbering or messages")
            if body is not None and b != body:
                raise BadFrame("codes of two different bodies")
            body, count = b, total
            parts[index] = raws
        except (BadFrame, ProtocolError) as exc:
            problems.append(f"code {n + 1}: {exc}")
    if body is None:
        raise BadFrame("no readable Caracol bulletin code: " + "; ".join(problems))
    missing = [i + 1 for i in range(count) if i not in parts]
    if missing:
        problems.append(f"codes {missing} of {count} were not read")
    return body, [r for i in sorted(parts) for r in parts[i]], problems
