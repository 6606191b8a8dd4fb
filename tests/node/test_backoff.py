"""node.backoff: the one retry policy of the bridge and gossip."""

from __future__ import annotations

import pytest

from node.backoff import Backoff


def test_it_doubles_up_to_its_limit_and_starts_again_after_a_success() -> None:
    b = Backoff(0.5, 4.0)
    assert [b.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert b.failures == 6
    b.reset()
    assert (b.next(), b.failures) == (0.5, 1)


def test_jitter_shortens_each_wait_by_at_most_its_share() -> None:
    draws = iter([0.0, 0.999, 0.5])
    b = Backoff(1.0, 8.0, jitter=0.2, rand=lambda: next(draws))
    waits = [b.next() for _ in range(3)]
    assert waits[0] == 1.0
    assert 2.0 * 0.8 <= waits[1] < 2.0
    assert waits[2] == pytest.approx(4.0 * 0.9)


@pytest.mark.parametrize(
    "kwargs",
    [{"first": 0}, {"first": 5, "limit": 1}, {"factor": 0.5}, {"jitter": 1.0}, {"jitter": 0.1}],
)
def test_a_policy_that_cannot_work_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)  # type: ignore[arg-type]
