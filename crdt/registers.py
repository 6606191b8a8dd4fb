"""Registers and sets resolved by the causal order of a log.

These are the small CRDTs the assembly process folds with: a member's vote
in a stage (a register: the causally latest write wins), membership (a set
with admission and removal). They are *derived* from the log, never sent:
each write is a message id plus a value, and conflicts are resolved with the
log's own ancestry, so every node holding the same messages resolves them
the same way.

A write is *superseded* when another write to the same register has it in
its causal past. The writes no other write supersedes are the *maximal*
ones; with one maximal write there is no conflict. Two or more maximal writes
are concurrent: the register still resolves deterministically (the one
latest in replay order wins) and reports the conflict, so the process can
apply its own rule (for example, treat concurrent conflicting votes by one
key as equivocation).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)

Ancestry = Callable[[bytes, bytes], bool]
"""``is_ancestor(a, b)``: True when message a is in the causal past of b."""


@dataclass(frozen=True, slots=True)
class Resolved(Generic[V]):
    value: V
    winner: bytes
    concurrent: tuple[bytes, ...]
    """Ids of every maximal write (more than one means a conflict)."""

    @property
    def conflict(self) -> bool:
        return len(self.concurrent) > 1


@dataclass
class CausalRegister(Generic[V]):
    """A multi-value register; writes are added in replay order."""

    writes: list[tuple[bytes, V]] = field(default_factory=list)

    def write(self, mid: bytes, value: V) -> None:
        self.writes.append((mid, value))

    def resolve(self, is_ancestor: Ancestry) -> Resolved[V] | None:
        if not self.writes:
            return None
        maximal = [
            (mid, value)
            for i, (mid, value) in enumerate(self.writes)
            if not any(is_ancestor(mid, later) for later, _ in self.writes[i + 1 :])
        ]
        # Writes arrive in replay order, which is topological: an earlier write
        # is never a descendant of a later one, so checking later ones suffices.
        winner, value = maximal[-1]
        return Resolved(value, winner, tuple(m for m, _ in maximal))


@dataclass
class ObservedRemoveSet(Generic[K]):
    """A set where a removal removes exactly the additions it has seen (in its
    causal past); an addition concurrent with a removal survives (add wins)."""

    adds: dict[K, list[bytes]] = field(default_factory=dict)
    removes: dict[K, list[bytes]] = field(default_factory=dict)

    def add(self, element: K, mid: bytes) -> None:
        self.adds.setdefault(element, []).append(mid)

    def remove(self, element: K, mid: bytes) -> None:
        self.removes.setdefault(element, []).append(mid)

    def live_adds(self, element: K, is_ancestor: Ancestry) -> list[bytes]:
        removals = self.removes.get(element, [])
        return [
            a for a in self.adds.get(element, []) if not any(is_ancestor(a, r) for r in removals)
        ]

    def contains(self, element: K, is_ancestor: Ancestry) -> bool:
        return bool(self.live_adds(element, is_ancestor))

    def elements(self, is_ancestor: Ancestry) -> set[K]:
        return {e for e in self.adds if self.contains(e, is_ancestor)}
