"""Generate spec/vectors/messages.json: valid messages of every kind and a
catalogue of invalid ones, each with the error code it must produce and
the field and byte offset the rejection names (null where it names none).

Deterministic (fixed seeds, fixed times, no clock or randomness), so the
committed file is checked byte for byte by tests/vectors. Run after any
change to the wire format or the kinds:

    .venv/bin/python spec/vectors/generate.py

Invalid messages are signed correctly over their (bad) content wherever the
fault is in the content, so each one fails for exactly the reason named.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from interop.fields import to_json
from protocol import canonical, envelope, hand_counts, kinds
from protocol.envelope import SIGN_DOMAIN, Envelope
from protocol.errors import ProtocolError
from protocol.federal import FOUNDING, amended
from protocol.keys import public_key, sign_raw
from protocol.kinds import Choice, Kind

OUT = Path(__file__).resolve().parent / "messages.json"
T0 = 1_790_000_000


def seed(name: str) -> bytes:
    return hashlib.sha256(b"caracol vectors " + name.encode()).digest()


ANA, BEA, CRUZ = seed("ana"), seed("bea"), seed("cruz")


def pos(m: bytes, k: int) -> tuple[bytes, int]:
    return (m, k)


def valid_messages() -> list[tuple[str, Envelope, bytes]]:
    """(comment, envelope, author seed) for every kind, in one small log."""
    out: list[tuple[str, Envelope, bytes]] = []
    founders = tuple(sorted(public_key(s) for s in (ANA, BEA, CRUZ)))
    g = envelope.sign(
        ANA,
        None,
        kinds.Genesis(
            kinds.BodyKind.COMMUNITY, "Barrio Norte", None, founders, ((1, 9, 10), (2, 2, 3)), b"v0"
        ),
        seq=1,
        time=T0,
    )
    out.append(("genesis of a community with three founders", g, ANA))
    b = g.body
    seqs = {ANA: 1, BEA: 0, CRUZ: 0}

    def add(comment: str, who: bytes, payload: kinds.Payload, parents: list[bytes]) -> Envelope:
        seqs[who] += 1
        env = envelope.sign(
            who, b, payload, parents=parents, seq=seqs[who], time=T0 + 60 * len(out)
        )
        out.append((comment, env, who))
        return env

    p = add(
        "proposal",
        ANA,
        kinds.Proposal(
            "Open the tool library on Saturdays", "Open 10:00-14:00.", "tool library", None, None
        ),
        [g.id],
    )
    add(
        "comment supporting",
        BEA,
        kinds.Comment(p.id, None, kinds.Stance.SUPPORT, "Yes, please."),
        [p.id],
    )
    v = add("vote for, two parents", CRUZ, kinds.Vote(p.id, Choice.FOR), [g.id, p.id])
    gr = add(
        "grievance, deal-breaker",
        BEA,
        kinds.Grievance(p.id, "noise", True, "Saturday mornings are quiet hours."),
        [v.id],
    )
    add(
        "category delegate election",
        CRUZ,
        kinds.DelegateElect(p.id, "noise", public_key(BEA)),
        [gr.id],
    )
    add("plea", BEA, kinds.Plea(p.id, "noise", "Start at 11:00 instead."), [gr.id])
    add("agreement with a grievance", ANA, kinds.Agreement(gr.id, True), [gr.id])
    am = add(
        "amendment replacing a run of text",
        BEA,
        kinds.Amendment(
            p.id,
            "noise",
            "later start",
            ((1, pos(p.id, 5), 5), (0, pos(p.id, 4), pos(p.id, 10), "11:00")),
        ),
        [gr.id],
    )
    add("amendment vote", CRUZ, kinds.AmendmentVote(am.id, Choice.FOR), [am.id])
    c = add("stage close", ANA, kinds.Close(p.id, 1), [am.id])
    add("verdict", ANA, kinds.Verdict(p.id, c.id, kinds.Outcome.PASSED, 3, 0, 0, 3), [c.id])
    md = add(
        "mandate",
        ANA,
        kinds.Mandate(p.id, public_key(CRUZ), "open on Saturdays", T0 + 86400 * 90),
        [c.id],
    )
    add("recall vote", BEA, kinds.RecallVote(md.id, Choice.AGAINST), [md.id])
    add(
        "admission motion",
        BEA,
        kinds.Admit(public_key(seed("dora")), "Dora", "neighbour at no. 5"),
        [md.id],
    )
    add("leave (self)", CRUZ, kinds.Leave(public_key(CRUZ), "moving away"), [md.id])
    new_key_seed = seed("ana-2")
    proof = sign_raw(new_key_seed, b"caracol/0 rotate\x00" + b + public_key(ANA))
    add("key rotation", ANA, kinds.RotateKey(public_key(new_key_seed), proof), [md.id])
    add(
        "constitution amendment",
        ANA,
        kinds.ConstitutionAmendment(2, ((1, 9, 10), (3, 150, 1)), "restate the defaults"),
        [md.id],
    )
    add(
        "text edit inserting at the start",
        BEA,
        kinds.TextEdit(p.id, ((0, None, pos(p.id, 0), "Please: "),)),
        [md.id],
    )
    add("vote with a large sequence number", CRUZ, kinds.Vote(p.id, Choice.ABSTAIN), [c.id, md.id])
    add("display name (a member names themself)", BEA, kinds.Name(public_key(BEA), "Bea"), [md.id])
    add(
        "display name given by the genesis author to a founder (an introduction)",
        ANA,
        kinds.Name(public_key(CRUZ), "Cruz Pérez"),
        [md.id],
    )
    add(
        "founding constituents of a higher body (ascending body ids)",
        ANA,
        kinds.Founding(tuple(sorted((hashlib.sha256(b"c1").digest(), p.id)))),
        [b],
    )
    add(
        "a higher body's resolution to admit a constituent",
        BEA,
        kinds.ConstituentAdmit(hashlib.sha256(b"c2").digest(), "the river valley"),
        [md.id],
    )
    initiative = add(
        "an initiative amending the people's constitution: an article and a parameter",
        CRUZ,
        kinds.ConstitutionInitiative(
            2,
            ((13, 3, 4),),
            ((8, "Care of the commons", "Rivers, forests and soil are held in common."),),
            "the commons deserve an article of their own",
        ),
        [md.id],
    )
    proposed = amended(FOUNDING, initiative.payload)  # type: ignore[arg-type]
    rat = add(
        "a ratification of that initiative (checked against its record)",
        ANA,
        kinds.Ratification(initiative.id, 2, proposed.digest()),
        [initiative.id],
    )
    add(
        "a body adopts a ratified version of the people's constitution",
        BEA,
        kinds.ConstitutionAdoption(
            hashlib.sha256(b"collective").digest(), rat.id, 2, proposed.digest()
        ),
        [md.id],
    )
    present = tuple(sorted(public_key(x) for x in (ANA, BEA, CRUZ)))
    unsigned = kinds.HandCount(p.id, 2, 2, 1, 0, present, None, ())
    witnesses = tuple(
        sorted((public_key(x), hand_counts.witness(x, b, unsigned)) for x in (BEA, CRUZ))
    )
    hc = add(
        "hand count of a temperature check, witnessed by two members",
        ANA,
        replace(unsigned, witnesses=witnesses),
        [md.id],
    )
    add(
        "a member contests a hand count",
        BEA,
        kinds.HandCountContest(hc.id, "I saw four hands, not two"),
        [hc.id],
    )
    other = hashlib.sha256(b"m2").digest()
    dispute = add(
        "a dispute with another body (a subject of this body's process)",
        ANA,
        kinds.Dispute(other, "The new road cuts our path to the river.", None),
        [md.id],
    )
    add(
        "a delegate's mediation record: settled on terms",
        CRUZ,
        kinds.Mediation(
            dispute.id, md.id, kinds.MediationOutcome.SETTLED, "A footbridge over the road."
        ),
        [dispute.id],
    )
    add(
        "a higher body moves the determination of its constituents' dispute",
        BEA,
        kinds.Escalation(p.id, dispute.id, other, "The road gets a footbridge by May."),
        [dispute.id],
    )
    add(
        "the respondent takes up a dispute raised against it",
        BEA,
        kinds.DisputeResponse(other, hashlib.sha256(b"d").digest(), "We will talk."),
        [md.id],
    )
    # kinds of a justice council's log (spec/justice.md), signed here for
    # their wire form
    case = add(
        "a case recorded in a justice council (harmed, responsible: ascending keys)",
        BEA,
        kinds.Case((public_key(ANA),), (public_key(CRUZ),), "A broken fence; council file 1.", b),
        [md.id],
    )
    add(
        "a reparation and rehabilitation plan for a case",
        CRUZ,
        kinds.Plan(
            case.id,
            "Mend the fence",
            "Reparation: mend the fence together. Rehabilitation: a month of mentoring.",
            (public_key(ANA),),
        ),
        [case.id],
    )
    add(
        "a resolution's author names its pertinent constituents (ascending body ids)",
        ANA,
        kinds.Pertinent(p.id, tuple(sorted((hashlib.sha256(b"c1").digest(), md.id)))),
        [md.id],
    )
    add(
        "a justice council's charter: the Community resolution it serves under",
        ANA,
        kinds.CouncilCharter(p.id),
        [b],
    )
    return out


def raw_sign(who: bytes, body: bytes | None, content: bytes, domain: bytes = SIGN_DOMAIN) -> bytes:
    """Sign arbitrary content bytes (even non-canonical) for an invalid vector."""
    context = bytes(32) if body is None else body
    return content + sign_raw(who, domain + context + content)


def mp_bin(b: bytes) -> bytes:
    return b"\xc4" + bytes([len(b)]) + b


def content_bytes(
    kind: int, author: bytes, parents: list[bytes], seq: bytes, time: int, payload: bytes
) -> bytes:
    """Hand-assembled content, with the seq and payload given as raw msgpack."""
    head = b"\x96" + canonical.encode(kind) + mp_bin(author)
    n = len(parents)
    head += (bytes([0x90 + n]) if n < 16 else b"\xdc" + struct.pack(">H", n)) + b"".join(
        mp_bin(p) for p in parents
    )
    return head + seq + canonical.encode(time) + payload


def invalid_messages(
    body: bytes, g: Envelope, p: Envelope
) -> list[tuple[str, bytes | None, bytes, str, list[str]]]:
    """(comment, body, message, expected error code, flags)."""
    me = public_key(CRUZ)
    vote_payload = canonical.encode((p.id, 1))
    good = envelope.sign(
        CRUZ, body, kinds.Vote(p.id, Choice.FOR), parents=[g.id, p.id], seq=5, time=T0
    )
    cases: list[tuple[str, bytes | None, bytes, str, list[str]]] = []

    def bad(
        comment: str, content: bytes, code: str, flags: list[str], b: bytes | None = body
    ) -> None:
        cases.append((comment, b, raw_sign(CRUZ, b, content), code, flags))

    parents = sorted([g.id, p.id])
    bad(
        "seq 5 as uint16",
        content_bytes(7, me, parents, b"\xcd\x00\x05", T0, vote_payload),
        "non_canonical",
        ["NonCanonicalInt"],
    )
    bad(
        "seq 5 as uint8",
        content_bytes(7, me, parents, b"\xcc\x05", T0, vote_payload),
        "non_canonical",
        ["NonCanonicalInt"],
    )
    bad(
        "time as uint64 though it fits uint32",
        content_bytes(7, me, parents, b"\x05", 0, vote_payload)[: -len(vote_payload) - 1]
        + b"\xcf"
        + struct.pack(">Q", T0)
        + vote_payload,
        "non_canonical",
        ["NonCanonicalInt"],
    )
    c = content_bytes(7, me, parents, b"\x05", T0, vote_payload)
    bad(
        "author with a bin16 header",
        c.replace(b"\xc4\x20" + me, b"\xc5\x00\x20" + me, 1),
        "non_canonical",
        ["NonCanonicalLength"],
    )
    bad(
        "parents as array16",
        c.replace(b"\x92\xc4\x20", b"\xdc\x00\x02\xc4\x20", 1),
        "non_canonical",
        ["NonCanonicalLength"],
    )
    title = "T"
    prop_payload = b"\x95" + b"\xd9\x01" + title.encode() + b"\xa0\xa0\xc0\xc0"
    bad(
        "str8 header for a 1-byte title",
        content_bytes(5, me, [g.id], b"\x05", T0, prop_payload),
        "non_canonical",
        ["NonCanonicalLength"],
    )
    unknown_map = b"\x91\x82\xa1b\x01\xa1a\x02"
    bad(
        "map keys out of order (unknown kind)",
        content_bytes(200, me, [g.id], b"\x05", T0, unknown_map),
        "map_key_order",
        ["MapKeyOrder"],
    )
    bad(
        "duplicate map keys (unknown kind)",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91\x82\xa1a\x01\xa1a\x02"),
        "map_key_order",
        ["MapKeyOrder"],
    )
    bad(
        "float64 in a payload (unknown kind)",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91\xcb" + struct.pack(">d", 1.5)),
        "forbidden_type",
        ["Float"],
    )
    bad(
        "float32 in a payload",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91\xca" + struct.pack(">f", 1.5)),
        "forbidden_type",
        ["Float"],
    )
    bad(
        "ext type in a payload",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91\xd4\x01\x00"),
        "forbidden_type",
        ["Ext"],
    )
    bad(
        "reserved byte 0xc1",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91\xc1"),
        "forbidden_type",
        ["Reserved"],
    )
    bad(
        "nesting deeper than 8",
        content_bytes(200, me, [g.id], b"\x05", T0, b"\x91" * 9 + b"\x90"),
        "too_deep",
        ["Depth"],
    )
    bad(
        "invalid UTF-8 in a comment",
        content_bytes(6, me, [g.id], b"\x05", T0, b"\x94" + mp_bin(p.id) + b"\xc0\x00\xa2\xc3\x28"),
        "invalid_utf8",
        ["Utf8"],
    )
    cases.append(
        (
            "a byte appended after the signature",
            body,
            good.raw + b"\x00",
            "trailing_bytes",
            ["Trailing"],
        )
    )
    cases.append(("last byte cut off", body, good.raw[:-1], "truncated", ["Truncated"]))
    cases.append(("ten bytes only", body, good.raw[:10], "truncated", ["Truncated"]))
    cases.append(("empty input", body, b"", "truncated", ["Truncated"]))
    cases.append(("16385 bytes", body, bytes(16385), "oversize", ["Oversize"]))
    bad(
        "author as str",
        c.replace(b"\xc4\x20" + me, b"\xd9\x20" + b"a" * 32, 1),
        "wrong_type",
        ["WrongType"],
    )
    bad("content is a map, not an array", b"\x81\x00\x00", "wrong_type", ["WrongType"])
    bad(
        "content has five fields",
        b"\x95" + c[1 : -len(vote_payload)],
        "wrong_length",
        ["WrongLength"],
    )
    bad(
        "vote payload with three fields",
        content_bytes(7, me, parents, b"\x05", T0, canonical.encode((p.id, 1, 1))),
        "wrong_length",
        ["WrongLength"],
    )
    bad(
        "author of 31 bytes",
        content_bytes(7, me[:31], parents, b"\x05", T0, vote_payload),
        "wrong_length",
        ["WrongLength"],
    )
    bad(
        "parents in descending order",
        content_bytes(7, me, parents[::-1], b"\x05", T0, vote_payload),
        "not_sorted",
        ["Parents"],
    )
    bad(
        "the same parent twice",
        content_bytes(7, me, [g.id, g.id], b"\x05", T0, vote_payload),
        "not_sorted",
        ["Parents"],
    )
    bad(
        "a vote without parents",
        content_bytes(7, me, [], b"\x05", T0, vote_payload),
        "wrong_length",
        ["Parents"],
    )
    genesis_payload = canonical.encode((2, "X", None, (me,), (), b""))
    bad(
        "a genesis with a parent",
        content_bytes(1, me, [g.id], b"\x01", T0, genesis_payload),
        "wrong_length",
        ["Parents"],
        b=None,
    )
    bad(
        "seventeen parents",
        content_bytes(
            7,
            me,
            sorted(hashlib.sha256(bytes([i])).digest() for i in range(17)),
            b"\x05",
            T0,
            vote_payload,
        ),
        "oversize",
        ["Parents"],
    )
    bad(
        "seq 0", content_bytes(7, me, parents, b"\x00", T0, vote_payload), "out_of_range", ["Range"]
    )
    bad("kind -1", b"\x96\xff" + c[2:], "out_of_range", ["Range"])
    bad(
        "vote choice 7",
        content_bytes(7, me, parents, b"\x05", T0, canonical.encode((p.id, 7))),
        "out_of_range",
        ["Range"],
    )
    bad(
        "title of 121 bytes",
        content_bytes(
            5, me, [g.id], b"\x05", T0, canonical.encode(("x" * 121, "", "", None, None))
        ),
        "oversize",
        ["Bounds"],
    )
    bad(
        "nil where a subject id is required",
        content_bytes(7, me, parents, b"\x05", T0, canonical.encode((None, 1))),
        "wrong_type",
        ["WrongType"],
    )
    bad(
        "an empty display name",
        content_bytes(20, me, [g.id], b"\x05", T0, canonical.encode((me, ""))),
        "out_of_range",
        ["Bounds"],
    )
    bad(
        "a display name of 65 bytes",
        content_bytes(20, me, [g.id], b"\x05", T0, canonical.encode((me, "n" * 65))),
        "oversize",
        ["Bounds"],
    )
    bad(
        "a dispute with no matter",
        content_bytes(26, me, [g.id], b"\x05", T0, canonical.encode((p.id, "", None))),
        "out_of_range",
        ["Bounds"],
    )
    bad(
        "a dispute's matter of 2001 bytes",
        content_bytes(26, me, [g.id], b"\x05", T0, canonical.encode((p.id, "m" * 2001, None))),
        "oversize",
        ["Bounds"],
    )
    bad(
        "a mediation outcome that is neither settled (1) nor unresolved (2)",
        content_bytes(27, me, [g.id], b"\x05", T0, canonical.encode((p.id, p.id, 3, ""))),
        "out_of_range",
        ["Bounds"],
    )
    bad(
        "an escalation without its respondent (3 fields, expected 4)",
        content_bytes(28, me, [g.id], b"\x05", T0, canonical.encode((p.id, p.id, "text"))),
        "wrong_length",
        ["WrongLength"],
    )
    flipped = bytearray(good.raw)
    flipped[-1] ^= 0x01
    cases.append(
        ("signature with one bit flipped", body, bytes(flipped), "bad_signature", ["Signature"])
    )
    content = good.raw[:-64]
    cases.append(
        (
            "signed under another domain",
            body,
            raw_sign(CRUZ, body, content, b"caracol/1 message\x00"),
            "bad_signature",
            ["Domain"],
        )
    )
    cases.append(
        (
            "verified for another body",
            hashlib.sha256(b"other body").digest(),
            good.raw,
            "bad_signature",
            ["Body"],
        )
    )
    high_s = bytearray(good.raw)
    s = int.from_bytes(high_s[-32:], "little") + 2**252 + 27742317777372353535851937790883648493
    high_s[-32:] = s.to_bytes(32, "little")
    cases.append(
        (
            "signature with S + L (non-canonical S)",
            body,
            bytes(high_s),
            "bad_signature",
            ["Ed25519"],
        )
    )
    return cases


def where_rejected(message: bytes, body: bytes | None, code: str) -> tuple[str | None, int | None]:
    """The field and offset a receiver names for an invalid message
    (spec/envelope.md, "Decoding order"); the code must be the one named."""
    try:
        envelope.open_untrusted(message, body)
    except ProtocolError as exc:
        assert exc.code == code, (exc.code, code)
        return exc.field, exc.offset
    raise AssertionError(f"an invalid vector was accepted ({code})")


def build() -> dict[str, Any]:
    tests: list[dict[str, Any]] = []
    valid = valid_messages()
    g = valid[0][1]
    p = valid[1][1]
    for comment, env, who in valid:
        tests.append(
            {
                "tcId": len(tests) + 1,
                "comment": comment,
                "result": "valid",
                "flags": [Kind(env.kind).name.lower()],
                "body": None if env.kind == Kind.GENESIS else env.body.hex(),
                "message": env.raw.hex(),
                "id": env.id.hex(),
                "seed": who.hex(),
                "fields": to_json(envelope.fields_of(env)),
            }
        )
    # An unknown kind decodes, and is kept and relayed (spec/kinds.md).
    unknown_content = content_bytes(
        200,
        public_key(BEA),
        [g.id],
        b"\x07",
        T0,
        canonical.encode((1, "future", b"\x00", {"a": 1, "b": 2})),
    )
    raw = raw_sign(BEA, g.body, unknown_content)
    env = envelope.open_untrusted(raw, g.body)
    tests.append(
        {
            "tcId": len(tests) + 1,
            "comment": "unknown kind 200 with a canonical payload",
            "result": "valid",
            "flags": ["unknown"],
            "body": g.body.hex(),
            "message": raw.hex(),
            "id": env.id.hex(),
            "fields": to_json(envelope.fields_of(env)),
        }
    )
    for comment, body, message, code, flags in invalid_messages(g.body, g, p):
        field, offset = where_rejected(message, body, code)
        tests.append(
            {
                "tcId": len(tests) + 1,
                "comment": comment,
                "result": "invalid",
                "flags": flags,
                "body": None if body is None else body.hex(),
                "message": message.hex(),
                "error": code,
                "field": field,
                "offset": offset,
            }
        )
    # Integers JSON cannot carry exactly take the {"int": digits} form of
    # spec/harness.md; those just inside 2^53 - 1 stay plain numbers.
    big_content = content_bytes(
        201,
        public_key(BEA),
        [g.id],
        b"\x08",
        T0,
        canonical.encode((2**64 - 1, -(2**63), 2**53, -(2**53), 2**53 - 1, -(2**53 - 1))),
    )
    raw = raw_sign(BEA, g.body, big_content)
    env = envelope.open_untrusted(raw, g.body)
    tests.append(
        {
            "tcId": len(tests) + 1,
            "comment": "unknown kind 201 with integers JSON cannot carry exactly",
            "result": "valid",
            "flags": ["unknown", "BigInteger"],
            "body": g.body.hex(),
            "message": raw.hex(),
            "id": env.id.hex(),
            "fields": to_json(envelope.fields_of(env)),
        }
    )
    return {
        "version": 0,
        "description": "Caracol v0 messages (spec/envelope.md, spec/kinds.md). Generated by spec/vectors/generate.py.",
        "tests": tests,
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
