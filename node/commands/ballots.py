"""``caracol ballots``: paper ballots for one stage of one proposal (or a
motion), and checking a ballot by its QR code (issue 14; spec/process.md
§6a, "Paper ballots").

``print`` writes ``ballots.html`` (and ``ballots.pdf`` through headless
Chromium): one ballot per member of the electorate, three to a page, each
with the question, the boxes FOR / AGAINST / ABSTAIN and a QR code naming
the body, the subject and the stage, then the tellers' sheet — the counts,
the members present, the witnesses' signatures — that becomes a hand count
(``caracol member hand-count`` or the page's hand-count form). ``check``
reads the QR codes in a photo or scan of ballots and says, for each, which
proposal and stage it is for and whether that stage is open now.
"""

from __future__ import annotations

import argparse
import base64
import html
import sys
from pathlib import Path
from typing import Any

from node.client import ClientError, NodeClient
from node.commands.member_state import body_id, node_url
from node.errors import NodeError
from node.paper import PaperError, qr_png, scan_images, write_printable
from protocol.hand_counts import HAND_STAGES
from protocol.stages import Stage

MAGIC = "caracol-ballot/0"
STAGE_NAMES = {
    "temperature": "Temperature check",
    "minor_check": "Support check",
    "final_vote": "Final vote",
    "motion": "Motion",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ballots_command", required=True, metavar="ACTION")
    p = sub.add_parser("print", help="print paper ballots and the tellers' sheet for a stage")
    p.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    p.add_argument("--body", help="body id (default $CARACOL_BODY or the node's only body)")
    p.add_argument("--subject", "--proposal", "--motion", dest="subject", required=True)
    p.add_argument("--copies", type=int, help="how many ballots (default: one per member)")
    p.add_argument("--out", type=Path, required=True, help="folder for ballots.html/.pdf")
    p.add_argument("--no-pdf", action="store_true", help="skip printing through Chromium")
    c = sub.add_parser("check", help="read ballots' QR codes from a photo, scan or PDF")
    c.add_argument("image", type=Path)
    c.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")


def ballot_code(body: bytes, subject: bytes, stage: int) -> bytes:
    """What a ballot's QR code holds: ``caracol-ballot/0 <body> <subject> <stage>``."""
    return f"{MAGIC} {body.hex()} {subject.hex()} {stage}".encode()


def parse_code(data: bytes) -> tuple[bytes, bytes, int]:
    try:
        magic, body, subject, stage = data.decode("ascii").split(" ")
        if magic != MAGIC:
            raise ValueError(magic)
        b, s, n = bytes.fromhex(body), bytes.fromhex(subject), int(stage)
    except (UnicodeDecodeError, ValueError):
        raise NodeError(
            f"not a Caracol ballot code ({data[:24]!r}…): expected {MAGIC} BODY SUBJECT STAGE"
        ) from None
    if len(b) != 32 or len(s) != 32 or n not in {int(st) for st in Stage}:
        raise NodeError("a ballot code with a malformed body, subject or stage")
    return b, s, n


def _subject(client: NodeClient, body: bytes, text: str) -> dict[str, Any]:
    t = text.strip().lower()
    if len(t) < 8:
        raise NodeError("--subject: give at least 8 hex digits of the id")
    rows = list(client.get(f"/v0/bodies/{body.hex()}/proposals")["proposals"])
    rows += client.get(f"/v0/bodies/{body.hex()}/motions")["motions"]
    rows += client.get(f"/v0/bodies/{body.hex()}/mandates")["mandates"]
    found = [r for r in rows if r["id"].startswith(t)]
    if len(found) != 1:
        raise NodeError(f"--subject: {'no' if not found else 'more than one'} subject starts {t}")
    return dict(client.get(f"/v0/bodies/{body.hex()}/proposals/{found[0]['id']}"))


def _title(s: dict[str, Any]) -> str:
    if s.get("title"):
        return str(s["title"])
    if s["kind"] == "admission":
        return f"Admit {s.get('name') or 'a newcomer'}"
    if s["kind"] == "removal":
        return "Remove a member"
    return str(s["kind"]).capitalize()


def ballots_html(
    body_name: str, s: dict[str, Any], body: bytes, copies: int, people: list[Any]
) -> str:
    stage = Stage(s["stage_number"])
    stage_name = STAGE_NAMES.get(stage.name.lower(), stage.name.lower())
    code = ballot_code(body, bytes.fromhex(s["id"]), int(stage))
    png = base64.b64encode(qr_png(code, scale=4, error="m")).decode()
    title = html.escape(_title(s))
    text = html.escape(s.get("text") or "")
    one = f"""<section class="ballot">
<img alt="ballot code" src="data:image/png;base64,{png}"/>
<p class="body">{html.escape(body_name)} · {stage_name}</p>
<h2>{title}</h2>
{f'<p class="text">{text}</p>' if text else ""}
<p>Mark one box:</p>
<p class="boxes"><span>☐ FOR</span> <span>☐ AGAINST</span> <span>☐ ABSTAIN</span></p>
<p class="id">{s["id"][:16]} · stage {int(stage)}</p>
</section>"""
    rows = "\n".join(
        f"<tr><td>☐</td><td>{html.escape(p.get('name') or p['key'][:16])}</td></tr>"
        for p in people
        if p.get("member")
    )
    sheet = f"""<section class="sheet">
<h2>Tellers' sheet — {title}</h2>
<p>{html.escape(body_name)} · {stage_name} · subject {s["id"][:16]}</p>
<p>FOR: ______ AGAINST: ______ ABSTAIN: ______</p>
<p>Tick the members present (they are counted by hand, and not digitally):</p>
<table>{rows}</table>
<p>Witnesses (not the facilitator), names and signatures:</p>
<p>1. ______________________ 2. ______________________</p>
<p>Then the facilitator records it: <code>caracol member hand-count --subject {s["id"][:16]}
--for N --against N --abstain N --present NAME … --witness-card CARD …</code>, or on the
page's hand-count form; any member may contest it while the stage is open.</p>
</section>"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ballots — {title}</title>
<style>body{{font-family:sans-serif;margin:1cm}}
.ballot{{border:1px dashed #000;padding:.5cm;height:8cm;box-sizing:border-box;overflow:hidden;
break-inside:avoid;margin-bottom:.4cm}}
.ballot img{{float:right;width:3.5cm;height:3.5cm;margin-left:.5cm}}
.boxes span{{font-size:1.4em;margin-right:1.2em}} .id,.body{{color:#333;font-size:.85em}}
.text{{font-size:.9em;max-height:2.4cm;overflow:hidden}}
.sheet{{break-before:page}} td{{padding:.15cm .3cm;border-bottom:1px solid #999}}
</style></head><body>
{"".join(one for _ in range(copies))}
{sheet}
</body></html>
"""


def run(args: argparse.Namespace) -> int:
    try:
        if args.ballots_command == "print":
            return _print(args)
        return _check(args)
    except (NodeError, ClientError, OSError, ValueError) as exc:
        print(f"caracol ballots {args.ballots_command}: {exc}", file=sys.stderr)
        return 1


def _print(args: argparse.Namespace) -> int:
    client = NodeClient(node_url(args.node))
    body = body_id(client, args.body)
    s = _subject(client, body, args.subject)
    stage = Stage(s["stage_number"])
    if stage not in HAND_STAGES:
        open_in = ", ".join(sorted(st.name.lower() for st in HAND_STAGES))
        raise NodeError(
            f"--subject: its open stage is {stage.name.lower()}; ballots are for {open_in}"
        )
    people = client.get(f"/v0/bodies/{body.hex()}/people")["people"]
    genesis = client.get(f"/v0/bodies/{body.hex()}")["genesis"]
    name = str(genesis["payload"][1])
    copies = args.copies if args.copies is not None else int(s["electorate"])
    if not 1 <= copies <= 1000:
        raise NodeError("--copies: give 1 to 1000")
    out: Path = args.out
    page = ballots_html(name, s, body, copies, people)
    wrote = write_printable(out, "ballots", page, pdf=not args.no_pdf)
    print(f"wrote {copies} ballots and the tellers' sheet ({', '.join(wrote)}) in {out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        codes = scan_images([args.image])
    except PaperError as exc:
        raise NodeError(f"cannot read {args.image}: {exc}") from None
    ballots = [c for c in codes if c.startswith(MAGIC.encode())]
    if not ballots:
        raise NodeError(f"no ballot code found in {args.image}: photograph it again, flat and lit")
    client = NodeClient(node_url(args.node))
    bad = 0
    for code in ballots:
        body, subject, stage = parse_code(code)
        try:
            s = client.get(f"/v0/bodies/{body.hex()}/proposals/{subject.hex()}")
        except ClientError as exc:
            print(f"ballot for {subject.hex()[:16]}: unknown here ({exc})")
            bad += 1
            continue
        now = Stage(s["stage_number"])
        status = "the open stage" if int(now) == stage else f"NOT open (now {now.name.lower()})"
        bad += int(now) != stage
        print(f"ballot for {_title(s)!r}, stage {Stage(stage).name.lower()}: {status}")
    return 1 if bad else 0
