"""Uploads that carry whole logs (a ratification record, a level bundle)
are refused with their own error when a log's genesis does not verify,
before anything is founded from it: found with scripts/fuzz's api targets
(issue 16.1), both let the store thread's BadSignature out of the handler,
a 500 where spec/api.md promises 422."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from node.config import Config
from node.people import RECORD
from node.runtime import NodeRuntime
from protocol import canonical
from protocol.kinds import BodyKind
from protocol.testing import Scenario


def _forged(raw: bytes) -> bytes:
    """The message with its signature's last byte changed."""
    return raw[:-1] + bytes([raw[-1] ^ 1])


def test_a_record_whose_genesis_does_not_verify_is_a_bad_record(tmp_path: Path) -> None:
    collective = Scenario(("c1", "c2"), body_kind=BodyKind.COLLECTIVE, name="All of us")
    record = canonical.encode((RECORD, ((_forged(collective.messages[0].raw),),)))

    async def main() -> None:
        async with (
            NodeRuntime(Config(data_dir=tmp_path / "n", listen_port=0)) as node,
            aiohttp.ClientSession() as http,
        ):
            r = await http.post(f"{node.url}/v0/ratifications", data=record)
            assert r.status == 422, await r.text()
            doc = await r.json()
            assert doc["error"] == "bad_record"
            assert "log 0: its genesis does not verify" in doc["reason"]
            assert collective.body not in node.ingest.bodies

    asyncio.run(main())


def test_a_level_bundle_with_a_log_whose_genesis_does_not_verify_is_a_bad_proof(
    tmp_path: Path,
) -> None:
    region = Scenario(("r1", "r2"), body_kind=BodyKind.REGION, name="Sierra")
    muni = Scenario(("m1", "m2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", parent=region.body)
    community = Scenario(("a1", "a2", "a3"), name="Río", parent=muni.body)
    bundle = canonical.encode(
        (1, ((muni.messages[0].raw,), (_forged(community.messages[0].raw),)), ())
    )

    async def main() -> None:
        async with (
            NodeRuntime(Config(data_dir=tmp_path / "n", listen_port=0)) as node,
            aiohttp.ClientSession() as http,
        ):
            await node.found_body(region.messages[0].raw)
            query = f"higher={region.body.hex()}&resolution={bytes(32).hex()}"
            r = await http.post(f"{node.url}/v0/proofs?{query}", data=bundle)
            assert r.status == 422, await r.text()
            doc = await r.json()
            assert doc["error"] == "bad_proof", doc
            assert "log 1 does not start with a signed genesis" in doc["reason"], doc
            assert muni.body not in node.ingest.bodies  # nothing founded from a refused bundle

    asyncio.run(main())
