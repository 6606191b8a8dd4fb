"""Generate spec/vectors/node.json: one side of a node-to-node link
(spec/node.md, "Handshake", "Gossip frames", "Limits and hostile peers")
and exactly what it must send and conclude.

Each case gives the local side's seed and nonce, the key it expects (a
dialled peer) or the keys it knows (accepting), and the peer's frames in
order; expected are the frames the local side sends (exact bytes: the
hello and the deterministic Ed25519 proof), the code of the ``bye`` it
sends last, if any (its reason is the implementation's), the peer key it
authenticated and the code it closed the link with. Deterministic, checked
byte for byte by tests/node/test_node_vectors.py. Run:

    .venv/bin/python spec/vectors/gen_node.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crdt.sim import make_genesis, seed_for
from node.gossip_link import MAX_BATCH, MAX_WANT_IDS, GossipLink
from protocol import canonical
from protocol.keys import public_key

OUT = Path(__file__).resolve().parent / "node.json"
LOCAL, PEER, OTHER = seed_for("node vector local"), seed_for("node vector peer"), seed_for("x")
NONCE_L, NONCE_P = bytes(range(32)), bytes(range(32, 64))
BODY = make_genesis([seed_for("node vector member")]).body


def _peer_frames(local_nonce: bytes = NONCE_L) -> tuple[bytes, bytes]:
    """The peer's hello and its proof over ``local_nonce``."""
    peer = GossipLink(PEER, NONCE_P, now=0.0, rate=1.0)
    (hello,) = peer.frames_to_send()
    local = GossipLink(LOCAL, local_nonce, now=0.0, rate=1.0)
    peer.receive_frame(local.frames_to_send()[0], 0.0)
    (proof,) = peer.frames_to_send()
    return hello, proof


def _play(expect: bytes | None, known: list[bytes], frames: list[bytes]) -> dict[str, Any]:
    from interop.ops_node import op_link_replay

    answer = op_link_replay(
        {
            "seed": LOCAL.hex(),
            "nonce": NONCE_L.hex(),
            "expect": None if expect is None else expect.hex(),
            "known": [k.hex() for k in known],
            "frames": [f.hex() for f in frames],
        }
    )
    sent = [bytes.fromhex(h) for h in answer["sent"]]
    bye = None
    if sent and canonical.decode(sent[-1])[0] == "bye":
        bye = canonical.decode(sent.pop())[1]
    return {
        "sent": [f.hex() for f in sent],
        "bye": bye,
        "authenticated": answer["authenticated"],
        "closed": answer["closed"],
    }


def case(
    tc: int, comment: str, frames: list[bytes], *, expect: bytes | None, known: list[bytes]
) -> dict[str, Any]:
    return {
        "tcId": tc,
        "comment": comment,
        "seed": LOCAL.hex(),
        "nonce": NONCE_L.hex(),
        "expect": None if expect is None else expect.hex(),
        "known": [k.hex() for k in known],
        "frames": [f.hex() for f in frames],
        **_play(expect, known, frames),
    }


def build() -> dict[str, Any]:
    hello, proof = _peer_frames()
    _, proof_elsewhere = _peer_frames(bytes(32))
    peer = public_key(PEER)
    dial = {"expect": peer, "known": []}
    accept = {"expect": None, "known": [peer]}
    e = canonical.encode
    handshakes = [
        case(1, "dialling: the pinned peer proves its key", [hello, proof], **dial),
        case(2, "accepting: a known peer proves its key", [hello, proof], **accept),
        case(
            3, "accepting: a key this node does not know is refused", [hello], expect=None, known=[]
        ),
        case(
            4,
            "dialling: the peer presents another key than the pinned one",
            [hello],
            expect=public_key(OTHER),
            known=[],
        ),
        case(
            5,
            "a proof over another nonce than the one this side chose",
            [hello, proof_elsewhere],
            **dial,
        ),
        case(6, "a hello whose key is not bin", [e(("hello", {0: 1}, NONCE_P))], **accept),
        case(
            7,
            "a peer presenting this node's own key",
            [e(("hello", public_key(LOCAL), NONCE_P))],
            expect=None,
            known=[public_key(LOCAL)],
        ),
        case(8, "a proof before any hello", [proof], **dial),
        case(9, "a handshake frame that is not canonical", [b"\xc1"], **dial),
    ]
    opened = [hello, proof]
    links = [
        case(20, "a frame that is not canonical closes the link", [*opened, b"\xc1"], **dial),
        case(21, "an unknown frame type", [*opened, e(("gossip", BODY, ()))], **dial),
        case(22, "a frame with the wrong number of fields", [*opened, e(("msgs", BODY))], **dial),
        case(23, "an id that is not 32 bytes", [*opened, e(("want", BODY, (bytes(31),)))], **dial),
        case(
            24,
            f"a want of more than {MAX_WANT_IDS} ids",
            [*opened, e(("want", BODY, (BODY,) * (MAX_WANT_IDS + 1)))],
            **dial,
        ),
        case(
            25,
            f"a batch of more than {MAX_BATCH} messages",
            [*opened, e(("msgs", BODY, (b"x",) * (MAX_BATCH + 1)))],
            **dial,
        ),
        case(
            26,
            "the peer says bye: closed, and no bye is sent back",
            [*opened, e(("bye", "shutdown", "node stopping"))],
            **dial,
        ),
        case(
            27,
            "reconciliation for a body this node does not hold is ignored",
            [*opened, e(("recon", BODY, e((0, 1, None, ((None, 0, None),), True))))],
            **dial,
        ),
        case(
            28,
            "a reconciliation frame that breaks its rules, for a body not held: ignored",
            [*opened, e(("recon", BODY, b"\xc1"))],
            **dial,
        ),
    ]
    return {
        "description": "One side of a node-to-node link (spec/node.md): frames sent, the "
        "key authenticated, the code closed with.",
        "handshakes": handshakes,
        "links": links,
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
