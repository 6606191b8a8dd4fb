"""The constitution as a versioned, typed value.

``protocol.rules`` holds the numbers the process runs on (``ProcessRules``),
the numbered parameter table (``PARAMETERS``: wire number -> rule, kind,
bounds) and the checks (``amend`` rejects unknown numbers, non-whole counts,
values outside the bounds and anything that breaks the charter). This module
wraps them into what a body *has*: a ``Constitution`` with a version, the
rules, and the federation-level settings that are not (yet) wire parameters
— the attestation ``k`` and the combining rule.

* ``Constitution.local(params)`` — the constitution a GENESIS founds a body
  with: its ``params`` are local values, each checked against its bounds
  and the charter (``OutOfRange`` naming the parameter otherwise).
* ``Constitution.apply_amendment(params, level=...)`` — a carried
  CONSTITUTION_AMENDMENT: any body revises its own procedures; the
  federation-level parameters (``FEDERAL_PARAMETERS``: size cap, minimum
  constituent size, ratification threshold) change only with the people's
  constitution (``protocol.federal``); the version goes up by one.
* ``PARAMETER_TABLE`` — every parameter with its number, name, kind, bounds
  and default, for documentation and user interfaces.

Sans-IO and pure; values in, values or ``OutOfRange`` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import OutOfRange
from .kinds import BodyKind
from .rules import (
    PARAMETERS,
    ProcessRules,
    amend,
    charter_violations,
    federal_in,
    to_params,
)

Params = tuple[tuple[int, int, int], ...]

MAX_ATTESTATION_K = 7
"""An attestation is about 229 + 101·k bytes (largest counts, with the
text hash): k <= 7 keeps it within 1 KB for a radio link (spec/federation.md)."""

COMBINING_RULES = ("one-community-one-vote",)
"""Known rules for combining member verdicts (spec/federation.md,
"Combining"): each member body one vote, the Community thresholds."""


def federal_reason(number: int, level: BodyKind | None = None) -> str:
    """Why no body's CONSTITUTION_AMENDMENT may change parameter ``number``."""
    by = f" (not by a {level.name.title()}'s own amendment)" if level is not None else ""
    return (
        f"parameter {number} ({PARAMETERS[number][0]}) belongs to the people's constitution: "
        f"it changes only by an initiative ratified from the Communities' verdicts{by}"
    )


@dataclass(frozen=True, slots=True)
class Parameter:
    number: int
    name: str
    kind: str  # "share" (exact fraction), "count" or "seconds" (whole numbers)
    low: Fraction
    high: Fraction
    default: Fraction


def _table() -> tuple[Parameter, ...]:
    defaults = {n: Fraction(num, den) for n, num, den in to_params(ProcessRules())}
    return tuple(
        Parameter(number, name, kind, low, high, defaults[number])
        for number, (name, kind, low, high) in sorted(PARAMETERS.items())
    )


PARAMETER_TABLE: tuple[Parameter, ...] = _table()


@dataclass(frozen=True, slots=True)
class Constitution:
    """A body's constitution: version 1 at its genesis, +1 per amendment."""

    version: int = 1
    rules: ProcessRules = field(default_factory=ProcessRules)
    attestation_k: int = 5
    """Member co-signatures a compact attestation needs (spec/federation.md)."""
    combining: str = "one-community-one-vote"

    def __post_init__(self) -> None:
        if self.version < 1:
            raise OutOfRange(f"constitution version {self.version} < 1", field="version")
        top = min(MAX_ATTESTATION_K, self.rules.size_cap)
        if not 1 <= self.attestation_k <= top:
            raise OutOfRange(
                f"attestation k = {self.attestation_k} outside 1..{top} "
                f"(at most {MAX_ATTESTATION_K} to fit 1 KB, at most the community size cap)",
                field="attestation_k",
            )
        if self.combining not in COMBINING_RULES:
            raise OutOfRange(f"unknown combining rule {self.combining!r}", field="combining")
        broken = charter_violations(self.rules)
        if broken:
            raise OutOfRange(f"the constitution violates the charter: {broken[0]}", field="rules")

    @classmethod
    def local(cls, params: Params) -> Constitution:
        """The constitution a GENESIS with ``params`` founds its body with."""
        return cls(1, amend(ProcessRules(), params))

    def apply_amendment(self, params: Params, *, level: BodyKind) -> Constitution:
        """The constitution after a carried CONSTITUTION_AMENDMENT of a body
        at ``level``: a body amends its own procedures; the federation-level
        parameters change only with the people's constitution
        (``protocol.federal``), never by a body's own amendment."""
        i = federal_in(params)
        if i is not None:
            raise OutOfRange(federal_reason(params[i][0], level), field=f"params[{i}]")
        return Constitution(
            self.version + 1, amend(self.rules, params), self.attestation_k, self.combining
        )

    def params(self) -> Params:
        """Every wire parameter as ascending ``(number, num, den)`` triples."""
        return to_params(self.rules)

    def value(self, number: int) -> Fraction:
        """The value of parameter ``number``."""
        for n, num, den in self.params():
            if n == number:
                return Fraction(num, den)
        raise OutOfRange(f"unknown constitution parameter {number}", field="number")
