"""``caracol card``: printed key cards for members without a phone.

    caracol card print --keystore F --name NAME --body ID --out DIR
    caracol card sign --card PHOTO.png|card.pdf --node URL vote --subject ID --choice for

``print`` unlocks the member's keystore (passphrase), seals its seed under a
PIN (spec/keys.md, "Key cards") and writes card.html, card.png and card.pdf.
``sign`` scans the card, asks the PIN, signs exactly one message for the
card's body, submits it, and drops the seed: nothing is written to disk.
The PIN comes from ``CARACOL_PIN`` when set (tests, kiosks), else the prompt.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
import time
from pathlib import Path

from node import keyfile
from node.client import NodeClient
from node.commands.flags import hex_id
from node.commands.key import ask_secret, passphrase
from node.commands.member_actions import CHOICES
from node.errors import NodeError
from node.paper import PaperError, qr_png, scan_images, write_printable
from protocol import keycard, kinds
from protocol.errors import ProtocolError
from protocol.keys import key_to_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="card_command", required=True, metavar="ACTION")
    p = sub.add_parser("print", help="print a member's key card (QR code sealed under a PIN)")
    p.add_argument("--keystore", type=Path, required=True, help="the member's keystore file")
    p.add_argument("--name", required=True, help="the member's name, printed on the card")
    p.add_argument(
        "--body", required=True, type=hex_id, help="the body id (hex) the card signs for"
    )
    p.add_argument("--out", type=Path, required=True, help="folder for card.html/.png/.pdf")
    p.add_argument("--no-pdf", action="store_true", help="skip printing through Chromium")
    s = sub.add_parser("sign", help="sign one message with a scanned key card, then forget it")
    s.add_argument("--card", type=Path, required=True, help="a photo/scan (PNG, JPEG) or PDF")
    s.add_argument("--node", required=True, help="the node's URL")
    acts = s.add_subparsers(dest="member_command", required=True, metavar="MESSAGE")
    v = acts.add_parser("vote", help="vote on a proposal's open stage, a motion or a recall")
    v.add_argument("--subject", required=True)
    v.add_argument("--choice", choices=sorted(CHOICES), required=True)
    g = acts.add_parser("grievance", help="file a concern under a category")
    g.add_argument("--proposal", required=True)
    g.add_argument("--category", required=True)
    g.add_argument("--deal-breaker", action="store_true")
    g.add_argument("--text", default="")
    c = acts.add_parser("comment", help="comment on a proposal")
    c.add_argument("--proposal", required=True)
    c.add_argument("--text", required=True)
    c.add_argument("--stance", choices=["neutral", "support", "oppose"], default="neutral")
    r = acts.add_parser("recall", help="vote to recall a delegate's mandate")
    r.add_argument("--mandate", required=True)
    r.add_argument("--choice", choices=sorted(CHOICES), default="for")


def _pin(confirm: bool) -> str:
    env = os.environ.get("CARACOL_PIN")
    if env is not None:
        return env
    first = ask_secret("card PIN (8+ characters; four words are best): ")
    if confirm and ask_secret("again: ") != first:
        raise keycard.CardError("the two PINs differ")
    return first


def card_html(card: keycard.Card, png: bytes) -> str:
    name = html.escape(card.name)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Key card — {name}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}
.card{{border:2px solid #000;border-radius:8px;padding:1em;width:14cm;break-inside:avoid}}
.card img{{width:6cm;height:6cm;float:right;margin-left:1em}} code{{word-break:break-all}}
</style></head><body><div class="card">
<img alt="key card code" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>
<h1>{name}</h1>
<p>Member key: <code>{key_to_text(card.public_key)}</code></p>
<p>Assembly: <code>{card.body.hex()[:16]}…</code></p>
<p>To vote at the shared device: show this card to its camera and type your PIN.
The PIN is not written anywhere. If you lose this card, tell the facilitator
at once: your key is replaced (spec/keys.md, "When a card is lost").</p>
</div></body></html>
"""


def print_card(args: argparse.Namespace) -> int:
    seed = keyfile.read(args.keystore, passphrase())
    data = keycard.seal(
        seed,
        _pin(confirm=True),
        body=bytes.fromhex(args.body),
        name=args.name,
        salt=os.urandom(keycard.SALT_BYTES),
        nonce=os.urandom(keycard.NONCE_BYTES),
    )
    del seed
    card = keycard.read(data)
    png = qr_png(data, scale=8, error="m")
    out: Path = args.out
    wrote = write_printable(out, "card", card_html(card, png), pdf=not args.no_pdf)
    (out / "card.png").write_bytes(png)
    wrote.insert(1, "card.png")
    print(f"wrote {', '.join(wrote)} in {out} for {card.name} ({key_to_text(card.public_key)})")
    return 0


def scan_card(path: Path) -> bytes:
    """The bytes of the one key card in a photo or PDF."""
    try:
        codes = scan_images([path])
    except PaperError as exc:
        raise keycard.DamagedCard(f"cannot read {path}: {exc}") from None
    first: keycard.CardError | None = None
    for code in codes:
        try:
            keycard.read(code)
            return code
        except keycard.CardError as exc:
            first = first or exc
    if first is not None:
        raise first
    raise keycard.DamagedCard(
        f"no QR code found in {path}: photograph the card again, flat and lit"
    )


def _id(text: str, flag: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise NodeError(f"{flag}: expected a 64-hex-digit message id, got {text!r}")
    return raw


def payload_of(args: argparse.Namespace) -> kinds.Payload:
    """The one message a card signs, from the command line (a card holds no state)."""
    c = args.member_command
    if c == "vote":
        return kinds.Vote(_id(args.subject, "--subject"), CHOICES[args.choice])
    if c == "grievance":
        proposal = _id(args.proposal, "--proposal")
        return kinds.Grievance(proposal, args.category, args.deal_breaker, args.text)
    if c == "comment":
        stance = kinds.Stance[args.stance.upper()]
        return kinds.Comment(_id(args.proposal, "--proposal"), None, stance, args.text)
    if c == "recall":
        return kinds.RecallVote(_id(args.mandate, "--mandate"), CHOICES[args.choice])
    raise NodeError(f"caracol card sign: unknown message {c!r}")


def sign(args: argparse.Namespace) -> int:
    data = scan_card(args.card)
    payload = payload_of(args)
    card, seed = keycard.unseal(data, _pin(confirm=False))
    try:
        env, result = NodeClient(args.node).sign_and_submit(
            seed, card.body, payload, time=int(time.time())
        )
    finally:
        del seed  # the only reference: the seed is never stored
    print(json.dumps({"id": env.id.hex(), "card": card.name, **result}))
    return 0 if result["status"] in ("accepted", "pending", "duplicate") else 1


def run(args: argparse.Namespace) -> int:
    try:
        if args.card_command == "print":
            return print_card(args)
        return sign(args)
    except (NodeError, ProtocolError, ValueError, OSError) as exc:
        print(f"caracol card: {exc}", file=sys.stderr)
        return 1
