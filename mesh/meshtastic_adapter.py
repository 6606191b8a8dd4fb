"""A Transport over a Meshtastic radio, through the ``meshtastic`` library.

Caracol frames travel as Meshtastic data packets on the private application
port (``PortNum.PRIVATE_APP``, 256), broadcast on the primary channel; each
is at most ``DATA_PAYLOAD_LEN`` (233) bytes, which the frame codec respects.
The library is thread-based (a reader thread, a publishing thread, pubsub
callbacks): received packets are handed to the event loop through anyio's
thread portal, and blocking library calls run in worker threads, so the
node's loop never blocks on the radio.

Link state follows the library: it publishes
``meshtastic.connection.established`` / ``meshtastic.connection.lost`` and
keeps ``isConnected``; the TCP interface reconnects by itself after a drop.
Time on air is computed from the device's LoRa settings (its modem preset,
or its explicit SF/BW/CR), read once the config handshake is done; RSSI and
SNR are those the device reports for the last Caracol packet it heard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from meshtastic.protobuf import config_pb2, mesh_pb2, portnums_pb2
from pubsub import pub

from .airtime import MESHTASTIC, LoRaParams
from .errors import LinkClosed, LocalMeshError
from .transport import LinkState, LinkStatistics

DATA_PAYLOAD_LEN = mesh_pb2.Constants.DATA_PAYLOAD_LEN  # 233
PORT = portnums_pb2.PortNum.PRIVATE_APP
TEXT_BYTES = 228
"""The most text one Meshtastic packet carries."""
TCP_PORT = 4403  # the device's TCP API

# The firmware's modem presets (src/mesh/RadioInterface.cpp): SF, BW, CR 4/(4+cr).
PRESETS: dict[str, LoRaParams] = {
    "SHORT_TURBO": LoRaParams(sf=7, bw_hz=500_000, cr=1),
    "SHORT_FAST": LoRaParams(sf=7, bw_hz=250_000, cr=1),
    "SHORT_SLOW": LoRaParams(sf=8, bw_hz=250_000, cr=1),
    "MEDIUM_FAST": LoRaParams(sf=9, bw_hz=250_000, cr=1),
    "MEDIUM_SLOW": LoRaParams(sf=10, bw_hz=250_000, cr=1),
    "LONG_FAST": MESHTASTIC["LONG_FAST"],
    "LONG_MODERATE": LoRaParams(sf=11, bw_hz=125_000, cr=4),
    "LONG_SLOW": MESHTASTIC["LONG_SLOW"],
    "VERY_LONG_SLOW": LoRaParams(sf=12, bw_hz=62_500, cr=4),
}
_SPECIAL_BW = {31: 31_250, 62: 62_500, 125: 125_000, 250: 250_000, 500: 500_000}


def params_of(lora: Any) -> tuple[LoRaParams, str]:
    """(airtime parameters, a description) of a device's ``Config.LoRaConfig``.

    The preset when ``use_preset`` is set, else the explicit spreading
    factor, bandwidth (kHz; 31 and 62 mean 31.25 and 62.5) and coding rate
    denominator (5..8). A preset this table does not know is figured as
    LONG_FAST, the firmware's default, and the description says so."""
    presets = config_pb2.Config.LoRaConfig.ModemPreset
    if lora is None:
        return MESHTASTIC["LONG_FAST"], "LONG_FAST (assumed: the device sent no LoRa config)"
    if not lora.use_preset and lora.spread_factor and lora.bandwidth and lora.coding_rate:
        try:
            p = LoRaParams(
                sf=lora.spread_factor,
                bw_hz=_SPECIAL_BW.get(lora.bandwidth, lora.bandwidth * 1000),
                cr=lora.coding_rate - 4,
            )
        except LocalMeshError as exc:
            return MESHTASTIC["LONG_FAST"], f"LONG_FAST (assumed: the device's settings: {exc})"
        return p, f"SF{p.sf} BW{p.bw_hz / 1000:g} CR4/{p.cr + 4}"
    try:
        name = presets.Name(lora.modem_preset)
    except ValueError:  # a preset of newer firmware than this meshtastic library knows
        return (
            MESHTASTIC["LONG_FAST"],
            f"LONG_FAST (assumed: preset number {lora.modem_preset} is unknown "
            "to this meshtastic library)",
        )
    if name in PRESETS:
        return PRESETS[name], name
    return MESHTASTIC["LONG_FAST"], f"LONG_FAST (assumed: preset {name} is not in Caracol's table)"


class MeshtasticTransport:
    """send(frame) / receive() through a Meshtastic device (TCP or serial)."""

    mtu = DATA_PAYLOAD_LEN

    def __init__(
        self, interface: Any, params: LoRaParams | None = None, *, name: str = "Meshtastic device"
    ) -> None:
        self.interface = interface
        self.name = name
        node = getattr(interface, "localNode", None)
        lora = getattr(getattr(node, "localConfig", None), "lora", None)
        if params is not None:
            self.params, self.radio_settings = params, "given"
        else:
            self.params, self.radio_settings = params_of(lora)
        # the device's regulatory region (EU_868, US, ...), None when unset or unknown
        regions = config_pb2.Config.LoRaConfig.RegionCode
        code = getattr(lora, "region", 0)
        self.device_region: str | None = regions.Name(code) if code in regions.values() else None
        if self.device_region == "UNSET":
            self.device_region = None
        self._send, self._recv = anyio.create_memory_object_stream[bytes](1000)
        self._token = anyio.lowlevel.current_token()
        self._lock = threading.Lock()  # counters are updated on the library's threads
        self._closed = False
        self._connected = bool(getattr(interface, "isConnected", threading.Event()).is_set())
        self.dropped = 0
        self._sent = self._received = self._bytes_sent = self._bytes_received = 0
        self._airtime = 0.0
        self._rssi: float | None = None
        self._snr: float | None = None
        # pubsub keeps weak references: hold the bound methods.
        self._listeners: dict[str, Callable[..., None]] = {
            "meshtastic.receive": self._on_receive,
            "meshtastic.connection.established": self._on_established,
            "meshtastic.connection.lost": self._on_lost,
        }
        for topic, listener in self._listeners.items():
            pub.subscribe(listener, topic)

    @classmethod
    async def connect_tcp(
        cls, host: str, port: int = TCP_PORT, *, timeout: int = 20
    ) -> MeshtasticTransport:
        """Connect to a device's TCP API (the library waits for its config)."""
        from meshtastic.tcp_interface import TCPInterface

        where = f"{host}:{port}"

        def blocking() -> Any:
            try:
                return TCPInterface(host, portNumber=port, noNodes=True, timeout=timeout)
            except Exception as exc:  # the library raises OSError or its own errors
                raise LocalMeshError(
                    f"cannot reach the Meshtastic device at {where}: {exc or type(exc).__name__}"
                ) from None

        return cls(await anyio.to_thread.run_sync(blocking), name=f"Meshtastic device at {where}")

    @classmethod
    async def connect_serial(cls, device: str, *, timeout: int = 20) -> MeshtasticTransport:
        """Connect to a device on a serial port (USB)."""
        from meshtastic.serial_interface import SerialInterface

        def blocking() -> Any:
            try:
                return SerialInterface(device, noNodes=True, timeout=timeout)
            except Exception as exc:
                raise LocalMeshError(
                    f"cannot reach the Meshtastic device on {device}: {exc or type(exc).__name__}"
                ) from None

        return cls(await anyio.to_thread.run_sync(blocking), name=f"Meshtastic device on {device}")

    # --- the library's threads ------------------------------------------------------

    def _on_established(self, interface: Any) -> None:
        if interface is self.interface:
            self._connected = True

    def _on_lost(self, interface: Any) -> None:
        if interface is self.interface:
            self._connected = False

    def _on_receive(self, packet: dict[str, Any], interface: Any) -> None:
        """Called on the library's publishing thread."""
        if interface is not self.interface or self._closed:
            return
        decoded = packet.get("decoded") or {}
        if decoded.get("portnum") not in ("PRIVATE_APP", PORT):
            return
        payload = decoded.get("payload", b"")
        if not isinstance(payload, (bytes, bytearray)) or len(payload) > DATA_PAYLOAD_LEN:
            with self._lock:
                self.dropped += 1
            return
        with self._lock:  # before the frame reaches the loop, so a reader sees its counts
            self._received += 1
            self._bytes_received += len(payload)
            # proto3 leaves zero values out of the dict: a missing field is "not reported"
            if "rxRssi" in packet:
                self._rssi = float(packet["rxRssi"])
            if "rxSnr" in packet:
                self._snr = float(packet["rxSnr"])
        try:
            anyio.from_thread.run_sync(self._send.send_nowait, bytes(payload), token=self._token)
        except (
            anyio.WouldBlock,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
            RuntimeError,
        ):
            with self._lock:  # the loop is closing, or the reader fell far behind
                self._received -= 1
                self._bytes_received -= len(payload)
                self.dropped += 1

    # --- Transport ------------------------------------------------------------------

    async def send(self, frame: bytes) -> None:
        if len(frame) > self.mtu:
            raise LocalMeshError(f"frame of {len(frame)} bytes exceeds Meshtastic's {self.mtu}")
        await self._put("frame", len(frame), lambda: self.interface.sendData(frame, portNum=PORT))

    async def send_text(self, text: str) -> None:
        """A plain text message on the primary channel (TEXT_MESSAGE_APP), as
        any Meshtastic device shows it: the daily digest (spec/mesh.md)."""
        size = len(text.encode())
        if size > TEXT_BYTES:
            raise LocalMeshError(f"a text of {size} bytes exceeds {TEXT_BYTES}")
        await self._put("text", size, lambda: self.interface.sendText(text))

    async def _put(self, what: str, size: int, call: Callable[[], Any]) -> None:
        """Hand one packet to the library (on a thread) and count it."""
        if self._closed:
            raise LocalMeshError(f"the {self.name} link is closed; cannot send")
        try:
            await anyio.to_thread.run_sync(call)
        except Exception as exc:  # OSError, or the library's MeshInterfaceError
            raise LocalMeshError(
                f"the {self.name} refused the {what}: {exc or type(exc).__name__}"
            ) from None
        with self._lock:
            self._sent += 1
            self._bytes_sent += size
            self._airtime += self.airtime(size)

    async def receive(self) -> bytes:
        try:
            return await self._recv.receive()
        except (anyio.ClosedResourceError, anyio.EndOfStream):
            raise LinkClosed(f"the {self.name} link is closed; cannot receive") from None

    def airtime(self, nbytes: int) -> float:
        return self.params.airtime(nbytes)

    def link_state(self) -> LinkState:
        if self._closed:
            return LinkState.DOWN
        connected = getattr(self.interface, "isConnected", None)
        up = connected.is_set() if connected is not None else self._connected
        return LinkState.UP if up else LinkState.DOWN

    def statistics(self) -> LinkStatistics:
        with self._lock:
            return LinkStatistics(
                frames_sent=self._sent,
                frames_received=self._received,
                bytes_sent=self._bytes_sent,
                bytes_received=self._bytes_received,
                airtime_s=self._airtime,
                dropped=self.dropped,
                rssi_dbm=self._rssi,
                snr_db=self._snr,
            )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for topic, listener in self._listeners.items():
            pub.unsubscribe(listener, topic)
        await anyio.to_thread.run_sync(self.interface.close)
        await self._send.aclose()
        await self._recv.aclose()
