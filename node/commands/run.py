"""``caracol run``: serve the node until Ctrl-C (or SIGTERM from systemd).

It prints the addresses members can open on their phones (the LAN
addresses when the node listens on every interface, not ``0.0.0.0``) and
ends with one clear line, never a traceback, when the port is taken, the
host is not an address of this machine or the data folder is not writable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import ipaddress
import logging
import resource
import signal
import socket
import struct
import sys
from pathlib import Path

from node.config import Config, load
from node.errors import NodeError
from node.logs import setup_logging
from node.runtime import NodeRuntime
from protocol.errors import ProtocolError
from protocol.keys import key_to_text

SIOCGIFADDR = 0x8915
ANY_HOST = ("0.0.0.0", "::", "")
"""Hosts meaning every interface: the page is then opened at each LAN address."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("caracol.toml"))


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (Linux interfaces;
    elsewhere what the host name resolves to). Reads no network."""
    found: set[str] = set()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(
                        s.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
                    )
                except OSError:
                    continue
                found.add(socket.inet_ntoa(packed[20:24]))
    except OSError:
        pass
    if not found:
        with contextlib.suppress(OSError):
            found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    return sorted(
        (a for a in found if not ipaddress.ip_address(a).is_loopback),
        key=ipaddress.ip_address,
    )


def page_urls(config: Config, port: int) -> list[str]:
    """The URLs of the members' page: every LAN address when the node
    listens on all interfaces, else its one address."""
    host = config.listen_host
    hosts = (lan_addresses() or ["127.0.0.1"]) if host in ANY_HOST else [host]
    return [f"http://{f'[{h}]' if ':' in h else h}:{port}/" for h in hosts]


def _start_error(exc: OSError, config: Config, config_path: Path) -> NodeError:
    host, port = config.listen_host, config.listen_port
    if exc.errno == errno.EADDRINUSE:
        return NodeError(
            f"port {port} on {host} is in use (another caracol run?); stop it or set "
            f"listen_port in {config_path}"
        )
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EINVAL) or isinstance(
        exc, socket.gaierror
    ):
        return NodeError(
            f"cannot listen on {host!r}: not an address of this machine; set listen_host "
            f"in {config_path} (0.0.0.0 for the LAN, 127.0.0.1 for this machine only)"
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and exc.filename is not None:
        return NodeError(
            f"cannot make the data folder {exc.filename}: a file is in the way; set data_dir "
            f"in {config_path}"
        )
    if exc.errno == errno.ENOENT:
        return NodeError(
            f"cannot make the data folder {exc.filename or config.data_dir}: {exc.strerror}; "
            f"set data_dir in {config_path} to a folder this user can write"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = exc.filename or config.data_dir
        if exc.filename is None and port < 1024:
            return NodeError(f"port {port} needs privileges; use a port above 1023")
        return NodeError(
            f"cannot write {where}: permission denied; make the data folder writable by this "
            f"user or set data_dir in {config_path}"
        )
    return NodeError(f"cannot start: {exc.strerror or exc}")


OPEN_FILES = 65536
"""The soft open-files limit ``caracol run`` asks for (at most the hard limit)."""


def raise_open_files(wanted: int = OPEN_FILES) -> tuple[int, int]:
    """Raise the soft open-files limit towards the hard one: systemd starts a
    service with 1,024, and every connection (members' phones, event
    subscribers, peers, a slow client) holds a descriptor; past the limit
    the node accepts no one at all (caracol bench hostile: 1,200 connections
    at once, 987 failed). Returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def serve(config_path: Path) -> None:
    config = load(config_path)
    setup_logging(config.log_level, config.log_format)
    before, after = raise_open_files()
    if after != before:
        logging.getLogger("caracol.node").info(
            "open-files limit raised", extra={"from": before, "to": after}
        )
    node = NodeRuntime(config)
    try:
        await node.start()
    except OSError as exc:
        await _stop_quietly(node)
        raise _start_error(exc, config, config_path) from None
    except ProtocolError as exc:  # node.seed readable by others, or damaged
        await _stop_quietly(node)
        hint = "; restore it from your backup (or move it away to make a new node key)"
        raise NodeError(f"{exc}{hint if 'damaged' in str(exc) else ''}") from None
    except NodeError:
        await _stop_quietly(node)
        raise
    assert node.ingest is not None
    port = int(node.url.rsplit(":", 1)[1])
    everywhere = config.listen_host in ANY_HOST
    print(
        f"caracol node {config.node_name!r} listening on "
        f"{'every interface' if everywhere else config.listen_host}, port {port} "
        f"(node key {key_to_text(node.node_key)}, {len(node.ingest.bodies)} bodies, "
        f"started in {node.startup_seconds:.2f} s)",
        flush=True,
    )
    for url in page_urls(config, port):
        print(f"members' page: {url}", flush=True)
    if everywhere and not lan_addresses():
        print("  (no LAN address found: only this machine can open it)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print("stopping…", flush=True)
        await node.stop()


async def _stop_quietly(node: NodeRuntime) -> None:
    with contextlib.suppress(Exception):
        await node.stop()


def run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(serve(args.config))
    except NodeError as exc:
        print(f"caracol run: {exc}", file=sys.stderr)
        return 1
    return 0
