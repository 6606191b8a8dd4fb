"""Fuzz targets of the mesh transports: what comes off the air, a TNC, a USB
stick, a scanned notice board or an LXMF propagation node.

The frame codec, bundles, bulletins and LXMF deposits may raise the mesh
package's remote errors; a radio link's ``receive`` and a KISS decoder's
``feed`` raise nothing ("never raises for bad input": they drop and record).
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from crdt.log import Log
from crdt.sim import seed_for
from mesh import frames, kiss
from mesh.airtime import MESHTASTIC
from mesh.dutycycle import Budget, Priority, sub_band
from mesh.errors import RemoteMeshError
from mesh.radio_link import RadioLink
from protocol import canonical, envelope, kinds
from protocol.envelope import Envelope
from protocol.errors import BadBulletinCode, BadBundle, ProtocolError
from protocol.sneakernet import Bundle, _digest, messages_from_payloads

from .target import Target, once, pack_frames, unpack_frames, vectors

# --- the frame codec --------------------------------------------------------------------------


def _hexes(text: Any) -> list[bytes]:
    return [bytes.fromhex(h) for h in text]


@once
def _receiver() -> frames.Context:
    """The abbreviation vectors' receiver: their roster, the ids it holds."""
    r = vectors("frames")["abbreviation"][0]["receiver"]
    held = _hexes(r["held"])
    body = held[0]
    return frames.Context(body, _hexes(r["roster"]), lambda p: [m for m in held if m.startswith(p)])


def _frame_seeds() -> list[bytes]:
    v = vectors("frames")
    out = [bytes.fromhex(t["frame"]) for t in v["valid"] + v["abbreviation"] + v["invalid"]]
    for t in v["fragmentation"]:
        out.extend(bytes.fromhex(f) for f in t.get("fragments", []))
    return out


def _frames(data: bytes) -> None:
    try:
        frame = frames.decode_untrusted(data)
    except RemoteMeshError:
        return
    assert frames.decode_untrusted(frames.encode(frame)) == frame, "a frame does not round-trip"
    if isinstance(frame, frames.Msg) and frame.abbreviated:
        with contextlib.suppress(RemoteMeshError):
            frames.expand_untrusted(frame.body, _receiver())
    elif isinstance(frame, frames.Frag):
        frames.Reassembler().receive(frame, 0.0)


# --- a radio link: frames from another station, in order -----------------------------------

_SEEDS = [seed_for(f"radio fuzz {i}") for i in range(6)]
_PARAMS = MESHTASTIC["LONG_FAST"]


class _Air:
    """What the link asks of a Transport outside its anyio driver."""

    mtu = 233

    def airtime(self, nbytes: int) -> float:
        return _PARAMS.airtime(nbytes)


@once
def _radio_world() -> tuple[list[Envelope], list[Envelope], list[Envelope]]:
    """(common, only a's, only b's): two stations' logs that differ both ways."""
    from crdt.sim import make_genesis

    genesis = make_genesis(_SEEDS)
    proposal = envelope.sign(
        _SEEDS[0],
        genesis.body,
        kinds.Proposal("A well", "Dig it.", "", None, None),
        parents=[genesis.id],
        seq=2,
        time=1_790_000_000,
    )

    def vote(i: int) -> Envelope:
        return envelope.sign(
            _SEEDS[i % len(_SEEDS)],
            genesis.body,
            kinds.Vote(proposal.id, kinds.Choice.FOR if i % 2 else kinds.Choice.AGAINST),
            parents=[proposal.id],
            seq=3 + i,
            time=1_790_000_100 + i,
        )

    return [genesis, proposal, vote(0), vote(1)], [vote(i) for i in range(2, 8)], [vote(8)]


def _station(name: str, envs: list[Envelope]) -> tuple[RadioLink, Log]:
    log = Log(envs[0].body)
    for env in envs:
        log.add(env)
    genesis = envs[0]
    link = RadioLink(
        _Air(),  # type: ignore[arg-type]
        Budget(sub_band("EU868", 869.525)),
        clock=lambda: 0.0,
        rng=random.Random(name),
        first_contact_delay=0.0,
    )
    link.add_context(
        frames.Context(
            genesis.body,
            sorted(genesis.payload.founders),  # type: ignore[attr-defined]
            lambda p: [m for m in log.ids() if m.startswith(p)],
            ids=log.ids,
            raw_of=lambda m: log.get(m).raw if m in log else None,
        )
    )

    def deliver(env: Envelope) -> None:
        with contextlib.suppress(Exception):  # the log's own refusals are not the link's
            log.add(env)

    link.on_message = deliver
    link.on_object = lambda body, what, data: None
    return link, log


def _radio_seeds() -> list[bytes]:
    """What station a sends station b while they reconcile (and a few
    objects), cut into runs of frames."""
    common, only_a, only_b = _radio_world()
    a, _ = _station("a", common + only_a)
    b, lb = _station("b", common + only_b)
    heard: list[bytes] = []
    now = 0.0
    a.handle_timer(now)
    b.handle_timer(now)
    a.announce(now=now)
    a.send_message(only_a[0], Priority.VOTE, now)
    for _ in range(4000):
        for link, other in ((a, b), (b, a)):
            link.handle_timer(now)
            for data in link.frames_to_send(now):
                if link is a:
                    heard.append(data)
                other.receive(data, now)
        if len(set(lb.ids())) == len(common) + len(only_a) + len(only_b) or len(heard) > 200:
            break
        timers = [t for t in (a.next_timer(), b.next_timer()) if t is not None]
        now = max(now + 0.01, min(timers))
    out = [pack_frames(heard[i : i + 6]) for i in range(0, len(heard), 3)]
    out.extend(pack_frames([f]) for f in _frame_seeds()[:40])
    return out


def _radio(data: bytes) -> None:
    """Frames heard by station b, with time passing between them: b's
    ``receive``, ``handle_timer`` and ``frames_to_send`` raise nothing."""
    common, _, only_b = _radio_world()
    b, _ = _station("b", common + only_b)
    now = 0.0
    b.handle_timer(now)
    for frame in unpack_frames(data):
        b.receive(frame, now)
        now += 7.0
        b.handle_timer(now)
        b.frames_to_send(now)
    now += 3600.0
    b.handle_timer(now)
    b.frames_to_send(now)
    b.statistics(now)


# --- KISS ----------------------------------------------------------------------------------------


def _kiss_seeds() -> list[bytes]:
    fs = [kiss.encode(f) for f in _frame_seeds()[:30]]
    return [pack_frames(fs[i : i + 3]) for i in range(0, len(fs), 3)] + [
        pack_frames([b"".join(fs)[i : i + 17] for i in range(0, 200, 17)])
    ]


def _kiss(data: bytes) -> None:
    """Chunks off a serial line: the decoder drops what is bad, and what it
    yields goes to the frame codec (RemoteMeshError allowed there)."""
    decoder = kiss.KissDecoder(max_frame=512)
    for chunk in unpack_frames(data):
        for frame in decoder.feed(chunk):
            with contextlib.suppress(RemoteMeshError):
                frames.decode_untrusted(frame.data)


# --- sneakernet bundles, printed bulletins, LXMF deposits -------------------------------------


def _bundle_seeds() -> list[bytes]:
    return [bytes.fromhex(b["bundle"]) for b in vectors("sneakernet")["bundles"]]


def _bundle_fixup(data: bytes) -> bytes:
    """Reseal a mutated bundle's digest, so the fields behind it are parsed."""
    with contextlib.suppress(ProtocolError):
        v = canonical.decode(data, max_bytes=1 << 24)
        if (
            type(v) is tuple
            and len(v) == 6
            and type(v[2]) is bytes
            and type(v[4]) is tuple
            and all(type(m) is bytes for m in v[4])
        ):
            return canonical.encode((*v[:5], _digest(v[2], v[4])))
    return data


def _bundle(data: bytes) -> None:
    with contextlib.suppress(BadBundle):
        Bundle.decode_untrusted(data)


def _bulletin_seeds() -> list[bytes]:
    out = []
    for case in vectors("sneakernet")["bulletin_codes"]:
        out.append(pack_frames(_hexes(case["payloads"])))
    return out


def _bulletin(data: bytes) -> None:
    """A scan's QR payloads (each frame one code)."""
    with contextlib.suppress(BadBulletinCode):
        body, raws, _problems = messages_from_payloads(unpack_frames(data))
        for raw in raws:
            with contextlib.suppress(ProtocolError):
                envelope.decode_untrusted(raw, body)


@once
def _lxmf() -> Any:
    import LXMF

    from mesh import lxmf_relay

    return LXMF, lxmf_relay


def _lxmf_seeds() -> list[bytes]:
    lxmf, relay = _lxmf()
    return [
        canonical.encode({lxmf.FIELD_CUSTOM_TYPE: relay.CUSTOM_TYPE, lxmf.FIELD_CUSTOM_DATA: b})
        for b in _bundle_seeds()[:4]
    ]


def _lxmf_fixup(data: bytes) -> bytes:
    lxmf, _ = _lxmf()
    with contextlib.suppress(ProtocolError):
        v = canonical.decode(data, max_bytes=1 << 24)
        if type(v) is dict and type(v.get(lxmf.FIELD_CUSTOM_DATA)) is bytes:
            v[lxmf.FIELD_CUSTOM_DATA] = _bundle_fixup(v[lxmf.FIELD_CUSTOM_DATA])
            return canonical.encode(v)
    return data


def _lxmf_deposit(data: bytes) -> None:
    """A delivered LXMF message's fields (msgpack, as LXMF unpacks them)
    collected into the log of the vectors' body."""
    import msgpack

    _, relay = _lxmf()
    try:
        fields = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return  # not msgpack: LXMF itself would not have delivered it
    try:
        deposit = relay.deposit_untrusted(fields)
        relay.apply_untrusted(deposit, Log(_bundle_body()))
    except RemoteMeshError:
        return


@once
def _bundle_body() -> bytes:
    return Bundle.decode_untrusted(_bundle_seeds()[0]).body


# --- Meshtastic: the packets a device publishes, its LoRa settings ----------------------------


class _Device:
    """A Meshtastic interface as the adapter sees one (no LoRa config: the
    radio settings are their own target)."""

    localNode = None  # noqa: N815 (the library's name)

    def close(self) -> None:
        pass


class _Meshtastic:
    """A real ``MeshtasticTransport``, its event loop on a thread of its own
    (as the library's publishing thread calls ``_on_receive`` from outside it)."""

    def __init__(self) -> None:
        import threading

        import anyio

        from mesh.meshtastic_adapter import MeshtasticTransport

        ready = threading.Event()
        self.device = _Device()

        async def main() -> None:
            self.stop = anyio.Event()
            self.transport = MeshtasticTransport(self.device)
            ready.set()
            await self.stop.wait()
            await self.transport.aclose()

        self.thread = threading.Thread(target=anyio.run, args=(main,), daemon=True)
        self.thread.start()
        ready.wait(30)
        self.token = self.transport._token

    def close(self) -> None:
        import anyio.from_thread

        anyio.from_thread.run_sync(self.stop.set, token=self.token)
        self.thread.join(30)


@once
def _meshtastic() -> _Meshtastic:
    return _Meshtastic()


def _packet_seeds() -> list[bytes]:
    from meshtastic.protobuf import mesh_pb2, portnums_pb2

    out = []
    for i, frame in enumerate(_frame_seeds()[:30]):
        p = mesh_pb2.MeshPacket()
        setattr(p, "from", 0x1234 + i)
        p.to = 0xFFFFFFFF
        p.decoded.portnum = portnums_pb2.PortNum.PRIVATE_APP
        p.decoded.payload = frame
        p.rx_rssi = -90 - i
        p.rx_snr = 5.5
        out.append(p.SerializeToString())
    return out


def _packet(data: bytes) -> None:
    """A MeshPacket off the device, turned into the dict the library
    publishes (as mesh_interface._handlePacketFromRadio does), through the
    adapter's ``_on_receive`` and on to the frame codec."""
    import google.protobuf.json_format
    import google.protobuf.message
    from meshtastic.protobuf import mesh_pb2

    packet = mesh_pb2.MeshPacket()
    try:
        packet.ParseFromString(data)
    except google.protobuf.message.DecodeError:
        return  # the library drops what does not parse
    as_dict = google.protobuf.json_format.MessageToDict(packet)
    if "decoded" in as_dict:
        as_dict["decoded"]["payload"] = packet.decoded.payload
        as_dict["decoded"].setdefault("portnum", "UNKNOWN_APP")
    m = _meshtastic()
    m.transport._on_receive(as_dict, m.device)
    m.transport._on_receive(as_dict, object())  # another device's packet: ignored
    while True:
        try:
            frame = m.transport._recv.receive_nowait()
        except Exception:  # WouldBlock: drained
            break
        with contextlib.suppress(RemoteMeshError):
            frames.decode_untrusted(frame)
    m.transport.statistics()
    m.transport.link_state()


def _lora_seeds() -> list[bytes]:
    from meshtastic.protobuf import config_pb2

    lora_config = config_pb2.Config.LoRaConfig  # the message class
    out = []
    for preset in lora_config.ModemPreset.values():
        out.append(lora_config(use_preset=True, modem_preset=preset, region=3).SerializeToString())
    for sf, bw, cr in ((7, 125, 5), (12, 31, 8), (9, 62, 6), (11, 250, 7)):
        lora = lora_config(use_preset=False, spread_factor=sf, bandwidth=bw, coding_rate=cr)
        out.append(lora.SerializeToString())
    return out


def _lora(data: bytes) -> None:
    """A device's LoRa settings (its Config.LoRaConfig): airtime parameters,
    or LONG_FAST with the reason, never an exception."""
    import google.protobuf.message
    from meshtastic.protobuf import config_pb2

    from mesh.meshtastic_adapter import params_of

    lora = config_pb2.Config.LoRaConfig()
    try:
        lora.ParseFromString(data)
    except google.protobuf.message.DecodeError:
        return
    params, _ = params_of(lora)
    params.airtime(200)


TARGETS = [
    Target("frames", _frames, _frame_seeds, "mesh.frames.decode_untrusted/expand_untrusted"),
    Target("radio_link", _radio, _radio_seeds, "mesh.radio_link RadioLink.receive and timers"),
    Target("kiss", _kiss, _kiss_seeds, "mesh.kiss KissDecoder.feed, then the frame codec"),
    Target(
        "bundle",
        _bundle,
        _bundle_seeds,
        "protocol.sneakernet Bundle.decode_untrusted: a sneakernet file",
        fixup=_bundle_fixup,
    ),
    Target(
        "bulletin",
        _bulletin,
        _bulletin_seeds,
        "protocol.sneakernet.messages_from_payloads: scanned QR codes",
    ),
    Target(
        "lxmf_deposit",
        _lxmf_deposit,
        _lxmf_seeds,
        "mesh.lxmf_relay deposit_untrusted/apply_untrusted: an LXMF message's fields",
        fixup=_lxmf_fixup,
    ),
    Target(
        "meshtastic_packet",
        _packet,
        _packet_seeds,
        "mesh.meshtastic_adapter _on_receive: a packet the device publishes",
        shape="bytes",
    ),
    Target(
        "meshtastic_lora",
        _lora,
        _lora_seeds,
        "mesh.meshtastic_adapter.params_of: a device's LoRa settings",
        shape="bytes",
    ),
]
