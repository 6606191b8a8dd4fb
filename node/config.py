"""The node's configuration: a TOML file, validated so a mistake names its key.

Every key has a type, a default and a check in one table (``_KEYS``); an
unknown key is an error too (a typo must not be silently ignored). The file
is small and human-edited; ``render`` writes it back in the same layout that
``caracol init`` produces.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from protocol.errors import ProtocolError
from protocol.keys import key_from_text

from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class Peer:
    name: str
    url: str
    node_key: str  # the peer's node public key in text form (pinned)


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    listen_host: str = "127.0.0.1"
    listen_port: int = 8470
    node_name: str = "caracol"
    bodies: tuple[str, ...] = ()  # body ids (hex) this node holds
    peers: tuple[Peer, ...] = ()
    max_message_bytes: int = 16384
    max_batch: int = 256
    peer_rate: float = 2000.0  # messages per second read from one peer (then backpressure)
    stranger_messages: int = 5_000  # per body: stored messages of keys it does not know
    stranger_bytes: int = 16 * 1024 * 1024  # per body: their bytes
    header_timeout: float = 15.0  # seconds for a connection to send a whole request head
    body_timeout: float = 60.0  # seconds for a request body (per 4 MiB of its limit)
    sync_interval: float = 30.0  # seconds between periodic reconciliations
    backoff_max: float = 300.0  # seconds, the longest wait before retrying a peer
    peer_penalty: float = 10.0  # seconds a misbehaving peer may not link (doubling; 0: none)
    log_level: str = "info"
    log_format: str = "json"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.data_dir / "caracol.sqlite3"

    @property
    def node_keystore(self) -> Path:
        return self.data_dir / "node.key"


def _port(v: Any) -> int:
    if type(v) is not int or not 0 <= v <= 65535:
        raise ValueError("must be a port number 0..65535")
    return v


def _positive_int(limit: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if type(v) is not int or not 1 <= v <= limit:
            raise ValueError(f"must be an integer 1..{limit}")
        return v

    return check


def _positive_float(v: Any) -> float:
    if type(v) not in (int, float) or not v > 0:
        raise ValueError("must be a positive number")
    return float(v)


def _non_negative_float(v: Any) -> float:
    if type(v) not in (int, float) or not v >= 0:
        raise ValueError("must be a number, 0 or more")
    return float(v)


def _choice(*options: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return str(v)

    return check


def _text(v: Any) -> str:
    if type(v) is not str or not v:
        raise ValueError("must be a non-empty string")
    return v


def _body_ids(v: Any) -> tuple[str, ...]:
    if type(v) is not list:
        raise ValueError("must be a list of body ids (64 hex digits each)")
    out = []
    for i, item in enumerate(v):
        if type(item) is not str or len(item) != 64 or not _is_hex(item):
            raise ValueError(f"item {i} is not a body id of 64 hex digits")
        out.append(item.lower())
    return tuple(out)


def _is_hex(s: str) -> bool:
    try:
        bytes.fromhex(s)
    except ValueError:
        return False
    return True


def is_url(url: str) -> bool:
    """An http(s) address with a host (and a valid port when given)."""
    try:
        u = urlsplit(url)
        u.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return u.scheme in ("http", "https") and bool(u.hostname) and " " not in url


# section.key -> (Config field, check)
_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "node.name": ("node_name", _text),
    "node.data_dir": ("data_dir", lambda v: Path(_text(v))),
    "node.listen_host": ("listen_host", _text),
    "node.listen_port": ("listen_port", _port),
    "node.bodies": ("bodies", _body_ids),
    "limits.max_message_bytes": ("max_message_bytes", _positive_int(65536)),
    "limits.max_batch": ("max_batch", _positive_int(10_000)),
    "limits.peer_rate": ("peer_rate", _positive_float),
    "limits.stranger_messages": ("stranger_messages", _positive_int(10_000_000)),
    "limits.stranger_bytes": ("stranger_bytes", _positive_int(1 << 40)),
    "limits.header_timeout": ("header_timeout", _positive_float),
    "limits.body_timeout": ("body_timeout", _positive_float),
    "sync.interval": ("sync_interval", _positive_float),
    "sync.backoff_max": ("backoff_max", _positive_float),
    "sync.peer_penalty": ("peer_penalty", _non_negative_float),
    "log.level": ("log_level", _choice("debug", "info", "warning", "error")),
    "log.format": ("log_format", _choice("json", "text")),
}
_PEER_KEYS = ("name", "url", "node_key")


def parse(text: str, *, base: Path) -> Config:
    """Parse and validate a config file's text; relative paths are taken
    from ``base`` (the file's folder)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for section, content in raw.items():
        if section == "peers":
            continue
        if not isinstance(content, dict):
            raise ConfigError("expected a [section] table", key=section)
        for key, value in content.items():
            dotted = f"{section}.{key}"
            if dotted not in _KEYS:
                raise ConfigError("unknown key (check the spelling)", key=dotted)
            name, check = _KEYS[dotted]
            try:
                values[name] = check(value)
            except ValueError as exc:
                raise ConfigError(f"{exc}, got {value!r}", key=dotted) from None
    if "data_dir" not in values:
        raise ConfigError("is required", key="node.data_dir")
    if not values["data_dir"].is_absolute():
        values["data_dir"] = base / values["data_dir"]
    peers = []
    raw_peers = raw.get("peers", [])
    if not isinstance(raw_peers, list):
        raise ConfigError("use [[peers]] tables", key="peers")
    for i, p in enumerate(raw_peers):
        for key in p:
            if key not in _PEER_KEYS:
                raise ConfigError("unknown key (check the spelling)", key=f"peers[{i}].{key}")
        for key in _PEER_KEYS:
            if key not in p or type(p[key]) is not str or not p[key]:
                raise ConfigError("is required (a non-empty string)", key=f"peers[{i}].{key}")
        if not is_url(p["url"]):
            raise ConfigError(
                f"must be a node's address like http://192.0.2.10:8470, got {p['url']!r}",
                key=f"peers[{i}].url",
            )
        try:
            key_from_text(p["node_key"])
        except ProtocolError as exc:
            raise ConfigError(f"not a node key ({exc})", key=f"peers[{i}].node_key") from None
        peers.append(Peer(p["name"], p["url"].rstrip("/"), p["node_key"]))
    names = [p.name for p in peers]
    if len(set(names)) != len(names):
        raise ConfigError("peer names must be unique", key="peers")
    return Config(peers=tuple(peers), **values)


def load(path: str | Path) -> Config:
    """The config file at ``path``; a bad one raises one line naming the
    file, the key and what to do."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path} (run `caracol init` first)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        return parse(text, base=path.parent)
    except ConfigError as exc:
        where = f"{exc.key} " if exc.key else ""
        raise ConfigError(f"{path}: {exc} (edit {where}in {path} to fix it)") from None


def check(config: Config) -> Config:
    """``config`` as ``load`` would read it back: a value that would make
    the written file unreadable raises the error now (naming its key)."""
    return parse(render(config), base=config.data_dir)


def save(path: Path, config: Config) -> None:
    """Write ``config`` to ``path`` only once it is known to read back,
    through a temporary file so a crash leaves the old file whole."""
    check(config)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(config), encoding="utf-8")
    tmp.replace(path)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, Path):
        v = str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))


def render(config: Config) -> str:
    """The config as TOML text, in the layout ``caracol init`` writes."""
    sections: dict[str, list[str]] = {}
    for dotted, (name, _check) in _KEYS.items():
        section, key = dotted.split(".")
        sections.setdefault(section, []).append(f"{key} = {_toml_value(getattr(config, name))}")
    out: list[str] = []
    for section, lines in sections.items():
        out.append(f"[{section}]")
        out += lines
        out.append("")
    for p in config.peers:
        out += [
            "[[peers]]",
            f"name = {_toml_value(p.name)}",
            f"url = {_toml_value(p.url)}",
            f"node_key = {_toml_value(p.node_key)}",
            "",
        ]
    return "\n".join(out)


def with_peer(config: Config, peer: Peer) -> Config:
    if any(p.name == peer.name for p in config.peers):
        raise ConfigError(f"a peer named {peer.name!r} exists already", key="peers")
    return replace(config, peers=(*config.peers, peer))


def without_peer(config: Config, name: str) -> Config:
    if all(p.name != name for p in config.peers):
        raise ConfigError(f"no peer named {name!r}", key="peers")
    return replace(config, peers=tuple(p for p in config.peers if p.name != name))
