"""A deterministic simulated network of replicas, for convergence tests.

Replicas author messages on top of the heads they know, gossip them to
peers through a queue that reorders, duplicates and delays, and are split
into partitions that later heal. Randomness comes in as an object with
``random()``, ``randrange()``, ``choice()`` and ``shuffle()`` (a seeded
``random.Random`` in tests), so a run is reproducible from its seed. After
healing, anti-entropy (every replica offers every message it holds to every
other, as reconciliation would) must bring every replica to the same log.

Byzantine authors are part of the model: an equivocator signs two messages
with one sequence number and sends them to different partitions; a liar
cites parents that do not exist, and its messages must wait in pending
forever without disturbing anyone's order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from protocol import envelope, kinds
from protocol.envelope import MAX_PARENTS, Envelope
from protocol.keys import public_key

from .log import Log


class Rng(Protocol):
    def random(self) -> float: ...

    def randrange(self, start: int, stop: int | None = None) -> int: ...

    def choice(self, seq: Any) -> Any: ...

    def shuffle(self, x: list[Any]) -> None: ...


def seed_for(name: str) -> bytes:
    return hashlib.sha256(b"caracol sim " + name.encode()).digest()


def make_genesis(members: list[bytes], *, time: int = 1_790_000_000) -> Envelope:
    founders = tuple(sorted(public_key(s) for s in members))
    payload = kinds.Genesis(kinds.BodyKind.COMMUNITY, "sim", None, founders, (), b"sim")
    return envelope.sign(members[0], None, payload, seq=1, time=time)


@dataclass
class Replica:
    name: str
    seed: bytes
    log: Log
    seq: int = 0
    outbox: list[Envelope] = field(default_factory=list)

    def author(self, text: str, time: int) -> Envelope:
        heads = list(self.log.heads())[-MAX_PARENTS:]
        self.seq += 1
        payload = kinds.Comment(self.log.body, None, kinds.Stance.NEUTRAL, text)
        env = envelope.sign(
            self.seed, self.log.body, payload, parents=heads, seq=self.seq, time=time
        )
        self.log.add(env)
        return env


@dataclass
class Network:
    replicas: list[Replica]
    rng: Rng
    duplicate_rate: float = 0.1
    partition: list[int] = field(default_factory=list)  # replica index -> group
    queue: list[tuple[int, Envelope]] = field(default_factory=list)
    delivered: int = 0

    def __post_init__(self) -> None:
        if not self.partition:
            self.partition = [0] * len(self.replicas)

    def split(self, groups: int) -> None:
        self.partition = [self.rng.randrange(groups) for _ in self.replicas]

    def heal(self) -> None:
        self.partition = [0] * len(self.replicas)

    def broadcast(self, source: int, env: Envelope) -> None:
        for i in range(len(self.replicas)):
            if i != source and self.partition[i] == self.partition[source]:
                self.queue.append((i, env))

    def step(self) -> bool:
        """Deliver one queued message (random pick); False when idle."""
        if not self.queue:
            return False
        i = self.rng.randrange(len(self.queue))
        dest, env = self.queue[i]
        self.queue[i] = self.queue[-1]
        self.queue.pop()
        self.replicas[dest].log.add(env)
        self.delivered += 1
        if self.rng.random() < self.duplicate_rate:
            self.queue.append((dest, env))
        return True

    def anti_entropy(self) -> None:
        """Every replica offers everything it holds (accepted and pending) to
        every replica in its partition, in random order."""
        for s, src in enumerate(self.replicas):
            held = [src.log.get(m) for m in src.log.order()]
            held += [src.log._pending[m] for m in src.log.pending_ids()]
            for d in range(len(self.replicas)):
                if d != s and self.partition[d] == self.partition[s]:
                    batch = list(held)
                    self.rng.shuffle(batch)
                    self.queue.extend((d, e) for e in batch)

    def run(self, max_steps: int) -> None:
        for _ in range(max_steps):
            if not self.step():
                return


def simulate(
    rng: Rng,
    *,
    replicas: int = 6,
    rounds: int = 40,
    partitions: int = 3,
    equivocate: bool = True,
    liar: bool = True,
) -> Network:
    """A full run: authoring under random partitions, then heal and converge."""
    seeds = [seed_for(f"r{i}") for i in range(replicas)]
    genesis = make_genesis(seeds)
    nodes = []
    for i, s in enumerate(seeds):
        log = Log(genesis.body)
        log.add(genesis)
        nodes.append(Replica(f"r{i}", s, log, seq=1 if i == 0 else 0))
    net = Network(nodes, rng)
    t = 1_790_000_000
    for r in range(rounds):
        if r % 10 == 0:
            net.split(partitions)
        author = rng.randrange(replicas)
        t += 1
        env = nodes[author].author(f"round {r}", t)
        net.broadcast(author, env)
        if equivocate and r == rounds // 2:
            # the same author and seq, different content, to another partition
            twin = envelope.sign(
                nodes[author].seed,
                genesis.body,
                kinds.Comment(genesis.body, None, kinds.Stance.OPPOSE, f"twin of round {r}"),
                parents=list(nodes[author].log.heads())[-MAX_PARENTS:],
                seq=nodes[author].seq,
                time=t,
            )
            other = (author + 1) % replicas
            nodes[other].log.add(twin)
            net.broadcast(other, twin)
        if liar and r == rounds // 3:
            ghost = envelope.sign(
                seed_for("liar"),
                genesis.body,
                kinds.Comment(genesis.body, None, kinds.Stance.NEUTRAL, "cites a ghost"),
                parents=[hashlib.sha256(b"no such message").digest()],
                seq=1,
                time=t,
            )
            net.queue.append((rng.randrange(replicas), ghost))
        net.run(rng.randrange(0, 8))
    net.heal()
    net.anti_entropy()
    net.run(10_000_000)
    return net
