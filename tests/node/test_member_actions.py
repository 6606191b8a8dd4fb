"""Every ``caracol member`` action family against one real node on 127.0.0.1
(``python -m node run`` in a subprocess, shared by the module): what each
action signs, what it refuses before signing (one line, exit 1), and what
it reports after (taken, or ignored with the process's reason, exit 1).

The body is founded with zero deadlines and one co-signer so any member
closes a stage at once (``--param deadline=0 --param min_duration=0 --param cosign_quorum=1/100``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from node import keyfile
from node.client import NodeClient
from protocol import envelope, kinds
from protocol.keys import key_from_text, key_to_text
from protocol.rules import ProcessRules, to_params
from tests.node.live_node import LiveNode, founded
from tests.node.test_cli import ENV

ROOT = Path(__file__).resolve().parents[2]
PASS = ENV["CARACOL_PASSPHRASE"]


@dataclass
class Node(LiveNode):
    def act(self, who: str, action: str, *args: str, body: str | None = None) -> str:
        """A member action that must be stored and taken; returns its id."""
        return self.ok("member", action, "-q", "--keystore", f"{who}.key", *args, body=body)

    def refused(self, who: str, action: str, *args: str) -> str:
        """A member action that must fail with exactly one line on stderr."""
        return self.fails("member", action, "--keystore", f"{who}.key", *args)

    def json(self, *args: str, body: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", body=body))

    def count(self) -> int:
        (b,) = [b for b in NodeClient(self.url).bodies() if b["id"] == self.body]
        return int(b["messages"])

    def carry(self, title: str, body: str | None = None, voters: tuple[str, ...] = ()) -> str:
        """A proposal taken to carried: everyone for, every stage closed."""
        voters = voters or ("ana", "bea", "cruz")
        p = self.act(voters[-1], "propose", "--title", title, "--text", "We do it.", body=body)
        self.act("ana", "close", "--proposal", p, body=body)
        for m in voters:
            self.act(m, "vote", "--proposal", p, "--choice", "for", body=body)
        self.act("ana", "close", "--proposal", p, "--stage", "temperature", body=body)
        self.act("ana", "close", "--proposal", p, "--stage", "planning", body=body)
        return p


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    keystores = ("ana", "bea", "cruz", "dev", "eve", "fay", "fay2")
    with founded(
        Node(tmp_path_factory.mktemp("member")),
        keystores,
        {"ana": "Ana", "bea": "Bea", "cruz": "Cruz"},
    ) as n:
        yield n


def people(n: Node) -> dict[str, dict[str, Any]]:
    """People by their current key as ck1 text."""
    return {key_to_text(bytes.fromhex(p["key"])): p for p in n.json("people", "--all")["people"]}


def subjects(n: Node, *args: str) -> dict[str, dict[str, Any]]:
    doc = n.json("proposals", *args)
    return {r["id"]: r for rows in doc.values() for r in rows}


def test_founders_by_name_and_display_names(node: Node) -> None:
    ps = people(node)
    assert ps[node.keys["ana"]]["name"] == "Ana" and ps[node.keys["ana"]]["name_source"] == "self"
    assert ps[node.keys["bea"]]["name"] == "Bea"
    assert ps[node.keys["bea"]]["name_source"] == "founding"
    node.act("cruz", "name", "Cruz Ramos")
    assert people(node)[node.keys["cruz"]]["name"] == "Cruz Ramos"
    assert "Cruz Ramos" in node.ok("people")


def test_membership_admit_leave_remove_rotate(node: Node) -> None:
    m = node.act("ana", "admit", "--key", node.keys["fay"], "--name", "Fay")
    assert "admit Fay" in node.ok("proposals")
    node.act("bea", "vote", "--motion", m[:10], "--choice", "for")
    node.act("cruz", "vote", "--motion", m, "--choice", "for")
    node.act("ana", "close", "--motion", m)
    fay = people(node)[node.keys["fay"]]
    assert fay["name"] == "Fay" and fay["name_source"] == "admission" and fay["member"]
    line = node.refused("ana", "admit", "--key", node.keys["fay"])
    assert "--key" in line and "already a member" in line
    # Fay moves her membership to a new key; the old key speaks no more
    node.ok("member", "rotate", "--keystore", "fay.key", "--new-keystore", "fay2.key")
    node.act("fay2", "name", "Fay Q")
    line = node.refused("fay", "name", "Old Fay")
    assert "not a member" in line
    # a removal motion, then Fay leaves on her own
    r = node.act("ana", "remove", "--member", "Fay Q", "--reason", "asked to")
    assert subjects(node)[r]["kind"] == "removal"
    assert people(node)[node.keys["fay2"]]["name"] == "Fay Q"
    node.act("fay2", "leave")
    assert people(node)[node.keys["fay"]]["member"] is False  # shown by identity


def test_a_vote_in_discussion_is_refused_or_reported_ignored(node: Node) -> None:
    p = node.act("bea", "propose", "--title", "Paint the hall", "--text", "Blue.")
    before = node.count()
    line = node.refused("ana", "vote", "--proposal", p, "--choice", "for")
    assert "vote is not taken in stage discussion" in line
    assert node.count() == before  # nothing was signed
    r = node.run("member", "vote", "--keystore", "ana.key", "--proposal", p, "--choice", "for",
                 "--no-check", "--json")  # fmt: skip
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["status"] == "accepted" and doc["process"]["taken"] is False
    assert "discussion" in doc["process"]["reason"]
    r = node.run("member", "close", "--keystore", "ana.key", "--proposal", p,
                 "--stage", "temperature", "--no-check")  # fmt: skip
    assert r.returncode == 1 and "IGNORED" in r.stderr and "discussion" in r.stderr
    line = node.refused("ana", "close", "--proposal", p, "--stage", "temperature")
    assert "--stage: the open stage is discussion" in line
    rows = subjects(node, "--member", "Ana")
    assert rows[p]["stage"] == "discussion" and "comment" in rows[p]["actions"]
    assert "vote" not in rows[p]["actions"]
    assert rows[p]["facilitator"]["name"] is not None


def test_grievance_round_actions(node: Node, tmp_path: Path) -> None:
    p = node.act("bea", "propose", "--title", "Night market", "--text", "Stalls on Fridays.")
    c = node.act("cruz", "comment", "--proposal", p, "--stance", "oppose", "--text", "Loud.")
    node.act("ana", "comment", "--proposal", p, "--reply-to", c[:8], "--text", "Until 10?")
    node.act("ana", "close", "--proposal", p, "--stage", "discussion")
    for m, choice in (("ana", "for"), ("bea", "for"), ("cruz", "against")):
        node.act(m, "vote", "--proposal", p, "--choice", choice)
    node.act("ana", "close", "--proposal", p)
    line = node.refused("ana", "grievance", "--proposal", p, "--category", "noise")
    assert "against" in line
    g = node.act("cruz", "grievance", "--proposal", p, "--category", "noise", "--text", "late")
    node.act("ana", "close", "--proposal", p, "--stage", "concerns")
    line = node.refused("ana", "elect", "--proposal", p, "--category", "noise", "--candidate",
                        "Cruz Ramos")  # fmt: skip
    assert "you hold no grievance" in line
    line = node.refused("cruz", "elect", "--proposal", p, "--category", "cost",
                        "--candidate", "Ana")  # fmt: skip
    assert "--category" in line and "noise" in line
    node.act("cruz", "elect", "--proposal", p, "--category", "noise", "--candidate", "Cruz Ramos")
    node.act("cruz", "plea", "--proposal", p, "--category", "noise", "--text", "End at ten.")
    node.act("ana", "agree", "--grievance", g, "--disagree")
    same = tmp_path / "same.txt"
    same.write_text(node.ok("show", p, "--text-only"))
    line = node.refused("cruz", "amend", "--proposal", p, "--category", "noise",
                        "--text-file", str(same))  # fmt: skip
    assert "nothing to amend" in line
    edited = tmp_path / "edited.txt"
    edited.write_text("Stalls on Fridays until ten.")
    am = node.act("cruz", "amend", "--proposal", p, "--category", "noise",
                  "--text-file", str(edited))  # fmt: skip
    for m in ("ana", "bea", "cruz"):
        node.act(m, "vote", "--amendment", am[:12], "--choice", "for")
    node.act("ana", "close", "--proposal", p, "--stage", "minor_round")
    d = node.json("show", p)
    (amendment,) = d["amendments"]
    assert amendment["status"] == "adopted"
    assert ["insert", " until ten"] in amendment["changes"]
    assert d["text"] == "Stalls on Fridays until ten."
    (cat,) = d["grievances"]
    assert cat["delegate"]["name"] == "Cruz Ramos" and cat["items"][0]["disagree"] == 1
    reply = next(x for x in d["comments"] if x["reply_to"] == c)
    assert reply["text"] == "Until 10?"
    text = node.ok("show", p)
    assert "\n    " + reply["id"][:8] in text  # the reply indented under its comment
    assert "+ ' until ten'" in text and "noise — delegate Cruz Ramos" in text
    line = node.refused("ana", "vote", "--amendment", am, "--choice", "for")
    assert "not taken in stage minor_check" in line


def test_deal_breaker_round_and_final_vote(node: Node) -> None:
    p = node.act("bea", "propose", "--title", "Close the street", "--text", "On Sundays.")
    node.act("ana", "close", "--proposal", p)
    for m, choice in (("ana", "for"), ("bea", "for"), ("cruz", "against")):
        node.act(m, "vote", "--proposal", p, "--choice", choice)
    node.act("ana", "close", "--proposal", p, "--stage", "temperature")
    g = node.act("cruz", "grievance", "--proposal", p, "--category", "access", "--deal-breaker")
    node.act("ana", "close", "--proposal", p, "--stage", "concerns")
    assert subjects(node)[p]["stage"] == "major_round"
    node.act("bea", "agree", "--grievance", g[:8], "--disagree")
    node.act("ana", "close", "--proposal", p, "--stage", "major_round")
    for m, choice in (("ana", "for"), ("bea", "for"), ("cruz", "against")):
        node.act(m, "vote", "--proposal", p, "--choice", choice)
    node.act("ana", "close", "--proposal", p, "--stage", "final_vote")  # 2 of 3: passes
    node.act("cruz", "vote", "--proposal", p, "--choice", "against")  # contention
    node.act("ana", "close", "--proposal", p, "--stage", "planning")
    d = node.json("show", p)
    assert d["stage"] == "carried" and d["verdict"]["outcome"] == "passed"
    assert [t["stage"] for t in d["tallies"]] == ["temperature", "final_vote", "planning"]


def test_mandate_and_recall(node: Node) -> None:
    p = node.carry("Fix the roof", voters=("ana", "bea", "cruz"))
    d = node.act("ana", "mandate", "--resolution", p, "--delegate", "Bea", "--scope",
                 "hire a roofer", "--expires", "+30d")  # fmt: skip
    line = node.refused("ana", "recall", "--mandate", d)
    assert "not in force" in line
    for m in ("ana", "bea", "cruz"):
        node.act(m, "vote", "--mandate", d, "--choice", "for")
    node.act("ana", "close", "--mandate", d)
    row = subjects(node, "--member", "Ana")[d]
    assert row["stage"] == "adopted" and "recall" in row["actions"]
    node.act("ana", "recall", "--mandate", d)
    node.act("cruz", "recall", "--mandate", d)
    (m,) = [
        m
        for m in NodeClient(node.url).get(f"/v0/bodies/{node.body}/mandates")["mandates"]
        if m["id"] == d
    ]
    assert m["status"] == "recalled"


def _found(
    node: Node,
    kind: kinds.BodyKind,
    name: str,
    parent: bytes | None,
    *,
    founders: tuple[str, ...] = ("ana",),
    quick: bool = True,
) -> str:
    """A body founded by Ana (signing) and ``founders``, with no minimum
    durations; ``quick``: zero deadlines and one co-signer too, else the
    default deadlines and co-sign quorum."""
    seed = keyfile.read(node.cwd / "ana.key", PASS)
    rules = ProcessRules()
    rules = ProcessRules(min_duration=dict.fromkeys(rules.min_duration, 0))
    if quick:
        rules = ProcessRules(
            cosign_quorum=rules.cosign_quorum / 50,
            deadline=dict.fromkeys(rules.deadline, 0),
            min_duration=rules.min_duration,
        )
    keys = tuple(sorted(key_from_text(node.keys[f]) for f in founders))
    g = kinds.Genesis(kind, name, parent, keys, to_params(rules), os.urandom(4))
    return NodeClient(node.url).found(envelope.sign(seed, None, g, seq=1, time=int(time.time())))


def test_constitution_and_presenting_a_resolution(node: Node) -> None:
    line = node.refused("ana", "constitution", "--param", "size_cap=500")
    assert "people's constitution" in line and "size_cap" in line
    line = node.refused("ana", "constitution", "--param", "quorum=3/5")
    assert "absent majority" in line
    node.act("ana", "constitution", "--param", "quorum=2/5", "--rationale", "our own quorum")
    coll = _found(node, kinds.BodyKind.COLLECTIVE, "Colectivo", None)
    line = node.refused("ana", "constitution", "--body", coll, "--param", "quorom=1/3")
    assert "unknown parameter" in line
    node.act("ana", "constitution", "--param", "quorum=1/3", "--rationale", "fewer", body=coll)
    # a Municipality carries a resolution; its Community is presented it
    muni = _found(node, kinds.BodyKind.MUNICIPALITY, "Municipio", None)
    r = node.carry("Shared tool library", body=muni, voters=("ana",))
    com = _found(node, kinds.BodyKind.COMMUNITY, "Barrio Este", bytes.fromhex(muni))
    p = node.act("ana", "present", "--from-node", node.url, "--higher", muni,
                 "--resolution", r[:10], body=com)  # fmt: skip
    msg = NodeClient(node.url).get(f"/v0/bodies/{com}/messages/{p}")["fields"]
    assert r in json.dumps(msg) and muni in json.dumps(msg)
    line = node.refused("ana", "present", "--body", com, "--from-node", node.url,
                        "--higher", com, "--resolution", r)  # fmt: skip
    assert "--higher" in line


def test_close_before_the_deadline_only_by_the_facilitator(node: Node) -> None:
    body = _found(
        node, kinds.BodyKind.COMMUNITY, "Slow", None, founders=("ana", "bea"), quick=False
    )
    p = node.act("ana", "propose", "--title", "Wait", "--text", "A week.", body=body)
    r = node.run("member", "close", "--keystore", "ana.key", "--proposal", p, "--body", body)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "facilitates and closes this stage" in r.stderr and "deadline" in r.stderr
    (row,) = node.json("proposals", "--member", node.keys["bea"], body=body)["proposals"]
    assert row["facilitator"]["key"] == key_from_text(node.keys["bea"]).hex()
    assert "close" in row["actions"]
    node.act("bea", "close", "--proposal", p, "--stage", "discussion", body=body)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("vote", "--proposal", "zz", "--choice", "for"), "--subject: 'zz' is not hex"),
        (("vote", "--proposal", "abc", "--choice", "for"), "at least 8 hex digits"),
        (("vote", "--proposal", "00000000", "--choice", "for"), "no subject starts with"),
        (("vote", "--proposal", "00"), "--choice"),
        (("close", "--proposal", "00", "--stage", "later"), "--stage"),
        (("admit", "--key", "ck1nope"), "--key"),
        (
            (
                "mandate",
                "--resolution",
                "0" * 64,
                "--delegate",
                "Ana",
                "--scope",
                "x",
                "--expires",
                "soon",
            ),
            "--resolution",
        ),
        (
            ("elect", "--proposal", "0" * 64, "--category", "x", "--candidate", "Nobody"),
            "--proposal",
        ),
        (("remove", "--member", "Nobody"), "--member: nobody in this body is named"),
        (("constitution", "--param", "quorum"), "expected name=value"),
    ],
)
def test_bad_flags_say_so_in_one_line(node: Node, args: tuple[str, ...], needle: str) -> None:
    line = node.refused("ana", *args)
    assert needle in line, line


def test_init_bad_founder_is_one_line(node: Node) -> None:
    r = node.run("init", "--config", "x.toml", "--found", "X", "--founder-keystore", "ana.key",
                 "--founder", "bea")  # fmt: skip
    assert r.returncode == 1 and "--founder 'bea': expected NAME=KEY" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
