"""Delegates are temporary (spec/process.md §9a): a mandate runs at most
``mandate_max_term``, and the same member is nominated for the same
resolution again only ``mandate_cooling_off`` after their term ended."""

from __future__ import annotations

from dataclasses import replace

from protocol.kinds import Mandate
from protocol.rules import DAY
from protocol.stages import Stage
from protocol.terms import term_refusal
from protocol.testing import Scenario

FIVE = ("ana", "bea", "cruz", "dev", "eli")


def _carried(sc: Scenario) -> bytes:
    p = sc.to_first_check("ana")
    sc.votes(p, yes=FIVE)
    sc.close(p)
    sc.close(p)
    assert sc.assembly().stage(p) == Stage.CARRIED
    return p


def _elect(sc: Scenario, p: bytes, delegate: str, days: int) -> bytes:
    m = sc.mandate("ana", p, delegate, sc.now + days * DAY)
    sc.votes(m, yes=("ana", "cruz", "dev"))
    sc.close(m)
    assert sc.assembly().stage(m) == Stage.ADOPTED
    return m


def _reason(sc: Scenario, mid: bytes) -> str:
    return {i.message: i.reason for i in sc.assembly().ignored}[mid]


def test_a_mandate_longer_than_the_term_limit_is_ignored() -> None:
    sc = Scenario(FIVE)
    p = _carried(sc)
    long = sc.mandate("ana", p, "bea", sc.now + 91 * DAY)
    assert "at most 90 days (mandate_max_term); this one 91.0 days" in _reason(sc, long)
    assert long not in sc.assembly().subjects
    _elect(sc, p, "bea", 90)  # exactly the limit is allowed


def test_the_same_delegate_again_only_after_the_cooling_off() -> None:
    sc = Scenario(FIVE)
    p = _carried(sc)
    _elect(sc, p, "bea", 10)
    renew = sc.mandate("ana", p, "bea", sc.now + 20 * DAY)  # while the term runs
    assert "the same delegate again" in _reason(sc, renew)
    other = _elect(sc, p, "cruz", 10)  # rotation: someone else at once
    assert other in sc.assembly().subjects
    sc.advance(10 * DAY + 29 * DAY)  # expired 29 days ago
    early = sc.mandate("ana", p, "bea", sc.now + 5 * DAY)
    assert "cooling-off (mandate_cooling_off, 30 days)" in _reason(sc, early)
    sc.advance(2 * DAY)
    _elect(sc, p, "bea", 5)


def test_a_recall_starts_the_cooling_off_and_it_follows_a_rotated_key() -> None:
    sc = Scenario(FIVE)
    p = _carried(sc)
    m = _elect(sc, p, "bea", 60)
    for n in ("cruz", "dev", "eli"):
        sc.recall(n, m)
    assert [v.status for v in sc.assembly().mandates(sc.now) if v.id == m] == ["recalled"]
    sc.rotate("bea", "bea2")
    sc.advance(31 * DAY)  # 31 days after the recall, long before the expiry
    _elect(sc, p, "bea2", 10)
    again = sc.mandate("ana", p, "bea2", sc.now + 10 * DAY)
    assert "the same delegate again" in _reason(sc, again)


def test_term_refusal_is_a_pure_rule() -> None:
    sc = Scenario(FIVE)
    rules = sc.assembly().rules
    res, bea = b"r" * 32, sc.key("bea")
    m = Mandate(res, bea, "x", 1_000 + 10 * DAY)
    assert term_refusal(m, 1_000, bea, rules, [], lambda k: k) is None
    held = [(replace(m, expires=1_000), None)]
    assert term_refusal(m, 1_000, bea, rules, held, lambda k: k) is not None
    other = [(replace(m, resolution=b"s" * 32, expires=1_000), None)]
    assert term_refusal(m, 1_000, bea, rules, other, lambda k: k) is None
    recalled = [(replace(m, expires=10**9), 1_000 - 31 * DAY)]
    assert term_refusal(m, 1_000, bea, rules, recalled, lambda k: k) is None
