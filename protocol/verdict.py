"""Community Verdicts on higher-level resolutions, and their proofs.

When a Municipality (Region, the Collective) decides a resolution, each
member Community presents it as a local PROPOSAL naming the resolution
(``origin_body``, ``origin_proposal``), runs its own process, and reaches a
Community Verdict. The higher body must be able to check that verdict
without holding the Community's whole log, over the internet or a radio.

* A **full proof** is the causal cut of the close that decided the verdict:
  the Community's genesis, its membership history, the proposal, every vote
  and close — exactly the messages the verdict was computed from, and the
  roster snapshot they imply — and nothing later. Because the cut is
  causally closed, a verifier rebuilds a DAG from it, folds the same
  assembly rules the Community folded, and must reach the same verdict.
  Nothing in it can be forged: every message is signed by a member, and
  the verdict is re-derived, never taken on trust.
* A **compact attestation** is the verdict statement co-signed by k members
  (k from the rules): about 700 bytes for k = 5, small enough for a few LoRa
  frames. It is accepted provisionally; when the full proof arrives, a
  statement that does not match it is *refuted*, and the refutation names
  the signers as evidence.

Sans-IO: bytes in, verdicts and errors out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nacl.bindings
import nacl.exceptions

from crdt.log import Log

from . import canonical, envelope
from .assembly import Assembly
from .errors import ProtocolError, RemoteProtocolError
from .federal import text_hash
from .keys import public_key, sign_raw
from .kinds import Close, Genesis, Kind, Outcome, Proposal
from .rules import ProcessRules

ATTEST_DOMAIN = b"caracol/0 attest\x00"
PROOF_VERSION = 0
MAX_PROOF_MESSAGES = 100_000


class ProofError(RemoteProtocolError):
    """A verdict proof or attestation does not establish what it claims."""

    code = "bad_proof"


@dataclass(frozen=True, slots=True)
class CommunityVerdict:
    """What a Community decided on a higher body's resolution."""

    community: bytes
    higher_body: bytes
    resolution: bytes
    proposal: bytes
    close: bytes
    outcome: Outcome
    votes_for: int
    votes_against: int
    abstentions: int
    electorate: int
    text: bytes = bytes(32)
    """``text_hash`` of the exact text decided (the presenting proposal's
    text after the Community's adopted amendments): the higher body counts
    FOR only verdicts on its resolution's own text."""

    def statement(self) -> tuple[Any, ...]:
        return (
            self.community,
            self.higher_body,
            self.resolution,
            self.proposal,
            self.close,
            int(self.outcome),
            self.votes_for,
            self.votes_against,
            self.abstentions,
            self.electorate,
            self.text,
        )

    def statement_bytes(self) -> bytes:
        return canonical.encode(self.statement())

    @classmethod
    def from_statement(cls, value: Any) -> CommunityVerdict:
        if type(value) is not tuple or len(value) != 11:
            raise ProofError("a verdict statement is an array of 11 fields")
        ids = value[:5]
        if not all(type(x) is bytes and len(x) == 32 for x in ids):
            raise ProofError("a verdict statement starts with five 32-byte ids")
        nums = value[5:10]
        if not all(type(x) is int and 0 <= x < 2**32 for x in nums):
            raise ProofError("a verdict statement has five counts after its ids")
        text = value[10]
        if type(text) is not bytes or len(text) != 32:
            raise ProofError("a verdict statement ends with the 32-byte hash of the text decided")
        try:
            outcome = Outcome(nums[0])
        except ValueError:
            raise ProofError(f"unknown outcome {nums[0]}") from None
        community, higher, resolution, proposal, close = ids
        votes_for, votes_against, abstentions, electorate = nums[1:]
        return cls(
            community,
            higher,
            resolution,
            proposal,
            close,
            outcome,
            votes_for,
            votes_against,
            abstentions,
            electorate,
            text,
        )


def presented(assembly: Assembly, higher_body: bytes, resolution: bytes) -> bytes | None:
    """The Community proposal whose verdict on a higher body's resolution
    counts (spec/federation.md, "Presenting a resolution"): the last one in
    replay order whose process has ended — a Community may decide a
    resolution again, as when the higher body amended its text — and while
    none has, the first one."""
    first: bytes | None = None
    decided: bytes | None = None
    for sid in assembly.proposals():
        p = assembly.subject(sid).payload
        if (
            isinstance(p, Proposal)
            and p.origin_body == higher_body
            and p.origin_proposal == resolution
        ):
            first = first or sid
            if assembly.verdict(sid) is not None:
                decided = sid
    return decided or first


def statement_json(v: CommunityVerdict) -> dict[str, Any]:
    """A verdict statement in the harness's JSON form (spec/harness.md,
    ``verdict_proof``; the vectors of verdicts.json): ids in hex, the
    outcome as its number."""
    return {
        "community": v.community.hex(),
        "higher_body": v.higher_body.hex(),
        "resolution": v.resolution.hex(),
        "proposal": v.proposal.hex(),
        "close": v.close.hex(),
        "outcome": int(v.outcome),
        "votes_for": v.votes_for,
        "votes_against": v.votes_against,
        "abstentions": v.abstentions,
        "electorate": v.electorate,
        "text": v.text.hex(),
    }


def community_verdict(
    assembly: Assembly, higher_body: bytes, resolution: bytes
) -> CommunityVerdict | None:
    """The Community's verdict on the resolution, once its process ended."""
    sid = presented(assembly, higher_body, resolution)
    if sid is None:
        return None
    v = assembly.verdict(sid)
    if v is None:
        return None
    return CommunityVerdict(
        assembly.body_id,
        higher_body,
        resolution,
        sid,
        v.close,
        v.outcome,
        v.count.votes_for,
        v.count.votes_against,
        v.count.abstentions,
        v.electorate,
        text_hash(assembly.text(sid) or ""),
    )


# --- full proofs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FullProof:
    community: bytes
    messages: tuple[bytes, ...]  # raw, genesis first, in replay order

    def encode(self) -> bytes:
        return canonical.encode((PROOF_VERSION, self.community, self.messages))

    @classmethod
    def decode_untrusted(cls, data: bytes) -> FullProof:
        try:
            value = canonical.decode(data, max_bytes=64 * 1024 * 1024)
        except ProtocolError as exc:
            raise ProofError(f"a full proof is not canonical: {exc}") from None
        if type(value) is not tuple or len(value) != 3 or not _is_version(value[0]):
            raise ProofError("a full proof is [0, community, [message, ...]]")
        _, community, messages = value
        if type(community) is not bytes or len(community) != 32:
            raise ProofError("the community id is 32 bytes")
        if type(messages) is not tuple or not all(type(m) is bytes for m in messages):
            raise ProofError("the messages are an array of bin")
        if len(messages) > MAX_PROOF_MESSAGES:
            raise ProofError(f"more than {MAX_PROOF_MESSAGES} messages")
        return cls(community, messages)


def make_full_proof(log: Log, verdict: CommunityVerdict) -> FullProof:
    """The causal cut of the deciding close, in replay order."""
    cut = log.causal_past(verdict.close) | {verdict.close}
    return FullProof(log.body, tuple(log.get(m).raw for m in log.order() if m in cut))


def decided_resolution(proof: FullProof) -> tuple[bytes, bytes]:
    """``(higher_body, resolution)`` the proof's deciding close is about:
    the last message is the close; its subject is the presenting PROPOSAL."""
    if not proof.messages:
        raise ProofError("an empty proof")
    try:
        close = envelope.open_untrusted(proof.messages[-1], proof.community)
    except ProtocolError as exc:
        raise ProofError(f"the last message is invalid: {exc.code}: {exc}") from None
    if close.kind != Kind.CLOSE:
        raise ProofError("the last message of a proof is the deciding CLOSE")
    subject = close.payload_as(Close).subject
    for raw in proof.messages[1:-1]:
        if envelope.message_id(raw) == subject:
            try:
                p = envelope.open_untrusted(raw, proof.community).payload
            except ProtocolError as exc:
                raise ProofError(f"the presenting proposal is invalid: {exc}") from None
            if isinstance(p, Proposal) and p.origin_body is not None and p.origin_proposal:
                return p.origin_body, p.origin_proposal
            break
    raise ProofError("the deciding close is not about a proposal presenting a resolution")


def verify_full_proof(
    proof: FullProof,
    *,
    higher_body: bytes,
    resolution: bytes,
    rules: ProcessRules | None = None,
) -> CommunityVerdict:
    """Re-derive the Community Verdict from the proof, or say why not."""
    return rederive(proof, higher_body=higher_body, resolution=resolution, rules=rules)[0]


def rederive(
    proof: FullProof,
    *,
    higher_body: bytes,
    resolution: bytes,
    rules: ProcessRules | None = None,
) -> tuple[CommunityVerdict, frozenset[bytes]]:
    """The verdict and the Community's member keys at the deciding close."""
    verdict, assembly = rederive_assembly(
        proof, higher_body=higher_body, resolution=resolution, rules=rules
    )
    return verdict, frozenset(assembly.roster().current_keys())


def rederive_assembly(
    proof: FullProof,
    *,
    higher_body: bytes,
    resolution: bytes,
    rules: ProcessRules | None = None,
) -> tuple[CommunityVerdict, Assembly]:
    """The verdict and the Community's fold at the deciding close (its
    rosters and casts: protocol/one_person.py reads them)."""
    if not proof.messages:
        raise ProofError("an empty proof")
    try:
        genesis = envelope.open_untrusted(proof.messages[0], None)
    except ProtocolError as exc:
        raise ProofError(f"the first message is not a valid genesis: {exc}") from None
    if genesis.body != proof.community:
        raise ProofError("the genesis does not found the community the proof names")
    if genesis.payload_as(Genesis).parent != higher_body:
        raise ProofError(
            "the community is not a member of the higher body (its genesis names another parent)"
        )
    log = Log(proof.community)
    log.add(genesis)
    for i, raw in enumerate(proof.messages[1:], 1):
        try:
            env = envelope.open_untrusted(raw, proof.community)
        except ProtocolError as exc:
            raise ProofError(f"message {i} of the proof is invalid: {exc.code}: {exc}") from None
        if env.kind == Kind.GENESIS:
            raise ProofError(f"message {i} is a second genesis")
        log.add(env)
    if log.pending_ids():
        raise ProofError(
            f"the proof is not causally closed: {len(log.pending_ids())} messages lack parents"
        )
    assembly = Assembly(proof.community, rules).fold(log)
    verdict = community_verdict(assembly, higher_body, resolution)
    if verdict is None:
        raise ProofError("the proof does not contain a finished decision on this resolution")
    if set(log.heads()) != {verdict.close}:
        raise ProofError("the proof holds messages beyond the deciding close")
    return verdict, assembly


# --- compact attestations -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attestation:
    verdict: CommunityVerdict
    signatures: tuple[tuple[bytes, bytes], ...]  # (member key, signature), keys ascending

    def encode(self) -> bytes:
        return canonical.encode((PROOF_VERSION, self.verdict.statement(), self.signatures))

    @classmethod
    def decode_untrusted(cls, data: bytes) -> Attestation:
        try:
            value = canonical.decode(data, max_bytes=4096)
        except ProtocolError as exc:
            raise ProofError(f"an attestation is not canonical: {exc}") from None
        if type(value) is not tuple or len(value) != 3 or not _is_version(value[0]):
            raise ProofError("an attestation is [0, statement, [[key, signature], ...]]")
        verdict = CommunityVerdict.from_statement(value[1])
        sigs = value[2]
        if type(sigs) is not tuple or not all(
            type(s) is tuple
            and len(s) == 2
            and type(s[0]) is bytes
            and len(s[0]) == 32
            and type(s[1]) is bytes
            and len(s[1]) == 64
            for s in sigs
        ):
            raise ProofError("signatures are [32-byte key, 64-byte signature] pairs")
        keys = [s[0] for s in sigs]
        if keys != sorted(set(keys)):
            raise ProofError("signers must be distinct and ascending")
        return cls(verdict, sigs)


def attest(verdict: CommunityVerdict, seeds: list[bytes]) -> Attestation:
    message = ATTEST_DOMAIN + verdict.statement_bytes()
    sigs = sorted((public_key(s), sign_raw(s, message)) for s in seeds)
    return Attestation(verdict, tuple(sigs))


def verify_attestation(
    att: Attestation, k: int, members: frozenset[bytes] | None = None
) -> CommunityVerdict:
    """Accept provisionally: k distinct valid signatures (by members, when the
    verifier knows the roster)."""
    message = ATTEST_DOMAIN + att.verdict.statement_bytes()
    good = 0
    for key, sig in att.signatures:
        if members is not None and key not in members:
            raise ProofError(f"signer {key.hex()[:16]}… is not a member of the community")
        try:
            nacl.bindings.crypto_sign_open(sig + message, key)
        except (nacl.exceptions.BadSignatureError, ValueError):
            raise ProofError(f"signature of {key.hex()[:16]}… does not verify") from None
        good += 1
    if good < k:
        raise ProofError(f"{good} signatures, the rules require {k}")
    return att.verdict


@dataclass(frozen=True, slots=True)
class AttestationRefuted:
    """Evidence: these members signed a verdict the full proof contradicts."""

    community: bytes
    resolution: bytes
    signers: tuple[bytes, ...]
    attested: CommunityVerdict
    proven: CommunityVerdict


def confront(att: Attestation, proven: CommunityVerdict) -> AttestationRefuted | None:
    """Compare an earlier attestation with the verdict a full proof proved."""
    if att.verdict == proven:
        return None
    return AttestationRefuted(
        proven.community,
        proven.resolution,
        tuple(k for k, _ in att.signatures),
        att.verdict,
        proven,
    )


def _is_version(value: object) -> bool:
    # type() first: False == 0 in Python, but msgpack false is not version 0
    return type(value) is int and value == PROOF_VERSION
