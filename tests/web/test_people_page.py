"""The people's constitution on the members' page, in real headless
Chromium: a member of a Community whose node holds the federation above it
proposes an amendment from the constitution screen; it is signed on the
phone and lands in the Collective's log (spec/constitution.md: anyone may
propose one)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node import keyfile
from protocol.kinds import BodyKind, Founding
from protocol.testing import Scenario, seed_of
from tests.node.live_node import LiveNode, founded
from tests.web.test_page import CHROMIUM, PASS, Member, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


def _post(url: str, path: str, data: bytes, kind: str = "application/octet-stream") -> Any:
    req = urllib.request.Request(
        f"{url}{path}", data=data, headers={"Content-Type": kind}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.load(r)


def _get(url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{url}{path}", timeout=20) as r:
        return json.load(r)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveNode, Scenario, Path]]:
    n = LiveNode(tmp_path_factory.mktemp("people-page"))
    with founded(n, ("ana",), {"ana": "Ana"}) as live:
        top = Scenario(("c1", "c2"), body_kind=BodyKind.COLLECTIVE, name="Collective")
        region = Scenario(("r1", "r2"), body_kind=BodyKind.REGION, name="Sierra", parent=top.body)
        muni = Scenario(
            ("m1", "m2"), body_kind=BodyKind.MUNICIPALITY, name="Valle", parent=region.body
        )
        town = Scenario(("lia", "teo", "ume"), name="Alto", parent=muni.body)
        top.post("c1", Founding((region.body,)), parents=(top.body,))
        region.post("r1", Founding((muni.body,)), parents=(region.body,))
        muni.post("m1", Founding((town.body,)), parents=(muni.body,))
        for sc in (top, region, muni, town):
            _post(live.url, "/v0/bodies", sc.messages[0].raw)
            if len(sc.messages) > 1:
                doc = json.dumps({"messages": [m.raw.hex() for m in sc.messages[1:]]})
                _post(
                    live.url,
                    f"/v0/bodies/{sc.body.hex()}/messages",
                    doc.encode(),
                    "application/json",
                )
        key = live.cwd / "lia.key"
        keyfile.write(key, seed_of("lia"), PASS)
        yield live, top, key


def test_a_member_proposes_an_amendment_of_the_peoples_constitution_from_the_page(
    chain: tuple[LiveNode, Scenario, Path],
    browser: Any,  # noqa: F811 - the fixture
) -> None:
    live, top, key = chain
    lia = Member(browser, live)
    lia.restore(key)
    lia.go("#/constitution")
    main = lia.page.inner_text("main")
    assert "The people's constitution, version 1" in main
    form = lia.page.locator("form", has_text="Propose an amendment of the people's constitution")
    form.get_by_label("Article number").fill("8")
    form.get_by_label("Title").fill("Care of the commons")
    form.get_by_label("Text", exact=True).fill("Rivers, forests and soil are held in common.")
    lia.act(lambda: lia.button("Propose it to every Community", form).click())
    view = _get(live.url, f"/v0/bodies/{top.body.hex()}/constitution/people")
    (initiative,) = view["initiatives"]
    assert initiative["version"] == 2 and initiative["standing"] == "pending"
    assert "Article 8. Care of the commons" in initiative["text"]
    assert not lia.errors, lia.errors
    lia.close()
