"""Generate spec/vectors/frames.json: radio frames (spec/mesh.md, "Frames",
"Abbreviated messages", "Fragments") and exactly what a receiver must make of
them.

* ``valid``: one case per frame form (MSG full, abbreviated, compressed;
  FRAG; FRAG_REQ; SYNC session frame, announcement and NACK; EXPAND_REQ;
  OBJECT plain and compressed; WANT of one prefix and of a full MTU; OFFER): the
  frame (hex) and its decoded fields. The
  frame is also the one byte form its fields encode to.
* ``abbreviation``: a message (its signed bytes), what the sender knows (the
  body's roster keys, sorted, and the ids it holds), the abbreviated form it
  sends and its MSG frame and handle; then what the receiver knows and either
  the exact signed bytes the abbreviation expands to or why it cannot
  (``unexpandable``, or ``bad_frame`` for an abbreviation that is not one).
* ``fragmentation``: a frame and an MTU, and the fragments it is cut into
  (or why it cannot be).
* ``invalid``: a frame that MUST be dropped, with the error code, a fragment
  of the reason and the byte offset where the codec names one.

Deterministic (fixed seeds and claimed times via protocol.testing.Scenario),
so the committed file is checked byte for byte by
tests/mesh/test_frame_vectors.py. Run after any change to the frame formats:

    .venv/bin/python spec/vectors/gen_frames.py

(The compressed cases hold zlib level 9 output; a receiver only inflates,
and the checks that decode do not depend on the deflater.)
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path
from typing import Any

from crdt.reconcile import Session, SortedIds
from interop.mesh_json import frame_fields
from mesh import frames
from mesh.errors import MeshError
from protocol import canonical, kinds
from protocol.testing import Scenario
from protocol.verdict import CommunityVerdict, attest

OUT = Path(__file__).resolve().parent / "frames.json"
NAMES = ("ana", "bea", "cruz", "dev", "eli")


def scenario() -> tuple[Scenario, bytes, bytes]:
    """A Community that passes a proposal; the vote of two parents is the one
    abbreviated."""
    sc = Scenario(NAMES, name="Barrio Norte")
    p = sc.propose("ana", "Fix the well", "Replace the pump.")
    sc.close(p)
    sc.comment("cruz", p, "Yes. " * 30)  # a long text: its abbreviated form compresses
    vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR), parents=[sc.body, p]).id
    sc.votes(p, yes=["ana", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    return sc, p, vote


fields = frame_fields  # the JSON form lives in interop (the harness answers it too)


def build() -> dict[str, Any]:
    sc, p, vote_id = scenario()
    body = sc.body
    ctx = body[: frames.CTX]
    roster = sorted(sc.key(n) for n in NAMES)
    held = list(sc.log.ids())
    vote = sc.log.get(vote_id)
    verdict = CommunityVerdict(body, bytes(32), p, p, vote_id, kinds.Outcome.PASSED, 140, 5, 2, 150)
    attestation = attest(verdict, [sc.seed(n) for n in NAMES]).encode()

    def context(keys: list[bytes], ids: list[bytes]) -> frames.Context:
        return frames.Context(body, keys, lambda pre: [m for m in ids if m.startswith(pre)])

    full = context(roster, held)
    abbrev = frames.abbreviate(vote.raw, full)
    station_a, station_b, session = b"\x0a\x0a\x0a\x01", b"\x0b\x0b\x0b\x02", b"\x5e\x55\x10\x01"
    opening = Session(SortedIds(held), max_frame=233 - frames.SYNC_OVERHEAD)
    opening.initiate()
    (turn0,) = opening.frames_to_send()

    valid: list[dict[str, Any]] = []

    def valid_case(comment: str, data: bytes) -> None:
        frame = frames.decode_untrusted(data)
        valid.append(
            {
                "tcId": len(valid) + 1,
                "comment": comment,
                "frame": data.hex(),
                "fields": fields(frame, data),
            }
        )

    short_raw = sc.messages[0].raw[:60]  # any bytes: the codec does not verify
    valid_case(
        "MSG, full form, stored (zlib would not make it smaller)",
        b"\x01" + ctx + b"\x00" + short_raw,
    )
    valid_case(
        "MSG, full form, zlib-compressed: a vote of two parents", frames.encode_msg(ctx, vote.raw)
    )
    valid_case(
        "MSG, abbreviated (roster index, 8-byte parent prefixes): 136 bytes, stored",
        frames.encode_msg(ctx, abbrev, abbreviated=True),
    )
    remark = next(m for m in sc.messages if isinstance(m.payload, kinds.Comment))
    valid_case(
        "MSG, abbreviated and zlib-compressed: a comment of a long text",
        frames.encode_msg(ctx, frames.abbreviate(remark.raw, full), abbreviated=True),
    )
    att_frame = frames.encode(frames.Object(ctx, frames.ObjectKind.ATTESTATION, attestation))
    frags = frames.fragment(att_frame, 233)
    valid_case("FRAG: the first of the pieces of an attestation at MTU 233", frags[0])
    valid_case("FRAG: the last piece", frags[-1])
    tag = frags[0][1 : 1 + frames.TAG]
    valid_case(
        "FRAG_REQ: pieces 0 and 2 of 3 still missing",
        frames.encode(frames.FragReq(tag, (0, 2), len(frags))),
    )
    valid_case(
        "FRAG_REQ: piece 9 of 12 (a bitmap of two bytes)",
        frames.encode(frames.FragReq(tag, (9,), 12)),
    )
    valid_case(
        "SYNC session frame: the opener's turn 0, part 0 of 1 (a crdt.reconcile frame)",
        frames.encode(frames.Sync(ctx, session, station_a, station_b, 0, 0, 1, turn0)),
    )
    valid_case(
        "SYNC session frame: the answerer's turn 3, part 1 of 2",
        frames.encode(frames.Sync(ctx, session, station_b, station_a, 3, 1, 2, turn0)),
    )
    valid_case(
        "SYNC announcement: 17 bytes, nothing after to",
        frames.encode(frames.announcement(ctx, station_a)),
    )
    valid_case(
        "SYNC NACK: parts 0 and 2 of turn 1 (3 parts) are missing",
        frames.encode(frames.nack(ctx, session, station_a, station_b, 1, 3, [0, 2])),
    )
    valid_case(
        "SYNC NACK: part 9 of turn 4 (10 parts): a bitmap of two bytes",
        frames.encode(frames.nack(ctx, session, station_b, station_a, 4, 10, [9])),
    )
    valid_case(
        "EXPAND_REQ: the full form of the abbreviated vote, by its handle",
        frames.encode(frames.ExpandReq(ctx, frames.handle_of(abbrev))),
    )
    valid_case(
        "OBJECT: an attestation, zlib-compressed",
        att_frame,
    )
    valid_case(
        "OBJECT: a full proof stored (random-looking data does not compress)",
        frames.encode(frames.Object(ctx, frames.ObjectKind.FULL_PROOF, bytes(range(256))[::7])),
    )
    valid_case(
        "WANT: station a asks station b for the vote it offered, by its 8-byte prefix",
        frames.encode(frames.Want(ctx, station_a, station_b, (vote_id[: frames.PREFIX],))),
    )
    (full_want, *_) = frames.wants(
        ctx, station_b, station_a, sorted(held) + [bytes([i]) * 32 for i in range(40)], 233
    )
    valid_case(
        f"WANT: as many prefixes as MTU 233 holds ({frames.want_capacity(233)}, 230 bytes)",
        full_want,
    )
    valid_case(
        "OFFER: station b has sent station a the vote and the proposal (after the history)",
        frames.encode(frames.Want(ctx, station_b, station_a, (vote_id[:8], p[:8]), offer=True)),
    )

    # --- abbreviation ----------------------------------------------------------------

    abbreviations: list[dict[str, Any]] = []
    twin = vote.parents[1][: frames.PREFIX] + b"\xff" * (32 - frames.PREFIX)  # shares a prefix

    def abbrev_case(
        comment: str,
        raw: bytes,
        sender: tuple[list[bytes], list[bytes]],
        receiver: tuple[list[bytes], list[bytes]],
    ) -> None:
        short = frames.abbreviate(raw, context(*sender))
        data = frames.encode_msg(ctx, short, abbreviated=True)
        case: dict[str, Any] = {
            "tcId": len(abbreviations) + 1,
            "comment": comment,
            "message": raw.hex(),
            "sender": {
                "roster": [k.hex() for k in sender[0]],
                "held": [m.hex() for m in sender[1]],
            },
            "abbreviated": short.hex(),
            "frame": data.hex(),
            "handle": frames.handle_of(short).hex(),
            "receiver": {
                "roster": [k.hex() for k in receiver[0]],
                "held": [m.hex() for m in receiver[1]],
            },
        }
        case["expect"] = expansion(short, context(*receiver))
        abbreviations.append(case)

    def expansion(short: bytes, ctxt: frames.Context) -> dict[str, Any]:
        try:
            return {"expands_to": frames.expand_untrusted(short, ctxt).hex()}
        except MeshError as exc:
            return {"error": exc.code, "reason": exc.reason}

    both = (roster, held)
    abbrev_case("a vote of two parents: author index, both parents by prefix", vote.raw, both, both)
    abbrev_case(
        "the author is not in the sender's roster: the full key stays",
        vote.raw,
        (roster[:1] if vote.author != roster[0] else roster[1:2], held),
        both,
    )
    abbrev_case(
        "a parent prefix matches two ids the sender holds: that parent stays whole",
        vote.raw,
        (roster, [*held, twin]),
        both,
    )
    abbrev_case(
        "the receiver's roster is shorter: the index is unknown, ask for the full form",
        vote.raw,
        both,
        (roster[: roster.index(vote.author)], held),
    )
    abbrev_case(
        "the receiver lacks the proposal: its prefix matches nothing, ask for the full form",
        vote.raw,
        both,
        (roster, [m for m in held if m != vote.parents[1]]),
    )
    abbrev_case(
        "the receiver holds two ids with the proposal's prefix: ambiguous, ask for the full form",
        vote.raw,
        both,
        (roster, [*held, twin]),
    )

    def bad_abbrev(comment: str, short: bytes) -> None:
        abbreviations.append(
            {
                "tcId": len(abbreviations) + 1,
                "comment": comment,
                "abbreviated": short.hex(),
                "frame": frames.encode_msg(ctx, short, abbreviated=True).hex(),
                "receiver": {"roster": [k.hex() for k in roster], "held": [m.hex() for m in held]},
                "expect": expansion(short, full),
            }
        )

    bad_abbrev("shorter than a signature", abbrev[:40])
    bad_abbrev("content that is not canonical msgpack", b"\xc1" + abbrev[-64:])
    kind, who, short_parents, seq, time, _payload = canonical.decode(abbrev[:-64])
    five = canonical.encode((kind, who, short_parents, seq, time)) + abbrev[-64:]
    bad_abbrev("a content of 5 fields, not 6", five)
    bad_abbrev(
        "an author that is neither an index nor a key",
        canonical.encode((kind, None, short_parents, seq, time, _payload)) + abbrev[-64:],
    )
    bad_abbrev(
        "an author key of 31 bytes",
        canonical.encode((kind, vote.author[:31], short_parents, seq, time, _payload))
        + abbrev[-64:],
    )
    bad_abbrev(
        "a parent of 5 bytes: neither an 8-byte prefix nor a 32-byte id",
        canonical.encode(
            (kind, who, (short_parents[0][:5], *short_parents[1:]), seq, time, _payload)
        )
        + abbrev[-64:],
    )

    # --- fragmentation ------------------------------------------------------------

    fragmentation: list[dict[str, Any]] = []

    def frag_case(comment: str, data: bytes, mtu: int) -> None:
        case: dict[str, Any] = {
            "tcId": len(fragmentation) + 1,
            "comment": comment,
            "frame": data.hex(),
            "mtu": mtu,
        }
        try:
            case["fragments"] = [f.hex() for f in frames.fragment(data, mtu)]
        except MeshError as exc:
            case["error"] = {"code": exc.code, "reason": exc.reason}
        fragmentation.append(case)

    vote_frame = frames.encode_msg(ctx, abbrev, abbreviated=True)
    frag_case("a vote fits one Meshtastic frame: sent whole", vote_frame, 233)
    frag_case("an attestation at Meshtastic's MTU (233)", att_frame, 233)
    frag_case("the same in one Reticulum packet's worth (383)", att_frame, 383)
    frag_case("a full vote at a small MTU (64)", frames.encode_msg(ctx, vote.raw), 64)
    frag_case("an MTU too small to carry fragments (24)", att_frame, 24)

    # --- invalid frames -------------------------------------------------------------

    invalid: list[dict[str, Any]] = []

    def bad(comment: str, data: bytes) -> None:
        try:
            frames.decode_untrusted(data)
        except MeshError as exc:
            reason = exc.reason.split(": Error")[0]  # zlib's own wording varies by version
            invalid.append(
                {
                    "tcId": len(invalid) + 1,
                    "comment": comment,
                    "frame": data.hex(),
                    "error": exc.code,
                    "reason": reason,
                    "offset": exc.offset,
                }
            )
            return
        raise AssertionError(f"{comment}: decoded")

    sync_head = b"\x04" + ctx + session + station_a + station_b
    want_head = b"\x07" + ctx + station_a + station_b + b"\x01"  # count 1
    prefix = vote_id[: frames.PREFIX]
    bomb = zlib.compress(bytes(frames.MAX_INFLATED + 1), 9)
    cases: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("version 1", b"\x11" + ctx + b"\x00x"),
        ("unknown type 8", b"\x08" + ctx),
        ("unknown type 0", b"\x00" + ctx),
        ("MSG without a body", b"\x01" + ctx + b"\x00"),
        ("MSG with unknown flag bits", b"\x01" + ctx + b"\x04" + short_raw),
        ("MSG whose compressed body is corrupt", b"\x01" + ctx + b"\x01" + b"\x78\x9c\xff\xff"),
        ("MSG whose compressed body is cut short", frames.encode_msg(ctx, vote.raw)[:-6]),
        ("MSG inflating past 32 KiB", b"\x01" + ctx + b"\x01" + bomb),
        ("FRAG too short", b"\x02" + tag + b"\x00\x02"),
        ("FRAG index 3 of 3", b"\x02" + tag + b"\x03\x03" + b"xx"),
        ("FRAG of a count of 1", b"\x02" + tag + b"\x00\x01" + b"xx"),
        ("FRAG_REQ without a count", b"\x03" + tag),
        ("FRAG_REQ bitmap too long for the count", b"\x03" + tag + b"\x03\x05\x00"),
        ("SYNC too short for an announcement", sync_head[:16]),
        (
            "SYNC from station 00000000",
            b"\x04" + ctx + session + bytes(4) + station_b + b"\x00\x00\x01x",
        ),
        ("announcement with a session", b"\x04" + ctx + session + station_a + bytes(4)),
        (
            "announcement followed by turn fields",
            frames.encode(frames.announcement(ctx, station_a)) + b"\x00\x00\x01",
        ),
        (
            "session frame with session 00000000",
            b"\x04" + ctx + bytes(4) + station_a + station_b + b"\x00\x00\x01x",
        ),
        ("session frame without turn fields (the 17-byte form is only an announcement)", sync_head),
        ("session frame cut inside the turn fields", sync_head + b"\x00\x00"),
        ("part 2 of 2", sync_head + b"\x00\x02\x02" + turn0),
        ("part 0 of 1 without a reconciliation frame", sync_head + b"\x00\x00\x01"),
        ("NACK (parts 0) naming a count of 0", sync_head + b"\x01\x00\x00"),
        ("NACK whose bitmap is longer than 3 parts need", sync_head + b"\x01\x03\x00\x05\x00"),
        ("NACK naming part 3 of 3", sync_head + b"\x01\x03\x00\x08"),
        ("NACK naming no part", sync_head + b"\x01\x03\x00\x00"),
        ("EXPAND_REQ one byte short", b"\x05" + ctx + frames.handle_of(abbrev)[:7]),
        ("OBJECT without data", b"\x06" + ctx + b"\x01"),
        ("OBJECT of unknown kind 3", b"\x06" + ctx + b"\x03" + b"data"),
        ("OBJECT whose compressed data is corrupt", b"\x06" + ctx + b"\x81" + b"\x78\x9c\xff\xff"),
        ("WANT too short for its count", want_head[:-1]),
        ("WANT of count 0", want_head[:-1] + b"\x00"),
        ("WANT of count 2 with one prefix", want_head[:-1] + b"\x02" + prefix),
        ("WANT of count 1 with a prefix and a byte more", want_head + prefix + b"\x00"),
        ("WANT of count 1 with a prefix cut short", want_head + prefix[:7]),
        (
            "WANT from station 00000000",
            b"\x07" + ctx + bytes(4) + station_b + b"\x01" + prefix,
        ),
        ("WANT to station 00000000", b"\x07" + ctx + station_a + bytes(4) + b"\x01" + prefix),
        ("WANT naming one prefix twice", want_head[:-1] + b"\x02" + prefix + prefix),
        ("OFFER of count 0", b"\x08" + want_head[1:-1] + b"\x00"),
        ("OFFER of count 1 with two prefixes", b"\x08" + want_head[1:] + prefix + prefix),
        (
            "MSG with bytes after the end of its zlib stream",
            frames.encode_msg(ctx, vote.raw) + b"\x00",
        ),
        (
            "OBJECT with bytes after the end of its zlib stream",
            att_frame + b"\x00",
        ),
    ]
    for comment, data in cases:
        bad(comment, data)
    return {
        "comment": "spec/mesh.md: radio frames, abbreviation, fragmentation",
        "valid": valid,
        "abbreviation": abbreviations,
        "fragmentation": fragmentation,
        "invalid": invalid,
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    sys.stdout.write(f"wrote {OUT}\n")
