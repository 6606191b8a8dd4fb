"""What the bridge tests share: real nodes on 127.0.0.1 holding one body,
the bridge's flags parsed by the real parser, and bounded waits."""

from __future__ import annotations

import argparse
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import anyio

from mesh.bridge import BridgeConfig, config_from_args
from mesh.commands import add_arguments
from node.config import Config
from node.runtime import NodeRuntime
from protocol.envelope import Envelope
from protocol.testing import Scenario


def parse(argv: list[str]) -> argparse.Namespace:
    """``caracol mesh ARGV`` as the CLI parses it."""
    parser = argparse.ArgumentParser(prog="caracol mesh")
    add_arguments(parser)
    return parser.parse_args(argv)


def bridge_config(
    node: NodeRuntime, body: bytes, *radio: str, extra: tuple[str, ...] = ()
) -> BridgeConfig:
    argv = [
        "bridge",
        "--node",
        node.url,
        "--body",
        body.hex(),
        *radio,
        "--status-port",
        "0",
        *extra,
    ]
    return config_from_args(parse(argv))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scenario(
    members: tuple[str, ...] = ("ana", "bea", "cruz", "dev", "eli"),
) -> tuple[Scenario, bytes]:
    """A body with a proposal; returns it and the proposal's id."""
    sc = Scenario(members)
    return sc, sc.propose("ana")


async def post(node: NodeRuntime, body: bytes, *messages: Envelope) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{node.url}/v0/bodies/{body.hex()}/messages",
            json={"messages": [m.raw.hex() for m in messages]},
        ) as r,
    ):
        assert r.status in (200, 201), await r.text()


@contextlib.asynccontextmanager
async def nodes(tmp: Path, sc: Scenario, count: int = 2) -> AsyncIterator[list[NodeRuntime]]:
    """``count`` real nodes, each holding the scenario's messages so far."""
    async with contextlib.AsyncExitStack() as stack:
        out = []
        for i in range(count):
            node = await stack.enter_async_context(
                NodeRuntime(Config(data_dir=tmp / f"node{i}", listen_port=0))
            )
            await node.found_body(sc.messages[0].raw)
            await post(node, sc.body, *sc.messages[1:])
            out.append(node)
        yield out


async def wait_until(what: Callable[[], bool], seconds: float, step: float = 0.1) -> None:
    with anyio.fail_after(seconds):
        while not what():
            await anyio.sleep(step)


async def status_of(url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        assert r.status == 200
        doc: dict[str, object] = await r.json()
        return doc
