"""Radio links: bytes and time on air per message kind and link, a vote's
and an attestation's frame counts, a Community Verdict reaching the
Municipality over simulated LoRa, and 1,000 missed messages synchronised
within the duty cycle (simulated radio seconds, trio MockClock).
"""

from __future__ import annotations

import argparse
from typing import Any

import trio
import trio.testing

from benchmarks.encoding import sample_messages
from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from mesh import frames
from mesh.airtime import MESHTASTIC
from mesh.dutycycle import Budget, Priority, sub_band
from mesh.lora_federation import run as lora_federation
from mesh.radio_link import RadioLink
from mesh.simchannel import SimChannel
from protocol import envelope, kinds
from protocol.envelope import Envelope
from protocol.kinds import Outcome
from protocol.verdict import CommunityVerdict, attest

LONG_FAST = MESHTASTIC["LONG_FAST"]
LINKS = {"meshtastic": 233, "reticulum": 383, "kiss": 256}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sync", type=int, default=1000, help="missed messages to synchronise")
    parser.add_argument(
        "--mhz", type=float, default=868.1, help="EU868 frequency (868.1: a 1 %% sub-band)"
    )


def _roster(genesis: Envelope) -> list[bytes]:
    assert isinstance(genesis.payload, kinds.Genesis)
    return sorted(genesis.payload.founders)


def _context(genesis: Envelope, log: Log) -> frames.Context:
    return frames.Context(
        genesis.body, _roster(genesis), lambda p: [m for m in log.ids() if m.startswith(p)]
    )


def _airtime(link: str, nbytes: int) -> float:
    if link == "kiss":
        return nbytes * 8 * 1.1 / 1200
    return LONG_FAST.airtime(nbytes)  # Meshtastic and an RNode on LongFast settings


def per_kind() -> list[dict[str, Any]]:
    msgs = sample_messages()
    g = msgs["genesis"]
    log = Log(g.body)
    log.add(g)
    log.add(msgs["proposal"])
    ctx = frames.Context(g.body, _roster(g), lambda p: [m for m in log.ids() if m.startswith(p)])
    rows = []
    for name, env in msgs.items():
        full = frames.encode_msg(ctx.ctx, env.raw)
        short = frames.encode_msg(ctx.ctx, frames.abbreviate(env.raw, ctx), abbreviated=True)
        row: dict[str, Any] = {
            "kind": name,
            "message": len(env.raw),
            "frame_full": len(full),
            "frame_abbrev": len(short),
        }
        for link, mtu in LINKS.items():
            pieces = frames.fragment(short, mtu)
            row[f"{link}_frames"] = len(pieces)
            row[f"{link}_airtime_s"] = round(sum(_airtime(link, len(p)) for p in pieces), 3)
        rows.append(row)
    return rows


def attestation_frames() -> tuple[int, int]:
    seeds = [seed_for(f"bench mesh {i}") for i in range(5)]
    v = CommunityVerdict(
        bytes(32), bytes(32), bytes(32), bytes(32), bytes(32), Outcome.PASSED, 140, 6, 2, 150
    )
    data = frames.encode(
        frames.Object(bytes(4), frames.ObjectKind.ATTESTATION, attest(v, seeds).encode())
    )
    return len(frames.fragment(data, LINKS["meshtastic"])), len(data)


async def sync_missed(n: int, mhz: float) -> tuple[float, float, float]:
    """n votes one node has and another lacks, over LoRa within the duty cycle."""
    seeds = [seed_for(f"sync{i}") for i in range(150)]
    g = make_genesis(seeds)
    p = envelope.sign(
        seeds[0], g.body, kinds.Proposal("P", "x", "", None, None), parents=[g.id], seq=2, time=1
    )
    votes: list[Envelope] = [
        envelope.sign(
            seeds[i % 150],
            g.body,
            kinds.Vote(p.id, kinds.Choice.FOR),
            parents=[p.id],
            seq=1 + i // 150 + (1 if i % 150 == 0 else 0),
            time=2,
        )
        for i in range(n)
    ]
    have = Log(g.body)
    lack = Log(g.body)
    for log in (have, lack):
        log.add(g)
        log.add(p)
    channel = SimChannel(LONG_FAST, seed=1)
    band = sub_band("EU868", mhz)
    a = RadioLink(channel.radio("a"), Budget(band), clock=trio.current_time)
    b = RadioLink(channel.radio("b"), Budget(band), clock=trio.current_time)
    channel.connect("a", "b")
    for link, log in ((a, have), (b, lack)):
        link.add_context(_context(g, log))

    def deliver(env: Envelope) -> None:
        lack.add(env)

    b.on_message = deliver
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for link in (a, b):
            nursery.start_soon(link.pump)
            nursery.start_soon(link.listen)
        for v in votes:
            a.send_message(v, Priority.BULK)
        while len(lack) < n + 2:
            await trio.sleep(5)
        nursery.cancel_scope.cancel()
    return trio.current_time() - start, a.budget.peak_s, a.budget.allowance_s


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rows = per_kind()
    vote_row = next(r for r in rows if r["kind"] == "vote")
    att_frames, att_bytes = attestation_frames()
    result: dict[str, Any] = {}

    async def radio() -> None:
        fed = await lora_federation(params=LONG_FAST, mhz=args.mhz, loss=0.1, seed=1)
        result["fed"] = fed
        result["sync"] = await sync_missed(args.sync, args.mhz)
        result["sync_g3"] = await sync_missed(args.sync, 869.525)

    trio.run(radio, clock=trio.testing.MockClock(autojump_threshold=0))
    fed = result["fed"]
    sync_s, sync_peak, allowance = result["sync"]
    exceeded = (
        any(u > fed.allowance_s + 1e-9 for u in fed.budget_used.values())
        or sync_peak > allowance + 1e-9
    )
    return {
        "vote_frames": vote_row["meshtastic_frames"],
        "vote_frame_bytes": vote_row["frame_abbrev"],
        "attestation_frames": att_frames,
        "attestation_frame_bytes": att_bytes,
        "duty_cycle_exceeded": exceeded,
        "verdict_to_municipality_s": round(fed.provisional_s, 1),
        "verdict_confirmed_by_proof_s": round(fed.confirmed_s, 1),
        "sync_messages": args.sync,
        "sync_1000_s": round(sync_s, 1),
        "sync_hours": round(sync_s / 3600, 2),
        "sync_1000_s_10pct_band": round(result["sync_g3"][0], 1),
        "duty_allowance_s_per_hour": round(allowance, 1),
        "region": f"EU868 {args.mhz} MHz, SF11/BW250 (LongFast)",
        "per_kind": rows,
    }
