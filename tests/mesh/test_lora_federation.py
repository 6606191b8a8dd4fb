"""A Municipality of three Communities linked only by simulated LoRa (EU868,
a 1 % sub-band, SF11/BW250: Meshtastic's LongFast) carries a resolution from
proposal to combined Municipality verdict within the duty cycle."""

from __future__ import annotations

import trio
import trio.testing

from mesh.airtime import MESHTASTIC
from mesh.lora_federation import run


def test_municipality_over_lora_within_the_duty_cycle() -> None:
    async def main() -> None:
        out = await run(params=MESHTASTIC["LONG_FAST"], mhz=868.1, loss=0.1, seed=1)
        print(
            f"\nradio time: attestations combined after {out.provisional_s:.0f} s, "
            f"confirmed by full proofs after {out.confirmed_s:.0f} s; airtime per node: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in out.airtime.items())
        )
        assert out.standing == "passed"
        assert out.provisional_s is not None and out.confirmed_s is not None
        assert out.provisional_s <= out.confirmed_s
        for name, used in out.budget_used.items():
            assert used <= out.allowance_s + 1e-9, name
        assert out.attestation_bytes <= 1024

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_the_simulation_is_the_same_run_after_run() -> None:
    """Seeded loss is drawn per event and the send queue breaks ties by the
    frame's bytes, so trio's deliberate variation of task order changes
    nothing: two runs of one seed give the same times, airtime and losses
    (to the µs: the second run starts at another clock reading)."""

    async def twice() -> list[tuple[object, ...]]:
        outs = []
        for _ in range(2):
            out = await run(params=MESHTASTIC["LONG_FAST"], mhz=868.1, loss=0.1, seed=3)
            times = (round(out.provisional_s or -1, 6), round(out.confirmed_s or -1, 6))
            airtime = {k: round(v, 6) for k, v in out.airtime.items()}
            outs.append((times, airtime, out.losses, out.collisions))
        return outs

    first, second = trio.run(twice, clock=trio.testing.MockClock(autojump_threshold=0))
    assert first == second
