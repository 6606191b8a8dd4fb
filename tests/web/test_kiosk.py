"""Face-to-face on the page (issue 14): the facilitator records a hand
count whose witnesses sign with their printed key cards on the facilitator's
device, and a member without a phone votes at the shared device (kiosk)
with their card and PIN, after which the key is gone from the device. Real
node, cards printed by ``caracol card print``, real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.node.live_node import LiveNode, founded
from tests.node.test_cli import ENV
from tests.web.test_page import CHROMIUM, FLAGS, SHOTS, WAIT

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

PIN = "tortuga lima 4417"
NAMES = {"ana": "Ana", "bea": "Bea", "cruz": "Cruz", "dev": "Dev"}


class Room(LiveNode):
    def card(self, who: str) -> Path:
        """``who``'s key card, printed by ``caracol card print``."""
        out = self.cwd / "cards" / who
        if not (out / "card.png").exists():
            self.ok(
                "card", "print", "--keystore", f"{who}.key", "--name", NAMES[who],
                "--body", self.body, "--out", str(out), "--no-pdf",
            )  # fmt: skip
        return out / "card.png"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    n = Room(tmp_path_factory.mktemp("room"), env={"CARACOL_PIN": PIN})
    with founded(n, NAMES, NAMES) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    SHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def page_of(browser: Any, room: Room) -> tuple[Any, list[str]]:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    ctx.set_default_timeout(WAIT * 3)  # opening a card runs Argon2id at 64 MiB
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def show_card(kiosk: Any, room: Room, who: str, screenshot: str | None = None) -> None:
    """At the shared device: the photo of ``who``'s card, read."""
    kiosk.goto(f"{room.url}/#/kiosk")
    kiosk.wait_for_selector("body[data-ready='1']")
    if screenshot:
        kiosk.screenshot(path=str(SHOTS / screenshot), full_page=True)
    kiosk.get_by_label("Photo of the card").set_input_files(str(room.card(who)))
    kiosk.get_by_role("button", name="Read the card").click()
    kiosk.wait_for_selector(f"text=Card of {NAMES[who]}")


def said(page: Any, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('status').textContent.includes(t)", arg=text
    )


def test_a_hand_count_witnessed_with_cards_and_a_vote_at_the_kiosk(
    room: Room, browser: Any
) -> None:
    p = room.ok("member", "propose", "-q", "--keystore", "ana.key",
                     "--title", "Night market", "--text", "Stalls on Fridays.")  # fmt: skip
    name = room.get(f"proposals/{p}")["facilitator"]["name"]
    facilitator = next(m for m, n in NAMES.items() if n == name)
    room.ok("member", "close", "-q", "--keystore", f"{facilitator}.key", "--proposal", p)
    witnesses = [m for m in ("bea", "cruz", "dev") if m != facilitator]
    assert len(witnesses) == 2

    # the facilitator's phone: the counts, who is present, two witnesses' cards
    page, errors = page_of(browser, room)
    page.goto(f"{room.url}/#/key")
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("input[type=file]", str(room.cwd / f"{facilitator}.key"))
    page.fill("input[type=password]", ENV["CARACOL_PASSPHRASE"])
    page.get_by_role("button", name="Restore").click()
    page.wait_for_selector("#key-text")
    page.evaluate("h => { location.hash = h; }", f"#/p/{p}")
    form = page.locator("#hand-count")
    form.get_by_label("Hands for").fill("2")
    for w in witnesses:
        form.get_by_label(NAMES[w], exact=True).check()
    for w in witnesses:
        form.get_by_label("A witness's key card (photo)").set_input_files(str(room.card(w)))
        form.get_by_label("PIN").fill(PIN)
        form.get_by_role("button", name="Add this witness").click()
        said(page, f"{NAMES[w]} witnessed the count")
    assert form.get_by_label("Hands for").is_disabled()  # the record is fixed
    page.screenshot(path=str(SHOTS / "hand-count.png"), full_page=True)
    form.get_by_role("button", name="Sign the hand count").click()
    said(page, "Done.")
    minutes = "\n".join(room.get(f"proposals/{p}")["minutes"])
    assert "hand count attested by" in minutes
    assert all(NAMES[w] in minutes for w in witnesses)
    assert not errors, errors

    # the kiosk: Ana has no phone; a wrong PIN first, then her vote
    kiosk, kerrors = page_of(browser, room)
    show_card(kiosk, room, "ana", screenshot="kiosk.png")
    kiosk.get_by_label("PIN").fill("not her pin at all")
    kiosk.get_by_role("button", name="Open").click()
    said(kiosk, "wrong PIN")
    kiosk.get_by_label("PIN").fill(PIN)
    kiosk.get_by_role("button", name="Open").click()
    kiosk.wait_for_selector("text=Ana, what do you vote?")
    group = kiosk.get_by_role("group", name="Night market")
    group.get_by_role("button", name="For", exact=True).click()
    said(kiosk, "Your key was wiped")
    kiosk.wait_for_selector("text=Show your key card")
    view = room.get(f"proposals/{p}")
    assert view["tally"]["for"] == 1  # Ana's digital vote (the hands count at the close)
    # nothing of the key is kept on the shared device
    stored = kiosk.evaluate(
        """async () => { const s = await import('/web/store.js');
                         return [await s.getItem('seed'), (await s.outbox()).length]; }"""
    )
    assert stored == [None, 0]
    assert not kerrors, kerrors


def test_at_the_kiosk_a_member_who_voted_against_files_a_grievance(
    room: Room, browser: Any
) -> None:
    p = room.ok("member", "propose", "-q", "--keystore", "bea.key",
                     "--title", "Paint the hall", "--text", "Blue.")  # fmt: skip
    name = room.get(f"proposals/{p}")["facilitator"]["name"]
    fac = next(m for m, n in NAMES.items() if n == name)
    room.ok("member", "close", "-q", "--keystore", f"{fac}.key", "--proposal", p)
    room.ok("member", "vote", "-q", "--keystore", "bea.key", "--proposal", p,
                 "--choice", "for")  # fmt: skip

    def open_card(kiosk: Any) -> None:
        show_card(kiosk, room, "ana")
        kiosk.get_by_label("PIN").fill(PIN)
        kiosk.get_by_role("button", name="Open").click()
        kiosk.wait_for_selector("text=Ana, what do you vote?")

    kiosk, errors = page_of(browser, room)
    open_card(kiosk)
    group = kiosk.get_by_role("group", name="Paint the hall")
    group.get_by_role("button", name="Against", exact=True).click()
    said(kiosk, "Your key was wiped")
    room.ok("member", "close", "-q", "--keystore", f"{fac}.key", "--proposal", p)
    assert room.get(f"proposals/{p}")["stage"] == "concerns"
    open_card(kiosk)
    form = kiosk.locator("form", has_text="You voted against")
    form.get_by_label("Category").fill("colour")
    form.get_by_label("What is wrong").fill("Blue is too dark for the hall.")
    form.get_by_role("button", name="File the grievance").click()
    said(kiosk, "Your key was wiped")
    minutes = "\n".join(room.get(f"proposals/{p}")["minutes"])
    assert "files a grievance under “colour”" in minutes
    assert not errors, errors
