"""Display names: who people are, in words rather than keys.

A member names themself with a NAME message; their latest one counts (the
highest (rotation epoch, sequence number), which orders an honest member's
messages as causality does). A member can also be *introduced*: the
genesis author introduces founders with NAME messages about their keys, and
an adopted ADMIT introduces the member it admitted by the name it gave. A
member's own name always wins over an introduction. Names follow the
identity through key rotation. spec/process.md, "Names".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NameRecord:
    name: str
    source: str
    """``self``, ``founding`` (introduced by the genesis author) or
    ``admission`` (the name the adopted ADMIT gave)."""
    message: bytes


class Names:
    """The display names of one body's identities (fed by the assembly fold)."""

    def __init__(self) -> None:
        self._own: dict[bytes, tuple[tuple[int, int], NameRecord]] = {}
        self._introduced: dict[bytes, NameRecord] = {}

    def own(self, identity: bytes, order: tuple[int, int], name: str, message: bytes) -> None:
        """The identity named itself; ``order`` is (epoch, seq) of the message."""
        held = self._own.get(identity)
        if held is None or order > held[0]:
            self._own[identity] = (order, NameRecord(name, "self", message))

    def introduce(self, identity: bytes, name: str, source: str, message: bytes) -> None:
        """Someone else gave the identity a name; a later introduction replaces
        an earlier one, an own name hides both."""
        if name:
            self._introduced[identity] = NameRecord(name, source, message)

    def of(self, identity: bytes) -> NameRecord | None:
        held = self._own.get(identity)
        return held[1] if held is not None else self._introduced.get(identity)

    def all(self) -> dict[bytes, NameRecord]:
        out = dict(self._introduced)
        out.update({i: r for i, (_, r) in self._own.items()})
        return dict(sorted(out.items()))

    def summary(self) -> tuple[tuple[bytes, str, str, bytes], ...]:
        return tuple((i, r.name, r.source, r.message) for i, r in self.all().items())
