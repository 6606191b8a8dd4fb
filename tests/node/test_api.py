"""A real node on 127.0.0.1: found a body, submit member-signed messages,
read them back, follow live events, see every rejection explained."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import aiohttp

from crdt.sim import make_genesis, seed_for
from node.config import Config
from node.runtime import NodeRuntime
from protocol import envelope, kinds

MEMBERS = [seed_for(f"api{i}") for i in range(3)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body


def _proposal() -> envelope.Envelope:
    return envelope.sign(
        MEMBERS[0],
        BODY,
        kinds.Proposal("Fix the well", "The pump.", "", None, None),
        parents=[GENESIS.id],
        seq=2,
        time=5,
    )


def _vote(i: int, p: envelope.Envelope) -> envelope.Envelope:
    return envelope.sign(
        MEMBERS[i], BODY, kinds.Vote(p.id, kinds.Choice.FOR), parents=[p.id], seq=1, time=6
    )


def _config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "node", listen_port=0)


async def _scenario(tmp_path: Path) -> None:
    p = _proposal()
    v = _vote(1, p)
    async with NodeRuntime(_config(tmp_path)) as node:
        await node.found_body(GENESIS.raw)
        base = f"{node.url}/v0/bodies/{BODY.hex()}"
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{base}/events") as ws:
                r = await http.post(
                    f"{base}/messages",
                    data=p.raw,
                    headers={"Content-Type": "application/octet-stream"},
                )
                assert r.status == 201
                assert (await r.json())["results"][0]["status"] == "accepted"
                event = await asyncio.wait_for(ws.receive_json(), 5)
                assert event["fields"]["id"] == p.id.hex()
            r = await http.post(f"{base}/messages", json={"messages": [v.raw.hex(), v.raw.hex()]})
            results = (await r.json())["results"]
            assert [x["status"] for x in results] == ["accepted", "duplicate"]
            forged = bytearray(_vote(2, p).raw)
            forged[-1] ^= 1
            r = await http.post(
                f"{base}/messages",
                data=bytes(forged),
                headers={"Content-Type": "application/octet-stream"},
            )
            assert r.status == 422
            (res,) = (await r.json())["results"]
            assert res["code"] == "bad_signature" and res["field"] == "signature"
            noncanon = v.raw[:1] + b"\xcc\x07" + v.raw[2:]
            r = await http.post(
                f"{base}/messages",
                data=noncanon,
                headers={"Content-Type": "application/octet-stream"},
            )
            (res,) = (await r.json())["results"]
            assert res["code"] == "non_canonical" and res["offset"] == 1 and res["field"] == "kind"
            r = await http.get(f"{base}/messages")
            listed = (await r.json())["messages"]
            assert listed == [GENESIS.raw.hex(), p.raw.hex(), v.raw.hex()]
            r = await http.get(
                f"{base}/messages/{v.id.hex()}", headers={"Accept": "application/octet-stream"}
            )
            assert await r.read() == v.raw
            r = await http.get(f"{node.url}/v0/bodies/{'00' * 32}")
            assert r.status == 404 and (await r.json())["error"] == "unknown_body"
            r = await http.get(f"{node.url}/v0/bodies/zz")
            assert r.status == 400
            r = await http.post(
                f"{base}/messages", data=b"{", headers={"Content-Type": "application/json"}
            )
            assert r.status == 400 and (await r.json())["field"] == "messages"
            metrics = await (await http.get(f"{node.url}/metrics")).text()
            assert 'caracol_ingest_total{outcome="rejected"} 2' in metrics
            assert f'caracol_messages{{body="{BODY.hex()[:16]}"}} 3' in metrics
    # restart from the SQLite file: everything acknowledged is there, rejections too
    async with NodeRuntime(_config(tmp_path)) as node:
        body = node.ingest.bodies[BODY]  # type: ignore[union-attr]
        assert body.log.order() == [GENESIS.id, p.id, v.id]
        assert node.store is not None
        codes = [r["code"] for r in await node.run_store(node.store.rejections)]
        assert sorted(codes) == ["bad_signature", "non_canonical"]


def test_member_api_end_to_end(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))


async def _pending(tmp_path: Path) -> None:
    p = _proposal()
    v = _vote(1, p)
    async with NodeRuntime(_config(tmp_path)) as node:
        await node.found_body(GENESIS.raw)
        base = f"{node.url}/v0/bodies/{BODY.hex()}"
        async with aiohttp.ClientSession() as http:
            r = await http.post(f"{base}/messages", json={"messages": [v.raw.hex()]})
            (res,) = (await r.json())["results"]
            assert res["status"] == "pending" and res["missing"] == [p.id.hex()]
    async with NodeRuntime(_config(tmp_path)) as node:  # pending survives a restart
        body = node.ingest.bodies[BODY]  # type: ignore[union-attr]
        assert body.log.missing() == {p.id}
        base = f"{node.url}/v0/bodies/{BODY.hex()}"
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                f"{base}/messages", data=p.raw, headers={"Content-Type": "application/octet-stream"}
            )
            assert r.status == 201
        assert body.log.order() == [GENESIS.id, p.id, v.id]


def test_pending_messages_survive_restart_and_are_released(tmp_path: Path) -> None:
    asyncio.run(_pending(tmp_path))


_ = (hashlib, json)
