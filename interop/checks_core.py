"""The runner's checks of the vector files every harness can be driven
through with the core ops, and of the key, keystore, card, text, verdict
proof and constitution sections (spec/harness.md, "Running the vectors")."""

from __future__ import annotations

import hashlib
from typing import Any

from .client import Harness


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
