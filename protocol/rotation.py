"""Facilitation rotates: who closes the stages of a proposal or motion, and
who takes its minutes and mediates it at a face-to-face assembly.

Seed 002 asks for rotation, not a lottery: nobody facilitates twice before
everyone eligible has once. The facilitator of a subject is a pure function
of the subject's causal past, so anyone holding the log recomputes it:

    served(i)   = subjects in past(subject) that identity i facilitated
    candidates  = electorate identities without the subject's author
                  (unless the author is the only member)
    order(i)    = SHA-256("caracol/0 rotation" 0x00 || body id || i)
    facilitator = the candidate with the least served(i), ties by the
                  least order(i) (as bytes)

The subject's own id plays no part, so re-signing a proposal (another time,
another salt) cannot redraw its facilitator; the order is fixed per body
and per member, so no one chooses their place in it. Along any causal chain
of subjects every eligible member facilitates once before anyone twice;
subjects opened concurrently (neither in the other's past) may draw the
same member, which the next subject evens out. A vanished facilitator still
cannot block anything: after the deadline a quorum of members closes the
stage without them (spec/process.md §5).

The minute-taker and the mediator rotate the same way, each by its own
count, drawn after the facilitator from the members who hold no role in the
subject yet (``roles``; spec/process.md §3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from .errors import LocalProtocolError

DOMAIN = b"caracol/0 rotation\x00"


def rotation_order(body: bytes, identity: bytes) -> bytes:
    """A member's fixed place in the body's rotation (ties only)."""
    return hashlib.sha256(DOMAIN + body + identity).digest()


def facilitator(
    body: bytes,
    electorate: Iterable[bytes],
    author: bytes,
    served: Mapping[bytes, int],
) -> bytes:
    """The identity that facilitates a new subject (see the module docstring);
    ``served`` counts the facilitations in the subject's causal past."""
    members = sorted(set(electorate))
    if not members:
        raise LocalProtocolError("an empty electorate has no facilitator", field="electorate")
    candidates = [m for m in members if m != author] or members
    return min(candidates, key=lambda m: (served.get(m, 0), rotation_order(body, m)))


ROLES = ("facilitator", "minute_taker", "mediator")
"""Seed 002: "rotate facilitators, minute-takers and mediators"."""


def roles(
    body: bytes,
    electorate: Iterable[bytes],
    author: bytes,
    served: Mapping[str, Mapping[bytes, int]],
) -> dict[str, bytes]:
    """The facilitator, minute-taker and mediator of a new subject, in that
    order: each the candidate who has served least *in that role* in the
    subject's causal past (ties by ``rotation_order``), the candidates being
    the electorate without the author and without the roles already drawn
    for this subject (dropped in that order while too few remain)."""
    members = sorted(set(electorate))
    out = {"facilitator": facilitator(body, members, author, served.get("facilitator", {}))}
    for role in ROLES[1:]:
        taken = set(out.values())
        candidates = (
            [m for m in members if m != author and m not in taken]
            or [m for m in members if m not in taken]
            or [m for m in members if m != author]
            or members
        )
        counts = served.get(role, {})
        out[role] = min(candidates, key=lambda m: (counts.get(m, 0), rotation_order(body, m)))
    return out
