"""The JSON form of a log (spec/dag.md) that vectors/dag.json records and
the harness's ``dag_replay`` answers (spec/harness.md)."""

from __future__ import annotations

from typing import Any

from crdt.log import Log


def log_json(log: Log) -> dict[str, Any]:
    """Replay order, depths, heads, missing parents, pending messages,
    equivocation evidence and the state hash."""
    order = log.order()
    return {
        "order": [i.hex() for i in order],
        "depths": {i.hex(): log.depth(i) for i in order},
        "heads": [h.hex() for h in log.heads()],
        "missing": sorted(x.hex() for x in log.missing()),
        "pending": sorted(x.hex() for x in log.pending_ids()),
        "equivocations": [
            {
                "author": e.author.hex(),
                "seq": e.seq,
                "first": e.first.hex(),
                "second": e.second.hex(),
            }
            for e in log.equivocations()
        ],
        "state_hash": log.state_hash().hex(),
    }
