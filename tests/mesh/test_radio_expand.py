"""The EXPAND_REQ fallback (spec/mesh.md, "Abbreviated messages"): a
receiver that cannot expand an abbreviation (an unknown roster index, an
unknown or ambiguous parent prefix) asks for the full form, deduplicated,
backing off and bounded; the sender answers from a bounded cache of what it
sent abbreviated and ignores requests for anything else."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import trio
import trio.testing

from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from mesh import frames
from mesh.airtime import MESHTASTIC
from mesh.dutycycle import Budget, Priority, sub_band
from mesh.radio_link import RadioLink
from mesh.simchannel import SimChannel
from protocol import envelope, kinds
from protocol.envelope import Envelope

SEEDS = [seed_for(f"radio expand {i}") for i in range(20)]
GENESIS = make_genesis(SEEDS)
ROSTER = sorted(GENESIS.payload.founders)  # type: ignore[attr-defined]
CTX = GENESIS.body[: frames.CTX]
PROPOSAL = envelope.sign(
    SEEDS[0],
    GENESIS.body,
    kinds.Proposal("A bridge", "Over the river.", "", None, None),
    parents=[GENESIS.id],
    seq=2,
    time=1_790_000_000,
)


def vote(i: int) -> Envelope:
    return envelope.sign(
        SEEDS[i % len(SEEDS)],
        GENESIS.body,
        kinds.Vote(PROPOSAL.id, kinds.Choice.FOR),
        parents=[GENESIS.id, PROPOSAL.id],
        seq=10 + i,
        time=1_790_000_100 + i,
    )


def log_of(*messages: Envelope) -> Log:
    log = Log(GENESIS.body)
    for env in messages:
        log.add(env)
    return log


def link(
    channel: SimChannel, name: str, log: Log, *, roster: list[bytes] = ROSTER, **kw: object
) -> tuple[RadioLink, list[Envelope]]:
    got: list[Envelope] = []
    r = RadioLink(
        channel.radio(name),
        Budget(sub_band("EU868", 869.525)),
        clock=trio.current_time,
        rng=random.Random(name),
        **kw,  # type: ignore[arg-type]
    )
    r.add_context(
        frames.Context(GENESIS.body, roster, lambda p: [m for m in log.ids() if m.startswith(p)])
    )
    r.on_message = got.append
    return r, got


def queued(r: RadioLink) -> list[frames.Frame]:
    out = []
    for _ in range(100):
        data, _wake = r.queue.pop_ready(trio.current_time())
        if data is None:
            break
        r.frame_sent(data, trio.current_time())
        out.append(frames.decode_untrusted(data))
    return out


def run(main: Callable[[], Awaitable[None]]) -> None:
    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_a_receiver_lacking_a_parent_asks_for_and_gets_the_full_form() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"], seed=2)
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        receiver, got = link(channel, "r", log_of(GENESIS))  # never heard the proposal
        channel.connect("s", "r")
        v = vote(1)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sender.run)
            nursery.start_soon(receiver.run)
            sender.send_message(v, Priority.VOTE)
            with trio.fail_after(3600):
                while not got:
                    await trio.sleep(1)
            nursery.cancel_scope.cancel()
        assert got == [v]  # the exact signed message, verified
        rs, ss = receiver.statistics(), sender.statistics()
        assert rs.expand_requests_sent == 1 and rs.expand_requests_pending == 0
        assert ss.expand_requests_answered == 1 and ss.frames_out["MSG"] == 2
        assert rs.frames_in["MSG"] == 2 and rs.frames_out["EXPAND_REQ"] == 1
        assert len(receiver.dropped) == 1 and receiver.dropped[0].startswith("unexpandable")

    run(main)


def test_an_unknown_roster_index_is_asked_for_too() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        receiver, got = link(channel, "r", log_of(GENESIS, PROPOSAL), roster=[])
        sender.send_message(vote(2), Priority.VOTE)
        for data in queued(sender):
            receiver.receive(frames.encode(data))
        (req,) = queued(receiver)
        assert isinstance(req, frames.ExpandReq) and req.ctx == CTX
        sender.receive(frames.encode(req))
        (full,) = queued(sender)
        assert isinstance(full, frames.Msg) and not full.abbreviated
        receiver.receive(frames.encode(full))
        assert got == [vote(2)] and receiver.statistics().expand_requests_pending == 0

    run(main)


def test_an_expand_request_for_a_handle_never_sent_is_ignored() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        sender.receive(frames.encode(frames.ExpandReq(CTX, b"\x01" * frames.HANDLE)))
        # a handle it did send, but asked under another body's ctx
        sender.send_message(vote(3), Priority.VOTE)
        (msg,) = queued(sender)
        assert isinstance(msg, frames.Msg)
        handle = frames.handle_of(msg.body)
        sender.receive(frames.encode(frames.ExpandReq(b"zzzz", handle)))
        s = sender.statistics()
        assert s.expand_requests_ignored == 2 and s.expand_requests_answered == 0
        assert s.dropped == 0 and queued(sender) == []
        # asked properly, it answers once; a repeat at once is not answered again
        for _ in range(2):
            sender.receive(frames.encode(frames.ExpandReq(CTX, handle)))
        assert len(queued(sender)) == 1
        assert sender.statistics().expand_requests_ignored == 3

    run(main)


def test_the_sender_remembers_a_bounded_number_of_abbreviations() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL), expand_keep=2)
        for i in range(3):
            sender.send_message(vote(10 + i), Priority.VOTE)
        handles = [frames.handle_of(m.body) for m in queued(sender) if isinstance(m, frames.Msg)]
        for h in handles:
            sender.receive(frames.encode(frames.ExpandReq(CTX, h)))
        s = sender.statistics()
        assert s.expand_requests_answered == 2 and s.expand_requests_ignored == 1

    run(main)


def test_requests_are_deduplicated_backed_off_and_given_up() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        receiver, got = link(channel, "r", log_of(GENESIS), request_wait=60.0)
        sender.send_message(vote(4), Priority.VOTE)
        (msg,) = queued(sender)
        for _ in range(3):  # heard three times (relays): asked once
            receiver.receive(frames.encode(msg))
        assert len(queued(receiver)) == 1
        start = trio.current_time()
        asked_at = []
        for _ in range(200):  # every answer is lost
            await trio.sleep(30)
            receiver.request_missing(trio.current_time())
            if queued(receiver):
                asked_at.append(trio.current_time() - start)
            if receiver.statistics().expand_requests_pending == 0:
                break
        gaps = [b - a for a, b in zip([0.0, *asked_at], asked_at, strict=False)]
        assert len(asked_at) == receiver.expand_attempts - 1
        assert gaps == sorted(gaps) and gaps[-1] > gaps[0]  # backing off
        assert got == [] and "no full form" in receiver.dropped[-1]

    run(main)


def test_pending_requests_are_bounded() -> None:
    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        receiver, _ = link(channel, "r", log_of(GENESIS), max_expand_pending=3)
        for i in range(5):
            sender.send_message(vote(20 + i), Priority.VOTE)
        for m in queued(sender):
            receiver.receive(frames.encode(m))
        s = receiver.statistics()
        assert s.expand_requests_pending == 3 and s.expand_requests_sent == 5
        assert sum("too many pending" in r for r in receiver.dropped) == 2

    run(main)


def test_rosters_that_disagree_fall_back_to_the_full_form() -> None:
    """The receiver's roster lacks a member the sender's has, so an author
    index names another key there: the rebuilt bytes do not verify. The
    receiver asks for the full form (below the reserve) instead of dropping
    a genuine vote for good."""

    async def main() -> None:
        channel = SimChannel(MESHTASTIC["LONG_FAST"])
        v = vote(5)
        sender, _ = link(channel, "s", log_of(GENESIS, PROPOSAL))
        shifted = [k for k in ROSTER if k != ROSTER[0]]  # missed one member: indexes shift
        assert v.author in shifted and shifted.index(v.author) != ROSTER.index(v.author)
        receiver, got = link(channel, "r", log_of(GENESIS, PROPOSAL), roster=shifted)
        sender.send_message(v, Priority.VOTE)
        (msg,) = queued(sender)
        assert isinstance(msg, frames.Msg) and msg.abbreviated
        receiver.receive(frames.encode(msg))
        assert got == [] and "did not verify once expanded" in receiver.dropped[-1]
        entry = receiver.queue._heap[0]
        assert entry.priority == Priority.FRESH  # a forger cannot spend the reserve
        (req,) = queued(receiver)
        assert isinstance(req, frames.ExpandReq)
        sender.receive(frames.encode(req))
        (full,) = queued(sender)
        receiver.receive(frames.encode(full))
        assert got == [v] and receiver.statistics().expand_requests_pending == 0

    run(main)
