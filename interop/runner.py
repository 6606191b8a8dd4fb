"""Run the spec's vectors against any implementation's harness.

    python -m interop.runner --harness "caracol interop"
    python -m interop.runner --harness "node my-impl/harness.js" --vectors spec/vectors
    python -m interop.runner --only messages  # one vector file (with or without .json)
    python -m interop.runner --js            # the JS core: node interop/js/harness.mjs
    python -m interop.runner --js --noble    # the same, on its @noble fallback

Starts the harness as a subprocess and goes through every vector file in
the vectors folder: each section of it the runner has a check for (see
``SECTIONS``) and the harness lists the ops of in its ``hello``. It prints
one line per file (``passed N  failed M``, or ``not supported by this
harness`` when it lacks the ops, or ``not driven`` when the runner has no
check for the file), then the total, and exits non-zero on any failure.
"""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks_core import (
    check_card_case,
    check_constitution_case,
    check_ed25519_case,
    check_key_text_case,
    check_keystore_case,
    check_message_case,
    check_proof_case,
    check_text_case,
    check_text_rejected_case,
    rejection_problems,
)
from .checks_layers import (
    check_abbreviation_case,
    check_attestation_case,
    check_bad_frame_case,
    check_bulletin_case,
    check_bundle_case,
    check_constituency_case,
    check_dag_case,
    check_dispute_case,
    check_fragmentation_case,
    check_frame_case,
    check_justice_case,
    check_link_case,
    check_nesting_case,
    check_one_person_case,
    check_people_case,
    check_process_case,
    check_reconcile_case,
    check_refutation_case,
)
from .client import JS_HARNESS, Harness, js_harness_command
from .errors import HarnessBroken

__all__ = [
    "JS_HARNESS",
    "SECTIONS",
    "FileResult",
    "Harness",
    "HarnessBroken",
    "Report",
    "check_ed25519_case",
    "check_message_case",
    "js_harness_command",
    "main",
    "rejection_problems",
    "run_vectors",
    "summary_lines",
]

DEFAULT_VECTORS = Path(__file__).resolve().parent.parent / "spec" / "vectors"


@dataclass
class FileResult:
    """What one vector file gave: cases passed and failed (a case fails once
    however many of its checks fail), the sections driven, those the harness
    lacks the ops for, and those the runner has no check for."""

    name: str
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    driven: list[str] = field(default_factory=list)
    unsupported: list[tuple[str, list[str]]] = field(default_factory=list)
    not_driven: list[str] = field(default_factory=list)
    broken: bool = False
    """The harness broke off during this file (exited, or answered out of
    turn): the run stops, and the files after it are not run."""
    not_run: bool = False


@dataclass
class Report:
    files: list[FileResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(f.passed for f in self.files)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.files)

    @property
    def failures(self) -> list[str]:
        return [p for f in self.files for p in f.failures]


CORE_OPS = ("hello", "decode", "verify", "id", "encode")


def check_hello(hello: dict[str, Any]) -> list[str]:
    """``hello`` answers what spec/harness.md says it must."""
    problems = []
    if hello.get("ok") is not True:
        problems.append(f"hello: not ok: {hello}")
    for key in ("implementation", "version"):
        if not isinstance(hello.get(key), str) or not hello.get(key):
            problems.append(f"hello: {key} must be a non-empty string, got {hello.get(key)!r}")
    if hello.get("protocol") != 0:
        problems.append(f"hello: protocol must be 0, got {hello.get('protocol')!r}")
    ops = hello.get("ops")
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        problems.append(f"hello: ops must be a list of op names, got {ops!r}")
    else:
        lacking = [op for op in CORE_OPS if op not in ops]
        if lacking:
            problems.append(f"hello: ops lacks the core ops {', '.join(lacking)}")
    return problems


def _bad_request(answer: Any, rid: Any, what: str) -> list[str]:
    if not isinstance(answer, dict):
        return [f"{what}: answered {answer!r}, not a JSON object"]
    problems = []
    if "id" not in answer or answer["id"] != rid:
        problems.append(f"{what}: the answer's id must be {json.dumps(rid)}, got {answer}")
    if answer.get("ok") is not False or answer.get("error") != "bad_request":
        problems.append(f"{what}: expected ok false and error bad_request, got {answer}")
    return problems


# Lines that are not requests, each with what the answer's id must be.
BAD_LINES = (
    ("a line that is not JSON", "this is not JSON", None),
    ("a line of JSON cut short", '{"op": "hello", "id": 7', None),
    ("a JSON array", '["hello"]', None),
    ("a JSON string", '"hello"', None),
    ("a JSON number", "42", None),
    ("JSON null", "null", None),
    ("an unknown op", '{"op": "no_such_op", "id": "u1"}', "u1"),
    ("a request without op", '{"id": 17}', 17),
    ("an op that is not a string", '{"op": ["hello"], "id": [1, 2]}', [1, 2]),
    ("bytes that are not hex", '{"op": "decode", "message": "zz", "id": "x"}', "x"),
    (
        "verify that is not a boolean",
        '{"op": "decode", "message": "00", "verify": 0, "id": "v"}',
        "v",
    ),
    ("a small integer in the int form", '{"op": "hello", "id": "n1", "n": {"int": "12"}}', "n1"),
    ("an int form without digits", '{"op": "hello", "id": "n2", "n": {"int": "1e30"}}', "n2"),
)
BIG_ID = {"int": "18446744073709551615"}


def check_framing(h: Harness, hello: dict[str, Any]) -> FileResult:
    """The framing of spec/harness.md, checked as one more line of the
    report: the hello answer, each bad line answered ``bad_request`` with
    the id it must repeat (null for a line that is not a request object),
    a blank line ignored, and the harness still answering after all that."""
    result = FileResult("harness.md", driven=["framing"])

    def record(problems: list[str]) -> None:
        result.failures.extend(problems)
        result.failed += bool(problems)
        result.passed += not problems

    record(check_hello(hello))
    for what, line, rid in BAD_LINES:
        record(_bad_request(h.ask_raw(line), rid, what))
    big = h.ask_raw(json.dumps({"op": "hello", "id": BIG_ID}))
    if not isinstance(big, dict) or big.get("id") != BIG_ID or big.get("ok") is not True:
        record([f"an id of 2^64 - 1 (in its int form) came back as {big}"])
    else:
        record([])
    # Blank lines get no answer: the next answer is the hello's after them.
    again = h.ask_raw('\n \t\n{"op": "hello", "id": "after blank lines"}')
    if not isinstance(again, dict) or again.get("id") != "after blank lines":
        record([f"blank lines must get no answer; the next answer was {again}"])
    else:
        record([] if again.get("ok") is True else [f"after bad lines, hello gave {again}"])
    return result


@dataclass(frozen=True)
class Section:
    """One list of cases in a vector file, the ops a harness needs for it
    (beyond the core ops every harness has) and the function that checks a
    case."""

    file: str
    key: str
    ops: tuple[str, ...]
    check: Callable[[Harness, dict[str, Any]], list[str]]


# Every section of every vector file the runner drives, in the order run.
SECTIONS = (
    Section("messages.json", "tests", (), check_message_case),
    Section("ed25519.json", "tests", (), check_ed25519_case),
    Section("ed25519_rules.json", "tests", (), check_ed25519_case),
    Section("keys.json", "key_text", ("key_from_text", "key_to_text"), check_key_text_case),
    Section("keys.json", "keystore", ("keystore_open",), check_keystore_case),
    Section("cards.json", "cards", ("card_open",), check_card_case),
    Section("text.json", "tests", ("text_replay",), check_text_case),
    Section("text.json", "rejected", ("text_replay",), check_text_rejected_case),
    Section("dag.json", "tests", ("dag_replay",), check_dag_case),
    Section("frames.json", "valid", ("frame_decode",), check_frame_case),
    Section("frames.json", "invalid", ("frame_decode",), check_bad_frame_case),
    Section(
        "frames.json",
        "abbreviation",
        ("frame_decode", "frame_abbreviate", "frame_expand"),
        check_abbreviation_case,
    ),
    Section(
        "frames.json",
        "fragmentation",
        ("frame_fragment", "frame_reassemble"),
        check_fragmentation_case,
    ),
    Section("reconcile.json", "tests", ("reconcile_side",), check_reconcile_case),
    Section("node.json", "handshakes", ("link_replay",), check_link_case),
    Section("node.json", "links", ("link_replay",), check_link_case),
    Section("sneakernet.json", "bundles", ("bundle_read",), check_bundle_case),
    Section("sneakernet.json", "bulletin_codes", ("bulletin_read",), check_bulletin_case),
    Section("process.json", "cases", ("process_fold",), check_process_case),
    Section("disputes.json", "cases", ("dispute_read",), check_dispute_case),
    Section("justice.json", "cases", ("council_fold",), check_justice_case),
    Section("verdicts.json", "proofs", ("verdict_proof",), check_proof_case),
    Section("verdicts.json", "people_founding", ("constitution",), check_constitution_case),
    Section("verdicts.json", "attestations", ("attestation_verify",), check_attestation_case),
    Section("verdicts.json", "refutations", ("refute",), check_refutation_case),
    Section("verdicts.json", "constituencies", ("constituency",), check_constituency_case),
    Section("verdicts.json", "one_person", ("one_person",), check_one_person_case),
    Section("verdicts.json", "people", ("people_ratify",), check_people_case),
    Section("nesting.json", "cases", ("combine_levels",), check_nesting_case),
)


def case_sections(data: dict[str, Any]) -> list[str]:
    """The keys of a vector file that hold lists of cases."""
    return [
        k
        for k, v in data.items()
        if isinstance(v, list) and v and all(isinstance(c, dict) for c in v)
    ]


def vector_files(vectors: Path) -> list[Path]:
    return sorted(vectors.glob("*.json"))


def resolve_only(vectors: Path, only: str) -> Path:
    """``--only messages`` or ``--only messages.json``; a name not among
    the vector files is an error naming them."""
    name = only if only.endswith(".json") else f"{only}.json"
    path = vectors / Path(name).name
    if not path.is_file():
        names = ", ".join(p.name for p in vector_files(vectors))
        raise SystemExit(f"no vector file {name} in {vectors} (there are: {names})")
    return path


def run_file(h: Harness, path: Path, ops: Sequence[str]) -> FileResult:
    """Drive every section of one vector file the runner knows, when the
    harness lists the ops the section needs."""
    result = FileResult(path.name)
    data = json.loads(path.read_text())
    known = [s for s in SECTIONS if s.file == path.name]
    result.not_driven = [k for k in case_sections(data) if k not in {s.key for s in known}]
    for section in known:
        missing = [op for op in section.ops if op not in ops]
        if missing:
            result.unsupported.append((section.key, missing))
            continue
        if section.key not in data:
            result.failures.append(f"{path.name}: no section {section.key!r}")
            result.failed += 1
            continue
        result.driven.append(section.key)
        for case in data[section.key]:
            try:
                problems = section.check(h, case)
            except HarnessBroken as exc:
                result.failures.append(
                    f"{path.name} {section.key} tcId {case.get('tcId')}: {exc}; the run stops"
                )
                result.failed += 1
                result.broken = True
                return result
            if problems:
                result.failures += problems
                result.failed += 1
            else:
                result.passed += 1
    return result


def run_vectors(
    h: Harness,
    vectors: Path = DEFAULT_VECTORS,
    ops: Sequence[str] | None = None,
    *,
    only: Path | None = None,
    framing: bool = True,
) -> Report:
    """Every vector file in ``vectors`` (or just ``only``), each section the
    runner knows and the harness's ``hello`` lists the ops of."""
    if ops is None:
        ops = h.ask({"op": "hello"}).get("ops") or ()
    report = Report()
    paths = [only] if only is not None else vector_files(vectors)
    if framing:
        try:
            report.files.append(check_framing(h, h.ask({"op": "hello"})))
        except HarnessBroken as exc:
            broken = FileResult("harness.md", failed=1, broken=True, failures=[f"framing: {exc}"])
            report.files.append(broken)
            report.files += [FileResult(p.name, not_run=True) for p in paths]
            return report
    for i, path in enumerate(paths):
        result = run_file(h, path, ops)
        report.files.append(result)
        if result.broken:
            report.files += [FileResult(p.name, not_run=True) for p in paths[i + 1 :]]
            break
    return report


def summary_lines(report: Report) -> list[str]:
    """One line per vector file, then the total."""
    width = max([len(f.name) for f in report.files] + [5])
    lines = []
    for f in report.files:
        lacking = "; ".join(f"{key} needs {', '.join(ops)}" for key, ops in f.unsupported)
        if f.not_run:
            lines.append(f"{f.name:<{width}}  not run (the harness broke off before it)")
        elif f.driven or f.broken:
            notes = []
            if f.unsupported:
                notes.append(f"not supported by this harness: {lacking}")
            if f.not_driven:
                notes.append(f"not driven: {', '.join(f.not_driven)}")
            note = f"  ({'; '.join(notes)})" if notes else ""
            lines.append(f"{f.name:<{width}}  passed {f.passed}  failed {f.failed}{note}")
        elif f.unsupported:
            lines.append(f"{f.name:<{width}}  not supported by this harness ({lacking})")
        else:
            lines.append(f"{f.name:<{width}}  not driven (the runner has no check for it yet)")
    files = [f for f in report.files if f.name.endswith(".json")]
    driven = sum(1 for f in files if f.driven)
    unsupported = sum(1 for f in files if f.unsupported and not f.driven)
    not_run = sum(1 for f in files if f.not_run)
    lines.append(
        f"{'total':<{width}}  passed {report.passed}  failed {report.failed}"
        f"  ({driven} files driven, {unsupported} not supported,"
        f" {len(files) - driven - unsupported - not_run} not driven"
        + (f", {not_run} not run" if not_run else "")
        + ")"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--harness", default=f"{sys.executable} -m interop", help="command to start"
    )
    parser.add_argument("--vectors", type=Path, default=DEFAULT_VECTORS)
    parser.add_argument(
        "--only", metavar="FILE", help="run one vector file (with or without .json)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up on a harness that has not answered for this long (default 120)",
    )
    parser.add_argument(
        "--js", action="store_true", help="run the JS core's harness (node interop/js/harness.mjs)"
    )
    parser.add_argument(
        "--noble", action="store_true", help="with --js: force the @noble fallback (no WebCrypto)"
    )
    args = parser.parse_args(argv)
    only = resolve_only(args.vectors, args.only) if args.only else None
    command: str | list[str] = js_harness_command(noble=args.noble) if args.js else args.harness
    with Harness(command, timeout=args.timeout) as h:
        hello = h.ask({"op": "hello"})
        print(f"harness: {hello.get('implementation')} {hello.get('version')}")
        report = run_vectors(
            h, args.vectors, hello.get("ops") or (), only=only, framing=only is None
        )
    for f in report.failures:
        print("FAIL", f)
    for line in summary_lines(report):
        print(line)
    if report.failures:
        return 1
    if only is not None and not report.files[0].driven:
        print(f"{only.name}: nothing was checked", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
