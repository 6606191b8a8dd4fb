"""The conformance harness: any implementation is driven through JSON lines.

One request per line on stdin, one answer per line on stdout, in order;
bytes are lowercase hex. The protocol is normative (spec/harness.md), so
another implementation (the browser's JavaScript core, anyone's) provides
the same small program and the same vectors run against it through
``interop/runner.py``.

Operations: ``hello``, ``decode``, ``verify``, ``id``, ``encode``. A request
this harness cannot parse gets ``{"ok": false, "error": "bad_request"}``;
the harness never dies on bad input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from typing import IO, Any

import nacl.bindings
import nacl.exceptions

from protocol import envelope
from protocol.errors import ProtocolError
from protocol.kinds import PAYLOADS, Kind

from .fields import from_json, payload_from_json, to_json

IMPLEMENTATION = "caracol-python"
VERSION = "0.1.0"
OPS = (
    "hello",
    "decode",
    "verify",
    "id",
    "encode",
    "verdict_proof",
    "constitution",
    "key_from_text",
    "key_to_text",
    "keystore_open",
    "card_open",
    "text_replay",
    "dag_replay",
    "frame_decode",
    "frame_abbreviate",
    "frame_expand",
    "frame_fragment",
    "frame_reassemble",
    "reconcile_side",
    "bundle_read",
    "bulletin_read",
    "process_fold",
    "attestation_verify",
    "refute",
    "constituency",
    "one_person",
    "people_ratify",
    "dispute_read",
    "council_fold",
)


class BadRequest(Exception):
    pass


def _hex(
    request: dict[str, Any], name: str, *, size: int | None = None, optional: bool = False
) -> Any:
    value = request.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise BadRequest(f"{name} is not valid hex") from None
    if size is not None and len(raw) != size:
        raise BadRequest(f"{name} must be {size} bytes")
    return raw


def op_hello(request: dict[str, Any]) -> dict[str, Any]:
    return {"implementation": IMPLEMENTATION, "version": VERSION, "protocol": 0, "ops": list(OPS)}


def op_decode(request: dict[str, Any]) -> dict[str, Any]:
    message = _hex(request, "message")
    body = _hex(request, "body", size=32, optional=True)
    check_signature = request.get("verify", True)
    try:
        env = envelope.decode_untrusted(message, body)
        if check_signature:
            envelope.verify(env)
    except ProtocolError as exc:
        return {
            "ok": False,
            "error": exc.code,
            "reason": exc.reason,
            "field": exc.field,
            "offset": exc.offset,
        }
    return {"ok": True, "message_id": env.id.hex(), "fields": envelope.fields_of(env)}


def op_verify(request: dict[str, Any]) -> dict[str, Any]:
    pk = _hex(request, "pk")
    msg = _hex(request, "msg")
    sig = _hex(request, "sig")
    if len(pk) != 32 or len(sig) != 64:
        return {"ok": True, "valid": False}
    try:
        nacl.bindings.crypto_sign_open(sig + msg, pk)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return {"ok": True, "valid": False}
    return {"ok": True, "valid": True}


def op_id(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "message_id": hashlib.sha256(_hex(request, "message")).hexdigest()}


def op_encode(request: dict[str, Any]) -> dict[str, Any]:
    seed = _hex(request, "seed", size=32)
    body = _hex(request, "body", size=32, optional=True)
    fields = request.get("fields")
    if not isinstance(fields, dict):
        raise BadRequest("fields must be an object")
    try:
        kind = Kind[str(fields["kind"]).upper()]
        payload = payload_from_json(PAYLOADS[kind], fields["payload"])
        env = envelope.sign(
            seed,
            None if kind == Kind.GENESIS else body,
            payload,
            parents=[bytes.fromhex(p) for p in fields.get("parents", [])],
            seq=int(fields["seq"]),
            time=int(fields["time"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise BadRequest(f"fields are not a valid message: {exc}") from None
    except ProtocolError as exc:
        return {"ok": False, "error": exc.code, "reason": exc.reason, "field": exc.field}
    return {"ok": True, "message": env.raw.hex(), "message_id": env.id.hex()}


def op_verdict_proof(request: dict[str, Any]) -> dict[str, Any]:
    """Re-derive a Community Verdict from its full proof (federation.md)."""
    from protocol.verdict import FullProof, statement_json, verify_full_proof

    higher = _hex(request, "higher_body", size=32)
    resolution = _hex(request, "resolution", size=32)
    data = _hex(request, "proof")
    try:
        v = verify_full_proof(
            FullProof.decode_untrusted(data), higher_body=higher, resolution=resolution
        )
    except ProtocolError as exc:
        return {"ok": False, "error": exc.code, "reason": exc.reason}
    return {"ok": True, "verdict": statement_json(v)}


def op_constitution(request: dict[str, Any]) -> dict[str, Any]:
    """A version's digest; with an initiative, its text and the digest of
    the constitution it makes (spec/constitution.md)."""
    from protocol.federal import FederalConstitution, amended, initiative_text
    from protocol.kinds import ConstitutionInitiative

    def triples(value: Any, what: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or not all(isinstance(x, list) for x in value):
            raise BadRequest(f"{what} must be an array of arrays")
        return tuple(tuple(x) for x in value)

    c, i = request.get("constitution"), request.get("initiative")
    if not isinstance(c, dict):
        raise BadRequest("constitution must be an object")
    try:
        have = FederalConstitution(
            int(c["version"]), triples(c["params"], "params"), triples(c["articles"], "articles")
        )
        out: dict[str, Any] = {"ok": True, "digest": have.digest().hex()}
        if isinstance(i, dict):
            init = ConstitutionInitiative(
                int(i["version"]),
                triples(i["params"], "params"),
                triples(i["articles"], "articles"),
                "",
            )
            out["initiative_text"] = initiative_text(init)
            out["digest_after"] = amended(have, init).digest().hex()
    except (KeyError, ValueError, TypeError) as exc:
        raise BadRequest(f"not a constitution: {exc}") from None
    except ProtocolError as exc:
        return {"ok": False, "error": exc.code, "reason": exc.reason}
    return out


def failure(exc: Exception) -> dict[str, Any]:
    """A rejection as harness.md writes it: the code, reason, field, offset
    (ProtocolError, CrdtError and MeshError all carry a code and reason)."""
    return {
        "ok": False,
        "error": getattr(exc, "code", "remote_error"),
        "reason": getattr(exc, "reason", str(exc)),
        "field": getattr(exc, "field", None),
        "offset": getattr(exc, "offset", None),
    }


def _str(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def op_key_from_text(request: dict[str, Any]) -> dict[str, Any]:
    from protocol.keys import key_from_text

    try:
        return {"ok": True, "key": key_from_text(_str(request, "text")).hex()}
    except ProtocolError as exc:
        return failure(exc)


def op_key_to_text(request: dict[str, Any]) -> dict[str, Any]:
    from protocol.keys import key_to_text

    return {"ok": True, "text": key_to_text(_hex(request, "key", size=32))}


def op_keystore_open(request: dict[str, Any]) -> dict[str, Any]:
    from protocol import keystore
    from protocol.keys import public_key

    try:
        seed = keystore.unseal(_hex(request, "file"), _str(request, "passphrase"))
    except ProtocolError as exc:
        return failure(exc)
    return {"ok": True, "seed": seed.hex(), "public_key": public_key(seed).hex()}


def op_card_open(request: dict[str, Any]) -> dict[str, Any]:
    from protocol import keycard

    try:
        card, seed = keycard.unseal(_hex(request, "card"), _str(request, "pin"))
    except ProtocolError as exc:
        return failure(exc)
    return {
        "ok": True,
        "seed": seed.hex(),
        "body": card.body.hex(),
        "public_key": card.public_key.hex(),
        "name": card.name,
    }


def _text_value(value: Any) -> Any:
    """Text ops from JSON: lists as tuples, a position ``[hex, offset]`` as
    ``(bytes, offset)``; anything else as it is, for the shape check."""
    if isinstance(value, list):
        if (
            len(value) == 2
            and isinstance(value[0], str)
            and len(value[0]) == 64
            and type(value[1]) is int
        ):
            try:
                return (bytes.fromhex(value[0]), value[1])
            except ValueError:
                pass
        return tuple(_text_value(v) for v in value)
    return value


def _spans(doc: Any) -> list[list[Any]]:
    """The document's runs, merged maximally: ``[hex, first offset, text, deleted]``."""
    out: list[list[Any]] = []
    for msg, off, text, deleted in doc.spans():
        last = out[-1] if out else None
        if last and last[0] == msg.hex() and last[1] + len(last[2]) == off and last[3] == deleted:
            last[2] += text
        else:
            out.append([msg.hex(), off, text, deleted])
    return out


def op_text_replay(request: dict[str, Any]) -> dict[str, Any]:
    """Apply messages' text ops in the given order to a fresh document; a
    message with ``past`` is first put through the receiver's causal check
    (crdt.text_guard); a rejection answers its code and the state before."""
    from crdt.errors import CrdtError
    from crdt.text import TextDocument
    from crdt.text_guard import check_ops

    messages = request.get("messages", [])
    initial = request.get("initial", "")
    if not isinstance(messages, list) or not isinstance(initial, str):
        raise BadRequest("messages must be a list and initial a string")
    doc = TextDocument(_hex(request, "root", size=32), initial)
    for m in messages:
        if not isinstance(m, dict):
            raise BadRequest("each message must be an object")
        mid = _hex(m, "id", size=32)
        ops = _text_value(m.get("ops"))
        past = m.get("past")
        try:
            if past is not None:
                if not isinstance(past, list):
                    raise BadRequest("past must be a list of ids")
                check_ops(doc, mid, ops, {bytes.fromhex(p) for p in past})
            if not isinstance(ops, tuple):
                from crdt.text import BadTextOp

                raise BadTextOp("ops must be a list")
            doc.apply(mid, ops)
        except CrdtError as exc:
            return {**failure(exc), "text": doc.text(), "state_sha256": doc.state_hash().hex()}
    return {
        "ok": True,
        "text": doc.text(),
        "state_sha256": doc.state_hash().hex(),
        "runs": _spans(doc),
    }


def _hex_list(request: dict[str, Any], name: str) -> list[bytes]:
    values = request.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadRequest(f"{name} must be a list of hex strings")
    try:
        return [bytes.fromhex(v) for v in values]
    except ValueError:
        raise BadRequest(f"{name} holds a string that is not hex") from None


def op_dag_replay(request: dict[str, Any]) -> dict[str, Any]:
    """Deliver messages, in the given order, to a fresh log of ``body``
    (each decoded and verified for that body, then inserted as spec/dag.md
    says) and describe the log they make (crdt.log)."""
    from crdt.errors import CrdtError
    from crdt.log import Log

    body = _hex(request, "body", size=32)
    log = Log(body)
    for index, raw in enumerate(_hex_list(request, "messages")):
        try:
            log.add(envelope.open_untrusted(raw, body))
        except (ProtocolError, CrdtError) as exc:
            return {**failure(exc), "index": index}
    return {
        "ok": True,
        "order": [i.hex() for i in log.order()],
        "depths": {i.hex(): log.depth(i) for i in log.order()},
        "heads": [h.hex() for h in log.heads()],
        "missing": sorted(x.hex() for x in log.missing()),
        "pending": sorted(x.hex() for x in log.pending_ids()),
        "equivocations": [
            {
                "author": e.author.hex(),
                "seq": e.seq,
                "first": e.first.hex(),
                "second": e.second.hex(),
            }
            for e in log.equivocations()
        ],
        "state_hash": log.state_hash().hex(),
    }


def op_frame_decode(request: dict[str, Any]) -> dict[str, Any]:
    """A radio frame's fields (interop.mesh_json) and the one byte form
    they encode to (mesh.frames)."""
    from mesh import frames
    from mesh.errors import MeshError

    from .mesh_json import frame_fields

    data = _hex(request, "frame")
    try:
        frame = frames.decode_untrusted(data)
    except MeshError as exc:
        return failure(exc)
    return {
        "ok": True,
        "fields": frame_fields(frame, data),
        "reencoded": frames.encode(frame).hex(),
    }


def _radio_context(request: dict[str, Any]) -> Any:
    """What one end of a link knows of a body: its roster and held ids."""
    from mesh import frames

    roster = _hex_list(request, "roster")
    held = _hex_list(request, "held")
    return frames.Context(bytes(32), roster, lambda p: [m for m in held if m.startswith(p)])


def op_frame_abbreviate(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    try:
        short = frames.abbreviate(_hex(request, "message"), _radio_context(request))
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "abbreviated": short.hex(), "handle": frames.handle_of(short).hex()}


def op_frame_expand(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    try:
        raw = frames.expand_untrusted(_hex(request, "abbreviated"), _radio_context(request))
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "message": raw.hex()}


def op_frame_fragment(request: dict[str, Any]) -> dict[str, Any]:
    from mesh import frames
    from mesh.errors import MeshError

    mtu = request.get("mtu")
    if type(mtu) is not int:
        raise BadRequest("mtu must be an integer")
    try:
        pieces = frames.fragment(_hex(request, "frame"), mtu)
    except MeshError as exc:
        return failure(exc)
    return {"ok": True, "fragments": [p.hex() for p in pieces]}


def op_frame_reassemble(request: dict[str, Any]) -> dict[str, Any]:
    """FRAG frames received in the given order; the whole frame once the
    last one is in (null until then)."""
    from mesh import frames
    from mesh.errors import MeshError

    r = frames.Reassembler()
    whole = None
    for data in _hex_list(request, "fragments"):
        try:
            frag = frames.decode_untrusted(data)
        except MeshError as exc:
            return failure(exc)
        if not isinstance(frag, frames.Frag):
            return {"ok": False, "error": "bad_frame", "reason": "not a FRAG frame"}
        whole = r.receive(frag, 0.0) or whole
    return {"ok": True, "frame": None if whole is None else whole.hex(), "dropped": r.dropped}


def op_reconcile_side(request: dict[str, Any]) -> dict[str, Any]:
    """Play one side of a reconciliation (crdt.reconcile.Session) over
    ``ids``: initiate if asked, then take the peer's frames in order; answer
    every frame this side sent, in order, and what it concluded."""
    from crdt.errors import CrdtError
    from crdt.reconcile import HaveIds, NeedIds, PeerError, Session, SortedIds

    params = {}
    for name in ("max_frame", "branching", "idlist_threshold"):
        if name in request:
            if type(request[name]) is not int:
                raise BadRequest(f"{name} must be an integer")
            params[name] = request[name]
    try:
        session = Session(SortedIds(sorted(_hex_list(request, "ids"))), **params)
    except CrdtError as exc:
        return failure(exc)
    if request.get("initiate") is True:
        session.initiate()
    sent = session.frames_to_send()
    for data in _hex_list(request, "peer_frames"):
        session.receive_frame(data, 0.0)
        sent += session.frames_to_send()
    events: list[dict[str, Any]] = []
    for e in session.events():
        if isinstance(e, (HaveIds, NeedIds)):
            events.append({type(e).__name__: sorted(i.hex() for i in e.ids)})
        elif isinstance(e, PeerError):
            events.append({"PeerError": {"code": e.code, "reason": e.reason}})
    return {"ok": True, "frames": [f.hex() for f in sent], "events": events}


def _verified(raws: Any, body: bytes) -> list[str]:
    """Each message decoded and verified for ``body``: "ok" or its code."""
    out = []
    for raw in raws:
        try:
            envelope.open_untrusted(raw, body)
            out.append("ok")
        except ProtocolError as exc:
            out.append(exc.code)
    return out


def op_bundle_read(request: dict[str, Any]) -> dict[str, Any]:
    """A sneakernet bundle (mesh.bundle): refused whole, or its body, heads,
    message ids, each message's verification and the one byte form."""
    from mesh.bundle import Bundle
    from mesh.errors import MeshError

    try:
        b = Bundle.decode_untrusted(_hex(request, "bundle"))
    except MeshError as exc:
        return failure(exc)
    return {
        "ok": True,
        "body": b.body.hex(),
        "heads": [h.hex() for h in b.heads],
        "messages": [envelope.message_id(m).hex() for m in b.messages],
        "verify": _verified(b.messages, b.body),
        "reencoded": b.encode().hex(),
    }


def op_bulletin_read(request: dict[str, Any]) -> dict[str, Any]:
    """Scanned bulletin codes (mesh.bulletin), in the order scanned: the
    body, the message ids in order, the problems, each message verified."""
    from mesh.bulletin import messages_from_payloads
    from mesh.errors import MeshError

    try:
        body, raws, problems = messages_from_payloads(_hex_list(request, "payloads"))
    except MeshError as exc:
        return failure(exc)
    return {
        "ok": True,
        "body": body.hex(),
        "messages": [envelope.message_id(m).hex() for m in raws],
        "problems": problems,
        "verify": _verified(raws, body),
    }


def _log_of(body: bytes, raws: list[bytes]) -> Any:
    """A fresh log of ``body`` holding ``raws`` (each decoded, verified and
    inserted in the given order); raises ProtocolError or CrdtError."""
    from crdt.log import Log

    log = Log(body)
    for raw in raws:
        log.add(envelope.open_untrusted(raw, body))
    return log


def op_process_fold(request: dict[str, Any]) -> dict[str, Any]:
    """Fold a body's log (protocol.assembly) under the rules its genesis
    founds, and answer the result at ``now`` (interop.process_json)."""
    from crdt.errors import CrdtError
    from protocol.assembly import Assembly

    from .process_json import assembly_json

    body = _hex(request, "body", size=32)
    now = request.get("now")
    if type(now) is not int:
        raise BadRequest("now must be an integer")
    try:
        log = _log_of(body, _hex_list(request, "messages"))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": assembly_json(Assembly(body).fold(log), now)}


def _int(request: dict[str, Any], name: str) -> int:
    value = request.get(name)
    if type(value) is not int:
        raise BadRequest(f"{name} must be an integer")
    return value


def op_attestation_verify(request: dict[str, Any]) -> dict[str, Any]:
    """A compact attestation co-signed by at least ``k`` members
    (protocol.verdict): the verdict it states, or bad_proof."""
    from protocol.verdict import Attestation, statement_json, verify_attestation

    try:
        att = Attestation.decode_untrusted(_hex(request, "attestation"))
        v = verify_attestation(att, _int(request, "k"))
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
        att = Attestation.decode_untrusted(_hex(request, "attestation"))
        verify_attestation(att, _int(request, "k"))
        proven = verify_full_proof(
            FullProof.decode_untrusted(_hex(request, "proof")),
            higher_body=_hex(request, "higher_body", size=32),
            resolution=_hex(request, "resolution", size=32),
        )
    except ProtocolError as exc:
        return failure(exc)
    refuted = confront(att, proven)
    signers = [] if refuted is None else sorted(k.hex() for k in refuted.signers)
    return {"ok": True, "refuted_signers": signers}


def _proofs(request: dict[str, Any]) -> list[Any]:
    from protocol.verdict import FullProof

    return [FullProof.decode_untrusted(p) for p in _hex_list(request, "proofs")]


def op_constituency(request: dict[str, Any]) -> dict[str, Any]:
    """A higher body's log (genesis first) and its constituents' full
    proofs: who its constituents are, each admission's standing, what is
    ignored, and why each of ``bodies`` is or is not a constituent."""
    from crdt.errors import CrdtError

    from .federation_json import constituency_from, constituency_json

    raws = _hex_list(request, "higher_messages")
    bodies = _hex_list(request, "bodies")
    try:
        if not raws:
            raise BadRequest("higher_messages must start with the genesis")
        body = envelope.decode_untrusted(raws[0], None).id
        got = constituency_from(_log_of(body, raws), _proofs(request))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, **constituency_json(got, bodies)}


def op_one_person(request: dict[str, Any]) -> dict[str, Any]:
    """Constituents' full proofs combined by a higher body whose
    ``min_constituent_size`` is given: duplicate members, the constituents
    that do not count and why, the standing and how many count."""
    from protocol.rules import ProcessRules

    from .federation_json import one_person_from, one_person_json

    rules = ProcessRules(min_constituent_size=_int(request, "min_constituent_size"))
    try:
        fed = one_person_from(
            _hex(request, "higher_body", size=32),
            _hex(request, "resolution", size=32),
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
    rules = ProcessRules(min_constituent_size=_int(request, "min_constituent_size"))
    try:
        tree = {
            bytes.fromhex(b): frozenset(bytes.fromhex(m) for m in ms) for b, ms in structure.items()
        }
    except (ValueError, TypeError):
        raise BadRequest("structure holds a value that is not hex") from None
    try:
        parts = [LevelProof.decode_untrusted(p) for p in _hex_list(request, "parts")]
        result = people_from(
            _hex_list(request, "collective_log"),
            _hex(request, "ratification", size=32),
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
    return Assembly(body).fold(_log_of(body, raws))


def _logs(request: dict[str, Any]) -> list[list[bytes]]:
    logs = request.get("logs")
    if not isinstance(logs, list):
        raise BadRequest("logs must be a list of lists of hex messages")
    return [_hex_list({"log": log}, "log") for log in logs]


def op_dispute_read(request: dict[str, Any]) -> dict[str, Any]:
    """A dispute between bodies read from the folds of the logs given (the
    claimant's, the respondent's, the higher body's), with the higher
    body's constituents when known (protocol.disputes)."""
    from crdt.errors import CrdtError

    from .disputes_json import dispute_json, dispute_read

    constituents = request.get("constituents")
    try:
        folds = {a.body_id: a for a in (_fold_log(raws) for raws in _logs(request))}
        known = None if constituents is None else frozenset(_hex_list(request, "constituents"))
        state = dispute_read(_hex(request, "dispute", size=32), folds, known)
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": dispute_json(state, folds)}


def op_council_fold(request: dict[str, Any]) -> dict[str, Any]:
    """A justice council's log folded against its Community's fold
    (protocol.justice), read at ``now``."""
    from crdt.errors import CrdtError
    from protocol.justice import Council

    from .justice_json import council_json

    now = _int(request, "now")
    try:
        community = _fold_log(_hex_list(request, "community_messages"))
        raws = _hex_list(request, "council_messages")
        if not raws:
            raise BadRequest("a council's log starts with its genesis")
        body = envelope.decode_untrusted(raws[0], None).id
        council = Council(body, community)
        council.fold(_log_of(body, raws))
    except (ProtocolError, CrdtError) as exc:
        return failure(exc)
    return {"ok": True, "result": council_json(council, now)}


HANDLERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "hello": lambda r: {"ok": True, **op_hello(r)},
    "decode": op_decode,
    "verify": op_verify,
    "id": op_id,
    "encode": op_encode,
    "verdict_proof": op_verdict_proof,
    "constitution": op_constitution,
    "key_from_text": op_key_from_text,
    "key_to_text": op_key_to_text,
    "keystore_open": op_keystore_open,
    "card_open": op_card_open,
    "text_replay": op_text_replay,
    "dag_replay": op_dag_replay,
    "frame_decode": op_frame_decode,
    "frame_abbreviate": op_frame_abbreviate,
    "frame_expand": op_frame_expand,
    "frame_fragment": op_frame_fragment,
    "frame_reassemble": op_frame_reassemble,
    "reconcile_side": op_reconcile_side,
    "bundle_read": op_bundle_read,
    "bulletin_read": op_bulletin_read,
    "process_fold": op_process_fold,
    "attestation_verify": op_attestation_verify,
    "refute": op_refute,
    "constituency": op_constituency,
    "one_person": op_one_person,
    "people_ratify": op_people_ratify,
    "dispute_read": op_dispute_read,
    "council_fold": op_council_fold,
}


def handle_line(line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError:
        return {"id": None, "ok": False, "error": "bad_request", "reason": "not JSON"}
    try:
        request = from_json(request)
    except ValueError as exc:
        rid = request.get("id") if isinstance(request, dict) else None
        return {"id": rid, "ok": False, "error": "bad_request", "reason": str(exc)}
    if not isinstance(request, dict):
        return {"id": None, "ok": False, "error": "bad_request", "reason": "not a JSON object"}
    rid = request.get("id")
    op = request.get("op")
    handler = HANDLERS.get(op) if isinstance(op, str) else None
    try:
        if handler is None:
            raise BadRequest(f"unknown op {request.get('op')!r}; ops: {', '.join(OPS)}")
        answer = handler(request)
    except BadRequest as exc:
        answer = {"ok": False, "error": "bad_request", "reason": str(exc)}
    except Exception as exc:  # a bug here: say so and go on (spec/harness.md)
        answer = {"ok": False, "error": "harness_error", "reason": f"{type(exc).__name__}: {exc}"}
    return {"id": rid, **answer}


def serve(stdin: IO[str], stdout: IO[str]) -> None:
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(to_json(handle_line(line))) + "\n")
        stdout.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Speak the conformance harness protocol (spec/harness.md) on stdin/stdout."


def run(args: argparse.Namespace) -> int:
    serve(sys.stdin, sys.stdout)
    return 0
