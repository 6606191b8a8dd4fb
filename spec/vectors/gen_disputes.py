"""Generate spec/vectors/disputes.json: disputes between bodies, across the
parties' logs and their higher body's (spec/federation.md, "Disputes").

Each case holds the logs of the bodies involved (every message's wire bytes
in hex, in signing order, genesis first), the dispute's id, the higher
body's constituents when the reader knows them, and what the logs MUST
give: the dispute's status, each party's mediation records and latest
position, the settlement, the valid escalations, the determination, the
messages of the dispute ignored with their reasons (across the logs) and,
per log, the dispute messages its own fold ignored with their reasons.
Deterministic (fixed seeds and claimed times), so the committed file is
checked byte for byte by tests/process/test_dispute_vectors.py:

    .venv/bin/python spec/vectors/gen_disputes.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interop.disputes_json import dispute_json, dispute_read
from protocol.kinds import (
    BodyKind,
    Dispute,
    DisputeResponse,
    Escalation,
    Founding,
    Mediation,
    MediationOutcome,
)
from protocol.rules import DAY, ProcessRules
from protocol.testing import Scenario

OUT = Path(__file__).resolve().parent / "disputes.json"
MATTER = "Valle's dam upstream leaves Loma's fields without water in summer."
TERMS = "Valle releases a third of the dam's flow from June to September."
DETERMINATION = "Valle releases half the flow in summer; Sierra's water council reviews it yearly."
SETTLED, UNRESOLVED = MediationOutcome.SETTLED, MediationOutcome.UNRESOLVED


class World:
    """A Region with two Municipalities (and, on request, others), each with
    three members; ``*1`` of each body moves, everyone votes for."""

    def __init__(self, rules: ProcessRules | None = None, now: int | None = None) -> None:
        self.region = Scenario(
            ("r1", "r2", "r3"), body_kind=BodyKind.REGION, name="Sierra", rules=rules
        )
        self.x = self.muni("x", "Valle", self.region.body, rules)
        self.y = self.muni("y", "Loma", self.region.body, rules)
        if now is not None:
            for sc in (self.region, self.x, self.y):
                sc.now = now
        self.region.post(
            "r1", Founding(tuple(sorted((self.x.body, self.y.body)))), parents=(self.region.body,)
        )
        self.expires = self.region.now + 60 * DAY

    @staticmethod
    def muni(
        tag: str, name: str, parent: bytes | None, rules: ProcessRules | None = None
    ) -> Scenario:
        return Scenario(
            (f"{tag}1", f"{tag}2", f"{tag}3"),
            body_kind=BodyKind.MUNICIPALITY,
            name=name,
            parent=parent,
            rules=rules,
        )

    @staticmethod
    def everyone(sc: Scenario) -> tuple[str, ...]:
        return tuple(sorted(sc.seeds))

    def raise_(self, claimant: Scenario, respondent: bytes, *, carry: bool = True) -> bytes:
        tag = sorted(claimant.seeds)[0]
        d = claimant.post(tag, Dispute(respondent, MATTER, None)).id
        if carry:
            claimant.carry(d, yes=self.everyone(claimant))
        else:
            claimant.carry(d, yes=(), no=self.everyone(claimant))
        return d

    def delegate(self, sc: Scenario, subject: bytes) -> tuple[str, bytes]:
        """Elect the body's second member as its delegate on ``subject``."""
        first, second = sorted(sc.seeds)[:2]
        m = sc.elect_mandate(first, subject, second, self.expires, yes=self.everyone(sc))
        return second, m

    def respond(self, sc: Scenario, claimant: bytes, dispute: bytes) -> bytes:
        tag = sorted(sc.seeds)[0]
        r = sc.post(tag, DisputeResponse(claimant, dispute, "The dam feeds our mills.")).id
        return sc.carry(r, yes=self.everyone(sc))

    def mediate(
        self, sc: Scenario, who: str, dispute: bytes, mandate: bytes, outcome: MediationOutcome,
        terms: str = "",
    ) -> bytes:  # fmt: skip
        return sc.post(who, Mediation(dispute, mandate, outcome, terms)).id

    def escalate(self, dispute: bytes, *, carry: bool = True) -> bytes:
        e = self.region.post("r1", Escalation(self.x.body, dispute, self.y.body, DETERMINATION)).id
        if carry:
            self.region.carry(e, yes=self.everyone(self.region))
        return e

    def mediated(self, x_outcome: MediationOutcome, y_outcome: MediationOutcome,
                 y_terms: str = TERMS) -> bytes:  # fmt: skip
        """Raised by Valle, answered by Loma, both delegates record."""
        d = self.raise_(self.x, self.y.body)
        xd, xm = self.delegate(self.x, d)
        r = self.respond(self.y, self.x.body, d)
        yd, ym = self.delegate(self.y, r)
        self.mediate(self.x, xd, d, xm, x_outcome, TERMS if x_outcome == SETTLED else "")
        self.mediate(self.y, yd, d, ym, y_outcome, y_terms if y_outcome == SETTLED else "")
        return d


# --- the cases -----------------------------------------------------------------


def determined_by_region(w: World) -> tuple[bytes, list[Scenario]]:
    """004: the Municipalities cannot agree; their Region determines it."""
    d = w.mediated(UNRESOLVED, UNRESOLVED)
    w.escalate(d)
    return d, [w.x, w.y, w.region]


def second_escalation_determines(w: World) -> tuple[bytes, list[Scenario]]:
    """The Region's first determination fails by its process; the second,
    carried, is the determination."""
    d = w.mediated(UNRESOLVED, UNRESOLVED)
    first = w.region.post("r1", Escalation(w.x.body, d, w.y.body, "Valle keeps all the water.")).id
    w.region.carry(first, yes=(), no=w.everyone(w.region))
    w.escalate(d)
    return d, [w.x, w.y, w.region]


def determined_though_settled_later(w: World) -> tuple[bytes, list[Scenario]]:
    """A determination is final: the parties' later settlement is shown,
    and the status stays determined."""
    d = w.mediated(UNRESOLVED, UNRESOLVED)
    w.escalate(d)
    for sc in (w.x, w.y):
        m = next(m.id for m in sc.assembly().mandates(w.expires - 1))
        w.mediate(sc, f"{sorted(sc.seeds)[0][0]}2", d, m, SETTLED, TERMS)
    return d, [w.x, w.y, w.region]


def escalated_not_yet_determined(w: World) -> tuple[bytes, list[Scenario]]:
    d = w.mediated(SETTLED, UNRESOLVED)
    w.escalate(d, carry=False)
    return d, [w.x, w.y, w.region]


def settled(w: World) -> tuple[bytes, list[Scenario]]:
    d = w.mediated(SETTLED, SETTLED)
    return d, [w.x, w.y, w.region]


def settled_on_other_terms(w: World) -> tuple[bytes, list[Scenario]]:
    """Both say settled, but not on the same terms: still in mediation."""
    d = w.mediated(SETTLED, SETTLED, y_terms="Valle releases a quarter of the flow.")
    return d, [w.x, w.y, w.region]


def unresolved_respondent_silent(w: World) -> tuple[bytes, list[Scenario]]:
    """Loma never takes the dispute up; Valle's delegate records unresolved."""
    d = w.raise_(w.x, w.y.body)
    xd, xm = w.delegate(w.x, d)
    w.mediate(w.x, xd, d, xm, UNRESOLVED)
    return d, [w.x, w.y, w.region]


def escalation_before_unresolved(w: World) -> tuple[bytes, list[Scenario]]:
    d = w.raise_(w.x, w.y.body)
    w.escalate(d)
    return d, [w.x, w.y, w.region]


def mediation_refused(w: World) -> tuple[bytes, list[Scenario]]:
    """MEDIATION by a member without the mandate, under a mandate for an
    ordinary proposal, a settlement without terms, and under a recalled
    mandate: each ignored by the fold with its reason."""
    d = w.raise_(w.x, w.y.body)
    xd, xm = w.delegate(w.x, d)
    w.mediate(w.x, "x3", d, xm, UNRESOLVED)  # not the delegate
    p = w.x.propose("x1", "Plant a garden", "We plant it.")
    w.x.carry(p, yes=w.everyone(w.x))
    pm = w.x.elect_mandate("x1", p, "x3", w.expires, yes=w.everyone(w.x))
    w.mediate(w.x, "x3", d, pm, UNRESOLVED)  # a mandate for another resolution
    w.mediate(w.x, xd, d, xm, SETTLED, "")  # settled on no terms
    for n in w.everyone(w.x):
        w.x.recall(n, xm)
    w.mediate(w.x, xd, d, xm, UNRESOLVED)  # recalled
    return d, [w.x, w.y, w.region]


def not_raised(w: World) -> tuple[bytes, list[Scenario]]:
    """Valle's own process does not carry the dispute: nobody mediates it."""
    d = w.raise_(w.x, w.y.body, carry=False)
    w.y.post("y1", DisputeResponse(w.x.body, d, "We are ready to talk."))
    return d, [w.x, w.y, w.region]


def not_same_level(w: World) -> tuple[bytes, list[Scenario]]:
    """A Community in Valle disputes with Loma (a Municipality): void."""
    c = Scenario(("c1", "c2", "c3"), name="Barrio", parent=w.x.body)
    d = w.raise_(c, w.y.body)
    return d, [c, w.y, w.x]


def different_regions(w: World) -> tuple[bytes, list[Scenario]]:
    """Loma names another Region: no common higher body, void."""
    other = Scenario(("o1", "o2"), body_kind=BodyKind.REGION, name="Costa")
    far = World.muni("z", "Puerto", other.body)
    d = w.raise_(w.x, far.body)
    return d, [w.x, far, w.region]


def not_a_constituent(w: World) -> tuple[bytes, list[Scenario]]:
    """Loma names Sierra as its parent but Sierra never admitted it."""
    alone = World.muni("q", "Cerro", w.region.body)
    d = w.raise_(w.x, alone.body)
    return d, [w.x, alone, w.region]


def fold_refusals(w: World) -> tuple[bytes, list[Scenario]]:
    """What one log alone refuses: a dispute with itself, a dispute of the
    Collective, an escalation moved in a Community, naming one party twice
    or moved by a party, a response to one's own dispute."""
    col = Scenario(("k1", "k2"), body_kind=BodyKind.COLLECTIVE, name="Todos")
    col.post("k1", Dispute(w.region.body, MATTER, None))
    c = Scenario(("c1", "c2", "c3"), name="Barrio", parent=w.x.body)
    w.x.post("x1", Dispute(w.x.body, MATTER, None))
    d = w.raise_(w.x, w.y.body)
    w.x.post("x1", DisputeResponse(w.x.body, d, "ours"))
    w.x.post("x1", Escalation(w.x.body, d, w.y.body, DETERMINATION))
    c.post("c1", Escalation(w.x.body, d, w.y.body, DETERMINATION))
    w.region.post("r1", Escalation(w.x.body, d, w.x.body, DETERMINATION))
    return d, [w.x, w.y, w.region, col, c]


CASES: dict[str, Callable[[World], tuple[bytes, list[Scenario]]]] = {
    "determined-by-region": determined_by_region,
    "second-escalation-determines": second_escalation_determines,
    "determined-though-settled-later": determined_though_settled_later,
    "escalated-not-yet-determined": escalated_not_yet_determined,
    "settled": settled,
    "settled-on-other-terms": settled_on_other_terms,
    "unresolved-respondent-silent": unresolved_respondent_silent,
    "escalation-before-unresolved": escalation_before_unresolved,
    "mediation-refused": mediation_refused,
    "not-raised": not_raised,
    "not-same-level": not_same_level,
    "different-regions": different_regions,
    "not-a-constituent": not_a_constituent,
    "fold-refusals": fold_refusals,
}


# --- reading -------------------------------------------------------------------


read, expected = dispute_read, dispute_json  # shared with the harness (interop)


def constituents_of(region: Scenario | None) -> frozenset[bytes] | None:
    """The founding constituents named in a Region's log (no admissions in
    these cases)."""
    if region is None:
        return None
    for env in region.messages:
        if isinstance(env.payload, Founding):
            return frozenset(env.payload.constituents)
    return None


def build() -> dict[str, Any]:
    cases = []
    for i, (name, make) in enumerate(CASES.items(), 1):
        w = World()
        dispute, scenarios = make(w)
        folds = {sc.body: sc.assembly() for sc in scenarios}
        region = next((sc for sc in scenarios if sc.body == w.region.body), None)
        constituents = constituents_of(region)
        cases.append(
            {
                "tcId": i,
                "comment": name,
                "dispute": dispute.hex(),
                "constituents": None
                if constituents is None
                else sorted(c.hex() for c in constituents),
                "logs": [[m.raw.hex() for m in sc.messages] for sc in scenarios],
                "expect": expected(read(dispute, folds, constituents), folds),
            }
        )
    return {
        "about": "Disputes between bodies (spec/federation.md, 'Disputes'): each case's logs, "
        "folded in any delivery order, give the dispute's state and the reasons for "
        "every message ignored.",
        "cases": cases,
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text() == text else 1)
    OUT.write_text(text)
    print(f"wrote {OUT}")
