"""A peer's handshake frames, however hostile, end in what ``Gossip.accept``
catches (HandshakeError, LinkClosed, ProtocolError, TimeoutError): found by
scripts/fuzz (issue 16.1), a hello whose node_key was a map raised
TypeError (unhashable) out of the node key lookup."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from node.config import Config
from node.gossip import Gossip
from node.ingest import Ingest
from node.peering import HandshakeError
from node.store import Store
from protocol import canonical


class _Ws:
    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.sent: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)

    async def receive(self) -> Any:
        kind = aiohttp.WSMsgType.BINARY if self.frames else aiohttp.WSMsgType.CLOSE
        data = self.frames.pop(0) if self.frames else None
        return type("Msg", (), {"type": kind, "data": data})()


async def _run_store(fn: Any) -> Any:
    return fn()


@pytest.mark.parametrize("node_key", [{0: 1}, {"k": b""}, (b"\x01" * 32,), None, 7, "ck1"])
def test_a_hello_whose_node_key_is_not_bin_is_refused_with_a_handshake_error(
    tmp_path: Path, node_key: object
) -> None:
    store = Store(tmp_path / "db.sqlite")
    gossip = Gossip(
        Config(data_dir=tmp_path), Ingest(store), _run_store, hashlib.sha256(b"n").digest()
    )
    hello = canonical.encode(("hello", node_key, bytes(32)))
    try:
        with pytest.raises(HandshakeError, match="node_key is bin"):
            asyncio.run(gossip._handshake(_Ws([hello]), None))  # type: ignore[arg-type]
    finally:
        store.close()
