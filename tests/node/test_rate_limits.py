"""Keys a body does not know are metered (spec/api.md, "Rate limits"):
anyone can sign with fresh keys at no cost, and the node stores what it
verifies, so messages signed by strangers are limited per key and per
address with 429 and Retry-After; members are never limited, and a batch
that admits a key carries that key's messages with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from node.config import Config
from node.ratelimit import STRANGER_ADDRESS, STRANGER_KEY, Buckets, Rate
from node.runtime import NodeRuntime
from protocol.kinds import Admit, Name
from protocol.testing import Scenario

OCTETS = {"Content-Type": "application/octet-stream"}


def test_buckets_fill_up_again_with_time() -> None:
    b = Buckets(Rate(burst=3, per_minute=60))
    assert b.wait("k", 3, now=0.0) == 0
    b.take("k", 3, now=0.0)
    assert b.wait("k", 1, now=0.0) == 1.0  # one per second refills
    assert b.wait("k", 1, now=1.0) == 0
    assert b.wait("k", 4, now=100.0) > 0  # never more than the burst


def test_buckets_forget_the_longest_unused_key_first() -> None:
    b = Buckets(Rate(burst=1, per_minute=1), max_keys=2)
    for k in ("a", "b", "c"):
        b.take(k, 1, now=0.0)
    assert b.wait("a", 1, now=0.0) == 0  # forgotten: a fresh bucket
    assert b.wait("c", 1, now=0.0) > 0


async def _strangers(tmp: Path) -> None:
    sc = Scenario()
    (founder, *_) = sc.seeds
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(sc.messages[0].raw)
        url = f"{node.url}/v0/bodies/{body.hex()}/messages"
        async with aiohttp.ClientSession() as http:

            async def post(raw: bytes) -> tuple[int, dict[str, object], str | None]:
                async with http.post(url, data=raw, headers=OCTETS) as r:
                    return r.status, await r.json(), r.headers.get("Retry-After")

            statuses = []
            for i in range(STRANGER_KEY.burst + 3):
                env = sc.post("zed", Name(sc.key("zed"), f"Zed {i}"), parents=(body,))
                statuses.append(await post(env.raw))
            assert all(s < 400 for s, _, _ in statuses[: STRANGER_KEY.burst])
            status, doc, retry = statuses[STRANGER_KEY.burst]
            assert status == 429 and doc["error"] == "rate_limited", doc
            assert "keys this body does not know" in str(doc["reason"])
            assert retry is not None and int(retry) >= 1
            # a member is never limited
            p = sc.propose(founder, "Plant a garden", parents=(body,))
            status, doc, _ = await post(sc.log.get(p).raw)
            assert status == 201, doc
            # an admission and the admitted key's first message, in one batch
            admit = sc.post(founder, Admit(sc.key("newcomer"), "Nia", ""), parents=(body,))
            named = sc.post("newcomer", Name(sc.key("newcomer"), "Nia"), parents=(admit.id,))
            doc_in = {"messages": [admit.raw.hex(), named.raw.hex()]}
            async with http.post(url, json=doc_in) as r:
                assert r.status == 201, await r.text()
            # other fresh keys from the same address meet the address's limit
            limited = False
            for i in range(STRANGER_ADDRESS.burst):
                env = sc.post(f"stranger{i}", Name(sc.key(f"stranger{i}"), "x"), parents=(body,))
                status, doc, _ = await post(env.raw)
                if status == 429:
                    limited = True
                    break
            assert limited


def test_strangers_are_limited_members_are_not(tmp_path: Path) -> None:
    asyncio.run(_strangers(tmp_path))


async def _sham_admission(tmp: Path) -> None:
    sc = Scenario()
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(sc.messages[0].raw)
        url = f"{node.url}/v0/bodies/{body.hex()}/messages"
        # a throwaway key "admits" another and floods under it, in one batch
        admit = sc.post("zed", Admit(sc.key("sham"), "Sham", ""), parents=(body,))
        flood, parent = [], admit.id
        for i in range(STRANGER_KEY.burst + 1):
            env = sc.post("sham", Name(sc.key("sham"), f"Sham {i}"), parents=(parent,))
            flood.append(env.raw.hex())
            parent = env.id
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"messages": [admit.raw.hex(), *flood]}) as r:
                doc = await r.json()
                assert r.status == 429 and doc["error"] == "rate_limited", doc
            # nothing of the batch was stored
            async with http.get(f"{url}/{admit.id.hex()}") as r:
                assert r.status == 404


def test_a_strangers_admission_vouches_for_nobody(tmp_path: Path) -> None:
    """Only a member's ADMIT (held, or earlier in the same batch) makes a key
    known to the rate limits, as to the storage quota (spec/node.md)."""
    asyncio.run(_sham_admission(tmp_path))
