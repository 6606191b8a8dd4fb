"""Bodies nest: Workplace and Community in a Municipality, in a Region, in
the Collective; links are assembled from the geneses a node holds."""

from __future__ import annotations

from protocol.bodies import BodyDirectory
from protocol.envelope import Envelope, sign
from protocol.kinds import BodyKind, Genesis
from protocol.testing import seed_of


def genesis(kind: BodyKind, name: str, parent: bytes | None) -> Envelope:
    s = seed_of("founder " + name)
    from protocol.keys import public_key

    return sign(s, None, Genesis(kind, name, parent, (public_key(s),), (), b""), seq=1, time=1)


def test_the_tree_of_bodies() -> None:
    d = BodyDirectory()
    coll = d.add(genesis(BodyKind.COLLECTIVE, "all", None))
    region = d.add(genesis(BodyKind.REGION, "north", coll.id))
    muni = d.add(genesis(BodyKind.MUNICIPALITY, "town", region.id))
    c1 = d.add(genesis(BodyKind.COMMUNITY, "east side", muni.id))
    c2 = d.add(genesis(BodyKind.COMMUNITY, "west side", muni.id))
    shop = d.add(genesis(BodyKind.WORKPLACE, "bakery", muni.id))
    assert {b.id for b in d.children(muni.id)} == {c1.id, c2.id, shop.id}
    assert [b.id for b in d.ancestors(c1.id)] == [muni.id, region.id, coll.id]
    assert {b.id for b in d.communities_under(coll.id)} == {c1.id, c2.id, shop.id}
    assert not d.problems


def test_a_body_that_does_not_fit_is_a_problem_not_a_crash() -> None:
    d = BodyDirectory()
    c = d.add(genesis(BodyKind.COMMUNITY, "east side", None))
    bad = d.add(genesis(BodyKind.REGION, "north", c.id))
    coll = d.add(genesis(BodyKind.COLLECTIVE, "all", c.id))
    assert "cannot belong to a community" in d.problems[bad.id]
    assert "has no parent" in d.problems[coll.id]
    assert d.children(c.id) == ()
    assert d.parent(bad.id) is None
