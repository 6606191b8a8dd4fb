"""spec/vectors/frames.json: every valid frame decodes to the recorded fields
and is the one byte form they encode to; every abbreviation is what the
sender makes of the message and expands to its exact signed bytes at the
receiver (or fails for the recorded reason); every frame is cut into the
recorded fragments, which reassemble to it; every invalid frame is dropped
with the recorded code, reason and offset; and the committed file is what
the generator writes."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mesh import frames
from mesh.errors import MeshError

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "frames.json"
DOC: dict[str, Any] = json.loads(VECTORS.read_text())


@functools.cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_frames", VECTORS.parent / "gen_frames.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_what_the_generator_writes() -> None:
    assert VECTORS.read_text() == generator().render()


def ids(section: str) -> list[str]:
    return [f"{section}-{c['tcId']}" for c in DOC[section]]


def test_every_frame_form_has_a_vector() -> None:
    forms = {(c["fields"]["type"], c["fields"].get("form")) for c in DOC["valid"]}
    assert {t for t, _ in forms} == {t.name for t in frames.FrameType}
    assert {f for t, f in forms if t == "SYNC"} == {"session", "announcement", "nack"}
    msg = [c["fields"] for c in DOC["valid"] if c["fields"]["type"] == "MSG"]
    assert {(m["abbreviated"], m["compressed"]) for m in msg} == {
        (False, False),
        (False, True),
        (True, False),
        (True, True),
    }
    objects = [c["fields"] for c in DOC["valid"] if c["fields"]["type"] == "OBJECT"]
    assert {o["compressed"] for o in objects} == {False, True}


@pytest.mark.parametrize("case", DOC["valid"], ids=ids("valid"))
def test_valid_frame_vector(case: dict[str, Any]) -> None:
    gen = generator()
    data = bytes.fromhex(case["frame"])
    frame = frames.decode_untrusted(data)
    assert gen.fields(frame, data) == case["fields"]
    assert frames.encode(frame) == data  # the one byte form of those fields
    if isinstance(frame, frames.Sync) and not frame.announcement:
        assert len(data) == frames.SYNC_OVERHEAD + len(frame.frame) == 20 + len(frame.frame)
    if isinstance(frame, frames.Sync) and frame.announcement:
        assert len(data) == frames.ANNOUNCEMENT == 17


def _context(known: dict[str, list[str]], body: bytes) -> frames.Context:
    roster = [bytes.fromhex(k) for k in known["roster"]]
    held = [bytes.fromhex(m) for m in known["held"]]
    return frames.Context(body, roster, lambda p: [m for m in held if m.startswith(p)])


@pytest.mark.parametrize("case", DOC["abbreviation"], ids=ids("abbreviation"))
def test_abbreviation_vector(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["frame"])
    msg = frames.decode_untrusted(data)
    assert isinstance(msg, frames.Msg) and msg.abbreviated
    short = bytes.fromhex(case["abbreviated"])
    assert msg.body == short
    # the body is not in the case: any body whose id starts with ctx will do
    body = msg.ctx + bytes(32 - frames.CTX)
    if "message" in case:
        sender = _context(case["sender"], body)
        assert frames.abbreviate(bytes.fromhex(case["message"]), sender) == short
        assert frames.handle_of(short).hex() == case["handle"]
    receiver = _context(case["receiver"], body)
    expect = case["expect"]
    if "expands_to" in expect:
        raw = frames.expand_untrusted(short, receiver)
        assert raw.hex() == expect["expands_to"] == case["message"]
        return
    with pytest.raises(MeshError) as info:
        frames.expand_untrusted(short, receiver)
    assert info.value.code == expect["error"] and info.value.reason == expect["reason"]


@pytest.mark.parametrize("case", DOC["fragmentation"], ids=ids("fragmentation"))
def test_fragmentation_vector(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["frame"])
    mtu = case["mtu"]
    if "error" in case:
        with pytest.raises(MeshError) as info:
            frames.fragment(data, mtu)
        assert info.value.code == case["error"]["code"]
        assert info.value.reason == case["error"]["reason"]
        return
    pieces = frames.fragment(data, mtu)
    assert [p.hex() for p in pieces] == case["fragments"]
    assert all(len(p) <= mtu for p in pieces)
    if len(pieces) == 1:
        assert pieces == [data]
        return
    r = frames.Reassembler()
    whole = None
    for p in reversed(pieces):  # any order
        frag = frames.decode_untrusted(p)
        assert isinstance(frag, frames.Frag)
        whole = r.receive(frag, 0.0) or whole
    assert whole == data


@pytest.mark.parametrize("case", DOC["invalid"], ids=ids("invalid"))
def test_invalid_frame_vector(case: dict[str, Any]) -> None:
    with pytest.raises(MeshError) as info:
        frames.decode_untrusted(bytes.fromhex(case["frame"]))
    assert info.value.code == case["error"] == "bad_frame"
    assert case["reason"] in info.value.reason
    assert info.value.offset == case["offset"]
