"""One person, one Community (seed 004: "every person belongs to one
Community only"; spec/federation.md, "One person, one Community").

A higher body learns each constituent's roster from the full proof of its
verdict: the proof is the constituent's whole log up to the deciding close,
so its fold names every member, every key each member ever held (across key
rotation) and the message that made them a member. Two constituents'
memberships are **the same person** when their key histories share a key.
The earlier membership (by the claimed time of the message that began it,
then the smaller body id) is the person's; the later one does not count
upward: the later constituent's size leaves that member out, and its verdict
does not count when the member's vote in the deciding stage decided it.

Sans-IO: everything here reads folded logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .assembly import Assembly
from .kinds import Outcome
from .process_records import Cast, count_of
from .roster import Change
from .rules import Count, ProcessRules
from .stages import VOTING, Event, Stage


@dataclass(frozen=True, slots=True)
class Membership:
    """One member of one body at its verdict's deciding close."""

    body: bytes
    identity: bytes
    keys: frozenset[bytes]
    """Every key the member held in this body (the identity and rotations)."""
    since: int
    """Claimed time of the message that made them a member (genesis or the
    admission's effective close)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What a verdict rests on: the deciding stage's counted casts, and the
    planning support when it carried or was tabled."""

    outcome: Outcome
    stage: Stage
    counted: tuple[Cast, ...]
    planning: tuple[Cast, ...]
    electorate: int
    rules: ProcessRules
    voters: frozenset[bytes]
    """The identities of the subject's electorate."""


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Evidence: one person a member of two constituents."""

    key: bytes
    """A key both memberships hold (the smallest, if several)."""
    first: Membership
    second: Membership

    def describe(self) -> str:
        return (
            f"one person in two bodies: key {self.key.hex()[:16]}… is a member of "
            f"{self.first.body.hex()[:16]}… since {self.first.since} and of "
            f"{self.second.body.hex()[:16]}… since {self.second.since}; "
            f"the later membership does not count"
        )


def memberships(a: Assembly) -> tuple[Membership, ...]:
    """The body's current members with their key histories and start."""
    history = a.membership
    joined: dict[bytes, bytes] = {}
    keys: dict[bytes, set[bytes]] = {}
    for e in history.events:  # one pass: the latest JOIN of each identity
        if e.change == Change.JOIN:
            joined[e.identity] = e.trigger
        if e.change in (Change.JOIN, Change.ROTATE):
            keys.setdefault(e.identity, set()).add(e.key)
    out = []
    for identity in sorted(a.roster().members):
        start = joined.get(identity)
        since = a.log.get(start).time if start is not None and start in a.log else 0
        held = frozenset(keys.get(identity, ())) | {identity}
        out.append(Membership(a.body_id, identity, held, since))
    return tuple(out)


def decision(a: Assembly, subject: bytes) -> Decision | None:
    """The counted casts behind the subject's verdict (None: undecided)."""
    v = a.verdict(subject)
    if v is None:
        return None
    s = a.subject(subject)
    last = s.history[-1]
    if v.outcome == Outcome.PASSED:
        deciding = next(r for r in reversed(s.history[:-1]) if r.event == Event.PASSED)
    else:
        deciding = last
    planning = last.counted if last.stage == Stage.PLANNING else ()
    return Decision(
        v.outcome,
        deciding.stage,
        tuple(deciding.counted),
        tuple(planning),
        v.electorate,
        s.rules,
        s.electorate.identities(),
    )


def duplicates(members: Mapping[bytes, Iterable[Membership]]) -> tuple[Duplicate, ...]:
    """Every person who is a member of two of the bodies: (first, second)
    by start time, then body id; one entry per pair of memberships."""
    by_key: dict[bytes, list[Membership]] = {}
    for ms in members.values():
        for m in ms:
            for k in m.keys:
                by_key.setdefault(k, []).append(m)
    seen: dict[tuple[bytes, bytes, bytes, bytes], bytes] = {}
    for k, ms in sorted(by_key.items()):
        for i, x in enumerate(ms):
            for y in ms[i + 1 :]:
                if x.body == y.body:
                    continue
                first, second = sorted((x, y), key=lambda m: (m.since, m.body))
                pair = (first.body, first.identity, second.body, second.identity)
                seen.setdefault(pair, k)
    out = []
    index = {(m.body, m.identity): m for ms in members.values() for m in ms}
    for (b1, i1, b2, i2), k in sorted(seen.items()):
        out.append(Duplicate(k, index[(b1, i1)], index[(b2, i2)]))
    return tuple(out)


def without(d: Decision, identities: frozenset[bytes]) -> Outcome:
    """The outcome the decision gives when ``identities`` are not members:
    their votes removed and the electorate smaller by those in it."""
    gone = len(identities & d.voters)
    electorate = max(0, d.electorate - gone)

    def count(casts: tuple[Cast, ...]) -> Count:
        kept = [c for c in casts if c.identity not in identities]
        return count_of(kept, electorate)

    if d.outcome == Outcome.TABLED:
        support = count(d.planning)
        held = support.share_met(d.rules.contention_threshold)
        return Outcome.PASSED if held else Outcome.TABLED
    passed = count(d.counted).passes(d.rules.threshold(VOTING[d.stage]), d.rules.quorum)
    if d.outcome == Outcome.PASSED:
        if not passed:
            return Outcome.FAILED
        if d.planning and not count(d.planning).share_met(d.rules.contention_threshold):
            return Outcome.TABLED
        return Outcome.PASSED
    return Outcome.PASSED if passed else Outcome.FAILED


__all__ = [
    "Decision",
    "Duplicate",
    "Membership",
    "decision",
    "duplicates",
    "memberships",
    "without",
]
