"""The harness answers every line and never dies on bad input (spec/harness.md):
found by scripts/fuzz (issue 16.1), a line nested too deeply for the JSON
decoder raised RecursionError, and an Infinity where encode wants an
integer raised OverflowError, both out of ``handle_line`` (and so out of
``serve``, ending the harness)."""

from __future__ import annotations

import io
import json

from interop.harness import handle_line, serve

SEED = "00" * 32


def test_a_line_nested_too_deeply_is_a_bad_request() -> None:
    for line in ("[" * 100_000 + "]" * 100_000, '{"op": ' + "[" * 5000 + "]" * 5000 + "}"):
        answer = handle_line(line)
        assert answer["ok"] is False and answer["error"] == "bad_request", answer
        assert "nested too deeply" in answer["reason"]


def test_an_infinity_or_a_deep_payload_where_encode_wants_fields_is_a_bad_request() -> None:
    fields = {"kind": "comment", "payload": [], "seq": 1, "time": 1}
    for bad in ({"seq": float("inf")}, {"time": float("-inf")}, {"payload": [[[[[]]]]] * 2}):
        line = json.dumps({"op": "encode", "seed": SEED, "body": SEED, "fields": fields | bad})
        answer = handle_line(line)
        assert answer["ok"] is False, answer
    nest = "[" * 900 + "]" * 900
    deep = json.dumps({"op": "encode", "seed": SEED, "fields": fields | {"payload": 0}})
    answer = handle_line(deep.replace('"payload": 0', f'"payload": {nest}'))
    assert answer["ok"] is False, answer


def test_an_infinite_constitution_version_is_a_bad_request() -> None:
    line = json.dumps(
        {
            "op": "constitution",
            "constitution": {"version": float("inf"), "params": [], "articles": []},
        }
    )
    answer = handle_line(line)
    assert answer == {"id": None, "ok": False, "error": "bad_request", "reason": answer["reason"]}
    assert "infinity" in answer["reason"]


def test_serve_outlives_every_bad_line() -> None:
    lines = ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"op": "hello", "id": 2}']
    out = io.StringIO()
    serve(io.StringIO("\n".join(lines) + "\n"), out)
    answers = [json.loads(a) for a in out.getvalue().splitlines()]
    assert [a["ok"] for a in answers] == [False, False, True]
