"""Who is a member of a body at any causal cut.

Theory of operation. Membership changes only by messages in the body's log,
each taking effect at one *trigger* message:

* genesis: the founders join (trigger: the genesis);
* an ADMIT motion that the body adopts: the key joins (trigger: the motion's
  effective close);
* a LEAVE whose member is its author: the member leaves at once (trigger:
  the LEAVE itself); a LEAVE naming someone else is a removal motion and
  takes effect at its effective close if adopted;
* a ROTATE_KEY with a valid proof by a current member: the membership moves
  to the new key (trigger: the ROTATE_KEY).

A member is tracked by an *identity*: the key it joined with. Rotation
changes the identity's current key, never the identity, so a rotated
member's votes still count once. The roster at a cut (a causally closed set
of message ids) applies, in replay order, exactly the events whose trigger
is in the cut; it depends only on the cut, so every node computes the same
roster for the same cut. The size cap is checked when an admission is
decided (the roster at the close's cut must be below the cap); concurrent
admissions decided on different branches can exceed it transiently, and no
further admission passes until the roster is below the cap again.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType


class Change(IntEnum):
    JOIN = 1
    LEAVE = 2
    ROTATE = 3


@dataclass(frozen=True, slots=True)
class RosterEvent:
    """One membership change, effective in every cut holding ``trigger``."""

    trigger: bytes
    change: Change
    identity: bytes
    key: bytes
    cause: bytes
    """The message that asked for it (genesis, motion, leave, rotation)."""


class Roster:
    """An immutable snapshot: identity -> current key."""

    __slots__ = ("_by_key", "_members")

    def __init__(self, members: Mapping[bytes, bytes]) -> None:
        self._members = MappingProxyType(dict(members))
        self._by_key = {k: i for i, k in self._members.items()}

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, identity: object) -> bool:
        return identity in self._members

    def __iter__(self) -> Iterator[bytes]:
        return iter(sorted(self._members))

    @property
    def members(self) -> Mapping[bytes, bytes]:
        return self._members

    def identities(self) -> frozenset[bytes]:
        return frozenset(self._members)

    def current_keys(self) -> frozenset[bytes]:
        return frozenset(self._by_key)

    def key_of(self, identity: bytes) -> bytes:
        return self._members[identity]

    def identity_of(self, key: bytes) -> bytes | None:
        return self._by_key.get(key)


class MembershipHistory:
    """Every membership event of a body in replay order, and the keys
    history (which identity a key belongs to, which rotation retired it)."""

    def __init__(self) -> None:
        self.events: list[RosterEvent] = []
        self._by_identity: dict[bytes, list[RosterEvent]] = {}
        self._identity_of_key: dict[bytes, bytes] = {}
        self._epoch: dict[bytes, int] = {}
        self.retired_by: dict[bytes, bytes] = {}
        """key -> the ROTATE_KEY message that moved its identity elsewhere."""
        self.rotated_in_by: dict[bytes, bytes] = {}
        """key -> the ROTATE_KEY message that made it an identity's key."""

    def add(self, event: RosterEvent) -> None:
        self.events.append(event)
        self._by_identity.setdefault(event.identity, []).append(event)
        if event.change in (Change.JOIN, Change.ROTATE):
            self._identity_of_key.setdefault(event.key, event.identity)
        if event.change == Change.ROTATE:
            self.rotated_in_by.setdefault(event.key, event.trigger)
            self._epoch.setdefault(event.key, len(self._rotations(event.identity)))

    def retire(self, key: bytes, rotation: bytes) -> None:
        self.retired_by.setdefault(key, rotation)

    def identity_of(self, key: bytes) -> bytes | None:
        """The identity a key ever belonged to (keys are never reused)."""
        return self._identity_of_key.get(key)

    def _rotations(self, identity: bytes) -> list[RosterEvent]:
        return [e for e in self._by_identity.get(identity, ()) if e.change == Change.ROTATE]

    def epoch_of(self, key: bytes) -> int:
        """0 for the key an identity joined with, n for its n-th rotation."""
        return self._epoch.get(key, 0)

    def known_key(self, key: bytes) -> bool:
        return key in self._identity_of_key

    def at(self, cut: Container[bytes]) -> Roster:
        """The roster of the cut (a causally closed set of message ids)."""
        members: dict[bytes, bytes] = {}
        for ev in self.events:
            if ev.trigger not in cut:
                continue
            if ev.change == Change.JOIN:
                members[ev.identity] = ev.key
            elif ev.change == Change.LEAVE:
                members.pop(ev.identity, None)
            elif ev.identity in members:
                members[ev.identity] = ev.key
        return Roster(members)

    def events_of(self, identity: bytes) -> tuple[RosterEvent, ...]:
        """The identity's events in replay order."""
        return tuple(self._by_identity.get(identity, ()))


ROTATE_DOMAIN = b"caracol/0 rotate\x00"


def rotation_proof_valid(body: bytes, old_key: bytes, new_key: bytes, proof: bytes) -> bool:
    """spec/kinds.md "The key rotation proof": the new key's signature over
    ``"caracol/0 rotate" 0x00 || body id || old key`` (strict Ed25519)."""
    import nacl.bindings
    import nacl.exceptions

    try:
        nacl.bindings.crypto_sign_open(proof + ROTATE_DOMAIN + body + old_key, new_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True
