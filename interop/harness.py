"""The conformance harness: any implementation is driven through JSON lines.

One request per line on stdin, one answer per line on stdout, in order;
bytes are lowercase hex. The protocol is normative (spec/harness.md), so
another implementation (the browser's JavaScript core, anyone's) provides
the same small program and the same vectors run against it through
``interop/runner.py``.

The core operations (``hello``, ``decode``, ``verify``, ``id``, ``encode``)
and the verdict and constitution ones are here; those of each layer are in
``ops_protocol``, ``ops_crdt`` and ``ops_mesh``, each calling the library
code (protocol, crdt, mesh) and writing its answer in the JSON forms of
spec/harness.md. A request this harness cannot parse gets ``{"ok": false,
"error": "bad_request"}``; a bug inside an op gets ``harness_error``; the
harness never dies on bad input.
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

from .errors import BadRequest
from .fields import from_json, payload_from_json, to_json
from .ops_crdt import op_dag_replay, op_reconcile_side, op_text_replay
from .ops_mesh import (
    op_bulletin_read,
    op_bundle_read,
    op_frame_abbreviate,
    op_frame_decode,
    op_frame_expand,
    op_frame_fragment,
    op_frame_reassemble,
)
from .ops_node import op_link_replay
from .ops_protocol import (
    op_attestation_verify,
    op_card_open,
    op_combine_levels,
    op_constituency,
    op_council_fold,
    op_dispute_read,
    op_key_from_text,
    op_key_to_text,
    op_keystore_open,
    op_one_person,
    op_people_ratify,
    op_process_fold,
    op_refute,
)
from .requests import hex_field

IMPLEMENTATION = "caracol-python"
VERSION = "0.1.0"


def _why(exc: Exception) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def op_hello(request: dict[str, Any]) -> dict[str, Any]:
    return {"implementation": IMPLEMENTATION, "version": VERSION, "protocol": 0, "ops": list(OPS)}


def op_decode(request: dict[str, Any]) -> dict[str, Any]:
    message = hex_field(request, "message")
    body = hex_field(request, "body", size=32, optional=True)
    check_signature = request.get("verify", True)
    if type(check_signature) is not bool:
        raise BadRequest("verify must be true or false")
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
    pk = hex_field(request, "pk")
    msg = hex_field(request, "msg")
    sig = hex_field(request, "sig")
    if len(pk) != 32 or len(sig) != 64:
        return {"ok": True, "valid": False}
    try:
        nacl.bindings.crypto_sign_open(sig + msg, pk)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return {"ok": True, "valid": False}
    return {"ok": True, "valid": True}


def op_id(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "message_id": hashlib.sha256(hex_field(request, "message")).hexdigest()}


def op_encode(request: dict[str, Any]) -> dict[str, Any]:
    seed = hex_field(request, "seed", size=32)
    body = hex_field(request, "body", size=32, optional=True)
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
    except (KeyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # OverflowError: int() of an Infinity; RecursionError: a payload nested past the stack
        raise BadRequest(f"fields are not a valid message: {_why(exc)}") from None
    except ProtocolError as exc:
        return {"ok": False, "error": exc.code, "reason": exc.reason, "field": exc.field}
    return {"ok": True, "message": env.raw.hex(), "message_id": env.id.hex()}


def op_verdict_proof(request: dict[str, Any]) -> dict[str, Any]:
    """Re-derive a Community Verdict from its full proof (federation.md)."""
    from protocol.verdict import FullProof, statement_json, verify_full_proof

    higher = hex_field(request, "higher_body", size=32)
    resolution = hex_field(request, "resolution", size=32)
    data = hex_field(request, "proof")
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
    except (KeyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise BadRequest(f"not a constitution: {_why(exc)}") from None
    except ProtocolError as exc:
        return {"ok": False, "error": exc.code, "reason": exc.reason}
    return out


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
    "link_replay": op_link_replay,
    "combine_levels": op_combine_levels,
}
OPS = tuple(HANDLERS)
"""Every op this harness has, as hello lists them."""


def handle_line(line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError:
        return {"id": None, "ok": False, "error": "bad_request", "reason": "not JSON"}
    except RecursionError:  # the decoder's own recursion: arrays nested a thousand deep
        return {"id": None, "ok": False, "error": "bad_request", "reason": "JSON nested too deeply"}
    try:
        request = from_json(request)
    except (ValueError, RecursionError) as exc:
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
