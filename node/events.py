"""Live updates: ``GET /v0/bodies/{body}/events`` as a WebSocket (one
JSON text frame per accepted message) or, with ``Accept: text/event-stream``,
server-sent events; the node publishes each body's accepted messages to its
subscribers, and ends every stream when it stops.

A mixin of ``node.api.MemberApi``, kept apart so each file reads in one
sitting (issue 18.6). A subscriber that vanished is let go: a WebSocket's
reader ends, and an SSE stream looks at its connection every
``SUBSCRIBER_CHECK`` seconds (``/metrics`` counts those still subscribed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from protocol.envelope import Envelope, fields_of

SUBSCRIBER_CHECK = 5.0
"""Seconds between checks that an SSE subscriber's connection is still there."""
SSE_PING = 15.0
"""Seconds between the comment lines a quiet SSE stream carries."""


class LiveUpdates:
    """The ``events`` route's handler, and the subscribers it serves: one
    queue per subscriber, by body."""

    subscribers: dict[bytes, set[asyncio.Queue[Envelope | None]]]

    if TYPE_CHECKING:

        def _body(self, request: web.Request) -> Any: ...

    def publish(self, body_id: bytes, accepted: tuple[Envelope, ...]) -> None:
        for queue in self.subscribers.get(body_id, ()):
            for env in accepted:
                if queue.qsize() < 10_000:
                    queue.put_nowait(env)

    async def events(self, request: web.Request) -> web.StreamResponse:
        body = self._body(request)
        queue: asyncio.Queue[Envelope | None] = asyncio.Queue()
        self.subscribers.setdefault(body.id, set()).add(queue)
        try:
            if request.headers.get("Accept") == "text/event-stream":
                sse = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
                await sse.prepare(request)
                with contextlib.suppress(ConnectionError):  # the subscriber went away
                    await _stream_events(request, sse, queue)
                return sse
            ws = web.WebSocketResponse(heartbeat=30)
            await ws.prepare(request)
            reader = asyncio.ensure_future(_drain(ws))
            try:
                while not reader.done():
                    getter = asyncio.ensure_future(queue.get())
                    done, _ = await asyncio.wait(
                        {getter, reader}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter not in done:
                        getter.cancel()
                        break
                    env = getter.result()
                    if env is None:
                        break
                    await ws.send_json(_event(env))
            except ConnectionError:
                pass  # the subscriber went away without closing
            finally:
                reader.cancel()
                await ws.close()
            return ws
        finally:
            self.subscribers[body.id].discard(queue)

    async def close_subscribers(self) -> None:
        for queues in self.subscribers.values():
            for q in queues:
                q.put_nowait(None)


async def _stream_events(
    request: web.Request, sse: web.StreamResponse, queue: asyncio.Queue[Envelope | None]
) -> None:
    """Server-sent events until the node stops or the subscriber is gone.
    aiohttp does not cancel a handler whose client vanished, and a queue
    that nothing is published to never wakes it: every subscriber that
    dropped its connection on a quiet body stayed, with its queue and its
    task, for ever. So the stream looks at its connection every
    ``SUBSCRIBER_CHECK`` seconds and, when quiet for ``SSE_PING``, writes a
    comment line (which also finds a peer that vanished without a reset)."""
    quiet = 0.0
    while True:
        try:
            env = await asyncio.wait_for(queue.get(), SUBSCRIBER_CHECK)
        except TimeoutError:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            quiet += SUBSCRIBER_CHECK
            if quiet >= SSE_PING:
                quiet = 0.0
                await sse.write(b": ping\n\n")
            continue
        if env is None:
            return
        quiet = 0.0
        await sse.write(f"data: {json.dumps(_event(env))}\n\n".encode())


def _event(env: Envelope) -> dict[str, Any]:
    return {"type": "message", "message": env.raw.hex(), "fields": fields_of(env)}


async def _drain(ws: web.WebSocketResponse) -> None:
    async for msg in ws:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            return
