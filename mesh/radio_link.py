"""Driving a radio Transport: the duty-cycle queue on the way out, the frame
codec both ways (anyio: runs on trio — the simulator — and on asyncio —
the node's bridge).

``RadioLink`` takes messages and verdict objects, turns them into frames
(abbreviated where the receiver can expand them, fragmented to the MTU),
queues them by priority and releases them only within the duty-cycle
budget. Incoming frames are decoded as untrusted input: fragments are
reassembled (missing pieces re-requested), abbreviated messages expanded
and verified, and anything bad is dropped with its reason in ``dropped``.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from protocol import envelope
from protocol.envelope import Envelope
from protocol.errors import ProtocolError

from . import frames
from .dutycycle import Budget, Priority, SendQueue
from .errors import MeshError
from .transport import Transport


@dataclass
class RadioLink:
    radio: Transport
    budget: Budget
    contexts: dict[bytes, frames.Context] = field(default_factory=dict)  # ctx -> context
    on_message: Callable[[Envelope], None] | None = None
    on_object: Callable[[bytes, frames.ObjectKind, bytes], None] | None = None
    request_wait: float = 60.0
    clock: Callable[[], float] = field(default=_time.monotonic)

    def __post_init__(self) -> None:
        self.queue = SendQueue(self.budget, self.radio.airtime)
        self.fragmenter = frames.Fragmenter(self.radio.mtu)
        self.reassembler = frames.Reassembler(timeout=self.request_wait)
        self.dropped: list[str] = []
        self._wake = anyio.Event()
        self.delivered = 0

    def add_context(self, context: frames.Context) -> None:
        self.contexts[context.ctx] = context

    # --- out ------------------------------------------------------------------

    def _queue(self, frame: bytes, priority: Priority) -> None:
        for f in self.fragmenter.split(frame):
            if f not in self.queue:
                self.queue.push(f, priority, created=self.clock())
        self._wake.set()

    def send_message(self, env: Envelope, priority: Priority) -> None:
        ctx = env.body[: frames.CTX]
        context = self.contexts.get(ctx)
        if context is not None:
            self._queue(
                frames.encode_msg(ctx, frames.abbreviate(env.raw, context), abbreviated=True),
                priority,
            )
        else:
            self._queue(frames.encode_msg(ctx, env.raw), priority)

    def send_object(
        self, body: bytes, what: frames.ObjectKind, data: bytes, priority: Priority
    ) -> None:
        self._queue(frames.encode(frames.Object(body[: frames.CTX], what, data)), priority)

    async def pump(self) -> None:
        """Send queued frames whenever the budget allows (run in a nursery)."""
        while True:
            frame, wake = self.queue.pop_ready(self.clock())
            if frame is not None:
                await self.radio.send(frame)
                continue
            self._wake = anyio.Event()
            with anyio.move_on_after(max(0.0, (wake or self.clock() + 3600) - self.clock())):
                await self._wake.wait()

    # --- in -------------------------------------------------------------------

    async def listen(self) -> None:
        while True:
            data = await self.radio.receive()
            try:
                self._handle(data)
            except (MeshError, ProtocolError) as exc:
                self.dropped.append(f"{exc.code}: {exc}")

    async def ask_for_missing(self) -> None:
        while True:
            await anyio.sleep(self.request_wait / 2)
            for req in self.reassembler.requests(self.clock(), self.request_wait):
                self.queue.push(req, Priority.VERDICT, created=self.clock())
                self._wake.set()

    def _handle(self, data: bytes) -> None:
        frame = frames.decode_untrusted(data)
        if isinstance(frame, frames.Frag):
            whole = self.reassembler.receive(frame, self.clock())
            self.dropped += self.reassembler.dropped
            self.reassembler.dropped.clear()
            if whole is not None:
                self._handle(whole)
            return
        if isinstance(frame, frames.FragReq):
            for f in self.fragmenter.resend(frame):
                if f not in self.queue:  # already waiting for air time
                    self.queue.push(f, Priority.VERDICT, created=self.clock())
            self._wake.set()
            return
        if isinstance(frame, frames.Object):
            if self.on_object is not None:
                self.on_object(frame.ctx, frame.what, frame.data)
            return
        if isinstance(frame, frames.Msg):
            context = self.contexts.get(frame.ctx)
            if context is None:
                self.dropped.append(f"a message for unknown body {frame.ctx.hex()}")
                return
            raw = frames.expand_untrusted(frame.body, context) if frame.abbreviated else frame.body
            env = envelope.open_untrusted(raw, None if raw[1] == 1 else context.body)
            self.delivered += 1
            if self.on_message is not None:
                self.on_message(env)
