"""Several real nodes on 127.0.0.1 gossiping (spec/node.md): a vote reaches
every sibling; a restarted node catches up from its SQLite file; partitioned
nodes keep accepting and converge after healing; hostile peers are cut off."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp

from crdt.sim import make_genesis, seed_for
from node.config import Config, Peer
from node.runtime import NodeRuntime
from protocol import envelope, kinds
from protocol.keys import key_to_text

MEMBERS = [seed_for(f"gossip{i}") for i in range(6)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body
PROPOSAL = envelope.sign(
    MEMBERS[0],
    BODY,
    kinds.Proposal("Plant trees", "Along the river.", "", None, None),
    parents=[GENESIS.id],
    seq=2,
    time=10,
)


def vote(i: int, seq: int = 1, choice: kinds.Choice = kinds.Choice.FOR) -> envelope.Envelope:
    return envelope.sign(
        MEMBERS[i],
        BODY,
        kinds.Vote(PROPOSAL.id, choice),
        parents=[PROPOSAL.id],
        seq=seq,
        time=20 + i,
    )


def cfg(tmp: Path, name: str) -> Config:
    return Config(
        data_dir=tmp / name, listen_port=0, node_name=name, sync_interval=1.0, backoff_max=1.0
    )


@contextlib.asynccontextmanager
async def node(tmp: Path, name: str) -> AsyncIterator[NodeRuntime]:
    rt = NodeRuntime(cfg(tmp, name))
    await rt.start()
    try:
        if BODY not in rt.ingest.bodies:  # type: ignore[union-attr]
            await rt.found_body(GENESIS.raw)
        yield rt
    finally:
        await rt.stop()


def peer(rt: NodeRuntime) -> Peer:
    return Peer(rt.config.node_name, rt.url, key_to_text(rt.node_key))


def link(a: NodeRuntime, b: NodeRuntime) -> None:
    assert a.gossip and b.gossip
    a.gossip.add_peer(peer(b))
    b.gossip.add_peer(peer(a))


async def submit(rt: NodeRuntime, *msgs: envelope.Envelope) -> list[dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        r = await http.post(
            f"{rt.url}/v0/bodies/{BODY.hex()}/messages",
            json={"messages": [m.raw.hex() for m in msgs]},
        )
        return list((await r.json())["results"])


def has(rt: NodeRuntime, *msgs: envelope.Envelope) -> bool:
    log = rt.ingest.bodies[BODY].log  # type: ignore[union-attr]
    return all(m.id in log for m in msgs)


async def until(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def state(rt: NodeRuntime) -> bytes:
    return rt.ingest.bodies[BODY].log.state_hash()  # type: ignore[union-attr]


async def _spread(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "b") as b, node(tmp, "c") as c:
        link(a, b)
        link(b, c)
        link(a, c)
        await submit(a, PROPOSAL)
        await until(lambda: has(b, PROPOSAL))
        v = vote(1)
        results = await submit(b, v)
        assert results[0]["status"] == "accepted"
        await until(lambda: all(has(n, PROPOSAL, v) for n in (a, b, c)))
        await until(lambda: state(a) == state(b) == state(c))
        async with aiohttp.ClientSession() as http:
            text = await (await http.get(f"{a.url}/metrics")).text()
        assert "caracol_peers_linked 2" in text


def test_a_vote_reaches_every_sibling(tmp_path: Path) -> None:
    asyncio.run(_spread(tmp_path))


async def _restart(tmp: Path) -> None:
    async with node(tmp, "a") as a:
        async with node(tmp, "c") as c:
            link(a, c)
            await submit(a, PROPOSAL)
            await until(lambda: has(c, PROPOSAL))
        # c is down: a keeps accepting
        late = [vote(i) for i in range(1, 5)]
        await submit(a, *late)
        async with node(tmp, "c") as c2:  # restarted from its SQLite file
            assert has(c2, PROPOSAL) and not has(c2, *late)
            link(a, c2)
            await until(lambda: has(c2, *late))
            await until(lambda: state(a) == state(c2))


def test_a_restarted_node_catches_up(tmp_path: Path) -> None:
    asyncio.run(_restart(tmp_path))


async def _partition(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "b") as b:
        assert a.gossip and b.gossip
        # peered at addresses where nothing listens: connection refused
        dead = Peer("b", "http://127.0.0.1:9", key_to_text(b.node_key))
        a.gossip.add_peer(dead)
        b.gossip.add_peer(Peer("a", "http://127.0.0.1:9", key_to_text(a.node_key)))
        await submit(a, PROPOSAL)
        await submit(b, PROPOSAL)
        side_a = [vote(1), vote(2)]
        side_b = [vote(3), vote(4), vote(5)]
        assert all(r["status"] == "accepted" for r in await submit(a, *side_a))
        assert all(r["status"] == "accepted" for r in await submit(b, *side_b))
        assert state(a) != state(b)
        link(a, b)  # heal
        await until(lambda: has(a, *side_b) and has(b, *side_a))
        await until(lambda: state(a) == state(b))


def test_partitioned_nodes_converge_after_healing(tmp_path: Path) -> None:
    asyncio.run(_partition(tmp_path))


async def _hostile(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "m") as m:
        link(a, m)
        await submit(a, PROPOSAL)
        await until(lambda: has(m, PROPOSAL))
        assert a.gossip and m.gossip
        await until(lambda: bool(m.gossip.links))  # type: ignore[union-attr]
        (lnk,) = m.gossip.links.values()
        forged = bytearray(vote(1).raw)
        forged[-1] ^= 1
        noncanonical = vote(2).raw[:1] + b"\xcc\x07" + vote(2).raw[2:]
        await lnk.send("msgs", BODY, (bytes(forged), noncanonical, b"\x00" * 20))
        await until(lambda: a.store is not None and len(a.store.rejections()) >= 3)
        codes = {r["code"] for r in a.store.rejections()}  # type: ignore[union-attr]
        assert {"bad_signature", "non_canonical", "truncated"} <= codes
        # garbage frames and oversize batches close the link with a logged reason
        await lnk.ws.send_bytes(b"\xc1not msgpack")
        await until(lambda: a.gossip.disconnects.get("malformed", 0) >= 1)  # type: ignore[union-attr]
        assert has(a, PROPOSAL) and not has(a, vote(1)) and len(a.ingest.bodies[BODY].log) == 2  # type: ignore[union-attr]
        # the peer waits out a penalty: a does not dial it, and its own
        # redials are refused (before, it could misbehave again at once)
        assert a.gossip.penalty(m.node_key) > 5  # type: ignore[arg-type]
        await until(lambda: a.gossip.disconnects.get("penalty", 0) >= 1)  # type: ignore[union-attr]
        assert not a.gossip.links


def test_hostile_peer_is_rejected_and_cut_off(tmp_path: Path) -> None:
    asyncio.run(_hostile(tmp_path))


async def _impostor(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "b") as b, node(tmp, "m") as m:
        assert a.gossip and m.gossip
        # a pins b's key, but the address it dials is mallory's node
        a.gossip.add_peer(Peer("b", m.url, key_to_text(b.node_key)))
        m.gossip.add_peer(peer(a))
        await until(lambda: a.gossip.disconnects.get("handshake", 0) >= 1)  # type: ignore[union-attr]
        assert not a.gossip.links  # type: ignore[union-attr]
        await submit(a, PROPOSAL)
        await asyncio.sleep(0.3)
        assert not has(m, PROPOSAL)


def test_a_peer_claiming_another_key_is_refused(tmp_path: Path) -> None:
    asyncio.run(_impostor(tmp_path))


def test_rate_limit_applies_backpressure_instead_of_disconnecting() -> None:
    from node.gossip import TokenBucket

    bucket = TokenBucket(rate=100.0, burst=200.0, now=0.0)
    assert bucket.delay(150, 0.0) == 0.0
    assert bucket.delay(150, 0.0) == 1.0  # 100 over: one second's worth
    assert bucket.delay(0, 2.0) == 0.0  # earned back meanwhile


async def _flood(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "b") as b:
        assert a.gossip
        # a reads at most 50 messages/s from a peer (burst 100)
        a.gossip.config = dataclasses.replace(a.gossip.config, peer_rate=50.0)
        await submit(b, PROPOSAL)
        chain, parent = [], PROPOSAL.id
        for i in range(150):
            e = envelope.sign(
                MEMBERS[1],
                BODY,
                kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, f"c{i}"),
                parents=[parent],
                seq=i + 1,
                time=100 + i,
            )
            chain.append(e)
            parent = e.id
        for i in range(0, len(chain), 50):
            await submit(b, *chain[i : i + 50])
        link(a, b)
        await until(lambda: has(a, PROPOSAL, *chain), timeout=20)
        assert "rate" not in a.gossip.disconnects
        (lnk,) = a.gossip.links.values()
        assert lnk.throttled > 0  # it was slowed down, and still got everything


def test_a_fast_peer_is_slowed_not_cut_off(tmp_path: Path) -> None:
    asyncio.run(_flood(tmp_path))


async def send_until(sender: NodeRuntime, cond: Callable[[], bool], *frame: Any) -> None:
    """Send ``frame`` on ``sender``'s link until ``cond`` holds: both nodes
    dial each other, and a frame sent on the link that loses the duplicate
    race (closed a moment later) is lost; on the link kept it arrives."""
    assert sender.gossip is not None
    deadline = asyncio.get_running_loop().time() + 30
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        for lnk in list(sender.gossip.links.values()):
            await lnk.send(*frame)
        for _ in range(40):
            if cond():
                return
            await asyncio.sleep(0.05)


async def _oversize(tmp: Path) -> None:
    async with node(tmp, "a") as a, node(tmp, "m") as m:
        link(a, m)
        await submit(a, PROPOSAL)
        await until(lambda: bool(m.gossip.links))  # type: ignore[union-attr]
        # a message over 16 KiB is rejected (and recorded), the link survives one
        oversize = (b"\x96" + bytes(20_000),)
        await send_until(
            m,
            lambda: any(r["code"] == "oversize" for r in a.store.rejections()),  # type: ignore[union-attr]
            "msgs",
            BODY,
            oversize,
        )
        # a batch over the protocol's 1,024 messages closes the link with a reason
        batch = tuple(bytes([i % 256]) * 70 for i in range(1025))
        await send_until(m, lambda: a.gossip.disconnects.get("limit", 0) >= 1, "msgs", BODY, batch)  # type: ignore[union-attr]
        assert len(a.ingest.bodies[BODY].log) == 2  # type: ignore[union-attr]


def test_oversize_messages_and_batches_are_refused(tmp_path: Path) -> None:
    asyncio.run(_oversize(tmp_path))
