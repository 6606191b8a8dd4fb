"""`caracol mesh bridge --reticulum` with LXMF store and forward, end to end
on 127.0.0.1: a real LXMF propagation node process; node A's bridge
(`--peer-key` of B, `--propagation-node`) finds no live link to B (whose
bridge is not running), so it deposits A's messages, and later a new one in
a second batch; A's bridge stops. Someone deposits an altered bundle and
one carrying a forged message (`lxmf_relay deposit --raw`). Then B's bridge
starts (`--listen --propagation-node`), collects, refuses the altered
bundle whole and the forged message alone (their reasons in its status and
in `caracol mesh status`), and B's node ends with A's log state.

Also without a network: what the --peer side knows of its peer survives a
restart in the state file beside the identity, so only what is new is
deposited again; a completed sync teaches the peer's heads once the send
queue has drained; and when a live link ends, the peer is deposited for
after --link-timeout, new messages follow at most every --deposit-every,
and the link is tried again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from bridge_world import nodes, post, scenario, status_of, wait_until
from rns_harness import Proc, free_port, processes

from mesh import bridge as bridge_module
from mesh import lxmf_relay
from mesh.bridge import Bridge, BridgeConfig, BridgeError, Radio, render_status
from mesh.bridge_lxmf import StoreAndForward
from mesh.errors import LinkClosed
from mesh.reticulum import write_config
from mesh.transport import LinkState, LinkStatistics
from protocol import kinds
from protocol.sneakernet import Bundle

RELAY = ["-m", "mesh.lxmf_relay"]


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _bridge(node_url: str, body: bytes, config: Path, *how: str) -> Proc:
    args = ["-m", "node.cli", "mesh", "bridge", "--node", node_url, "--body", body.hex()]
    return Proc([*args, "--reticulum", str(config), *how, "--status-port", "0"])


async def _line(proc: Proc, prefix: str, timeout: float) -> str:
    return await anyio.to_thread.run_sync(proc.line, prefix, timeout)


async def _status_until(url: str, ok: Any, seconds: float) -> dict[str, Any]:
    doc: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal doc
        doc = await status_of(url)
        return bool(ok(doc))

    try:
        with anyio.fail_after(seconds):
            while not await check():
                await anyio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"the bridge's status did not get there: {doc}") from None
    return doc


async def _store_and_forward(tmp: Path) -> None:
    sc, p = scenario(("ana", "bea", "cruz"))
    port = free_port()
    for side in ("rns-a", "rns-b"):
        write_config(tmp / side, connect_port=port)
    async with nodes(tmp, sc) as (a, b):
        with processes() as procs:
            pn = Proc([*RELAY, "propagation-node", "--dir", str(tmp / "pn"), "--listen", str(port)])
            procs.append(pn)
            ident = Proc([*RELAY, "identity", "--file", str(tmp / "rns-b" / "identity")])
            procs.append(ident)
            node = (await _line(pn, "propagation-node ", 20)).split()[1]
            b_key = (await _line(ident, "identity ", 20)).split()[1]
            first = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            await post(a, sc.body, first)

            lxmf = ["--propagation-node", node]
            bridge_a = _bridge(
                a.url,
                sc.body,
                tmp / "rns-a",
                "--peer-key",
                b_key,
                *lxmf,
                "--link-timeout",
                "2",
                "--deposit-every",
                "1",
            )
            procs.append(bridge_a)
            url_a = (await _line(bridge_a, "bridging body", 30)).rsplit(" ", 1)[1]
            await _line(bridge_a, "lxmf: deposited for the peer:", 40)
            doc = await _status_until(url_a, lambda d: d["lxmf"]["bundles_deposited"] >= 1, 5)
            assert doc["lxmf"]["messages_deposited"] == len(sc.messages), doc["lxmf"]
            assert doc["link"]["state"] == "down"
            # a new message while B is away goes in a batch of its own
            second = sc.post("cruz", kinds.Vote(p, kinds.Choice.AGAINST))
            await post(a, sc.body, second)
            doc = await _status_until(url_a, lambda d: d["lxmf"]["bundles_deposited"] == 2, 30)
            assert doc["lxmf"]["messages_deposited"] == len(sc.messages)
            assert doc["lxmf"]["last_deposit"]["result"].startswith("1 messages in 1 bundles")
            assert any("no live link to the peer" in d["reason"] for d in doc["drops"])
            bridge_a.stop()  # so B can only get A's messages from the propagation node
            kept = lxmf_relay.PeerState(tmp / "rns-a" / "identity.peers.json").records
            (record,) = kept.values()  # beside A's identity: what a restart would not deposit
            assert record.deposited == sc.heads() and record.heads == ()

            # deposits someone else made: one altered, one with a forged message
            (good,) = lxmf_relay.bundles_for(sc.log)
            (tmp / "altered.bundle").write_bytes(_flip(good, good.find(first.raw) + 40))
            forged = _flip(second.raw, len(second.raw) - 1)  # its signature
            (tmp / "forged.bundle").write_bytes(Bundle(sc.body, sc.heads(), (forged,)).encode())
            other = Proc(
                [
                    *RELAY,
                    "deposit",
                    "--dir",
                    str(tmp / "other"),
                    "--connect",
                    str(port),
                    "--node",
                    node,
                    "--to",
                    b_key,
                    "--raw",
                    str(tmp / "altered.bundle"),
                    "--raw",
                    str(tmp / "forged.bundle"),
                ]
            )
            procs.append(other)
            assert (await _line(other, "deposited ", 40)) == "deposited 2 bundles"

            bridge_b = _bridge(
                b.url, sc.body, tmp / "rns-b", "--listen", *lxmf, "--collect-every", "3"
            )
            procs.append(bridge_b)
            url_b = (await _line(bridge_b, "bridging body", 30)).rsplit(" ", 1)[1]
            log_a = a.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            log_b = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: log_b.state_hash() == log_a.state_hash(), 40)
            assert second.id in log_b and len(log_b) == len(log_a) == len(sc.messages)
            doc = await _status_until(
                url_b,
                # the deposits' messages are counted as submitted once the node
                # answered them, a moment after the bundle is counted collected
                lambda d: (
                    d["lxmf"]["bundles_collected"] + d["lxmf"]["bundles_rejected"] >= 4
                    and d["messages"]["submitted"] >= 2
                ),
                20,
            )
            lx = doc["lxmf"]
            assert lx["bundles_collected"] == 3 and lx["bundles_rejected"] == 1, lx
            assert lx["messages_accepted"] == 2 and lx["messages_rejected"] == 1, lx
            reasons = [d["reason"] for d in doc["drops"] if d["where"] == "lxmf"]
            assert any("refused: bundle integrity check failed" in r for r in reasons), reasons
            assert any("message 0 of the deposit:" in r and "signature" in r for r in reasons)
            table = render_status(doc)
            assert "3 bundles (1 refused whole): 2 new messages" in table, table
            assert "lxmf: deposit from" in table and "integrity check failed" in table, table
            # submitted to the node as if heard on the radio; the deposits may
            # arrive in any order (then a child waits at the node for its parent)
            m = doc["messages"]
            assert m["submitted"] == 2 and m["accepted"] + m["pending"] == 2, m


def test_an_unreachable_peer_gets_its_messages_through_a_propagation_node(tmp_path: Path) -> None:
    asyncio.run(_store_and_forward(tmp_path))


def test_what_the_peer_holds_survives_a_restart_so_only_new_messages_are_deposited(
    tmp_path: Path,
) -> None:
    sc, p = scenario(("ana", "bea"))
    peer = bytes(range(16))
    radio = Radio(
        "reticulum", "test", config_dir=str(tmp_path), peer=peer, propagation_node=bytes(16)
    )
    state = tmp_path / "identity.peers.json"

    def bridge() -> Bridge:
        br = Bridge(BridgeConfig("http://127.0.0.1:9", sc.body, radio))
        br.store_and_forward = StoreAndForward(
            br, None, "00" * 16, peer_state=lxmf_relay.PeerState(state)
        )
        for m in sc.messages:
            br.messages.add(m)
        return br

    first = bridge()
    assert first.store_and_forward.for_peer() == [
        m.id for m in sc.messages
    ]  # nothing known: the whole body
    first.store_and_forward.heard_from_peer(sc.messages[1].id)  # heard from the peer over the link
    first.store_and_forward.learn_from_link()
    assert first.store_and_forward.for_peer() == [m.id for m in sc.messages[2:]]
    rec = first.store_and_forward.peer_record()
    rec.deposited, rec.deposited_since = tuple(first.messages.heads()), 1e12  # "deposited"
    first.store_and_forward.peer_state.save()

    again = bridge()  # a restart
    assert again.store_and_forward.for_peer() == []
    vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
    again.messages.add(vote)
    assert again.store_and_forward.for_peer() == [vote.id]
    rec = again.store_and_forward.peer_record()
    rec.deposited_since = 0.0  # deposited over 30 days ago: may be gone from the node
    assert again.store_and_forward.for_peer() == [m.id for m in sc.messages[2:]]


class _Link:
    """What learn_from_link reads of a radio link: its statistics."""

    def __init__(self) -> None:
        self.completed, self.queued = 0, 0

    def statistics(self) -> Any:
        from types import SimpleNamespace

        queue = SimpleNamespace(queued_frames=self.queued)
        return SimpleNamespace(sync_completed=self.completed, queue=queue)


def test_a_completed_sync_teaches_the_peers_heads_once_the_queue_has_drained(
    tmp_path: Path,
) -> None:
    sc, p = scenario(("ana", "bea"))
    radio = Radio(
        "reticulum", "test", config_dir=str(tmp_path), peer=bytes(16), propagation_node=bytes(16)
    )
    br = Bridge(BridgeConfig("http://127.0.0.1:9", sc.body, radio))
    br.store_and_forward = StoreAndForward(
        br, None, "00" * 16, peer_state=lxmf_relay.PeerState(tmp_path / "identity.peers.json")
    )
    for m in sc.messages:
        br.messages.add(m)
    rec = br.store_and_forward.peer_record()
    rec.deposited, rec.deposited_since = (sc.messages[0].id,), 1e12
    link = _Link()
    br.link, br.linked = link, True  # type: ignore[assignment]
    link.completed, link.queued = 1, 3  # history still waiting to go out
    br.store_and_forward.learn_from_link()
    assert br.store_and_forward.for_peer() == [m.id for m in sc.messages[1:]]
    link.queued = 0
    br.store_and_forward.learn_from_link()
    assert (
        br.store_and_forward.for_peer() == [] and rec.deposited == () and rec.learned_at is not None
    )
    assert (
        lxmf_relay.PeerState(br.store_and_forward.peer_state.path).get(sc.body, bytes(16)).heads
        == rec.heads
    )
    vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
    br.messages.add(vote)
    assert br.store_and_forward.for_peer() == [vote.id]


class _EndingLink:
    """A Reticulum link that comes up and is closed by the peer when told."""

    mtu = 383

    def __init__(self) -> None:
        self.closed = anyio.Event()

    def airtime(self, nbytes: int) -> float:
        return 0.0

    async def send(self, frame: bytes) -> None:
        pass

    async def receive(self) -> bytes:
        await self.closed.wait()
        raise LinkClosed("Reticulum link ended: the destination closed it")

    def link_state(self) -> LinkState:
        return LinkState.DOWN if self.closed.is_set() else LinkState.UP

    def statistics(self) -> LinkStatistics:
        return LinkStatistics(0, 0, 0, 0, 0.0, 0)

    async def aclose(self) -> None:
        self.closed.set()


class _Relay:
    """Takes deposits as a propagation node would, and records them."""

    def __init__(self) -> None:
        self.deposits: list[tuple[float, list[bytes]]] = []

    async def deposit(self, to: Any, node: bytes, bundles: list[bytes], **_: Any) -> None:
        self.deposits.append((anyio.current_time(), bundles))


def test_when_the_link_ends_the_peer_is_deposited_for_and_the_link_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge_module, "RETRY_FIRST", 0.05)
    sc, p = scenario(("ana", "bea"))
    key = lxmf_relay.public_identity(bytes(range(64)))
    radio = Radio(
        "reticulum",
        "test",
        config_dir=str(tmp_path),
        peer=bytes(16),
        propagation_node=bytes(range(16)),
        deposit_every=0.4,
        link_timeout=0.2,
    )
    br = Bridge(BridgeConfig("http://127.0.0.1:9", sc.body, radio))
    br.store_and_forward = StoreAndForward(
        br,
        _Relay(),
        "00" * 16,
        peer_state=lxmf_relay.PeerState(tmp_path / "identity.peers.json"),
        peer_identity=key,
    )
    for m in sc.messages:
        br.messages.add(m)
    live = _EndingLink()
    attempts: list[float] = []

    async def connect_peer() -> Any:
        attempts.append(anyio.current_time())
        if len(attempts) == 1:
            return live
        raise BridgeError("no path to the Reticulum destination in time")

    br.connect_peer = connect_peer  # type: ignore[method-assign]

    async def main() -> None:
        with anyio.move_on_after(3.0):
            async with anyio.create_task_group() as tg:
                tg.start_soon(br.peer_links)
                await wait_until(lambda: br.linked, 2)
                await anyio.sleep(0.5)
                assert (
                    br.store_and_forward.relay.deposits == []
                )  # a live link: nothing is deposited
                ended = anyio.current_time()
                live.closed.set()  # the peer goes away
                await wait_until(lambda: len(br.store_and_forward.relay.deposits) == 1, 2)
                assert br.store_and_forward.relay.deposits[0][0] - ended >= radio.link_timeout
                vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
                br.messages.add(vote)  # the node accepts one meanwhile
                await wait_until(lambda: len(br.store_and_forward.relay.deposits) == 2, 2)
                (first_at, _), (second_at, (bundle,)) = br.store_and_forward.relay.deposits
                assert second_at - first_at >= radio.deposit_every - 0.01
                assert Bundle.decode_untrusted(bundle).messages == (vote.raw,)
                tg.cancel_scope.cancel()

    anyio.run(main)
    (_, whole), _ = br.store_and_forward.relay.deposits
    assert [m for b in whole for m in Bundle.decode_untrusted(b).messages] == [
        m.raw for m in sc.messages[:-1]
    ]
    assert len(attempts) >= 3  # the link is tried again and again, with back-off
    status = br.status()
    assert status["lxmf"]["bundles_deposited"] == 2 and status["link"]["state"] == "down"
    reasons = [d["reason"] for d in status["drops"]]
    assert any("the link to the peer ended: Reticulum link ended" in r for r in reasons), reasons
    assert f"; lxmf {len(sc.messages)} deposited, 0 collected" in bridge_module.log_line(status)
