"""Lying reconciliation sessions against the honest node (``caracol bench
hostile``): sessions claiming to hold nothing (the node sends its log,
charged to the peer's rate), claiming ids that exist nowhere (the node asks
for them and gets nothing), contradictory ranges and a NEED for ids never
offered (the session ends with a peer error and the link closes), and a
peer answering every range with a random fingerprint (ended at 64 turns).
``recon_amplification`` is the bytes the node sent over the bytes the peer
sent in those sessions.

One of the modules of benchmarks/hostile.py (issue 18.6), named with a
leading underscore so that benchmarks.runner takes it for no topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import aiohttp

from benchmarks._hostile_gossip import HostilePeer
from benchmarks._hostile_harness import Tally, attack, metric, metrics, state
from benchmarks._hostile_node import BODY, HonestNode
from protocol import canonical


def _ranges(frame: bytes) -> tuple[int, Any, tuple[Any, ...], bool]:
    _, ftype, lower, body, last = canonical.decode(frame)
    return ftype, lower, body, last


async def _session_end(peer: HostilePeer, timeout: float = 30.0) -> list[bytes]:
    """The node's frames up to the end of its turn (its ``last`` frame)."""
    frames: list[bytes] = []
    while True:
        get = asyncio.ensure_future(peer.recon.get())
        closed = asyncio.ensure_future(peer.closed.wait())
        done, _ = await asyncio.wait(
            {get, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        closed.cancel()
        if get not in done:
            get.cancel()
            return frames
        frames.append(get.result())
        if _ranges(frames[-1])[3]:
            return frames


async def measure_recon(
    node: HonestNode, rows: list[dict[str, Any]], *, sessions: int = 20
) -> None:
    """Lying reconciliation: see the module docstring."""
    tally = Tally()
    async with attack(node, "lying reconciliation", rows, rejected_input=True) as row:
        throttled0 = await _throttled_seconds(node)
        held = set(await state(node))
        empty = await _claim_nothing(node, held, sessions)
        throttled = await _throttled_seconds(node)
        phantom = await _claim_phantoms(node, held)
        closed, contradictions = await _contradict(node)
        liar = await _answer_at_random(node)
        parts = (empty, phantom, contradictions, liar)
        inn = sum(p["in"] for p in parts)
        out = sum(p["out"] for p in parts)
        row.update(
            requests=sessions + 2 + len(closed),
            rejected=sum(v == "reconcile" for v in closed.values())
            + (liar["bye"] is not None and liar["bye"][0] == "reconcile"),
            five_xx=tally.five_xx,
            empty_sessions=sessions,
            empty_messages_sent=empty["messages"],
            empty_amplification=round(empty["in"] / max(1, empty["out"]), 1),
            empty_messages_per_s=round(empty["messages"] / empty["seconds"]),
            peer_rate=node.config.peer_rate,
            throttled_seconds=round(throttled - throttled0, 2),
            phantom_needed=phantom["needed"],
            contradictions_closed=closed,
            liar_turns=liar["turns"],
            liar_bye=liar["bye"][0] if liar["bye"] else None,
            liar_bytes_in=liar["in"],
            liar_bytes_out=liar["out"],
            recon_bytes_in=inn,
            recon_bytes_out=out,
            recon_amplification=round(inn / max(1, out), 1),
        )


async def _throttled_seconds(node: HonestNode) -> float:
    """Seconds the node has stopped reading from peers over their rate."""
    async with aiohttp.ClientSession() as http:
        return metric(await metrics(http, node), "caracol_peer_throttled_seconds_total")


async def _claim_nothing(node: HonestNode, held: set[bytes], sessions: int) -> dict[str, Any]:
    """1. "I hold nothing", again and again: the node sends its log each
    time. The bytes each way, the held messages sent, and the seconds."""
    nothing = canonical.encode((0, 1, b"", ((None, 2, ()),), True))
    t = time.perf_counter()
    async with HostilePeer(node) as peer:
        for _ in range(sessions):
            await peer.send("recon", BODY, nothing)
            await _session_end(peer)
        await peer.settle(lambda: peer.received(0, held)[0])
        messages = peer.received(0, held)[0]
        sent = {"in": peer.bytes_in, "out": peer.bytes_out}
    return {**sent, "messages": messages, "seconds": time.perf_counter() - t}


async def _claim_phantoms(node: HonestNode, held: set[bytes]) -> dict[str, int]:
    """2. Ids that exist nowhere: the node asks for them (``needed``), nothing comes."""
    phantom = tuple(sorted(os.urandom(32) for _ in range(100)))
    async with HostilePeer(node) as peer:
        await peer.send("recon", BODY, canonical.encode((0, 1, b"", ((None, 2, phantom),), True)))
        frames = await _session_end(peer)
        await peer.settle(lambda: peer.received(0, held)[0])
        needed = sum(len(_ranges(f)[2]) for f in frames if _ranges(f)[0] == 2)
        return {"needed": needed, "in": peer.bytes_in, "out": peer.bytes_out}


def _lies() -> dict[str, list[tuple[Any, ...]]]:
    """Contradictory sessions, by name, as the frames the peer sends."""
    fp = bytes(16)
    return {
        "descending ranges": [(0, 1, b"", ((b"\x80", 1, fp), (b"\x40", 1, fp)), True)],
        "need never offered": [
            (0, 2, None, (os.urandom(32),), False),
            (0, 1, b"", ((None, 0, None),), True),
        ],
        "gap between frames": [
            (0, 1, b"", ((b"\x40", 1, fp),), False),
            (0, 1, b"\x80", ((None, 1, fp),), True),
        ],
        "id outside its range": [(0, 1, b"\x80", ((None, 2, (bytes(32),)),), True)],
    }


async def _contradict(node: HonestNode) -> tuple[dict[str, str | None], dict[str, int]]:
    """3. Contradictions: each session ends with a peer error and the link
    closes. The reason each link was closed with (by lie), and the bytes."""
    closed: dict[str, str | None] = {}
    sent = {"in": 0, "out": 0}
    for name, frames_out in _lies().items():
        async with HostilePeer(node) as peer:
            for f in frames_out:
                await peer.send("recon", BODY, canonical.encode(f))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(peer.closed.wait(), 20)
            closed[name] = peer.bye[0] if peer.bye else None
            sent["in"] += peer.bytes_in
            sent["out"] += peer.bytes_out
    return closed, sent


async def _answer_at_random(node: HonestNode) -> dict[str, Any]:
    """4. Every range answered with a random fingerprint, turn after turn,
    until the node ends the session: the turns, its ``bye`` and the bytes."""
    turns = 0
    async with HostilePeer(node) as peer:
        await peer.send(
            "recon", BODY, canonical.encode((0, 1, b"", ((None, 1, os.urandom(16)),), True))
        )
        while turns < 200 and not peer.closed.is_set():
            frames = await _session_end(peer, timeout=20)
            ranges = [_ranges(f) for f in frames if _ranges(f)[0] == 1]
            if not ranges or not any(r[2] for r in ranges):
                break
            turns += 1
            for k, (_, lower, body, _) in enumerate(ranges):
                lie = tuple((r[0], 1, os.urandom(16)) for r in body)
                await peer.send(
                    "recon", BODY, canonical.encode((0, 1, lower, lie, k == len(ranges) - 1))
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(peer.closed.wait(), 20)
        return {"turns": turns, "bye": peer.bye, "in": peer.bytes_in, "out": peer.bytes_out}
