"""A peer's handshake frames, however hostile, close the link with a
``handshake`` code and a bye: found by scripts/fuzz (issue 16.1), a hello
whose node_key was a map raised TypeError (unhashable) out of the node key
lookup. The handshake is the gossip link state machine's
(node.gossip_link), checked here without a socket."""

from __future__ import annotations

import pytest

from node.gossip_link import Closed, GossipLink
from protocol import canonical
from protocol.keys import public_key
from tests.node.test_gossip_link import SEED_A, SEED_B


@pytest.mark.parametrize("node_key", [{0: 1}, {"k": b""}, (b"\x01" * 32,), None, 7, "ck1"])
@pytest.mark.parametrize("expect", [None, public_key(SEED_B)])
def test_a_hello_whose_node_key_is_not_bin_is_refused_with_a_handshake_error(
    node_key: object, expect: bytes | None
) -> None:
    machine = GossipLink(
        SEED_A,
        b"a" * 32,
        now=0.0,
        rate=100.0,
        expect=expect,
        known=lambda key: {key: True}[key],  # unhashable keys must not get this far
    )
    machine.frames_to_send()  # the hello
    machine.receive_frame(canonical.encode(("hello", node_key, bytes(32))), 0.0)
    (closed,) = [e for e in machine.events() if isinstance(e, Closed)]
    assert closed.code == "handshake" and "bin" in closed.reason
    (bye,) = machine.frames_to_send()
    assert canonical.decode(bye)[:2] == ("bye", "handshake")
