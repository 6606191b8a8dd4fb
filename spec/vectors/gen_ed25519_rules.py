"""Generate spec/vectors/ed25519_rules.json: one vector per Ed25519 acceptance
rule of spec/signatures.md, each built so that it breaks *only* that rule.

Why a second file beside ed25519.json: a vector whose signature would fail
the equation anyway says nothing about the rule it is named after (a
verifier without the small-order check still rejects it). Here every
invalid case would be ACCEPTED by a verifier that skipped its one rule, and
every valid case sits on an edge where popular verifiers differ (mixed-order
keys, mixed-order R, the cofactorless equation). The script proves both
claims for each case with ``reference_verify``, a literal pure-Python
restatement of the rules, before writing anything.

Deterministic (fixed scalars, messages found by counting). Run:

    .venv/bin/python spec/vectors/gen_ed25519_rules.py          # write
    .venv/bin/python spec/vectors/gen_ed25519_rules.py --check  # compare
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "ed25519_rules.json"

# --- curve arithmetic (edwards25519, extended coordinates; RFC 8032 5.1) -------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z
IDENTITY: Point = (0, 1, 1, 0)


def add(p1: Point, p2: Point) -> Point:
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(pt: Point) -> Point:
    x, y, z, t = pt
    return (-x % P, y, z, -t % P)


def mul(n: int, pt: Point) -> Point:
    out = IDENTITY
    while n:
        if n & 1:
            out = add(out, pt)
        pt = add(pt, pt)
        n >>= 1
    return out


def affine(pt: Point) -> tuple[int, int]:
    x, y, z, _t = pt
    zi = pow(z, -1, P)
    return x * zi % P, y * zi % P


def encode(pt: Point) -> bytes:
    """The canonical encoding: y (255 bits, y < p) with the sign of x on top."""
    x, y = affine(pt)
    return (y | (x & 1) << 255).to_bytes(32, "little")


def same(p1: Point, p2: Point) -> bool:
    return affine(p1) == affine(p2)


def x_for(y: int, sign: int) -> int | None:
    """The x with the given sign bit on the curve at y, or None."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, -1, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def decode_lenient(data: bytes) -> Point | None:
    """Decode y modulo p (accepting y >= p), or None if no point has it."""
    n = int.from_bytes(data, "little")
    y, sign = (n & ((1 << 255) - 1)) % P, n >> 255
    x = x_for(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_BASE = decode_lenient((4 * pow(5, -1, P) % P).to_bytes(32, "little"))
assert _BASE is not None
BASE: Point = _BASE  # y = 4/5


def order_divides(pt: Point, n: int) -> bool:
    return same(mul(n, pt), IDENTITY)


def torsion_of_order_8() -> Point:
    """A point of order exactly 8: the torsion part of the first point found."""
    for y in range(2, 100):
        pt = decode_lenient(y.to_bytes(32, "little"))
        if pt is not None:
            t = mul(L, pt)
            if not order_divides(t, 4):
                return t
    raise AssertionError("unreachable: most y give points of order 8L")


T8 = torsion_of_order_8()
TORSION = [mul(i, T8) for i in range(8)]  # the 8 points of small order

# --- the rules of spec/signatures.md, literally -------------------------------


def small_order_ys() -> set[int]:
    return {affine(t)[1] for t in TORSION}


SMALL_ORDER_YS = small_order_ys()  # {1, p-1, 0, and two y of the order-8 points}


def has_small_order_encoding(data: bytes) -> bool:
    """Rule 5's blocklist: y (mod p, so y >= p counts) of a small-order point,
    whatever the sign bit."""
    y = (int.from_bytes(data, "little") & ((1 << 255) - 1)) % P
    return y in SMALL_ORDER_YS


RULES = (
    "length",
    "canonical_s",
    "canonical_a",
    "a_not_small_order",
    "r_not_small_order",
    "equation",
)


def reference_verify(
    pk: bytes, msg: bytes, sig: bytes, skip: str | None = None
) -> tuple[bool, str | None]:
    """Apply rules 1-6 in order; return (accepted, first rule broken).

    ``skip`` names one rule to leave out, to show that a vector depends on it.
    """
    if skip != "length" and (len(pk) != 32 or len(sig) != 64):
        return False, "length"
    r_bytes, s = sig[:32], int.from_bytes(sig[32:], "little")
    if skip != "canonical_s" and s >= L:
        return False, "canonical_s"
    y_a = int.from_bytes(pk, "little") & ((1 << 255) - 1)
    point_a = decode_lenient(pk)
    if skip != "canonical_a" and (y_a >= P or point_a is None or encode(point_a) != pk):
        return False, "canonical_a"
    if point_a is None:
        return False, "canonical_a"  # nothing to compute with, even when skipped
    if skip != "a_not_small_order" and order_divides(point_a, 8):
        return False, "a_not_small_order"
    if skip != "r_not_small_order" and has_small_order_encoding(r_bytes):
        return False, "r_not_small_order"
    k = int.from_bytes(hashlib.sha512(r_bytes + pk + msg).digest(), "little") % L
    expected_r = add(mul(s, BASE), neg(mul(k, point_a)))
    if skip != "equation" and encode(expected_r) != r_bytes:
        return False, "equation"
    return True, None


# --- building blocks -----------------------------------------------------------


def scalar(label: str) -> int:
    return int.from_bytes(hashlib.sha512(label.encode()).digest(), "little") % L


def challenge(r_bytes: bytes, pk: bytes, msg: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r_bytes + pk + msg).digest(), "little") % L


def le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def find_message(stem: bytes, ok: Callable[[bytes], bool]) -> bytes:
    for i in range(10_000):
        msg = stem + b" #" + str(i).encode()
        if ok(msg):
            return msg
    raise AssertionError(f"no message found for {stem!r}")


A_SECRET = scalar("caracol ed25519 rules: a")
A_POINT = mul(A_SECRET, BASE)
A_BYTES = encode(A_POINT)
STEM = b"caracol/0 message\x00" + bytes(32)

# --- the cases -------------------------------------------------------------------


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def case(
        comment: str,
        pk: bytes,
        msg: bytes,
        sig: bytes,
        result: str,
        flags: list[str],
        rule: str | None,
        isolated: bool = True,
    ) -> None:
        accepted, broken = reference_verify(pk, msg, sig)
        assert accepted == (result == "valid"), (comment, broken)
        assert broken == rule, (comment, broken, rule)
        if rule is not None and rule != "equation" and isolated:
            # the vector isolates its rule: without it, the signature is accepted
            assert reference_verify(pk, msg, sig, skip=rule) == (True, None), comment
        out.append(
            {
                "tcId": len(out) + 1,
                "comment": comment,
                "pk": pk.hex(),
                "msg": msg.hex(),
                "sig": sig.hex(),
                "result": result,
                "flags": flags,
                "rule": rule or "",
                "isolated": bool(rule) and isolated,
            }
        )

    # a plain valid signature, and S + L (rule 2 alone)
    r = scalar("r plain")
    r_bytes = encode(mul(r, BASE))
    msg = STEM + b"plain"
    s = (r + challenge(r_bytes, A_BYTES, msg) * A_SECRET) % L
    case(
        "valid signature by a prime-order key",
        A_BYTES,
        msg,
        r_bytes + le(s),
        "valid",
        ["Valid"],
        None,
    )
    case(
        "S + L: same point, non-canonical scalar",
        A_BYTES,
        msg,
        r_bytes + le(s + L),
        "invalid",
        ["NonCanonicalS"],
        "canonical_s",
    )
    case(
        "S = L exactly",
        A_BYTES,
        msg,
        r_bytes + le(L),
        "invalid",
        ["NonCanonicalS"],
        "canonical_s",
        False,
    )

    # rule 4 alone: each small-order key, with R = [s]B (prime order) and a
    # message whose challenge k kills the key (k*A = 0), so [s]B - [k]A = R.
    for i, t in enumerate(TORSION):
        pk = encode(t)
        order = next(n for n in (1, 2, 4, 8) if order_divides(t, n))
        s_i = scalar(f"s small-order A {i}")
        r_i = encode(mul(s_i, BASE))

        def kills(m: bytes, r: bytes = r_i, a: bytes = pk, n: int = order) -> bool:
            return challenge(r, a, m) % n == 0

        m = find_message(STEM + b"small-order key", kills)
        case(
            f"small-order public key (order {order}), equation holds with a prime-order R",
            pk,
            m,
            r_i + le(s_i),
            "invalid",
            ["SmallOrderA"],
            "a_not_small_order",
        )

    # rule 3 alone is not constructible (a non-canonical y < 19 + p needs the
    # discrete log of a point with tiny y); these break rule 3 first.
    ident_nc = le(P + 1)  # y = 1 + p: the identity, non-canonically
    s_nc = scalar("s non-canonical A")
    r_nc = encode(mul(s_nc, BASE))
    case(
        "public key y = p + 1 (the identity, non-canonical); equation holds",
        ident_nc,
        STEM + b"nc key",
        r_nc + le(s_nc),
        "invalid",
        ["NonCanonicalA", "SmallOrderA"],
        "canonical_a",
        False,
    )
    case(
        "public key 01..80: the identity with the sign bit set (x = 0 has no negative)",
        le(1 | 1 << 255),
        STEM + b"nc key",
        r_nc + le(s_nc),
        "invalid",
        ["NonCanonicalA", "SmallOrderA"],
        "canonical_a",
        False,
    )
    off_curve = next(y for y in range(2, 100) if x_for(y, 0) is None)
    case(
        f"public key y = {off_curve}: not on the curve",
        le(off_curve),
        STEM + b"off",
        r_nc + le(s_nc),
        "invalid",
        ["NotOnCurveA"],
        "canonical_a",
        False,
    )

    # mixed-order keys A = aB + T: accepted (rule 4 is about small order
    # only) when the challenge kills the torsion; rejected otherwise, because
    # the equation is cofactorless. A cofactored verifier accepts both.
    mixed = add(A_POINT, T8)
    mixed_bytes = encode(mixed)
    r_m = scalar("r mixed key")
    r_m_bytes = encode(mul(r_m, BASE))
    m_ok = find_message(
        STEM + b"mixed key", lambda m: challenge(r_m_bytes, mixed_bytes, m) % 8 == 0
    )
    s_ok = (r_m + challenge(r_m_bytes, mixed_bytes, m_ok) * A_SECRET) % L
    case(
        "mixed-order public key aB + T8, k = 0 mod 8: cofactorless equation holds",
        mixed_bytes,
        m_ok,
        r_m_bytes + le(s_ok),
        "valid",
        ["MixedOrderA"],
        None,
    )
    m_bad = find_message(
        STEM + b"mixed key", lambda m: challenge(r_m_bytes, mixed_bytes, m) % 8 == 1
    )
    s_bad = (r_m + challenge(r_m_bytes, mixed_bytes, m_bad) * A_SECRET) % L
    case(
        "mixed-order public key, k = 1 mod 8: only a cofactored verifier accepts",
        mixed_bytes,
        m_bad,
        r_m_bytes + le(s_bad),
        "invalid",
        ["MixedOrderA", "Cofactored"],
        "equation",
    )

    # mixed-order R with a prime-order key: [8]R = [8]([s]B - [k]A) holds, R
    # itself does not: rejected (cofactorless).
    r_t = scalar("r mixed R")
    r_t_bytes = encode(add(mul(r_t, BASE), T8))
    m = STEM + b"mixed R"
    s_t = (r_t + challenge(r_t_bytes, A_BYTES, m) * A_SECRET) % L
    case(
        "mixed-order R = rB + T8 with a prime-order key: only a cofactored verifier accepts",
        A_BYTES,
        m,
        r_t_bytes + le(s_t),
        "invalid",
        ["MixedOrderR", "Cofactored"],
        "equation",
    )

    # mixed-order R that satisfies the cofactorless equation (key aB + T8,
    # R = rB - kT8): accepted, R is not of small order.
    def r_matches(m: bytes, want: int) -> bool:
        return (-challenge(r_cands[want], mixed_bytes, m)) % 8 == want

    r_cands = {j: encode(add(mul(r_t, BASE), mul(j, T8))) for j in range(8)}
    m_mr = find_message(STEM + b"mixed R valid", lambda m: r_matches(m, 3))
    s_mr = (r_t + challenge(r_cands[3], mixed_bytes, m_mr) * A_SECRET) % L
    case(
        "mixed-order R = rB + 3*T8 with key aB + T8 and -k = 3 mod 8: equation holds",
        mixed_bytes,
        m_mr,
        r_cands[3] + le(s_mr),
        "valid",
        ["MixedOrderR", "MixedOrderA"],
        None,
    )

    # rule 5 alone: R of small order with the equation holding. With the key
    # aB + T8 and S = k*a, [S]B - [k]A = -k*T8: pick the message so that
    # this is the chosen torsion point R.
    for j in range(8):
        r_j = encode(TORSION[j])

        def hits(m: bytes, j: int = j, r_j: bytes = r_j) -> bool:
            return (-challenge(r_j, mixed_bytes, m)) % 8 == j

        m_j = find_message(STEM + b"small-order R", hits)
        s_j = challenge(r_j, mixed_bytes, m_j) * A_SECRET % L
        case(
            f"small-order R = {j}*T8 ({r_j.hex()[:8]}...); equation holds",
            mixed_bytes,
            m_j,
            r_j + le(s_j),
            "invalid",
            ["SmallOrderR"],
            "r_not_small_order",
        )
    # R = identity with a prime-order key: S = k*a makes [S]B - [k]A = 0.
    ident = encode(IDENTITY)
    m_i = STEM + b"identity R"
    case(
        "R = identity with a prime-order key, S = k*a; equation holds",
        A_BYTES,
        m_i,
        ident + le(challenge(ident, A_BYTES, m_i) * A_SECRET % L),
        "invalid",
        ["SmallOrderR"],
        "r_not_small_order",
    )

    # non-canonical encodings of small-order R: blocklisted (rule 5), and
    # never equal to the canonical R' either (rule 6).
    for label, enc in [
        ("y = p (0, non-canonical)", le(P)),
        ("y = p, sign bit set", le(P | 1 << 255)),
        ("y = p + 1 (1, non-canonical)", le(P + 1)),
        ("y = p + 1, sign bit set", le(P + 1 | 1 << 255)),
        ("identity with the sign bit set", le(1 | 1 << 255)),
        ("(0, -1) with the sign bit set", le(P - 1 | 1 << 255)),
    ]:
        m_n = STEM + b"nc R " + label.encode()
        s_n = challenge(enc, A_BYTES, m_n) * A_SECRET % L
        case(
            f"non-canonical small-order R: {label}",
            A_BYTES,
            m_n,
            enc + le(s_n),
            "invalid",
            ["SmallOrderR", "NonCanonicalR"],
            "r_not_small_order",
            False,
        )
    case(
        "R not on the curve",
        A_BYTES,
        STEM + b"off R",
        le(off_curve) + le(s),
        "invalid",
        ["NotOnCurveR"],
        "equation",
    )
    return out


def render() -> str:
    doc = {
        "algorithm": "ed25519",
        "rules": "caracol/0",
        "description": (
            "Generated by spec/vectors/gen_ed25519_rules.py: each invalid case breaks only "
            "the rule named in 'rule' (spec/signatures.md), valid cases sit on the "
            "mixed-order edges"
        ),
        "tests": cases(),
    }
    return json.dumps(doc, indent=1) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == render() else 1)
    OUT.write_text(render())
    print(f"wrote {OUT}")
