"""``caracol mesh``: for mesh-radio operators.

    caracol mesh airtime --preset LONG_FAST --bytes 138      time on air
    caracol mesh budget --region EU868 --mhz 868.1            the hourly allowance
    caracol mesh bridge --node URL --body ID --kiss HOST:PORT bridge a node to a TNC
    caracol mesh bulletin --body ID --out DIR                 a printable notice with QR codes
    caracol mesh scan IMAGE...                                import scanned codes, verified

The bridge carries a body's messages both ways between a node (its member
API: live events in, submissions out) and a radio: messages the node
accepts go out as compact frames through the duty-cycle queue (verdicts,
recalls and votes first), and verified messages heard on the radio are
submitted to the node. It prints the budget, the queue and what it dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import aiohttp
import anyio

from protocol import envelope
from protocol.envelope import Envelope
from protocol.kinds import Kind

from . import frames
from .airtime import MESHTASTIC, LoRaParams
from .dutycycle import REGIONS, Budget, Priority, sub_band
from .errors import MeshError
from .kiss_transport import KissTransport
from .radio_link import RadioLink

PRIORITY = {
    Kind.VERDICT: Priority.VERDICT,
    Kind.RECALL_VOTE: Priority.RECALL,
    Kind.VOTE: Priority.VOTE,
    Kind.AMENDMENT_VOTE: Priority.VOTE,
    Kind.CLOSE: Priority.CLOSE,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mesh_command", required=True, metavar="ACTION")
    a = sub.add_parser("airtime", help="LoRa time on air of a packet")
    a.add_argument("--preset", choices=sorted(MESHTASTIC), default="LONG_FAST")
    a.add_argument("--sf", type=int)
    a.add_argument("--bw", type=int, help="bandwidth in kHz")
    a.add_argument("--cr", type=int, help="coding rate index 1..4 (4/5..4/8)")
    a.add_argument("--bytes", type=int, required=True)
    b = sub.add_parser("budget", help="duty-cycle allowance of a sub-band")
    b.add_argument("--region", choices=sorted(REGIONS), default="EU868")
    b.add_argument("--mhz", type=float, default=869.525)
    b.add_argument("--preset", choices=sorted(MESHTASTIC), default="LONG_FAST")
    br = sub.add_parser("bridge", help="bridge a node's body to a KISS TNC")
    br.add_argument("--node", required=True)
    br.add_argument("--body", required=True)
    br.add_argument("--kiss", required=True, metavar="HOST:PORT")
    br.add_argument("--region", choices=sorted(REGIONS), default="EU868")
    br.add_argument("--mhz", type=float, default=869.525)
    br.add_argument(
        "--seconds", type=float, default=0, help="stop after this long (0: run until Ctrl-C)"
    )
    bu = sub.add_parser(
        "bulletin", help="a printable notice whose QR codes carry the signed messages"
    )
    bu.add_argument("--config", default="caracol.toml")
    bu.add_argument("--body", required=True)
    bu.add_argument(
        "--out", required=True, help="folder for bulletin.html, board.png (and bulletin.pdf)"
    )
    sc = sub.add_parser("scan", help="import the signed messages of scanned bulletin images")
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
                f"on {args.preset}"
            )
            return 0
        if args.mesh_command == "bulletin":
            return bulletin_command(args)
        if args.mesh_command == "scan":
            return scan_command(args)
        return anyio.run(bridge, args)
    except MeshError as exc:
        print(f"caracol mesh: {exc}", file=sys.stderr)
        return 1


async def bridge(args: argparse.Namespace) -> int:
    host, _, port = args.kiss.rpartition(":")
    body = bytes.fromhex(args.body)
    url = args.node.rstrip("/")
    radio = await KissTransport.connect_tcp(host or "127.0.0.1", int(port))
    try:
        return await _bridge(args, radio, body, url)
    finally:
        with anyio.CancelScope(shield=True):
            await radio.aclose()


async def _bridge(args: argparse.Namespace, radio: KissTransport, body: bytes, url: str) -> int:
    known: set[bytes] = set()
    heard: set[bytes] = set()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/v0/bodies/{body.hex()}/roster") as r:
            roster = sorted(bytes.fromhex(k) for k in (await r.json())["members"].values())
        async with http.get(f"{url}/v0/bodies/{body.hex()}/messages?limit=5000") as r:
            for raw in (await r.json())["messages"]:
                known.add(envelope.message_id(bytes.fromhex(raw)))
        link = RadioLink(radio, Budget(sub_band(args.region, args.mhz)))
        link.add_context(
            frames.Context(body, roster, lambda p: [m for m in known if m.startswith(p)])
        )
        pending: list[Envelope] = []
        link.on_message = pending.append

        async def to_node() -> None:
            while True:
                while pending:
                    env = pending.pop(0)
                    heard.add(env.id)
                    known.add(env.id)
                    async with http.post(
                        f"{url}/v0/bodies/{body.hex()}/messages", json={"messages": [env.raw.hex()]}
                    ) as r:
                        await r.read()
                await anyio.sleep(0.2)

        async def from_node() -> None:
            async with http.ws_connect(f"{url}/v0/bodies/{body.hex()}/events") as ws:
                async for msg in ws:
                    event: dict[str, Any] = json.loads(msg.data)
                    env = envelope.decode_untrusted(bytes.fromhex(event["message"]), body)
                    known.add(env.id)
                    if env.id not in heard:
                        link.send_message(env, PRIORITY.get(Kind(env.kind), Priority.FRESH))

        async def report() -> None:
            while True:
                await anyio.sleep(30)
                q = link.queue.report(time.monotonic())
                print(
                    f"air used {q.used_s:.1f}/{q.allowance_s:.1f} s this hour, "
                    f"{q.queued_frames} frames queued ({q.queued_airtime_s:.1f} s), "
                    f"{link.delivered} heard, {len(link.dropped)} dropped",
                    flush=True,
                )

        async with anyio.create_task_group() as tg:
            for task in (link.pump, link.listen, link.ask_for_missing, to_node, from_node, report):
                tg.start_soon(task)
            if args.seconds:
                await anyio.sleep(args.seconds)
                tg.cancel_scope.cancel()
    return 0


def bulletin_command(args: argparse.Namespace) -> int:
    import shutil
    import subprocess
    from pathlib import Path

    from node.config import load
    from node.ingest import Ingest
    from node.store import Store

    from .bulletin import make_bulletin

    config = load(args.config)
    with Store(config.database, create=False) as store:
        ingest = Ingest(store)
        ingest.load()
        log = ingest.body(bytes.fromhex(args.body)).log
        bulletin = make_bulletin(log, now=int(time.time()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bulletin.html").write_text(bulletin.html)
    bulletin.sheet().save(out / "board.png")
    chromium = shutil.which("chromium")
    if chromium:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--print-to-pdf={out / 'bulletin.pdf'}",
                (out / "bulletin.html").resolve().as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=120,
        )
    print(
        f"wrote {out}/bulletin.html and board.png ({len(bulletin.payloads)} QR codes)"
        + (" and bulletin.pdf" if (out / "bulletin.pdf").exists() else "")
    )
    return 0


def scan_command(args: argparse.Namespace) -> int:
    from node.config import load
    from node.ingest import Ingest, Status
    from node.store import Store

    from .bulletin import messages_from_payloads, scan_images

    body, raws, problems = messages_from_payloads(scan_images(args.images))
    for p in problems:
        print(f"  {p}")
    config = load(args.config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with Store(config.database) as store:
        ingest = Ingest(store)
        ingest.load()
        if body not in ingest.bodies:
            ingest.found(raws[0], origin="bulletin scan")
            raws = raws[1:]
        outcomes = ingest.submit(body, raws, origin="bulletin scan")
    rejected = [o for o in outcomes if o.status is Status.REJECTED]
    print(
        f"scanned {len(raws)} messages of body {body.hex()[:16]}…: "
        f"{sum(o.status is Status.ACCEPTED for o in outcomes)} new, {len(rejected)} rejected"
    )
    for o in rejected:
        print(f"  rejected {o.code}: {o.reason}")
    return 0 if not rejected and not problems else 1
