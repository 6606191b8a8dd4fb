"""Bounded work per peer (issue 16.4), against a real node on 127.0.0.1.

A hostile peer ("m", a real node whose link we drive by hand) tries two
cheap attacks on node "a":

* **want amplification**: one ``want`` frame of 4,096 ids, all the same or
  all different, asks for far more bytes than it costs. Each distinct id is
  answered once and one want is answered with at most ``WANT_BYTES``;
  answered messages count against the peer's rate.
* **orphans**: signed messages whose parents never arrive wait in the
  pending area. A peer's share of it is bounded (``max_pending_per_source``);
  past it its oldest orphans are evicted, from memory and from disk, and
  ``/metrics`` counts them; what other sources left pending is untouched.

``measure_*`` return the figures the report quotes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import aiohttp

from node import gossip as gossip_module
from node.ingest import Ingest, Status
from node.runtime import NodeRuntime
from node.store import Store
from protocol import envelope, kinds
from tests.node.test_gossip import (
    BODY,
    GENESIS,
    MEMBERS,
    PROPOSAL,
    has,
    node,
    peer,
    submit,
    until,
)


def link(a: NodeRuntime, m: NodeRuntime) -> None:
    """One link only, dialled by m: a pins m's key but does not dial it (two
    links would race, and the one the test drives might be closed)."""
    assert a.gossip and m.gossip
    a.gossip.pinned[m.node_key] = peer(m)
    m.gossip.add_peer(peer(a))


def _comments(n: int, size: int = 1900) -> list[envelope.Envelope]:
    out, parent = [], PROPOSAL.id
    for i in range(n):
        e = envelope.sign(
            MEMBERS[2],
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, f"{i:06d}" + "x" * size),
            parents=[parent],
            seq=i + 1,
            time=1000 + i,
        )
        out.append(e)
        parent = e.id
    return out


async def _received(m: NodeRuntime, before: int, settle: float = 0.5) -> int:
    """Messages m's link received after ``before``, once the flow settles."""
    assert m.gossip
    (lnk,) = m.gossip.links.values()
    last = -1
    while lnk.stats.received != last:
        last = lnk.stats.received
        await asyncio.sleep(settle)
    return lnk.stats.received - before


async def measure_want(tmp: Path) -> dict[str, Any]:
    chain = _comments(700)
    size = sum(len(e.raw) for e in chain) // len(chain)
    async with node(tmp, "a") as a, node(tmp, "m") as m:
        await submit(a, PROPOSAL)
        for i in range(0, len(chain), 100):
            await submit(a, *chain[i : i + 100])
        link(a, m)
        await until(lambda: has(m, PROPOSAL, *chain), timeout=30)
        assert m.gossip and a.gossip
        await until(lambda: bool(m.gossip.links) and bool(a.gossip.links))  # type: ignore[union-attr]
        (lnk,) = m.gossip.links.values()
        await _received(m, 0)  # the first sync has settled
        figures: dict[str, Any] = {"message_bytes": size}
        # one id, 4,096 times
        frame = envelope.message_id(chain[0].raw)
        asked = len(gossip_module.canonical.encode(("want", BODY, (frame,) * 4096)))
        await lnk.send("want", BODY, (frame,) * 4096)
        got = await _received(m, lnk.stats.received)
        figures["duplicate_want"] = {"asked_bytes": asked, "messages": got, "bytes": got * size}
        # 700 distinct ids (about 1.4 MB of messages)
        ids = tuple(e.id for e in chain)
        asked = len(gossip_module.canonical.encode(("want", BODY, ids)))
        await lnk.send("want", BODY, ids)
        got = await _received(m, lnk.stats.received)
        figures["distinct_want"] = {"asked_bytes": asked, "messages": got, "bytes": got * size}
        (a_link,) = a.gossip.links.values()
        figures["answered"] = getattr(a_link, "wants_answered", None)
        return figures


def test_a_want_is_answered_once_per_id_and_within_its_byte_budget(tmp_path: Path) -> None:
    f = asyncio.run(measure_want(tmp_path))
    dup, distinct = f["duplicate_want"], f["distinct_want"]
    assert dup["messages"] == 1, f  # 4,096 copies of one id: one message
    assert dup["bytes"] < dup["asked_bytes"], f  # no amplification at all
    budget = gossip_module.WANT_BYTES
    assert distinct["bytes"] <= budget, f  # 1.4 MB asked for, 1 MiB answered
    assert distinct["messages"] == budget // f["message_bytes"] or distinct["bytes"] > budget * 0.9
    assert f["answered"] == dup["messages"] + distinct["messages"], f


async def _repeat_wants(tmp: Path) -> None:
    """A peer repeating wants is charged for what it is sent: with a's rate at
    100 messages/s (burst 200), 5 wants of 100 messages are slowed."""
    chain = _comments(100, size=100)
    async with node(tmp, "a") as a, node(tmp, "m") as m:
        assert a.gossip and m.gossip
        a.gossip.config = dataclasses.replace(a.gossip.config, peer_rate=100.0)
        await submit(a, PROPOSAL, *chain)
        link(a, m)
        await until(lambda: has(m, *chain), timeout=30)
        await until(lambda: bool(m.gossip.links) and bool(a.gossip.links))  # type: ignore[union-attr]
        (lnk,) = m.gossip.links.values()
        (a_link,) = a.gossip.links.values()
        throttled = a_link.throttled
        for _ in range(5):
            await lnk.send("want", BODY, tuple(e.id for e in chain))
        await until(lambda: a_link.wants_answered >= 500, timeout=20)
        assert a_link.throttled - throttled >= 1.0, a_link.throttled


def test_repeated_wants_are_charged_to_the_peers_rate(tmp_path: Path) -> None:
    asyncio.run(_repeat_wants(tmp_path))


def _orphans(n: int) -> list[envelope.Envelope]:
    """Validly signed messages whose parents exist nowhere."""
    seed = hashlib.sha256(b"orphan maker").digest()
    return [
        envelope.sign(
            seed,
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, "o" * 100),
            parents=[os.urandom(32)],
            seq=i + 1,
            time=5000 + i,
        )
        for i in range(n)
    ]


async def _metric(rt: NodeRuntime, name: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{rt.url}/metrics") as r:
        text = await r.text()
    return sum(int(float(line.split()[-1])) for line in text.splitlines() if line.startswith(name))


async def measure_orphans(tmp: Path, n: int = 5000) -> dict[str, Any]:
    orphans = _orphans(n)
    async with node(tmp, "a") as a, node(tmp, "m") as m:
        assert a.ingest and a.store and m.gossip
        await submit(a, PROPOSAL)
        # an honest child, pending through the member API: its parent comes later
        parent, child = _comments(2, size=10)
        await submit(a, child)
        link(a, m)
        await until(lambda: bool(m.gossip.links))  # type: ignore[union-attr]
        (lnk,) = m.gossip.links.values()
        for i in range(0, n, 1000):
            await lnk.send("msgs", BODY, tuple(o.raw for o in orphans[i : i + 1000]))
        log = a.ingest.bodies[BODY].log
        store = a.store
        await until(
            lambda: a.ingest is not None and a.ingest.counters[Status.PENDING] >= n,
            timeout=30,
        )
        stats = await a.run_store(log.statistics)
        on_disk = await a.run_store(lambda: len(store.pending(BODY)))
        figures = {
            "orphans_sent": n,
            "pending": stats.pending,
            "pending_bytes": stats.pending_bytes,
            "on_disk": on_disk,
            "evicted_metric": await _metric(a, "caracol_pending_evicted_total"),
            "pending_metric": await _metric(a, "caracol_pending_messages{"),
            "by_peer_metric": await _metric(a, 'caracol_pending_by_peer{body="'),
        }
        await submit(a, parent)  # the honest child is still there to be released
        figures["honest_child_released"] = has(a, parent, child)
        return figures


def test_orphans_are_bounded_per_peer_evicted_and_counted(tmp_path: Path) -> None:
    f = asyncio.run(measure_orphans(tmp_path))
    cap = 2000  # crdt.log.Log's max_pending_per_source
    assert f["pending"] == cap + 1, f  # the peer's share, and the honest child
    assert f["on_disk"] == cap + 1, f  # forgotten on disk too: a restart reloads no more
    assert f["evicted_metric"] == f["orphans_sent"] - cap, f
    assert f["pending_metric"] == cap + 1 and f["by_peer_metric"] == cap, f
    assert f["honest_child_released"], f


def test_a_restart_keeps_each_orphans_peer(tmp_path: Path) -> None:
    """Orphans reloaded from the store are counted under the peer that sent
    them again, so the per-peer bound holds across a restart."""
    orphans = _orphans(30)
    with Store(tmp_path / "db") as store:
        ingest = Ingest(store)
        ingest.found(GENESIS.raw, origin="test")
        ingest.submit(BODY, [o.raw for o in orphans[:20]], origin="peer m")
        ingest.submit(BODY, [o.raw for o in orphans[20:]], origin="api")
        before = ingest.body(BODY).log.pending_by_source()
    with Store(tmp_path / "db") as store:
        ingest = Ingest(store)
        ingest.load()
        log = ingest.body(BODY).log
        assert before == {"peer m": 20}
        assert log.pending_by_source() == before
        assert log.statistics().pending == 30
