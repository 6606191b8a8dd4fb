"""Fuzz targets of the node and the conformance harness: a peer's gossip
frames and handshake, the ingest path every message takes, the member
API's parsers, ballot QR codes and harness request lines.

What each may let out is what its caller catches: a gossip frame or a
handshake frame, nothing at all (the link state machine closes the link
with a code); ``Ingest.submit`` and the harness's ``handle_line`` answer every
input and raise nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from crdt.sim import make_genesis, seed_for
from node.commands.ballots import ballot_code, parse_code
from node.config import Config, Peer
from node.errors import NodeError
from node.gossip import Gossip
from node.gossip_link import GossipLink, Messages, Snapshot, State, Wanted
from node.ingest import Ingest
from node.store import Store
from protocol import canonical, envelope, kinds
from protocol.errors import ProtocolError
from protocol.keys import key_to_text, public_key
from protocol.verdict import ProofError

from .core_targets import _process_cases, resign
from .target import Target, once, pack_frames, text_of, unpack_frames, vectors

# --- gossip: a linked peer's frames -----------------------------------------------------------

MEMBERS = [seed_for(f"fuzz{i}") for i in range(3)]
PEER_SEED = seed_for("fuzz peer node")


@once
def _genesis() -> tuple[envelope.Envelope, envelope.Envelope]:
    """The body the node holds, and one it was told to join."""
    return make_genesis(MEMBERS), make_genesis(MEMBERS[1:], time=1_790_000_007)


def _messages(n: int) -> list[envelope.Envelope]:
    g = _genesis()[0]
    out, parent = [], g.id
    for i in range(n):
        e = envelope.sign(
            MEMBERS[i % 3],
            g.body,
            kinds.Comment(g.id, None, kinds.Stance.NEUTRAL, f"c{i}"),
            parents=[parent],
            seq=i // 3 + 1 + (1 if i % 3 == 0 else 0),
            time=1_790_000_001 + i,
        )
        out.append(e)
        parent = e.id
    return out


async def _run_store(fn: Any) -> Any:
    return fn()


class _Node:
    """A node's gossip over a real store, rebuilt every ``RESET`` cases so
    what hostile input added does not pile up without bound."""

    RESET = 500

    def __init__(self) -> None:
        self.cases = 0
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ingest: Ingest
        self.gossip: Gossip
        self._build()

    def _build(self) -> None:
        if self.tmp is not None:
            self.ingest.store.close()
            self.tmp.cleanup()
        self.tmp = tempfile.TemporaryDirectory(prefix="fuzz-gossip-")
        tmp = Path(self.tmp.name)
        held, wanted = _genesis()
        self.ingest = Ingest(Store(tmp / "db.sqlite"), clock=lambda: 1_790_100_000)
        self.ingest.found(held.raw, origin="fuzz")
        self.ingest.submit(held.body, [m.raw for m in _messages(30)], origin="fuzz")
        config = Config(
            data_dir=tmp,
            bodies=(held.body.hex(), wanted.body.hex()),
            peers=(Peer("peer", "http://127.0.0.1:1", key_to_text(public_key(PEER_SEED))),),
        )
        self.gossip = Gossip(config, self.ingest, _run_store, hashlib.sha256(b"node").digest())

    def tick(self) -> None:
        self.cases += 1
        if self.cases % self.RESET == 0:
            self._build()

    def close(self) -> None:
        self.ingest.store.close()
        if self.tmp is not None:
            self.tmp.cleanup()


@once
def _node() -> _Node:
    return _Node()


def _gossip_seeds() -> list[bytes]:
    held, wanted = _genesis()
    msgs = _messages(34)
    ids = sorted(m.id for m in msgs)
    recon = [
        canonical.encode((0, 1, None, ((None, 2, tuple(ids[:3])),), True)),
        canonical.encode((0, 1, None, ((ids[5][:2], 1, bytes(16)), (None, 0, None)), True)),
        canonical.encode((0, 2, None, ((None, 2, tuple(ids[-2:])),), False)),
    ]
    frames = [canonical.encode(("recon", held.body, r)) for r in recon]
    frames += [
        canonical.encode(("msgs", held.body, tuple(m.raw for m in msgs[30:]))),
        canonical.encode(("msgs", wanted.body, (wanted.raw,))),
        canonical.encode(("want", held.body, tuple(ids[:4]))),
        canonical.encode(("bye", "done", "fuzz")),
    ]
    out = [pack_frames([f]) for f in frames]
    out.append(pack_frames(frames[:3]))
    out.append(pack_frames([frames[3], frames[5]]))
    return out


NODE_SEED = hashlib.sha256(b"node").digest()


def _answer(node: _Node, machine: GossipLink) -> None:
    """Answer the machine's events as node.gossip's driver does, through the
    node's real Ingest (synchronously: no loop, one thread)."""
    for _ in range(200):
        events = machine.events()
        if not events:
            return
        for ev in events:
            if isinstance(ev, Snapshot):
                ids = node.gossip.held_ids(ev.body)
                if ids is None:
                    machine.decline(ev.body)
                else:
                    machine.open_session(ev.body, ids, 1.0)
            elif isinstance(ev, Messages):
                if ev.body in node.ingest.bodies:
                    outcomes = node.ingest.submit(ev.body, list(ev.raws), origin="peer fuzz")
                    machine.judged(ev.body, outcomes)
                    continue
                for raw in ev.raws:  # a body the node was told to join: its genesis
                    if envelope.message_id(raw) == ev.body:
                        try:
                            node.ingest.found(raw, origin="peer fuzz")
                        except ProtocolError as exc:
                            machine.strike(f"{exc.code}: {exc.reason}")
            elif isinstance(ev, Wanted):
                raws = node.gossip.held_raws(ev.body, ev.ids, ev.budget)
                machine.send_held(ev, raws, 1.0)


def _open_machine() -> GossipLink:
    """The node's side of a link, past its handshake with the peer."""
    mine = GossipLink(NODE_SEED, b"n" * 32, now=0.0, rate=1000.0, known=lambda k: True)
    theirs = GossipLink(PEER_SEED, b"p" * 32, now=0.0, rate=1000.0)
    for _ in range(4):
        for frame in mine.frames_to_send():
            theirs.receive_frame(frame, 0.0)
        for frame in theirs.frames_to_send():
            mine.receive_frame(frame, 0.0)
    assert mine.state is State.OPEN, mine.events()
    mine.events()
    return mine


def _gossip(data: bytes) -> None:
    """Frames from a linked peer, in order: each is handled, or the link
    closes with a known code; nothing raises out of the machine."""
    node = _node()
    node.tick()
    machine = _open_machine()
    for frame in unpack_frames(data):
        machine.receive_frame(frame, 1.0)
        _answer(node, machine)
        if machine.closed:
            return


def _handshake_seeds() -> list[bytes]:
    hello = canonical.encode(("hello", public_key(PEER_SEED), bytes(range(32))))
    proof = canonical.encode(("proof", bytes(64)))
    return [pack_frames([hello, proof]), pack_frames([hello])]


def _handshake(data: bytes) -> None:
    """A peer's hello and proof, as the accepting node (no key expected) and
    the dialling one (the pinned key expected) take them: never an
    exception, at worst the link closed (HandshakeError inside)."""
    frames = unpack_frames(data)
    for expect in (None, public_key(PEER_SEED)):
        machine = GossipLink(
            NODE_SEED,
            b"n" * 32,
            now=0.0,
            rate=1000.0,
            expect=expect,
            known=lambda k: k == public_key(PEER_SEED),
        )
        for frame in frames:
            machine.receive_frame(frame, 0.0)


# --- ingest: members' hostile messages, validly signed ---------------------------------------


class _Bodies:
    """An Ingest holding every process vector's body (rebuilt every RESET cases)."""

    RESET = 400

    def __init__(self) -> None:
        self.cases = 0
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ingest: Ingest
        self._build()

    def _build(self) -> None:
        if self.tmp is not None:
            self.ingest.store.close()
            self.tmp.cleanup()
        self.tmp = tempfile.TemporaryDirectory(prefix="fuzz-ingest-")
        self.ingest = Ingest(Store(Path(self.tmp.name) / "db.sqlite"), clock=lambda: 1_790_500_000)
        for envs, _ in _process_cases():
            self.ingest.found(envs[0].raw, origin="fuzz")
            self.ingest.submit(envs[0].body, [e.raw for e in envs[1:]], origin="fuzz")

    def tick(self) -> None:
        self.cases += 1
        if self.cases % self.RESET == 0:
            self._build()

    def close(self) -> None:
        self.ingest.store.close()
        if self.tmp is not None:
            self.tmp.cleanup()


@once
def _bodies() -> _Bodies:
    return _Bodies()


def _ingest_seeds() -> list[bytes]:
    cases = itertools.islice(enumerate(_process_cases()), 20)
    return [canonical.encode((i, e.content)) for i, (envs, _) in cases for e in envs[1:]]


def _ingest(data: bytes) -> None:
    """[case, content, ...]: contents signed by their authors, submitted in
    one batch to the case's body through ``Ingest.submit`` (the one path in:
    API, gossip, import), which answers each with an outcome."""
    b = _bodies()
    b.tick()
    try:
        value = canonical.decode(data, max_bytes=1 << 20)
    except ProtocolError:
        return
    if type(value) is not tuple or len(value) < 2 or type(value[0]) is not int:
        return
    cases = _process_cases()
    body = cases[value[0] % len(cases)][0][0].body
    raws = [resign(c, body) if type(c) is bytes else b"" for c in value[1:9]]
    for outcome in b.ingest.submit(body, raws, origin="fuzz", judge=True):
        json.dumps(outcome.to_json())
    b.ingest.bodies[body].fold().state_hash()


# --- the member API's parsers -----------------------------------------------------------------


def _level_bundle_seeds() -> list[bytes]:
    out = []
    for p in vectors("verdicts")["proofs"][:4]:
        proof = bytes.fromhex(p["proof"])
        msgs = canonical.decode(proof, max_bytes=1 << 24)[2]
        higher, res = bytes.fromhex(p["higher_body"]), bytes.fromhex(p["resolution"])
        out.append(canonical.encode((1, (msgs[:3],), ((higher, res, proof),))))
    return out


def _level_bundle(data: bytes) -> None:
    from node.api import _level_bundle

    with contextlib.suppress(ProofError):
        _level_bundle(data)


class _Records:
    """An empty node's ``People`` (rebuilt every RESET cases: records found bodies)."""

    RESET = 200

    def __init__(self) -> None:
        self.cases = 0
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ingest: Ingest
        self._build()

    def _build(self) -> None:
        from node.people import People

        if self.tmp is not None:
            self.close()
        self.tmp = tempfile.TemporaryDirectory(prefix="fuzz-records-")
        self.ingest = Ingest(Store(Path(self.tmp.name) / "db.sqlite"), clock=lambda: 1_790_500_000)
        self.people = People(self.ingest)

    def tick(self) -> None:
        self.cases += 1
        if self.cases % self.RESET == 0:
            self._build()

    def close(self) -> None:
        self.ingest.store.close()
        if self.tmp is not None:
            self.tmp.cleanup()


@once
def _records() -> _Records:
    return _Records()


def _record_seeds() -> list[bytes]:
    from node.people import RECORD

    out = []
    for case in vectors("verdicts")["people"]:
        log = tuple(bytes.fromhex(h) for h in case["collective_log"])
        out.append(canonical.encode((RECORD, (log,))))
        out.append(canonical.encode((RECORD, (log[:3], log[:1]))))
    return out


def _record(data: bytes) -> None:
    """A posted ratification record (POST /v0/ratifications): imported and
    its Collective's view built, or refused with ProofError."""
    r = _records()
    r.tick()
    try:
        bodies = r.people.import_record(data, max_bytes=1 << 22)
    except ProofError:
        return
    json.dumps(r.people.view(r.ingest.body(bodies[0])))


@dataclass
class _Request:
    """What ``_query_int`` and ``_hex_param`` read of a request."""

    query: dict[str, str]
    match_info: dict[str, str]


def _api_params(data: bytes) -> None:
    """A query parameter and a path parameter, as any text."""
    from node.api import _hex_param, _query_int

    text = text_of(data)
    request = _Request({"limit": text}, {"body": text})
    with contextlib.suppress(web.HTTPBadRequest):
        _query_int(request, "limit", 10, 1000)  # type: ignore[arg-type]
    with contextlib.suppress(web.HTTPBadRequest):
        _hex_param(request, "body")  # type: ignore[arg-type]


def _ballot(data: bytes) -> None:
    with contextlib.suppress(NodeError):
        parse_code(data)


# --- the conformance harness ------------------------------------------------------------------


def _harness_seeds() -> list[bytes]:
    lines: list[dict[str, Any]] = [{"op": "hello", "id": 1}, {"op": "nope"}]
    for t in vectors("messages")["tests"][:30]:
        lines.append({"op": "decode", "message": t["message"], "body": t.get("body")})
        lines.append({"op": "id", "message": t["message"]})
        if t.get("seed") and t.get("fields"):
            lines.append(
                {"op": "encode", "seed": t["seed"], "body": t.get("body"), "fields": t["fields"]}
            )
    for t in vectors("ed25519")["tests"][:5]:
        lines.append({"op": "verify", "pk": t["pk"], "msg": t["msg"], "sig": t["sig"]})
    for p in vectors("verdicts")["proofs"][:3]:
        lines.append(
            {
                "op": "verdict_proof",
                "proof": p["proof"],
                "higher_body": p["higher_body"],
                "resolution": p["resolution"],
            }
        )
    for c in vectors("verdicts")["people_founding"]:
        i = c["initiative"]
        lines.append(
            {
                "op": "constitution",
                "constitution": {k: c[k] for k in ("version", "params", "articles")},
                "initiative": {k: i[k] for k in ("version", "params", "articles")},
            }
        )
    return [json.dumps(line).encode() for line in lines]


def _harness(data: bytes) -> None:
    """One request line: the harness answers every line with a JSON object."""
    from interop.harness import handle_line

    answer = handle_line(text_of(data))
    assert isinstance(answer, dict) and "ok" in answer, answer
    json.dumps(answer)


TARGETS = [
    Target(
        "gossip_frames",
        _gossip,
        _gossip_seeds,
        "node.gossip_link GossipLink: a linked peer's frames",
    ),
    Target(
        "handshake",
        _handshake,
        _handshake_seeds,
        "node.gossip_link GossipLink: a peer's hello and proof",
    ),
    Target(
        "ingest",
        _ingest,
        _ingest_seeds,
        "node.ingest Ingest.submit (judge=True): members' hostile signed messages",
    ),
    Target(
        "api_level_bundle",
        _level_bundle,
        _level_bundle_seeds,
        "node.api _level_bundle: a posted federation level bundle",
    ),
    Target(
        "api_record",
        _record,
        _record_seeds,
        "node.people People.import_record and view: a posted ratification record",
    ),
    Target(
        "api_params",
        _api_params,
        lambda: [b"10", b"0", b"999", _genesis()[0].body.hex().encode()],
        "node.api _query_int/_hex_param: query and path parameters",
        shape="text",
    ),
    Target(
        "ballot_code",
        _ballot,
        lambda: [ballot_code(_genesis()[0].body, _genesis()[0].id, 1)],
        "node.commands.ballots.parse_code: a paper ballot's QR code",
        shape="text",
    ),
    Target(
        "harness",
        _harness,
        _harness_seeds,
        "interop.harness.handle_line: a conformance request line",
        shape="json",
    ),
]
