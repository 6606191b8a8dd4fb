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
