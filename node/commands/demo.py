"""The main job on embedded defaults (grows into the local demo federation).

For now: found a throw-away Community with a few members, sign a handful of
messages, send each through its wire bytes, verify them, and show a forged
vote being rejected.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from protocol import envelope, kinds
from protocol.errors import RemoteProtocolError
from protocol.keys import public_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=5, help="members to create (default 5)")


def _seed(name: str) -> bytes:
    return hashlib.sha256(b"caracol demo member " + name.encode()).digest()


def run(args: argparse.Namespace) -> int:
    names = ["Ana", "Bea", "Cruz", "Dario", "Eli", "Fede", "Gala", "Hugo"][: max(1, args.members)]
    seeds = {n: _seed(n) for n in names}
    keys = {n: public_key(s) for n, s in seeds.items()}
    now = int(time.time())
    genesis = envelope.sign(
        seeds[names[0]],
        None,
        kinds.Genesis(
            kinds.BodyKind.COMMUNITY,
            "Demo Community",
            None,
            tuple(sorted(keys.values())),
            (),
            b"demo",
        ),
        seq=1,
        time=now,
    )
    body = genesis.body
    print(
        f"founded community {body.hex()[:16]}… with {len(names)} members ({len(genesis.raw)} bytes)"
    )
    proposal = envelope.sign(
        seeds[names[0]],
        body,
        kinds.Proposal(
            "Open the tool library on Saturdays",
            "The tool library opens 10:00-14:00.",
            "",
            None,
            None,
        ),
        parents=[genesis.id],
        seq=2,
        time=now + 1,
    )
    messages = [genesis, proposal]
    for i, name in enumerate(names):
        choice = kinds.Choice.FOR if i % 4 else kinds.Choice.AGAINST
        seq = 3 if name == names[0] else 1
        messages.append(
            envelope.sign(
                seeds[name],
                body,
                kinds.Vote(proposal.id, choice),
                parents=[genesis.id, proposal.id],
                seq=seq,
                time=now + 2 + i,
            )
        )
    for m in messages:
        received = envelope.open_untrusted(m.raw, None if m.kind == kinds.Kind.GENESIS else body)
        assert received.id == m.id
        name = kinds.Kind(m.kind).name.lower()
        print(f"  verified {name:<9} {len(m.raw):>4} bytes  id {m.id.hex()[:16]}…")
    forged = bytearray(messages[-1].raw)
    forged[-70] ^= 0x01  # flip the vote's choice inside the signed content
    try:
        envelope.open_untrusted(bytes(forged), body)
    except RemoteProtocolError as exc:
        print(f"  rejected a tampered vote: {exc.code}: {exc}")
    print(f"{len(messages)} messages signed and verified.")
    return 0
