"""``caracol demo`` shows the page: a newcomer opens Barrio Sur's page,
restores one of the printed key files with the printed passphrase, and acts
as that member (real demo federation in a subprocess, real Chromium)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.commands.demo import DEMO_PASSPHRASE
from tests.web.test_page import CHROMIUM, FLAGS, ROOT, WAIT

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    out = tmp_path / "demo.out"
    with out.open("wb") as f:
        proc = subprocess.Popen(
            [sys.executable, "-m", "node", "demo", "--dir", str(tmp_path / "d")],
            cwd=ROOT,
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops them." not in out.read_text():
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        yield out.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_a_newcomer_acts_as_a_demo_member_on_the_page(demo: str) -> None:
    (sur,) = re.findall(r"^\s+sur\s+(http://127\.0\.0\.1:\d+)/$", demo, re.M)
    sara = next(line.strip() for line in demo.splitlines() if line.strip().endswith("sara.key"))
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = b.new_context(viewport={"width": 360, "height": 740}, locale="es-ES").new_page()
            page.set_default_timeout(WAIT)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{sur}/#/key")
            page.wait_for_selector("body[data-ready='1']")
            page.set_input_files("input[type=file]", sara)
            page.fill("input[type=password]", DEMO_PASSPHRASE)
            page.get_by_role("button", name="Recuperar").click()
            page.wait_for_selector("#key-text")
            assert "Eres miembro como Sara" in page.inner_text("main")
            assert page.inner_text("#body-name") == "Barrio Sur"  # not the Municipality
            page.get_by_role("link", name="Propuestas").click()
            # the Municipality's resolution Barrio Sur decided, and its verdict
            page.get_by_role("link", name="Rain cisterns").click()
            page.wait_for_selector("text=Una resolución de Municipality of Valle")
            assert "Veredicto: aprobada" in page.inner_text("main")
            # a carried resolution not taken up yet: Sara presents it
            page.get_by_role("link", name="Propuestas").click()
            higher = page.locator("section", has_text="De Municipality of Valle")
            higher.get_by_role("button", name="Presentarla aquí").click()
            page.wait_for_selector("main h2 a:text('A tool library')")
            page.get_by_role("link", name="A tool library").click()
            page.wait_for_selector("text=Una resolución de Municipality of Valle")
            page.get_by_role("link", name="Propuestas").click()
            page.get_by_role("link", name="A Saturday market").click()
            page.get_by_label("Tu comentario").fill("¡Me parece bien!")
            page.get_by_role("button", name="Comentar", exact=True).click()
            page.wait_for_function(
                "() => document.getElementById('status').textContent.includes('Hecho')"
            )
            page.wait_for_selector("text=¡Me parece bien!")
            shots = Path(__file__).resolve().parent / "screenshots"
            shots.mkdir(exist_ok=True)
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(shots / "demo-propuesta.png"))
            page.get_by_role("link", name="Propuestas").click()
            page.wait_for_selector("main ul.list")
            page.screenshot(path=str(shots / "demo-propuestas.png"))
            assert not errors, errors
        finally:
            b.close()
