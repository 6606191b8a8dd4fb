"""Ingest: bytes from a member or a peer become durable log entries.

Every message a node accepts goes through ``Ingest.submit``: decode and
verify (``protocol.envelope.open_untrusted``), insert into the body's DAG
(``crdt.log.Log``), and store every newly accepted message in one SQLite
transaction before answering. Only then may the caller acknowledge: a crash
at any point loses nothing that was acknowledged. A rejected message is
recorded with its reason (the audit trail operators read) and never touches
what is stored. Messages whose parents are unknown are kept as pending, in
the log's bounded pending area and on disk, and their missing parents are
reported so the gossip layer can ask for them.

This module is synchronous and does no networking; the runtime calls it
from its single store thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from crdt.errors import CrdtError
from crdt.log import AddResult, Log
from protocol import envelope
from protocol.assembly import Assembly
from protocol.disposition import Disposition, disposition
from protocol.envelope import Envelope
from protocol.errors import ProtocolError, RemoteProtocolError
from protocol.federal import FederalConstitution
from protocol.justice import Council, is_council
from protocol.kinds import Kind

from .errors import NodeError
from .store import Store


class Status(Enum):
    ACCEPTED = "accepted"
    PENDING = "pending"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one submitted message."""

    status: Status
    id: bytes | None = None
    code: str | None = None
    reason: str | None = None
    field: str | None = None
    offset: int | None = None
    missing: tuple[bytes, ...] = ()
    process: Disposition | None = None
    """What the assembly process did with it (accepted and duplicate
    messages of a submission that asked for it)."""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status.value}
        if self.id is not None:
            out["id"] = self.id.hex()
        for name in ("code", "reason", "field", "offset"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.missing:
            out["missing"] = [m.hex() for m in self.missing]
        if self.process is not None:
            out["process"] = self.process.to_json()
        return out


class UnknownBody(NodeError):
    code = "unknown_body"


@dataclass
class Body:
    """A body held by this node: its log and whoever listens to it."""

    id: bytes
    log: Log
    listeners: list[Callable[[tuple[Envelope, ...], str], None]] = field(default_factory=list)
    ratified: Mapping[bytes, FederalConstitution] = field(default_factory=dict)
    """The node's verified ratifications (``Ingest.ratified``, shared)."""
    _assembly: Assembly | None = None
    community: Callable[[], Assembly | None] | None = None
    """For a justice council: its Community's fold, if this node holds it
    (spec/justice.md: the council's state depends on both logs)."""

    def fold(self) -> Assembly:
        """The body's assembly fold, kept up to date by ``Ingest.submit``
        once first asked for. Owned by the store thread like the log. A
        justice council's is folded against its Community's, and again
        whenever the Community's log has grown."""
        if self.community is not None:
            community = self.community()
            if not (
                isinstance(self._assembly, Council)
                and self._assembly.community is community
                and not self._assembly.stale()
            ):
                self._assembly = Council(self.id, community).fold(self.log)
            return self._assembly
        if self._assembly is None:
            self._assembly = Assembly(self.id, ratified=self.ratified).fold(self.log)
        return self._assembly

    def _folded(self, accepted: tuple[Envelope, ...], first_changed: int | None) -> None:
        if self._assembly is not None and accepted:
            self._assembly.update(self.log, AddResult(accepted, first_changed=first_changed))


class Ingest:
    """The node's bodies, their logs, and the one path into them."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.bodies: dict[bytes, Body] = {}
        self.counters = {status: 0 for status in Status}
        self.evicted: dict[bytes, int] = {}
        """Pending messages evicted per body (their parents never came in
        time and the pending area, or their peer's share of it, was full)."""
        self.ratified: dict[bytes, FederalConstitution] = {}
        """RATIFICATIONs this node verified (``node.people``): every body's
        fold applies the adoptions they allow."""

    def learn_ratified(self, ratification: bytes, constitution: FederalConstitution) -> None:
        """A ratification verified: every fold is recomputed with it."""
        self.ratified[ratification] = constitution
        for body in self.bodies.values():
            body._assembly = None

    # --- start-up ---------------------------------------------------------------

    def load(self, *, verify: bool = False) -> int:
        """Rebuild every body's log from the database. Messages were verified
        before they were stored; ``verify=True`` checks them again (slow)."""
        count = 0
        for body_id, genesis_raw in self.store.bodies():
            genesis = envelope.decode_untrusted(genesis_raw, None)
            body = self._open_body(genesis)
            for _seq, raw in self.store.messages(body_id):
                env = envelope.decode_untrusted(raw, body_id)
                if verify:
                    envelope.verify(env)
                body.log.add(env)
                count += 1
            for raw in self.store.pending(body_id):
                body.log.add(envelope.decode_untrusted(raw, body_id))
        return count

    def _open_body(self, genesis: Envelope) -> Body:
        body = self.bodies.get(genesis.body)
        if body is None:
            body = Body(genesis.body, Log(genesis.body), ratified=self.ratified)
            body.log.add(genesis)
            self.bodies[genesis.body] = body
            parent = getattr(genesis.payload, "parent", None)
            if is_council(genesis) and parent is not None:
                body.community = lambda: self._community(parent)
        return body

    def _community(self, body_id: bytes) -> Assembly | None:
        held = self.bodies.get(body_id)
        return None if held is None else held.fold()

    # --- bodies -----------------------------------------------------------------

    def found(self, genesis_raw: bytes, *, origin: str) -> Envelope:
        """Add a body from its genesis message (verified here)."""
        genesis = envelope.open_untrusted(genesis_raw, None)
        if genesis.kind != Kind.GENESIS:
            raise _NotGenesis("a body is founded by a genesis message", field="kind")
        now = int(self.clock())
        self.store.add_body(genesis.body, genesis.raw, now)
        self.store.add_messages(genesis.body, [(genesis.id, genesis.raw)], now=now, origin=origin)
        self._open_body(genesis)
        return genesis

    def body(self, body_id: bytes) -> Body:
        try:
            return self.bodies[body_id]
        except KeyError:
            raise UnknownBody(f"this node does not hold body {body_id.hex()}") from None

    # --- the one path in --------------------------------------------------------

    def submit(
        self,
        body_id: bytes,
        raws: Iterable[bytes],
        *,
        origin: str,
        judge: bool = False,
        gate: Callable[[Body, list[Envelope]], None] | None = None,
    ) -> list[Outcome]:
        """Decode, verify, insert and durably store a batch of messages.

        Returns one outcome per input, in order. When it returns, every
        ACCEPTED message is on disk. With ``judge`` each accepted or
        duplicate message's outcome also says what the process did with it.
        ``gate`` sees the batch's verified envelopes before anything is
        stored and may refuse the whole batch by raising (the member API's
        rate limits); each message is decoded once either way."""
        body = self.body(body_id)
        now = int(self.clock())
        outcomes: list[Outcome] = []
        newly: list[Envelope] = []
        first_changed: int | None = None
        batch = list(raws)
        opened: list[Envelope | ProtocolError] = []
        for raw in batch:
            try:
                opened.append(envelope.open_untrusted(raw, body_id))
            except ProtocolError as exc:
                opened.append(exc)
        if gate is not None:
            gate(body, [e for e in opened if isinstance(e, Envelope)])
        for raw, env_or_error in zip(batch, opened, strict=True):
            try:
                if isinstance(env_or_error, ProtocolError):
                    raise env_or_error
                env = env_or_error
                if env.kind == Kind.GENESIS and env.id == body_id:
                    # the body's own genesis, held already (a bulletin or a
                    # sneakernet bundle of this body starts with it)
                    outcomes.append(Outcome(Status.DUPLICATE, env.id))
                    continue
                if env.kind == Kind.GENESIS:
                    raise _Reject(
                        "genesis", "a genesis message founds a new body; found it instead"
                    )
                # a peer's orphans are bounded per peer (crdt.log), so one
                # peer cannot fill the pending area honest peers need
                result = body.log.add(env, source=origin if origin.startswith("peer ") else None)
            except ProtocolError as exc:
                outcomes.append(
                    self._reject(
                        body_id, raw, exc.code, exc.reason, exc.field, exc.offset, origin, now
                    )
                )
                continue
            except CrdtError as exc:
                outcomes.append(
                    self._reject(body_id, raw, exc.code, exc.reason, exc.field, None, origin, now)
                )
                continue
            except _Reject as exc:
                outcomes.append(
                    self._reject(body_id, raw, exc.code, exc.reason, None, None, origin, now)
                )
                continue
            if result.evicted:
                self.store.remove_pending(result.evicted)
                self.evicted[body_id] = self.evicted.get(body_id, 0) + len(result.evicted)
            if result.duplicate:
                outcomes.append(Outcome(Status.DUPLICATE, env.id))
            elif result.pending:
                self.store.add_pending(body_id, env.id, env.raw, now=now, origin=origin)
                outcomes.append(Outcome(Status.PENDING, env.id, missing=tuple(result.missing)))
            elif result.evicted:
                # evicted at once: its source is over its share of the pending area
                outcomes.append(Outcome(Status.PENDING, env.id, missing=tuple(result.missing)))
            else:
                newly.extend(result.accepted)
                outcomes.append(Outcome(Status.ACCEPTED, env.id))
            if result.first_changed is not None:
                fc = result.first_changed
                first_changed = fc if first_changed is None else min(first_changed, fc)
        if newly:
            self.store.add_messages(body_id, [(e.id, e.raw) for e in newly], now=now, origin=origin)
            accepted = tuple(newly)
            body._folded(accepted, first_changed)
            for listener in list(body.listeners):
                listener(accepted, origin)
        for o in outcomes:
            self.counters[o.status] += 1
        if judge:
            outcomes = [self._judged(body, o) for o in outcomes]
        return outcomes

    def _judged(self, body: Body, o: Outcome) -> Outcome:
        if o.status not in (Status.ACCEPTED, Status.DUPLICATE) or o.id not in body.log:
            return o
        assert o.id is not None
        return replace(o, process=disposition(body.fold(), body.log.get(o.id)))

    def _reject(
        self,
        body_id: bytes,
        raw: bytes,
        code: str,
        reason: str,
        field_: str | None,
        offset: int | None,
        origin: str,
        now: int,
    ) -> Outcome:
        self.store.record_rejection(body_id, raw, code, reason, now=now, origin=origin)
        return Outcome(Status.REJECTED, None, code, reason, field_, offset)


class _NotGenesis(RemoteProtocolError):
    code = "not_genesis"


class _Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
