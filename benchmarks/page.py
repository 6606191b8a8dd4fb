"""The members' page on a phone: first-load bytes and requests, time to draw N proposals.

A real node (``caracol run`` in a subprocess on 127.0.0.1, in a temporary
folder removed afterwards) holds one Community with ``--proposals``
proposals, each on top of the previous, signed in-process with the
``protocol`` package and posted in JSON batches to
``POST /v0/bodies/{body}/messages`` (one message per octet-stream POST, up
to the node's ``max_batch`` per JSON one, spec/api.md). Headless Chromium
(Debian's ``/usr/bin/chromium`` driven by Playwright, viewport 360 × 740)
opens ``/#/proposals`` with no key stored, once per run in a fresh browser
context (empty cache, no service worker yet).

* ``first_load_bytes`` — the sum of CDP ``Network.loadingFinished``
  ``encodedDataLength`` over the page's requests: bytes as they came over
  the wire (headers included, gzipped bodies counted gzipped), from the
  navigation until the list is drawn and the network is idle. The service
  worker's own install-time fetches of the shell run in its own target and
  are not counted (they revalidate what the page has just fetched); the
  live-events WebSocket is not counted either.
* ``first_load_requests`` — how many such requests finished.
* ``render_ms`` — from navigation start (``performance.timeOrigin``) until
  ``document.body.dataset.ready === "1"`` and ``main ul.list > li`` holds N
  items, read in the page on each animation frame.

Each figure is the median over ``--runs``; ``largest`` lists the biggest
requests of the last run, to see where the bytes go. Without Playwright or
``/usr/bin/chromium`` the benchmark says it skipped, and why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.node import NodeProc
from crdt.sim import make_genesis, seed_for
from protocol import envelope, kinds
from protocol.envelope import Envelope

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BUDGET_BYTES = 150 * 1024
BUDGET_MS = 1000
BATCH = 200  # messages per POST (the node's max_batch is 256)
MEMBERS = [seed_for(f"bench-page-{i}") for i in range(5)]
WAIT_MS = 60_000
LARGEST = 8  # the biggest requests of the last run, listed in the result

_DRAWN = """n => document.body.dataset.ready === "1"
  && document.querySelectorAll('main ul.list > li').length === n
  && performance.now()"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proposals", type=int, default=200, help="proposals in the Community")
    parser.add_argument("--runs", type=int, default=3, help="fresh browser contexts (median)")


def _proposals(genesis: Envelope, n: int) -> list[Envelope]:
    """``n`` proposals by the founders in turn, each on top of the previous
    (as a member's page signs on the body's heads)."""
    out: list[Envelope] = []
    parent = genesis.id
    for i in range(n):
        who = i % len(MEMBERS)
        seq = i // len(MEMBERS) + (2 if who == 0 else 1)
        payload = kinds.Proposal(
            f"Proposal {i + 1}: mend the path by the school",
            f"Proposal {i + 1}. The path by the school floods when it rains; "
            "we ask the council for gravel and a drain, and offer two Saturdays of work.",
            "",
            None,
            None,
        )
        e = envelope.sign(
            MEMBERS[who], genesis.body, payload, parents=[parent], seq=seq, time=1_790_000_100 + i
        )
        out.append(e)
        parent = e.id
    return out


async def _prepare(node: NodeProc, genesis: Envelope, n: int) -> None:
    await node.start()
    base = f"{node.url}/v0/bodies/{genesis.body.hex()}"
    messages = _proposals(genesis, n)
    async with aiohttp.ClientSession() as http:
        for i in range(0, len(messages), BATCH):
            batch = [m.raw.hex() for m in messages[i : i + BATCH]]
            async with http.post(f"{base}/messages", json={"messages": batch}) as r:
                results = (await r.json())["results"]
            bad = [x for x in results if x["status"] != "accepted"]
            if bad:
                raise RuntimeError(f"the node refused proposals: {bad[:3]}")
        async with http.get(f"{base}/proposals") as r:
            shown = [p for p in (await r.json())["proposals"] if p.get("kind") == "proposal"]
    if len(shown) != n:
        raise RuntimeError(f"the node shows {len(shown)} proposals, not {n}")


def _one_load(browser: Any, url: str, n: int) -> tuple[list[tuple[str, int]], float]:
    """One first load: ``(path, bytes)`` of each finished request, and render_ms."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    try:
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        urls: dict[str, str] = {}
        finished: list[tuple[str, int]] = []

        def sent(e: dict[str, Any]) -> None:
            urls[e["requestId"]] = e["request"]["url"]

        def done(e: dict[str, Any]) -> None:
            path = urls.get(e["requestId"], "?").removeprefix(url)
            finished.append((path, int(e["encodedDataLength"])))

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", done)
        cdp.send("Network.enable")
        page.goto(f"{url}/#/proposals", wait_until="commit", timeout=WAIT_MS)
        at = page.wait_for_function(_DRAWN, arg=n, polling="raf", timeout=WAIT_MS)
        render_ms = float(at.json_value())
        with contextlib.suppress(Exception):  # a request still open only delays the count
            page.wait_for_load_state("networkidle", timeout=10_000)
        time.sleep(0.2)  # let the last loadingFinished events arrive
        return finished, render_ms
    finally:
        ctx.close()


def _skipped(reason: str) -> dict[str, Any]:
    print(f"caracol bench page: skipped: {reason}", file=sys.stderr)
    return {"skipped": True, "reason": reason}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return _skipped("Playwright for Python is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        return _skipped(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    n: int = args.proposals
    runs: int = max(1, args.runs)
    genesis = make_genesis(MEMBERS)
    root = Path(tempfile.mkdtemp(prefix="caracol-bench-page-"))
    node = NodeProc(root, "page", genesis)
    loads: list[tuple[list[tuple[str, int]], float]] = []
    try:
        asyncio.run(_prepare(node, genesis, n))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                loads = [_one_load(browser, node.url, n) for _ in range(runs)]
            finally:
                browser.close()
    finally:
        node.stop()
        shutil.rmtree(root, ignore_errors=True)
    first_bytes = int(statistics.median(sum(b for _, b in f) for f, _ in loads))
    render_ms = round(statistics.median(ms for _, ms in loads), 1)
    body = genesis.body.hex()
    last = sorted(loads[-1][0], key=lambda r: -r[1])[:LARGEST]
    return {
        "proposals": n,
        "runs": runs,
        "first_load_bytes": first_bytes,
        "first_load_requests": int(statistics.median(len(f) for f, _ in loads)),
        "first_load_budget_bytes": BUDGET_BYTES,
        "first_load_within_budget": first_bytes <= BUDGET_BYTES,
        "render_ms": render_ms,
        "render_budget_ms": BUDGET_MS,
        "render_within_budget": render_ms <= BUDGET_MS,
        "largest": [{"path": p.replace(body, "{body}"), "bytes": b} for p, b in last],
    }
