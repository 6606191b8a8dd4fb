"""Harness operations on the protocol layer beyond the core ones
(spec/harness.md): keys, keystores and cards, the assembly process, verdict
attestations, constituencies, one person one Community, the people's
constitution, disputes and justice councils."""

from __future__ import annotations

from typing import Any

from protocol import envelope
from protocol.errors import ProtocolError

from .errors import BadRequest
from .requests import failure, hex_field, hex_list, int_field, log_of, str_field


def op_key_from_text(request: dict[str, Any]) -> dict[str, Any]:
    from protocol.keys import key_from_text

    try:
        return {"ok": True, "key": key_from_text(str_field(request, "text")).hex()}
    except ProtocolError as exc:
        return failure(exc)


def op_key_to_text(request: dict[str, Any]) -> dict[str, Any]:
    from protocol.keys import key_to_text

    return {"ok": True, "text": key_to_text(hex_field(request, "key", size=32))}


def op_keystore_open(request: dict[str, Any]) -> dict[str, Any]:
    from protocol import keystore
    from protocol.keys import public_key

    try:
        seed = keystore.unseal(hex_field(request, "file"), str_field(request, "passphrase"))
    except ProtocolError as exc:
        return failure(exc)
    return {"ok": True, "seed": seed.hex(), "public_key": public_key(seed).hex()}


def op_card_open(request: dict[str, Any]) -> dict[str, Any]:
    from protocol import keycard

    try:
        card, seed = keycard.unseal(hex_field(request, "card"), str_field(request, "pin"))
    except ProtocolError as exc:
        return failure(exc)
    return {
        "ok": True,
        "seed": seed.hex(),
        "body": card.body.hex(),
        "public_key": card.public_key.hex(),
        "name": card.name,
    }


def op_process_fold(request: dict[str, Any]) -> dict[str, Any]:
    """Fold a body's log (protocol.assembly) under the rules its genesis
    founds, and answer the result at ``now`` (interop.process_json)."""
    from crdt.errors import CrdtError
    from protocol.assembly import Assembly

    from .process_json import assembly_json

    body = hex_field(request, "body", size=32)
    now = request.get("now")
    if type(now) is not int:
        raise BadRequest("now must be an integer")
    try:
        log = log_of(body, hex_list(request, "messages"))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": assembly_json(Assembly(body).fold(log), now)}


def op_attestation_verify(request: dict[str, Any]) -> dict[str, Any]:
    """A compact attestation co-signed by at least ``k`` members
    (protocol.verdict): the verdict it states, or bad_proof."""
    from protocol.verdict import Attestation, statement_json, verify_attestation

    try:
        att = Attestation.decode_untrusted(hex_field(request, "attestation"))
        v = verify_attestation(att, int_field(request, "k"))
    except ProtocolError as exc:
        return failure(exc)
    return {"ok": True, "verdict": statement_json(v)}


def op_refute(request: dict[str, Any]) -> dict[str, Any]:
    """An attestation (of at least ``k`` signers) confronted with the full
    proof of the same decision: the signers it proves wrong (sorted)."""
    from protocol.verdict import (
        Attestation,
        FullProof,
        confront,
        verify_attestation,
        verify_full_proof,
    )

    try:
        att = Attestation.decode_untrusted(hex_field(request, "attestation"))
        verify_attestation(att, int_field(request, "k"))
        proven = verify_full_proof(
            FullProof.decode_untrusted(hex_field(request, "proof")),
            higher_body=hex_field(request, "higher_body", size=32),
            resolution=hex_field(request, "resolution", size=32),
        )
    except ProtocolError as exc:
        return failure(exc)
    refuted = confront(att, proven)
    signers = [] if refuted is None else sorted(k.hex() for k in refuted.signers)
    return {"ok": True, "refuted_signers": signers}


def _proofs(request: dict[str, Any]) -> list[Any]:
    from protocol.verdict import FullProof

    return [FullProof.decode_untrusted(p) for p in hex_list(request, "proofs")]


def op_constituency(request: dict[str, Any]) -> dict[str, Any]:
    """A higher body's log (genesis first) and its constituents' full
    proofs: who its constituents are, each admission's standing, what is
    ignored, and why each of ``bodies`` is or is not a constituent."""
    from crdt.errors import CrdtError

    from .federation_json import constituency_from, constituency_json

    raws = hex_list(request, "higher_messages")
    bodies = hex_list(request, "bodies")
    try:
        if not raws:
            raise BadRequest("higher_messages must start with the genesis")
        body = envelope.decode_untrusted(raws[0], None).id
        got = constituency_from(log_of(body, raws), _proofs(request))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, **constituency_json(got, bodies)}


def op_one_person(request: dict[str, Any]) -> dict[str, Any]:
    """Constituents' full proofs combined by a higher body whose
    ``min_constituent_size`` is given: duplicate members, the constituents
    that do not count and why, the standing and how many count."""
    from protocol.rules import ProcessRules

    from .federation_json import one_person_from, one_person_json

    rules = ProcessRules(min_constituent_size=int_field(request, "min_constituent_size"))
    try:
        fed = one_person_from(
            hex_field(request, "higher_body", size=32),
            hex_field(request, "resolution", size=32),
            rules,
            _proofs(request),
        )
    except ProtocolError as exc:
        return failure(exc)
    return {"ok": True, **one_person_json(fed)}


def op_people_ratify(request: dict[str, Any]) -> dict[str, Any]:
    """The Collective's log and the Regions' level proofs: whether the
    RATIFICATION's claim holds (the version and constitution it makes,
    the votes for and the constituents counting) or why not."""
    from crdt.errors import CrdtError
    from protocol.nesting import LevelProof
    from protocol.rules import ProcessRules

    from .federation_json import people_from

    structure = request.get("structure")
    if not isinstance(structure, dict):
        raise BadRequest("structure must be an object: body -> [constituent, ...]")
    rules = ProcessRules(min_constituent_size=int_field(request, "min_constituent_size"))
    try:
        tree = {
            bytes.fromhex(b): frozenset(bytes.fromhex(m) for m in ms) for b, ms in structure.items()
        }
    except (ValueError, TypeError):
        raise BadRequest("structure holds a value that is not hex") from None
    try:
        parts = [LevelProof.decode_untrusted(p) for p in hex_list(request, "parts")]
        result = people_from(
            hex_list(request, "collective_log"),
            hex_field(request, "ratification", size=32),
            parts,
            tree,
            rules,
        )
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    except KeyError:
        return {"ok": False, "error": "bad_proof", "reason": "no such RATIFICATION in the log"}
    return {"ok": True, **result}


def _fold_log(raws: list[bytes]) -> Any:
    """One body's log from its messages (genesis first, the rest in the
    order given), folded by protocol.assembly under its genesis's rules."""
    from protocol.assembly import Assembly

    if not raws:
        raise BadRequest("a log starts with its genesis")
    body = envelope.decode_untrusted(raws[0], None).id
    return Assembly(body).fold(log_of(body, raws))


def _logs(request: dict[str, Any]) -> list[list[bytes]]:
    logs = request.get("logs")
    if not isinstance(logs, list):
        raise BadRequest("logs must be a list of lists of hex messages")
    return [hex_list({"log": log}, "log") for log in logs]


def op_dispute_read(request: dict[str, Any]) -> dict[str, Any]:
    """A dispute between bodies read from the folds of the logs given (the
    claimant's, the respondent's, the higher body's), with the higher
    body's constituents when known (protocol.disputes)."""
    from crdt.errors import CrdtError

    from .disputes_json import dispute_json, dispute_read

    constituents = request.get("constituents")
    try:
        folds = {a.body_id: a for a in (_fold_log(raws) for raws in _logs(request))}
        known = None if constituents is None else frozenset(hex_list(request, "constituents"))
        state = dispute_read(hex_field(request, "dispute", size=32), folds, known)
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": dispute_json(state, folds)}


def op_council_fold(request: dict[str, Any]) -> dict[str, Any]:
    """A justice council's log folded against its Community's fold
    (protocol.justice), read at ``now``."""
    from crdt.errors import CrdtError
    from protocol.justice import Council

    from .justice_json import council_json

    now = int_field(request, "now")
    try:
        community = _fold_log(hex_list(request, "community_messages"))
        raws = hex_list(request, "council_messages")
        if not raws:
            raise BadRequest("a council's log starts with its genesis")
        body = envelope.decode_untrusted(raws[0], None).id
        council = Council(body, community)
        council.fold(log_of(body, raws))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": council_json(council, now)}


def op_combine_levels(request: dict[str, Any]) -> dict[str, Any]:
    """The top ``body``'s verdict on its ``resolution`` from its members'
    level proofs (``parts``, each a LevelProof's bytes), every level
    re-derived from signed votes, with only the federation's ``structure``
    (each body's constituents) known (protocol.nesting)."""
    from protocol.nesting import LevelProof, combine_levels
    from protocol.rules import ProcessRules

    body = hex_field(request, "body", size=32)
    resolution = hex_field(request, "resolution", size=32)
    raw = request.get("structure")
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise BadRequest("structure must map a body's hex id to its constituents' hex ids")
    try:
        structure = {
            bytes.fromhex(b): frozenset(bytes.fromhex(m) for m in ms) for b, ms in raw.items()
        }
    except (TypeError, ValueError):
        raise BadRequest(
            "structure must map a body's hex id to its constituents' hex ids"
        ) from None
    rules = ProcessRules(min_constituent_size=int_field(request, "min_constituent_size"))
    try:
        parts = tuple(LevelProof.decode_untrusted(p) for p in hex_list(request, "parts"))
        v = combine_levels(body, resolution, parts, structure, rules)
    except ProtocolError as exc:
        return failure(exc)
    c = v.count
    return {
        "ok": True,
        "standing": v.standing.value,
        "count": [c.votes_for, c.votes_against, c.abstentions],
        "decided": v.decided,
        "members": v.members,
    }
