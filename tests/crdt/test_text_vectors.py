"""spec/vectors/text.json, checked the way another implementation would
use it: every listed order gives the text and state hash, every message
passes the causal check against its listed past, and every rejected
message fails with its error code and changes nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from crdt.errors import RemoteCrdtError
from crdt.text import TextDocument
from crdt.text_guard import check_ops

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_text", VECTORS / "gen_text.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


GEN = _gen()
DATA = json.loads((VECTORS / "text.json").read_text())


def _ops(raw: list[Any]) -> list[Any]:
    ops: list[Any] = GEN.ops_from_json(raw)
    return ops


@pytest.mark.parametrize("case", DATA["tests"], ids=lambda c: f"tc{c['tcId']}")
def test_every_order_gives_the_text_and_state(case: dict[str, Any]) -> None:
    messages = case["messages"]
    ids = [bytes.fromhex(m["id"]) for m in messages]
    for order in case["orders"]:
        d = TextDocument(bytes.fromhex(case["root"]), case["initial"])
        for i in order:
            past = {ids[j] for j in messages[i].get("past", [])}
            ops = _ops(messages[i]["ops"])
            if "past" in messages[i]:
                check_ops(d, ids[i], ops, past)
            d.apply(ids[i], ops)
        assert d.text() == case["text"]
        if "state_sha256" in case:
            assert d.state_hash().hex() == case["state_sha256"]


@pytest.mark.parametrize("case", DATA["rejected"], ids=lambda c: f"tc{c['tcId']}")
def test_rejected_messages(case: dict[str, Any]) -> None:
    d = TextDocument(bytes.fromhex(case["root"]), case["initial"])
    applied = [bytes.fromhex(m["id"]) for m in case["applied"]]
    for m, mid in zip(case["applied"], applied, strict=True):
        d.apply(mid, _ops(m["ops"]))
    before = d.state_bytes()
    message = case["message"]
    raw = message["ops"]
    try:
        ops = _ops(raw)
    except (IndexError, TypeError):  # not even decodable as ops
        ops = raw
    with pytest.raises(RemoteCrdtError) as info:
        check_ops(d, bytes.fromhex(message["id"]), ops, {applied[i] for i in message["past"]})
    assert info.value.code == case["error"]
    assert d.state_bytes() == before


def test_the_vectors_file_is_generated() -> None:
    assert (VECTORS / "text.json").read_text() == GEN.render()
