"""How ``caracol mesh bridge`` is configured: its flags checked into a
``BridgeConfig`` (one clear ``BridgeError`` naming the flag for anything
wrong), the radio it opens, and the bridge's Reticulum identity file.
``mesh/bridge.py`` runs the bridge itself."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from node.extras import need
from protocol.kinds import Kind

from .dutycycle import Priority, sub_band
from .errors import LocalMeshError, MeshError
from .transport import Transport

STATUS_PORT = 8471
MESHTASTIC_PORT = 4403
PAGE = 5000  # the node's largest page of messages
BATCH = 64  # messages heard on the radio, submitted per request
MAX_PENDING = 10_000  # heard but not yet submitted; the oldest are dropped beyond
LAST_DROPS = 20
# Reticulum with LXMF store and forward (see Bridge.peer_links and Bridge.collect_loop)
COLLECT_EVERY = 600.0  # ask the propagation node for deposits this often
DEPOSIT_EVERY = 600.0  # at most one deposit for the peer this often while it is unreachable
LINK_TIMEOUT = 60.0  # how long one attempt at a live link to the peer may take
RETRY_FIRST, RETRY_MAX = 5.0, 300.0  # back-off between attempts at a live link
LXMF_TIMEOUT = 120.0  # one deposit or collection

PRIORITY = {
    Kind.VERDICT: Priority.VERDICT,
    Kind.RECALL_VOTE: Priority.RECALL,
    Kind.VOTE: Priority.VOTE,
    Kind.AMENDMENT_VOTE: Priority.VOTE,
    Kind.CLOSE: Priority.CLOSE,
}
ROSTER_KINDS = {Kind.GENESIS, Kind.ADMIT, Kind.LEAVE, Kind.ROTATE_KEY}
RADIO_FLAGS = {
    "kiss": "--kiss",
    "kiss_serial": "--kiss-serial",
    "meshtastic": "--meshtastic",
    "meshtastic_serial": "--meshtastic-serial",
    "reticulum": "--reticulum",
}


class BridgeError(LocalMeshError):
    """The bridge cannot run as configured (bad flags, node or radio unreachable)."""

    code = "bridge_error"


# --- configuration ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Radio:
    kind: str  # kiss | kiss-serial | meshtastic | meshtastic-serial | reticulum
    address: str  # as an operator reads it
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = 9600
    config_dir: str = ""
    peer: bytes | None = None  # Reticulum: the destination to open a link to; None: listen
    identity: str = ""  # Reticulum: the identity file (created on first use)
    peer_key: bytes | None = None  # Reticulum: the peer's identity public key (64 bytes)
    propagation_node: bytes | None = None  # LXMF: store and forward through this node
    collect_every: float = COLLECT_EVERY
    deposit_every: float = DEPOSIT_EVERY
    link_timeout: float = LINK_TIMEOUT


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    node: str
    body: bytes
    radio: Radio
    region: str = "EU868"
    mhz: float = 869.525
    status_port: int = STATUS_PORT
    seconds: float = 0.0  # stop after this long; 0: run until interrupted
    report_every: float = 30.0
    down_limit: float = (
        120.0  # a radio link DOWN this long ends the bridge (a supervisor restarts it)
    )
    digest_every: float = 86400.0  # the daily digest as text messages (0: none); spec/mesh.md


def host_port(text: str, flag: str, default_port: int | None = None) -> tuple[str, int]:
    """``HOST:PORT`` (or ``[v6]:PORT``; ``HOST`` alone with a default port)."""
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise BridgeError(f"{flag} {text!r}: an IPv6 address needs a closing ']'")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise BridgeError(f"{flag} {text!r}: expected ':PORT' after ']'")
        port_text = rest[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise BridgeError(f"{flag} {text!r}: {host!r} is not an IPv6 address") from None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" in text:
        raise BridgeError(f"{flag} {text!r}: write an IPv6 address as [ADDRESS]:PORT")
    if not host:
        raise BridgeError(f"{flag} {text!r}: the host is missing (HOST:PORT)")
    if not port_text:
        if default_port is None:
            raise BridgeError(f"{flag} {text!r}: the port is missing (HOST:PORT)")
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise BridgeError(f"{flag} {text!r}: the port must be a number 1..65535")
    return host, int(port_text)


def _number(text: Any, flag: str, kind: type[int] | type[float], low: float, high: float) -> Any:
    try:
        value = kind(text)
    except (TypeError, ValueError):
        raise BridgeError(f"{flag} {text!r} is not a number") from None
    if not low <= value <= high:
        raise BridgeError(f"{flag} {text!r} must be between {low:g} and {high:g}")
    return value


def _hex(text: str, flag: str, nbytes: int, what: str) -> bytes:
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        raise BridgeError(f"{flag} {text!r} is not hex ({what}: {2 * nbytes} hex digits)") from None
    if len(value) != nbytes:
        raise BridgeError(
            f"{flag} {text!r} has {2 * len(value)} hex digits; {what} has {2 * nbytes}"
        )
    return value


# the libraries of the mesh extra each radio needs (pyproject.toml)
RADIO_LIBRARIES: dict[str, tuple[str, ...]] = {
    "kiss": (),
    "kiss_serial": ("serial",),
    "meshtastic": ("meshtastic", "google.protobuf"),
    "meshtastic_serial": ("meshtastic", "serial", "google.protobuf"),
    "reticulum": ("RNS", "LXMF"),
}


def config_from_args(args: argparse.Namespace) -> BridgeConfig:
    """The bridge's configuration from its flags, or a BridgeError naming what is wrong."""
    node = (getattr(args, "node", None) or "").strip()
    if not node:
        raise BridgeError("give the node to bridge: --node URL (e.g. http://127.0.0.1:8470)")
    url = urlsplit(node)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise BridgeError(f"--node {node!r} is not an http:// or https:// URL")
    try:
        url.port  # noqa: B018 - validates the port
    except ValueError:
        raise BridgeError(f"--node {node!r} has a bad port") from None
    if not getattr(args, "body", None):
        raise BridgeError("give the body to carry: --body ID (64 hex digits)")
    body = _hex(args.body, "--body", 32, "a body id")
    chosen = [name for name in RADIO_FLAGS if getattr(args, name, None)]
    if len(chosen) != 1:
        flags = ", ".join(RADIO_FLAGS.values())
        got = " and ".join(RADIO_FLAGS[n] for n in chosen) if chosen else "none"
        raise BridgeError(f"give exactly one radio ({flags}); got {got}")
    (which,) = chosen
    for module in RADIO_LIBRARIES[which]:
        need(module, "mesh")  # before anything is opened: one line naming the extra
    value = str(getattr(args, which)).strip()
    baud_given = getattr(args, "baud", None) is not None
    if baud_given and which != "kiss_serial":
        raise BridgeError("--baud applies to --kiss-serial only")
    listen, peer_text = bool(getattr(args, "listen", False)), getattr(args, "peer", None)
    if (listen or peer_text) and which != "reticulum":
        raise BridgeError("--listen and --peer apply to --reticulum only")
    if getattr(args, "propagation_node", None) and which != "reticulum":
        raise BridgeError(
            "--propagation-node needs --reticulum CONFIGDIR (LXMF store and forward runs "
            "over Reticulum)"
        )
    for name in ("identity", "peer_key", "collect_every", "deposit_every", "link_timeout"):
        if getattr(args, name, None) is not None and which != "reticulum":
            raise BridgeError(f"--{name.replace('_', '-')} applies to --reticulum only")
    radio: Radio
    if which == "kiss":
        host, port = host_port(value, "--kiss")
        radio = Radio("kiss", f"{host}:{port}", host=host, port=port)
    elif which == "meshtastic":
        host, port = host_port(value, "--meshtastic", MESHTASTIC_PORT)
        radio = Radio("meshtastic", f"{host}:{port}", host=host, port=port)
    elif which in ("kiss_serial", "meshtastic_serial"):
        flag = RADIO_FLAGS[which]
        if not Path(value).exists():
            raise BridgeError(f"{flag} {value}: no such serial device")
        baud = _number(args.baud, "--baud", int, 1, 10_000_000) if baud_given else 9600
        kind = which.replace("_", "-")
        address = f"{value} at {baud} baud" if kind == "kiss-serial" else value
        radio = Radio(kind, address, device=value, baud=baud)
    else:
        radio = _reticulum_radio(args, value, listen, peer_text)
    region = getattr(args, "region", "EU868")
    mhz = _number(getattr(args, "mhz", 869.525), "--mhz", float, 0, 10_000)
    sub_band(region, mhz)  # a clear LocalMeshError when the frequency is not allowed
    status_port = _number(getattr(args, "status_port", STATUS_PORT), "--status-port", int, 0, 65535)
    seconds = _number(getattr(args, "seconds", 0) or 0, "--seconds", float, 0, 10**9)
    every = getattr(args, "digest_every", None)
    digest = 86400.0 if every is None else _number(every, "--digest-every", float, 0, 10**9)
    if 0 < digest < 600:
        raise BridgeError("--digest-every: at least 600 seconds (or 0: no digest)")
    cfg = BridgeConfig(node.rstrip("/"), body, radio, region, mhz, status_port, seconds)
    return dataclasses.replace(cfg, digest_every=digest)


def _reticulum_radio(args: argparse.Namespace, value: str, listen: bool, peer_text: Any) -> Radio:
    config_dir = Path(value)
    if not (config_dir / "config").is_file():
        raise BridgeError(f"--reticulum {value}: no Reticulum config file at {config_dir}/config")
    key_text = getattr(args, "peer_key", None)
    if listen and key_text:
        raise BridgeError(
            "--peer-key names the peer this bridge opens links and deposits to; "
            "it does not go with --listen"
        )
    if listen == bool(peer_text or key_text):
        raise BridgeError(
            "--reticulum needs exactly one of --listen or --peer DESTHASH (or --peer-key HEX)"
        )
    peer = _hex(peer_text, "--peer", 16, "a Reticulum destination hash") if peer_text else None
    peer_key = None
    if key_text:
        peer_key = _hex(key_text, "--peer-key", 64, "a Reticulum identity's public key")
        from .lxmf_relay import public_identity
        from .reticulum import sync_hash

        try:
            derived = sync_hash(public_identity(peer_key))
        except Exception as exc:  # whatever the key loader raises
            raise BridgeError(f"--peer-key is not a Reticulum public key: {exc}") from None
        if peer is not None and peer != derived:
            raise BridgeError(
                f"--peer {peer.hex()} is not the caracol.sync destination of --peer-key "
                f"(that is {derived.hex()}); give one of them"
            )
        peer = derived
    node_text = getattr(args, "propagation_node", None)
    node = (
        _hex(node_text, "--propagation-node", 16, "an LXMF propagation node's destination hash")
        if node_text
        else None
    )
    every: dict[str, float] = {}
    for name, default in (
        ("collect_every", COLLECT_EVERY),
        ("deposit_every", DEPOSIT_EVERY),
        ("link_timeout", LINK_TIMEOUT),
    ):
        text = getattr(args, name, None)
        flag = f"--{name.replace('_', '-')}"
        if text is not None and node is None and name != "link_timeout":
            raise BridgeError(f"{flag} applies with --propagation-node only")
        every[name] = default if text is None else _number(text, flag, float, 0.1, 10**7)
    if getattr(args, "deposit_every", None) is not None and peer is None:
        raise BridgeError(
            "--deposit-every applies to the side that deposits (--peer or --peer-key)"
        )
    identity = getattr(args, "identity", None) or str(config_dir / "identity")
    mode = f"to {peer.hex()}" if peer else "listening"
    if node is not None:
        mode += f", LXMF via {node.hex()}"
    return Radio(
        "reticulum",
        f"{value} ({mode})",
        config_dir=value,
        peer=peer,
        identity=identity,
        peer_key=peer_key,
        propagation_node=node,
        collect_every=every["collect_every"],
        deposit_every=every["deposit_every"],
        link_timeout=every["link_timeout"],
    )


async def open_radio(radio: Radio) -> Transport:
    """Connect to the configured radio (a BridgeError when it cannot be reached)."""
    try:
        if radio.kind == "kiss":
            from .kiss_transport import KissTransport

            return await KissTransport.connect_tcp(radio.host, radio.port)
        if radio.kind == "kiss-serial":
            from .kiss_transport import KissTransport

            return await KissTransport.open_serial(radio.device, radio.baud)
        if radio.kind == "meshtastic":
            from .meshtastic_adapter import MeshtasticTransport

            return await MeshtasticTransport.connect_tcp(radio.host, radio.port)
        if radio.kind == "meshtastic-serial":
            from .meshtastic_adapter import MeshtasticTransport

            return await MeshtasticTransport.connect_serial(radio.device)
        raise BridgeError("a Reticulum link is opened by the bridge itself (Bridge.run)")
    except BridgeError:
        raise
    except MeshError as exc:
        raise BridgeError(str(exc)) from None


def load_bridge_identity(path: Path) -> Any:
    """The bridge's Reticulum identity (``reticulum.load_identity``), its
    problems named after the flag that gave the file."""
    from .reticulum import load_identity

    try:
        return load_identity(path)
    except LocalMeshError as exc:
        raise BridgeError(f"--identity {exc}") from None
