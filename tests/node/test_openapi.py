"""node/openapi.json describes every route the node serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from node.api import MemberApi
from node.gossip import Gossip

DOC = json.loads((Path(__file__).resolve().parents[2] / "node" / "openapi.json").read_text())


def test_every_route_is_documented() -> None:
    api = MemberApi.__new__(MemberApi)
    api.ingest = None  # type: ignore[assignment]
    api.run_store = None  # type: ignore[assignment]
    routes = {(r.method, re.sub(r"\{(\w+)\}", r"{\1}", r.path)) for r in api.routes()}
    gossip = Gossip.__new__(Gossip)
    routes |= {(r.method, r.path) for r in gossip.routes()}
    for method, path in routes:
        assert path in DOC["paths"], f"{method} {path} is not in node/openapi.json"
        assert method.lower() in DOC["paths"][path], f"{method} {path} is not in node/openapi.json"
