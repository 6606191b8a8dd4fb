"""A running node: the store thread, the ingest path, and the HTTP server.

SQLite has exactly one writer: every store operation runs on one dedicated
thread (``_store_thread``), and the event loop awaits it. The HTTP side is
aiohttp on asyncio (where aiohttp lives). ``NodeRuntime`` is what ``caracol
run``, the demo federation and the integration tests start; it binds to
``config.listen_host``/``listen_port`` (port 0 picks a free port, which the
tests use) and stops cleanly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from protocol.keys import key_to_text

from . import api, static
from .api import MemberApi
from .config import Config
from .gossip import Gossip
from .ingest import Ingest, Quota
from .nodekey import load_or_create_node_seed
from .store import Store
from .writer import URL_FILE

T = TypeVar("T")
log = logging.getLogger("caracol.node")

VERSION = "0.1.0"
NODE_KEY: web.AppKey[NodeRuntime] = web.AppKey("node")


class NodeRuntime:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.node_seed = b""
        self.node_key = b""
        self.clock = clock
        self.gossip: Gossip | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="caracol-store"
        )
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self.api: MemberApi | None = None
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.startup_seconds = 0.0

    async def run_store(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the single store thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    def _open(self) -> int:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.node_seed, self.node_key = load_or_create_node_seed(self.config.data_dir)
        self.store = Store(self.config.database)
        quota = Quota(self.config.stranger_messages, self.config.stranger_bytes)
        self.ingest = Ingest(self.store, clock=self.clock, quota=quota)
        return self.ingest.load()

    async def start(self) -> str:
        started = time.perf_counter()
        count = await self.run_store(self._open)
        assert self.ingest is not None
        self.api = MemberApi(
            self.ingest,
            self.run_store,
            node_info={
                "name": self.config.node_name,
                "version": VERSION,
                "node_key": key_to_text(self.node_key),
            },
        )
        self.gossip = Gossip(self.config, self.ingest, self.run_store, self.node_seed)
        self.api.node_info["_metrics"] = self.gossip.metrics
        self.api.on_new_body = self._watch
        self.gossip.on_new_body = self._watch
        loop = asyncio.get_running_loop()
        for body in self.ingest.bodies.values():
            body.listeners.append(self._listener(body.id, loop))
        self.app = web.Application(client_max_size=8 * 1024 * 1024, middlewares=[static.middleware])
        self.app.add_routes(self.api.routes())
        self.app.add_routes(self.gossip.routes())
        self.app.add_routes(static.routes())  # the members' page at /
        self.app[NODE_KEY] = self
        self.app[api.BODY_TIMEOUT] = self.config.body_timeout
        # aiohttp's keep-alive timer also runs from a connection's first byte
        # until its request head is complete (and from each answer to the next
        # head), so it is the header timeout: by default an hour, so a
        # slow-loris could hold every descriptor the node has (spec/api.md)
        self._runner = web.AppRunner(
            self.app,
            handle_signals=False,
            access_log=None,
            keepalive_timeout=self.config.header_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.listen_host, self.config.listen_port)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://{self.config.listen_host}:{port}"
        host = self.config.listen_host
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        # where commands on this machine reach the running node, the store's
        # writer (node.writer): they submit through its API, not into the file
        self.url_file.write_text(f"http://{local}:{port}\n")
        await self.gossip.start()
        self.startup_seconds = time.perf_counter() - started
        log.info(
            "node started",
            extra={"url": self.url, "messages": count, "seconds": round(self.startup_seconds, 3)},
        )
        return self.url

    def _listener(
        self, body_id: bytes, loop: asyncio.AbstractEventLoop
    ) -> Callable[[Any, str], None]:
        def on_accept(accepted: Any, origin: str) -> None:
            # Called on the store thread: hand over to the event loop.
            if self.api is not None:
                loop.call_soon_threadsafe(self.api.publish, body_id, accepted)
            if self.gossip is not None:
                loop.call_soon_threadsafe(self.gossip.publish, body_id, accepted, origin)

        return on_accept

    async def found_body(self, genesis_raw: bytes) -> bytes:
        assert self.ingest is not None
        ingest = self.ingest
        genesis = await self.run_store(lambda: ingest.found(genesis_raw, origin="local"))
        self._watch(genesis.body)
        return genesis.body

    def _watch(self, body_id: bytes) -> None:
        """Publish a (new) body's accepted messages to subscribers and peers."""
        assert self.ingest is not None
        body = self.ingest.bodies[body_id]
        if not body.listeners:
            body.listeners.append(self._listener(body_id, asyncio.get_running_loop()))

    @property
    def url_file(self) -> Path:
        return self.config.data_dir / URL_FILE

    async def stop(self) -> None:
        if self.url:
            self.url_file.unlink(missing_ok=True)
        if self.gossip is not None:
            await self.gossip.stop()
        if self.api is not None:
            await self.api.close_subscribers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.store is not None:
            store = self.store
            await self.run_store(store.close)
            self.store = None
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> NodeRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
