"""Harness operations on the node-to-node protocol (spec/node.md): one side
of a gossip link, as node.gossip_link's state machine plays it."""

from __future__ import annotations

from typing import Any

from node.gossip_link import Authenticated, Closed, GossipLink, Messages, Snapshot, Wanted

from .errors import BadRequest
from .requests import hex_field, hex_list


def op_link_replay(request: dict[str, Any]) -> dict[str, Any]:
    """Play the local side of a link (``seed``, ``nonce``; ``expect``: the
    key a dialled peer must present, or null when accepting, then ``known``
    are the keys that may link) against the peer's ``frames``, in order:
    every frame the local side sent, the key it authenticated and the code
    it closed with. This side holds no body: what the peer sends for one is
    taken with no effect (a reconciliation declined, messages judged
    nothing, wants answered with nothing)."""
    seed = hex_field(request, "seed", size=32)
    nonce = hex_field(request, "nonce", size=32)
    expect = hex_field(request, "expect", size=32, optional=True)
    known = request.get("known", [])
    if not isinstance(known, list):
        raise BadRequest("known must be a list of hex strings")
    keys = set(hex_list(request, "known")) if known else set()
    link = GossipLink(seed, nonce, now=0.0, rate=1e9, expect=expect, known=keys.__contains__)
    sent = link.frames_to_send()
    authenticated: bytes | None = None
    closed: str | None = None
    for frame in hex_list(request, "frames"):
        if link.closed:
            break
        link.receive_frame(frame, 0.0)
        for event in link.events():
            if isinstance(event, Authenticated):
                authenticated = event.peer_key
            elif isinstance(event, Closed):
                closed = event.code
            elif isinstance(event, Snapshot):
                link.decline(event.body)
            elif isinstance(event, Messages):
                link.judged(event.body, [])
            elif isinstance(event, Wanted):
                link.send_held(event, [], 0.0)
        sent += link.frames_to_send()
    return {
        "ok": True,
        "sent": [f.hex() for f in sent],
        "authenticated": None if authenticated is None else authenticated.hex(),
        "closed": closed,
    }
