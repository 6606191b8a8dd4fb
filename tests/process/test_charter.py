"""The charter: civil-rights invariants of the constitution are checked
(spec/constitution.md): no genesis and no constitution amendment may take
away the right to recall, let a facilitator or an absent majority block
decisions, or set a deadline that can never be reached."""

from __future__ import annotations

import pytest

from protocol.errors import OutOfRange
from protocol.rules import ProcessRules, amend, charter_violations, from_params


def test_defaults_respect_the_charter() -> None:
    assert charter_violations(ProcessRules()) == []


@pytest.mark.parametrize(
    ("params", "what"),
    [
        (((6, 3, 4),), "right to recall"),  # recall needs 3/4 of members
        (((8, 9, 10),), "no facilitator can block"),  # co-signed close needs 9/10
        (((7, 2, 3),), "absent majority"),  # quorum of 2/3
        (((17, 86400 * 10, 1),), "never closes"),  # vote stage: minimum 10 days > 7-day deadline
    ],
)
def test_a_genesis_cannot_break_the_charter(
    params: tuple[tuple[int, int, int], ...], what: str
) -> None:
    with pytest.raises(OutOfRange, match=what):
        from_params(params)


def test_an_amendment_cannot_break_it_either_but_may_tighten_within_it() -> None:
    rules = amend(ProcessRules(), ((6, 1, 3),))  # recall by a third: more recallable, fine
    assert rules.recall_threshold.numerator == 1
    with pytest.raises(OutOfRange, match="right to recall"):
        amend(rules, ((6, 2, 3),))
