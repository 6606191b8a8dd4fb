"""The messages a bridge holds for its one body.

The node's log is mirrored in a ``crdt.log.Log``, which gives the replay
order, causal pasts and heads; messages heard on the radio wait beside it,
*unconfirmed*, until the node has judged them: accepted (or held until
their parents arrive) they join the log, rejected they are forgotten. Both
are offered to the radio link, with an index by the 8-byte prefix that
abbreviated parents use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from crdt.errors import CrdtError
from crdt.log import Log
from protocol.envelope import Envelope

from . import frames


class Messages:
    """What the bridge holds (see the module docstring). ``ids()`` lists
    parents first — what the radio link sends a peer goes in that order —
    even when the radio brought a child before its parent."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.log = Log(body)
        self._unconfirmed: dict[bytes, Envelope] = {}
        self._by_prefix: dict[bytes, list[bytes]] = {}

    def __contains__(self, mid: object) -> bool:
        return isinstance(mid, bytes) and self._find(mid) is not None

    def __len__(self) -> int:
        return len(self.log) + len(self.log.pending_ids()) + len(self._unconfirmed)

    def _find(self, mid: bytes) -> Envelope | None:
        return self.log.held(mid) or self._unconfirmed.get(mid)

    def _index(self, mid: bytes) -> None:
        self._by_prefix.setdefault(mid[: frames.PREFIX], []).append(mid)

    # --- changes -----------------------------------------------------------------

    def add(self, env: Envelope) -> bool:
        """A message of the node's log; False when it was held already (or
        the log refuses it: another body, a message naming itself)."""
        if env.id in self._unconfirmed:
            self.confirm(env.id)
            return False
        if self.log.held(env.id) is not None:
            return False
        try:
            result = self.log.add(env)
        except CrdtError:
            return False
        self._index(env.id)
        for gone in result.evicted:
            self._unindex(gone)
        return True

    def hold(self, env: Envelope) -> bool:
        """A verified message heard on the radio, for the node to judge;
        False when it is held already."""
        if env.id in self:
            return False
        self._unconfirmed[env.id] = env
        self._index(env.id)
        return True

    def confirm(self, mid: bytes) -> None:
        """The node accepted (or holds) a heard message: it joins the log."""
        env = self._unconfirmed.pop(mid, None)
        if env is None:
            return
        self._unindex(mid)
        self.add(env)

    def forget(self, mid: bytes) -> None:
        """The node rejected a heard message (or it never reached the node)."""
        if self._unconfirmed.pop(mid, None) is not None:
            self._unindex(mid)

    def _unindex(self, mid: bytes) -> None:
        same = self._by_prefix.get(mid[: frames.PREFIX], [])
        if mid in same:
            same.remove(mid)

    # --- queries (the radio link's context) --------------------------------------

    def with_prefix(self, prefix: bytes) -> list[bytes]:
        if len(prefix) == frames.PREFIX:
            return list(self._by_prefix.get(prefix, ()))
        return [m for ms in self._by_prefix.values() for m in ms if m.startswith(prefix)]

    def raw_of(self, mid: bytes) -> bytes | None:
        env = self._find(mid)
        return None if env is None else env.raw

    def ids(self) -> Iterator[bytes]:
        """The log's replay order, then what waits beside it (messages the
        log holds pending, then unconfirmed ones), each after any parent
        among them."""
        yield from self.log.order()
        waiting = [*self.log.pending_envelopes(), *self._unconfirmed.values()]
        yield from _parents_first(waiting)

    def causal_past(self, mids: Iterable[bytes]) -> set[bytes]:
        """The ids of ``mids`` held here, with every ancestor held here."""
        seen: set[bytes] = set()
        logged: list[bytes] = []
        stack = [m for m in mids if m in self]
        while stack:
            mid = stack.pop()
            if mid in seen:
                continue
            seen.add(mid)
            if mid in self.log:
                logged.append(mid)
                continue
            env = self._find(mid)
            if env is not None:
                stack.extend(p for p in env.parents if p in self)
        return seen | self.log.causal_past_of_set(logged)

    def heads(self, closed: set[bytes] | None = None) -> list[bytes]:
        """The messages held (or of ``closed``, a set closed under parents)
        that none of them names as a parent, sorted."""
        if closed is None:
            waiting = [*self.log.pending_envelopes(), *self._unconfirmed.values()]
            named = {p for env in waiting for p in env.parents}
            return sorted({*self.log.heads(), *(e.id for e in waiting)} - named)
        named = {p for m in closed if (env := self._find(m)) for p in env.parents}
        return sorted(closed - named)


def _parents_first(envs: list[Envelope]) -> list[bytes]:
    """``envs`` in the order given, except that one waits until every parent
    among them has been listed (a stable topological order)."""
    among = {e.id: e for e in envs}
    done: set[bytes] = set()
    out: list[bytes] = []
    waiting: dict[bytes, list[bytes]] = {}  # parent -> children waiting for it
    for env in envs:
        stack = [env.id]
        while stack:
            m = stack.pop()
            if m in done:
                continue
            blocker = next((p for p in among[m].parents if p in among and p not in done), None)
            if blocker is not None:
                waiting.setdefault(blocker, []).append(m)
                continue
            done.add(m)
            out.append(m)
            stack.extend(reversed(waiting.pop(m, [])))
    return out
