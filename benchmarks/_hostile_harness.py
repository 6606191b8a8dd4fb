"""What every attack of ``caracol bench hostile`` runs in: HTTP helpers
against the honest node (answers tallied by status, ``/metrics``, the held
ids in replay order, an honest health check), the honest member posting
throughout, and ``attack``, which records one attack's row: requests,
rejected, 5xx, seconds, the node's memory, whether it stayed up, kept every
honest message and, where all input was rejected, kept its state hash.

One of the modules of benchmarks/hostile.py (issue 18.6), named with a
leading underscore so that benchmarks.runner takes it for no topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks._hostile_node import BODY, HONEST, HonestNode, comment, state_hash
from protocol import envelope

# --- HTTP helpers ---------------------------------------------------------------------------


@dataclass
class Tally:
    """HTTP answers by status; ``failed`` counts requests with no answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    failed: int = 0

    @property
    def five_xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.failed

    def add(self, other: Tally) -> None:
        self.statuses.update(other.statuses)
        self.failed += other.failed


async def http_json(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    tally: Tally | None = None,
    **kw: Any,
) -> tuple[int, Any]:
    try:
        async with http.request(method, url, **kw) as r:
            text = await r.text()
            if tally is not None:
                tally.statuses[r.status] += 1
            try:
                return r.status, json.loads(text)
            except ValueError:
                return r.status, text
    except (aiohttp.ClientError, TimeoutError):
        if tally is not None:
            tally.failed += 1
        return 0, None


async def post_messages(
    http: aiohttp.ClientSession, node: HonestNode, raws: list[bytes], tally: Tally | None = None
) -> tuple[int, list[dict[str, Any]]]:
    status, doc = await http_json(
        http,
        "POST",
        f"{node.url}/v0/bodies/{BODY.hex()}/messages",
        tally,
        json={"messages": [r.hex() for r in raws]},
    )
    return status, doc.get("results", []) if isinstance(doc, dict) else []


async def metrics(http: aiohttp.ClientSession, node: HonestNode) -> dict[str, float]:
    """``/metrics`` as ``{name{labels}: value}``."""
    async with http.get(f"{node.url}/metrics") as r:
        text = await r.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def metric(m: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in m.items() if k == prefix or k.startswith(prefix + "{"))


async def held_ids(http: aiohttp.ClientSession, node: HonestNode) -> list[bytes]:
    """The body's message ids in replay order."""
    ids: list[bytes] = []
    while True:
        status, doc = await http_json(
            http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/messages?start={len(ids)}&limit=5000"
        )
        assert status == 200, (status, doc)
        ids += [envelope.message_id(bytes.fromhex(h)) for h in doc["messages"]]
        if len(ids) >= doc["total"] or not doc["messages"]:
            return ids


async def state(node: HonestNode) -> list[bytes]:
    """The ids the node holds, in replay order."""
    async with aiohttp.ClientSession() as http:
        return await held_ids(http, node)


async def healthy(node: HonestNode, timeout: float = 30.0) -> float | None:
    """Milliseconds for an honest ``GET /v0/node`` on a fresh connection
    (None: no answer within ``timeout``)."""
    t = time.perf_counter()
    try:
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as http,
            http.get(f"{node.url}/v0/node") as r,
        ):
            await r.read()
            if r.status != 200:
                return None
    except (aiohttp.ClientError, TimeoutError):
        return None
    return (time.perf_counter() - t) * 1000


async def until(cond: Callable[[], Awaitable[bool]], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if await cond():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)


class HonestMember:
    """A member posting one comment every ``every`` seconds while an attack
    runs; what the node acknowledged (201) is added to the node's honest
    messages, so the kill case can check none was lost."""

    def __init__(self, node: HonestNode, every: float = 0.2) -> None:
        self.node = node
        self.every = every
        self.posted: set[bytes] = set()
        self.tally = Tally()
        self.acknowledged = 0
        self.slowest_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            node = self.node
            while True:
                seq = node.member_seq + 1
                e = comment(HONEST, seq, f"honest {seq}", node.member_parent)
                self.posted.add(e.id)
                t = time.perf_counter()
                status, results = await post_messages(http, node, [e.raw], self.tally)
                self.slowest_ms = max(self.slowest_ms, (time.perf_counter() - t) * 1000)
                if (
                    status in (200, 201)
                    and results
                    and results[0]["status"]
                    in (
                        "accepted",
                        "duplicate",
                    )
                ):
                    node.member_seq, node.member_parent = seq, e.id
                    self.acknowledged += 1
                    node.honest.append(e)
                await asyncio.sleep(self.every)

    async def __aenter__(self) -> HonestMember:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


# --- one attack ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def attack(
    node: HonestNode, name: str, rows: list[dict[str, Any]], *, rejected_input: bool = False
) -> AsyncIterator[dict[str, Any]]:
    """One attack: an honest member posts throughout; the row records
    requests, rejected, 5xx, seconds, the node's memory and whether it stayed
    up; with ``rejected_input`` the state hash must not move (what the honest
    member adds meanwhile is left out of the comparison)."""
    before_ids = await state(node)
    before = state_hash(before_ids)
    row: dict[str, Any] = {"attack": name, "requests": 0, "rejected": 0, "five_xx": 0}
    t = time.perf_counter()
    async with HonestMember(node) as member:
        yield row
    row["seconds"] = round(time.perf_counter() - t, 2)
    row["node_alive"] = node.alive() and await healthy(node) is not None
    after = await state(node)
    row["honest_kept"] = {e.id for e in node.honest} <= set(after)
    if rejected_input:
        # what honest members added meanwhile names only honest messages and
        # nothing else names it, so leaving it out of the replay order gives
        # the log as it would be without it: the rejected input's effect
        # (a post the previous attack's member left in flight may be either side)
        held = set(before_ids)
        honest = (member.posted | {e.id for e in node.honest}) - held
        row["state_kept"] = state_hash([i for i in after if i not in honest]) == before
        if not row["state_kept"]:
            row["unexpected"] = [i.hex() for i in after if i not in honest and i not in held]
            row["vanished"] = [i.hex() for i in before_ids if i not in set(after)]
    row["honest_acknowledged"] = member.acknowledged
    row["honest_five_xx"] = member.tally.five_xx
    row["honest_slowest_ms"] = round(member.slowest_ms)
    mem = node.memory()
    row["rss_mb"], row["hwm_mb"] = round(mem["rss_mb"], 1), round(mem["hwm_mb"], 1)
    rows.append(row)
