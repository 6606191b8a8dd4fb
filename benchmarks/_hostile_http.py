"""The attacks of ``caracol bench hostile`` from HTTP clients on raw
sockets: slow-loris heads and bodies, many connections at once, WebSocket
and SSE subscribers that vanish with a TCP reset, and the node killed
during a burst of honest posts (nothing it acknowledged may be lost).

One of the modules of benchmarks/hostile.py (issue 18.6), named with a
leading underscore so that benchmarks.runner takes it for no topic.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benchmarks._hostile_harness import (
    HonestMember,
    Tally,
    attack,
    healthy,
    metric,
    metrics,
    post_messages,
    state,
    until,
)
from benchmarks._hostile_node import BODY, CONTROL, QUIET, HonestNode, comment, raise_nofile

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open(node: HonestNode) -> Connection:
    return await asyncio.open_connection("127.0.0.1", node.port)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop a connection with a TCP reset: no close frame, no FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def measure_slowloris(
    node: HonestNode,
    rows: list[dict[str, Any]],
    *,
    sockets: int = 300,
    seconds: float = 20.0,
) -> None:
    """Half the sockets send a request head a byte a second, half a body."""
    tally = Tally()
    async with attack(node, "slow-loris", rows, rejected_input=True) as row:
        conns, failed = await _slow_sockets(node, sockets)
        released: dict[int, float] = {}
        """socket -> seconds until the node answered it (408) or closed it"""
        answers: Counter[str] = Counter()
        t0 = time.monotonic()

        async def watch(k: int, r: asyncio.StreamReader) -> None:
            try:
                data = await r.read(65536)
                released[k] = time.monotonic() - t0
                if data:
                    answers[data.split(b"\r\n", 1)[0].decode(errors="replace")] += 1
                    if data.startswith(b"HTTP/1.1 5"):
                        tally.statuses[500] += 1
                    while await r.read(65536):  # aiohttp lingers, reading the rest
                        pass
            except OSError:
                released.setdefault(k, time.monotonic() - t0)

        watchers = [asyncio.create_task(watch(k, r)) for k, (r, _) in enumerate(conns)]
        checks, unanswered, slowest = await _drip(node, conns, t0 + seconds)
        in_time = [s for s in released.values() if s < seconds]
        for w in (w for _, w in conns):
            _reset(w)
        await asyncio.gather(*watchers, return_exceptions=True)
        row.update(
            requests=sockets + checks,
            rejected=len(in_time),
            five_xx=tally.five_xx,
            sockets=sockets,
            connect_failed=failed,
            released=len(in_time),
            latest_release_s=round(max(in_time, default=0), 1),
            still_open=len(conns) - len(in_time),
            answers=dict(answers),
            health_checks=checks,
            health_unanswered=unanswered,
            slowloris_health_ms=round(slowest, 1),
            header_timeout=getattr(node.config, "header_timeout", None),
            body_timeout=getattr(node.config, "body_timeout", None),
        )


async def _slow_sockets(node: HonestNode, sockets: int) -> tuple[list[Connection], int]:
    """``sockets`` connections, every other one the start of a request head
    and the rest a POST's head announcing a body yet to come; and how many
    could not connect."""
    conns: list[Connection] = []
    failed = 0
    for i in range(sockets):
        try:
            r, w = await _open(node)
        except OSError:
            failed += 1
            continue
        if i % 2:
            w.write(b"GET /v0/node HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        else:
            w.write(
                f"POST /v0/bodies/{BODY.hex()}/messages HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/octet-stream\r\n"
                "Content-Length: 100000\r\n\r\n".encode()
            )
        conns.append((r, w))
    return conns, failed


async def _drip(
    node: HonestNode, conns: list[Connection], deadline: float
) -> tuple[int, int, float]:
    """A byte a second on every connection still open until the monotonic
    time ``deadline``, and an honest health check each second meanwhile: the
    checks, those unanswered and the slowest answer in milliseconds."""
    slowest = 0.0
    checks = 0
    unanswered = 0
    while time.monotonic() < deadline:
        for _, w in conns:
            if not w.is_closing():
                with contextlib.suppress(OSError):
                    w.write(b"a")
        ms = await healthy(node, timeout=30)
        checks += 1
        if ms is None:
            unanswered += 1
        else:
            slowest = max(slowest, ms)
        await asyncio.sleep(max(0.0, 1.0 - (ms or 0) / 1000))
    return checks, unanswered, slowest


async def measure_connections(
    node: HonestNode, rows: list[dict[str, Any]], *, n: int = 1000
) -> None:
    """``n`` sockets opened at once, then one request on each."""
    raise_nofile(n + 512)
    paths = [
        "/v0/node",
        f"/v0/bodies/{BODY.hex()}",
        f"/v0/bodies/{BODY.hex()}/proposals",
        f"/v0/bodies/{BODY.hex()}/messages?limit=20",
    ]
    tally = Tally()
    async with attack(node, "connections", rows, rejected_input=True) as row:
        opened = await asyncio.gather(*(_open(node) for _ in range(n)), return_exceptions=True)
        conns = [c for c in opened if not isinstance(c, BaseException)]
        refused = n - len(conns)
        await asyncio.sleep(0.5)
        fds = node.memory()["fds"]

        async def ask(k: int, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                path = paths[k % len(paths)]
                w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                data = await asyncio.wait_for(r.read(), 120)
                status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
                if status:
                    tally.statuses[status] += 1
                else:
                    tally.failed += 1
            except (OSError, TimeoutError, ValueError, IndexError):
                tally.failed += 1
            finally:
                w.close()

        t = time.perf_counter()
        await asyncio.gather(*(ask(k, r, w) for k, (r, w) in enumerate(conns)))
        seconds = time.perf_counter() - t
        after_ms = await healthy(node)
        row.update(
            requests=n,
            rejected=refused + tally.failed,
            five_xx=tally.five_xx,
            connections=n,
            connections_refused=refused,
            connections_failed=refused + tally.failed,
            statuses={str(s): c for s, c in sorted(tally.statuses.items())},
            node_fds=fds,
            answer_seconds=round(seconds, 2),
            health_after_ms=None if after_ms is None else round(after_ms, 1),
        )


async def _subscribe(
    node: HonestNode, websocket: bool, body: bytes
) -> tuple[asyncio.StreamWriter, bytes]:
    r, w = await _open(node)
    path = f"/v0/bodies/{body.hex()}/events"
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        head = (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    else:
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    w.write(head.encode())
    answer = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
    return w, answer.split(b"\r\n", 1)[0]


async def measure_subscribers(
    node: HonestNode, rows: list[dict[str, Any]], *, ws: int = 200, sse: int = 200
) -> None:
    """WebSocket and SSE subscribers that vanish (a TCP reset, no close):
    half of them on the quiet body, where nothing is posted that could find
    them gone, half on the Community, which then gets messages."""
    tally = Tally()
    async with attack(node, "vanishing subscribers", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            base = metric(await metrics(http, node), "caracol_subscribers")
            kinds_ = [(k < ws, QUIET.body if k % 2 else BODY) for k in range(ws + sse)]
            subs = await asyncio.gather(
                *(_subscribe(node, w, b) for w, b in kinds_), return_exceptions=True
            )
            live: dict[bytes, list[asyncio.StreamWriter]] = {BODY: [], QUIET.body: []}
            failed = 0
            for (_, b), sub in zip(kinds_, subs, strict=True):
                if isinstance(sub, BaseException):
                    failed += 1
                    continue
                status = int(sub[1].split(b" ")[1])
                tally.statuses[status] += 1
                if status in (101, 200):
                    live[b].append(sub[0])
            subscribed = sum(len(v) for v in live.values())

            async def count() -> float:
                return metric(await metrics(http, node), "caracol_subscribers")

            await until(lambda: _ge(count, base + subscribed), 20)
            peak = await count()
            rss_peak = node.memory()["rss_mb"]
            for w in live[QUIET.body]:
                _reset(w)
            t = time.monotonic()
            await until(lambda: _le(count, base + len(live[BODY])), 30)
            quiet_left = await count() - base - len(live[BODY])
            quiet_seconds = time.monotonic() - t
            for w in live[BODY]:
                _reset(w)
            await asyncio.sleep(0.2)
            for i in range(3):
                e = comment(CONTROL, 10 + i, f"to nobody {i}")
                status, _ = await post_messages(http, node, [e.raw], tally)
                if status == 201:
                    node.honest.append(e)
            await until(lambda: _le(count, base), 30)
            left = await count() - base
        row.update(
            requests=ws + sse + 3,
            rejected=failed,
            five_xx=tally.five_xx,
            subscribed=subscribed,
            subscribe_failed=failed,
            subscribers_peak=int(peak - base),
            subscribers_left=int(left),
            quiet_left=int(quiet_left),
            quiet_release_s=round(quiet_seconds, 1),
            rss_with_subscribers_mb=round(rss_peak, 1),
        )


async def _ge(f: Callable[[], Awaitable[float]], v: float) -> bool:
    return await f() >= v


async def _le(f: Callable[[], Awaitable[float]], v: float) -> bool:
    return await f() <= v


async def measure_kill(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    """SIGKILL during a burst of honest posts, then restart: nothing
    acknowledged is lost, and the bounds (pending per peer, the quota) hold
    after the replay."""
    t = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        before = await metrics(http, node)
    async with HonestMember(node, every=0.02) as member:
        await asyncio.sleep(0.6)
        node.kill()
        await asyncio.sleep(0.2)
    node.start()
    held = set(await state(node))
    async with aiohttp.ClientSession() as http:
        after = await metrics(http, node)
    lost = [e for e in node.honest if e.id not in held]
    rows.append(
        {
            "attack": "kill",
            "requests": member.tally.requests,
            "rejected": 0,
            "five_xx": member.tally.five_xx,
            "seconds": round(time.perf_counter() - t, 2),
            "acknowledged": len(node.honest),
            "lost": len(lost),
            "pending_before": int(metric(before, "caracol_pending_messages")),
            "pending_after": int(metric(after, "caracol_pending_messages")),
            "stranger_messages_before": int(metric(before, "caracol_stranger_messages")),
            "stranger_messages_after": int(metric(after, "caracol_stranger_messages")),
            "node_alive": node.alive(),
            "honest_kept": not lost,
        }
    )
