"""The radio link driven through its pulled interface, with no event loop
(the sans-IO shape of aioquic: ``receive(data, now)``, ``next_timer()``,
``handle_timer(now)``, ``frames_to_send(now)``): two stations whose logs
differ both ways reconcile, time being a plain number advanced by the test."""

from __future__ import annotations

import random

from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from mesh import frames
from mesh.airtime import MESHTASTIC
from mesh.dutycycle import Budget, sub_band
from mesh.radio_link import RadioLink
from protocol import envelope, kinds
from protocol.envelope import Envelope

SEEDS = [seed_for(f"radio pulled {i}") for i in range(12)]
GENESIS = make_genesis(SEEDS)
ROSTER = sorted(GENESIS.payload.founders)  # type: ignore[attr-defined]
PARAMS = MESHTASTIC["LONG_FAST"]


class Air:
    """What the link asks of a Transport outside its anyio driver."""

    mtu = 233

    def airtime(self, nbytes: int) -> float:
        return PARAMS.airtime(nbytes)


def vote(i: int, on: Envelope) -> Envelope:
    return envelope.sign(
        SEEDS[i % len(SEEDS)],
        GENESIS.body,
        kinds.Vote(on.id, kinds.Choice.FOR),
        parents=[on.id],
        seq=3 + i,
        time=1_790_000_100 + i,
    )


def station(name: str, log: Log) -> RadioLink:
    def clock() -> float:
        raise AssertionError("the pulled interface is given the time; it never reads the clock")

    link = RadioLink(
        Air(),  # type: ignore[arg-type]
        Budget(sub_band("EU868", 869.525)),
        clock=clock,
        rng=random.Random(name),
    )
    link.add_context(
        frames.Context(
            GENESIS.body,
            ROSTER,
            lambda p: [m for m in log.ids() if m.startswith(p)],
            ids=log.ids,
            raw_of=lambda m: log.get(m).raw if m in log else None,
        )
    )
    link.on_message = log.add  # type: ignore[assignment]
    return link


def test_two_stations_reconcile_through_the_pulled_interface_without_an_event_loop() -> None:
    proposal = envelope.sign(
        SEEDS[0],
        GENESIS.body,
        kinds.Proposal("A well", "Dig it.", "", None, None),
        parents=[GENESIS.id],
        seq=2,
        time=1_790_000_000,
    )
    la, lb = Log(GENESIS.body), Log(GENESIS.body)
    for env in (GENESIS, proposal, *(vote(i, proposal) for i in range(4))):
        la.add(env)
        lb.add(env)
    for i in range(4, 14):
        la.add(vote(i, proposal))
    for i in range(14, 20):
        lb.add(vote(i, proposal))
    a, b = station("a", la), station("b", lb)
    now = 0.0
    a.handle_timer(now)
    b.handle_timer(now)
    a.announce(now=now)
    while set(la.ids()) != set(lb.ids()):
        assert now < 6 * 3600, (a.statistics(now), b.statistics(now))
        for link, other in ((a, b), (b, a)):
            link.handle_timer(now)
            for data in link.frames_to_send(now):
                other.receive(data, now)
        timers = [t for t in (a.next_timer(), b.next_timer()) if t is not None]
        now = max(now + 0.01, min(timers))
    assert len(set(la.ids())) == 2 + 20
    assert a.statistics(now).sync_completed == b.statistics(now).sync_completed >= 1
    assert a.statistics(now).dropped == b.statistics(now).dropped == 0
