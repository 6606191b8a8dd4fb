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

from .fields import payload_from_json

IMPLEMENTATION = "caracol-python"
VERSION = "0.1.0"
OPS = ("hello", "decode", "verify", "id", "encode", "verdict_proof", "constitution")


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


def _why(exc: Exception) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


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
    except (KeyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # OverflowError: int() of an Infinity; RecursionError: a payload nested past the stack
        raise BadRequest(f"fields are not a valid message: {_why(exc)}") from None
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
}


def handle_line(line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError:
        return {"ok": False, "error": "bad_request", "reason": "not a JSON object"}
    except RecursionError:  # the decoder's own recursion: arrays nested a thousand deep
        return {"ok": False, "error": "bad_request", "reason": "JSON nested too deeply"}
    if not isinstance(request, dict):
        return {"ok": False, "error": "bad_request", "reason": "not a JSON object"}
    rid = request.get("id")
    handler = HANDLERS.get(str(request.get("op")))
    try:
        if handler is None:
            raise BadRequest(f"unknown op {request.get('op')!r}; ops: {', '.join(OPS)}")
        answer = handler(request)
    except BadRequest as exc:
        answer = {"ok": False, "error": "bad_request", "reason": str(exc)}
    return {"id": rid, **answer}


def serve(stdin: IO[str], stdout: IO[str]) -> None:
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(handle_line(line)) + "\n")
        stdout.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Speak the conformance harness protocol (spec/harness.md) on stdin/stdout."


def run(args: argparse.Namespace) -> int:
    serve(sys.stdin, sys.stdout)
    return 0
