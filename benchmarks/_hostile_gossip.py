"""The attacks of ``caracol bench hostile`` that come (also) as a hostile
peer: forged messages, an equivocation, orphans whose parents are withheld,
a flood of strangers' messages and amplifying wants.

``HostilePeer`` is one link to the honest node as the peer it pins (key
``HOSTILE_SEED``), driven by hand: the signed handshake, then whatever
frames the attack sends, while a reader counts what the node sends back.
The lying reconciliation sessions are benchmarks/_hostile_recon.py's.

One of the modules of benchmarks/hostile.py (issue 18.6), named with a
leading underscore so that benchmarks.runner takes it for no topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from benchmarks._hostile_harness import (
    Tally,
    attack,
    http_json,
    metric,
    metrics,
    post_messages,
    state,
    until,
)
from benchmarks._hostile_node import (
    BODY,
    CONTROL,
    EQUIVOCATOR,
    HOSTILE_SEED,
    PEER_NAME,
    PROPOSAL,
    HonestNode,
    comment,
    forgeries,
    orphans,
    stranger,
)
from node.gossip import MAX_FRAME, WANT_BYTES
from node.peering import Handshake
from protocol import canonical, envelope

# --- the hostile peer -----------------------------------------------------------------------


class HostilePeer:
    """One link to the node as the pinned peer ``hostile``, driven by hand:
    the signed handshake, then whatever frames the attack sends. A reader
    counts what the node sends back."""

    def __init__(self, node: HonestNode) -> None:
        self.node = node
        self.bytes_out = 0
        self.bytes_in = 0
        self.frames_in: Counter[str] = Counter()
        self.messages: list[tuple[bytes, int]] = []
        """(id, size) of every message the node sent, in order."""
        self.wanted_in = 0
        self.recon: asyncio.Queue[bytes] = asyncio.Queue()
        self.bye: tuple[str, str] | None = None
        self.closed = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HostilePeer:
        self._http = aiohttp.ClientSession()
        self._ws = ws = await self._http.ws_connect(
            f"{self.node.url}/v0/peer", max_msg_size=MAX_FRAME
        )
        hs = Handshake(HOSTILE_SEED, os.urandom(32), pinned=self.node.node_key)
        await ws.send_bytes(canonical.encode(("hello", hs.hello.node_key, hs.hello.nonce)))
        hello = canonical.decode(await ws.receive_bytes())
        proof = hs.receive_hello({"node_key": hello[1].hex(), "nonce": hello[2].hex()})
        await ws.send_bytes(canonical.encode(("proof", bytes.fromhex(proof["sig"]))))
        answer = canonical.decode(await ws.receive_bytes())
        hs.receive_proof({"sig": answer[1].hex()})
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                self.bytes_in += len(msg.data)
                frame = canonical.decode(msg.data, max_bytes=MAX_FRAME)
                kind = frame[0]
                self.frames_in[kind] += 1
                if kind == "msgs":
                    self.messages += [(envelope.message_id(r), len(r)) for r in frame[2]]
                elif kind == "want":
                    self.wanted_in += len(frame[2])
                elif kind == "recon":
                    self.recon.put_nowait(frame[2])
                elif kind == "bye":
                    self.bye = (frame[1], frame[2])
        finally:
            self.closed.set()

    async def send(self, *items: Any) -> None:
        assert self._ws is not None
        data = canonical.encode(items)
        self.bytes_out += len(data)
        if not self._ws.closed:
            await self._ws.send_bytes(data)

    def received(self, since: int, ids: set[bytes]) -> tuple[int, int]:
        """How many of ``ids`` the node sent after the first ``since``
        messages, and their bytes (what it pushes meanwhile, the honest
        member's comments, is left out)."""
        got = [size for mid, size in self.messages[since:] if mid in ids]
        return len(got), sum(got)

    async def settle(
        self, counter: Callable[[], int] | None = None, quiet: float = 0.5, timeout: float = 60.0
    ) -> None:
        """Wait until ``counter`` (default: bytes from the node) has not moved
        for ``quiet`` seconds."""
        count = counter or (lambda: self.bytes_in)
        deadline = time.monotonic() + timeout
        last = -1
        while count() != last and time.monotonic() < deadline and not self.closed.is_set():
            last = count()
            await asyncio.sleep(quiet)

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 10)
        if self._http is not None:
            await self._http.close()


# --- the attacks ----------------------------------------------------------------------------


async def measure_forged(node: HonestNode, rows: list[dict[str, Any]], n: int = 200) -> None:
    forged = forgeries(n)
    tally = Tally()
    rejected = 'caracol_ingest_total{outcome="rejected"}'
    async with attack(node, "forged", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            before = metric(await metrics(http, node), rejected)
            over_http = forged[: n // 2]
            for i in range(0, len(over_http), 50):
                await post_messages(http, node, over_http[i : i + 50], tally)
        closed = 0
        rest = forged[n // 2 :]
        while rest:  # gossip: 5 strikes close the link; the peer dials again
            async with HostilePeer(node) as peer:
                for raw in rest[:5]:
                    await peer.send("msgs", BODY, (raw,))
                del rest[:5]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(peer.closed.wait(), 30)
                closed += peer.bye is not None and peer.bye[0] == "misbehaving"
        async with aiohttp.ClientSession() as http:
            after = metric(await metrics(http, node), rejected)
            stored = 0
            for raw in forged:
                mid = envelope.message_id(raw).hex()
                status, _ = await http_json(
                    http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/messages/{mid}", tally
                )
                stored += status == 200
        row.update(
            requests=n,
            rejected=int(after - before),
            five_xx=tally.five_xx,
            forged_stored=stored,
            http_422=tally.statuses[422],
            links_closed=closed,
        )


async def measure_equivocation(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    first = comment(EQUIVOCATOR, 1, "the well is fine")
    second = comment(EQUIVOCATOR, 1, "the well is dry")
    control = comment(CONTROL, 1, "an honest comment")
    tally = Tally()
    async with attack(node, "equivocation", rows) as row:
        async with aiohttp.ClientSession() as http:
            _, r1 = await post_messages(http, node, [first.raw, control.raw], tally)
            async with HostilePeer(node) as peer:
                await peer.send("msgs", BODY, (second.raw,))

                async def both_held() -> bool:
                    _, doc = await http_json(http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}")
                    return isinstance(doc, dict) and doc.get("equivocations", 0) >= 1

                await until(both_held, 20)
            _, body = await http_json(http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}", tally)
            _, view = await http_json(
                http,
                "GET",
                f"{node.url}/v0/bodies/{BODY.hex()}/proposals/{PROPOSAL.id.hex()}",
                tally,
            )
            _, evidence = await http_json(
                http, "GET", f"{node.url}/v0/bodies/{BODY.hex()}/evidence", tally
            )
        shown = {c["id"] for c in view.get("comments", [])} if isinstance(view, dict) else set()
        ignored = evidence.get("ignored", []) if isinstance(evidence, dict) else []
        node.honest.append(control)
        row.update(
            requests=tally.requests + 1,
            five_xx=tally.five_xx,
            equivocations=body.get("equivocations") if isinstance(body, dict) else None,
            equivocations_applied=sum(e.id.hex() in shown for e in (first, second)),
            equivocations_ignored=sum(
                "equivocation" in json.dumps(i) and e.id.hex() in json.dumps(i)
                for e in (first, second)
                for i in ignored
            ),
            both_kept=False,
            control_applied=control.id.hex() in shown,
            first_answer=r1[0]["status"] if r1 else None,
        )
        held = set(await state(node))
        row["both_kept"] = first.id in held and second.id in held


async def measure_orphans(node: HonestNode, rows: list[dict[str, Any]], n: int = 5000) -> None:
    sent = orphans(n)
    parent = comment(CONTROL, 2, "a parent that comes late")
    child = comment(CONTROL, 3, "its child, sent first", parent.id)
    tally = Tally()
    async with attack(node, "orphans", rows, rejected_input=True) as row:
        async with aiohttp.ClientSession() as http:
            _, r = await post_messages(http, node, [child.raw], tally)
            honest_pending = bool(r) and r[0]["status"] == "pending"
            by_peer = f'caracol_pending_by_peer{{body="{BODY.hex()[:16]}",peer="{PEER_NAME}"}}'

            def seen(m: dict[str, float]) -> float:
                # each orphan is pending under the peer, or evicted one of its own
                return m.get(by_peer, 0.0) + metric(m, "caracol_pending_evicted_total")

            before = seen(await metrics(http, node))
            async with HostilePeer(node) as peer:
                for i in range(0, n, 1000):
                    await peer.send("msgs", BODY, tuple(o.raw for o in sent[i : i + 1000]))

                async def taken() -> bool:
                    return seen(await metrics(http, node)) - before >= n

                await until(taken, 60)
                wanted = peer.wanted_in
            m = await metrics(http, node)
            peer_pending = m.get(by_peer, 0.0)
            pending = metric(m, "caracol_pending_messages")
            evicted = metric(m, "caracol_pending_evicted_total")
            _, r = await post_messages(http, node, [parent.raw], tally)
            held = set(await state(node))
        node.honest += [parent, child]
        row.update(
            requests=n + 2,
            rejected=int(evicted),
            five_xx=tally.five_xx,
            orphans_sent=n,
            orphans_kept=int(peer_pending),
            pending=int(pending),
            evicted=int(evicted),
            wanted_back=wanted,
            honest_child_released=honest_pending and child.id in held,
            orphans_stored=sum(o.id in held for o in sent),
        )


async def measure_flood(
    node: HonestNode,
    rows: list[dict[str, Any]],
    *,
    http_n: int = 300,
    gossip_n: int = 8000,
    size: int = 1000,
) -> None:
    per_key = 10
    over_http = [stranger(i // per_key, i % per_key + 1, 100) for i in range(http_n)]
    over_gossip = [stranger(100_000 + i // per_key, i % per_key + 1, size) for i in range(gossip_n)]
    tally = Tally()
    rss: list[float] = []
    async with attack(node, "flood", rows) as row:
        sampling = True

        async def sample() -> None:
            while sampling:
                rss.append(node.memory()["rss_mb"])
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=50), timeout=aiohttp.ClientTimeout(total=60)
        ) as http:
            before = await metrics(http, node)
            answers = await asyncio.gather(
                *(post_messages(http, node, [e.raw], tally) for e in over_http)
            )
            stored_http = sum(s == 201 for s, _ in answers)
            async with HostilePeer(node) as peer:
                for i in range(0, gossip_n, 256):
                    await peer.send("msgs", BODY, tuple(e.raw for e in over_gossip[i : i + 256]))

                def seen(m: dict[str, float]) -> float:
                    # each stranger's message is stored or refused by the quota
                    return metric(m, "caracol_stranger_messages") + metric(
                        m, "caracol_quota_refused_total"
                    )

                async def taken() -> bool:
                    done = seen(await metrics(http, node)) - seen(before)
                    return done >= stored_http + gossip_n or peer.closed.is_set()

                await until(taken, 120)
                bye = peer.bye
            after = await metrics(http, node)
        sampling = False
        await sampler
        refused = metric(after, "caracol_quota_refused_total") - metric(
            before, "caracol_quota_refused_total"
        )
        row.update(
            requests=http_n + gossip_n,
            rejected=tally.statuses[429] + int(refused),
            five_xx=tally.five_xx,
            http_429=tally.statuses[429],
            http_stored=stored_http,
            gossip_refused_quota=int(refused),
            stranger_messages=int(metric(after, "caracol_stranger_messages")),
            stranger_bytes=int(metric(after, "caracol_stranger_bytes")),
            quota_messages=node.config.stranger_messages,
            quota_bytes=node.config.stranger_bytes,
            link_closed=bye[0] if bye else None,
            peak_rss_flood_mb=round(node.memory()["hwm_mb"], 1),
            rss_max_sampled_mb=round(max(rss, default=0.0), 1),
        )


async def measure_want(node: HonestNode, rows: list[dict[str, Any]]) -> None:
    tally = Tally()
    chain_ids = {e.id for e in node.chain}
    async with attack(node, "want", rows, rejected_input=True) as row, HostilePeer(node) as peer:
        one = node.chain[0].id
        dup = ("want", BODY, (one,) * 4096)
        asked = len(canonical.encode(dup))
        mark = len(peer.messages)
        await peer.send(*dup)
        await peer.settle(lambda: peer.received(mark, chain_ids)[0])
        dup_msgs, dup_bytes = peer.received(mark, chain_ids)
        distinct = ("want", BODY, tuple(e.id for e in node.chain))
        asked_distinct = len(canonical.encode(distinct))
        mark = len(peer.messages)
        await peer.send(*distinct)
        await peer.settle(lambda: peer.received(mark, chain_ids)[0])
        got, got_bytes = peer.received(mark, chain_ids)
        row.update(
            requests=2,
            five_xx=tally.five_xx,
            want_asked_bytes=asked,
            want_answered_messages=dup_msgs,
            want_answered_bytes=dup_bytes,
            amplification=round(dup_bytes / asked, 4),
            distinct_asked_bytes=asked_distinct,
            distinct_answered_messages=got,
            distinct_answered_bytes=got_bytes,
            amplification_distinct=round(got_bytes / asked_distinct, 2),
            want_bytes_cap=WANT_BYTES,
        )
