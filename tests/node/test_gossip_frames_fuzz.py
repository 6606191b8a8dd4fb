"""Any gossip frame a peer sends ends, at worst, in the link closing with a
code (spec/node.md "Limits and hostile peers"): never an exception out of
the link's state machine (issue 16.1, the gossip side of the
reconciliation OverflowError). The machine (node.gossip_link) is driven
with its events answered from a 41-message log in memory, as the node's
driver answers them from the store. Frames are drawn well-typed and hostile:
every frame type with arbitrary fields, reconciliation payloads that are
themselves hostile frames, and arbitrary bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crdt.log import Log
from protocol import canonical, envelope, kinds
from tests.node.test_gossip_link import BODY, GENESIS, MEMBERS, MemoryNode, pair, run


def _messages(n: int) -> list[envelope.Envelope]:
    out, parent = [], GENESIS.id
    for i in range(n):
        e = envelope.sign(
            MEMBERS[i % 3],
            BODY,
            kinds.Comment(GENESIS.id, None, kinds.Stance.NEUTRAL, f"c{i}"),
            parents=[parent],
            seq=i // 3 + 1,
            time=1_790_000_001 + i,
        )
        out.append(e)
        parent = e.id
    return out


CODES = {"malformed", "limit", "reconcile", "misbehaving", "peer_closed"}


def _node() -> MemoryNode:
    """A machine past its handshake, holding the body's 41 messages."""
    a, b = pair()
    run(a, b)
    b.log = _log_of(_messages(40))
    return b


def _log_of(envs: list[envelope.Envelope]) -> Log:
    log = Log(BODY)
    log.add(GENESIS)
    for e in envs:
        log.add(e)
    return log


_ID = st.sampled_from([BODY, BODY, BODY, b"\x00" * 32]) | st.binary(min_size=31, max_size=33)
_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=10)
    | st.binary(max_size=80)
    | _ID
)
_value = st.recursive(_scalar, lambda v: st.lists(v, max_size=5).map(tuple), max_leaves=10)
_BOUND = st.none() | st.binary(max_size=2) | st.binary(max_size=33)
_IDS = st.lists(st.binary(min_size=32, max_size=32), max_size=3).map(lambda x: tuple(sorted(x)))
_range = st.one_of(  # mostly well formed, so frames get past the parser to the session
    st.tuples(_BOUND, st.just(0), st.none()),
    st.tuples(_BOUND, st.just(1), st.binary(min_size=16, max_size=16)),
    st.tuples(_BOUND, st.just(2), _IDS),
    st.tuples(_BOUND, st.integers(-1, 3), _value),
)
_recon_payload = st.tuples(
    st.just(0),
    st.sampled_from([1, 1, 1, 2, 0, 3]),
    _BOUND,
    st.lists(_range | _ID, max_size=4).map(tuple),
    st.just(True) | st.booleans(),
).map(canonical.encode) | st.binary(max_size=100)
_recon = st.tuples(st.just("recon"), st.just(BODY) | _ID, _recon_payload)
_frame = st.one_of(
    _recon,
    _recon,
    _recon,
    st.tuples(
        st.just("msgs"), _ID, st.lists(st.binary(max_size=200) | _value, max_size=6).map(tuple)
    ),
    st.tuples(st.just("want"), _ID, st.lists(_ID | _value, max_size=6).map(tuple)),
    st.tuples(st.just("bye"), _value, _value),
    st.lists(_value, max_size=4).map(tuple),
    st.tuples(st.sampled_from(["recon", "msgs", "want", "bye", "hello"]), _value),
)


@given(st.lists(_frame.map(canonical.encode) | st.binary(max_size=100), min_size=1, max_size=6))
@example(  # once OverflowError (a RANGES frame starting at nil, with a range)
    [
        canonical.encode(
            ("recon", BODY, canonical.encode((0, 1, None, ((b"\x01", 1, bytes(16)),), True)))
        )
    ]
)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_gossip_frames_close_the_link_with_a_code(frames: list[bytes]) -> None:
    node = _node()
    for data in frames:
        node.machine.receive_frame(data, 1.0)
        node.answer(1.0)
        if node.machine.closed:
            assert node.closed and node.closed[-1].code in CODES, node.closed
            return
