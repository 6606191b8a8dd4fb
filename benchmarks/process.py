"""A Collective deciding one resolution: N Communities x M members vote, every
Community Verdict's full proof is verified and the verdicts are combined.

Communities are generated and verified one at a time (streaming), as a
Collective node receiving proofs would, so memory stays flat. Reported
separately: the time to *generate* (sign) the Communities' messages — which
is not the Collective's work — and the time to *verify* (decode, check
every signature, rebuild the cut, fold the process, re-derive the verdict)
and combine them, which is.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from typing import Any

from crdt.log import Log
from protocol import envelope, kinds
from protocol.assembly import Assembly
from protocol.envelope import Envelope
from protocol.federation import Federation
from protocol.keys import public_key
from protocol.rotation import facilitator
from protocol.rules import MIN_DISCUSSION, ProcessRules
from protocol.verdict import FullProof, attest, community_verdict, make_full_proof

T0 = 1_790_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--communities", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=150)


def _seed(c: int, m: int) -> bytes:
    return hashlib.sha256(f"bench process {c}/{m}".encode()).digest()


def community(
    c: int, members: int, collective: bytes, resolution: bytes
) -> tuple[Log, list[bytes]]:
    """One Community presenting the resolution, all members voting for."""
    seeds = [_seed(c, m) for m in range(members)]
    keys = [public_key(s) for s in seeds]
    by_key = dict(zip(keys, seeds, strict=True))
    genesis = envelope.sign(
        seeds[0],
        None,
        kinds.Genesis(
            kinds.BodyKind.COMMUNITY, f"Community {c}", collective, tuple(sorted(keys)), (), b""
        ),
        seq=1,
        time=T0,
    )
    body = genesis.body
    log = Log(body)
    log.add(genesis)
    seq = {k: 0 for k in keys}
    seq[keys[0]] = 1

    def post(key: bytes, payload: kinds.Payload, parents: list[bytes], t: int) -> Envelope:
        seq[key] += 1
        env = envelope.sign(by_key[key], body, payload, parents=parents, seq=seq[key], time=t)
        log.add(env)
        return env

    text = "Every community keeps a cistern."
    p = post(
        keys[0],
        kinds.Proposal("Shared water plan", text, "", collective, resolution),
        [genesis.id],
        T0 + 1,
    )
    chair = facilitator(body, keys, keys[0], {})
    opened = T0 + 1 + MIN_DISCUSSION  # the discussion lasts its minimum
    close = post(chair, kinds.Close(p.id, 1), [p.id], opened)
    last = close.id
    for i, k in enumerate(keys):
        last = post(k, kinds.Vote(p.id, kinds.Choice.FOR), [last], opened + 1 + i).id
    close = post(chair, kinds.Close(p.id, 2), [last], opened + 10_000)
    post(chair, kinds.Close(p.id, 8), [close.id], opened + 20_000)
    return log, seeds


def measure(args: argparse.Namespace) -> dict[str, Any]:
    coll_seed = hashlib.sha256(b"bench process collective").digest()
    genesis = envelope.sign(
        coll_seed,
        None,
        kinds.Genesis(
            kinds.BodyKind.COLLECTIVE, "Collective", None, (public_key(coll_seed),), (), b""
        ),
        seq=1,
        time=T0,
    )
    resolution = envelope.sign(
        coll_seed,
        genesis.body,
        kinds.Proposal("Shared water plan", "Every community keeps a cistern.", "", None, None),
        parents=[genesis.id],
        seq=2,
        time=T0,
    ).id
    generate_s = verify_s = 0.0
    proof_bytes: list[int] = []
    attestation_bytes = 0
    members: set[bytes] = set()
    proofs: list[bytes] = []
    fed: Federation | None = None
    for c in range(args.communities):
        t = time.perf_counter()
        log, seeds = community(c, args.members, genesis.body, resolution)
        v = community_verdict(Assembly(log.body).fold(log), genesis.body, resolution)
        assert v is not None, "the generated community did not decide"
        wire = make_full_proof(log, v).encode()
        if c == 0:
            attestation_bytes = len(attest(v, seeds[:5]).encode())
        generate_s += time.perf_counter() - t
        members.add(log.body)
        proof_bytes.append(len(wire))
        proofs.append(wire)
        del log
        if len(proofs) >= 200 or c == args.communities - 1:
            t = time.perf_counter()
            if fed is None:
                fed = Federation(
                    genesis.body,
                    resolution,
                    frozenset(),
                    rules=ProcessRules(min_constituent_size=1),  # any bench size counts
                    attestation_k=5,
                )
            fed.members = frozenset(members)
            for w in proofs:
                fed.receive_proof(FullProof.decode_untrusted(w))
            verify_s += time.perf_counter() - t
            proofs.clear()
    assert fed is not None
    t = time.perf_counter()
    outcome = fed.combine()
    verify_s += time.perf_counter() - t
    return {
        "communities": args.communities,
        "members": args.members,
        "seconds": round(verify_s, 2),
        "generate_seconds": round(generate_s, 2),
        "signatures_verified": args.communities * (args.members + 5),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "attestation_bytes": attestation_bytes,
        "full_proof_bytes": round(sum(proof_bytes) / len(proof_bytes)),
        "standing": outcome.standing.value,
        "communities_for": outcome.count.votes_for,
    }
