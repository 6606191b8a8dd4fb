"""Run the spec's vectors against any implementation's harness.

    python -m interop.runner --harness "caracol interop"
    python -m interop.runner --harness "node my-impl/harness.js" --vectors spec/vectors
    python -m interop.runner --js            # the JS core: node interop/js/harness.mjs
    python -m interop.runner --js --noble    # the same, on its @noble fallback

Starts the harness as a subprocess, sends every case of every vector file
it knows (messages.json: decode/id/encode; ed25519.json: verify), compares
the answers with the expected results, prints a summary and exits non-zero
on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_VECTORS = Path(__file__).resolve().parent.parent / "spec" / "vectors"
JS_HARNESS = Path(__file__).resolve().parent / "js" / "harness.mjs"


def js_harness_command(*, noble: bool = False) -> list[str]:
    """The command that starts the JS core's harness under Node.js."""
    node = shutil.which("node") or "/usr/bin/node"
    return [node, str(JS_HARNESS), *(["--noble"] if noble else [])]


@dataclass
class Report:
    passed: int = 0
    failures: list[str] = field(default_factory=list)


class Harness:
    """A running harness subprocess; ``ask`` sends one request, reads one answer."""

    def __init__(self, command: str | list[str]) -> None:
        argv = shlex.split(command) if isinstance(command, str) else command
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._next = 0

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._next += 1
        request = {**request, "id": self._next}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the harness closed its output")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("id") != self._next:
            raise RuntimeError(
                f"answer id {answer.get('id')!r} does not match request {self._next}"
            )
        return answer

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_message_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Every way a message vector is checked; returns the mismatches."""
    where = f"messages.json tcId {case['tcId']} ({case['comment']})"
    problems = []
    answer = h.ask({"op": "decode", "message": case["message"], "body": case.get("body")})
    if case["result"] == "valid":
        if not answer.get("ok"):
            return [f"{where}: expected valid, got {answer.get('error')}: {answer.get('reason')}"]
        if answer["message_id"] != case["id"]:
            problems.append(f"{where}: id {answer['message_id']} != {case['id']}")
        if answer["fields"] != case["fields"]:
            problems.append(f"{where}: decoded fields differ")
        idd = h.ask({"op": "id", "message": case["message"]})
        if idd.get("message_id") != case["id"]:
            problems.append(f"{where}: id op gave {idd.get('message_id')}")
        if "seed" in case:
            enc = h.ask(
                {
                    "op": "encode",
                    "seed": case["seed"],
                    "body": case.get("body"),
                    "fields": case["fields"],
                }
            )
            if enc.get("message") != case["message"]:
                problems.append(f"{where}: encode did not reproduce the exact bytes")
    elif answer.get("ok"):
        problems.append(f"{where}: expected {case['error']}, but it was accepted")
    elif answer.get("error") != case["error"]:
        problems.append(f"{where}: expected error {case['error']}, got {answer.get('error')}")
    return problems


def check_ed25519_case(h: Harness, case: dict[str, Any]) -> list[str]:
    answer = h.ask({"op": "verify", "pk": case["pk"], "msg": case["msg"], "sig": case["sig"]})
    want = case["result"] == "valid"
    if answer.get("valid") is not want:
        return [f"ed25519.json tcId {case['tcId']} ({case['comment']}): expected {case['result']}"]
    return []


def check_key_text_case(h: Harness, case: dict[str, Any]) -> list[str]:
    where = f"keys.json key_text tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "key_from_text", "text": case["text"]})
    if case["result"] == "valid":
        if not answer.get("ok"):
            return [f"{where}: expected valid, got {answer.get('error')}: {answer.get('reason')}"]
        problems = []
        if answer.get("key") != case["key"]:
            problems.append(f"{where}: key {answer.get('key')} != {case['key']}")
        back = h.ask({"op": "key_to_text", "key": case["key"]})
        stripped = case["text"].strip()
        canonical = stripped[:3] + stripped[3:].lower()
        if back.get("text") != canonical:
            problems.append(f"{where}: key_to_text gave {back.get('text')}, not {canonical}")
        return problems
    if answer.get("ok"):
        return [f"{where}: expected {case.get('error')}, but it was accepted"]
    if answer.get("error") != case.get("error", "bad_key_text"):
        return [f"{where}: expected error {case.get('error')}, got {answer.get('error')}"]
    if "offset" in case and answer.get("offset") != case["offset"]:
        return [f"{where}: expected offset {case['offset']}, got {answer.get('offset')}"]
    return []


def check_text_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Every listed order of a text.json case gives its text and state hash,
    every message with a ``past`` passing the causal check against it."""
    where = f"text.json tcId {case['tcId']} ({case['comment']})"
    problems = []
    messages = [_with_past_ids(m, case["messages"]) for m in case["messages"]]
    for order in case.get("orders", [list(range(len(messages)))]):
        answer = h.ask(
            {
                "op": "text_replay",
                "root": case["root"],
                "initial": case["initial"],
                "messages": [messages[i] for i in order],
            }
        )
        if not answer.get("ok"):
            problems.append(
                f"{where}: order {order}: {answer.get('error')}: {answer.get('reason')}"
            )
            continue
        if answer.get("text") != case["text"]:
            problems.append(f"{where}: order {order} gave {answer.get('text')!r}")
        if "state_sha256" in case and answer.get("state_sha256") != case["state_sha256"]:
            problems.append(f"{where}: order {order}: state hash differs")
    return problems


def _with_past_ids(message: dict[str, Any], among: list[dict[str, Any]]) -> dict[str, Any]:
    """A vector message with its ``past`` (indices) as the ids the harness takes."""
    if "past" not in message:
        return {"id": message["id"], "ops": message["ops"]}
    return {**message, "past": [among[i]["id"] for i in message["past"]]}


def check_text_rejected_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The causal check rejects the message with its code, changing nothing."""
    where = f"text.json rejected tcId {case['tcId']} ({case['comment']})"
    base = {"op": "text_replay", "root": case["root"], "initial": case["initial"]}
    applied = [{"id": m["id"], "ops": m["ops"]} for m in case["applied"]]
    before = h.ask({**base, "messages": applied})
    message = _with_past_ids(case["message"], case["applied"])
    answer = h.ask({**base, "messages": [*applied, message]})
    if answer.get("ok"):
        return [f"{where}: expected {case['error']}, but it was applied"]
    if answer.get("error") != case["error"]:
        return [f"{where}: expected {case['error']}, got {answer.get('error')}"]
    if answer.get("state_sha256") != before.get("state_sha256"):
        return [f"{where}: the rejected message changed the state"]
    return []


def check_keystore_case(h: Harness, case: dict[str, Any]) -> list[str]:
    where = f"keys.json keystore tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "keystore_open", "file": case["file"], "passphrase": case["passphrase"]})
    if case["result"] == "valid":
        if not answer.get("ok"):
            return [f"{where}: expected valid, got {answer.get('error')}: {answer.get('reason')}"]
        if (answer.get("seed"), answer.get("public_key")) != (case["seed"], case["public_key"]):
            return [f"{where}: opened to another seed or key"]
        return []
    if answer.get("ok"):
        return [f"{where}: expected {case['error']}, but it opened"]
    if (answer.get("error"), answer.get("reason")) != (case["error"], case["reason"]):
        return [f"{where}: expected {case['error']} ({case['reason']}), got {answer}"]
    return []


def check_card_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A card opens to its seed, or fails as damaged_card / wrong_pin."""
    where = f"cards.json tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "card_open", "card": case["card"], "pin": case["pin"]})
    if case["result"] == "valid":
        if not answer.get("ok"):
            return [f"{where}: expected valid, got {answer.get('error')}: {answer.get('reason')}"]
        got = tuple(answer.get(k) for k in ("seed", "body", "public_key", "name"))
        if got != (case["seed"], case["body"], case["public_key"], case["name"]):
            return [f"{where}: opened to {got}"]
        return []
    if answer.get("ok"):
        return [f"{where}: expected {case['error']}, but it opened"]
    if answer.get("error") != case["error"]:
        return [f"{where}: expected {case['error']}, got {answer.get('error')}"]
    if case["error"] == "wrong_pin" and answer.get("reason") != case["reason"]:
        return [f"{where}: reason {answer.get('reason')!r}, not {case['reason']!r}"]
    return []


def check_proof_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A full proof re-derives to exactly the recorded verdict statement, or
    is rejected as bad_proof."""
    where = f"verdicts.json proofs tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "verdict_proof",
            "proof": case["proof"],
            "higher_body": case["higher_body"],
            "resolution": case["resolution"],
        }
    )
    want = case["expect"]
    if "verdict" in want:
        if not answer.get("ok"):
            return [
                f"{where}: expected a verdict, got {answer.get('error')}: {answer.get('reason')}"
            ]
        if answer.get("verdict") != want["verdict"]:
            return [f"{where}: verdict {answer.get('verdict')} is not {want['verdict']}"]
        return []
    if answer.get("ok"):
        return [f"{where}: expected bad_proof ({want['error']}), but it verified"]
    if answer.get("error") != "bad_proof":
        return [f"{where}: expected bad_proof, got {answer.get('error')}"]
    return []


def check_constitution_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The founding constitution's digest, an initiative's text and the
    digest of what it makes (spec/constitution.md)."""
    where = f"verdicts.json people_founding tcId {case['tcId']}"
    i = case["initiative"]
    answer = h.ask(
        {
            "op": "constitution",
            "constitution": {k: case[k] for k in ("version", "params", "articles")},
            "initiative": {k: i[k] for k in ("version", "params", "articles")},
        }
    )
    problems = []
    for got, want, what in (
        (answer.get("digest"), case["digest"], "digest"),
        (answer.get("initiative_text"), i["text"], "initiative text"),
        (answer.get("digest_after"), i["digest_after"], "digest after the initiative"),
    ):
        if got != want:
            problems.append(f"{where}: {what} {got!r} is not {want!r}")
    return problems


# Vector files driven only when the harness lists the op in its hello answer
# (file, the section holding the cases, the op, the checker).
OPTIONAL_CHECKERS = (
    ("keys.json", "key_text", "key_from_text", check_key_text_case),
    ("text.json", "tests", "text_replay", check_text_case),
    ("text.json", "rejected", "text_replay", check_text_rejected_case),
    ("keys.json", "keystore", "keystore_open", check_keystore_case),
    ("cards.json", "cards", "card_open", check_card_case),
    ("verdicts.json", "proofs", "verdict_proof", check_proof_case),
    ("verdicts.json", "people_founding", "constitution", check_constitution_case),
)


CHECKERS = {
    "messages.json": check_message_case,
    "ed25519.json": check_ed25519_case,
    "ed25519_rules.json": check_ed25519_case,
}


def run_vectors(
    h: Harness, vectors: Path = DEFAULT_VECTORS, ops: tuple[str, ...] | list[str] = ()
) -> Report:
    """Every vector file the runner knows; the OPTIONAL_CHECKERS ones only
    when ``ops`` (the harness's hello) lists their op."""
    report = Report()
    for name, section, op, optional in OPTIONAL_CHECKERS:
        path = vectors / name
        if op not in ops or not path.exists():
            continue
        for case in json.loads(path.read_text())[section]:
            problems = optional(h, case)
            if problems:
                report.failures += problems
            else:
                report.passed += 1
    for name, checker in CHECKERS.items():
        path = vectors / name
        if not path.exists():
            continue
        for case in json.loads(path.read_text())["tests"]:
            problems = checker(h, case)
            if problems:
                report.failures += problems
            else:
                report.passed += 1
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--harness", default=f"{sys.executable} -m interop", help="command to start"
    )
    parser.add_argument("--vectors", type=Path, default=DEFAULT_VECTORS)
    parser.add_argument(
        "--js", action="store_true", help="run the JS core's harness (node interop/js/harness.mjs)"
    )
    parser.add_argument(
        "--noble", action="store_true", help="with --js: force the @noble fallback (no WebCrypto)"
    )
    args = parser.parse_args(argv)
    command: str | list[str] = js_harness_command(noble=args.noble) if args.js else args.harness
    with Harness(command) as h:
        hello = h.ask({"op": "hello"})
        print(f"harness: {hello.get('implementation')} {hello.get('version')}")
        report = run_vectors(h, args.vectors, hello.get("ops") or ())
    for f in report.failures:
        print("FAIL", f)
    print(f"{report.passed} passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
