"""The gossip link as a sans-IO state machine (issue 18.2), driven through
memory with no socket, clock or store: the handshake, reconciliation that
converges two logs, pushes, wants within their budget and charged to the
peer's rate, strikes, and a hostile frame closing the link with a code.

``MemoryNode`` answers a machine's events the way node.gossip's driver does,
from an in-memory crdt.log.Log; ``run`` moves frames between two machines
until neither has anything to say (bounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from node.gossip_link import (
    MAX_STRIKES,
    WANT_BYTES,
    Authenticated,
    Closed,
    GossipLink,
    Messages,
    Snapshot,
    State,
    SyncDone,
    Wanted,
)
from node.ingest import Outcome, Status
from protocol import canonical, envelope, kinds
from protocol.errors import ProtocolError
from protocol.keys import public_key

MEMBERS = [seed_for(f"link{i}") for i in range(3)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body
SEED_A, SEED_B = seed_for("node a"), seed_for("node b")


def comments(n: int, start: int = 0, parent: bytes = GENESIS.id) -> list[envelope.Envelope]:
    out = []
    for i in range(start, start + n):
        e = envelope.sign(
            MEMBERS[i % 3],
            BODY,
            kinds.Comment(GENESIS.id, None, kinds.Stance.NEUTRAL, f"comment {i}"),
            parents=[parent],
            seq=i // 3 + 1,
            time=1_790_000_001 + i,
        )
        out.append(e)
        parent = e.id
    return out


def _log(*envs: envelope.Envelope) -> Log:
    log = Log(BODY)
    log.add(GENESIS)
    for e in envs:
        log.add(e)
    return log


@dataclass
class MemoryNode:
    """A node's answers to its link's events, from memory."""

    machine: GossipLink
    log: Log = field(default_factory=_log)
    closed: list[Closed] = field(default_factory=list)
    syncs: int = 0
    authenticated: bytes | None = None

    def answer(self, now: float) -> None:
        for _ in range(1000):
            events = self.machine.events()
            if not events:
                return
            for ev in events:
                if isinstance(ev, Authenticated):
                    self.authenticated = ev.peer_key
                elif isinstance(ev, Snapshot):
                    self.machine.open_session(ev.body, list(self.log.ids()), now)
                elif isinstance(ev, Messages):
                    self.machine.judged(ev.body, [self._add(raw) for raw in ev.raws])
                elif isinstance(ev, Wanted):
                    held = [m for m in dict.fromkeys(ev.ids) if m in self.log]
                    held.sort(key=self.log.index)
                    raws, size = [], 0
                    for m in held:
                        raw = self.log.get(m).raw
                        if ev.budget is not None and size + len(raw) > ev.budget:
                            break
                        raws.append(raw)
                        size += len(raw)
                    self.machine.send_held(ev, raws, now)
                elif isinstance(ev, SyncDone):
                    self.syncs += 1
                elif isinstance(ev, Closed):
                    self.closed.append(ev)
        raise AssertionError("events never ran out")

    def _add(self, raw: bytes) -> Outcome:
        try:
            env = envelope.open_untrusted(raw, BODY)
        except ProtocolError as exc:
            return Outcome(Status.REJECTED, None, exc.code, exc.reason)
        result = self.log.add(env)
        if result.duplicate:
            return Outcome(Status.DUPLICATE, env.id)
        if result.pending:
            return Outcome(Status.PENDING, env.id, missing=result.missing)
        return Outcome(Status.ACCEPTED, env.id)


def pair(rate: float = 10_000.0) -> tuple[MemoryNode, MemoryNode]:
    a = MemoryNode(GossipLink(SEED_A, b"a" * 32, now=0.0, rate=rate, expect=public_key(SEED_B)))
    b = MemoryNode(GossipLink(SEED_B, b"b" * 32, now=0.0, rate=rate, known=lambda k: True))
    return a, b


def run(a: MemoryNode, b: MemoryNode, now: float = 0.0, rounds: int = 200) -> int:
    """Carry frames both ways until both are quiet; the frames carried."""
    carried = 0
    for _ in range(rounds):
        a.answer(now)
        b.answer(now)
        fa, fb = a.machine.frames_to_send(), b.machine.frames_to_send()
        if not fa and not fb:
            return carried
        for f in fa:
            b.machine.receive_frame(f, now)
        for f in fb:
            a.machine.receive_frame(f, now)
        carried += len(fa) + len(fb)
    raise AssertionError("the links never went quiet")


def test_the_handshake_authenticates_both_ends() -> None:
    a, b = pair()
    run(a, b)
    assert a.machine.state is State.OPEN and b.machine.state is State.OPEN
    assert (a.authenticated, b.authenticated) == (public_key(SEED_B), public_key(SEED_A))


def test_a_key_that_is_not_pinned_is_refused_with_a_bye() -> None:
    a = MemoryNode(GossipLink(SEED_A, b"a" * 32, now=0.0, rate=100.0))
    b = MemoryNode(GossipLink(SEED_B, b"b" * 32, now=0.0, rate=100.0, known=lambda k: False))
    run(a, b)
    assert b.machine.closed and b.closed[0].code == "handshake"
    assert "not a configured peer" in b.closed[0].reason
    assert a.machine.closed  # told by the bye


def test_a_dialled_peer_presenting_another_key_is_refused() -> None:
    a = MemoryNode(GossipLink(SEED_A, b"a" * 32, now=0.0, rate=100.0, expect=b"\x07" * 32))
    b = MemoryNode(GossipLink(SEED_B, b"b" * 32, now=0.0, rate=100.0))
    run(a, b)
    assert a.closed and a.closed[0].code == "handshake" and "pinned" in a.closed[0].reason


def test_reconciliation_converges_two_logs_in_memory() -> None:
    common = comments(20)
    a, b = pair()
    a.log, b.log = _log(*common, *comments(15, 20, common[-1].id)), _log(*common)
    b.log.add(comments(1, 100, common[-1].id)[0])
    run(a, b)
    a.machine.start_sync(BODY)
    run(a, b)
    assert a.log.state_hash() == b.log.state_hash() and len(a.log) == 1 + 20 + 15 + 1
    assert a.syncs == 1 and b.syncs == 1
    assert not a.closed and not b.closed


def test_pushed_messages_are_taken_and_their_missing_parents_wanted() -> None:
    chain = comments(10)
    a, b = pair()
    a.log = _log(*chain)
    run(a, b)
    a.machine.push(BODY, [chain[-1].raw])  # its parents are not at b: b wants them
    run(a, b)
    assert b.log.state_hash() == a.log.state_hash()


def test_a_want_is_answered_once_per_id_within_its_budget_and_charged() -> None:
    big = comments(700)
    a, b = pair(rate=50.0)
    a.log = _log(*big)
    run(a, b)
    ids = tuple(e.id for e in big)
    b.machine._send("want", BODY, ids[:300] * 10)  # a hostile want: every id ten times
    frames = b.machine.frames_to_send()
    for f in frames:
        a.machine.receive_frame(f, 1.0)
    a.answer(1.0)
    sent = [canonical.decode(f) for f in a.machine.frames_to_send()]
    answered = [raw for kind, _, raws in sent if kind == "msgs" for raw in raws]
    assert len(answered) == len(set(answered)) == 300  # each distinct id once
    assert sum(len(r) for r in answered) <= WANT_BYTES
    assert a.machine.pause() > 0  # 300 messages at 50 a second: stop reading the peer


def test_a_push_is_not_charged_to_the_peer() -> None:
    a, b = pair(rate=1.0)
    run(a, b)
    a.machine.push(BODY, [e.raw for e in comments(50)])
    assert a.machine.pause() == 0


def test_five_invalid_messages_close_the_link_as_misbehaving() -> None:
    a, b = pair()
    run(a, b)
    forged = bytearray(comments(1)[0].raw)
    forged[-1] ^= 1
    for i in range(MAX_STRIKES):
        a.machine._send("msgs", BODY, (bytes(forged) + bytes([i]),))
    run(a, b)
    assert b.machine.closed and b.closed[-1].code == "misbehaving"
    assert a.machine.closed  # the bye says why


def test_a_hostile_frame_closes_with_a_code_and_never_raises() -> None:
    for frame in (
        b"\xc1",  # not canonical
        canonical.encode(("nonsense", 1)),
        canonical.encode(("msgs", b"short", ())),
        canonical.encode(("want", BODY, (b"x",) * 2)),
        canonical.encode(
            ("recon", BODY, canonical.encode((0, 1, None, ((b"\x01", 1, bytes(16)),), True)))
        ),
    ):
        a, b = pair()
        run(a, b)
        b.machine.receive_frame(frame, 0.0)
        b.answer(0.0)
        assert b.machine.closed, frame
        assert b.closed[-1].code in {"malformed", "limit", "reconcile"}, b.closed
        assert canonical.decode(b.machine.frames_to_send()[-1])[0] == "bye"
