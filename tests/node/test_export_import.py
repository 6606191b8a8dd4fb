"""`caracol export` / `caracol import`: a signed log file round trip onto a
fresh node gives the identical log; an incremental export carries only what
the other side lacks; a tampered file is rejected message by message."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.cli import main
from node.config import Config, render
from node.ingest import Ingest
from node.store import Store
from protocol.testing import Scenario


def node(tmp: Path, name: str, sc: Scenario | None = None) -> Path:
    cfg = Config(data_dir=tmp / name)
    path = tmp / f"{name}.toml"
    path.write_text(render(cfg))
    if sc is not None:
        cfg.data_dir.mkdir()
        with Store(cfg.database) as store:
            ingest = Ingest(store)
            ingest.found(sc.messages[0].raw, origin="test")
            ingest.submit(sc.body, [m.raw for m in sc.messages[1:]], origin="test")
    return path


def state(tmp: Path, name: str, body: bytes) -> bytes:
    with Store(tmp / name / "caracol.sqlite3") as store:
        ingest = Ingest(store)
        ingest.load()
        return ingest.body(body).log.state_hash()


def test_round_trip_incremental_and_tampered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = Scenario()
    p = sc.propose("ana")
    sc.close(p)
    a = node(tmp_path, "a", sc)
    b = node(tmp_path, "b")
    assert (
        main(
            [
                "export",
                "--config",
                str(a),
                "--body",
                sc.body.hex(),
                "--out",
                str(tmp_path / "all.bin"),
            ]
        )
        == 0
    )
    assert main(["import", str(tmp_path / "all.bin"), "--config", str(b)]) == 0
    assert state(tmp_path, "a", sc.body) == state(tmp_path, "b", sc.body)
    heads = ",".join(h.hex() for h in sc.log.heads())
    sc.votes(p, yes=["ana", "bea"])
    a2 = node(tmp_path, "a2", sc)
    out = tmp_path / "new.bin"
    assert (
        main(
            [
                "export",
                "--config",
                str(a2),
                "--body",
                sc.body.hex(),
                "--out",
                str(out),
                "--since",
                heads,
            ]
        )
        == 0
    )
    assert "wrote 2 messages" in capsys.readouterr().out
    assert main(["import", str(out), "--config", str(b)]) == 0
    assert state(tmp_path, "a2", sc.body) == state(tmp_path, "b", sc.body)
    data = bytearray((tmp_path / "all.bin").read_bytes())
    data[-10] ^= 1
    (tmp_path / "bad.bin").write_bytes(bytes(data))
    c = node(tmp_path, "c")
    assert main(["import", str(tmp_path / "bad.bin"), "--config", str(c)]) == 1
    assert "rejected bad_signature" in capsys.readouterr().out
    (tmp_path / "junk.bin").write_bytes(b"junk")
    assert main(["import", str(tmp_path / "junk.bin"), "--config", str(c)]) == 1


def test_bundles_carry_heads_and_an_integrity_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = Scenario()
    p = sc.propose("ana")
    sc.close(p)
    a = node(tmp_path, "a", sc)
    b = node(tmp_path, "b")
    out = tmp_path / "usb.bundle"
    assert (
        main(["export", "--config", str(a), "--body", sc.body.hex(), "--out", str(out), "--bundle"])
        == 0
    )
    assert main(["import", str(out), "--config", str(b)]) == 0
    assert "its writer's heads" in capsys.readouterr().out
    assert state(tmp_path, "a", sc.body) == state(tmp_path, "b", sc.body)
    data = out.read_bytes()
    (tmp_path / "cut.bundle").write_bytes(data[:-400] + data[-34:])  # a message lost in the copy
    c = node(tmp_path, "c")
    assert main(["import", str(tmp_path / "cut.bundle"), "--config", str(c)]) == 1
    err = capsys.readouterr().err
    assert "integrity" in err or "not a Caracol bundle" in err


def test_a_courier_round_trip_carries_only_what_each_side_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writes a bundle; B imports it, adds its own votes, and writes back
    only what A lacks, taking A's heads from A's bundle (--since-bundle)."""
    from protocol.kinds import Choice, Vote
    from protocol.sneakernet import Bundle

    sc = Scenario()
    p = sc.propose("ana")
    a = node(tmp_path, "a", sc)
    b = node(tmp_path, "b")
    there = tmp_path / "to-b.bundle"
    body = sc.body.hex()
    assert (
        main(["export", "--config", str(a), "--body", body, "--out", str(there), "--bundle"]) == 0
    )
    assert main(["import", str(there), "--config", str(b)]) == 0
    votes = [sc.post(name, Vote(p, Choice.FOR), parents=[p]) for name in ("bea", "cruz")]
    with Store(tmp_path / "b" / "caracol.sqlite3") as store:
        ingest = Ingest(store)
        ingest.load()
        ingest.submit(sc.body, [v.raw for v in votes], origin="members at b")
    back = tmp_path / "to-a.bundle"
    args = ["export", "--config", str(b), "--body", body, "--out", str(back), "--bundle"]
    assert main([*args, "--since-bundle", str(there)]) == 0
    assert {m for m in Bundle.decode_untrusted(back.read_bytes()).messages} == {
        v.raw for v in votes
    }
    assert main(["import", str(back), "--config", str(a)]) == 0
    assert state(tmp_path, "a", sc.body) == state(tmp_path, "b", sc.body) == sc.log.state_hash()
    capsys.readouterr()
    other = Scenario(("zoe",))
    elsewhere = tmp_path / "other.bundle"
    elsewhere.write_bytes(Bundle(other.body, (other.body,), (other.messages[0].raw,)).encode())
    assert main([*args, "--since-bundle", str(elsewhere)]) == 1
    assert "is a bundle of body" in capsys.readouterr().err


def test_import_into_a_running_node_goes_through_its_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One writer per store (spec/node.md): beside a running node, ``caracol
    import`` submits through the node's API, so the messages are live at
    once; the store itself refuses a second writer, while readers (export,
    status) still open it."""
    import asyncio
    import urllib.request

    from node.errors import StoreLocked
    from node.runtime import NodeRuntime

    sc = Scenario()
    p = sc.propose("ana")
    a = node(tmp_path, "a", sc)
    out = tmp_path / "all.bin"
    assert main(["export", "--config", str(a), "--body", sc.body.hex(), "--out", str(out)]) == 0
    b_cfg = Config(data_dir=tmp_path / "b", listen_port=0)
    b = tmp_path / "b.toml"
    b.write_text(render(b_cfg))

    async def scenario() -> None:
        async with NodeRuntime(b_cfg) as rt:
            with pytest.raises(StoreLocked, match="one writer at a time"):
                Store(b_cfg.database)
            capsys.readouterr()
            code = await asyncio.to_thread(main, ["import", str(out), "--config", str(b)])
            err = capsys.readouterr().err
            assert code == 0, err
            assert f"submitting through its API at {rt.url}" in err
            # live at once: the running node serves the proposal, no restart
            url = f"{rt.url}/v0/bodies/{sc.body.hex()}/messages/{p.hex()}"
            with await asyncio.to_thread(urllib.request.urlopen, url) as r:
                assert r.status == 200
            # a reader opens the store beside the writer
            code = await asyncio.to_thread(
                main,
                [
                    "export",
                    "--config",
                    str(b),
                    "--body",
                    sc.body.hex(),
                    "--out",
                    str(tmp_path / "again.bin"),
                ],
            )
            assert code == 0
            assert (tmp_path / "again.bin").read_bytes() == out.read_bytes()
            assert (tmp_path / "b" / "node.url").read_text().strip() == rt.url
        assert not (tmp_path / "b" / "node.url").exists()  # removed at stop

    asyncio.run(scenario())
    # with no node running the import writes the store itself, under the lock, and says so
    assert main(["import", str(out), "--config", str(b)]) == 0
    assert "no node is running" in capsys.readouterr().err
