"""The hostile-peer suite (issue 16.6) at small sizes, against one real node.

One honest node (``caracol run`` in a subprocess, benchmarks/_hostile_node.py's
``HonestNode``) takes every attack of ``caracol bench hostile`` in turn, in
this file's order, through the bench's own measure functions: what the
bench reports is what these tests check. Each attack runs while an honest
member posts; afterwards the node answers, every honest message is there
and, where the input was all rejected, the body's state hash has not moved.

The node starts with a soft open-files limit of 128 (the hard limit above
it), a low ``peer_rate`` and quota so the bounds show at these sizes, and
a 3 s header and a 1.5 s body timeout. Nothing here asserts a time: waits are
bounded by generous limits inside the measure functions.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks._hostile_gossip import (
    measure_equivocation,
    measure_flood,
    measure_forged,
    measure_orphans,
    measure_want,
)
from benchmarks._hostile_http import (
    measure_connections,
    measure_kill,
    measure_slowloris,
    measure_subscribers,
)
from benchmarks._hostile_node import (
    BODY,
    GENESIS,
    ORPHAN_CAP,
    PROPOSAL,
    HonestNode,
    forgeries,
    orphans,
)
from benchmarks._hostile_recon import measure_recon
from crdt.reconcile import MAX_TURNS
from node.gossip import WANT_BYTES
from node.ingest import Ingest
from node.store import Store

QUOTA = 3000
"""The body's quota for unknown keys here: above the orphans' share (2,000), below the flood."""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HonestNode]:
    root = tmp_path_factory.mktemp("hostile")
    limits = {
        "header_timeout": 3.0,  # above the time 400 sockets take to open on a busy machine
        "body_timeout": 1.5,
        "peer_rate": 1000.0,
        "stranger_messages": QUOTA,
    }
    with HonestNode(root, chain_length=100, nofile=128, limits=limits) as n:
        yield n
    assert n.unhandled() == 0, n.errors_text()[-3000:]


def run(
    node: HonestNode,
    measure: Callable[..., Coroutine[Any, Any, None]],
    **sizes: Any,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    asyncio.run(measure(node, rows, **sizes))
    (row,) = rows
    assert row["node_alive"], row
    assert row["honest_kept"], row
    assert row["five_xx"] == 0 and row.get("honest_five_xx", 0) == 0, row
    return row


def test_forged_signatures_are_rejected_and_never_stored(node: HonestNode) -> None:
    row = run(node, measure_forged, n=40)
    assert row["forged_stored"] == 0, row
    assert row["rejected"] == 40, row  # 20 by HTTP, 20 in gossip frames
    assert row["http_422"] == 1, row  # one batch, every message in it rejected
    assert row["links_closed"] == 4, row  # five strikes close a link: 20 / 5
    assert row["state_kept"], row
    assert row["honest_acknowledged"] >= 1, row  # the member was served meanwhile


def test_an_equivocation_is_kept_as_evidence_and_counts_for_nothing(
    node: HonestNode,
) -> None:
    row = run(node, measure_equivocation)
    assert row["first_answer"] == "accepted", row
    assert row["equivocations"] == 1 and row["both_kept"], row
    assert row["equivocations_applied"] == 0, row
    assert row["equivocations_ignored"] == 2, row  # both, with the reason
    assert row["control_applied"], row  # another member's comment counts


def test_a_duplicate_id_want_is_not_amplified(node: HonestNode) -> None:
    row = run(node, measure_want)
    assert row["want_answered_messages"] == 1, row
    assert row["amplification"] < 1, row
    assert row["distinct_answered_messages"] == 100, row  # the whole chain, under the cap
    assert row["distinct_answered_bytes"] <= WANT_BYTES, row
    assert row["state_kept"], row


def test_lying_reconciliation_ends_in_a_peer_error_and_is_charged(
    node: HonestNode,
) -> None:
    """A peer claiming to hold nothing gets the log each session, but at its
    rate: the node stops reading from it (before the fix it was sent the
    whole log as fast as the socket took it, and never throttled)."""
    row = run(node, measure_recon, sessions=20)
    assert row["empty_messages_sent"] >= 20 * 100, row
    assert row["throttled_seconds"] > 0, row  # 20 logs of over 100 past a burst of 2,000
    assert row["phantom_needed"] == 100, row  # asked for, never delivered, nothing stored
    assert set(row["contradictions_closed"].values()) == {"reconcile"}, row
    assert row["liar_bye"] == "reconcile" and row["liar_turns"] <= MAX_TURNS, row
    assert row["state_kept"], row


def test_withheld_parents_fill_only_the_peers_share(node: HonestNode) -> None:
    row = run(node, measure_orphans, n=2500)
    assert row["orphans_kept"] == ORPHAN_CAP, row
    assert row["evicted"] >= 500 and row["orphans_stored"] == 0, row
    assert row["honest_child_released"], row
    assert row["state_kept"], row  # nothing but the honest parent and child was added


def test_a_flood_of_strangers_meets_the_rate_limits_and_the_quota(
    node: HonestNode,
) -> None:
    row = run(node, measure_flood, http_n=100, gossip_n=1500, size=500)
    assert row["http_429"] > 0 and row["http_stored"] <= 62, row  # 60 at once per address
    assert row["gossip_refused_quota"] > 0, row
    assert row["stranger_messages"] <= QUOTA, row
    assert row["link_closed"] is None, row  # a quota refusal is no strike
    assert row["peak_rss_flood_mb"] < 400, row  # generous: bounded, not measured


def test_slow_loris_is_cut_off_and_the_node_keeps_answering(node: HonestNode) -> None:
    """Before limits.header_timeout a request head sent a byte a second held
    its socket for an hour (aiohttp's keep-alive default), and a body sent
    so held its handler for ever."""
    row = run(node, measure_slowloris, sockets=40, seconds=6.0)
    assert row["connect_failed"] == 0, row
    assert row["health_unanswered"] == 0, row
    assert row["still_open"] == 0, row  # every one answered 408 or closed
    assert row["answers"].get("HTTP/1.1 408 Request Timeout") == 20, row
    assert row["state_kept"], row


def test_many_connections_at_once_are_all_answered(node: HonestNode) -> None:
    """400 sockets against a node started with a soft limit of 128 open
    files: ``caracol run`` raises it (before, most were refused)."""
    row = run(node, measure_connections, n=400)
    assert row["connections_failed"] == 0, row
    assert sum(row["statuses"].values()) == 400 and set(row["statuses"]) == {"200"}, row
    assert row["health_after_ms"] is not None, row
    assert row["state_kept"], row


def test_vanished_subscribers_are_released(node: HonestNode) -> None:
    """WebSocket and SSE subscribers dropped with a TCP reset: on a quiet
    body the SSE ones stayed for ever before (nothing woke their handler),
    and writing to one that had vanished logged a traceback."""
    row = run(node, measure_subscribers, ws=30, sse=30)
    assert row["subscribed"] == 60 and row["subscribers_peak"] == 60, row
    assert row["quiet_left"] == 0, row
    assert row["subscribers_left"] == 0, row
    assert node.unhandled() == 0, node.errors_text()[-3000:]
    assert row["state_kept"], row


def test_a_killed_node_loses_nothing_it_acknowledged(node: HonestNode) -> None:
    row = run(node, measure_kill)
    assert row["lost"] == 0, row
    assert row["acknowledged"] > 2 + 100, row  # beyond the genesis, proposal and chain
    assert row["pending_after"] == row["pending_before"], row
    assert row["stranger_messages_after"] == row["stranger_messages_before"], row


def _commits(store: Store) -> Callable[[], int]:
    """Count what the store commits: every COMMIT, and every write outside a
    transaction (each its own commit, and fsync)."""
    counts = {"commits": 0, "inside": 0}

    def trace(statement: str) -> None:
        word = statement.lstrip().split(None, 1)[0].upper()
        if word == "BEGIN":
            counts["inside"] = 1
        elif word in ("COMMIT", "ROLLBACK"):
            counts["inside"] = 0
            counts["commits"] += word == "COMMIT"
        elif word in ("INSERT", "DELETE", "UPDATE") and not counts["inside"]:
            counts["commits"] += 1

    db: sqlite3.Connection = store._db
    db.set_trace_callback(trace)
    return lambda: counts["commits"]


def test_a_batch_of_orphans_and_forgeries_costs_one_commit(tmp_path: Path) -> None:
    """Every pending message, eviction and refusal used to commit (and
    fsync) on its own: a peer's frame of 1,000 orphans held the one store
    thread, which every member waits on, for seconds."""
    with Store(tmp_path / "db") as store:
        ingest = Ingest(store)
        ingest.found(GENESIS.raw, origin="test")
        ingest.submit(BODY, [PROPOSAL.raw], origin="test")
        commits = _commits(store)
        sent = orphans(2300)
        ingest.submit(BODY, [o.raw for o in sent[:2000]], origin="peer m")
        assert commits() == 1
        # past the peer's share: 300 evictions, and 50 forgeries refused
        ingest.submit(
            BODY,
            [o.raw for o in sent[2000:]] + forgeries(50),
            origin="peer m",
        )
        assert commits() == 2
        assert len(store.pending(BODY)) == ORPHAN_CAP
