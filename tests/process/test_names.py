"""Display names (spec/process.md, "Names"): own names win over
introductions, the latest own name counts, names follow key rotation, and
only the genesis author introduces founders."""

from __future__ import annotations

from protocol.kinds import Name
from protocol.testing import Scenario


def name_of(sc: Scenario, who: str) -> tuple[str, str] | None:
    rec = sc.assembly().names.of(sc.key(who))
    return None if rec is None else (rec.name, rec.source)


def test_own_name_latest_counts() -> None:
    sc = Scenario()
    sc.post("bea", Name(sc.key("bea"), "Bea"))
    sc.post("bea", Name(sc.key("bea"), "Beatriz"))
    assert name_of(sc, "bea") == ("Beatriz", "self")
    assert name_of(sc, "cruz") is None


def test_genesis_author_introduces_founders_and_own_name_wins() -> None:
    sc = Scenario()  # ana signed the genesis
    sc.post("ana", Name(sc.key("cruz"), "Cruz P."))
    assert name_of(sc, "cruz") == ("Cruz P.", "founding")
    sc.post("cruz", Name(sc.key("cruz"), "Cruz"))
    assert name_of(sc, "cruz") == ("Cruz", "self")
    # a later introduction does not hide the member's own name
    sc.post("ana", Name(sc.key("cruz"), "Someone else"))
    assert name_of(sc, "cruz") == ("Cruz", "self")


def test_others_cannot_name_a_member() -> None:
    sc = Scenario()
    env = sc.post("bea", Name(sc.key("cruz"), "Mallory"))
    a = sc.assembly()
    assert a.names.of(sc.key("cruz")) is None
    assert [i.reason for i in a.ignored if i.message == env.id] == [
        "a member names only themself (the genesis author introduces founders)"
    ]


def test_admission_introduces_by_the_admit_name() -> None:
    sc = Scenario(["ana", "bea", "cruz"])
    motion = sc.admit("ana", "dora")
    sc.votes(motion, yes=["ana", "bea"])
    sc.close(motion)
    assert name_of(sc, "dora") == ("dora", "admission")
    sc.post("dora", Name(sc.key("dora"), "Dora"))
    assert name_of(sc, "dora") == ("Dora", "self")


def test_name_follows_key_rotation() -> None:
    sc = Scenario()
    sc.post("bea", Name(sc.key("bea"), "Bea"))
    sc.rotate("bea", "bea2")
    a = sc.assembly()
    identity = a.roster().identity_of(sc.key("bea2"))
    assert identity == sc.key("bea")
    rec = a.names.of(identity)
    assert rec is not None and rec.name == "Bea"
    sc.post("bea2", Name(sc.key("bea2"), "Bea R."))
    rec = sc.assembly().names.of(identity)
    assert rec is not None and (rec.name, rec.source) == ("Bea R.", "self")


def test_non_member_name_is_ignored() -> None:
    sc = Scenario()
    env = sc.post("zoe", Name(sc.key("zoe"), "Zoe"))
    a = sc.assembly()
    assert a.names.all() == {}
    assert any(i.message == env.id for i in a.ignored)


def test_names_are_part_of_the_state_hash() -> None:
    a, b = Scenario(), Scenario()
    a.post("bea", Name(a.key("bea"), "Bea"))
    assert a.assembly().state_hash() != b.assembly().state_hash()
