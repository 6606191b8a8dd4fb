"""Hostile peers and clients against a real honest node (issue 16.6).

One honest node runs as a subprocess (``caracol run`` on 127.0.0.1, a
temporary data folder) holding a small Community: its genesis, a proposal
and a chain of members' comments. A hostile peer (a key the node pins,
driving its link by hand) and hostile HTTP clients then try, in turn:

* **forged**: messages whose signature or signed content has one bit
  flipped, over ``POST …/messages`` and in gossip ``msgs`` frames. Every
  one is rejected, none is stored, the state hash does not move; five on
  one link close it (``misbehaving``).
* **equivocation**: one member signs two comments with one sequence
  number (one by HTTP, one by gossip). spec/dag.md: both are kept, the
  pair is evidence, and the fold ignores both (``equivocations_applied``
  counts those the fold took: 0).
* **orphans** (withheld parents): signed messages whose parents exist
  nowhere; the peer's share of the pending area is bounded (2,000) and
  the rest evicted (``orphans_kept``).
* **flood**: valid messages of keys the body does not know, over HTTP
  (the rate limits: 429) and over gossip (the storage quota:
  ``quota_exceeded``); ``peak_rss_flood_mb`` is the node's VmHWM after it.
* **want**: one ``want`` frame naming one id 4,096 times, then one naming
  every message. ``amplification`` is the bytes of messages the node sent
  in answer to the duplicate-id want divided by the bytes of that want
  frame (what the peer paid to ask); ``amplification_distinct`` the same
  for the want of distinct ids (capped by ``WANT_BYTES``).
* **lying reconciliation**: sessions claiming to hold nothing (the node
  sends its log, charged to the peer's rate), claiming ids that exist
  nowhere (the node asks for them and gets nothing), contradictory ranges
  and a NEED for ids never offered (the session ends with a peer error and
  the link closes), and a peer answering every range with a random
  fingerprint (ended at 64 turns). ``recon_amplification`` is the bytes the
  node sent over the bytes the peer sent in those sessions.
* **slow-loris**: many sockets sending a request head a byte a second, and
  bodies a byte a second; an honest ``GET /v0/node`` is answered meanwhile
  (``slowloris_health_ms``, the slowest) and the node closes them once
  ``limits.header_timeout`` / ``limits.body_timeout`` pass.
* **connections**: ``--connections`` sockets opened at once, then one
  request on each: ``connections_failed`` (refused, reset, no answer) and
  ``five_xx``.
* **subscribers**: WebSocket and SSE subscribers to ``…/events`` dropped
  with a TCP reset, no close; ``subscribers_left`` is what ``/metrics``
  still counts afterwards.
* **kill**: the node is SIGKILLed and restarted; every message the node
  acknowledged to the honest member during the run (one comment every
  0.2 s throughout, ``acknowledged``) is still there (``lost``).

The node starts with a soft open-files limit of ``--nofile`` (1,024, what
systemd gives a service) and the hard limit above it, as on a Raspberry Pi.
``escapes`` counts the outcomes that went wrong (listed in ``escaped``);
``five_xx`` every 5xx answer across the attacks. ``rows`` has one entry per
attack.

This module is the topic: its arguments, the attacks in turn and the
report. The rest is in modules named with a leading underscore (so that
benchmarks.runner takes none for a topic; issue 18.6): _hostile_node (the
Community and the honest node), _hostile_harness (HTTP helpers, the honest
member, one attack's row), _hostile_gossip (the hostile peer: forged,
equivocation, orphans, flood, want), _hostile_recon (lying reconciliation)
and _hostile_http (slow-loris, connections, subscribers, kill). Their
measure functions are the test suite's (tests/node/test_hostile_suite.py)
too.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks._hostile_gossip import (
    measure_equivocation,
    measure_flood,
    measure_forged,
    measure_orphans,
    measure_want,
)
from benchmarks._hostile_harness import healthy
from benchmarks._hostile_http import (
    measure_connections,
    measure_kill,
    measure_slowloris,
    measure_subscribers,
)
from benchmarks._hostile_node import ORPHAN_CAP, HonestNode, raise_nofile
from benchmarks._hostile_recon import measure_recon

# --- the report -----------------------------------------------------------------------------


def escapes(rows: list[dict[str, Any]], node: HonestNode) -> list[str]:
    """Every outcome that went wrong, named."""
    out = []
    by = {r["attack"]: r for r in rows}
    for r in rows:
        a = r["attack"]
        if "error" in r:
            out.append(f"{a}: the attack itself failed ({r['error']})")
        if r.get("five_xx") or r.get("honest_five_xx"):
            out.append(f"{a}: 5xx answers")
        if r.get("node_alive") is False:
            out.append(f"{a}: the node stopped answering")
        if r.get("honest_kept") is False:
            out.append(f"{a}: an honest message went missing")
        if r.get("state_kept") is False:
            out.append(f"{a}: rejected input changed the state")
    checks: list[tuple[str, Callable[[dict[str, Any]], bool], str]] = [
        ("forged", lambda r: r["forged_stored"] == 0, "a forged message was stored"),
        ("equivocation", lambda r: r["equivocations_applied"] == 0, "an equivocation counted"),
        ("equivocation", lambda r: r["both_kept"], "evidence of equivocation not kept"),
        ("orphans", lambda r: r["orphans_kept"] <= ORPHAN_CAP, "orphans over the peer's share"),
        ("orphans", lambda r: r["honest_child_released"], "an honest pending child was lost"),
        (
            "flood",
            lambda r: (
                r["stranger_messages"] <= r["quota_messages"]
                and r["stranger_bytes"] <= r["quota_bytes"]
            ),
            "strangers stored past the quota",
        ),
        ("want", lambda r: r["amplification"] < 1, "a duplicate-id want was amplified"),
        (
            "lying reconciliation",
            lambda r: (
                all(v == "reconcile" for v in r["contradictions_closed"].values())
                and r["liar_bye"] == "reconcile"
            ),
            "a lying reconciliation session was not ended",
        ),
        ("slow-loris", lambda r: r["health_unanswered"] == 0, "the honest client starved"),
        (
            "slow-loris",
            # only when the attack outlasted both timeouts
            lambda r: (
                r["still_open"] == 0
                or r["seconds"] <= max(r["header_timeout"] or 0, r["body_timeout"] or 0) + 1
            ),
            "slow-loris connections outlived the header and body timeouts",
        ),
        ("connections", lambda r: r["connections_failed"] == 0, "connections failed"),
        (
            "vanishing subscribers",
            lambda r: r["subscribers_left"] == 0 and r["quiet_left"] == 0,
            "vanished subscribers were kept",
        ),
        ("kill", lambda r: r["lost"] == 0, "an acknowledged message was lost"),
    ]
    for attack_name, ok, what in checks:
        if attack_name in by and "error" not in by[attack_name] and not ok(by[attack_name]):
            out.append(f"{attack_name}: {what}")
    if node.unhandled():
        out.append(f"the node logged {node.unhandled()} unhandled exceptions")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--connections", type=int, default=1000, help="concurrent connections")
    p.add_argument("--flood", type=int, default=6000, help="stranger messages over gossip")
    p.add_argument("--flood-http", type=int, default=300, help="stranger posts over HTTP")
    p.add_argument("--orphans", type=int, default=5000)
    p.add_argument("--forged", type=int, default=200)
    p.add_argument("--loris", type=int, default=300, help="slow-loris sockets")
    p.add_argument(
        "--loris-seconds", type=float, default=17.0, help="past limits.header_timeout (15 s)"
    )
    p.add_argument("--subscribers", type=int, default=400, help="WebSocket + SSE subscribers")
    p.add_argument("--recon-sessions", type=int, default=20)
    p.add_argument("--chain", type=int, default=700, help="members' comments the node holds")
    p.add_argument("--nofile", type=int, default=1024, help="the node's soft open-files limit")
    p.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        help="the node's limits.body_timeout (its default is 60 s; shortened so the run ends)",
    )


async def run_all(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    raise_nofile(args.connections + args.loris + args.subscribers + 1024)
    limits = {"body_timeout": args.body_timeout}
    node = HonestNode(root, chain_length=args.chain, nofile=args.nofile, limits=limits)
    rows: list[dict[str, Any]] = []
    t = time.perf_counter()
    half = args.subscribers // 2
    cases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("forged", lambda: measure_forged(node, rows, n=args.forged)),
        ("equivocation", lambda: measure_equivocation(node, rows)),
        ("orphans", lambda: measure_orphans(node, rows, n=args.orphans)),
        ("want", lambda: measure_want(node, rows)),
        ("lying reconciliation", lambda: measure_recon(node, rows, sessions=args.recon_sessions)),
        ("flood", lambda: measure_flood(node, rows, http_n=args.flood_http, gossip_n=args.flood)),
        (
            "slow-loris",
            lambda: measure_slowloris(node, rows, sockets=args.loris, seconds=args.loris_seconds),
        ),
        ("connections", lambda: measure_connections(node, rows, n=args.connections)),
        (
            "vanishing subscribers",
            lambda: measure_subscribers(node, rows, ws=half, sse=args.subscribers - half),
        ),
        ("kill", lambda: measure_kill(node, rows)),
    ]
    with node:
        start = node.memory()
        for name, case in cases:
            try:
                await case()
            except Exception as exc:  # the bench reports it; the tests let it raise
                rows.append({"attack": name, "error": f"{type(exc).__name__}: {exc}"})
        alive = node.alive() and await healthy(node) is not None
        escaped = escapes(rows, node)
        unhandled = node.unhandled()
    by = {r["attack"]: r for r in rows}

    def pick(name: str, key: str) -> Any:
        return by.get(name, {}).get(key)

    return {
        "cases": len(rows),
        "escapes": len(escaped),
        "escaped": escaped,
        "kills": node.kills,
        "acknowledged": pick("kill", "acknowledged"),
        "lost": pick("kill", "lost"),
        "five_xx": sum(r["five_xx"] + r.get("honest_five_xx", 0) for r in rows),
        "amplification": pick("want", "amplification"),
        "amplification_distinct": pick("want", "amplification_distinct"),
        "recon_amplification": pick("lying reconciliation", "recon_amplification"),
        "peak_rss_flood_mb": pick("flood", "peak_rss_flood_mb"),
        "peak_rss_mb": round(node.peak_hwm_kb / 1024, 1),
        "rss_start_mb": round(start["rss_mb"], 1),
        "forged_stored": pick("forged", "forged_stored"),
        "equivocations_applied": pick("equivocation", "equivocations_applied"),
        "orphans_kept": pick("orphans", "orphans_kept"),
        "slowloris_health_ms": pick("slow-loris", "slowloris_health_ms"),
        "connections": pick("connections", "connections"),
        "connections_failed": pick("connections", "connections_failed"),
        "subscribers_left": pick("vanishing subscribers", "subscribers_left"),
        "node_alive": alive,
        "unhandled_exceptions": unhandled,
        "node_nofile_soft": args.nofile,
        "seconds": round(time.perf_counter() - t, 1),
        "rows": [
            {k: r.get(k) for k in ("attack", "requests", "rejected", "five_xx", "seconds")}
            for r in rows
        ],
        "details": {r["attack"]: r for r in rows},
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caracol-hostile-") as tmp:
        return asyncio.run(run_all(args, Path(tmp)))
