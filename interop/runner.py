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

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
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


class HarnessBroken(RuntimeError):
    """The harness exited, or answered something that is not an answer:
    the run cannot go on with it."""


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

    def ask_raw(self, line: str) -> Any:
        """Send one line as it is (even one that is not a request) and read
        one answer line, parsed as JSON."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise HarnessBroken("the harness closed its output")
        try:
            return json.loads(out)
        except ValueError:
            raise HarnessBroken(f"the harness answered a line that is not JSON: {out!r}") from None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        answer = self.ask_raw(json.dumps({**request, "id": self._next}))
        if not isinstance(answer, dict):
            raise HarnessBroken(f"the harness answered {answer!r}, not a JSON object")
        if answer.get("id") != self._next:
            raise HarnessBroken(
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


def rejection_problems(answer: dict[str, Any], case: dict[str, Any], where: str) -> list[str]:
    """An answer to a case that must be rejected: ``ok`` false with the
    case's ``error`` code and, wherever the case has the key, exactly its
    ``field`` and ``offset`` (a null there means the answer names none:
    the key absent or null)."""
    if answer.get("ok") is not False:
        return [f"{where}: expected {case['error']}, but it was accepted"]
    if answer.get("error") != case["error"]:
        return [f"{where}: expected error {case['error']}, got {answer.get('error')}"]
    return [
        f"{where}: expected {key} {case[key]!r}, got {answer.get(key)!r}"
        for key in ("field", "offset")
        if key in case and answer.get(key) != case[key]
    ]


def check_message_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Every way a message vector is checked; returns the mismatches.

    A valid message decodes (with and without ``verify``) to its id and
    fields, ``id`` gives its id and, where the vector has the seed,
    ``encode`` gives its exact bytes and id. An invalid one is rejected
    with its code, field and offset; with ``verify: false`` the same,
    except that a message whose only fault is its signature decodes to the
    SHA-256 of its bytes."""
    where = f"messages.json tcId {case['tcId']} ({case['comment']})"
    request = {"op": "decode", "message": case["message"], "body": case.get("body")}
    answer = h.ask(request)
    unverified = h.ask({**request, "verify": False})
    if case["result"] != "valid":
        problems = rejection_problems(answer, case, where)
        if case["error"] != "bad_signature":
            return problems + rejection_problems(unverified, case, f"{where} (verify: false)")
        if not unverified.get("ok"):
            return [*problems, f"{where}: with verify: false, got {unverified.get('error')}"]
        sha = hashlib.sha256(bytes.fromhex(case["message"])).hexdigest()
        if unverified.get("message_id") != sha:
            problems.append(f"{where}: with verify: false, id {unverified.get('message_id')}")
        return problems
    if not answer.get("ok"):
        return [f"{where}: expected valid, got {answer.get('error')}: {answer.get('reason')}"]
    problems = []
    for got, how in ((answer, ""), (unverified, " (verify: false)")):
        if got.get("message_id") != case["id"]:
            problems.append(f"{where}{how}: id {got.get('message_id')} != {case['id']}")
        if got.get("fields") != case["fields"]:
            problems.append(f"{where}{how}: decoded fields differ")
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
        if enc.get("message_id") != case["id"]:
            problems.append(f"{where}: encode gave id {enc.get('message_id')}")
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
    return rejection_problems(answer, {"error": "bad_key_text", **case}, where)


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


DAG_ANSWER = ("order", "depths", "heads", "missing", "pending", "equivocations", "state_hash")


def check_dag_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A log's replay order, depths, heads, missing parents, pending
    messages, equivocation evidence and state hash are functions of its
    set: the vector's delivery order and that order reversed (genesis
    last) give exactly the recorded answer."""
    where = f"dag.json tcId {case['tcId']} ({case['comment']})"
    messages = [case["genesis"], *case["deliver"]]
    problems = []
    for how, delivery in (("", messages), (" (delivered backwards)", messages[::-1])):
        answer = h.ask({"op": "dag_replay", "body": case["body"], "messages": delivery})
        if not answer.get("ok"):
            problems.append(f"{where}{how}: {answer.get('error')}: {answer.get('reason')}")
            continue
        problems += [
            f"{where}{how}: {key} {answer.get(key)!r} is not {case[key]!r}"
            for key in DAG_ANSWER
            if answer.get(key) != case[key]
        ]
    return problems


def check_frame_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A valid frame decodes to its fields and is the one byte form of them."""
    where = f"frames.json valid tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "frame_decode", "frame": case["frame"]})
    if not answer.get("ok"):
        return [f"{where}: dropped: {answer.get('error')}: {answer.get('reason')}"]
    problems = []
    if answer.get("fields") != case["fields"]:
        problems.append(f"{where}: fields {answer.get('fields')} are not {case['fields']}")
    if answer.get("reencoded") != case["frame"]:
        problems.append(f"{where}: its fields encode to {answer.get('reencoded')}")
    return problems


def check_bad_frame_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """An invalid frame is dropped with its code and offset."""
    where = f"frames.json invalid tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "frame_decode", "frame": case["frame"]})
    return rejection_problems(answer, case, where)


def check_abbreviation_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The sender's abbreviation and handle, the MSG frame carrying it, and
    the receiver's expansion to the exact signed bytes (or its refusal)."""
    where = f"frames.json abbreviation tcId {case['tcId']} ({case['comment']})"
    problems = []
    if "message" in case:
        short = h.ask({"op": "frame_abbreviate", "message": case["message"], **case["sender"]})
        if (short.get("abbreviated"), short.get("handle")) != (case["abbreviated"], case["handle"]):
            problems.append(f"{where}: the sender abbreviates to {short}")
    frame = h.ask({"op": "frame_decode", "frame": case["frame"]}).get("fields") or {}
    if (frame.get("type"), frame.get("abbreviated"), frame.get("body")) != (
        "MSG",
        True,
        case["abbreviated"],
    ):
        problems.append(f"{where}: the frame decodes to {frame}")
    answer = h.ask({"op": "frame_expand", "abbreviated": case["abbreviated"], **case["receiver"]})
    expect = case["expect"]
    if "expands_to" in expect:
        if answer.get("message") != expect["expands_to"]:
            problems.append(f"{where}: expands to {answer}")
        return problems
    return problems + rejection_problems(answer, {"error": expect["error"]}, where)


def check_fragmentation_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A frame is cut into exactly the recorded fragments, which reassemble
    to it received backwards; an MTU too small is refused."""
    where = f"frames.json fragmentation tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "frame_fragment", "frame": case["frame"], "mtu": case["mtu"]})
    if "error" in case:
        return rejection_problems(answer, {"error": case["error"]["code"]}, where)
    if answer.get("fragments") != case["fragments"]:
        return [f"{where}: fragments {answer.get('fragments')}"]
    if len(case["fragments"]) == 1:
        return []
    whole = h.ask({"op": "frame_reassemble", "fragments": case["fragments"][::-1]})
    if whole.get("frame") != case["frame"]:
        return [f"{where}: reassembled to {whole}"]
    return []


def check_reconcile_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Each side, replaying the other's frames of the transcript against its
    own id set, sends exactly its recorded frames and concludes exactly its
    recorded HaveIds/NeedIds."""
    where = f"reconcile.json tcId {case['tcId']} ({case['comment']})"
    problems = []
    for side in ("a", "b"):
        answer = h.ask(
            {
                "op": "reconcile_side",
                "ids": case[f"{side}_ids"],
                "initiate": side == "a",
                "max_frame": case["max_frame"],
                "branching": case["branching"],
                "idlist_threshold": case["idlist_threshold"],
                "peer_frames": [f["frame"] for f in case["frames"] if f["from"] != side],
            }
        )
        if not answer.get("ok"):
            problems.append(f"{where}: side {side}: {answer.get('error')}: {answer.get('reason')}")
            continue
        mine = [f["frame"] for f in case["frames"] if f["from"] == side]
        if answer.get("frames") != mine:
            got = answer.get("frames") or []
            first = next(
                (i for i, (x, y) in enumerate(zip(got, mine, strict=False)) if x != y), None
            )
            problems.append(
                f"{where}: side {side} sent {len(got)} frames, not {len(mine)}"
                + (f" (frame {first} differs)" if first is not None else "")
            )
        if answer.get("events") != case["events"][side]:
            problems.append(f"{where}: side {side} concluded {answer.get('events')}")
    return problems


def check_bundle_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A bundle reads to its body, heads and messages (each verified as
    recorded) and is the one byte form of them, or is refused whole."""
    where = f"sneakernet.json bundles tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "bundle_read", "bundle": case["bundle"]})
    expect = case["expect"]
    if "error" in expect:
        return rejection_problems(answer, {"error": "bad_frame"}, where)
    if not answer.get("ok"):
        return [f"{where}: refused: {answer.get('error')}: {answer.get('reason')}"]
    problems = [
        f"{where}: {key} {answer.get(key)} is not {expect[key]}"
        for key in ("body", "heads", "messages", "verify")
        if answer.get(key) != expect[key]
    ]
    if answer.get("reencoded") != case["bundle"]:
        problems.append(f"{where}: does not re-encode to its bytes")
    return problems


def _same_problem(got: Any, want: str) -> bool:
    """A scan problem names its place exactly: ``code N: ...`` (the text
    after the colon is the implementation's) or the whole
    ``codes [i, ...] of n were not read``."""
    if not isinstance(got, str):
        return False
    if want.startswith("code "):
        return got.startswith(want[: want.index(":") + 1])
    return got == want


def check_bulletin_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Scanned codes give the body, the messages in order (each verifying)
    and each problem at its position, or fail when none is readable."""
    where = f"sneakernet.json bulletin_codes tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "bulletin_read", "payloads": case["payloads"]})
    expect = case["expect"]
    if "error" in expect:
        return rejection_problems(answer, {"error": "bad_frame"}, where)
    if not answer.get("ok"):
        return [f"{where}: failed: {answer.get('error')}: {answer.get('reason')}"]
    problems = [
        f"{where}: {key} {answer.get(key)} is not {expect[key]}"
        for key in ("body", "messages")
        if answer.get(key) != expect[key]
    ]
    got = answer.get("problems")
    if (
        not isinstance(got, list)
        or len(got) != len(expect["problems"])
        or not all(_same_problem(g, w) for g, w in zip(got, expect["problems"], strict=True))
    ):
        problems.append(f"{where}: problems {got} are not {expect['problems']}")
    if answer.get("verify") != ["ok"] * len(expect["messages"]):
        problems.append(f"{where}: not every message verifies: {answer.get('verify')}")
    return problems


def _normative_fold(result: Any) -> Any:
    """What of a fold's result the vectors fix for every implementation:
    all of it but the reference's own ``state_hash``, and of the ignored
    messages which ones (their reasons are the reference's wording)."""
    if not isinstance(result, dict):
        return result
    out = {k: v for k, v in result.items() if k != "state_hash"}
    if isinstance(out.get("ignored"), list):
        out["ignored"] = sorted(
            str(i[0]) if isinstance(i, list) and i else repr(i) for i in out["ignored"]
        )
    return out


def check_process_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A Community log folds to exactly the recorded result, whether its
    messages are delivered in signing order or backwards."""
    where = f"process.json tcId {case['tcId']} ({case['comment']})"
    want = _normative_fold(case["expect"])
    problems = []
    for how, messages in (
        ("", case["messages"]),
        (" (delivered backwards)", case["messages"][::-1]),
    ):
        answer = h.ask(
            {"op": "process_fold", "body": case["body"], "messages": messages, "now": case["now"]}
        )
        if not answer.get("ok"):
            problems.append(f"{where}{how}: {answer.get('error')}: {answer.get('reason')}")
            continue
        got = _normative_fold(answer.get("result"))
        if got != want:
            keys = sorted(k for k in want if not isinstance(got, dict) or got.get(k) != want[k])
            problems.append(f"{where}{how}: the fold differs in {', '.join(keys) or 'its keys'}")
    return problems


def check_attestation_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """An attestation of at least k signers states exactly the recorded
    verdict, or is rejected as bad_proof."""
    where = f"verdicts.json attestations tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "attestation_verify", "attestation": case["attestation"], "k": case["k"]})
    want = case["expect"]
    if "error" in want:
        return rejection_problems(answer, {"error": "bad_proof"}, where)
    if answer.get("verdict") != want["verdict"]:
        return [f"{where}: verdict {answer.get('verdict')} is not {want['verdict']}"]
    return []


def check_refutation_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The full proof refutes exactly the recorded signers of the attestation."""
    where = f"verdicts.json refutations tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "refute",
            "attestation": case["attestation"],
            "k": 5,
            "proof": case["proof"],
            "higher_body": case["higher_body"],
            "resolution": case["resolution"],
        }
    )
    if answer.get("refuted_signers") != case["refuted_signers"]:
        return [f"{where}: refuted {answer.get('refuted_signers')}: {answer.get('reason', '')}"]
    return []


def _reasons_as_presence(value: Any) -> Any:
    """A reason string (the reference's wording) as True, null as False."""
    return value is not None


def _normative_constituency(result: dict[str, Any]) -> dict[str, Any]:
    out = {k: result.get(k) for k in ("constituents", "admissions", "ignored", "why_not")}
    if isinstance(out["ignored"], list):
        out["ignored"] = sorted(str(i[0]) for i in out["ignored"] if isinstance(i, list) and i)
    if isinstance(out["why_not"], dict):
        out["why_not"] = {b: _reasons_as_presence(w) for b, w in out["why_not"].items()}
    return out


def check_constituency_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A higher body's log and its constituents' proofs give exactly the
    recorded constituents and admissions, ignore exactly the recorded
    messages, and say of exactly the recorded bodies that they are not
    constituents (the wording of the reasons is the implementation's)."""
    where = f"verdicts.json constituencies tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "constituency",
            "higher_messages": case["higher_messages"],
            "proofs": case["proofs"],
            "bodies": list(case["expect"]["why_not"]),
        }
    )
    if not answer.get("ok"):
        return [f"{where}: {answer.get('error')}: {answer.get('reason')}"]
    got, want = _normative_constituency(answer), _normative_constituency(case["expect"])
    return [f"{where}: {k} {got[k]} is not {want[k]}" for k in want if got[k] != want[k]]


def check_one_person_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The duplicates, the constituents that do not count (the reasons'
    wording is the implementation's), the standing and the count."""
    where = f"verdicts.json one_person tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "one_person",
            "higher_body": case["higher_body"],
            "resolution": case["resolution"],
            "min_constituent_size": case["rules"]["min_constituent_size"],
            "proofs": case["proofs"],
        }
    )
    if not answer.get("ok"):
        return [f"{where}: {answer.get('error')}: {answer.get('reason')}"]
    want = case["expect"]
    problems = [
        f"{where}: {k} {answer.get(k)} is not {want[k]}"
        for k in ("duplicates", "standing", "counting")
        if answer.get(k) != want[k]
    ]
    got_nc = answer.get("not_counting")
    if not isinstance(got_nc, dict) or sorted(got_nc) != sorted(want["not_counting"]):
        problems.append(f"{where}: not counting {got_nc}, not {sorted(want['not_counting'])}")
    return problems


def check_people_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The Collective ratifies exactly the recorded version (with its count)
    or refuses it."""
    where = f"verdicts.json people tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "people_ratify",
            "collective_log": case["collective_log"],
            "ratification": case["ratification"],
            "parts": case["parts"],
            "structure": case["structure"],
            "min_constituent_size": case["rules"]["min_constituent_size"],
        }
    )
    if not answer.get("ok"):
        return [f"{where}: {answer.get('error')}: {answer.get('reason')}"]
    keys = [k for k in case["expect"] if k != "reason"]
    return [
        f"{where}: {k} {answer.get(k)!r} is not {case['expect'][k]!r}"
        for k in keys
        if answer.get(k) != case["expect"][k]
    ]


def _ignored_ids(ignored: Any) -> Any:
    """Of ``[[id, reason], ...]`` the ids, sorted: which messages are
    ignored is normative, the reasons' wording is the reference's."""
    if not isinstance(ignored, list):
        return ignored
    return sorted(str(i[0]) if isinstance(i, list) and i else repr(i) for i in ignored)


def _backwards(log: list[str]) -> list[str]:
    """A log delivered genesis first, then the rest in reverse."""
    return log[:1] + log[:0:-1]


def _normative_dispute(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    out = dict(result)
    if isinstance(out.get("fold_ignored"), dict):
        out["fold_ignored"] = {b: _ignored_ids(v) for b, v in out["fold_ignored"].items()}
    if isinstance(out.get("state"), dict):
        out["state"] = {**out["state"], "ignored": _ignored_ids(out["state"].get("ignored"))}
    return out


def check_dispute_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """The dispute's state, positions, settlement, escalations and
    determination, and which messages each fold ignores, from the logs
    delivered in signing order and backwards."""
    where = f"disputes.json tcId {case['tcId']} ({case['comment']})"
    want = _normative_dispute(case["expect"])
    problems = []
    for how, logs in (
        ("", case["logs"]),
        (" (delivered backwards)", [_backwards(log) for log in case["logs"]]),
    ):
        answer = h.ask(
            {
                "op": "dispute_read",
                "dispute": case["dispute"],
                "logs": logs,
                "constituents": case["constituents"],
            }
        )
        if not answer.get("ok"):
            problems.append(f"{where}{how}: {answer.get('error')}: {answer.get('reason')}")
            continue
        got = _normative_dispute(answer.get("result"))
        if got != want:
            problems.append(f"{where}{how}: the dispute reads {got}, not {want}")
    return problems


def _normative_council(result: Any) -> Any:
    """All of a council's fold but the reference's state hash, the ignored
    messages' reasons and the wording of the problem (only whether there
    is one: a council without a valid charter)."""
    if not isinstance(result, dict):
        return result
    out = {k: v for k, v in result.items() if k != "state_hash"}
    out["ignored"] = _ignored_ids(out.get("ignored"))
    out["problem"] = out.get("problem") is not None
    return out


def check_justice_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A council folded against its Community gives the recorded charter,
    seats, members, cases and plans, and ignores the recorded messages."""
    where = f"justice.json tcId {case['tcId']} ({case['comment']})"
    want = _normative_council(case["expect"])
    problems = []
    for how, order in (("", lambda log: log), (" (delivered backwards)", _backwards)):
        answer = h.ask(
            {
                "op": "council_fold",
                "community_messages": order(case["community_messages"]),
                "council_messages": order(case["council_messages"]),
                "now": case["now"],
            }
        )
        if not answer.get("ok"):
            problems.append(f"{where}{how}: {answer.get('error')}: {answer.get('reason')}")
            continue
        got = _normative_council(answer.get("result"))
        if got != want:
            keys = sorted(k for k in want if not isinstance(got, dict) or got.get(k) != want[k])
            problems.append(f"{where}{how}: the council differs in {', '.join(keys)}")
    return problems


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
        "--js", action="store_true", help="run the JS core's harness (node interop/js/harness.mjs)"
    )
    parser.add_argument(
        "--noble", action="store_true", help="with --js: force the @noble fallback (no WebCrypto)"
    )
    args = parser.parse_args(argv)
    only = resolve_only(args.vectors, args.only) if args.only else None
    command: str | list[str] = js_harness_command(noble=args.noble) if args.js else args.harness
    with Harness(command) as h:
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
