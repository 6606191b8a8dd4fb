"""``caracol mesh``: for mesh-radio operators.

    caracol mesh airtime --preset LONG_FAST --bytes 138      time on air
    caracol mesh budget --region EU868 --mhz 868.1            the hourly allowance
    caracol mesh bridge --node URL --body ID RADIO            bridge a node to a radio
    caracol mesh status [--bridge URL] [--json]               a running bridge's link, budget, queue
    caracol mesh bulletin --body ID --out DIR                 a printable notice with QR codes
    caracol mesh scan IMAGE...                                import scanned codes, verified

RADIO is one of ``--kiss HOST:PORT``, ``--kiss-serial DEVICE [--baud N]``,
``--meshtastic HOST[:PORT]``, ``--meshtastic-serial DEVICE``,
``--reticulum CONFIGDIR --listen | --peer DESTHASH | --peer-key HEX`` (with
``--identity FILE`` and LXMF store and forward through
``--propagation-node HASH``). The bridge itself
lives in ``mesh/bridge.py``; this module parses the flags.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import NoReturn, TypeAlias

import anyio

from node.errors import NodeError
from node.extras import MissingExtra

from .airtime import MESHTASTIC, LoRaParams
from .dutycycle import REGIONS, Budget, SendQueue, sub_band
from .errors import LocalMeshError, MeshError


class _Parser(argparse.ArgumentParser):
    """Flag errors as every other mesh error: one line, ``caracol mesh: ...``,
    exit 1."""

    def error(self, message: str) -> NoReturn:
        print(f"caracol mesh: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(1)


def _hex_id(text: str) -> str:
    """A body id flag: 64 hex digits, or one line naming the flag."""
    t = text.strip().lower()
    try:
        ok = len(bytes.fromhex(t)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError(f"expected a body id of 64 hex digits, got {text!r}")
    return t


_Sub: TypeAlias = "argparse._SubParsersAction[_Parser]"
"""The subcommands of ``caracol mesh``."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(
        dest="mesh_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    _airtime_parser(sub)
    _budget_parser(sub)
    _bridge_parser(sub)
    _status_parser(sub)
    _bulletin_parser(sub)
    _digest_parser(sub)
    _scan_parser(sub)


def _airtime_parser(sub: _Sub) -> None:
    a = sub.add_parser("airtime", help="LoRa time on air of a packet")
    a.add_argument("--preset", choices=sorted(MESHTASTIC), default="LONG_FAST")
    a.add_argument("--sf", type=int)
    a.add_argument("--bw", type=int, help="bandwidth in kHz")
    a.add_argument("--cr", type=int, help="coding rate index 1..4 (4/5..4/8)")
    a.add_argument("--bytes", type=int, required=True)


def _budget_parser(sub: _Sub) -> None:
    b = sub.add_parser("budget", help="duty-cycle allowance of a sub-band")
    b.add_argument("--region", choices=sorted(REGIONS), default="EU868")
    b.add_argument("--mhz", type=float, default=869.525)
    b.add_argument("--preset", choices=sorted(MESHTASTIC), default="LONG_FAST")


def _bridge_parser(sub: _Sub) -> None:
    br = sub.add_parser(
        "bridge",
        help="carry a node's body over a radio (KISS TNC, Meshtastic or Reticulum)",
        description="Carry a body's messages both ways between a node and exactly one radio.",
    )
    br.add_argument("--node", metavar="URL", help="the node's API, e.g. http://127.0.0.1:8470")
    br.add_argument("--body", metavar="ID", help="the body id (64 hex digits)")
    _bridge_radio_args(br)
    _bridge_rns_args(br)
    br.add_argument("--region", choices=sorted(REGIONS), default="EU868")
    br.add_argument("--mhz", default="869.525", help="the frequency, for the duty-cycle sub-band")
    br.add_argument(
        "--status-port",
        default="8471",
        metavar="N",
        help="serve the status as JSON on 127.0.0.1:N (default 8471; 0: any free port)",
    )
    br.add_argument("--seconds", default="0", help="stop after this long (0: run until Ctrl-C)")
    br.add_argument(
        "--digest-every",
        metavar="SECONDS",
        help="send the digest of open proposals as text messages this often "
        "(Meshtastic; default 86400, 0: never)",
    )


def _bridge_radio_args(br: argparse.ArgumentParser) -> None:
    radio = br.add_argument_group("radio (exactly one)")
    radio.add_argument("--kiss", metavar="HOST:PORT", help="a TNC's KISS TCP port (Direwolf: 8001)")
    radio.add_argument("--kiss-serial", metavar="DEVICE", help="a KISS TNC on a serial port")
    radio.add_argument("--baud", metavar="N", help="serial rate for --kiss-serial (default 9600)")
    radio.add_argument(
        "--meshtastic", metavar="HOST[:PORT]", help="a Meshtastic device's TCP API (port 4403)"
    )
    radio.add_argument("--meshtastic-serial", metavar="DEVICE", help="a Meshtastic device on USB")
    radio.add_argument(
        "--reticulum", metavar="CONFIGDIR", help="a Reticulum instance's config directory"
    )
    radio.add_argument("--listen", action="store_true", help="Reticulum: wait for a peer's link")
    radio.add_argument("--peer", metavar="DESTHASH", help="Reticulum: open a link to this peer")


def _bridge_rns_args(br: argparse.ArgumentParser) -> None:
    rns = br.add_argument_group("Reticulum identity and LXMF store and forward")
    rns.add_argument(
        "--identity",
        metavar="FILE",
        help="the bridge's Reticulum identity (default: CONFIGDIR/identity, made on first use)",
    )
    rns.add_argument(
        "--peer-key",
        metavar="HEX",
        help="the peer's identity public key: its --peer hash follows; needed to deposit for it",
    )
    rns.add_argument(
        "--propagation-node",
        metavar="HASH",
        help="an LXMF propagation node: deposit for an unreachable peer, collect deposits",
    )
    rns.add_argument(
        "--collect-every",
        metavar="SECONDS",
        help="ask the propagation node for deposits this often (default 600)",
    )
    rns.add_argument(
        "--deposit-every",
        metavar="SECONDS",
        help="at most one deposit this often while the peer is unreachable (default 600)",
    )
    rns.add_argument(
        "--link-timeout",
        metavar="SECONDS",
        help="how long one attempt at a live link to the peer may take (default 60)",
    )


def _status_parser(sub: _Sub) -> None:
    st = sub.add_parser("status", help="a running bridge's link, airtime budget, queue and drops")
    st.add_argument(
        "--bridge",
        default="http://127.0.0.1:8471",
        metavar="URL",
        help="the bridge's status address (default http://127.0.0.1:8471)",
    )
    st.add_argument("--json", action="store_true", help="the raw JSON document")


def _bulletin_parser(sub: _Sub) -> None:
    bu = sub.add_parser(
        "bulletin", help="a printable notice whose QR codes carry the signed messages"
    )
    bu.add_argument("--config", default="caracol.toml")
    bu.add_argument("--body", required=True, type=_hex_id, metavar="ID")
    bu.add_argument(
        "--out", required=True, help="folder for bulletin.html, board.png and bulletin.pdf"
    )
    bu.add_argument("--title", default="", help="the notice's heading (default: the body's name)")
    bu.add_argument(
        "--no-pdf", action="store_true", help="skip printing the PDF through headless Chromium"
    )


def _digest_parser(sub: _Sub) -> None:
    dg = sub.add_parser(
        "digest", help="the daily digest of open proposals, as the bridge sends it over LoRa"
    )
    dg.add_argument("--node", required=True, metavar="URL")
    dg.add_argument("--body", required=True, metavar="ID", type=_hex_id)
    dg.add_argument("--preset", choices=sorted(MESHTASTIC), default="LONG_FAST")


def _scan_parser(sub: _Sub) -> None:
    sc = sub.add_parser(
        "scan", help="import the signed messages of scanned bulletins (images or PDF files)"
    )
    sc.add_argument("images", nargs="+")
    sc.add_argument("--config", default="caracol.toml")


def _params(args: argparse.Namespace) -> LoRaParams:
    base = MESHTASTIC[args.preset]
    return LoRaParams(
        sf=args.sf or base.sf,
        bw_hz=(args.bw * 1000) if args.bw else base.bw_hz,
        cr=args.cr or base.cr,
        preamble=base.preamble,
    )


# the radio libraries of the ``mesh`` extra (pyproject.toml)
RADIO_MODULES = frozenset({"meshtastic", "google", "RNS", "LXMF", "serial", "trio"})


def run(args: argparse.Namespace) -> int:
    try:
        if args.mesh_command == "airtime":
            p = _params(args)
            ms = p.airtime(args.bytes) * 1000
            radio = f"SF{p.sf} BW{p.bw_hz // 1000} CR4/{p.cr + 4}"
            print(f"{radio}: {args.bytes} bytes take {ms:.1f} ms on air")
            return 0
        if args.mesh_command == "budget":
            band = sub_band(args.region, args.mhz)
            budget = Budget(band)
            p = MESHTASTIC[args.preset]
            vote = p.airtime(138)
            print(
                f"{args.region} {band.name}: {band.duty * 100:g} % duty cycle; "
                f"Caracol uses at most {budget.allowance_s:.1f} s of air per rolling hour "
                f"(90 % of the limit) — about {int(budget.allowance_s // vote)} votes an hour "
                f"on {args.preset}; {SendQueue(budget, p.airtime).report(0.0).reserved_s:.1f} s "
                "of it are kept for "
                "verdicts, recalls, votes and closes"
            )
            return 0
        if args.mesh_command == "bulletin":
            return bulletin_command(args)
        if args.mesh_command == "scan":
            return scan_command(args)
        if args.mesh_command == "digest":
            return digest_command(args)
        from . import bridge

        if args.mesh_command == "status":
            return bridge.status_command(args)
        try:
            return anyio.run(bridge.bridge, args)
        except KeyboardInterrupt:
            print("caracol mesh: bridge stopped", file=sys.stderr)
            return 0
    except (MeshError, NodeError) as exc:  # NodeError: node.paper, a missing extra
        print(f"caracol mesh: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in RADIO_MODULES:
            raise
        print(f"caracol mesh: {MissingExtra('mesh', top)}", file=sys.stderr)
        return 1


def digest_command(args: argparse.Namespace) -> int:
    """Print the digest texts and what each costs on air."""
    from node.client import ClientError, NodeClient

    from .digest import digest_texts

    node, base = NodeClient(args.node), f"/v0/bodies/{args.body}"
    try:
        proposals = node.get(f"{base}/proposals")["proposals"]
        name = str(node.get(base)["genesis"]["payload"][1])
    except (ClientError, KeyError, TypeError, IndexError) as exc:
        raise LocalMeshError(f"cannot read {args.node}{base}: {exc}") from None
    p = MESHTASTIC[args.preset]
    texts = digest_texts(name, proposals, int(time.time()))
    for i, text in enumerate(texts, 1):
        n = len(text.encode())
        print(
            f"--- text {i}/{len(texts)}: {n} bytes, {p.airtime(n) * 1000:.0f} ms on {args.preset}"
        )
        print(text)
    return 0


def bulletin_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from node.config import load
    from node.ingest import Ingest
    from node.paper import write_printable
    from node.store import Store

    from .bulletin import make_bulletin

    try:
        config = load(args.config)
        with Store(config.database, writer=False) as store:  # a reader: beside a node too
            ingest = Ingest(store)
            ingest.load()
            log = ingest.body(bytes.fromhex(args.body)).log
            bulletin = make_bulletin(log, title=args.title, now=int(time.time()))
    except (NodeError, ValueError, OSError) as exc:
        print(f"caracol mesh: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    wrote = write_printable(out, "bulletin", bulletin.html, pdf=not args.no_pdf)
    bulletin.sheet().save(out / "board.png")
    wrote.insert(1, "board.png")
    print(f"wrote {', '.join(wrote)} in {out} ({len(bulletin.payloads)} QR codes)")
    if bulletin.omitted:
        print(
            f"  {bulletin.omitted} newer messages did not fit on the notice; carry them on a "
            "bundle (caracol export --bundle)"
        )
    return 0


def scan_command(args: argparse.Namespace) -> int:
    from node.config import load
    from node.paper import scan_images
    from node.writer import deliver
    from protocol.errors import ProtocolError
    from protocol.sneakernet import messages_from_payloads

    try:
        body, raws, problems = messages_from_payloads(scan_images(args.images))
        for p in problems:
            print(f"  {p}")
        config = load(args.config)
        done = deliver(
            config,
            body,
            raws,
            origin="bulletin scan",
            no_genesis=f"this node does not hold body {body.hex()[:16]}… and the scan did not "
            "bring its genesis (the first code): scan that code too",
            say=lambda line: print(line, file=sys.stderr),
        )
    except (NodeError, ProtocolError, OSError) as exc:
        print(f"caracol mesh: {exc}", file=sys.stderr)
        return 1
    print(
        f"scanned {len(raws)} messages of body {body.hex()[:16]}…: "
        f"{done.counts['accepted']} new, {len(done.problems)} rejected"
    )
    for p in done.problems:
        print(f"  rejected {p}")
    return 0 if not done.problems and not problems else 1
