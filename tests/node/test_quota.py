"""The storage quota for keys a body does not know (issue 16.5), against a
real node on 127.0.0.1.

A hostile peer ("m", a real node whose link we drive by hand) floods node
"a" with validly signed messages under throwaway keys. Storage stops at a's
quota for the body; the peer is not struck for it (the quota is a's limit,
not proof of malice); members' messages, by gossip and by the member API,
are still accepted; ``/metrics`` counts use and refusals; and after a
restart the quota, counted again from the store, still applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from crdt.sim import make_genesis, seed_for
from node.config import parse, render
from node.ingest import Ingest, Quota, Status
from node.runtime import NodeRuntime
from node.store import Store
from protocol import envelope, kinds
from protocol.keys import public_key
from tests.node.test_gossip import (
    BODY,
    GENESIS,
    MEMBERS,
    PROPOSAL,
    cfg,
    has,
    node,
    peer,
    submit,
    until,
    vote,
)

QUOTA = 60


def strangers(n: int, tag: str = "flood") -> list[envelope.Envelope]:
    """Messages each signed by a fresh key, parents held: they would be
    accepted (and stored, as evidence) were it not for the quota."""
    out = []
    for i in range(n):
        seed = hashlib.sha256(f"{tag} {i}".encode()).digest()
        out.append(
            envelope.sign(
                seed,
                BODY,
                kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, f"{tag} {i} " + "s" * 200),
                parents=[PROPOSAL.id],
                seq=1,
                time=7000 + i,
            )
        )
    return out


@contextlib.asynccontextmanager
async def quota_node(tmp: Path, name: str) -> AsyncIterator[NodeRuntime]:
    rt = NodeRuntime(dataclasses.replace(cfg(tmp, name), stranger_messages=QUOTA))
    await rt.start()
    try:
        if BODY not in rt.ingest.bodies:  # type: ignore[union-attr]
            await rt.found_body(GENESIS.raw)
        yield rt
    finally:
        await rt.stop()


async def _metric(rt: NodeRuntime, name: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{rt.url}/metrics") as r:
        text = await r.text()
    return sum(int(float(line.split()[-1])) for line in text.splitlines() if line.startswith(name))


def _stored_strangers(rt: NodeRuntime) -> int:
    assert rt.store is not None
    members = {public_key(s) for s in MEMBERS}
    n = 0
    for _seq, raw in rt.store.messages(BODY):
        if envelope.decode_untrusted(raw, BODY).author not in members:
            n += 1
    return n


async def measure_flood(tmp: Path, n: int = 500) -> dict[str, Any]:
    flood = strangers(n)
    figures: dict[str, Any] = {"sent": n, "quota": QUOTA}
    async with quota_node(tmp, "a") as a, node(tmp, "m") as m:
        assert a.ingest and a.gossip and m.gossip
        await submit(a, PROPOSAL)
        a.gossip.pinned[m.node_key] = peer(m)
        m.gossip.add_peer(peer(a))
        await until(lambda: bool(m.gossip.links) and bool(a.gossip.links))  # type: ignore[union-attr]
        (lnk,) = m.gossip.links.values()
        for i in range(0, n, 100):
            await lnk.send("msgs", BODY, tuple(e.raw for e in flood[i : i + 100]))
        ingest = a.ingest
        await until(lambda: ingest.counters[Status.REJECTED] >= n - QUOTA, timeout=30)
        # a member's message relayed by the same peer after the flood
        await lnk.send("msgs", BODY, (vote(1).raw,))
        await until(lambda: has(a, vote(1)), timeout=10)
        figures["stored_strangers"] = await a.run_store(lambda: _stored_strangers(a))
        figures["refused"] = ingest.counters[Status.REJECTED]
        figures["link_up"] = bool(a.gossip.links) and bool(m.gossip.links)
        figures["metric_used"] = await _metric(a, "caracol_stranger_messages{")
        figures["metric_bytes"] = await _metric(a, "caracol_stranger_bytes{")
        figures["metric_refused"] = await _metric(a, "caracol_quota_refused_total{")
        codes = [r["code"] for r in a.store.rejections(1000)]  # type: ignore[union-attr]
        figures["codes"] = sorted(set(codes))
        # a member through the member API
        figures["member_api"] = await submit(a, vote(2))
    # restart: the quota is counted again from the store
    async with quota_node(tmp, "a") as a:
        assert a.ingest
        figures["after_restart_used"] = await _metric(a, "caracol_stranger_messages{")
        more = strangers(3, tag="after restart")
        figures["after_restart_api"] = await submit(a, *more)
        figures["after_restart_stored"] = await a.run_store(lambda: _stored_strangers(a))
        figures["after_restart_member"] = await submit(a, vote(3))
    return figures


def test_a_flood_under_throwaway_keys_stops_at_the_quota(tmp_path: Path) -> None:
    f = asyncio.run(measure_flood(tmp_path))
    assert f["stored_strangers"] == QUOTA, f
    assert f["refused"] == f["sent"] - QUOTA, f
    assert f["codes"] == ["quota_exceeded"], f
    assert f["link_up"], f  # a quota refusal is no strike against the peer
    assert f["metric_used"] == QUOTA and f["metric_refused"] == f["sent"] - QUOTA, f
    assert 0 < f["metric_bytes"] < QUOTA * 400, f
    assert [r["status"] for r in f["member_api"]] == ["accepted"], f
    # after the restart
    assert f["after_restart_used"] == QUOTA, f
    results = f["after_restart_api"]
    assert [r["status"] for r in results] == ["rejected"] * 3, f
    assert {r["code"] for r in results} == {"quota_exceeded"}, f
    reason = results[0]["reason"]
    assert BODY.hex() in reason and f"{QUOTA} messages" in reason, reason
    assert f["after_restart_stored"] == QUOTA, f
    assert [r["status"] for r in f["after_restart_member"]] == ["accepted"], f


def _ingest(store: Store, quota: Quota) -> Ingest:
    ingest = Ingest(store, quota=quota)
    if BODY not in ingest.bodies:
        ingest.found(GENESIS.raw, origin="test")
    return ingest


def test_the_byte_quota_binds_and_an_admitted_newcomer_frees_their_share(tmp_path: Path) -> None:
    flood = strangers(10)
    size = len(flood[0].raw)
    quota = Quota(messages=1000, bytes=4 * size + size // 2)  # room for 4 messages
    with Store(tmp_path / "db") as store:
        ingest = _ingest(store, quota)
        ingest.submit(BODY, [PROPOSAL.raw], origin="api")
        out = ingest.submit(BODY, [e.raw for e in flood], origin="peer m")
        assert [o.status for o in out] == [Status.ACCEPTED] * 4 + [Status.REJECTED] * 6
        assert {o.code for o in out[4:]} == {"quota_exceeded"}
        assert f"{quota.bytes} bytes" in (out[4].reason or "")
        # duplicates of stored strangers' messages cost nothing and pass
        again = ingest.submit(BODY, [flood[0].raw], origin="peer m")
        assert [o.status for o in again] == [Status.DUPLICATE]
        # a message whose author the same batch admits is a member's
        newcomer = hashlib.sha256(b"newcomer").digest()
        admit = envelope.sign(
            MEMBERS[0],
            BODY,
            kinds.Admit(public_key(newcomer), "Nel", ""),
            parents=[PROPOSAL.id],
            seq=2,
            time=9000,
        )
        hello = envelope.sign(
            newcomer,
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, "hello"),
            parents=[admit.id],
            seq=1,
            time=9001,
        )
        out = ingest.submit(BODY, [admit.raw, hello.raw], origin="peer m")
        assert [o.status for o in out] == [Status.ACCEPTED] * 2
        assert ingest.usage(ingest.body(BODY)).messages == 4
        # a throwaway key's ADMIT vouches for nobody: no flood under a key it "admits"
        k0, k1 = (hashlib.sha256(t).digest() for t in (b"k0", b"k1"))
        sham = envelope.sign(
            k0,
            BODY,
            kinds.Admit(public_key(k1), "Sham", ""),
            parents=[PROPOSAL.id],
            seq=1,
            time=9100,
        )
        under = envelope.sign(
            k1,
            BODY,
            kinds.Comment(PROPOSAL.id, None, kinds.Stance.NEUTRAL, "flood"),
            parents=[sham.id],
            seq=1,
            time=9101,
        )
        out = ingest.submit(BODY, [sham.raw, under.raw], origin="peer m")
        # (the sham ADMIT fits in the last half message of room; what it
        # "admits" does not, were it vouched for it would pass as a member's)
        assert [o.status for o in out] == [Status.ACCEPTED, Status.REJECTED], out
        assert out[1].code == "quota_exceeded"
        assert ingest.usage(ingest.body(BODY)).messages == 5  # 4 comments, the sham
    # counted from the store on load: still full
    with Store(tmp_path / "db") as store:
        ingest = _ingest(store, quota)
        ingest.load()
        assert ingest.usage(ingest.body(BODY)).messages == 5  # Nel's hello is vouched
        out = ingest.submit(BODY, [flood[9].raw], origin="api")
        assert [o.code for o in out] == ["quota_exceeded"]


def test_the_quota_is_configured_in_the_node_config(tmp_path: Path) -> None:
    config = dataclasses.replace(cfg(tmp_path, "a"), stranger_messages=123, stranger_bytes=4567)
    text = render(config)
    assert "stranger_messages = 123" in text and "stranger_bytes = 4567" in text
    back = parse(text, base=tmp_path)
    assert (back.stranger_messages, back.stranger_bytes) == (123, 4567)
    assert parse('[node]\ndata_dir = "d"\n', base=tmp_path).stranger_messages == Quota().messages


def _initiative(seed: bytes, body: bytes, parent: bytes, seq: int) -> envelope.Envelope:
    return envelope.sign(
        seed,
        body,
        kinds.ConstitutionInitiative(2, (), ((1, "Equal power", "Each Community."),), "why"),
        parents=[parent],
        seq=seq,
        time=9500 + seq,
    )


def test_strangers_filling_the_quota_do_not_shut_out_the_peoples_initiative(
    tmp_path: Path,
) -> None:
    """A CONSTITUTION_INITIATIVE may be signed by anyone in the Collective's
    log; one whose author a body this node holds knows (a Community's
    member) is not a stranger's, so a full quota still lets it in. Anything
    else from that key, and an initiative from a key no held body knows,
    still meets the quota."""
    collective = make_genesis([seed_for(f"collective{i}") for i in range(3)])
    flood = [
        envelope.sign(
            hashlib.sha256(f"c flood {i}".encode()).digest(),
            collective.body,
            kinds.Comment(collective.id, None, kinds.Stance.NEUTRAL, "s" * 100),
            parents=[collective.id],
            seq=1,
            time=9000 + i,
        )
        for i in range(3)
    ]
    with Store(tmp_path / "db") as store:
        ingest = _ingest(store, Quota(messages=3, bytes=1 << 20))
        ingest.found(collective.raw, origin="test")
        out = ingest.submit(collective.body, [e.raw for e in flood], origin="peer m")
        assert [o.status for o in out] == [Status.ACCEPTED] * 3  # the quota is full
        people = _initiative(MEMBERS[1], collective.body, collective.id, 1)
        foreign = _initiative(hashlib.sha256(b"nobody").digest(), collective.body, collective.id, 1)
        chatter = envelope.sign(
            MEMBERS[1],
            collective.body,
            kinds.Comment(collective.id, None, kinds.Stance.NEUTRAL, "hi"),
            parents=[people.id],
            seq=2,
            time=9600,
        )
        out = ingest.submit(collective.body, [people.raw, foreign.raw, chatter.raw], origin="api")
        assert [o.status for o in out] == [Status.ACCEPTED, Status.REJECTED, Status.REJECTED]
        assert out[1].code == out[2].code == "quota_exceeded"
    # counted again from the store: the initiative is still not a stranger's
    with Store(tmp_path / "db") as store:
        ingest = _ingest(store, Quota(messages=3, bytes=1 << 20))
        ingest.load()
        assert ingest.usage(ingest.body(collective.body)).messages == 3
