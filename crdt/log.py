"""A body's log: a grow-only DAG of signed envelopes linked by parent ids.

Theory of operation. The log of a body is a *set* of valid envelopes, so two
nodes holding the same set hold the same log, whatever order the messages
arrived in. Everything else is derived from the set:

* **Insertion** accepts a message only when all its parents are present;
  otherwise it waits in a bounded *pending* area and its missing parents are
  reported so the caller can ask for them. Accepting a message may unblock
  pending ones, which are accepted in the same call. The pending area is
  bounded per body and per *source* (the peer a message came from, when the
  caller names one): past a bound the oldest pending message of that source
  (or, past the body's bound, of the whole body) is evicted, and reported in
  ``AddResult.evicted`` so a store can forget it too. A peer that sends
  orphans whose parents never come can thus fill only its own share, never
  push out what honest peers sent.
* **Replay order** is the topological order by ``(depth, id)``: depth is 0
  for the genesis and ``1 + max(depth of parents)`` otherwise, and the
  message id breaks ties. It depends only on the set, so every node computes
  it identically. It is kept in a sorted array: inserting a message costs a
  binary search and a shift of the entries after it, never a re-sort. A
  message that arrives late (made long ago, concurrently with much of the
  log) lands at its depth, possibly far from the end; ``AddResult.first_changed``
  tells a fold where to resume.
* **Equivocation** (one author, one sequence number, two different
  messages) cannot be prevented, only detected: both messages are kept (the
  set stays a set, so all honest nodes hold both) and the pair is recorded
  as evidence. What an equivocator's messages count for is the process's
  rule, not the log's; the log never lets it fork the order.

Signatures are checked before ``add`` (by the caller, with
``protocol.envelope.open_untrusted``): the log trusts that an envelope is
authentic and checks only the DAG rules.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from protocol.envelope import Envelope
from protocol.kinds import Kind

from .errors import LocalCrdtError, RemoteCrdtError


class WrongBody(RemoteCrdtError):
    """The envelope belongs to another body."""

    code = "wrong_body"


class SelfReference(RemoteCrdtError):
    """A message names itself as a parent (impossible for honest hashes)."""

    code = "cycle"


@dataclass(frozen=True, slots=True)
class Equivocation:
    """Evidence: ``author`` signed two different messages with sequence
    number ``seq``. ``first`` < ``second`` as bytes, so evidence is the same
    on every node."""

    author: bytes
    seq: int
    first: bytes
    second: bytes


@dataclass(frozen=True, slots=True)
class AddResult:
    accepted: tuple[Envelope, ...] = ()
    pending: bool = False
    missing: tuple[bytes, ...] = ()
    duplicate: bool = False
    first_changed: int | None = None
    """The smallest replay-order index that changed, or None."""
    evicted: tuple[bytes, ...] = ()
    """Pending messages dropped to keep the pending area within its bounds
    (possibly the one just added)."""


@dataclass(frozen=True, slots=True)
class LogStatistics:
    messages: int
    heads: int
    pending: int
    pending_bytes: int
    missing: int
    evicted: int
    equivocations: int


class Log:
    """One body's DAG. Not thread-safe; owned by one task or thread."""

    def __init__(
        self,
        body: bytes,
        *,
        max_pending: int = 10_000,
        max_pending_bytes: int = 16 * 1024 * 1024,
        max_pending_per_source: int = 2_000,
        max_pending_bytes_per_source: int = 4 * 1024 * 1024,
    ) -> None:
        if len(body) != 32:
            raise LocalCrdtError("a body id is 32 bytes")
        self.body = body
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.max_pending_per_source = max_pending_per_source
        self.max_pending_bytes_per_source = max_pending_bytes_per_source
        self._source_of: dict[bytes, str] = {}
        self._by_source: dict[str, OrderedDict[bytes, int]] = {}
        self._source_bytes: dict[str, int] = {}
        self._msgs: dict[bytes, Envelope] = {}
        self._depth: dict[bytes, int] = {}
        self._order: list[tuple[int, bytes]] = []
        self._heads: set[bytes] = set()
        self._by_author: dict[bytes, list[Envelope]] = {}
        self._by_seq: dict[tuple[bytes, int], list[bytes]] = {}
        self._evidence: list[Equivocation] = []
        self._pending: OrderedDict[bytes, Envelope] = OrderedDict()
        self._pending_bytes = 0
        self._waiting: dict[bytes, set[bytes]] = {}
        self._evicted = 0

    # --- queries ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._msgs)

    def __contains__(self, mid: object) -> bool:
        return mid in self._msgs

    def get(self, mid: bytes) -> Envelope:
        try:
            return self._msgs[mid]
        except KeyError:
            raise LocalCrdtError(f"no message {mid.hex()} in this log") from None

    def ids(self) -> Iterable[bytes]:
        return self._msgs.keys()

    def held(self, mid: bytes) -> Envelope | None:
        """The message, inserted or pending; None when neither."""
        return self._msgs.get(mid) or self._pending.get(mid)

    def depth(self, mid: bytes) -> int:
        return self._depth[mid]

    def heads(self) -> tuple[bytes, ...]:
        return tuple(sorted(self._heads))

    def order(self) -> Sequence[bytes]:
        """Message ids in replay order (a fresh list)."""
        return [mid for _, mid in self._order]

    def index(self, mid: bytes) -> int:
        """Position of a message in the replay order."""
        key = (self._depth[mid], mid)
        return bisect.bisect_left(self._order, key)

    def envelopes(self, start: int = 0) -> Iterator[Envelope]:
        """Envelopes in replay order, from index ``start``."""
        msgs = self._msgs
        for _, mid in self._order[start:]:
            yield msgs[mid]

    def by_author(self, author: bytes) -> tuple[Envelope, ...]:
        """An author's messages by (seq, id)."""
        return tuple(sorted(self._by_author.get(author, ()), key=lambda e: (e.seq, e.id)))

    def equivocations(self) -> tuple[Equivocation, ...]:
        return tuple(sorted(self._evidence, key=lambda e: (e.author, e.seq, e.first, e.second)))

    def equivocators(self) -> frozenset[bytes]:
        return frozenset(e.author for e in self._evidence)

    def missing(self) -> frozenset[bytes]:
        """Parent ids wanted by pending messages and not held at all."""
        return frozenset(m for m in self._waiting if m not in self._msgs and m not in self._pending)

    def pending_ids(self) -> tuple[bytes, ...]:
        return tuple(self._pending)

    def pending_envelopes(self) -> tuple[Envelope, ...]:
        """The messages waiting for their parents, oldest first."""
        return tuple(self._pending.values())

    def pending_by_source(self) -> dict[str, int]:
        """How many pending messages each named source holds."""
        return {src: len(held) for src, held in self._by_source.items()}

    def is_ancestor(self, a: bytes, b: bytes) -> bool:
        """True when ``a`` is strictly in the causal past of ``b``."""
        depth = self._depth
        if a not in depth or b not in depth:
            return False
        da = depth[a]
        if da >= depth[b]:
            return False
        msgs = self._msgs
        seen: set[bytes] = set()
        stack = [b]
        while stack:
            for p in msgs[stack.pop()].parents:
                if p == a:
                    return True
                if p not in seen and depth[p] > da:
                    seen.add(p)
                    stack.append(p)
        return False

    def causal_past(self, mid: bytes) -> frozenset[bytes]:
        """Every ancestor of ``mid`` (its causal cut), excluding ``mid``."""
        return frozenset(self._walk_back([mid], include_start=False))

    def causal_past_of_set(self, mids: Iterable[bytes]) -> frozenset[bytes]:
        """The union of the causal pasts of ``mids``, including ``mids``."""
        return frozenset(self._walk_back([m for m in mids if m in self._msgs], include_start=True))

    def _walk_back(self, starts: list[bytes], *, include_start: bool) -> set[bytes]:
        msgs = self._msgs
        seen: set[bytes] = set(starts) if include_start else set()
        stack = list(starts)
        while stack:
            for p in msgs[stack.pop()].parents:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def state_hash(self) -> bytes:
        """SHA-256 over the ids in replay order: equal iff the logs are equal."""
        h = hashlib.sha256(b"caracol/0 log\x00" + self.body)
        for _, mid in self._order:
            h.update(mid)
        return h.digest()

    def statistics(self) -> LogStatistics:
        return LogStatistics(
            messages=len(self._msgs),
            heads=len(self._heads),
            pending=len(self._pending),
            pending_bytes=self._pending_bytes,
            missing=len(self.missing()),
            evicted=self._evicted,
            equivocations=len(self._evidence),
        )

    # --- insertion ----------------------------------------------------------------

    def add(self, env: Envelope, *, source: str | None = None) -> AddResult:
        """Insert a verified envelope of this body (see the module docstring).
        ``source`` names where it came from (a peer), for the per-source
        bound on pending messages; None is not bounded per source."""
        if env.body != self.body:
            raise WrongBody(
                f"message belongs to body {env.body.hex()[:16]}…, "
                f"this log is {self.body.hex()[:16]}…",
                field="body",
            )
        mid = env.id
        if mid in self._msgs or mid in self._pending:
            return AddResult(duplicate=True)
        if mid in env.parents:
            raise SelfReference("a message cannot be its own parent", field="parents")
        if env.kind == Kind.GENESIS and mid != self.body:
            raise WrongBody("a second genesis cannot join an existing body", field="kind")
        missing = tuple(p for p in env.parents if p not in self._msgs)
        if missing:
            evicted = self._hold(env, missing, source)
            return AddResult(
                pending=env.id not in evicted,
                missing=tuple(m for m in missing if m not in self._pending),
                evicted=evicted,
            )
        accepted: list[Envelope] = []
        first = self._insert(env)
        accepted.append(env)
        queue = [mid]
        while queue:
            arrived = queue.pop()
            for child_id in sorted(self._waiting.pop(arrived, ())):
                child = self._pending.get(child_id)
                if child is None or any(p not in self._msgs for p in child.parents):
                    continue
                self._release(child_id)
                first = min(first, self._insert(child))
                accepted.append(child)
                queue.append(child_id)
        return AddResult(accepted=tuple(accepted), first_changed=first)

    def _insert(self, env: Envelope) -> int:
        mid = env.id
        depth = 1 + max((self._depth[p] for p in env.parents), default=-1)
        self._msgs[mid] = env
        self._depth[mid] = depth
        key = (depth, mid)
        at = bisect.bisect_left(self._order, key)
        self._order.insert(at, key)
        self._heads.difference_update(env.parents)
        self._heads.add(mid)
        self._by_author.setdefault(env.author, []).append(env)
        same = self._by_seq.setdefault((env.author, env.seq), [])
        for other in same:
            a, b = sorted((other, mid))
            self._evidence.append(Equivocation(env.author, env.seq, a, b))
        same.append(mid)
        return at

    def _hold(
        self, env: Envelope, missing: tuple[bytes, ...], source: str | None
    ) -> tuple[bytes, ...]:
        self._pending[env.id] = env
        self._pending_bytes += len(env.raw)
        for p in missing:
            self._waiting.setdefault(p, set()).add(env.id)
        evicted: list[bytes] = []
        if source is not None:
            self._source_of[env.id] = source
            held = self._by_source.setdefault(source, OrderedDict())
            held[env.id] = len(env.raw)
            self._source_bytes[source] = self._source_bytes.get(source, 0) + len(env.raw)
            while held and (
                len(held) > self.max_pending_per_source
                or self._source_bytes.get(source, 0) > self.max_pending_bytes_per_source
            ):
                evicted.append(next(iter(held)))
                self._release(evicted[-1])
        while len(self._pending) > self.max_pending or self._pending_bytes > self.max_pending_bytes:
            evicted.append(next(iter(self._pending)))
            self._release(evicted[-1])
        self._evicted += len(evicted)
        return tuple(evicted)

    def _release(self, mid: bytes) -> None:
        env = self._pending.pop(mid)
        self._pending_bytes -= len(env.raw)
        source = self._source_of.pop(mid, None)
        if source is not None:
            held = self._by_source[source]
            self._source_bytes[source] -= held.pop(mid)
            if not held:
                del self._by_source[source]
                del self._source_bytes[source]
        for p in env.parents:
            waiting = self._waiting.get(p)
            if waiting is not None:
                waiting.discard(mid)
                if not waiting:
                    del self._waiting[p]
