"""Disputes (spec/federation.md, "Disputes"): spec/vectors/disputes.json
opened from its wire bytes in any delivery order, the committed file is
what the generator produces, and the rules the vectors do not spell out."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crdt.log import Log
from protocol import disputes, minutes
from protocol.assembly import Assembly
from protocol.envelope import open_untrusted
from protocol.kinds import Mediation, MediationOutcome

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors" / "disputes.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_disputes", VECTORS.parent / "gen_disputes.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]


def folds_of(logs: list[list[str]], order: random.Random | None = None) -> dict[bytes, Assembly]:
    out = {}
    for hexes in logs:
        raws = [bytes.fromhex(m) for m in hexes]
        genesis = open_untrusted(raws[0], None)
        rest = [open_untrusted(r, genesis.body) for r in raws[1:]]
        if order is None:
            rest.reverse()
        else:
            order.shuffle(rest)
        log = Log(genesis.body)
        for env in [*rest, genesis]:
            log.add(env)
        assert len(log) == len(raws) and not log.missing()
        out[genesis.body] = Assembly(genesis.body).fold(log)
    return out


def constituents(case: dict[str, Any]) -> frozenset[bytes] | None:
    c = case["constituents"]
    return None if c is None else frozenset(bytes.fromhex(x) for x in c)


@pytest.mark.parametrize("case", CASES, ids=[c["comment"] for c in CASES])
def test_dispute_vector(case: dict[str, Any]) -> None:
    folds = folds_of(case["logs"])
    state = GEN.read(bytes.fromhex(case["dispute"]), folds, constituents(case))
    assert GEN.expected(state, folds) == case["expect"]


def test_vectors_are_generated() -> None:
    assert GEN.render() == VECTORS.read_text(), "run spec/vectors/gen_disputes.py"


DETERMINED = next(c for c in CASES if c["comment"] == "determined-by-region")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32))
def test_any_delivery_order_gives_the_same_state(seed: int) -> None:
    folds = folds_of(DETERMINED["logs"], random.Random(seed))
    state = GEN.read(bytes.fromhex(DETERMINED["dispute"]), folds, constituents(DETERMINED))
    assert GEN.expected(state, folds) == DETERMINED["expect"]


def test_the_region_determines_the_dispute_between_its_municipalities() -> None:
    w = GEN.World()
    d = w.mediated(GEN.UNRESOLVED, GEN.UNRESOLVED)
    x, y, r = w.x.assembly(), w.y.assembly(), w.region.assembly()
    before = disputes.read(d, x, y, r, constituents=frozenset({w.x.body, w.y.body}))
    assert before is not None and before.status == "unresolved"
    e = w.escalate(d)
    after = disputes.read(
        d, x, y, w.region.assembly(), constituents=frozenset({w.x.body, w.y.body})
    )
    assert after is not None and after.status == "determined"
    assert after.determination is not None
    assert after.determination.escalation == e and after.determination.text == GEN.DETERMINATION
    assert after.higher == w.region.body and after.escalations == ((e, after.stage),)
    # without the parties' logs the Region cannot tell the dispute at all
    assert disputes.read(d, w.region.assembly()) is None


def test_a_party_changes_its_position_its_latest_record_counts() -> None:
    w = GEN.World()
    d = w.mediated(GEN.SETTLED, GEN.UNRESOLVED)
    assert _status(w, d) == "unresolved"
    yd, ym = "y2", next(m.id for m in w.y.assembly().mandates(w.region.now))
    w.y.post(yd, Mediation(d, ym, MediationOutcome.SETTLED, GEN.TERMS))
    assert _status(w, d) == "settled"


def test_a_determination_is_final_even_if_the_parties_settle_later() -> None:
    w = GEN.World()
    d = w.mediated(GEN.UNRESOLVED, GEN.UNRESOLVED)
    w.escalate(d)
    for sc in (w.x, w.y):
        delegate = f"{sorted(sc.seeds)[0][0]}2"
        m = next(m.id for m in sc.assembly().mandates(w.region.now))
        sc.post(delegate, Mediation(d, m, MediationOutcome.SETTLED, GEN.TERMS))
    assert _status(w, d) == "determined"


def test_an_expired_mandate_records_nothing() -> None:
    w = GEN.World()
    d = w.raise_(w.x, w.y.body)
    delegate, m = w.delegate(w.x, d)
    late = w.x.post(delegate, Mediation(d, m, MediationOutcome.UNRESOLVED, ""), time=w.expires)
    why = w.x.assembly().ignored_by_id[late.id].reason
    assert why == "the mandate had expired"
    assert _status(w, d) == "raised"


def test_the_minutes_show_every_step() -> None:
    w = GEN.World()
    d = w.mediated(GEN.UNRESOLVED, GEN.UNRESOLVED)
    w.escalate(d)
    state = disputes.read(d, w.x.assembly(), w.y.assembly(), w.region.assembly())
    assert state is not None
    text = "\n".join(disputes.lines(state, {w.x.body: "Valle", w.y.body: "Loma"}))
    assert "Dispute" in text and "Valle with Loma" in text and GEN.MATTER in text
    assert text.count("unresolved") >= 2 and "status: **determined**" in text
    assert GEN.DETERMINATION in text
    # the claimant's own minutes of the dispute subject name the matter and
    # its delegate's mediation record
    x_minutes = "\n".join(minutes.minutes(w.x.assembly(), d))
    assert GEN.MATTER in x_minutes and "mediation" in x_minutes and "unresolved" in x_minutes


def _status(w: Any, d: bytes) -> str:
    s = disputes.read(d, w.x.assembly(), w.y.assembly(), w.region.assembly())
    assert s is not None
    return s.status


def test_a_workplace_council_and_a_community_are_parties_their_municipality_determines() -> None:
    """004: a workplace whose pollution harms its neighbours: both are base
    constituents of the Municipality, one level."""
    from protocol.kinds import BodyKind, Dispute, DisputeResponse, Escalation, Founding
    from protocol.testing import Scenario

    muni = GEN.World.muni("m", "Valle", None)
    mill = Scenario(("w1", "w2", "w3"), body_kind=BodyKind.WORKPLACE, name="Mill", parent=muni.body)
    barrio = Scenario(("c1", "c2", "c3"), name="Barrio", parent=muni.body)
    muni.post("m1", Founding(tuple(sorted((mill.body, barrio.body)))), parents=(muni.body,))
    everyone = GEN.World.everyone
    d = barrio.post("c1", Dispute(mill.body, "The mill's dye reaches our well.", None)).id
    barrio.carry(d, yes=everyone(barrio))
    r = mill.post("w1", DisputeResponse(barrio.body, d, "We filter since May.")).id
    mill.carry(r, yes=everyone(mill))
    expires = barrio.now + 30 * 86400
    bm = barrio.elect_mandate("c1", d, "c2", expires, yes=everyone(barrio))
    mm = mill.elect_mandate("w1", r, "w2", expires, yes=everyone(mill))
    barrio.post("c2", Mediation(d, bm, MediationOutcome.UNRESOLVED, ""))
    mill.post("w2", Mediation(d, mm, MediationOutcome.SETTLED, "The mill filters its dye."))
    members = frozenset({mill.body, barrio.body})
    s = disputes.read(d, barrio.assembly(), mill.assembly(), muni.assembly(), constituents=members)
    assert s is not None and s.status == "unresolved" and not s.ignored
    e = muni.post("m1", Escalation(barrio.body, d, mill.body, "The mill filters; Barrio tests.")).id
    muni.carry(e, yes=everyone(muni))
    s = disputes.read(d, barrio.assembly(), mill.assembly(), muni.assembly(), constituents=members)
    assert s is not None and s.status == "determined" and s.determination is not None
    assert s.determination.escalation == e


def test_communities_of_different_municipalities_have_no_common_higher_body() -> None:
    from protocol.kinds import Dispute
    from protocol.testing import Scenario

    w = GEN.World()
    a = Scenario(("a1", "a2"), name="Arriba", parent=w.x.body)
    b = Scenario(("b1", "b2"), name="Abajo", parent=w.y.body)
    d = a.post("a1", Dispute(b.body, GEN.MATTER, None)).id
    a.carry(d, yes=("a1", "a2"))
    s = disputes.read(d, a.assembly(), b.assembly(), w.x.assembly())
    assert s is not None and s.status == "void"
    assert s.ignored == ((d, "the parties are not under the same higher body"),)


def test_a_response_before_the_dispute_is_raised_is_listed_with_its_reason() -> None:
    from protocol.kinds import Dispute, DisputeResponse

    w = GEN.World()
    d = w.x.post("x1", Dispute(w.y.body, GEN.MATTER, None)).id
    r = w.y.post("y1", DisputeResponse(w.x.body, d, "Let us talk.")).id
    s = disputes.read(d, w.x.assembly(), w.y.assembly(), w.region.assembly())
    assert s is not None and s.status == "proposed" and s.response is None
    assert s.ignored == ((r, "the dispute is not raised (stage discussion)"),)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=64), st.integers(0, 3))
def test_read_never_raises_for_any_dispute_id(junk: bytes, which: int) -> None:
    """Any id, any subset of the logs held: a state or None, never an error."""
    folds = folds_of(DETERMINED["logs"])
    ids = list(folds)
    claimant = folds[ids[0]]
    others = [folds[i] for i in ids[1:]]
    respondent = others[0] if which & 1 else None
    higher = others[1] if which & 2 else None
    for d in (junk, bytes.fromhex(DETERMINED["dispute"]), *claimant.subjects):
        s = disputes.read(d, claimant, respondent, higher)
        assert s is None or s.status in disputes.STATUSES
