"""A bulletin printed for real: Chromium prints the notice to PDF, poppler
rasterises the page as a scanner would, and the codes scanned from it import
into a fresh node with an identical log. A notice too small for the whole
log carries whole decisions only, and says what it left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from crdt.log import Log
from mesh.bulletin import make_bulletin
from node.config import Config
from node.ingest import Ingest, Status
from node.paper import PaperError, print_pdf, scan_images
from node.store import Store
from protocol.assembly import Assembly
from protocol.sneakernet import messages_from_payloads
from protocol.testing import Scenario

MEMBERS = ("ana", "bea", "cruz", "dev", "eli", "fede", "gala", "hugo")


def two_decisions() -> tuple[Scenario, bytes, bytes]:
    sc = Scenario(MEMBERS)
    first = sc.propose("ana", "Open the tool library", "Saturdays 10:00-14:00.")
    sc.close(first)
    sc.votes(first, yes=list(MEMBERS))
    sc.close(first)
    sc.close(first)
    second = sc.propose("bea", "Paint the school", "Blue, in spring.")
    sc.close(second)
    sc.votes(second, yes=list(MEMBERS[:7]), no=["hugo"])
    sc.close(second)
    sc.close(second)
    return sc, first, second


def _import(tmp: Path, raws: list[bytes], body: bytes) -> Log:
    cfg = Config(data_dir=tmp)
    cfg.data_dir.mkdir()
    with Store(cfg.database) as store:
        ingest = Ingest(store)
        ingest.found(raws[0], origin="bulletin")
        outcomes = ingest.submit(body, raws[1:], origin="bulletin")
        assert all(o.status is Status.ACCEPTED for o in outcomes), outcomes
        return ingest.bodies[body].log


def test_a_bulletin_printed_to_pdf_scans_back_into_an_identical_log(tmp_path: Path) -> None:
    sc, _, _ = two_decisions()
    bulletin = make_bulletin(sc.log, title="Barrio Norte notice board")
    assert bulletin.omitted == 0
    html = tmp_path / "bulletin.html"
    html.write_text(bulletin.html)
    pdf = tmp_path / "bulletin.pdf"
    print_pdf(html, pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    payloads = scan_images([pdf])
    assert len(payloads) == len(bulletin.payloads)
    body, raws, problems = messages_from_payloads(payloads)
    assert body == sc.body and problems == []
    log = _import(tmp_path / "fresh", raws, body)
    assert log.state_hash() == sc.log.state_hash()


def test_a_small_notice_carries_whole_decisions_and_says_what_it_left_out(
    tmp_path: Path,
) -> None:
    sc, first, second = two_decisions()
    whole = make_bulletin(sc.log)
    first_cut = sc.log.causal_past(sc.assembly().subject(first).closes[-1][1])
    size = sum(len(sc.log.get(m).raw) for m in first_cut) + 2048
    small = make_bulletin(sc.log, max_bytes=size)
    assert small.omitted > 0 and len(small.payloads) < len(whole.payloads)
    assert f"{small.omitted} newer messages did not fit" in small.html
    body, raws, problems = messages_from_payloads(list(small.payloads))
    assert problems == []
    log = _import(tmp_path / "partial", raws, body)
    scanned = Assembly(body).fold(log)
    # the first decision came whole: its verdict re-derives exactly; the
    # second was left out entirely rather than carried half-way
    assert scanned.verdict(first) == sc.assembly().verdict(first)
    assert second not in log


def test_scanning_what_is_not_an_image_or_pdf_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a picture")
    with pytest.raises(PaperError, match="not an image"):
        scan_images([junk])
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4 truncated")
    with pytest.raises(PaperError, match="not a readable PDF"):
        scan_images([fake])


def test_printing_without_chromium_is_a_clear_local_error(tmp_path: Path) -> None:
    sc, _, _ = two_decisions()
    html = tmp_path / "b.html"
    html.write_text(make_bulletin(sc.log).html)
    with pytest.raises(PaperError, match=r"wrote no PDF|Chromium"):
        print_pdf(html, tmp_path / "b.pdf", chromium="/bin/false")


def test_the_bulletin_and_scan_commands_go_through_the_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from node.cli import main
    from node.config import render

    sc, _, _ = two_decisions()
    src = Config(data_dir=tmp_path / "src")
    (tmp_path / "src.toml").write_text(render(src))
    src.data_dir.mkdir()
    with Store(src.database) as store:
        ingest = Ingest(store)
        ingest.found(sc.messages[0].raw, origin="t")
        ingest.submit(sc.body, [m.raw for m in sc.messages[1:]], origin="t")
    out = tmp_path / "out"
    args = ["mesh", "bulletin", "--config", str(tmp_path / "src.toml"), "--out", str(out)]
    assert main([*args, "--body", sc.body.hex(), "--title", "Tablón"]) == 0
    assert "bulletin.pdf" in capsys.readouterr().out
    assert "Tablón" in (out / "bulletin.html").read_text()
    dst = Config(data_dir=tmp_path / "dst")
    (tmp_path / "dst.toml").write_text(render(dst))
    assert (
        main(["mesh", "scan", str(out / "bulletin.pdf"), "--config", str(tmp_path / "dst.toml")])
        == 0
    )
    assert "0 rejected" in capsys.readouterr().out
    with Store(dst.database) as store:
        ingest = Ingest(store)
        ingest.load()
        assert ingest.bodies[sc.body].log.state_hash() == sc.log.state_hash()
    # the codes without the first (the genesis) cannot found the body on a fresh node
    (tmp_path / "second.png").write_bytes(make_bulletin(sc.log).qr_pngs()[1])
    fresh = Config(data_dir=tmp_path / "fresh")
    (tmp_path / "fresh.toml").write_text(render(fresh))
    assert (
        main(
            ["mesh", "scan", str(tmp_path / "second.png"), "--config", str(tmp_path / "fresh.toml")]
        )
        == 1
    )
    assert "scan that code too" in capsys.readouterr().err
    assert main([*args, "--body", "00" * 32]) == 1
    assert "caracol mesh:" in capsys.readouterr().err


def test_a_bulletin_carries_the_whole_decision() -> None:
    """Issue 14: the text being decided with its amendments, the grievances
    by category and their delegates, each stage's tally, the roles and the
    minutes — not only titles and verdicts."""
    from node.commands.demo import _names, grievance_round, members_of

    sc = Scenario(("ana", *_names("n", 9)), name="Barrio Norte")
    p = sc.propose("ana", "Rain cisterns", "Every community keeps a rain cistern.")
    grievance_round(sc, p)
    page = make_bulletin(sc.log).html
    a = sc.assembly()
    s = a.subject(p)
    assert "Rain cisterns" in page and a.text(p) in page
    for (category, _), _items in a.grievances(p).items():
        assert category in page
    assert "<h3>Grievances</h3>" in page and "<h3>Stages</h3>" in page
    assert "<h3>Minutes</h3>" in page and "# Minutes: Rain cisterns" in page
    assert "Friendly amendments" in page
    assert f"facilitator {s.facilitator.hex()[:8]}" in page  # no NAME messages here
    assert all(r.stage.name.lower() in page for r in s.history)
    assert len(members_of(sc)) == 10
