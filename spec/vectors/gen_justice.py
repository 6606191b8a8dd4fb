"""Generate spec/vectors/justice.json: a Community's log and its justice
council's log, and the exact results the council's fold (spec/justice.md)
must produce from the two.

Each case holds both logs' wire bytes (hex, in signing order; any delivery
order gives the same result), the ``now`` its members are read at, and the
expected outcome: the charter, the seats (each mandate's identity and the
claimed times it is in force), the members at ``now``, every case with its
status and its plans (stage, every close with its count, the verdict), the
ignored council messages with their reasons, and the reference fold's state
hash (a convergence check for the reference implementation, not a normative
value). Deterministic (fixed seeds and claimed times), so the committed file
is checked byte for byte by tests/process/test_justice_vectors.py. Run after
any change to the council's rules:

    .venv/bin/python spec/vectors/gen_justice.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from interop.justice_json import council_json
from protocol.justice import Council
from protocol.kinds import Choice, Comment, Stance
from protocol.process_records import SubjectKind
from protocol.rules import DAY
from protocol.testing import CouncilScenario, Scenario

OUT = Path(__file__).resolve().parent / "justice.json"
PEOPLE = ("ana", "bea", "cruz", "dev", "eli", "fay", "gus")
COUNCIL = ("ana", "bea", "cruz", "dev")


def carry(kit: Scenario, pid: bytes, yes: Sequence[str]) -> None:
    kit.close(pid)
    kit.votes(pid, yes=yes)
    kit.close(pid)
    kit.close(pid)


def elect(com: Scenario, resolution: bytes, who: str, days: int = 60) -> bytes:
    m = com.mandate("gus", resolution, who, com.now + days * DAY, "Community Justice Council")
    com.votes(m, yes=PEOPLE)
    com.close(m)
    return m


def community(terms: dict[str, int] | None = None) -> tuple[Scenario, bytes, dict[str, bytes]]:
    """Seven people; a carried resolution founding the council; four seats."""
    com = Scenario(PEOPLE)
    r = com.propose("eli", "Community Justice Council", "We elect a council to hear cases.")
    carry(com, r, PEOPLE)
    days = terms or {}
    seats = {who: elect(com, r, who, days.get(who, 60)) for who in COUNCIL}
    com.advance(10)
    return com, r, seats


def plan_carried() -> tuple[Scenario, CouncilScenario, int]:
    """A case; a plan repairing the one harmed, carried by all four."""
    com, r, _ = community()
    c = CouncilScenario(com, r, "ana")
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    carry(c, plan, COUNCIL)
    return com, c, c.now


def recalled_mid_stage() -> tuple[Scenario, CouncilScenario, int]:
    """All four vote FOR; the Community recalls cruz before the temperature
    check closes: cruz's vote is dropped, the electorate is three."""
    com, r, seats = community()
    c = CouncilScenario(com, r, "ana")
    case = c.case("ana", ["eli"], ["fay"])
    plan = c.plan("bea", case, ["eli"])
    c.close(plan)
    c.votes(plan, yes=COUNCIL)
    c.sync()
    for who in ("eli", "fay", "gus", "dev"):
        com.recall(who, seats["cruz"])
    c.sync()
    c.close(plan)
    c.post("cruz", Comment(plan, None, Stance.NEUTRAL, "after my recall"))  # ignored
    return com, c, c.now


def expired_member() -> tuple[Scenario, CouncilScenario, int]:
    """dev's seat runs three days; dev's case after that is ignored."""
    com, r, _ = community({"dev": 3})
    c = CouncilScenario(com, r, "ana")
    c.case("dev", ["fay"], ["gus"])
    c.now += 4 * DAY
    c.case("dev", ["eli"], ["gus"])
    return com, c, c.now


def outsiders_and_parties() -> tuple[Scenario, CouncilScenario, int]:
    """dev, a council member, is responsible: dev neither moves nor votes on
    its plans; gus holds no seat; a plan must repair someone harmed."""
    com, r, _ = community()
    c = CouncilScenario(com, r, "ana")
    case = c.case("ana", ["eli"], ["dev"])
    c.plan("bea", case, ["gus"])  # gus was not harmed
    c.plan("dev", case, ["eli"])  # a party
    plan = c.plan("bea", case, ["eli"])
    c.close(plan)
    c.vote("gus", plan, Choice.AGAINST)
    c.vote("dev", plan, Choice.AGAINST)
    c.votes(plan, yes=("ana", "bea", "cruz"))
    c.close(plan)
    return com, c, c.now


def unelected_founder() -> tuple[Scenario, CouncilScenario, int]:
    """eli holds no seat: eli's charter founds no council."""
    com, r, _ = community()
    c = CouncilScenario(com, r, "eli")
    c.case("ana", ["fay"], ["gus"])
    return com, c, c.now


CASES: list[tuple[str, str, Callable[[], tuple[Scenario, CouncilScenario, int]]]] = [
    ("plan-carried", "a case and a plan carried by the council's process", plan_carried),
    ("recalled-mid-stage", "a recall before the close drops the vote", recalled_mid_stage),
    ("expired-member", "a seat ends at its mandate's expiry", expired_member),
    ("outsiders-and-parties", "non-members and parties do not decide", outsiders_and_parties),
    ("unelected-founder", "only an elected member founds the council", unelected_founder),
]


def expected(c: Council, now: int) -> dict[str, Any]:
    assert all(s.kind == SubjectKind.PLAN for s in c.subjects.values())
    return council_json(c, now)


def build() -> dict[str, Any]:
    out = []
    for tc_id, comment, script in CASES:
        com, c, now = script()
        council = Council(c.body, com.assembly()).fold(c.log)
        assert isinstance(council, Council)
        out.append(
            {
                "tcId": tc_id,
                "comment": comment,
                "community": com.body.hex(),
                "community_messages": [e.raw.hex() for e in com.messages],
                "council": c.body.hex(),
                "council_messages": [e.raw.hex() for e in c.messages],
                "now": now,
                "expect": expected(council, now),
            }
        )
    return {
        "description": (
            "Justice councils (spec/justice.md): a Community's log and its council's log; "
            "fold the Community (spec/process.md), then the council against it, in any "
            "delivery order, and compare."
        ),
        "cases": out,
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == text else 1)
    OUT.write_text(text)
    print(f"wrote {OUT}")
