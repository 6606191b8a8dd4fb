"""The runner's checks of the vector files of each layer beyond the core
ops (spec/harness.md): the DAG, radio frames, reconciliation, sneakernet,
the assembly process, federation and the people's constitution, disputes
and justice councils. Each compares what the vectors fix for every
implementation: never a reason's wording, never the reference's own fold
hash."""

from __future__ import annotations

import zlib
from typing import Any

from protocol import canonical
from protocol.errors import ProtocolError

from .checks_core import rejection_problems
from .client import Harness

DAG_ANSWER = ("order", "depths", "heads", "missing", "pending", "equivocations", "state_hash")


def check_dag_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """A log's replay order, depths, heads, missing parents, pending
    messages, equivocation evidence and state hash are functions of its
    set: the vector's delivery order and that order reversed (genesis
    last) give exactly the recorded answer."""
    where = f"dag.json tcId {case['tcId']} ({case['comment']})"
    messages = [case["genesis"], *case["deliver"]]
    if "error" in case:  # the first rejection, in the vector's delivery order
        answer = h.ask({"op": "dag_replay", "body": case["body"], "messages": messages})
        problems = rejection_problems(answer, case, where)
        if not problems and answer.get("index") != case["index"]:
            problems.append(f"{where}: rejected message {answer.get('index')}, not {case['index']}")
        return problems
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
    """A valid frame decodes to its fields and is the one byte form of them;
    a compressed one (MSG, OBJECT) re-encodes to the same six bytes before
    its compressed bytes and to a zlib stream that inflates to the same body,
    since the protocol does not fix the deflater's output (spec/mesh.md)."""
    where = f"frames.json valid tcId {case['tcId']} ({case['comment']})"
    answer = h.ask({"op": "frame_decode", "frame": case["frame"]})
    if not answer.get("ok"):
        return [f"{where}: dropped: {answer.get('error')}: {answer.get('reason')}"]
    problems = []
    fields = case["fields"]
    if answer.get("fields") != fields:
        problems.append(f"{where}: fields {answer.get('fields')} are not {fields}")
    got = answer.get("reencoded")
    if fields.get("compressed"):
        if not _same_compressed(got, case["frame"], fields.get("body", fields.get("data"))):
            problems.append(f"{where}: its fields encode to {got}, which is not this frame")
    elif got != case["frame"]:
        problems.append(f"{where}: its fields encode to {got}")
    return problems


def _same_compressed(got: Any, frame: str, inflated: str) -> bool:
    """``got`` (hex) is ``frame`` up to its compressed bytes: the same header,
    ctx and flag byte, then one whole zlib stream inflating to ``inflated``."""
    if not isinstance(got, str) or got[:12] != frame[:12]:
        return False
    try:
        d = zlib.decompressobj()
        body = d.decompress(bytes.fromhex(got[12:]))
    except (ValueError, zlib.error):
        return False
    return d.eof and not d.unused_data and body.hex() == inflated


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
        return rejection_problems(answer, {"error": "bad_bundle"}, where)
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
        return rejection_problems(answer, {"error": "bad_bulletin_code"}, where)
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


def check_link_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """One side of a node-to-node link sends exactly the vector's frames
    (the bye's reason aside: only its code is fixed), authenticates the
    recorded key and closes with the recorded code."""
    where = f"node.json tcId {case['tcId']} ({case['comment']})"
    answer = h.ask(
        {
            "op": "link_replay",
            **{k: case[k] for k in ("seed", "nonce", "expect", "known", "frames")},
        }
    )
    if not answer.get("ok"):
        return [f"{where}: {answer.get('error')}: {answer.get('reason')}"]
    sent = list(answer.get("sent") or [])
    problems = []
    bye = None
    if case["bye"] is not None:
        if not sent:
            return [f"{where}: no bye sent; expected bye {case['bye']}"]
        try:
            last = canonical.decode(bytes.fromhex(sent.pop()))
        except (ProtocolError, ValueError) as exc:
            return [f"{where}: the last frame sent is not a bye: {exc}"]
        bye = last[1] if type(last) is tuple and len(last) == 3 and last[0] == "bye" else last
    if sent != case["sent"]:
        problems.append(f"{where}: sent {sent} instead of {case['sent']}")
    if bye != case["bye"]:
        problems.append(f"{where}: bye {bye!r}, expected {case['bye']!r}")
    for key in ("authenticated", "closed"):
        if answer.get(key) != case[key]:
            problems.append(f"{where}: {key} {answer.get(key)!r}, expected {case[key]!r}")
    return problems


def check_nesting_case(h: Harness, case: dict[str, Any]) -> list[str]:
    """Level proofs combine into the top body's verdict (standing, count,
    decided, members), every level re-derived; or are refused (bad_proof)."""
    where = f"nesting.json tcId {case['tcId']} ({case['comment']})"
    keys = ("body", "resolution", "structure", "min_constituent_size", "parts")
    answer = h.ask({"op": "combine_levels", **{k: case[k] for k in keys}})
    expect = case["expect"]
    if "error" in expect:
        return rejection_problems(answer, {"error": expect["error"]}, where)
    if not answer.get("ok"):
        return [f"{where}: refused: {answer.get('error')}: {answer.get('reason')}"]
    return [
        f"{where}: {key} {answer.get(key)!r} is not {expect[key]!r}"
        for key in ("standing", "count", "decided", "members")
        if answer.get(key) != expect[key]
    ]
