"""Reads while the store thread writes (issue 16): every GET route of the
node answers without a 5xx while messages are ingested concurrently.

The store thread owns each body's log; a handler that iterated the log's
dicts on the event loop while the store thread inserted (or released pending
messages) raised "dictionary changed size during iteration" and answered
500. The ingest here is made as disruptive as possible: messages arrive
children first, so the pending area and the waiting index grow and are then
released in one cascade, while the replay order shifts under every insert.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import aiohttp

from node.config import Config
from node.runtime import NodeRuntime
from protocol.testing import Scenario

N_PROPOSALS = 6
N_COMMENTS = 1500
BATCH = 50


def _scenario() -> tuple[Scenario, bytes]:
    sc = Scenario()
    first = sc.propose("ana", "Plant a garden")
    for i in range(N_PROPOSALS - 1):
        sc.propose("bea", f"Proposal {i}")
    names = ["ana", "bea", "cruz", "dev", "eli"]
    for i in range(N_COMMENTS):
        sc.comment(names[i % 5], first, f"comment {i}")
    return sc, first


def _get_paths(app: aiohttp.web.Application, body: str, mid: str, key: str) -> list[str]:
    """Every GET route of the app, its parameters filled in."""
    fill = {"body": body, "key": key}
    paths: list[str] = []
    for resource in app.router.resources():
        info = resource.get_info()
        template = info.get("formatter") or info.get("path")
        if not template or not template.startswith(("/v0", "/metrics")):
            continue
        if not any(r.method == "GET" for r in resource):
            continue
        if template in ("/v0/peer",) or template.endswith("/events"):
            continue  # a WebSocket and a stream: not request/answer reads
        paths.append(re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), mid), template))
    return paths


async def _hammer(tmp: Path) -> None:
    sc, proposal = _scenario()
    raws = [e.raw for e in sc.messages[1:]]
    async with NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node:
        body = await node.found_body(sc.messages[0].raw)
        assert node.app is not None
        paths = _get_paths(node.app, body.hex(), proposal.hex(), sc.key("ana").hex())
        assert len(paths) >= 25, paths
        base = f"{node.url}/v0/bodies/{body.hex()}"
        statuses: dict[str, set[int]] = {p: set() for p in paths}
        failures: list[tuple[str, int, str]] = []
        done = asyncio.Event()

        async with aiohttp.ClientSession() as http:

            async def ingest() -> None:
                # children first, one by one: every message waits for its own
                # parent until the genesis' child arrives last and releases all
                backwards = raws[::-1]
                for i in range(0, len(backwards), BATCH):
                    batch = backwards[i : i + BATCH]
                    async with http.post(
                        f"{base}/messages",
                        json={"messages": [r.hex() for r in batch]},
                    ) as r:
                        assert r.status < 500, await r.text()
                done.set()

            async def reader(offset: int) -> int:
                n = 0
                while not done.is_set():
                    path = paths[(n + offset) % len(paths)]
                    async with http.get(f"{node.url}{path}") as r:
                        statuses[path].add(r.status)
                        if r.status >= 500:
                            failures.append((path, r.status, (await r.text())[:200]))
                        await r.read()
                    n += 1
                return n

            results = await asyncio.gather(ingest(), *(reader(k * 7) for k in range(6)))
            reads = sum(results[1:])
            # everything arrived in the end
            async with http.get(base) as r:
                doc = await r.json()
                assert doc["messages"] == len(sc.messages) and doc["missing"] == []
    assert not failures, failures[:5]
    assert reads >= 2 * len(paths), reads  # every route was hit, more than once
    for path, seen in statuses.items():
        assert seen and max(seen) < 500, (path, seen)


def test_every_get_route_answers_while_the_store_thread_ingests(tmp_path: Path) -> None:
    # Switch threads every microsecond instead of every 5 ms, so a read that
    # walks the log on the event loop meets the store thread mid-write.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        asyncio.run(_hammer(tmp_path))
    finally:
        sys.setswitchinterval(interval)
