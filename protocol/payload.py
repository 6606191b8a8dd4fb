"""What every message kind shares: its number, the enums its fields carry,
the field types several kinds reuse, the ``Payload`` base and ``Unknown``,
the payload of a kind this version does not know.

The payload classes themselves are in ``protocol.process_kinds`` (a body's
own process) and ``protocol.federation_kinds`` (between bodies, and justice
councils); ``protocol.kinds`` gathers them, decodes payloads and is where
the rest of the code imports them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from .canonical import Value
from .schema import Bin as _Bin
from .schema import FieldType, List, Opt, Tagged, Text, Tuple, UInt

ID = _Bin(32)
KEY = _Bin(32)
SIG = _Bin(64)

MAX_FOUNDERS = 150
MAX_PARAMS = 64
MAX_TEXT_OPS = 64
MAX_RUN_BYTES = 4096


class Kind(IntEnum):
    GENESIS = 1
    ADMIT = 2
    LEAVE = 3
    ROTATE_KEY = 4
    PROPOSAL = 5
    COMMENT = 6
    VOTE = 7
    GRIEVANCE = 8
    DELEGATE_ELECT = 9
    PLEA = 10
    AGREEMENT = 11
    AMENDMENT = 12
    AMENDMENT_VOTE = 13
    CLOSE = 14
    VERDICT = 15
    MANDATE = 16
    RECALL_VOTE = 17
    CONSTITUTION_AMENDMENT = 18
    TEXT_EDIT = 19
    NAME = 20
    FOUNDING = 21
    CONSTITUENT_ADMIT = 22
    CONSTITUTION_INITIATIVE = 23
    RATIFICATION = 24
    CONSTITUTION_ADOPTION = 25
    DISPUTE = 26
    MEDIATION = 27
    ESCALATION = 28
    DISPUTE_RESPONSE = 29
    CASE = 30
    PLAN = 31
    COUNCIL_CHARTER = 32
    PERTINENT = 33
    HAND_COUNT = 40
    HAND_COUNT_CONTEST = 41


class BodyKind(IntEnum):
    WORKPLACE = 1
    COMMUNITY = 2
    MUNICIPALITY = 3
    REGION = 4
    COLLECTIVE = 5
    JUSTICE_COUNCIL = 6
    """A Community Justice Council (seed 004): a body under a Community whose
    members the Community elects by mandate (spec/justice.md)."""


class Choice(IntEnum):
    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


class Stance(IntEnum):
    NEUTRAL = 0
    SUPPORT = 1
    OPPOSE = 2


class Outcome(IntEnum):
    PASSED = 1
    FAILED = 2
    TABLED = 3


class MediationOutcome(IntEnum):
    SETTLED = 1
    UNRESOLVED = 2


# A constitution parameter: (parameter number, numerator, denominator).
# Integers are n/1; fractions stay exact so "2/3" means exactly two thirds.
PARAM = Tuple(("param", UInt(0xFFFF)), ("num", UInt(2**32 - 1)), ("den", UInt(2**32 - 1, 1)))
PARAMS = List(PARAM, maximum=MAX_PARAMS, ascending=True, sort_key=lambda p: p[0])

# A character position in a text document: (id of the message that inserted
# it, offset of the character within that message's inserted text).
POSITION = Tuple(("msg", ID), ("offset", UInt(2**20)))
TEXT_OP = Tagged(
    {
        0: (
            "insert",
            Tuple(
                ("left", Opt(POSITION)),
                ("right", Opt(POSITION)),
                ("text", Text(MAX_RUN_BYTES, min_bytes=1)),
            ),
        ),
        1: (
            "delete",
            Tuple(("start", POSITION), ("length", UInt(2**20, 1))),
        ),
    }
)
TEXT_OPS = List(TEXT_OP, maximum=MAX_TEXT_OPS, minimum=1)


class Payload:
    """Base of every payload dataclass."""

    KIND: ClassVar[int]
    SCHEMA: ClassVar[tuple[tuple[str, FieldType], ...]]

    def to_wire(self) -> Value:
        return tuple(t.to_wire(getattr(self, n)) for n, t in self.SCHEMA)


@dataclass(frozen=True, slots=True)
class Unknown(Payload):
    """A kind this version does not know: kept and relayed, never folded."""

    kind: int
    value: tuple[Any, ...]
    SCHEMA = ()

    def to_wire(self) -> Value:
        return self.value
