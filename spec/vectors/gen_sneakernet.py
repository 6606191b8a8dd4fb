"""Generate spec/vectors/sneakernet.json: sneakernet bundles and printed
bulletin codes (spec/sneakernet.md) and exactly what a reader must make of
them.

Each bundle case holds a file's bytes (hex) and either what it carries (body,
heads, message ids in order, and which messages then verify) or a fragment of
the reason the whole file must be refused (error code ``bad_bundle``). Each
bulletin case holds a set of scanned QR payloads (hex, in scan order) and the
body and message ids they yield with the problems a reader reports, or the
reason no code was readable. Deterministic (fixed seeds and claimed times), so
the committed file is checked byte for byte by
tests/mesh/test_sneakernet_vectors.py. Run after any change to the formats:

    .venv/bin/python spec/vectors/gen_sneakernet.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mesh import bulletin
from protocol import canonical, sneakernet
from protocol.envelope import message_id
from protocol.sneakernet import MAGIC, VERSION, Bundle, _digest
from protocol.testing import Scenario

OUT = Path(__file__).resolve().parent / "sneakernet.json"


def scenario() -> tuple[Scenario, bytes]:
    sc = Scenario(("ana", "bea", "cruz", "dev", "eli"), name="Barrio Norte")
    p = sc.propose("ana", "Fix the well", "Replace the pump.")
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli"])
    sc.close(p)
    sc.close(p)
    return sc, p


def raw_bundle(
    body: bytes, heads: tuple[bytes, ...], msgs: tuple[bytes, ...], **over: Any
) -> bytes:
    """A bundle with any field overridden (to build invalid files)."""
    fields = {
        "magic": MAGIC,
        "version": VERSION,
        "body": body,
        "heads": heads,
        "messages": msgs,
        "digest": _digest(body, msgs),
    }
    fields.update(over)
    return canonical.encode(tuple(fields.values()))


def build() -> dict[str, Any]:
    sc, p = scenario()
    body = sc.body
    order = [sc.log.get(m).raw for m in sc.log.order()]
    heads = tuple(sorted(sc.log.heads()))
    bundles: list[dict[str, Any]] = []

    def bundle_case(comment: str, data: bytes, expect: dict[str, Any]) -> None:
        bundles.append(
            {"tcId": len(bundles) + 1, "comment": comment, "bundle": data.hex(), "expect": expect}
        )

    def carries(
        msgs: tuple[bytes, ...], verify: list[str], hs: tuple[bytes, ...]
    ) -> dict[str, Any]:
        return {
            "body": body.hex(),
            "heads": [h.hex() for h in hs],
            "messages": [message_id(m).hex() for m in msgs],
            "verify": verify,
        }

    whole = tuple(order)
    bundle_case(
        "a whole log: genesis first, replay order, the writer's heads",
        Bundle(body, heads, whole).encode(),
        carries(whole, ["ok"] * len(whole), heads),
    )
    known = sc.log.causal_past(p) | {p}
    since = tuple(r for r in order if message_id(r) not in known)
    bundle_case(
        "incremental: only what a reader whose head is the proposal lacks",
        Bundle(body, heads, since).encode(),
        carries(since, ["ok"] * len(since), heads),
    )
    bundle_case(
        "an empty bundle still names its body and heads",
        Bundle(body, heads, ()).encode(),
        carries((), [], heads),
    )
    forged = bytearray(order[3])
    forged[-5] ^= 0x01
    resealed = (*order[:3], bytes(forged), *order[4:])
    verify = ["ok"] * len(order)
    verify[3] = "bad_signature"
    bundle_case(
        "resealed after a signature was altered: the file is whole, that message is rejected",
        Bundle(body, heads, resealed).encode(),
        carries(resealed, verify, heads),
    )
    good = Bundle(body, heads, whole).encode()
    tampered = raw_bundle(body, heads, resealed, digest=_digest(body, whole))
    bundle_case(
        "a message altered in the copy, digest not resealed",
        tampered,
        {"error": "integrity check failed"},
    )
    bundle_case(
        "a message lost in the copy",
        raw_bundle(body, heads, whole[:-1], digest=_digest(body, whole)),
        {"error": "integrity check failed"},
    )
    bundle_case("the file cut short", good[:-40], {"error": "not a Caracol bundle"})
    bundle_case(
        "another magic",
        raw_bundle(body, heads, whole, magic="caracol-bundel"),
        {"error": "not a Caracol bundle"},
    )
    bundle_case("version 1", raw_bundle(body, heads, whole, version=1), {"error": "version 1"})
    bundle_case(
        "version false is not version 0",
        raw_bundle(body, heads, whole, version=False),
        {"error": "version False"},
    )
    bundle_case(
        "a body id of 31 bytes",
        raw_bundle(body[:31], heads, whole),
        {"error": "body id is not 32 bytes"},
    )
    bundle_case(
        "a head of 31 bytes",
        raw_bundle(body, (heads[0][:31],), whole),
        {"error": "heads are not 32-byte ids"},
    )
    bundle_case(
        "heads out of order",
        raw_bundle(body, (b"\xff" * 32, b"\x00" * 32), whole),
        {"error": "ascending order"},
    )
    bundle_case(
        "a message that is not a byte string",
        raw_bundle(body, heads, whole, messages=(*whole[:-1], 7)),
        {"error": "messages are not byte strings"},
    )

    codes: list[dict[str, Any]] = []
    made = bulletin.make_bulletin(sc.log, now=0)
    payloads = list(made.payloads)

    def code_case(comment: str, scanned: list[bytes], expect: dict[str, Any]) -> None:
        codes.append(
            {
                "tcId": len(codes) + 1,
                "comment": comment,
                "payloads": [c.hex() for c in scanned],
                "expect": expect,
            }
        )

    def yields(scanned: list[bytes]) -> dict[str, Any]:
        b, raws, problems = sneakernet.messages_from_payloads(scanned)
        return {
            "body": b.hex(),
            "messages": [message_id(r).hex() for r in raws],
            "problems": problems,
        }

    assert len(payloads) >= 2, "the bulletin case needs several codes"
    code_case("every code of the notice, in print order", payloads, yields(payloads))
    code_case("the same codes scanned in reverse order", payloads[::-1], yields(payloads[::-1]))
    code_case("one code not read", payloads[1:], yields(payloads[1:]))
    code_case(
        "a stranger's QR code among ours",
        [b"https://example.org/", *payloads],
        yields([b"https://example.org/", *payloads]),
    )
    other = Scenario(("zoe",))
    foreign = bulletin.make_bulletin(other.log).payloads[0]
    code_case("a code of another body", [*payloads, foreign], yields([*payloads, foreign]))
    bad_index = sneakernet.CODE_MAGIC + canonical.encode((0, body, 2, 2, ()))
    code_case("an index past the count", [*payloads, bad_index], yields([*payloads, bad_index]))
    code_case(
        "version 1",
        [sneakernet.CODE_MAGIC + canonical.encode((1, body, 0, 1, ()))],
        {"error": "no readable Caracol bulletin code"},
    )
    code_case("nothing of ours", [b"hello"], {"error": "no readable Caracol bulletin code"})
    code_case(
        "a code scanned twice (two copies of the notice): no problem",
        [*payloads, payloads[0]],
        yields([*payloads, payloads[0]]),
    )
    other_count = sneakernet.CODE_MAGIC + canonical.encode((0, body, 0, len(payloads) + 1, ()))
    code_case(
        "a code numbered of another count than the first code read",
        [*payloads, other_count],
        yields([*payloads, other_count]),
    )
    other_zero = sneakernet.CODE_MAGIC + canonical.encode((0, body, 0, len(payloads), ()))
    code_case(
        "a second, different code with an index already read: the first is kept",
        [*payloads, other_zero],
        yields([*payloads, other_zero]),
    )
    huge = sneakernet.CODE_MAGIC + canonical.encode((0, body, 0, 2**40, ()))
    code_case(
        "a code numbered of 2^40: more codes than a notice holds",
        [huge, *payloads],
        yields([huge, *payloads]),
    )
    return {
        "comment": "spec/sneakernet.md: bundles and bulletin codes",
        "bundles": bundles,
        "bulletin_codes": codes,
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    sys.stdout.write(f"wrote {OUT}\n")
