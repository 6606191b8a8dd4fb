"""The members' page in real headless Chromium (Debian's ``chromium``,
driven by Playwright) against a real node on 127.0.0.1 (``python -m node
run`` in a subprocess, founded with zero deadlines so any member closes a
stage at once).

Two founders, Ana and Bea, restore the keystores ``caracol`` made into two
browser contexts and take one proposal through the whole process: the
discussion with a reply, a temperature check that does not pass, a
grievance round with a category delegate and a plea, a friendly amendment
edited concurrently in both browsers (both edits survive), the final vote,
an implementation mandate and its recall. Beside it: a key backed up in one
profile and restored in a fresh one (and read by ``caracol``), an action
signed offline and sent on reconnect (counted once), the Spanish interface,
an axe-core accessibility check, and a screenshot of each main screen at
360 × 740 in ``tests/web/screenshots/`` (kept as a CI artefact, ignored by
git).
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.node.live_node import ROOT, LiveNode, founded
from tests.node.test_cli import ENV

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASS = ENV["CARACOL_PASSPHRASE"]
WAIT = 20_000  # ms: the longest any one step may take on a loaded machine

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


Node = LiveNode


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    n = LiveNode(tmp_path_factory.mktemp("page"))
    with founded(n, ("ana", "bea", "cruz"), {"ana": "Ana", "bea": "Bea"}) as live:
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


class Member:
    """One browser context: a member's phone."""

    def __init__(self, browser: Any, node: Node, locale: str = "en-GB", **extra: Any) -> None:
        self.node = node
        self.ctx = browser.new_context(
            viewport={"width": 360, "height": 740}, locale=locale, accept_downloads=True, **extra
        )
        self.ctx.set_default_timeout(WAIT)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.node.url}/{hash_}")
        self.page.wait_for_selector("body[data-ready='1']")

    def go(self, hash_: str) -> None:
        """Follow an in-page link, and wait until that screen is drawn."""
        self.page.evaluate("h => { location.hash = h; }", hash_)
        self.page.wait_for_function("h => location.hash === h", arg=hash_)
        self.settle()

    def settle(self) -> None:
        """Wait until queued screen draws are done."""
        self.page.wait_for_function(
            "() => document.title !== 'Caracol' && !document.querySelector('main [data-i18n=loading]')"
        )
        self.page.evaluate("() => import('/web/app.js').then(m => m.route())")

    def restore(self, keystore: Path) -> str:
        self.open("#/key")
        self.page.set_input_files("input[type=file]", str(keystore))
        self.page.fill("input[type=password]", PASS)
        self.page.locator("main form:has(input[type=file]) button[type=submit]").click()
        self.page.wait_for_selector("#key-text")
        return self.page.inner_text("#key-text")

    def act(self, do: Any, expect: str = "Done.") -> str:
        """Do something that signs a message; return what the live region
        then announces (by default it must say the process took it)."""
        self.page.evaluate("() => { document.getElementById('status').textContent = ''; }")
        do()
        self.page.wait_for_function("() => document.getElementById('status').textContent !== ''")
        said = self.page.inner_text("#status")
        assert expect in said, said
        self.settle()
        return said

    def button(self, name: str, within: Any = None) -> Any:
        return (within or self.page).get_by_role("button", name=name, exact=True)

    def close_stage(self) -> None:
        """Close the open stage (as facilitator, or by co-signing)."""
        b = self.page.locator("#actions button", has_text=re.compile("los(e|ing) this stage")).first
        if not b.count():
            print("DEBUG", self.page.url, self.page.inner_text("main")[:2500], self.errors)
        self.act(b.click)

    def stage(self) -> str:
        return self.page.locator("main p.muted .stage").first.inner_text()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert not self.errors, self.errors
        self.ctx.close()


def test_page_is_served_and_loads_without_console_errors(node: Node, browser: Any) -> None:
    m = Member(browser, node)
    urls: list[str] = []
    m.page.on("request", lambda r: urls.append(r.url))
    m.open()
    assert m.page.locator("h1").inner_text() == "My key"
    assert m.page.locator("html").get_attribute("lang") == "en"
    # nothing from another origin: every request went to the node
    assert urls and all(u.startswith(node.url + "/") for u in urls), urls
    m.shot("key")
    m.close()


def test_two_members_take_one_proposal_through_the_whole_process(node: Node, browser: Any) -> None:
    ana, bea = Member(browser, node), Member(browser, node)
    assert ana.restore(node.cwd / "ana.key") == node.keys["ana"]
    assert bea.restore(node.cwd / "bea.key") == node.keys["bea"]
    bea.act(lambda: (bea.page.fill("#main input[autocomplete=name]", "Bea Ruiz"),
                     bea.button("Publish my name").click()))  # fmt: skip

    # Ana proposes
    ana.go("#/proposals")
    form = ana.page.locator("form", has_text="New proposal")
    form.get_by_label("Title").fill("Night market")
    form.get_by_label("Text").fill("Stalls open on Fridays.\nMusic until midnight.")
    ana.act(lambda: ana.button("Propose").click())
    link = ana.page.get_by_role("link", name="Night market")
    pid = link.get_attribute("href").split("/")[-1]  # type: ignore[union-attr]
    ana.shot("proposals")

    # discussion: Bea comments (opposed), Ana replies
    bea.go(f"#/p/{pid}")
    assert "Ana" in bea.page.inner_text("main")  # people by name, never hex
    c = bea.page.locator("form", has_text="Add to the discussion")
    c.get_by_label("Your comment").fill("Too loud for the old people.")
    c.get_by_label("Your stance").select_option("oppose")
    bea.act(lambda: bea.button("Comment").click())
    ana.go(f"#/p/{pid}")
    ana.page.locator("details summary", has_text="Reply").first.click()
    reply = ana.page.locator("form.reply").first
    reply.get_by_label("Your reply").fill("Until ten, then?")
    ana.act(lambda: ana.button("Reply", within=reply).click())
    assert "Until ten, then?" in ana.page.locator("li.comment li.comment").inner_text()
    ana.close_stage()
    assert ana.stage() == "Temperature check"

    # temperature: both against, so it does not pass and both hold grievances
    for m in (ana, bea):
        m.go(f"#/p/{pid}")
        m.act(lambda m=m: m.button("Against", within=m.page.locator("#actions")).click())
    ana.close_stage()
    assert ana.stage() == "Concerns"
    for m, what in ((ana, "late music"), (bea, "noise")):
        m.go(f"#/p/{pid}")
        g = m.page.locator("form", has_text="File a grievance")
        g.get_by_label("Category").fill("noise")
        g.get_by_label("What is wrong").fill(what)
        m.act(lambda m=m: m.button("File the grievance").click())
    ana.close_stage()
    assert ana.stage() == "Grievance round"
    ana.shot("proposal")

    # the category delegate: both elect Bea; Bea pleads
    for m in (ana, bea):
        m.go(f"#/p/{pid}")
        card = m.page.locator(".card", has=m.page.locator("h3", has_text="noise")).first
        card.get_by_label("Delegate for this category").select_option(label="Bea Ruiz")
        m.act(lambda m=m, card=card: m.button("Elect", within=card).click())
    bea.go(f"#/p/{pid}")
    assert "Votes so far: Bea Ruiz 2" in bea.page.inner_text("main")
    bea.page.get_by_label("Your plea, as this category's delegate").fill("End the music at ten.")
    bea.act(lambda: bea.button("Make the plea").click())

    # a friendly amendment edited concurrently: both open the editor on the
    # same text, each changes a different line, both submit
    for m in (ana, bea):
        m.go(f"#/p/{pid}")
    ana_text = ana.page.locator("#amend-form textarea")
    bea_text = bea.page.locator("#amend-form textarea")
    assert ana_text.input_value() == bea_text.input_value()
    ana_text.fill("Stalls open on Fridays and Saturdays.\nMusic until midnight.")
    bea_text.fill("Stalls open on Fridays.\nMusic until ten.")
    ana.page.locator("#amend-form").get_by_label("Why (optional)").fill("more days")
    ana.act(lambda: ana.button("Propose the amendment").click())
    bea.act(lambda: bea.button("Propose the amendment").click())
    for m in (ana, bea):
        m.go(f"#/p/{pid}")
        for item in m.page.locator("#amendments li.card").all():
            m.act(lambda m=m, item=item: m.button("For", within=item).click())
    ana.go(f"#/p/{pid}")
    assert ana.page.locator("#amendments ins").count() >= 2
    ana.close_stage()
    ana.go(f"#/p/{pid}")
    assert "Category delegate: Bea Ruiz" in ana.page.inner_text("main")
    text = node.get(f"proposals/{pid}")["text"]
    assert text == "Stalls open on Fridays and Saturdays.\nMusic until ten.", text
    ana.go(f"#/p/{pid}")
    assert ana.page.locator("#proposal-text ins").count() >= 2  # shown as changes
    assert ana.page.locator("#proposal-text del").count() >= 1

    # the support check: Bea still against, so it goes to the final vote
    assert ana.stage() == "Support check"
    for m, choice in ((ana, "For"), (bea, "Against")):
        m.go(f"#/p/{pid}")
        m.act(lambda m=m, c=choice: m.button(c, within=m.page.locator("#actions")).click())
    ana.close_stage()
    assert ana.stage() == "Final vote"
    for m in (ana, bea):
        m.go(f"#/p/{pid}")
        m.act(lambda m=m: m.button("For", within=m.page.locator("#actions")).click())
    ana.close_stage()
    assert ana.stage() == "Planning"
    ana.close_stage()
    assert ana.stage() == "Carried"
    assert "Verdict: passed" in ana.page.inner_text("main")
    ana.page.locator("details summary", has_text="Minutes").click()
    assert "Night market" in ana.page.inner_text("pre.minutes")

    # an implementation mandate: Ana nominates Bea, both elect, both recall
    f = ana.page.locator("form", has_text="Nominate an implementation delegate")
    f.get_by_label("Delegate").select_option(label="Bea Ruiz")
    f.get_by_label("Scope of the mandate").fill("Book the square with the council")
    f.get_by_label("Days until it expires").fill("20")
    ana.act(lambda: ana.button("Nominate").click())
    for m in (ana, bea):
        m.go("#/mandates")
        m.act(lambda m=m: m.button("For").first.click())
    ana.go("#/mandates")
    ana.close_stage_button = ana.page.get_by_role("button", name="Close this stage")
    if ana.close_stage_button.count() == 0:
        ana.close_stage_button = ana.page.get_by_role("button", name="Co-sign closing this stage")
    ana.act(ana.close_stage_button.first.click)
    assert "in force" in ana.page.inner_text("main")
    assert "Book the square with the council" in ana.page.inner_text("main")
    ana.shot("mandates")
    # the recall: Ana's vote is half the members, the recall threshold
    group = ana.page.get_by_role("group", name="Recall Bea Ruiz")
    ana.act(lambda: ana.button("For", within=group).click())
    bea.go("#/mandates")
    assert bea.page.get_by_role("group", name="Recall Bea Ruiz").count() == 0
    ana.go("#/mandates")
    assert "recalled" in ana.page.inner_text("main")
    (mandate,) = node.get("mandates")["mandates"]
    assert mandate["status"] == "recalled" and mandate["delegate"]["name"] == "Bea Ruiz"
    for m in (ana, bea):
        m.close()


def test_admit_a_newcomer_from_the_page(node: Node, browser: Any) -> None:
    newcomer = Member(browser, node)
    newcomer.open()
    newcomer.page.get_by_role("button", name="Create my key").click()
    key = newcomer.page.inner_text("#key-text")
    assert "not a member" in newcomer.page.inner_text("main")
    ana = Member(browser, node)
    ana.restore(node.cwd / "ana.key")
    ana.go("#/people")
    form = ana.page.locator("form", has_text="Admit a newcomer")
    form.get_by_label("Their key text").fill(key)
    form.get_by_label("Their name").fill("Dani")
    ana.act(lambda: ana.button("Move to admit").click())
    ana.shot("people")
    motion = ana.page.locator("li.card", has_text="Admit Dani")
    ana.act(lambda: ana.button("For", within=motion).click())
    bea = Member(browser, node)
    bea.restore(node.cwd / "bea.key")
    bea.go("#/people")
    motion = bea.page.locator("li.card", has_text="Admit Dani")
    bea.act(lambda: bea.button("For", within=motion).click())
    ana.go("#/people")
    motion = ana.page.locator("li.card", has_text="Admit Dani")
    ana.act(motion.get_by_role("button", name=re.compile("los(e|ing) this stage")).first.click)
    newcomer.go("#/key")
    assert "You are a member as Dani" in newcomer.page.inner_text("main")
    # Dani moves her membership to a new key: same person, same name
    newcomer.go("#/people")
    newcomer.page.once("dialog", lambda d: d.accept())
    newcomer.button("Move to a new key").click()
    newcomer.page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('moved to a new key')"
    )
    newcomer.page.wait_for_function("() => location.hash === '#/key'")
    newcomer.settle()
    rotated = newcomer.page.inner_text("#key-text")
    assert rotated != key and "You are a member as Dani" in newcomer.page.inner_text("main")
    (dani,) = [p for p in node.get("people")["people"] if p["name"] == "Dani"]
    assert dani["member"] and dani["key"] != dani["identity"]
    for m in (newcomer, ana, bea):
        m.close()


def test_key_backed_up_in_one_profile_restored_in_another(
    node: Node, browser: Any, tmp_path: Path
) -> None:
    one = Member(browser, node)
    one.open()
    one.page.get_by_role("button", name="Create my key").click()
    key = one.page.inner_text("#key-text")
    one.page.get_by_label("Passphrase (at least 8 characters)").fill("a long passphrase")
    one.page.get_by_label("The passphrase again").fill("a long passphrase")
    with one.page.expect_download(timeout=60_000) as d:
        one.button("Download the backup").click()
    backup = tmp_path / "backup.key"
    d.value.save_as(backup)
    one.close()
    # caracol reads the page's backup (once only its owner may read it, as
    # caracol asks of every keystore)
    backup.chmod(0o600)
    assert node.ok("key", "show", "--keystore", str(backup)).split()[-1] == key
    two = Member(browser, node)  # a fresh profile
    two.open("#/key")
    two.page.set_input_files("input[type=file]", str(backup))
    two.page.fill("input[type=password]", "not the passphrase")
    two.act(lambda: two.button("Restore").click(), expect="Could not restore")
    two.page.set_input_files("input[type=file]", str(backup))
    two.page.fill("input[type=password]", "a long passphrase")
    two.button("Restore").click()
    two.page.wait_for_selector("#key-text")
    assert two.page.inner_text("#key-text") == key
    two.close()


def test_an_action_signed_offline_is_sent_on_reconnect_once(node: Node, browser: Any) -> None:
    ana = Member(browser, node)
    ana.restore(node.cwd / "ana.key")
    ana.go("#/proposals")
    form = ana.page.locator("form", has_text="New proposal")
    form.get_by_label("Title").fill("Bike racks")
    form.get_by_label("Text").fill("Two racks by the school.")
    before = len(node.get("proposals")["proposals"])
    posted: list[bytes] = []
    ana.page.on(
        "request",
        lambda r: posted.append(r.post_data_buffer or b"") if r.method == "POST" else None,
    )
    ana.ctx.set_offline(True)
    ana.act(lambda: ana.button("Propose").click(), expect="kept on this device")
    assert "Offline" in ana.page.inner_text("#conn")
    assert len(node.get("proposals")["proposals"]) == before
    ana.ctx.set_offline(False)
    ana.page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('waiting message')"
    )
    titles = [p["title"] for p in node.get("proposals")["proposals"]]
    assert titles.count("Bike racks") == 1
    # sending the same signed bytes again never doubles it
    req = urllib.request.Request(
        f"{node.url}/v0/bodies/{node.body}/messages",
        data=posted[-1],
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.load(r)["results"][0]["status"] == "duplicate"
    assert [p["title"] for p in node.get("proposals")["proposals"]].count("Bike racks") == 1
    ana.close()


def test_spanish_interface_and_switching_language(node: Node, browser: Any) -> None:
    m = Member(browser, node, locale="es-ES")
    m.open()
    assert m.page.locator("html").get_attribute("lang") == "es"
    assert m.page.locator("h1").inner_text() == "Mi clave"
    assert m.page.get_by_role("navigation").inner_text().split() == [
        "Propuestas", "Miembros", "Delegados", "Constitución", "Mi", "clave",
    ]  # fmt: skip
    m.restore(node.cwd / "bea.key")
    m.go("#/constitution")
    assert "Quórum" in m.page.inner_text("main")
    # the people's constitution: its articles, and the federal parameters
    # are no longer offered to the body's own amendment
    main = m.page.inner_text("main")
    assert "La constitución del pueblo, versión 1" in main
    assert "Artículo 6. Restorative justice" in main
    offered = m.page.locator("form select option").all_inner_texts()
    assert offered and "Quórum" in offered
    assert not any("constituyente" in o for o in offered)
    m.shot("constitucion")
    m.page.select_option("#lang", "en")
    m.page.wait_for_function("() => document.documentElement.lang === 'en'")
    m.settle()
    assert m.page.locator("h1").inner_text() == "Constitution"
    m.close()


def test_no_serious_or_critical_accessibility_violation(node: Node, browser: Any) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/setup installs node_modules)")
    m = Member(browser, node, bypass_csp=True)  # the page's CSP forbids the injected script
    m.restore(node.cwd / "ana.key")
    source = AXE.read_text()
    m.go("#/proposals")
    if not m.page.locator("main h2 a").count():  # run alone: give it a proposal to check
        form = m.page.locator("form", has_text="New proposal")
        form.get_by_label("Title").fill("Shade trees")
        form.get_by_label("Text").fill("Plant ten trees.")
        m.act(lambda: m.button("Propose").click())
    found = {}
    for screen in ("#/proposals", "#/people", "#/mandates", "#/constitution", "#/key", "#/kiosk"):
        m.go(screen)
        links = m.page.locator("main h2 a")
        if screen == "#/proposals" and links.count():  # one proposal's page too
            m.go(links.first.get_attribute("href") or screen)
        m.page.evaluate(source)
        result = m.page.evaluate(
            "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            found[screen] = bad
    assert not found, found
    m.close()


def test_the_page_keeps_keys_on_the_device(node: Node, browser: Any) -> None:
    """Nothing the page sends carries the seed: every POST is a signed
    message, and the seed lives in IndexedDB only."""
    m = Member(browser, node)
    sent: list[bytes] = []
    m.page.on(
        "request", lambda r: sent.append(r.post_data_buffer or b"") if r.method == "POST" else None
    )
    m.restore(node.cwd / "ana.key")
    seed = bytes(
        m.page.evaluate("async () => Array.from((await import('/web/net.js')).state.seed)")
    )
    m.go("#/key")
    m.act(lambda: (m.page.fill("#main input[autocomplete=name]", "Ana María"),
                   m.button("Publish my name").click()))  # fmt: skip
    assert sent and all(seed not in body for body in sent)
    assert not m.page.evaluate("() => document.cookie")
    m.close()
