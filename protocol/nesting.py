"""Nested verdicts: Communities into Municipalities, Municipalities into
Regions, Regions into the Collective.

A Community's full proof (``protocol.verdict``) shows what it decided on a
resolution of its *parent*. One level up, a Municipality presents a
Region's resolution to its Communities as its own PROPOSAL naming the
Region's resolution (``origin_body``, ``origin_proposal``); its Communities
decide that proposal; the Municipality's verdict is their combination under
the constitution's rule (``protocol.federation``). A ``LevelProof`` carries
exactly that: the Municipality's signed presenting PROPOSAL and the proofs
of its members (full proofs of Communities, or further ``LevelProof``s of
lower bodies). A verifier re-derives every level from signed votes; nothing
is taken on trust except the *structure* of the federation — which bodies
are constituents of which — that every node derives from each higher
body's constituency (``protocol.constituents``) and passes in as
``structure``.

Sans-IO: values in, verdicts and ``ProofError`` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import canonical, envelope
from .errors import ProtocolError
from .federal import text_hash
from .federation import Federation, FederationVerdict, Standing
from .kinds import Kind, Outcome, Proposal
from .rules import ProcessRules
from .verdict import PROOF_VERSION, CommunityVerdict, FullProof, ProofError

MAX_DEPTH = 4  # Community < Municipality < Region < Collective
MAX_LEVEL_PROOF_BYTES = 512 * 1024 * 1024
MAX_PARTS = 100_000


@dataclass(frozen=True, slots=True)
class LevelProof:
    """A member body's verdict on a higher body's resolution, as the proofs
    of its own members on the proposal that presented it."""

    body: bytes
    presenting: bytes
    """Raw signed PROPOSAL of ``body`` naming the higher body's resolution."""
    parts: tuple[FullProof | LevelProof, ...]

    def encode(self) -> bytes:
        """``[0, body, presenting, [[tag, bytes], ...]]``: tag 0 a full proof,
        tag 1 a level proof, each part in its own encoding (so nesting never
        deepens the canonical value)."""
        parts = tuple(
            (0, p.encode()) if isinstance(p, FullProof) else (1, p.encode()) for p in self.parts
        )
        return canonical.encode((PROOF_VERSION, self.body, self.presenting, parts))

    @classmethod
    def decode_untrusted(cls, data: bytes, *, depth: int = 0) -> LevelProof:
        if depth > MAX_DEPTH:
            raise ProofError(f"level proofs nested deeper than {MAX_DEPTH} levels")
        try:
            value = canonical.decode(data, max_bytes=MAX_LEVEL_PROOF_BYTES)
        except ProtocolError as exc:
            raise ProofError(f"a level proof is not canonical: {exc}") from None
        if (
            type(value) is not tuple
            or len(value) != 4
            or type(value[0]) is not int
            or value[0] != PROOF_VERSION
        ):
            raise ProofError("a level proof is [0, body, presenting, [[tag, part], ...]]")
        _, body, presenting, raw_parts = value
        if type(body) is not bytes or len(body) != 32:
            raise ProofError("the body id is 32 bytes")
        if type(presenting) is not bytes:
            raise ProofError("the presenting proposal is a bin")
        if type(raw_parts) is not tuple or len(raw_parts) > MAX_PARTS:
            raise ProofError(f"the parts are an array of at most {MAX_PARTS}")
        parts: list[FullProof | LevelProof] = []
        for i, item in enumerate(raw_parts):
            if (
                type(item) is not tuple
                or len(item) != 2
                or type(item[0]) is not int
                or item[0] not in (0, 1)
                or type(item[1]) is not bytes
            ):
                raise ProofError(f"part {i} is not [0 or 1, bin]")
            if item[0] == 0:
                parts.append(FullProof.decode_untrusted(item[1]))
            else:
                parts.append(cls.decode_untrusted(item[1], depth=depth + 1))
        return cls(body, presenting, tuple(parts))


def _part_body(part: FullProof | LevelProof) -> bytes:
    return part.community if isinstance(part, FullProof) else part.body


def federate(
    body: bytes,
    resolution: bytes,
    parts: tuple[FullProof | LevelProof, ...],
    structure: Mapping[bytes, frozenset[bytes]],
    rules: ProcessRules | None = None,
    *,
    depth: int = 0,
    text: bytes | None = None,
) -> Federation:
    """``body``'s view of ``resolution`` after verifying every part.

    Raises ``ProofError`` naming the first part that is forged, about
    another resolution, from a non-member or given twice."""
    if depth > MAX_DEPTH:
        raise ProofError(f"proofs nested deeper than {MAX_DEPTH} levels")
    if body not in structure:
        raise ProofError(f"body {body.hex()[:16]}… is not in the known federation structure")
    rules = rules or ProcessRules()
    fed = Federation(body, resolution, structure[body], rules=rules, text=text)
    for i, part in enumerate(parts):
        member = _part_body(part)
        where = f"part {i} (body {member.hex()[:16]}…)"
        if member not in fed.members:
            raise ProofError(f"{where}: not a member of body {body.hex()[:16]}…")
        if member in fed.proven:
            raise ProofError(f"{where}: a second proof for the same member")
        try:
            if isinstance(part, FullProof):
                fed.receive_proof(part)
            else:
                fed.proven[member] = verify_level_proof(
                    part,
                    higher_body=body,
                    resolution=resolution,
                    structure=structure,
                    rules=rules,
                    depth=depth + 1,
                )
        except ProofError as exc:
            raise ProofError(f"{where}: {exc}") from None
    return fed


def verify_level_proof(
    proof: LevelProof,
    *,
    higher_body: bytes,
    resolution: bytes,
    structure: Mapping[bytes, frozenset[bytes]],
    rules: ProcessRules | None = None,
    depth: int = 0,
) -> CommunityVerdict:
    """Re-derive a member body's verdict on ``higher_body``'s ``resolution``.

    The result is stated as a ``CommunityVerdict`` of ``proof.body`` (its
    ``proposal`` and ``close`` are the presenting proposal's id; its counts
    are member bodies for, against, and the number of member bodies), so
    the level above combines it exactly like a Community's verdict."""
    if proof.body not in structure.get(higher_body, frozenset()):
        raise ProofError("the body is not a member of the higher body")
    try:
        env = envelope.open_untrusted(proof.presenting, proof.body)
    except ProtocolError as exc:
        raise ProofError(f"the presenting proposal is invalid: {exc.code}: {exc}") from None
    p = env.payload
    if env.kind != Kind.PROPOSAL or not isinstance(p, Proposal):
        raise ProofError("the presenting message is not a PROPOSAL")
    if p.origin_body != higher_body or p.origin_proposal != resolution:
        raise ProofError("the presenting proposal names another resolution")
    decided = text_hash(p.text)  # the members decide the text this body presented
    fed = federate(proof.body, env.id, proof.parts, structure, rules, depth=depth, text=decided)
    result = fed.combine()
    if result.standing == Standing.PENDING:
        raise ProofError(
            f"undecided: {result.decided} of {result.members} members proven, "
            f"{result.count.votes_for} for"
        )
    return CommunityVerdict(
        proof.body,
        higher_body,
        resolution,
        env.id,
        env.id,
        Outcome.PASSED if result.standing == Standing.PASSED else Outcome.FAILED,
        result.count.votes_for,
        result.count.votes_against,
        0,
        result.members,
        decided,
    )


def combine_levels(
    body: bytes,
    resolution: bytes,
    parts: tuple[FullProof | LevelProof, ...],
    structure: Mapping[bytes, frozenset[bytes]],
    rules: ProcessRules | None = None,
    *,
    text: bytes | None = None,
) -> FederationVerdict:
    """The top body's verdict on its own resolution (of text hash ``text``)
    from its members' proofs."""
    return federate(body, resolution, parts, structure, rules, text=text).combine()
