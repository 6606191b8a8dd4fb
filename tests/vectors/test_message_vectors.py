"""The message vectors, checked forever (spec/vectors/messages.json).

The generator must reproduce the committed file byte for byte, and every
vector must give its expected result through the conformance harness
running as a real subprocess, the way another implementation is checked.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from interop.fields import to_json
from interop.runner import Harness, check_message_case, run_vectors
from protocol import envelope
from protocol.errors import ProtocolError

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors"
CASES = json.loads((VECTORS / "messages.json").read_text())["tests"]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vector_generator", VECTORS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_vectors() -> None:
    assert (VECTORS / "messages.json").read_text() == _generator().render(), (
        "spec/vectors/messages.json is stale: run spec/vectors/generate.py"
    )


def test_vectors_cover_every_kind_and_every_error_code() -> None:
    from protocol.kinds import Kind

    kinds = {f for c in CASES if c["result"] == "valid" for f in c["flags"]}
    assert {k.name.lower() for k in Kind} <= kinds
    assert "unknown" in kinds
    errors = {c["error"] for c in CASES if c["result"] == "invalid"}
    assert {
        "non_canonical",
        "map_key_order",
        "forbidden_type",
        "too_deep",
        "invalid_utf8",
        "trailing_bytes",
        "truncated",
        "oversize",
        "wrong_type",
        "wrong_length",
        "not_sorted",
        "out_of_range",
        "bad_signature",
    } <= errors


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}-{c['comment'][:40]}")
def test_each_vector_in_process(case: dict[str, object]) -> None:
    body = bytes.fromhex(str(case["body"])) if case["body"] else None
    message = bytes.fromhex(str(case["message"]))
    if case["result"] == "valid":
        env = envelope.open_untrusted(message, body)
        assert env.id.hex() == case["id"]
        assert to_json(envelope.fields_of(env)) == case["fields"]
    else:
        with pytest.raises(ProtocolError) as info:
            envelope.open_untrusted(message, body)
        assert info.value.code == case["error"]


def test_vectors_through_the_harness_subprocess() -> None:
    with Harness([sys.executable, "-m", "interop"]) as h:
        assert h.ask({"op": "hello"})["implementation"] == "caracol-python"
        report = run_vectors(h, VECTORS)
        # A harness must answer bad requests without dying.
        assert h.ask({"op": "decode", "message": "zz"})["error"] == "bad_request"
        assert h.ask({"op": "nope"})["error"] == "bad_request"
        assert check_message_case(h, CASES[0]) == []
    assert report.failures == []
    assert report.passed >= len(CASES)
