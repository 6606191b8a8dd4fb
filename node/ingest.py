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
from protocol import envelope, kinds
from protocol.assembly import Assembly
from protocol.disposition import Disposition, disposition
from protocol.envelope import Envelope
from protocol.errors import NotGenesis, ProtocolError
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


@dataclass(frozen=True, slots=True)
class Quota:
    """How much of one body's storage keys the body does not know may fill
    (spec/node.md, "Storage quota for unknown keys")."""

    messages: int = 5_000
    bytes: int = 16 * 1024 * 1024


class _Usage:
    """What a body stores that was signed by keys it does not know: per
    author, message id -> size. An author the body comes to know (admitted,
    rotated to) leaves it, so an admitted newcomer frees what they used."""

    def __init__(self) -> None:
        self.by_author: dict[bytes, dict[bytes, int]] = {}
        self.author_of: dict[bytes, bytes] = {}
        self.messages = 0
        self.bytes = 0
        self.refused = 0
        self.vouched: set[bytes] = set()
        """Keys a member's message moved to admit or rotated to: not
        strangers, though the fold may not know them yet."""

    def add(self, env: Envelope) -> None:
        if env.id in self.author_of:
            return
        self.by_author.setdefault(env.author, {})[env.id] = len(env.raw)
        self.author_of[env.id] = env.author
        self.messages += 1
        self.bytes += len(env.raw)

    def remove(self, mid: bytes) -> None:
        author = self.author_of.pop(mid, None)
        if author is None:
            return
        held = self.by_author[author]
        self.messages -= 1
        self.bytes -= held.pop(mid)
        if not held:
            del self.by_author[author]

    def knows(self, known: Callable[[bytes], bool], key: bytes) -> bool:
        return known(key) or key in self.vouched

    def forget_known(self, known: Callable[[bytes], bool]) -> None:
        for author in [a for a in self.by_author if known(a)]:
            for mid, size in self.by_author.pop(author).items():
                del self.author_of[mid]
                self.messages -= 1
                self.bytes -= size


def _source(origin: str) -> str | None:
    """The source a pending message is bounded under: the gossip peer it
    came from; other origins are bounded only by the body's whole share."""
    return origin if origin.startswith("peer ") else None


def vouched_keys(
    envs: Iterable[Envelope], trusted: Callable[[bytes], bool], body_id: bytes
) -> set[bytes]:
    """Keys that messages of trusted authors admit (an ADMIT motion) or
    rotate to, and the founders of the body's own genesis, taken in order so
    a key vouched for early in ``envs`` vouches later. A stranger's ADMIT
    vouches for nobody: else one throwaway key could admit another and flood
    under it."""
    out: set[bytes] = set()
    for env in envs:
        p = env.payload
        if isinstance(p, kinds.Genesis):
            if env.id == body_id:
                out.update(p.founders)
            continue
        if not (trusted(env.author) or env.author in out):
            continue
        if isinstance(p, kinds.Admit):
            out.add(p.member)
        elif isinstance(p, kinds.RotateKey):
            out.add(p.new_key)
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
    usage: _Usage | None = None
    """Stored messages of keys the body does not know (built on first need)."""
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


@dataclass(slots=True)
class _Batch:
    """What ``Ingest.submit`` keeps while it goes through one batch."""

    body: Body
    body_id: bytes
    now: int
    origin: str
    usage: _Usage
    known: Callable[[bytes], bool]
    coming: set[bytes]
    """Keys the batch's own messages vouch for."""
    bounded: bool
    """Strangers' messages count against the quota."""
    outcomes: list[Outcome] = field(default_factory=list)
    newly: list[Envelope] = field(default_factory=list)
    """Messages the log accepted (a pending one's arrival may accept several)."""
    first_changed: int | None = None
    refused: list[tuple[bytes | None, bytes, str, str]] = field(default_factory=list)
    stored: list[Envelope] = field(default_factory=list)


class Ingest:
    """The node's bodies, their logs, and the one path into them."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        quota: Quota | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.quota = Quota() if quota is None else quota
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
            evicted: list[bytes] = []
            for raw, origin in self.store.pending_with_origins(body_id):
                env = envelope.decode_untrusted(raw, body_id)
                evicted += body.log.add(env, source=_source(origin)).evicted
            if evicted and self.store.writer:  # a lower bound configured
                with self.store.transaction():
                    self.store.remove_pending(evicted)
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

    def usage(self, body: Body) -> _Usage:
        """The body's stored messages (held and pending) signed by keys it
        does not know now, counted from what was replayed from the store the
        first time it is asked for, then kept up to date by ``submit``."""
        known = body.fold().membership.known_key
        if body.usage is None:
            usage = _Usage()
            held = (*body.log.envelopes(), *body.log.pending_envelopes())
            usage.vouched = vouched_keys(held, known, body.id)
            for env in held:
                if env.kind == Kind.GENESIS or self._citizen(env):
                    continue
                if not usage.knows(known, env.author):
                    usage.add(env)
            body.usage = usage
        else:
            usage = body.usage
            usage.forget_known(lambda key: usage.knows(known, key))
        return body.usage

    def _citizen(self, env: Envelope) -> bool:
        """A CONSTITUTION_INITIATIVE (signed by anyone, in the Collective's
        log) whose author a body this node holds knows: one of the people,
        not a stranger, so strangers filling the quota cannot shut the
        people's initiative out."""
        if env.kind != Kind.CONSTITUTION_INITIATIVE:
            return False
        return any(held.fold().membership.known_key(env.author) for held in self.bodies.values())

    def _community(self, body_id: bytes) -> Assembly | None:
        held = self.bodies.get(body_id)
        return None if held is None else held.fold()

    # --- bodies -----------------------------------------------------------------

    def found(self, genesis_raw: bytes, *, origin: str) -> Envelope:
        """Add a body from its genesis message (verified here)."""
        genesis = envelope.open_untrusted(genesis_raw, None)
        if genesis.kind != Kind.GENESIS:
            raise NotGenesis("a body is founded by a genesis message", field="kind")
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
        batch = list(raws)
        opened: list[Envelope | ProtocolError] = []
        for raw in batch:
            try:
                opened.append(envelope.open_untrusted(raw, body_id))
            except ProtocolError as exc:
                opened.append(exc)
        envs = [e for e in opened if isinstance(e, Envelope)]
        if gate is not None:
            gate(body, envs)
        usage = self.usage(body)
        known = body.fold().membership.known_key
        b = _Batch(
            body,
            body_id,
            now,
            origin,
            usage,
            known,
            vouched_keys(envs, lambda key: usage.knows(known, key), body_id),
            # a justice council whose Community this node does not hold cannot
            # tell its members from strangers: no quota rather than refusing them
            body.community is None or body.community() is not None,
        )
        # one transaction for the whole batch: what is stored, pending,
        # evicted and refused costs one commit, not one per message
        with self.store.transaction():
            for raw, env_or_error in zip(batch, opened, strict=True):
                self._add_one(b, raw, env_or_error)
            self._store_batch(b)
        self._tell(b)
        outcomes = b.outcomes
        for o in outcomes:
            self.counters[o.status] += 1
        if judge:
            outcomes = [self._judged(body, o) for o in outcomes]
        return outcomes

    def _add_one(self, b: _Batch, raw: bytes, env_or_error: Envelope | ProtocolError) -> None:
        """Insert one opened message of a batch into the body's log (or
        refuse it) and file its outcome."""
        body_id, usage = b.body_id, b.usage
        try:
            if isinstance(env_or_error, ProtocolError):
                raise env_or_error
            env = env_or_error
            if env.kind == Kind.GENESIS and env.id == body_id:
                # the body's own genesis, held already (a bulletin or a
                # sneakernet bundle of this body starts with it)
                b.outcomes.append(Outcome(Status.DUPLICATE, env.id))
                return
            if env.kind == Kind.GENESIS:
                raise _Reject("genesis", "a genesis message founds a new body; found it instead")
            stranger = (
                b.bounded
                and not usage.knows(b.known, env.author)
                and env.author not in b.coming
                and not self._citizen(env)
            )
            if stranger and not self._fits(usage, b.body, env):
                raise _Reject("quota_exceeded", self._over(body_id))
            # a peer's orphans are bounded per peer (crdt.log), so one
            # peer cannot fill the pending area honest peers need
            result = b.body.log.add(env, source=_source(b.origin))
        except ProtocolError as exc:
            b.outcomes.append(
                self._reject(
                    body_id, raw, exc.code, exc.reason, exc.field, exc.offset, b.origin, b.now
                )
            )
            return
        except CrdtError as exc:
            b.outcomes.append(
                self._reject(body_id, raw, exc.code, exc.reason, exc.field, None, b.origin, b.now)
            )
            return
        except _Reject as exc:
            if exc.code == "quota_exceeded":
                usage.refused += 1
            b.refused.append((body_id, raw, exc.code, exc.reason))
            b.outcomes.append(Outcome(Status.REJECTED, None, exc.code, exc.reason))
            return
        if stranger and not result.duplicate:
            usage.add(env)
        b.stored.append(env)
        self._file(b, env, result)

    def _file(self, b: _Batch, env: Envelope, result: AddResult) -> None:
        """The outcome of a message the log took (accepted, pending or a
        duplicate), and the pending messages its arrival evicted."""
        if result.evicted:
            for mid in result.evicted:
                b.usage.remove(mid)
            self.store.remove_pending(result.evicted)
            self.evicted[b.body_id] = self.evicted.get(b.body_id, 0) + len(result.evicted)
        if result.duplicate:
            b.outcomes.append(Outcome(Status.DUPLICATE, env.id))
        elif result.pending:
            self.store.add_pending(b.body_id, env.id, env.raw, now=b.now, origin=b.origin)
            b.outcomes.append(Outcome(Status.PENDING, env.id, missing=tuple(result.missing)))
        elif result.evicted:
            # evicted at once: its source is over its share of the pending area
            b.outcomes.append(Outcome(Status.PENDING, env.id, missing=tuple(result.missing)))
        else:
            b.newly.extend(result.accepted)
            b.outcomes.append(Outcome(Status.ACCEPTED, env.id))
        if result.first_changed is not None:
            fc = result.first_changed
            b.first_changed = fc if b.first_changed is None else min(b.first_changed, fc)

    def _store_batch(self, b: _Batch) -> None:
        """Record the batch's rejections and store its newly accepted
        messages (inside the batch's transaction)."""
        body_id, usage, now, origin = b.body_id, b.usage, b.now, b.origin
        self.store.record_rejections(b.refused, now=now, origin=origin)
        # what the batch's stored messages vouch for stays vouched (and is
        # found again in the log at start-up)
        usage.vouched |= vouched_keys(b.stored, lambda key: usage.knows(b.known, key), body_id)
        if b.newly:
            self.store.add_messages(
                body_id, [(e.id, e.raw) for e in b.newly], now=now, origin=origin
            )

    def _tell(self, b: _Batch) -> None:
        """Once the batch is committed: fold what it accepted and tell the
        body's listeners (push to peers, event streams)."""
        if b.newly:
            accepted = tuple(b.newly)
            b.body._folded(accepted, b.first_changed)
            for listener in list(b.body.listeners):
                listener(accepted, b.origin)

    def _fits(self, usage: _Usage, body: Body, env: Envelope) -> bool:
        if env.id in body.log or env.id in usage.author_of:
            return True  # held already: a duplicate costs nothing
        q = self.quota
        return usage.messages + 1 <= q.messages and usage.bytes + len(env.raw) <= q.bytes

    def _over(self, body_id: bytes) -> str:
        q = self.quota
        return (
            f"body {body_id.hex()} holds its quota of messages signed by keys it does not "
            f"know ({q.messages} messages or {q.bytes} bytes); a newcomer's key is known "
            f"once a member admits it"
        )

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


class _Reject(NodeError):
    """One message refused by the node's own rules (quota, standing)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
