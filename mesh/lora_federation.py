"""A Municipality of three Communities linked only by LoRa (simulated).

Used by the mesh test and ``caracol bench mesh``: the Municipality's node
broadcasts its resolution; each Community's members decide it locally (the
Community's node holds their process); each Community's node sends its
verdict's compact attestation first (verdict priority), then the full proof
(bulk); the Municipality's node combines the attestations as they arrive and
confirms them against the proofs. Every radio keeps its duty-cycle budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trio

from protocol.envelope import Envelope
from protocol.federation import Federation, Standing
from protocol.kinds import BodyKind, Proposal
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from protocol.verdict import Attestation, FullProof, attest, community_verdict, make_full_proof

from . import frames
from .airtime import LoRaParams
from .dutycycle import Budget, Priority, sub_band
from .radio_link import RadioLink
from .simchannel import SimChannel

TEXT = "Every community keeps a rain cistern."


@dataclass
class Outcome:
    provisional_s: float | None = None
    confirmed_s: float | None = None
    airtime: dict[str, float] = field(default_factory=dict)
    budget_used: dict[str, float] = field(default_factory=dict)
    allowance_s: float = 0.0
    attestation_bytes: int = 0
    proof_bytes: int = 0
    standing: str = "pending"
    dropped: list[str] = field(default_factory=list)
    collisions: int = 0
    losses: int = 0
    frames_heard: dict[str, int] = field(default_factory=dict)


async def run(
    *,
    params: LoRaParams,
    mhz: float = 868.1,
    loss: float = 0.0,
    seed: int = 0,
    deadline_s: float = 48 * 3600,
) -> Outcome:
    out = Outcome()
    channel = SimChannel(params, loss=loss, seed=seed, hop_limit=1)
    muni = Scenario(("norte", "sur", "rio"), body_kind=BodyKind.MUNICIPALITY, name="Valle")
    resolution_env: Envelope = muni.post("norte", Proposal("Rain cisterns", TEXT, "", None, None))
    resolution = resolution_env.id
    names = {"norte": "n", "sur": "s", "rio": "r"}
    communities = {
        c: Scenario((c, *(f"{p}{i}" for i in range(4))), name=c, parent=muni.body)
        for c, p in names.items()
    }
    fed = Federation(
        muni.body,
        resolution,
        frozenset(sc.body for sc in communities.values()),
        rules=ProcessRules(min_constituent_size=5),  # five-member Communities count here
        attestation_k=5,
    )
    for sc in communities.values():  # member Communities' geneses are known upstream
        fed.learn_genesis(sc.messages[0])
    start = trio.current_time()
    links = _links(channel, mhz, muni, communities)
    out.allowance_s = links["valle"].budget.allowance_s
    deciding = _Communities(muni.body, communities, links, out)
    for name in communities:
        links[name].on_message = lambda env, n=name: (
            deciding.decide(n, env) if env.id == resolution else None
        )
    links["valle"].on_object = _Municipality(fed, out, start).received
    await _announce_until_confirmed(links, resolution_env, out, deadline_s)
    out.collisions, out.losses = channel.collisions, channel.losses
    for radio in channel.radios:
        out.frames_heard[radio.name] = radio.received
    for name, link in links.items():
        out.airtime[name] = link.queue.sent_airtime
        out.budget_used[name] = link.budget.peak_s
        out.dropped += link.dropped
    return out


def _links(
    channel: SimChannel, mhz: float, muni: Scenario, communities: dict[str, Scenario]
) -> dict[str, RadioLink]:
    """One radio link per node, all within range of each other, each
    carrying the Municipality's body."""
    band = sub_band("EU868", mhz)
    links: dict[str, RadioLink] = {}
    for name in ("valle", *communities):
        links[name] = RadioLink(
            channel.radio(name), Budget(band), clock=trio.current_time, request_wait=120
        )
    names_all = list(links)
    for i, a in enumerate(names_all):  # all within range of each other
        for b in names_all[i + 1 :]:
            channel.connect(a, b)
    muni_ctx = frames.Context(
        muni.body, [], lambda p: [m for m in muni.log.ids() if m.startswith(p)]
    )
    for link in links.values():
        link.add_context(muni_ctx)
    return links


class _Communities:
    """Each Community's node: on the resolution it decides it (once) and
    sends the verdict's attestation and full proof, again when announced to
    again."""

    def __init__(
        self,
        muni: bytes,
        communities: dict[str, Scenario],
        links: dict[str, RadioLink],
        out: Outcome,
    ) -> None:
        self.muni = muni
        self.communities = communities
        self.links = links
        self.out = out
        self.decided: dict[str, tuple[bytes, bytes, bytes]] = {}
        self.proof_sent: dict[str, float] = {}

    def decide(self, name: str, env: Envelope) -> None:
        links, decided, proof_sent = self.links, self.decided, self.proof_sent
        if name in decided:
            # The Municipality announced again: it still lacks something of ours.
            # The attestation is a few frames: always again. The full proof is
            # a hundred: again only when the last copy is an hour old (it may
            # still be on its way, under the duty cycle).
            body, att, proof = decided[name]
            links[name].send_object(body, frames.ObjectKind.ATTESTATION, att, Priority.VERDICT)
            if trio.current_time() - proof_sent[name] >= 3600:
                proof_sent[name] = trio.current_time()
                links[name].send_object(body, frames.ObjectKind.FULL_PROOF, proof, Priority.BULK)
            return
        sc = self.communities[name]
        p = sc.post(name, Proposal("Rain cisterns", TEXT, "", self.muni, env.id)).id
        sc.close(p)
        sc.votes(p, yes=list(sc.seeds))
        sc.close(p)
        sc.close(p)
        v = community_verdict(sc.assembly(), self.muni, env.id)
        assert v is not None
        att = attest(v, list(sc.seeds.values())[:5]).encode()
        proof = make_full_proof(sc.log, v).encode()
        self.out.attestation_bytes, self.out.proof_bytes = len(att), len(proof)
        decided[name] = (sc.body, att, proof)
        proof_sent[name] = trio.current_time()
        links[name].send_object(sc.body, frames.ObjectKind.ATTESTATION, att, Priority.VERDICT)
        links[name].send_object(sc.body, frames.ObjectKind.FULL_PROOF, proof, Priority.BULK)


@dataclass
class _Municipality:
    """The Municipality's node: combines attestations as they arrive and
    confirms them against the full proofs."""

    fed: Federation
    out: Outcome
    start: float

    def received(self, ctx: bytes, what: frames.ObjectKind, data: bytes) -> None:
        fed, out = self.fed, self.out
        if what == frames.ObjectKind.ATTESTATION:
            fed.receive_attestation(Attestation.decode_untrusted(data))
        else:
            fed.receive_proof(FullProof.decode_untrusted(data))
        combined = fed.combine()
        now = trio.current_time() - self.start
        if combined.standing == Standing.PASSED and out.provisional_s is None:
            out.provisional_s = now
        if (
            combined.standing == Standing.PASSED
            and not combined.provisional
            and out.confirmed_s is None
        ):
            out.confirmed_s = now
        out.standing = combined.standing.value


async def _announce_until_confirmed(
    links: dict[str, RadioLink], resolution_env: Envelope, out: Outcome, deadline_s: float
) -> None:
    """Run every link and announce the resolution until every Community's
    verdict is confirmed, or until the deadline."""
    async with trio.open_nursery() as nursery:
        for link in links.values():
            nursery.start_soon(link.pump)
            nursery.start_soon(link.listen)
            nursery.start_soon(link.ask_for_missing)
        with trio.move_on_after(deadline_s):
            wait = 300.0
            while out.confirmed_s is None:
                # Announce (again) until every Community's proof is in: a lost
                # announcement or a lost verdict is recovered this way. The
                # wait doubles (5 min to an hour): each repeat costs air time.
                links["valle"].send_message(resolution_env, Priority.VERDICT)
                with trio.move_on_after(wait):
                    while out.confirmed_s is None:
                        await trio.sleep(10)
                wait = min(2 * wait, 3600.0)
        nursery.cancel_scope.cancel()
