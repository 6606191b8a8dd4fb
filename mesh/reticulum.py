"""A Transport over Reticulum (``rns``): Caracol frames on an RNS Link.

One process runs one Reticulum instance (RNS allows no more); its config
directory names the interfaces (on a bench: a TCPServerInterface or a
TCPClientInterface on 127.0.0.1; in the field: an RNode on LoRa). A node
offers the destination ``caracol.sync`` and announces it; a peer that knows
the destination hash asks for a path, opens an encrypted Link, and frames
(at most 383 bytes, one encrypted packet) flow both ways. RNS delivers
packets on its own threads; they are handed to the event loop through
anyio's thread portal, and sends run in a worker thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import RNS

from .airtime import MESHTASTIC
from .errors import LocalMeshError

APP = "caracol"
ASPECT = "sync"
MTU = 383  # RNS.Packet.ENCRYPTED_MDU: one encrypted packet


def write_config(
    config_dir: Path, *, listen_port: int | None = None, connect_port: int | None = None
) -> None:
    """A minimal RNS config: one TCP interface on 127.0.0.1, no shared instance."""
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "[reticulum]",
        "  enable_transport = False",
        "  share_instance = No",
        "",
        "[logging]",
        "  loglevel = 2",
        "",
        "[interfaces]",
    ]
    if listen_port is not None:
        lines += [
            "  [[Caracol TCP server]]",
            "    type = TCPServerInterface",
            "    enabled = yes",
            "    listen_ip = 127.0.0.1",
            f"    listen_port = {listen_port}",
        ]
    if connect_port is not None:
        lines += [
            "  [[Caracol TCP client]]",
            "    type = TCPClientInterface",
            "    enabled = yes",
            "    target_host = 127.0.0.1",
            f"    target_port = {connect_port}",
        ]
    (config_dir / "config").write_text("\n".join(lines) + "\n")


class ReticulumTransport:
    """send(frame) / receive() over one established RNS Link."""

    mtu = MTU

    def __init__(self, link: Any) -> None:
        self.link = link
        self._send, self._recv = anyio.create_memory_object_stream[bytes](1000)
        self._token = anyio.lowlevel.current_token()
        link.set_packet_callback(self._on_packet)

    def _on_packet(self, message: bytes, packet: Any) -> None:  # an RNS thread
        gone = (
            anyio.WouldBlock,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
            RuntimeError,
        )
        with contextlib.suppress(*gone):  # the loop is closing, or the reader fell far behind
            anyio.from_thread.run_sync(self._send.send_nowait, bytes(message), token=self._token)

    @staticmethod
    def start(config_dir: Path) -> Any:
        return RNS.Reticulum(configdir=str(config_dir), loglevel=RNS.LOG_ERROR)

    @classmethod
    async def serve(cls, identity: Any | None = None) -> tuple[Any, Any]:
        """Offer ``caracol.sync`` and announce it; returns (destination, a
        function awaiting the first incoming link as a transport)."""
        identity = identity or RNS.Identity()
        dest = RNS.Destination(identity, RNS.Destination.IN, RNS.Destination.SINGLE, APP, ASPECT)
        arrived = threading.Event()
        links: list[Any] = []

        def established(link: Any) -> None:
            links.append(link)
            arrived.set()

        dest.set_link_established_callback(established)
        dest.announce()

        async def accept(timeout: float = 60.0) -> ReticulumTransport:
            ok = await anyio.to_thread.run_sync(arrived.wait, timeout)
            if not ok:
                raise LocalMeshError("no peer opened a link in time")
            return cls(links[0])

        return dest, accept

    @classmethod
    async def connect(cls, destination_hash: bytes, *, timeout: float = 60.0) -> ReticulumTransport:
        def blocking() -> Any:
            deadline = time.monotonic() + timeout
            if not RNS.Transport.has_path(destination_hash):
                RNS.Transport.request_path(destination_hash)
            while not RNS.Transport.has_path(destination_hash):
                if time.monotonic() > deadline:
                    raise LocalMeshError("no path to the Reticulum destination")
                time.sleep(0.1)
            identity = RNS.Identity.recall(destination_hash)
            dest = RNS.Destination(
                identity, RNS.Destination.OUT, RNS.Destination.SINGLE, APP, ASPECT
            )
            ready = threading.Event()
            link = RNS.Link(dest, established_callback=lambda _l: ready.set())
            if not ready.wait(max(0.0, deadline - time.monotonic())):
                raise LocalMeshError("the Reticulum link was not established in time")
            return link

        link = await anyio.to_thread.run_sync(blocking)
        return cls(link)

    async def send(self, frame: bytes) -> None:
        if len(frame) > self.mtu:
            raise LocalMeshError(
                f"frame of {len(frame)} bytes exceeds one Reticulum packet ({self.mtu})"
            )
        await anyio.to_thread.run_sync(lambda: RNS.Packet(self.link, frame).send())

    async def receive(self) -> bytes:
        return await self._recv.receive()

    def airtime(self, nbytes: int) -> float:
        """On an RNode with Meshtastic-like LongFast settings (a TCP link costs nothing)."""
        return MESHTASTIC["LONG_FAST"].airtime(nbytes)

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.link.teardown)
        await self._send.aclose()
        await self._recv.aclose()
