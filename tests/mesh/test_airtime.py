"""LoRa time on air against published values, and duty-cycle budgets that
are never exceeded (spec/mesh.md)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesh.airtime import LORAWAN_SF7BW125, LORAWAN_SF12BW125, MESHTASTIC, LoRaParams
from mesh.dutycycle import HOUR, Budget, Priority, SendQueue, sub_band
from mesh.errors import LocalMeshError, OverBudget


@pytest.mark.parametrize(
    ("params", "nbytes", "ms"),
    [
        # The Things Network's airtime table (LoRaWAN EU868, 8-symbol preamble,
        # explicit header, CRC on, CR 4/5), which follows Semtech AN1200.13.
        (LORAWAN_SF7BW125, 20, 56.576),
        (LORAWAN_SF7BW125, 51, 102.656),
        (LORAWAN_SF12BW125, 51, 2465.792),
        (LORAWAN_SF12BW125, 12, 1155.072),
    ],
)
def test_airtime_matches_published_values(params: LoRaParams, nbytes: int, ms: float) -> None:
    assert params.airtime(nbytes) * 1000 == pytest.approx(ms, abs=0.001)


def test_low_data_rate_optimisation_switches_on_above_16_ms_symbols() -> None:
    assert LORAWAN_SF12BW125.ldro and not LORAWAN_SF7BW125.ldro
    assert not MESHTASTIC["LONG_FAST"].ldro  # 8.192 ms symbols


def test_meshtastic_long_fast_carries_a_vote_in_under_two_seconds() -> None:
    assert 1.7 < MESHTASTIC["LONG_FAST"].airtime(213) < 2.0


def test_bad_radio_parameters_are_refused() -> None:
    with pytest.raises(LocalMeshError):
        LoRaParams(sf=13)
    with pytest.raises(LocalMeshError):
        sub_band("EU868", 870.5)
    with pytest.raises(LocalMeshError):
        sub_band("XX", 868.1)


def test_sub_bands() -> None:
    assert sub_band("EU868", 869.525).duty == 0.10
    assert sub_band("EU868", 868.1).duty == 0.01
    assert sub_band("EU868", 868.9).duty == 0.001


def _window_max(sends: list[tuple[float, float]]) -> float:
    """Largest time on air in any hour-long window (checked independently)."""
    worst = 0.0
    for t0, _ in sends:
        end = t0 + HOUR
        worst = max(worst, sum(min(a, end - t) for t, a in sends if t0 <= t < end))
    return worst


@given(st.integers(0, 2**32), st.sampled_from([868.1, 869.525, 868.9]))
@settings(max_examples=25, deadline=None)
def test_random_traffic_never_exceeds_the_duty_cycle(seed: int, mhz: float) -> None:
    rng = random.Random(seed)
    radio = MESHTASTIC["LONG_FAST"]
    budget = Budget(sub_band("EU868", mhz))
    queue = SendQueue(budget, radio.airtime)
    now, sends = 0.0, []
    for _ in range(rng.randint(20, 120)):
        queue.push(bytes(rng.randint(20, 233)), Priority(rng.randrange(6)), created=now)
        now += rng.uniform(0, 120)
        for _ in range(50):
            frame, wake = queue.pop_ready(now)
            if frame is None:
                break
            sends.append((now, radio.airtime(len(frame))))
            now += radio.airtime(len(frame))
    while len(queue):
        frame, wake = queue.pop_ready(now)
        if frame is None:
            assert wake is not None and wake >= now
            now = wake
            continue
        sends.append((now, radio.airtime(len(frame))))
        now += radio.airtime(len(frame))
    assert _window_max(sends) <= budget.allowance_s + 1e-9
    assert budget.allowance_s < budget.band.duty * HOUR  # a polite margin below the law


def test_votes_and_verdicts_go_before_bulk_history_fresh_first() -> None:
    queue = SendQueue(Budget(sub_band("EU868", 869.525)), MESHTASTIC["LONG_FAST"].airtime)
    queue.push(b"bulk", Priority.BULK, created=1)
    queue.push(b"old vote", Priority.VOTE, created=1)
    queue.push(b"new vote", Priority.VOTE, created=5)
    queue.push(b"verdict", Priority.VERDICT, created=0)
    queue.push(b"recall", Priority.RECALL, created=0)
    order = [queue.pop_ready(10.0)[0] for _ in range(5)]
    assert order == [b"verdict", b"recall", b"new vote", b"old vote", b"bulk"]


def test_us915_dwell_time_refuses_long_frames() -> None:
    queue = SendQueue(Budget(sub_band("US915", 915.0)), LORAWAN_SF12BW125.airtime)
    with pytest.raises(OverBudget, match="never be sent"):
        queue.push(bytes(200), Priority.VOTE, created=0)
    queue.push(bytes(5), Priority.VOTE, created=0) if LORAWAN_SF12BW125.airtime(5) <= 0.4 else None


def test_recording_past_the_budget_is_refused() -> None:
    budget = Budget(sub_band("EU868", 868.9))  # 0.1 %: 3.24 s an hour with the margin
    budget.record(0.0, 3.0)
    with pytest.raises(OverBudget):
        budget.record(10.0, 1.0)
    assert budget.when(10.0, 1.0) >= HOUR


def test_bulk_history_leaves_a_reserve_for_votes() -> None:
    """Synchronising history in a quiet hour must not make the next vote wait
    for the window to roll: a fifth of the allowance is kept for decisions."""
    radio = MESHTASTIC["LONG_FAST"]
    budget = Budget(sub_band("EU868", 868.1))  # 1 %: 32.4 s an hour
    queue = SendQueue(budget, radio.airtime)
    for i in range(200):
        queue.push(bytes([i]) * 200, Priority.BULK, created=0.0)
    now = 0.0
    while True:
        frame, wake = queue.pop_ready(now)
        if frame is None:
            break
        now += radio.airtime(len(frame))
    assert wake is not None and wake > now  # the history waits for the next window
    assert budget.used(now) <= budget.allowance_s * 0.8 + 1e-9
    report = queue.report(now)
    assert report.reserved_s == pytest.approx(budget.allowance_s * 0.2)
    assert list(report.by_priority) == ["bulk"] and report.by_priority["bulk"][0] == len(queue)
    assert report.next_send_in_s == pytest.approx(wake - now)
    queue.push(b"vote" * 30, Priority.VOTE, created=now)
    queue.push(b"close" * 20, Priority.CLOSE, created=now)
    assert list(queue.report(now).by_priority) == ["vote", "close", "bulk"]
    assert queue.report(now).next_send_in_s == 0.0
    assert queue.pop_ready(now)[0] == b"vote" * 30  # at once, from the reserve
    assert queue.pop_ready(now)[0] == b"close" * 20
    assert budget.used(now) <= budget.allowance_s + 1e-9


@given(st.integers(0, 2**32))
@settings(max_examples=25, deadline=None)
def test_non_urgent_frames_never_use_the_reserve(seed: int) -> None:
    rng = random.Random(seed)
    radio = MESHTASTIC["LONG_FAST"]
    budget = Budget(sub_band("EU868", 868.1))
    queue = SendQueue(budget, radio.airtime, reserve=rng.choice([0.0, 0.1, 0.2, 0.5]))
    now = 0.0
    for _ in range(rng.randint(20, 200)):
        queue.push(bytes(rng.randint(20, 233)), Priority(rng.randrange(6)), created=now)
        now += rng.uniform(0, 60)
        for _ in range(20):
            before = budget.used(now)
            head = queue._heap[0] if len(queue) else None
            frame, _ = queue.pop_ready(now)
            if frame is None:
                break
            assert head is not None and head.frame == frame
            airtime = radio.airtime(len(frame))
            share = 1.0 if head.priority <= Priority.CLOSE else 1.0 - queue.reserve
            assert before + airtime <= budget.allowance_s * share + 1e-9
            now += airtime


def test_a_reserve_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(LocalMeshError, match="reserve"):
        SendQueue(Budget(sub_band("EU868", 868.1)), MESHTASTIC["LONG_FAST"].airtime, reserve=1.0)
