"""Printable bulletins: render, print to an image, scan it back, verify and
import into a fresh node (identical log); a tampered code is rejected with a
clear reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from PIL import Image

from mesh.bulletin import make_bulletin
from node.config import Config
from node.ingest import Ingest, Status
from node.paper import scan_images
from node.store import Store
from protocol.errors import BadBulletinCode
from protocol.sneakernet import CODE_MAGIC as MAGIC
from protocol.sneakernet import messages_from_payloads
from protocol.testing import Scenario


def decided() -> Scenario:
    sc = Scenario(("ana", "bea", "cruz", "dev", "eli", "fede", "gala", "hugo"))
    p = sc.propose("ana", "Open the tool library", "Saturdays 10:00-14:00.")
    sc.comment("bea", p, "yes")
    sc.close(p)
    sc.votes(p, yes=["ana", "bea", "cruz", "dev", "eli", "fede", "gala", "hugo"])
    sc.close(p)
    sc.close(p)
    return sc


def test_bulletin_round_trip_through_a_printed_image(tmp_path: Path) -> None:
    sc = decided()
    b = make_bulletin(sc.log, title="Notice board")
    assert "Open the tool library" in b.html and "carried" in b.html and "data:image/png" in b.html
    assert len(b.payloads) >= 2  # several codes, read back in any order
    sheet = b.sheet()
    sheet.save(tmp_path / "board.png")
    body, raws, problems = messages_from_payloads(scan_images([tmp_path / "board.png"]))
    assert body == sc.body and problems == []
    cfg = Config(data_dir=tmp_path / "fresh")
    cfg.data_dir.mkdir()
    with Store(cfg.database) as store:
        ingest = Ingest(store)
        ingest.found(raws[0], origin="bulletin")
        outcomes = ingest.submit(body, raws[1:], origin="bulletin")
        assert all(o.status is Status.ACCEPTED for o in outcomes)
        assert ingest.bodies[body].log.state_hash() == sc.log.state_hash()


def test_a_tampered_code_is_rejected_with_a_reason(tmp_path: Path) -> None:
    sc = decided()
    b = make_bulletin(sc.log)
    forged = bytearray(b.payloads[0])
    forged[-5] ^= 0x01  # inside the last message's signature
    img = Image.open(io.BytesIO(_png(bytes(forged))))
    body, raws, _problems = messages_from_payloads(scan_images([img]))
    cfg = Config(data_dir=tmp_path / "n")
    cfg.data_dir.mkdir()
    with Store(cfg.database) as store:
        ingest = Ingest(store)
        ingest.found(raws[0], origin="bulletin")
        outcomes = ingest.submit(body, raws[1:], origin="bulletin")
        assert outcomes[-1].status is Status.REJECTED and outcomes[-1].code == "bad_signature"
    with pytest.raises(BadBulletinCode, match="no readable"):
        messages_from_payloads([b"not ours", MAGIC + b"\xc1"])


def _png(payload: bytes) -> bytes:
    buf = io.BytesIO()
    segno.make(payload, error="l", mode="byte", micro=False).save(
        buf, kind="png", scale=4, border=4
    )
    return buf.getvalue()


def test_bulletin_and_scan_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from node.cli import main
    from node.config import render

    sc = decided()
    src = Config(data_dir=tmp_path / "src")
    (tmp_path / "src.toml").write_text(render(src))
    src.data_dir.mkdir()
    with Store(src.database) as store:
        ingest = Ingest(store)
        ingest.found(sc.messages[0].raw, origin="t")
        ingest.submit(sc.body, [m.raw for m in sc.messages[1:]], origin="t")
    assert (
        main(
            [
                "mesh",
                "bulletin",
                "--config",
                str(tmp_path / "src.toml"),
                "--body",
                sc.body.hex(),
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert (tmp_path / "out" / "bulletin.html").exists()
    dst = Config(data_dir=tmp_path / "dst")
    (tmp_path / "dst.toml").write_text(render(dst))
    assert (
        main(
            [
                "mesh",
                "scan",
                str(tmp_path / "out" / "board.png"),
                "--config",
                str(tmp_path / "dst.toml"),
            ]
        )
        == 0
    )
    assert "0 rejected" in capsys.readouterr().out
    # the node's own bulletin scanned back into it: nothing new, nothing rejected
    assert (
        main(
            [
                "mesh",
                "scan",
                str(tmp_path / "out" / "board.png"),
                "--config",
                str(tmp_path / "src.toml"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert " 0 new, 0 rejected" in out and "genesis" not in out
