"""The daily digest (spec/mesh.md, "Daily digest"): open proposals, stages
and deadlines as plain text messages of at most 200 bytes, soonest deadline
first; sent by the bridge as Meshtastic text (what any device shows) within
the duty cycle, never into the share kept for decisions."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from bridge_world import bridge_config, nodes
from fake_meshtastic import FakeDevice
from meshtastic.protobuf import portnums_pb2

from mesh.bridge import DIGEST_RESERVE, Bridge
from mesh.digest import MAX_TEXT_BYTES, digest_texts
from mesh.dutycycle import Budget, sub_band
from mesh.errors import LocalMeshError
from mesh.meshtastic_adapter import MeshtasticTransport
from protocol.testing import Scenario

NOW = 1_796_600_000


def summary(i: int, stage: str, deadline: int | None, title: str = "") -> dict[str, Any]:
    return {
        "id": f"{i:02x}" * 32,
        "kind": "proposal",
        "title": title or f"Proposal {i}",
        "stage": stage,
        "deadline": deadline,
        "tally": {"for": i, "against": 1, "abstain": 0, "electorate": 9}
        if stage == "final_vote"
        else None,
    }


def test_open_proposals_soonest_deadline_first_in_small_texts() -> None:
    rows = [
        summary(1, "discussion", NOW + 9 * 86400),
        summary(2, "final_vote", NOW + 3600),
        summary(3, "carried", None),  # decided: not in the digest
        summary(4, "planning", None),
        *(summary(10 + i, "discussion", NOW + 86400 * (i + 20)) for i in range(12)),
    ]
    texts = digest_texts("Barrio Sur", rows, NOW)
    assert texts[0].startswith("Barrio Sur 2026-") and "15 open" in texts[0]
    assert all(len(t.encode()) <= MAX_TEXT_BYTES for t in texts) and len(texts) > 1
    joined = "\n".join(texts)
    assert "Proposal 3" not in joined
    assert joined.index("Proposal 2") < joined.index("Proposal 1") < joined.index("Proposal 4")
    assert "«Proposal 2» final vote until" in joined and "F2 A1" in joined


def test_long_titles_and_non_ascii_are_cut_on_a_character() -> None:
    long = "Mañana " * 40 + "🐚"
    texts = digest_texts(
        "Comunidad", [summary(1, "temperature", NOW + 60, long)], NOW, max_bytes=80
    )
    assert all(len(t.encode()) <= 80 for t in texts)
    assert "…" in texts[-1]
    with pytest.raises(LocalMeshError, match="at least 64 bytes"):
        digest_texts("x", [], NOW, max_bytes=10)


@pytest.mark.trio
async def test_the_meshtastic_adapter_sends_text_a_device_shows() -> None:
    device = FakeDevice()
    port = device.start()
    try:
        with anyio.fail_after(30):
            radio = await MeshtasticTransport.connect_tcp("127.0.0.1", port)
        try:
            with anyio.fail_after(10):
                await radio.send_text("Barrio Sur: 1 open")
                while not device.received:
                    await anyio.sleep(0.05)
            (packet,) = device.received
            assert packet.decoded.portnum == portnums_pb2.PortNum.TEXT_MESSAGE_APP
            assert packet.decoded.payload == b"Barrio Sur: 1 open"
            with pytest.raises(LocalMeshError, match="exceeds 228"):
                await radio.send_text("x" * 229)
        finally:
            await radio.aclose()
    finally:
        device.stop()


class TextRadio:
    """A radio that carries text, slowly: each byte costs 0.5 s on air."""

    mtu = 200

    def __init__(self) -> None:
        self.texts: list[str] = []

    def airtime(self, nbytes: int) -> float:
        return 0.5 * nbytes

    async def send_text(self, text: str) -> None:
        self.texts.append(text)


async def _bridge_digest(tmp: Path, spent: float) -> tuple[list[str], list[str], Budget]:
    sc = Scenario(("ana", "bea", "cruz"), name="Barrio Sur")
    for i in range(3):
        sc.propose("ana", f"Proposal {i}")
    async with nodes(tmp, sc, count=1) as (node,), aiohttp.ClientSession() as http:
        # a digest every 10 minutes: waiting an hour for air would be too late
        b = Bridge(
            bridge_config(node, sc.body, "--kiss", "127.0.0.1:9", extra=("--digest-every", "600"))
        )
        radio = TextRadio()
        b.radio = radio  # type: ignore[assignment]
        b._budget = budget = Budget(sub_band("EU868", 869.525))
        if spent:
            budget.record(time.monotonic(), spent)
        await b.send_digest(http)
        return radio.texts, [d.reason for d in b.drops], budget


def test_the_bridge_sends_the_digest_within_the_duty_cycle(tmp_path: Path) -> None:
    texts, drops, budget = asyncio.run(_bridge_digest(tmp_path, 0.0))
    assert texts and texts[0].startswith("Barrio Sur") and "3 open" in texts[0]
    assert not drops
    assert budget.used(time.monotonic()) > 0  # its airtime is recorded


def test_no_digest_when_it_would_eat_into_the_decisions_share(tmp_path: Path) -> None:
    band = Budget(sub_band("EU868", 869.525))
    spent = band.allowance_s * (1 - DIGEST_RESERVE) - 1.0  # the digest's half is used up
    texts, drops, _ = asyncio.run(_bridge_digest(tmp_path / "full", spent))
    assert texts == []
    assert any("digest not sent" in d for d in drops), drops
