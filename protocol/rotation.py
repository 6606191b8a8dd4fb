"""Facilitation rotates: who closes the stages of a proposal or motion.

The facilitator of a subject is a pure function of the subject's id and the
electorate at the subject's causal cut (the roster every voter is checked
against), so anyone holding the log can recompute and verify it:

    candidates = electorate identities, sorted as bytes, without the author
                 (unless the author is the only member)
    h          = SHA-256("caracol/0 facilitator" 0x00 || subject id)
    facilitator = candidates[int.from_bytes(h, "big") mod len(candidates)]

The proposer never facilitates their own proposal. An author can re-sign a
proposal (another time, other parents) to draw another facilitator; that
costs little but is visible in the log, and a vanished or partial
facilitator cannot block anything: after the stage's deadline a quorum of
members closes the stage without them (spec/process.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .errors import LocalProtocolError

DOMAIN = b"caracol/0 facilitator\x00"


def facilitator(subject: bytes, electorate: Iterable[bytes], author: bytes) -> bytes:
    """The identity that facilitates ``subject`` (see the module docstring)."""
    members = sorted(set(electorate))
    if not members:
        raise LocalProtocolError("an empty electorate has no facilitator", field="electorate")
    candidates = [m for m in members if m != author] or members
    h = int.from_bytes(hashlib.sha256(DOMAIN + subject).digest(), "big")
    return candidates[h % len(candidates)]
