"""LoRa time on air (Semtech SX127x datasheet; application note AN1200.13).

    T_sym      = 2**SF / BW
    T_preamble = (n_preamble + 4.25) * T_sym
    n_payload  = 8 + max(ceil((8*PL - 4*SF + 28 + 16*CRC - 20*IH) / (4*(SF - 2*DE))) * (CR + 4), 0)
    T          = T_preamble + n_payload * T_sym

PL is the payload in bytes, CR is 1..4 for coding rates 4/5..4/8, IH is 1 for
an implicit header, CRC is 1 when the payload CRC is on, DE is 1 when low
data rate optimisation is on (mandated when T_sym exceeds 16 ms). Pure
arithmetic: the scheduler and the simulated channel both use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import LocalMeshError


@dataclass(frozen=True, slots=True)
class LoRaParams:
    sf: int = 11
    bw_hz: int = 250_000
    cr: int = 1  # 4/5
    preamble: int = 16
    explicit_header: bool = True
    crc: bool = True
    low_data_rate: bool | None = None  # None: on exactly when T_sym > 16 ms

    def __post_init__(self) -> None:
        if not 6 <= self.sf <= 12:
            raise LocalMeshError(f"spreading factor {self.sf} outside 6..12")
        if self.cr not in (1, 2, 3, 4):
            raise LocalMeshError("coding rate index is 1..4 (4/5..4/8)")
        if self.bw_hz <= 0 or self.preamble < 0:
            raise LocalMeshError("bandwidth must be positive and the preamble non-negative")

    @property
    def symbol_s(self) -> float:
        return float(2**self.sf) / self.bw_hz

    @property
    def ldro(self) -> bool:
        return self.symbol_s > 0.016 if self.low_data_rate is None else self.low_data_rate

    def payload_symbols(self, nbytes: int) -> int:
        de = 1 if self.ldro else 0
        ih = 0 if self.explicit_header else 1
        crc = 1 if self.crc else 0
        num = 8 * nbytes - 4 * self.sf + 28 + 16 * crc - 20 * ih
        den = 4 * (self.sf - 2 * de)
        return 8 + max(math.ceil(num / den) * (self.cr + 4), 0)

    def airtime(self, nbytes: int) -> float:
        """Seconds on air for a packet of ``nbytes`` of payload."""
        if nbytes < 0:
            raise LocalMeshError("a packet has a non-negative size")
        return (self.preamble + 4.25) * self.symbol_s + self.payload_symbols(nbytes) * self.symbol_s


# Meshtastic's presets (firmware src/mesh/RadioInterface.cpp); preamble 16.
MESHTASTIC = {
    "SHORT_FAST": LoRaParams(sf=7, bw_hz=250_000, cr=1),
    "MEDIUM_FAST": LoRaParams(sf=9, bw_hz=250_000, cr=1),
    "LONG_FAST": LoRaParams(sf=11, bw_hz=250_000, cr=1),
    "LONG_SLOW": LoRaParams(sf=12, bw_hz=125_000, cr=4),
}
# The LoRaWAN defaults the published airtime tables use: preamble 8.
LORAWAN_SF7BW125 = LoRaParams(sf=7, bw_hz=125_000, cr=1, preamble=8)
LORAWAN_SF12BW125 = LoRaParams(sf=12, bw_hz=125_000, cr=1, preamble=8)
