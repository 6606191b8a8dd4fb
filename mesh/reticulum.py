"""A Transport over Reticulum (``rns``): Caracol frames on an RNS Link.

One process runs one Reticulum instance (RNS allows no more); its config
directory names the interfaces (on a bench: a TCPServerInterface or a
TCPClientInterface on 127.0.0.1; in the field: an RNode on LoRa). A node
offers the destination ``caracol.sync`` and announces it; a peer that knows
the destination hash asks for a path, opens an encrypted Link, and frames
(at most 383 bytes, one encrypted packet) flow both ways.

RNS is thread-based: packets, link establishment and link closure arrive on
its threads. The only things those threads touch are this transport's
counters (under a lock) and its receive buffer, which they reach through
anyio's thread portal with the token of the loop that owns the transport;
every blocking RNS call (path requests, link setup, sending, teardown) runs
in a worker thread, so the node's loop never blocks on RNS. A frame that
arrives when the loop is gone or the buffer is full is counted as dropped.

When the peer closes the link (or RNS times it out), ``receive`` returns the
frames already buffered and then raises ``anyio.EndOfStream``; ``send`` on a
closed link raises ``LocalMeshError`` saying why it closed.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import RNS

from .airtime import MESHTASTIC
from .errors import LinkClosed, LocalMeshError
from .transport import LinkState, LinkStatistics

APP = "caracol"
ASPECT = "sync"
MTU = 383  # RNS.Packet.ENCRYPTED_MDU: one encrypted packet
BUFFER = 1000  # frames held for a slow reader before new ones are dropped
PATH_RETRY_S = 1.0  # ask again for a path this often while none is known

_REASONS = {
    RNS.Link.TIMEOUT: "it timed out",
    RNS.Link.INITIATOR_CLOSED: "the initiator closed it",
    RNS.Link.DESTINATION_CLOSED: "the destination closed it",
}


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


def start(config_dir: Path) -> Any:
    """The process's one Reticulum instance (blocking: interfaces come up)."""
    return RNS.Reticulum(configdir=str(config_dir), loglevel=RNS.LOG_ERROR)


IDENTITY_BYTES = 64  # RNS.Identity.to_file: the X25519 and Ed25519 private keys


def load_identity(path: Path) -> Any:
    """A node's Reticulum identity, kept in ``path`` (made there on first
    use, mode 0600: it is the private key), so its destinations keep their
    hashes across restarts. The file is what ``rnid`` and
    ``RNS.Identity.to_file`` write; anything else is a ``LocalMeshError``
    naming the file."""
    try:
        if not path.exists():
            identity = RNS.Identity()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(identity.get_private_key())
            return identity
        data = path.read_bytes()
    except OSError as exc:
        raise LocalMeshError(f"{path}: {exc.strerror or exc}") from None
    identity = RNS.Identity(create_keys=False)
    if len(data) != IDENTITY_BYTES or not identity.load_private_key(data):
        raise LocalMeshError(
            f"{path} is not a Reticulum identity (a {IDENTITY_BYTES}-byte key "
            f"file, as rnid writes; this one has {len(data)} bytes)"
        )
    return identity


def sync_hash(identity: Any) -> bytes:
    """The hash of an identity's ``caracol.sync`` destination."""
    return bytes(RNS.Destination.hash_from_name_and_identity(f"{APP}.{ASPECT}", identity))


def wait_for_path(destination_hash: bytes, deadline: float) -> None:
    """Blocking: ask for a path (again every second) until RNS knows one."""
    asked = 0.0
    while not RNS.Transport.has_path(destination_hash):
        now = time.monotonic()
        if now > deadline:
            raise LocalMeshError(
                f"no path to the Reticulum destination {destination_hash.hex()} in time"
            )
        if now - asked >= PATH_RETRY_S:
            RNS.Transport.request_path(destination_hash)
            asked = now
        time.sleep(0.05)


class ReticulumTransport:
    """send(frame) / receive() over one established RNS Link.

    Build one with ``serve`` (the accepting side) or ``connect``; both attach
    the transport to the link inside RNS's establishment callback, so no
    frame can arrive before it is listened for.
    """

    mtu = MTU

    def __init__(self, link: Any, token: anyio.lowlevel.EventLoopToken) -> None:
        self.link = link
        self._token = token
        self._send, self._recv = anyio.create_memory_object_stream[bytes](BUFFER)
        self._lock = threading.Lock()
        self._closed_locally = False
        self._ended = False  # the peer closed or RNS timed the link out
        self.frames_sent = self.bytes_sent = 0
        self.frames_received = self.bytes_received = 0
        self.dropped = 0
        self.airtime_s = 0.0
        link.track_phy_stats(True)
        link.set_packet_callback(self._on_packet)
        link.set_link_closed_callback(self._on_closed)

    # --- RNS threads ------------------------------------------------------------

    def _on_packet(self, message: bytes, packet: Any) -> None:
        frame = bytes(message)
        if len(frame) > self.mtu or not self._to_loop(self._deliver, frame):
            with self._lock:  # oversize, the reader fell far behind, or the loop is gone
                self.dropped += 1

    def _deliver(self, frame: bytes) -> None:  # on the loop: counted as it becomes readable
        self._send.send_nowait(frame)
        with self._lock:
            self.frames_received += 1
            self.bytes_received += len(frame)

    def _on_closed(self, link: Any) -> None:
        self._ended = True
        self._to_loop(self._send.close)  # the reader drains, then sees EndOfStream

    def _to_loop(self, fn: Callable[..., None], *args: Any) -> bool:
        try:
            anyio.from_thread.run_sync(fn, *args, token=self._token)
        except (
            anyio.WouldBlock,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
            RuntimeError,  # the loop has finished
        ):
            return False
        return True

    # --- establishing -------------------------------------------------------------

    @classmethod
    async def serve(
        cls, identity: Any | None = None
    ) -> tuple[Any, Callable[..., Awaitable[ReticulumTransport]]]:
        """Offer ``caracol.sync`` and announce it; returns (destination, a
        function awaiting the next incoming link as a transport: each link a
        peer opens is handed out once, in the order they came up, so a
        listener can carry one link after another)."""
        identity = identity or RNS.Identity()
        dest = RNS.Destination(identity, RNS.Destination.IN, RNS.Destination.SINGLE, APP, ASPECT)
        token = anyio.lowlevel.current_token()
        arrivals: queue.SimpleQueue[ReticulumTransport] = queue.SimpleQueue()

        def established(link: Any) -> None:  # an RNS thread
            arrivals.put(cls(link, token))

        dest.set_link_established_callback(established)
        dest.announce()

        def next_link(timeout: float) -> ReticulumTransport | None:
            try:
                return arrivals.get(timeout=timeout)
            except queue.Empty:
                return None

        async def accept(timeout: float = 60.0) -> ReticulumTransport:
            transport = await anyio.to_thread.run_sync(next_link, timeout)
            if transport is None:
                raise LocalMeshError(f"no peer opened a Reticulum link within {timeout:g} s")
            return transport

        return dest, accept

    @classmethod
    async def connect(cls, destination_hash: bytes, *, timeout: float = 60.0) -> ReticulumTransport:
        """Find a path to a peer's ``caracol.sync`` and open a Link to it."""
        token = anyio.lowlevel.current_token()

        def blocking() -> ReticulumTransport:
            deadline = time.monotonic() + timeout
            wait_for_path(destination_hash, deadline)
            identity = RNS.Identity.recall(destination_hash)
            dest = RNS.Destination(
                identity, RNS.Destination.OUT, RNS.Destination.SINGLE, APP, ASPECT
            )
            ready = threading.Event()
            made: list[ReticulumTransport] = []

            def established(link: Any) -> None:  # an RNS thread
                made.append(cls(link, token))
                ready.set()

            link = RNS.Link(dest, established_callback=established)
            if not ready.wait(max(0.0, deadline - time.monotonic())):
                link.teardown()
                raise LocalMeshError(
                    f"the Reticulum link to {destination_hash.hex()} was not established "
                    f"within {timeout:g} s"
                )
            return made[0]

        return await anyio.to_thread.run_sync(blocking)

    # --- Transport ----------------------------------------------------------------

    def _closed_reason(self) -> str | None:
        if self._closed_locally:
            return "this side closed it"
        if self.link.status == RNS.Link.CLOSED or self._ended:
            return _REASONS.get(self.link.teardown_reason, "it closed")
        return None

    async def send(self, frame: bytes) -> None:
        if len(frame) > self.mtu:
            raise LocalMeshError(
                f"frame of {len(frame)} bytes exceeds one Reticulum packet ({self.mtu})"
            )
        reason = self._closed_reason()
        if reason is not None:
            raise LocalMeshError(f"cannot send on a closed Reticulum link: {reason}")
        sent = await anyio.to_thread.run_sync(lambda: RNS.Packet(self.link, frame).send())
        if sent is False:
            raise LocalMeshError(
                "Reticulum could not send the frame: "
                + (self._closed_reason() or "no interface took it")
            )
        with self._lock:
            self.frames_sent += 1
            self.bytes_sent += len(frame)
            self.airtime_s += self.airtime(len(frame))

    async def receive(self) -> bytes:
        """The next frame; ``LinkClosed`` (also ``anyio.EndOfStream``) once
        the link closed and the frames that arrived before are consumed."""
        try:
            return await self._recv.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            why = self._closed_reason() or "the link is closed"
            raise LinkClosed(f"Reticulum link ended: {why}") from None

    def airtime(self, nbytes: int) -> float:
        """On an RNode with Meshtastic-like LongFast settings (a TCP link costs nothing)."""
        return MESHTASTIC["LONG_FAST"].airtime(nbytes)

    def link_state(self) -> LinkState:
        """RNS's link status: ACTIVE is up, STALE (no traffic heard for the
        stale time; RNS tears it down soon) is degraded, anything else down."""
        if self._closed_locally or self._ended:
            return LinkState.DOWN
        status = self.link.status
        if status == RNS.Link.ACTIVE:
            return LinkState.UP
        if status == RNS.Link.STALE:
            return LinkState.DEGRADED
        return LinkState.DOWN

    def statistics(self) -> LinkStatistics:
        with self._lock:
            return LinkStatistics(
                frames_sent=self.frames_sent,
                frames_received=self.frames_received,
                bytes_sent=self.bytes_sent,
                bytes_received=self.bytes_received,
                airtime_s=self.airtime_s,
                dropped=self.dropped,
                rssi_dbm=self.link.get_rssi(),  # None on TCP: no radio to report it
                snr_db=self.link.get_snr(),
            )

    async def aclose(self) -> None:
        if self._closed_locally:
            return
        self._closed_locally = True
        await anyio.to_thread.run_sync(self.link.teardown)
        await self._send.aclose()
        await self._recv.aclose()
