"""A Transport over a Meshtastic radio, through the ``meshtastic`` library.

Caracol frames travel as Meshtastic data packets on the private application
port (``PortNum.PRIVATE_APP``, 256), broadcast on the primary channel; each
is at most ``DATA_PAYLOAD_LEN`` (233) bytes, which the frame codec respects.
The library is thread-based (a reader thread, a publishing thread, pubsub
callbacks): received packets are handed to the event loop through anyio's
thread portal, and blocking library calls run in worker threads, so the
node's loop never blocks on the radio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from meshtastic.protobuf import mesh_pb2, portnums_pb2
from meshtastic.tcp_interface import TCPInterface
from pubsub import pub

from .airtime import MESHTASTIC, LoRaParams
from .errors import LocalMeshError

DATA_PAYLOAD_LEN = mesh_pb2.Constants.DATA_PAYLOAD_LEN  # 233
PORT = portnums_pb2.PortNum.PRIVATE_APP


class MeshtasticTransport:
    """send(frame) / receive() through a Meshtastic device (TCP or serial)."""

    mtu = DATA_PAYLOAD_LEN

    def __init__(self, interface: Any, params: LoRaParams | None = None) -> None:
        self.interface = interface
        self.params = params or MESHTASTIC["LONG_FAST"]
        self._send, self._recv = anyio.create_memory_object_stream[bytes](1000)
        self._token = anyio.lowlevel.current_token()
        self.dropped = 0
        self._listener: Callable[..., None] = self._on_receive
        pub.subscribe(self._listener, "meshtastic.receive")

    @classmethod
    async def connect_tcp(cls, host: str, port: int, *, timeout: int = 20) -> MeshtasticTransport:
        """Connect to a device's TCP API (the library waits for its config)."""
        iface = await anyio.to_thread.run_sync(
            lambda: TCPInterface(host, portNumber=port, noNodes=True, timeout=timeout)
        )
        return cls(iface)

    def _on_receive(self, packet: dict[str, Any], interface: Any) -> None:
        """Called on the library's publishing thread."""
        if interface is not self.interface:
            return
        decoded = packet.get("decoded") or {}
        if decoded.get("portnum") not in ("PRIVATE_APP", PORT):
            return
        payload = decoded.get("payload", b"")
        if not isinstance(payload, (bytes, bytearray)) or len(payload) > DATA_PAYLOAD_LEN:
            self.dropped += 1
            return
        try:
            anyio.from_thread.run_sync(self._send.send_nowait, bytes(payload), token=self._token)
        except (
            anyio.WouldBlock,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
            RuntimeError,
        ):
            self.dropped += 1

    async def send(self, frame: bytes) -> None:
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds Meshtastic's {self.mtu}")
        await anyio.to_thread.run_sync(lambda: self.interface.sendData(frame, portNum=PORT))

    async def receive(self) -> bytes:
        return await self._recv.receive()

    def airtime(self, nbytes: int) -> float:
        return self.params.airtime(nbytes)

    async def aclose(self) -> None:
        pub.unsubscribe(self._listener, "meshtastic.receive")
        await anyio.to_thread.run_sync(self.interface.close)
        await self._send.aclose()
        await self._recv.aclose()
