"""The people's constitution (spec/constitution.md): anyone proposes an
initiative in the Collective's log; every Community decides its exact
text; it is ratified when the combined verdicts up to the Collective reach
the ratification threshold of all constituents; every body applies it from
its adoption on, and a verdict decided under a superseded version does not
count."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from protocol.assembly import Assembly
from protocol.errors import OutOfRange
from protocol.federal import FOUNDING, amended, constitution_text, initiative_text
from protocol.federation import Federation
from protocol.kinds import (
    BodyKind,
    ConstitutionAdoption,
    ConstitutionAmendment,
    ConstitutionInitiative,
    Proposal,
    Ratification,
)
from protocol.nesting import LevelProof
from protocol.ratification import Ratified, ratification_standing, verify
from protocol.rules import ProcessRules
from protocol.testing import Scenario
from protocol.verdict import ProofError, community_verdict

SMALL = ProcessRules(min_constituent_size=5)
"""Test Communities have five members: version 1 leaves the genesis values."""
NAMES = ("ana", "bea", "cruz", "dev", "eli")
COMMONS = ConstitutionInitiative(
    2,
    ((10, 40, 1),),
    ((8, "Care of the commons", "Rivers, forests and soil are held in common."),),
    "the commons deserve an article",
)


def test_an_initiative_adds_replaces_and_repeals_articles_and_sets_federal_parameters() -> None:
    after = amended(FOUNDING, COMMONS)
    assert after.version == 2 and after.value(10) == 40
    assert after.article(8) == ("Care of the commons", COMMONS.articles[0][2])
    assert after.article(1) == FOUNDING.article(1)
    assert after.digest() != FOUNDING.digest()
    repeal = ConstitutionInitiative(3, (), ((4, "", ""),), "")
    third = amended(after, repeal)
    assert third.article(4) is None and len(third.articles) == len(after.articles) - 1
    assert initiative_text(repeal) == (
        "The people's constitution, version 3: amendment\n\nArticle 4 is repealed."
    )
    assert initiative_text(COMMONS).endswith("Parameter 10 (min_constituent_size): 40")
    assert "Article 6. Restorative justice" in constitution_text(FOUNDING)


@pytest.mark.parametrize(
    ("initiative", "reason"),
    [
        (ConstitutionInitiative(3, (), ((1, "A", "b"),), ""), "amends version 2"),
        (ConstitutionInitiative(2, (), (), ""), "at least one"),
        (ConstitutionInitiative(2, ((7, 1, 3),), (), ""), "each body's own procedure"),
        (ConstitutionInitiative(2, ((13, 1, 3),), (), ""), "outside"),
        (ConstitutionInitiative(2, (), ((99, "", ""),), ""), "does not exist"),
        (ConstitutionInitiative(2, (), ((2, "Civil rights", ""),), ""), "both a title and a text"),
    ],
)
def test_an_initiative_that_does_not_apply_is_refused_with_the_reason(
    initiative: ConstitutionInitiative, reason: str
) -> None:
    with pytest.raises(OutOfRange, match=reason):
        amended(FOUNDING, initiative)


def collective() -> Scenario:
    return Scenario(("c1", "c2", "c3"), body_kind=BodyKind.COLLECTIVE, name="Collective")


def test_anyone_may_propose_in_the_collectives_log_and_nowhere_else() -> None:
    top = collective()
    i = top.post("a stranger", COMMONS).id  # not a member: still kept
    a = top.assembly()
    assert i in a.initiatives and i not in a.ignored_by_id
    assert a.initiatives[i].after == amended(FOUNDING, COMMONS)
    town = Scenario(NAMES)
    j = town.post("ana", COMMONS).id
    assert "Collective's log" in town.assembly().ignored_by_id[j].reason


def test_a_ratification_applies_only_once_the_reader_verified_it() -> None:
    top = collective()
    i = top.post("a stranger", COMMONS).id
    after = amended(FOUNDING, COMMONS)
    r = top.post("c1", Ratification(i, 2, after.digest())).id
    unverified = top.assembly()
    assert r in unverified.claims and unverified.federal_now() == FOUNDING
    verified = Assembly(top.body, ratified={r: after}).fold(top.log)
    assert verified.federal_now() == after
    assert verified.rules_now()[1].min_constituent_size == 40
    later = top.propose("c2", "After", "text")
    assert Assembly(top.body, ratified={r: after}).fold(top.log).subject(later).federal == 2


def test_a_ratification_that_does_not_fit_its_initiative_is_ignored() -> None:
    top = collective()
    i = top.post("a stranger", COMMONS).id
    after = amended(FOUNDING, COMMONS)
    wrong = top.post("c1", Ratification(i, 2, FOUNDING.digest())).id
    outsider = top.post("a stranger", Ratification(i, 2, after.digest())).id
    first = top.post("c2", Ratification(i, 2, after.digest())).id
    again = top.post("c3", Ratification(i, 2, after.digest())).id
    a = Assembly(top.body, ratified={first: after}).fold(top.log)
    reasons = {k: v.reason for k, v in a.ignored_by_id.items()}
    assert "digest" in reasons[wrong]
    assert "not a member" in reasons[outsider]
    assert "already recorded" in reasons[again]
    assert first in a.claims and a.federal_now().version == 2
    # a rival initiative for the same version loses once the first is in force
    rival = top.post("c1", replace(COMMONS, rationale="a rival")).id
    late = top.post("c1", Ratification(rival, 2, after.digest())).id
    a = Assembly(top.body, ratified={first: after}).fold(top.log)
    assert "version 2 is in force" in a.ignored_by_id[rival].reason
    assert "no initiative" in a.ignored_by_id[late].reason


def test_the_collectives_own_amendment_never_changes_the_federal_parameters() -> None:
    top = collective()
    c = top.post("c1", ConstitutionAmendment(2, ((10, 40, 1),), "")).id
    assert "people's constitution" in top.assembly().ignored_by_id[c].reason


def test_a_body_applies_a_verified_version_from_its_adoption_on() -> None:
    after = amended(FOUNDING, COMMONS)
    collective_id, rat = b"\x01" * 32, b"\x02" * 32
    town = Scenario(NAMES)
    before = town.propose("ana", "Before", "text")
    skip = town.post("bea", ConstitutionAdoption(collective_id, rat, 3, after.digest())).id
    adopt = town.post("bea", ConstitutionAdoption(collective_id, rat, 2, after.digest())).id
    later = town.propose("cruz", "After", "text")
    blind = town.assembly()  # this reader has not verified the ratification
    assert "not verified" in blind.ignored_by_id[adopt].reason
    assert blind.subject(later).federal == 1
    seen = Assembly(town.body, ratified={rat: after}).fold(town.log)
    assert adopt not in seen.ignored_by_id
    assert "ratification" in seen.ignored_by_id[skip].reason
    assert seen.subject(before).federal == 1 and seen.subject(later).federal == 2
    assert seen.subject(later).rules.min_constituent_size == 40
    assert seen.subject(before).rules.min_constituent_size == 50
    assert seen.state_hash() != blind.state_hash()


# --- ratification from the people's verdicts --------------------------------------------


def community(tag: str, parent: Scenario, subject: bytes, text: str, yes: bool) -> object:
    names = tuple(f"{tag}{n}" for n in NAMES)
    sc = Scenario(names, name=f"Community {tag}", parent=parent.body, rules=SMALL)
    sc.decide(
        parent.body,
        subject,
        yes=names if yes else (),
        no=() if yes else names,
        title="The commons",
        text=text,
    )
    v = community_verdict(sc.assembly(), parent.body, subject)
    assert v is not None
    return sc.proof(parent.body, subject)


def federation(region_yes: tuple[tuple[bool, ...], ...]):  # type: ignore[no-untyped-def]
    """A Collective of Regions, each of one Municipality of Communities
    voting as given, on the commons initiative."""
    top = collective()
    init = top.post("a stranger", COMMONS).id
    text = initiative_text(COMMONS)
    structure: dict[bytes, frozenset[bytes]] = {}
    parts = []
    for r, yeses in enumerate(region_yes):
        region = Scenario((f"r{r}a", f"r{r}b"), body_kind=BodyKind.REGION, parent=top.body)
        rp = region.post(f"r{r}a", Proposal("The commons", text, "", top.body, init)).id
        muni = Scenario((f"m{r}a", f"m{r}b"), body_kind=BodyKind.MUNICIPALITY, parent=region.body)
        mp = muni.post(f"m{r}a", Proposal("The commons", text, "", region.body, rp)).id
        proofs = tuple(
            community(f"r{r}c{i}", muni, mp, text, y)  # type: ignore[misc]
            for i, y in enumerate(yeses)
        )
        structure[muni.body] = frozenset(p.community for p in proofs)  # type: ignore[attr-defined]
        inner = LevelProof(muni.body, muni.log.get(mp).raw, proofs)  # type: ignore[arg-type]
        structure[region.body] = frozenset({muni.body})
        parts.append(LevelProof(region.body, region.log.get(rp).raw, (inner,)))
    structure[top.body] = frozenset(p.body for p in parts)
    after = amended(FOUNDING, COMMONS)
    r = top.post("c1", Ratification(init, 2, after.digest())).id
    claim = top.assembly().claims[r]
    return top, claim, tuple(parts), structure


def test_ratified_when_the_regions_that_passed_the_text_reach_two_thirds_of_all() -> None:
    yes, no = (True, True, True), (False, False, False)
    top, claim, parts, structure = federation((yes, yes, no))
    result = verify(claim, top.body, parts, structure, SMALL)
    assert (result.count.votes_for, result.members) == (2, 3)
    assert ratification_standing(result, Fraction(2, 3)) == Ratified.RATIFIED
    # a Municipality whose Communities split fails by its ordinary rule (9/10)
    top, claim, parts, structure = federation((yes, (True, True, False), no))
    with pytest.raises(ProofError, match=r"1 of 3"):
        verify(claim, top.body, parts, structure, SMALL)


def test_not_ratified_when_a_region_refuses_and_the_reason_says_so() -> None:
    top, claim, parts, structure = federation(((True, True, True), (False, False, False)))
    with pytest.raises(ProofError, match=r"not ratified \(refused\): 1 of 2"):
        verify(claim, top.body, parts, structure, SMALL)


def test_a_ratification_cannot_rest_on_proofs_of_another_text() -> None:
    top, claim, parts, structure = federation(((True, True, True), (True, True, True)))
    forged = replace(claim, text=b"\x00" * 32)  # the verdicts decided the real text
    with pytest.raises(ProofError, match="not ratified"):
        verify(forged, top.body, parts, structure, SMALL)


def test_a_verdict_decided_under_a_superseded_version_does_not_count() -> None:
    after = amended(FOUNDING, COMMONS)
    rat = b"\x02" * 32
    muni = Scenario(("m1", "m2"), body_kind=BodyKind.MUNICIPALITY)
    resolution = muni.propose("m1", "Water", "cisterns")
    town = Scenario(NAMES, parent=muni.body, rules=SMALL)
    town.decide(muni.body, resolution, yes=NAMES, text="cisterns")
    fold = Assembly(town.body, SMALL, ratified={rat: after}).fold(town.log)
    v = community_verdict(fold, muni.body, resolution)
    assert v is not None
    fed = Federation(muni.body, resolution, frozenset({town.body}), rules=SMALL, federal=2)
    fed.learn(fold, v)
    assert "superseded by version 2" in (fed.take(v) or "")
    assert fed.combine().members == 0
    fed.federal = 1
    assert fed.take(v) is None and fed.combine().count.votes_for == 1
