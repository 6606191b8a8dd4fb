"""Generate spec/vectors/process.json: complete logs and the exact results
the assembly process (spec/process.md) must produce from them.

Each case holds the rules it runs under, every message's wire bytes (hex, in
signing order; any delivery order gives the same result) and the expected
outcome: per subject its stage, the counts of each closed stage and the
verdict; the roster; mandates at a given ``now``; every ignored message with
its reason; evidence; and the fold's state hash. Deterministic (fixed seeds
and claimed times), so the committed file is checked byte for byte by
tests/process/test_process_vectors.py. Run after any change to the process:

    .venv/bin/python spec/vectors/gen_process.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from crdt.text import TextDocument
from interop.process_json import assembly_json
from protocol.kinds import Choice, ConstitutionAmendment, Pertinent, RotateKey
from protocol.rules import DAY, ProcessRules
from protocol.stages import Stage
from protocol.testing import Scenario

OUT = Path(__file__).resolve().parent / "process.json"
TEN = tuple(f"m{i}" for i in range(10))
FIVE = ("ana", "bea", "cruz", "dev", "eli")
NO_MINIMUM = {k: 0 for k in ProcessRules().min_duration}
"""Short deadlines need no minimum durations (a deadline is at least its
minimum: the charter)."""


def rules_json(r: ProcessRules) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ProcessRules.__dataclass_fields__:
        v = getattr(r, name)
        out[name] = f"{v.numerator}/{v.denominator}" if isinstance(v, Fraction) else v
    return out


def rules_from_json(d: dict[str, Any]) -> ProcessRules:
    kw: dict[str, Any] = {}
    for name, v in d.items():
        kw[name] = Fraction(v) if isinstance(v, str) else v
    return ProcessRules(**kw)


expected = assembly_json  # the JSON form lives in interop (the harness answers it too)


# --- the cases ------------------------------------------------------------------


def first_check_passes(sc: Scenario) -> None:
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.close(p)


def threshold_90_exact(sc: Scenario) -> None:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:9], no=TEN[9:])
    sc.close(p)


def threshold_90_just_below(sc: Scenario) -> None:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:8], no=TEN[8:9])
    sc.close(p)


def quorum_not_met(sc: Scenario) -> None:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:4])
    sc.close(p)


def minor_round_amended(sc: Scenario) -> None:
    text = "We plant it."
    p = sc.propose("m0", text=text)
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    g = sc.grievance("m8", p, "cost", text="too expensive")
    sc.grievance("m9", p, "cost")
    sc.close(p)
    sc.elect("m8", p, "cost", "m8")
    sc.elect("m9", p, "cost", "m8")
    sc.plea("m8", p, "cost", "share seeds")
    sc.agree("m1", g)
    op = TextDocument(p, text).prepare_insert(len(text), " With shared seeds.").op
    am = sc.amend("m9", p, "cost", [op], "cheaper")
    for n in TEN[:6]:
        sc.amendment_vote(n, am, Choice.FOR)
    sc.close(p)
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.close(p)


def two_thirds_after_deal_breakers(sc: Scenario, final_yes: int = 7) -> None:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:6], no=TEN[6:])
    sc.close(p)
    sc.grievance("m6", p, "cost")
    sc.grievance("m8", p, "harm", deal_breaker=True)
    sc.close(p)
    sc.close(p)  # minor round
    sc.votes(p, yes=TEN[:7], no=TEN[7:])
    sc.close(p)  # minor check fails: major round
    sc.elect("m8", p, "harm", "m8")
    sc.close(p)
    sc.votes(p, yes=TEN[:final_yes], no=TEN[final_yes:])
    sc.close(p)


def fails(sc: Scenario) -> None:
    two_thirds_after_deal_breakers(sc, final_yes=6)


def tabled(sc: Scenario) -> None:
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN)
    sc.close(p)
    sc.votes(p, no=TEN[:6])
    sc.close(p)


def planning_all_abstain(sc: Scenario) -> None:
    """Every member abstains in planning: FOR + AGAINST = 0 is support below
    the contention threshold, so the last abstention tables it (§7.7)."""
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.votes(p, abstain=FIVE)


def discussion_minimum(sc: Scenario) -> None:
    """The default discussion minimum (2 days): a facilitator's close one
    second early is ignored, the close at exactly two days counts (§7.1)."""
    p = sc.propose("ana")
    opened = sc.now
    sc.close(p, time=opened + 2 * DAY - 1)
    sc.close(p, time=opened + 2 * DAY)


def recall(sc: Scenario) -> None:
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.close(p)
    m = sc.mandate("ana", p, "bea", sc.now + 30 * DAY)
    sc.votes(m, yes=FIVE[:3])
    sc.close(m)
    for n in ("cruz", "dev", "eli"):
        sc.recall(n, m)


def term_limits(sc: Scenario) -> None:
    """A 91-day mandate and a renewal during the term are ignored; another
    member at once; the same one after the 30-day cooling-off."""
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.close(p)
    sc.mandate("ana", p, "bea", sc.now + 91 * DAY)
    m = sc.mandate("ana", p, "bea", sc.now + 10 * DAY)
    sc.votes(m, yes=FIVE[:3])
    sc.close(m)
    sc.mandate("ana", p, "bea", sc.now + 10 * DAY)
    sc.mandate("ana", p, "cruz", sc.now + 10 * DAY)
    sc.advance(10 * DAY + 30 * DAY)
    sc.mandate("ana", p, "bea", sc.now + 10 * DAY)


def vanished_facilitator(sc: Scenario) -> None:
    p = sc.propose("ana")
    fac = sc.facilitator(p)
    others = [n for n in FIVE if n != fac]
    sc.close(p, by=others[0])
    sc.advance(DAY)
    for n in others[:3]:
        sc.close(p, by=n)


def late_equivocating_and_outsider(sc: Scenario) -> None:
    p = sc.to_first_check("ana")
    sc.votes(p, yes=("ana", "bea"))
    sc.vote("mallory", p, Choice.AGAINST)
    base = sc.heads()
    seq = sc.seq.get("cruz", 0) + 1
    sc.vote("cruz", p, Choice.FOR, parents=base, seq=seq)
    sc.vote("cruz", p, Choice.AGAINST, parents=base, seq=seq)
    before = sc.heads()
    sc.close(p)
    sc.vote("dev", p, Choice.AGAINST, parents=before)


def membership(sc: Scenario) -> None:
    m = sc.admit("ana", "fern")
    sc.votes(m, yes=FIVE[:3])
    sc.close(m)
    sc.leave("eli")
    sc.rotate("dev", "dev2")
    r = sc.leave("ana", "cruz")
    sc.votes(r, yes=("ana", "bea", "fern"), no=("cruz",))
    sc.close(r)


def own_procedures(sc: Scenario) -> None:
    """A Community lowers its own quorum to 2/5 (within the charter); a
    proposal opened after it passes its first check with 2 of 5 voting. An
    amendment of the size cap (federation-level) and one above the charter
    are ignored."""
    c = sc.post("ana", ConstitutionAmendment(2, ((7, 2, 5),), "two in five suffice")).id
    sc.post("bea", ConstitutionAmendment(2, ((9, 500, 1),), "bigger"))
    sc.post("bea", ConstitutionAmendment(2, ((7, 3, 5),), "more"))
    sc.close(c)
    sc.votes(c, yes=FIVE)
    sc.close(c)
    sc.close(c)
    p = sc.to_first_check("cruz")
    sc.votes(p, yes=("ana", "bea"))
    sc.close(p)


def concurrent_amendments(sc: Scenario) -> None:
    text = "Plant trees."
    p = sc.propose("m0", text=text)
    sc.close(p)
    sc.votes(p, yes=TEN[:8], no=TEN[8:])
    sc.close(p)
    sc.grievance("m8", p, "species")
    sc.grievance("m9", p, "species")
    sc.close(p)
    base = sc.heads()
    ops = [TextDocument(p, text).prepare_insert(6, w).op for w in ("oak ", "pine ")]
    a1 = sc.amend("m8", p, "species", [ops[0]], parents=base)
    a2 = sc.amend("m9", p, "species", [ops[1]], parents=base)
    for n in TEN[:6]:
        sc.amendment_vote(n, a1, Choice.FOR)
        sc.amendment_vote(n, a2, Choice.FOR if n != "m0" else Choice.AGAINST)
    sc.close(p)


def concurrent_cosigners(sc: Scenario) -> None:
    p = sc.propose("ana")
    fac = sc.facilitator(p)
    others = [n for n in FIVE if n != fac]
    base = sc.heads()
    for n in others[:3]:
        sc.close(p, by=n, parents=base)
    sc.close(p, by=others[3])


def hand_count(sc: Scenario) -> None:
    """Six hands in the square, three phones at home; a second count that
    lists a member already counted by hand is left out (no double count)."""
    p = sc.to_first_check("m0")
    fac = sc.facilitator(p)
    others = [m for m in TEN if m != fac]
    room = [fac, *others[:6]]
    sc.votes(p, yes=others[6:])
    sc.hand_count(p, (6, 0, 1), room, others[:2])
    sc.hand_count(p, (1, 0, 0), [others[5]], others[:2])
    sc.close(p)


def pertinent(sc: Scenario) -> None:
    """The author names the resolution's pertinent constituents before any
    close; a second naming, another member's, and one after a close are
    ignored (spec/federation.md, "Pertinent constituents")."""
    bodies = tuple(sorted(hashlib.sha256(t).digest() for t in (b"upper", b"lower")))
    p = sc.propose("ana", "River banks", "Cleaned by the two Communities along them.")
    sc.post("ana", Pertinent(p, bodies))
    sc.post("ana", Pertinent(p, bodies[:1]))
    sc.post("bea", Pertinent(p, bodies[1:]))
    q = sc.propose("bea", "Bridge", "A footbridge.")
    sc.close(q)
    sc.post("bea", Pertinent(q, bodies))


def mandate_expiry(sc: Scenario) -> None:
    """A mandate elected for ten days; at the case's ``now``, past it, it is
    expired."""
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.close(p)
    m = sc.mandate("ana", p, "bea", sc.now + 10 * DAY, scope="buy seeds, at most 40")
    sc.votes(m, yes=FIVE[:3])
    sc.close(m)
    sc.advance(11 * DAY)


def recall_after_expiry(sc: Scenario) -> None:
    """Recall votes claimed after a mandate expired are ignored: it stays
    expired, never recalled."""
    mandate_expiry(sc)
    m = next(s for s, x in sc.assembly().subjects.items() if x.kind.name == "MANDATE")
    for n in ("cruz", "dev", "eli"):
        sc.recall(n, m)


def bad_rotation_proof(sc: Scenario) -> None:
    """A rotation whose new key's proof does not verify is evidence and
    changes nothing; a good one moves the member's vote to the new key."""
    sc.post("eli", RotateKey(sc.key("eve"), b"\x01" * 64))
    sc.rotate("dev", "dev2")
    p = sc.to_first_check("ana")
    sc.votes(p, yes=("ana", "bea", "cruz", "dev2", "eli"))
    sc.vote("eve", p, Choice.AGAINST)  # not a member: the rotation did not happen
    sc.close(p)


def conflicting_close(sc: Scenario) -> None:
    """The facilitator closes the temperature check twice concurrently: one
    close is effective, the other is ignored and is evidence."""
    p = sc.to_first_check("ana")
    fac = sc.facilitator(p)
    sc.votes(p, yes=FIVE)
    base = sc.heads()
    sc.close(p, Stage.TEMPERATURE, by=fac, parents=base)
    sc.close(p, Stage.TEMPERATURE, by=fac, parents=base)


def delegate_elections(sc: Scenario) -> None:
    """Two categories in the minor round; in one the holders split their
    votes between two candidates, in the other a non-holder's election and a
    plea by someone who is not the delegate are ignored; members agree and
    disagree with a grievance."""
    p = sc.to_first_check("m0")
    sc.votes(p, yes=TEN[:6], no=TEN[6:])
    sc.close(p)
    g6 = sc.grievance("m6", p, "cost")
    sc.grievance("m7", p, "cost")
    sc.grievance("m8", p, "noise")
    sc.grievance("m9", p, "noise")
    sc.close(p)
    sc.elect("m6", p, "cost", "m6")
    sc.elect("m7", p, "cost", "m7")
    sc.elect("m8", p, "noise", "m9")
    sc.elect("m9", p, "noise", "m9")
    sc.elect("m1", p, "noise", "m1")  # not a holder of noise
    sc.plea("m9", p, "noise", "quiet hours after ten")
    sc.plea("m8", p, "noise", "me too")  # not the delegate
    for n in TEN[:4]:
        sc.agree(n, g6)
    sc.agree("m4", g6, False)
    sc.close(p)


CASES: list[tuple[str, str, tuple[str, ...], ProcessRules, Callable[[Scenario], None]]] = [
    (
        "first-check-passes",
        "carried at the first temperature check",
        FIVE,
        ProcessRules(),
        first_check_passes,
    ),
    (
        "threshold-90-exact",
        "9 FOR / 1 AGAINST is exactly 90 %: planning",
        TEN,
        ProcessRules(),
        threshold_90_exact,
    ),
    (
        "threshold-90-below",
        "8 FOR / 1 AGAINST is 88.9 %: concerns",
        TEN,
        ProcessRules(),
        threshold_90_just_below,
    ),
    (
        "quorum-not-met",
        "4 of 10 cast, all FOR: quorum 1/2 not met",
        TEN,
        ProcessRules(),
        quorum_not_met,
    ),
    (
        "minor-round-amended",
        "non-deal-breaker round, adopted amendment, second check",
        TEN,
        ProcessRules(),
        minor_round_amended,
    ),
    (
        "two-thirds",
        "deal-breaker round, final vote 7/3 >= 2/3",
        TEN,
        ProcessRules(),
        two_thirds_after_deal_breakers,
    ),
    ("fails", "final vote 6/4 < 2/3", TEN, ProcessRules(), fails),
    ("tabled", "support falls to 4/6 in planning", TEN, ProcessRules(), tabled),
    (
        "planning-all-abstain",
        "every member abstains in planning: FOR + AGAINST = 0 tables it",
        FIVE,
        ProcessRules(),
        planning_all_abstain,
    ),
    (
        "discussion-minimum",
        "the default 2-day discussion: one second early is ignored, 2 days closes",
        FIVE,
        ProcessRules(),
        discussion_minimum,
    ),
    ("recall", "mandate elected, then recalled by 3 of 5", FIVE, ProcessRules(), recall),
    (
        "term-limits",
        "a 91-day mandate and a renewal in term ignored; another member at once; "
        "the same after the cooling-off",
        FIVE,
        ProcessRules(),
        term_limits,
    ),
    (
        "vanished-facilitator",
        "a quorum co-signs the close after the deadline",
        FIVE,
        ProcessRules(min_duration=NO_MINIMUM, deadline={k: DAY for k in ProcessRules().deadline}),
        vanished_facilitator,
    ),
    (
        "late-equivocating-outsider",
        "a late vote, an equivocating voter, a non-member",
        FIVE,
        ProcessRules(),
        late_equivocating_and_outsider,
    ),
    ("membership", "admission, leaving, rotation, removal", FIVE, ProcessRules(), membership),
    (
        "own-procedures",
        "a Community lowers its own quorum to 2/5; the size cap and a quorum above 1/2 are refused",
        FIVE,
        ProcessRules(),
        own_procedures,
    ),
    (
        "concurrent-amendments",
        "two amendments edit one place concurrently; both adopted",
        TEN,
        ProcessRules(),
        concurrent_amendments,
    ),
    (
        "hand-count",
        "a temperature check partly by hand (7 present, witnessed) and partly on phones; "
        "a second count naming someone already counted is left out: 9 FOR of 10, planning",
        TEN,
        ProcessRules(),
        hand_count,
    ),
    (
        "pertinent",
        "the author names a resolution's pertinent constituents; later namings are ignored",
        FIVE,
        ProcessRules(),
        pertinent,
    ),
    (
        "concurrent-cosigners",
        "three concurrent co-signatures; the close that sees them closes",
        FIVE,
        ProcessRules(min_duration=NO_MINIMUM, deadline={k: 0 for k in ProcessRules().deadline}),
        concurrent_cosigners,
    ),
    (
        "mandate-expiry",
        "a ten-day mandate is expired at the case's now",
        FIVE,
        ProcessRules(),
        mandate_expiry,
    ),
    (
        "recall-after-expiry",
        "recall votes after a mandate's expiry are ignored: it stays expired",
        FIVE,
        ProcessRules(),
        recall_after_expiry,
    ),
    (
        "bad-rotation-proof",
        "a rotation with a bad proof is evidence and changes nothing; a good one moves the vote",
        FIVE,
        ProcessRules(),
        bad_rotation_proof,
    ),
    (
        "conflicting-close",
        "the facilitator closes one stage twice concurrently: one is effective, one evidence",
        FIVE,
        ProcessRules(),
        conflicting_close,
    ),
    (
        "delegate-elections",
        "delegates elected per category (a split vote, a non-holder's election ignored), "
        "a plea by a non-delegate ignored, agreement and disagreement counted",
        TEN,
        ProcessRules(),
        delegate_elections,
    ),
]


def build() -> dict[str, Any]:
    cases = []
    for tc_id, comment, members, rules, script in CASES:
        sc = Scenario(members, rules=rules)
        script(sc)
        cases.append(
            {
                "tcId": tc_id,
                "comment": comment,
                "rules": rules_json(rules),
                "body": sc.body.hex(),
                "now": sc.now,
                "messages": [m.raw.hex() for m in sc.messages],
                "expect": expected(sc.assembly(), sc.now),
            }
        )
    return {
        "description": "Logs and the exact results the assembly process must produce "
        "(spec/process.md). Messages are wire bytes in signing order; fold them in any "
        "delivery order.",
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
