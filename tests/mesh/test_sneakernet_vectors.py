"""spec/vectors/sneakernet.json: every bundle is read as recorded or refused
whole for the recorded reason, each message it carries verifies (or not) as
recorded; every set of scanned bulletin codes yields the recorded messages and
problems; and the committed file is what the generator writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from protocol import envelope
from protocol.envelope import message_id
from protocol.errors import BadBulletinCode, BadBundle, ProtocolError
from protocol.sneakernet import Bundle, messages_from_payloads

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "sneakernet.json"
DOC: dict[str, Any] = json.loads(VECTORS.read_text())


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_sneakernet", VECTORS.parent / "gen_sneakernet.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert VECTORS.read_text() == generator().render()


def _verify(raw: bytes, body: bytes) -> str:
    try:
        envelope.open_untrusted(raw, None if raw[1] == 1 else body)
    except ProtocolError as exc:
        return exc.code
    return "ok"


@pytest.mark.parametrize("case", DOC["bundles"], ids=[str(c["tcId"]) for c in DOC["bundles"]])
def test_bundle_vector(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["bundle"])
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(BadBundle, match=expect["error"]) as info:
            Bundle.decode_untrusted(data)
        assert info.value.code == "bad_bundle"
        return
    b = Bundle.decode_untrusted(data)
    assert b.body.hex() == expect["body"]
    assert [h.hex() for h in b.heads] == expect["heads"]
    assert [message_id(m).hex() for m in b.messages] == expect["messages"]
    assert [_verify(m, b.body) for m in b.messages] == expect["verify"]
    assert b.encode() == data  # one byte form


@pytest.mark.parametrize(
    "case", DOC["bulletin_codes"], ids=[str(c["tcId"]) for c in DOC["bulletin_codes"]]
)
def test_bulletin_code_vector(case: dict[str, Any]) -> None:
    scanned = [bytes.fromhex(p) for p in case["payloads"]]
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(BadBulletinCode, match=expect["error"]):
            messages_from_payloads(scanned)
        return
    body, raws, problems = messages_from_payloads(scanned)
    assert body.hex() == expect["body"]
    assert [message_id(r).hex() for r in raws] == expect["messages"]
    assert problems == expect["problems"]
    assert all(_verify(r, body) == "ok" for r in raws)
