"""A Community Justice Council on a real node (spec/justice.md, spec/api.md
"Justice councils"): the Community carries the resolution and elects
members by mandate; an elected member founds the council with ``caracol
council found``; a case is recorded, a plan moved and decided with
``caracol member vote/close --body COUNCIL``; the views show what they
should (no summaries in lists); a recall ends a seat at once; and every
refusal is one line naming what is wrong."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.node.live_node import QUICK, founded
from tests.node.test_member_actions import Node

PEOPLE = {"ana": "Ana", "bea": "Bea", "cruz": "Cruz", "dev": "Dev", "eve": "Eve"}
SEATS = ("bea", "cruz", "dev")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with founded(Node(tmp_path_factory.mktemp("council")), PEOPLE, PEOPLE) as n:
        yield n


def view(n: Node, body: str, path: str) -> Any:
    with urllib.request.urlopen(f"{n.url}/v0/bodies/{body}/{path}", timeout=10) as r:
        return json.load(r)


def view_error(n: Node, body: str, path: str) -> tuple[int, dict[str, Any]]:
    try:
        urllib.request.urlopen(f"{n.url}/v0/bodies/{body}/{path}", timeout=10)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    raise AssertionError("expected an error")


def test_a_council_under_a_community(node: Node) -> None:
    n = node
    # the Community carries the resolution and elects three members
    r = n.carry("Community Justice Council", voters=tuple(PEOPLE))
    mandates = {}
    for m in SEATS:
        mid = n.act(
            "ana", "mandate", "--resolution", r, "--delegate", PEOPLE[m],
            "--scope", "Community Justice Council", "--expires", "+60d",
        )  # fmt: skip
        for voter in PEOPLE:
            n.act(voter, "vote", "--mandate", mid, "--choice", "for")
        n.act("ana", "close", "--mandate", mid)
        mandates[m] = mid

    # only an elected member founds the council body
    refused = n.fails(
        "council", "found", "--keystore", "eve.key", "--resolution", r, "--name", "Consejo"
    )
    assert "you hold no Community mandate on that resolution" in refused
    council = n.ok(
        "council", "found", "-q", "--keystore", "bea.key", "--resolution", r,
        "--name", "Consejo de Justicia", *QUICK,
    )  # fmt: skip
    doc = view(n, council, "council")
    assert doc["in_session"] and doc["resolution"] == r and doc["community"] == n.body
    assert sorted(m["name"] for m in doc["members"]) == ["Bea", "Cruz", "Dev"]
    assert view(n, n.body, "councils")["councils"][0]["id"] == council
    code, err = view_error(n, n.body, "council")
    assert code == 404 and err["error"] == "not_a_council" and "community" in err["reason"]

    # a case: recorded by a member; an unelected member is refused
    assert "not a council member now: holds no mandate" in n.fails(
        "council", "case", "--keystore", "eve.key", "--body", council,
        "--harmed", "Eve", "--responsible", "Dev", "--summary", "x",
    )  # fmt: skip
    case = n.ok(
        "council", "case", "-q", "--keystore", "bea.key", "--body", council,
        "--harmed", "Eve", "--responsible", "Dev",
        "--summary", "The garden fence was broken; see council file 1.",
    )  # fmt: skip

    # a plan: a party does not move it; a member who is not one does
    assert "you are a party to this case" in n.fails(
        "council", "plan", "--keystore", "dev.key", "--body", council, "--case", case,
        "--title", "Mend", "--reparation", "x",
    )  # fmt: skip
    assert "is not among those the case names as harmed" in n.fails(
        "council", "plan", "--keystore", "cruz.key", "--body", council, "--case", case,
        "--title", "Mend", "--reparation", "x", "--repairs", "Ana",
    )  # fmt: skip
    plan = n.ok(
        "council", "plan", "-q", "--keystore", "cruz.key", "--body", council, "--case", case,
        "--title", "Mend the fence", "--reparation", "Dev and Eve mend the fence together.",
        "--rehabilitation", "Dev joins the garden's Saturday work for a month.",
    )  # fmt: skip

    # decided by the council's own process, with the member commands
    n.act("bea", "close", "--proposal", plan, body=council)
    assert "not a member of this council" in n.fails(
        "member", "vote", "--keystore", "eve.key", "--body", council,
        "--proposal", plan, "--choice", "against",
    )  # fmt: skip
    assert "you are a party to this case" in n.fails(
        "member", "vote", "--keystore", "dev.key", "--body", council,
        "--proposal", plan, "--choice", "against",
    )  # fmt: skip
    party = n.run(
        "member", "vote", "--keystore", "dev.key", "--body", council,
        "--proposal", plan, "--choice", "against", "--no-check",
    )  # fmt: skip
    assert party.returncode == 1 and "party to the case" in party.stderr
    for m in ("bea", "cruz"):
        n.act(m, "vote", "--proposal", plan, "--choice", "for", body=council)
    n.act("bea", "close", "--proposal", plan, "--stage", "temperature", body=council)
    n.act("bea", "close", "--proposal", plan, "--stage", "planning", body=council)

    (listed,) = view(n, council, "cases")["cases"]
    assert listed["status"] == "decided" and "summary" not in listed
    assert [p["outcome"] for p in listed["plans"]] == ["passed"]
    assert [p["name"] for p in listed["harmed"]] == ["Eve"]
    detail = view(n, council, f"cases/{case}")
    assert detail["summary"].startswith("The garden fence was broken")
    (p,) = detail["plans"]
    assert p["text"].startswith("Reparation: Dev and Eve mend the fence together.")
    assert "Rehabilitation: Dev joins" in p["text"]
    assert p["verdict"]["outcome"] == "passed" and p["tallies"][0]["count"]["for"] == 2
    assert p["electorate"] == 2  # dev, a party, does not decide
    code, err = view_error(n, council, "cases/" + "00" * 32)
    assert code == 404 and err["error"] == "unknown_case"

    listed_cli = json.loads(n.ok("council", "cases", "--body", council, "--json"))
    assert "summary" not in listed_cli["cases"][0]
    detailed = n.ok("council", "cases", "--body", council, "--details")
    assert "summary: The garden fence" in detailed
    minutes = n.ok("council", "minutes", "--body", council)
    assert "Mend the fence" in minutes and "verdict passed" in minutes
    assert "garden fence was broken" not in minutes
    assert any("decided" in line for line in view(n, council, "council")["minutes"])

    # the Community recalls Cruz: the seat ends at once
    for voter in ("ana", "eve", "dev"):
        n.act(voter, "recall", "--mandate", mandates["cruz"])
    seats = {s["name"]: s for s in view(n, council, "council")["seats"]}
    assert seats["Cruz"]["status"] == "recalled" and seats["Bea"]["status"] == "in force"
    members = json.loads(n.ok("council", "members", "--body", council, "--json"))
    assert {s["name"]: s["status"] for s in members["seats"]}["Cruz"] == "recalled"
    assert "mandate ended (recall)" in n.fails(
        "council", "case", "--keystore", "cruz.key", "--body", council,
        "--harmed", "Eve", "--responsible", "Ana", "--summary", "x",
    )  # fmt: skip
