"""The numbers the assembly process runs on, and how a count passes.

``ProcessRules`` is the process's view of the body's constitution: exact
fractions for every threshold and the quorum, the size cap, and per-stage
minimum durations and deadlines in seconds of claimed time. It is a plain
frozen dataclass so the fold, the tests and the spec vectors can state the
rules they run under; ``protocol.constitution`` (the typed constitution
parameters carried by GENESIS and amended at the Collective level) converts
to it.

How a count passes (spec/process.md, "Tallies"): with ``cast`` = FOR +
AGAINST + ABSTAIN among the counted votes and ``n`` the electorate,

* the quorum is met iff ``cast >= quorum * n`` (exactly, in fractions);
* the share is met iff FOR + AGAINST > 0 and ``FOR >= threshold * (FOR +
  AGAINST)``: abstentions count toward the quorum, not the share.

So 9 FOR / 1 AGAINST passes a 9/10 threshold and 8 FOR / 1 AGAINST does
not; 2 FOR / 1 AGAINST passes 2/3; 1 FOR / 1 AGAINST holds support at 1/2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

DAY = 86_400


def _durations(value: int) -> dict[str, int]:
    return {name: value for name in ("discussion", "vote", "concerns", "round", "planning")}


@dataclass(frozen=True, slots=True)
class Count:
    """Counted votes of one stage (or motion) against its electorate."""

    votes_for: int
    votes_against: int
    abstentions: int
    electorate: int

    @property
    def cast(self) -> int:
        return self.votes_for + self.votes_against + self.abstentions

    def quorum_met(self, quorum: Fraction) -> bool:
        return self.cast >= quorum * self.electorate

    def share_met(self, threshold: Fraction) -> bool:
        decided = self.votes_for + self.votes_against
        return decided > 0 and self.votes_for >= threshold * decided

    def passes(self, threshold: Fraction, quorum: Fraction) -> bool:
        return self.quorum_met(quorum) and self.share_met(threshold)


@dataclass(frozen=True, slots=True)
class ProcessRules:
    temperature_threshold: Fraction = Fraction(9, 10)
    final_threshold: Fraction = Fraction(2, 3)
    contention_threshold: Fraction = Fraction(1, 2)
    motion_threshold: Fraction = Fraction(1, 2)
    """Admissions, removals and mandate elections."""
    amendment_threshold: Fraction = Fraction(1, 2)
    recall_threshold: Fraction = Fraction(1, 2)
    """Share of the mandate's electorate whose latest recall vote is FOR that
    revokes the mandate at once (no close needed)."""
    quorum: Fraction = Fraction(1, 2)
    cosign_quorum: Fraction = Fraction(1, 2)
    """Share of the electorate whose co-signed CLOSEs close a stage after its
    deadline without the facilitator."""
    size_cap: int = 150
    min_duration: dict[str, int] = field(default_factory=lambda: _durations(0))
    deadline: dict[str, int] = field(default_factory=lambda: _durations(7 * DAY))

    def threshold(self, name: str) -> Fraction:
        value = getattr(self, name)
        assert isinstance(value, Fraction), name
        return value

    def needed(self, share: Fraction, electorate: int) -> int:
        """The smallest count c with c >= share * electorate (at least 1)."""
        need = share * electorate
        whole = need.numerator // need.denominator
        return max(1, whole if whole == need else whole + 1)
