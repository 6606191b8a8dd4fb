"""The conformance runner itself (interop/runner.py): its one line per
vector file, ``--only``, and that it fails a harness that lies.

These run the Python reference harness as a subprocess (no Node.js needed).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from interop import runner

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors"
REFERENCE = [sys.executable, "-m", "interop"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    rc = runner.main(["--harness", " ".join(REFERENCE), *argv])
    return rc, capsys.readouterr().out.splitlines()


def test_one_line_per_vector_file_then_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run(capsys)
    assert rc == 0, "\n".join(out)
    names = [p.name for p in sorted(VECTORS.glob("*.json"))]
    table = [line for line in out if not line.startswith(("harness:", "FAIL"))]
    assert [line.split()[0] for line in table] == ["harness.md", *names, "total"]
    assert "passed 16  failed 0" in table[0]  # hello and the framing of bad lines
    for line in table[1:-1]:
        assert (
            "  passed " in line or "not supported by this harness" in line or "not driven" in line
        )
    assert any(line.startswith("messages.json") and "passed 83  failed 0" in line for line in out)
    # the reference harness has every op: every file is driven, every case passes
    assert all("failed 0" in line and "not " not in line for line in table[:-1]), "\n".join(table)
    assert table[-1].endswith(f"({len(names)} files driven, 0 not supported, 0 not driven)")


def test_files_not_driven_are_never_counted_as_passed(tmp_path: Path) -> None:
    (tmp_path / "messages.json").write_text((VECTORS / "messages.json").read_text())
    (tmp_path / "future.json").write_text(json.dumps({"tests": [{"tcId": 1}]}))
    with runner.Harness(REFERENCE) as h:
        report = runner.run_vectors(h, tmp_path, framing=False)
    future = next(f for f in report.files if f.name == "future.json")
    assert (future.passed, future.failed, future.driven) == (0, 0, [])
    lines = runner.summary_lines(report)
    assert any(line.startswith("future.json") and "not driven" in line for line in lines)
    assert report.passed == next(f for f in report.files if f.name == "messages.json").passed


def test_only_runs_one_file_named_with_or_without_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("ed25519", "ed25519.json"):
        rc, out = run(capsys, "--only", name)
        assert rc == 0
        assert [line.split()[0] for line in out[1:]] == ["ed25519.json", "total"]
        assert "passed 22  failed 0" in out[1]
    with pytest.raises(SystemExit, match=r"no vector file nope\.json"):
        runner.main(["--only", "nope"])


LIAR = Path(__file__).resolve().parent / "lying_harness.py"


@pytest.mark.parametrize("lie", ["offset", "field"])
def test_a_harness_that_lies_about_positions_fails(
    capsys: pytest.CaptureFixture[str], lie: str
) -> None:
    rc = runner.main(["--harness", f"{sys.executable} {LIAR} {lie}"])
    out = capsys.readouterr().out
    assert rc != 0
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert fails and all(f"expected {lie}" in line for line in fails), out
    messages = next(line for line in out.splitlines() if line.startswith("messages.json"))
    assert "failed 0" not in messages


@pytest.mark.parametrize(
    ("lie", "caught", "failed"),
    [
        ("hello", "hello: protocol must be 0", 1),
        ("bad_line_id", "a JSON array: the answer's id must be null", 6),
        ("bad_request", "an unknown op: expected ok false and error bad_request", 1),
    ],
)
def test_a_harness_that_breaks_the_framing_fails(
    capsys: pytest.CaptureFixture[str], lie: str, caught: str, failed: int
) -> None:
    rc = runner.main(["--harness", f"{sys.executable} {LIAR} {lie}"])
    out = capsys.readouterr().out
    assert rc != 0
    assert f"FAIL {caught}" in out
    assert f"harness.md          passed {16 - failed}  failed {failed}" in out


def test_a_harness_that_dies_fails_and_the_rest_is_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = runner.main(["--harness", f"{sys.executable} {LIAR} die"])
    out = capsys.readouterr().out
    assert rc != 0
    assert "FAIL text.json tests tcId 1: the harness closed its output; the run stops" in out
    assert "text.json           passed 0  failed 1" in out
    assert "verdicts.json       not run (the harness broke off before it)" in out
    assert "1 not run)" in out


def test_a_harness_listing_an_op_it_does_not_answer_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = runner.main(["--harness", f"{sys.executable} {LIAR} no_dag", "--only", "dag"])
    out = capsys.readouterr().out
    assert rc != 0
    assert "dag.json  passed 0  failed 7" in out


def test_the_js_harness_reports_what_it_lacks_as_not_supported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (scripts/setup installs Debian nodejs)")
    rc = runner.main(["--js"])
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "not supported by this harness (cases needs process_fold)" in lines["process.json"]
    assert "passed 7  failed 0" in lines["dag.json"]
    assert "passed 83  failed 0" in lines["messages.json"]
    assert "passed 16  failed 0" in lines["harness.md"]
    assert "failed 0" in lines["total"] and "not supported" in lines["total"]


def test_the_reference_answers_malformed_requests_to_every_op() -> None:
    """Fields missing, of the wrong type, or bytes that are no message: every
    op of the reference answers ok false with a code (bad_request or the
    protocol's), never harness_error, and goes on."""
    wrong_types: dict[str, object] = {
        "messages": "x",
        "body": 5,
        "frame": [],
        "ids": {},
        "logs": [1],
        "proofs": "zz",
        "k": "a",
        "now": "1",
        "mtu": None,
        "text": 3,
        "passphrase": 3,
        "pin": None,
        "fields": [],
        "structure": [],
    }
    lists = "messages proofs parts payloads ids peer_frames fragments collective_log"
    lists += " community_messages council_messages higher_messages"
    no_messages = {name: ["00"] for name in lists.split()}
    with runner.Harness(REFERENCE) as h:
        ops = h.ask({"op": "hello"})["ops"]
        for op in ops:
            for request in ({}, wrong_types, {**no_messages, "body": "00" * 32, "now": 1}):
                answer = h.ask({"op": op, **request})
                assert answer.get("error") != "harness_error", (op, request, answer)
                assert isinstance(answer.get("ok"), bool), (op, answer)
        assert h.ask({"op": "hello"})["ok"] is True


def test_a_harness_that_stops_answering_breaks_the_run_after_the_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = runner.main(["--harness", f"{sys.executable} {LIAR} hang", "--timeout", "2"])
    out = capsys.readouterr().out
    assert rc != 0
    assert "the harness gave no answer within 2 s; the run stops" in out
    assert "verdicts.json       not run (the harness broke off before it)" in out
