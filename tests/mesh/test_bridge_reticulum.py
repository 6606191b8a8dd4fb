"""`caracol mesh bridge --reticulum`: two real nodes, each bridged by its own
`caracol mesh bridge` process (one Reticulum instance per process, TCP
interfaces on 127.0.0.1), one listening and one opening the link to the
destination it printed, exchange a vote; the status shows the link UP; when
the opening side restarts, the listener carries its new link.
A listener keeps its identity (and so its destination hash) across restarts,
and bad Reticulum or LXMF flags end the bridge with one clear line."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from bridge_world import nodes, post, scenario, status_of, wait_until
from rns_harness import Proc, free_port, processes

from mesh.bridge import BridgeError, load_bridge_identity
from mesh.reticulum import write_config
from node.cli import main
from protocol import kinds


def bridge_args(node_url: str, body: bytes, config: Path, *how: str) -> list[str]:
    args = ["-m", "node.cli", "mesh", "bridge", "--node", node_url, "--body", body.hex()]
    return [*args, "--reticulum", str(config), *how, "--status-port", "0"]


async def _exchange(tmp: Path) -> None:
    sc, p = scenario(("ana", "bea", "cruz"))
    rns_port = free_port()
    write_config(tmp / "rns-a", listen_port=rns_port)
    write_config(tmp / "rns-b", connect_port=rns_port)
    async with nodes(tmp, sc) as (a, b):
        with processes() as procs:
            listening = Proc(bridge_args(a.url, sc.body, tmp / "rns-a", "--listen"))
            procs.append(listening)
            line = await anyio.to_thread.run_sync(listening.expect, "reticulum destination", 60)
            destination = line.split()[2].rstrip(":")
            opening = Proc(bridge_args(b.url, sc.body, tmp / "rns-b", "--peer", destination))
            procs.append(opening)
            line = await anyio.to_thread.run_sync(opening.expect, "bridging body", 90)
            url_b = line.rsplit(" ", 1)[1]
            vote = sc.post("bea", kinds.Vote(p, kinds.Choice.FOR))
            await post(a, sc.body, vote)
            log = b.ingest.bodies[sc.body].log  # type: ignore[union-attr]
            await wait_until(lambda: vote.id in log, 60)
            with anyio.fail_after(10):  # the count moves once the node's answer is back
                while True:
                    status = await status_of(url_b)
                    if status["messages"]["accepted"] >= 1:  # type: ignore[index]
                        break
                    await anyio.sleep(0.1)
            assert status["radio"]["kind"] == "reticulum"  # type: ignore[index]
            assert status["link"]["state"] == "up"  # type: ignore[index]
            # The opening side restarts: the listener carries its new link
            # (the old one is dead, though Reticulum would say so only later).
            opening.stop()
            again = Proc(bridge_args(b.url, sc.body, tmp / "rns-b", "--peer", destination))
            procs.append(again)
            await anyio.to_thread.run_sync(again.expect, "bridging body", 90)
            second = sc.post("cruz", kinds.Vote(p, kinds.Choice.AGAINST))
            await post(a, sc.body, second)
            await wait_until(lambda: second.id in log, 90)
            opened = [ln for ln in listening.out if ln.startswith("reticulum: a peer opened")]
            assert len(opened) == 2, listening.diagnostics()


def test_two_nodes_exchange_a_vote_over_reticulum(tmp_path: Path) -> None:
    asyncio.run(_exchange(tmp_path))


async def _restart(tmp: Path) -> None:
    sc, _ = scenario(("ana", "bea"))
    write_config(tmp / "rns", listen_port=free_port())
    async with nodes(tmp, sc, 1) as (node,):
        seen = []
        for _ in range(2):
            with processes() as procs:
                bridge = Proc(bridge_args(node.url, sc.body, tmp / "rns", "--listen"))
                procs.append(bridge)
                ident = await anyio.to_thread.run_sync(bridge.line, "reticulum identity", 30)
                line = await anyio.to_thread.run_sync(bridge.line, "reticulum destination", 30)
                up = await anyio.to_thread.run_sync(bridge.line, "bridging body", 30)
                status = await status_of(up.rsplit(" ", 1)[1])
                seen.append((line.split()[2].rstrip(":"), ident, status["reticulum"]))
        (dest, ident, rns), (dest2, ident2, rns2) = seen
        assert dest == dest2 and ident == ident2 and rns == rns2
        assert f"caracol.sync {dest}," in ident and rns["destination"] == dest  # type: ignore[index]
        path = tmp / "rns" / "identity"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_bridge_identity(path).get_public_key().hex() in ident


def test_a_restarted_listener_keeps_its_destination_hash(tmp_path: Path) -> None:
    asyncio.run(_restart(tmp_path))


def test_an_identity_file_that_is_not_one_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "identity"
    bad.write_text("not a key\n")
    with pytest.raises(BridgeError, match=r"is not a Reticulum identity .* this one has 10 bytes"):
        load_bridge_identity(bad)
    with pytest.raises(BridgeError, match="--identity"):
        load_bridge_identity(tmp_path)  # a directory


BODY = "ab" * 32
NODE = "http://127.0.0.1:9"
KEY = "11" * 64


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--listen", "--identity", "IDENT"], "is not a Reticulum identity"),
        (["--listen", "--propagation-node", "00ff"], "an LXMF propagation node's destination"),
        (["--listen", "--propagation-node", "zz" * 16], "--propagation-node 'zz"),
        (["--peer-key", "00" * 32], "a Reticulum identity's public key has 128"),
        (["--peer-key", "nothex"], "--peer-key 'nothex' is not hex"),
        (["--listen", "--peer-key", KEY], "it does not go with --listen"),
        (["--peer", "00" * 16, "--peer-key", KEY], "is not the caracol.sync destination"),
        (["--listen", "--collect-every", "5"], "--collect-every applies with --propagation-node"),
        (
            ["--listen", "--propagation-node", "00" * 16, "--deposit-every", "5"],
            "--deposit-every applies to the side that deposits",
        ),
        (
            ["--peer-key", KEY, "--propagation-node", "00" * 16, "--link-timeout", "0"],
            "--link-timeout '0' must be between",
        ),
    ],
)
def test_bad_reticulum_and_lxmf_flags_are_named(
    tmp_path: Path, extra: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config").write_text("[reticulum]\n")
    (tmp_path / "bad-identity").write_bytes(b"short")
    argv = ["mesh", "bridge", "--node", NODE, "--body", BODY, "--reticulum", str(tmp_path)]
    extra = [str(tmp_path / "bad-identity") if a == "IDENT" else a for a in extra]
    try:
        rc = main([*argv, *extra])
    except SystemExit as exc:
        rc = int(exc.code or 0)
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "caracol mesh: " in err and expected in err, err
    assert "Traceback" not in err


def test_propagation_without_reticulum_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mesh", "bridge", "--node", NODE, "--body", BODY, "--kiss", "h:1"]
    assert main([*argv, "--propagation-node", "00" * 16]) == 1
    err = capsys.readouterr().err
    assert "caracol mesh: --propagation-node needs --reticulum CONFIGDIR" in err, err
