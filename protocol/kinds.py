"""Every message kind of protocol version 0 and its payload schema.

A kind is a small integer on the wire (the envelope's first field) and a
frozen dataclass here. The payload is an array of the dataclass's fields in
declaration order, each checked against the type in the kind's ``SCHEMA``.
Nothing the receiver can derive is sent: a vote names its subject and its
choice, not its stage (the stage follows from its causal past, see
spec/process.md).

Versioning (spec/kinds.md): a kind's payload never changes shape; a new
shape is a new kind number. A known kind with extra or missing fields is
rejected. An unknown kind whose envelope and payload are otherwise valid
canonical msgpack decodes to ``Unknown`` and is stored and relayed but not
folded, so older nodes carry newer messages.

The process rules (who may send what, when) live in the assembly process
fold (a justice council's in ``protocol.justice``), not here; this module
only says what a well-formed message is.

Layout: the kind numbers, field enums, shared field types and the
``Payload`` base are ``protocol.payload``; a body's own kinds are
``protocol.process_kinds``, the kinds between bodies and of justice councils
``protocol.federation_kinds``. Every name is imported from here.
"""

from __future__ import annotations

from dataclasses import fields

from .canonical import Value
from .errors import WrongLength, WrongType
from .federation_kinds import (
    ARTICLE,
    MAX_ARTICLE_CHANGES,
    MAX_CONSTITUENTS,
    MAX_MATTER,
    MAX_PARTIES,
    Case,
    ConstituentAdmit,
    ConstitutionAdoption,
    ConstitutionInitiative,
    CouncilCharter,
    Dispute,
    DisputeResponse,
    Escalation,
    Founding,
    Mediation,
    Pertinent,
    Plan,
    Ratification,
)
from .payload import (
    ID,
    KEY,
    MAX_FOUNDERS,
    MAX_PARAMS,
    MAX_RUN_BYTES,
    MAX_TEXT_OPS,
    PARAM,
    PARAMS,
    POSITION,
    SIG,
    TEXT_OP,
    TEXT_OPS,
    BodyKind,
    Choice,
    Kind,
    MediationOutcome,
    Outcome,
    Payload,
    Stance,
    Unknown,
)
from .process_kinds import (
    MAX_HANDS,
    MAX_PRESENT,
    MAX_WITNESSES,
    WITNESS,
    Admit,
    Agreement,
    Amendment,
    AmendmentVote,
    Close,
    Comment,
    ConstitutionAmendment,
    DelegateElect,
    Genesis,
    Grievance,
    HandCount,
    HandCountContest,
    Leave,
    Mandate,
    Name,
    Plea,
    Proposal,
    RecallVote,
    RotateKey,
    TextEdit,
    Verdict,
    Vote,
)

__all__ = [
    "ARTICLE",
    "ID",
    "KEY",
    "MAX_ARTICLE_CHANGES",
    "MAX_CONSTITUENTS",
    "MAX_FOUNDERS",
    "MAX_HANDS",
    "MAX_MATTER",
    "MAX_PARAMS",
    "MAX_PARTIES",
    "MAX_PRESENT",
    "MAX_RUN_BYTES",
    "MAX_TEXT_OPS",
    "MAX_WITNESSES",
    "PARAM",
    "PARAMS",
    "PAYLOADS",
    "POSITION",
    "SIG",
    "TEXT_OP",
    "TEXT_OPS",
    "WITNESS",
    "Admit",
    "Agreement",
    "Amendment",
    "AmendmentVote",
    "BodyKind",
    "Case",
    "Choice",
    "Close",
    "Comment",
    "ConstituentAdmit",
    "ConstitutionAdoption",
    "ConstitutionAmendment",
    "ConstitutionInitiative",
    "CouncilCharter",
    "DelegateElect",
    "Dispute",
    "DisputeResponse",
    "Escalation",
    "Founding",
    "Genesis",
    "Grievance",
    "HandCount",
    "HandCountContest",
    "Kind",
    "Leave",
    "Mandate",
    "Mediation",
    "MediationOutcome",
    "Name",
    "Outcome",
    "Payload",
    "Pertinent",
    "Plan",
    "Plea",
    "Proposal",
    "Ratification",
    "RecallVote",
    "RotateKey",
    "Stance",
    "TextEdit",
    "Unknown",
    "Verdict",
    "Vote",
    "payload_from_wire",
]


PAYLOADS: dict[int, type[Payload]] = {
    cls.KIND: cls
    for cls in (
        Genesis,
        Admit,
        Leave,
        RotateKey,
        Proposal,
        Comment,
        Vote,
        Grievance,
        DelegateElect,
        Plea,
        Agreement,
        Amendment,
        AmendmentVote,
        Close,
        Verdict,
        Mandate,
        RecallVote,
        ConstitutionAmendment,
        TextEdit,
        Name,
        Founding,
        ConstituentAdmit,
        ConstitutionInitiative,
        Ratification,
        ConstitutionAdoption,
        Dispute,
        Mediation,
        Escalation,
        DisputeResponse,
        Case,
        Plan,
        CouncilCharter,
        Pertinent,
        HandCount,
        HandCountContest,
    )
}

for _cls in PAYLOADS.values():
    assert tuple(f.name for f in fields(_cls)) == tuple(n for n, _ in _cls.SCHEMA), _cls  # type: ignore[arg-type]


def payload_from_wire(kind: int, value: Value) -> Payload:
    """Check a decoded payload array against its kind's schema (untrusted)."""
    cls = PAYLOADS.get(kind)
    if type(value) is not tuple:
        raise WrongType("payload must be an array", field="payload")
    if cls is None:
        return Unknown(kind, value)
    schema = cls.SCHEMA
    if len(value) != len(schema):
        raise WrongLength(
            f"{Kind(kind).name.lower()} payload has {len(value)} fields, expected {len(schema)}",
            field="payload",
        )
    args = [t.check(v, f"payload.{n}") for (n, t), v in zip(schema, value, strict=True)]
    return cls(*args)
