"""Every bad request gets a 4xx with the JSON error of spec/api.md, never a
5xx: request bodies over 4 MiB (declared or chunked) on every POST, JSON
nested too deeply, malformed query values."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.testing import Scenario

FIVE_MB = 5 * 1024 * 1024


async def chunked(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(256 * 1024, total - sent)
        sent += piece
        yield b"0" * piece


async def _limits(tmp: Path) -> None:
    sc = Scenario()
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(sc.messages[0].raw)
        base = f"{node.url}/v0/bodies/{body.hex()}"
        async with aiohttp.ClientSession() as http:

            async def expect(status: int, method: str, url: str, **kw: object) -> None:
                async with http.request(method, url, **kw) as r:  # type: ignore[arg-type]
                    assert r.status == status, (url, r.status, await r.text())
                    doc = await r.json()
                    assert doc["error"] and doc["reason"], doc

            octets = {"Content-Type": "application/octet-stream"}
            for url in (f"{base}/messages", f"{node.url}/v0/bodies"):
                await expect(413, "POST", url, data=io.BytesIO(b"0" * FIVE_MB), headers=octets)
                await expect(413, "POST", url, data=chunked(FIVE_MB), headers=octets)
            proofs = f"{node.url}/v0/proofs?higher={'00' * 32}&resolution={'00' * 32}"
            await expect(413, "POST", proofs, data=chunked(FIVE_MB), headers=octets)
            deep = io.BytesIO(b"[" * 200_000 + b"]" * 200_000)
            await expect(
                400,
                "POST",
                f"{base}/messages",
                data=deep,
                headers={"Content-Type": "application/json"},
            )
            await expect(
                400,
                "POST",
                f"{base}/messages",
                data=b'{"messages": 5}',
                headers={"Content-Type": "application/json"},
            )
            for q in ("start=abc", "start=-1", "limit=1e308", "start=" + "9" * 5000):
                await expect(400, "GET", f"{base}/messages?{q}")
            for q in ("now=abc", "now=-5", "now=1e308", "now=" + "9" * 5000):
                await expect(400, "GET", f"{base}/mandates?{q}")
            # the node still answers, and stored nothing
            async with http.get(base) as r:
                assert r.status == 200 and (await r.json())["messages"] == 1


def test_bad_requests_are_4xx(tmp_path: Path) -> None:
    asyncio.run(_limits(tmp_path))
