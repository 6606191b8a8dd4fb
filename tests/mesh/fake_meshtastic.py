"""A fake Meshtastic device on 127.0.0.1 speaking the library's real stream
protocol: frames of 0x94 0xC3, a 2-byte big-endian length and a protobuf
(``ToRadio`` from the client, ``FromRadio`` to it). It answers the config
handshake (my_info, our node_info, the LoRa config, config_complete_id) and
relays every data packet a client sends to the other connected clients, as
radios on one channel would, with the signal report a receiving radio adds
(``rx_snr``, ``rx_rssi``). Clients connect over TCP (``start``) or, as to a
radio on USB, through a pseudo-terminal (``attach_serial``). Not a mock of our adapter: the ``meshtastic`` library talks
to it exactly as to a device.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import socketserver
import threading
import tty
from dataclasses import dataclass, field
from typing import Protocol

from meshtastic.protobuf import config_pb2, mesh_pb2

START1, START2 = 0x94, 0xC3


def frame(msg: mesh_pb2.FromRadio) -> bytes:
    data: bytes = msg.SerializeToString()
    return bytes([START1, START2, len(data) >> 8, len(data) & 0xFF]) + data


class Port(Protocol):
    def recv(self, n: int, /) -> bytes: ...

    def sendall(self, data: bytes, /) -> None: ...


class PtyPort:
    """The device's end of a pseudo-terminal: the library opens ``path``
    with pyserial as it opens /dev/ttyUSB0."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.closed = threading.Event()

    def recv(self, n: int, /) -> bytes:
        while not self.closed.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    return os.read(self.master, n)
                except OSError:
                    return b""
        return b""

    def sendall(self, data: bytes, /) -> None:
        view = memoryview(data)
        while view and not self.closed.is_set():
            view = view[os.write(self.master, view) :]

    def close(self) -> None:
        self.closed.set()
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class FakeDevice:
    nodes: dict[int, Port] = field(default_factory=dict)
    ptys: list[PtyPort] = field(default_factory=list)
    received: list[mesh_pb2.MeshPacket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_node: int = 0x0A0B0C01
    rx_snr: float = 6.25  # what the "receiving radio" reports on each relayed packet
    rx_rssi: int = -91
    lora: config_pb2.Config.LoRaConfig = field(
        default_factory=lambda: config_pb2.Config.LoRaConfig(
            use_preset=True,
            modem_preset=config_pb2.Config.LoRaConfig.ModemPreset.LONG_FAST,
            region=config_pb2.Config.LoRaConfig.RegionCode.EU_868,
        )
    )

    def start(self) -> int:
        device = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                device.serve(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return int(self.server.server_address[1])

    def attach_serial(self) -> str:
        """A client on a serial line; returns the device path to open."""
        port = PtyPort()
        self.ptys.append(port)
        threading.Thread(target=self.serve, args=(port,), daemon=True).start()
        return port.path

    def stop(self) -> None:
        """Stop accepting connections (idempotent); connected clients stay."""
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        if hasattr(self, "server"):
            self.server.shutdown()
            self.server.server_close()

    def close_serial(self) -> None:
        for port in self.ptys:
            port.close()

    def disconnect_all(self) -> None:
        """Drop every connected client, as a device that reboots does."""
        with self.lock:
            socks = list(self.nodes.values())
        for sock in socks:
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def serve(self, sock: Port) -> None:
        with self.lock:
            me = self.next_node
            self.next_node += 1
            self.nodes[me] = sock
        buf = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                buf += chunk
                while True:
                    start = buf.find(bytes([START1, START2]))
                    if start < 0:
                        buf = buf[-1:]
                        break
                    buf = buf[start:]
                    if len(buf) < 4:
                        break
                    n = (buf[2] << 8) | buf[3]
                    if len(buf) < 4 + n:
                        break
                    payload, buf = buf[4 : 4 + n], buf[4 + n :]
                    msg = mesh_pb2.ToRadio()
                    msg.ParseFromString(payload)
                    self.on_to_radio(me, sock, msg)
        except OSError:
            return
        finally:
            with self.lock:
                self.nodes.pop(me, None)

    def on_to_radio(self, me: int, sock: Port, msg: mesh_pb2.ToRadio) -> None:
        if msg.HasField("want_config_id"):
            info = mesh_pb2.FromRadio(my_info=mesh_pb2.MyNodeInfo(my_node_num=me))
            node = mesh_pb2.FromRadio(
                node_info=mesh_pb2.NodeInfo(
                    num=me, user=mesh_pb2.User(id=f"!{me:08x}", long_name=f"fake {me:x}")
                )
            )
            lora = mesh_pb2.FromRadio(config=config_pb2.Config(lora=self.lora))
            done = mesh_pb2.FromRadio(config_complete_id=msg.want_config_id)
            sock.sendall(frame(info) + frame(node) + frame(lora) + frame(done))
        elif msg.HasField("packet"):
            packet = mesh_pb2.MeshPacket()
            packet.CopyFrom(msg.packet)
            setattr(packet, "from", me)
            self.received.append(packet)
            packet.rx_snr = self.rx_snr
            packet.rx_rssi = self.rx_rssi
            out = frame(mesh_pb2.FromRadio(packet=packet))
            with self.lock:
                others = [s for n, s in self.nodes.items() if n != me]
            for other in others:
                with contextlib.suppress(OSError):
                    other.sendall(out)
