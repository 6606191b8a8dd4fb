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

Constitution parameters. GENESIS and CONSTITUTION_AMENDMENT carry
``[number, num, den]`` triples; ``PARAMETERS`` numbers every rule, and
``from_params``/``amend``/``to_params`` convert (spec/process.md §13, generated
from the table).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from .errors import OutOfRange

DAY = 86_400


def _durations(value: int) -> dict[str, int]:
    return {name: value for name in ("discussion", "vote", "concerns", "round", "planning")}


MIN_DISCUSSION = 2 * DAY
"""Default minimum duration of the discussion stage (spec/process.md §7.1):
seed 004 puts a discussion period between presenting a resolution and the
first vote; two days give every member a working day and an evening to read
the text and answer, well inside the week-long deadline."""


def _minimums() -> dict[str, int]:
    out = _durations(0)
    out["discussion"] = MIN_DISCUSSION
    return out


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
    min_constituent_size: int = 50
    """A Community or Workplace Council counts in a higher body's combination
    only while its electorate has at least this many members (seed 004:
    Communities of a consistent size, each given equal power). 50 is
    Dunbar's "band" layer below the 150 cap: no counted constituent carries
    more than three times the people of another. Read from the *higher*
    body's rules (spec/federation.md, "Equal power")."""
    ratification_threshold: Fraction = Fraction(2, 3)
    """Share of *all* the Collective's counting constituents whose verdicts
    must pass an amendment of the people's constitution for it to be
    ratified (spec/constitution.md, "The people's constitution"): a standing
    two-thirds of the whole federation, not of those who happened to decide
    — the final threshold a Community applies to its own decisions."""
    hand_count_witnesses: int = 2
    """Witnesses (besides the facilitator) who co-sign a hand count; as many
    contests leave a recount out."""
    mandate_max_term: int = 90 * DAY
    """The longest a mandate may run, nomination to expiry (seeds 001, 004:
    temporary delegates, term limits): one season of work; a longer task is
    renewed by a new election, after the cooling-off."""
    mandate_cooling_off: int = 30 * DAY
    """After a delegate's mandate for a resolution ends (expired or
    recalled), the time before the same member may be nominated for that
    resolution again (seed 001: "mandatory sabbaticals"; 002: rotate
    delegates): another member takes the next term."""
    min_duration: dict[str, int] = field(default_factory=_minimums)
    deadline: dict[str, int] = field(default_factory=lambda: _durations(7 * DAY))

    def threshold(self, name: str) -> Fraction:
        value = getattr(self, name)
        assert isinstance(value, Fraction), name
        return value

    def constituent_floor(self) -> int:
        """The members a constituent needs to count: the minimum size, never
        above the size cap (so a full constituent always counts)."""
        return min(self.min_constituent_size, self.size_cap)

    def needed(self, share: Fraction, electorate: int) -> int:
        """The smallest count c with c >= share * electorate (at least 1)."""
        need = share * electorate
        whole = need.numerator // need.denominator
        return max(1, whole if whole == need else whole + 1)


DURATION_NAMES = ("discussion", "vote", "concerns", "round", "planning")

# number -> (rule, kind, lowest, highest); kind is "share" (an exact fraction),
# "count" or "seconds" (whole numbers, den = 1). For durations the rule is
# "min_duration.<stage duration>" or "deadline.<stage duration>".
PARAMETERS: dict[int, tuple[str, str, Fraction, Fraction]] = {
    1: ("temperature_threshold", "share", Fraction(1, 2), Fraction(1)),
    2: ("final_threshold", "share", Fraction(1, 2), Fraction(1)),
    3: ("contention_threshold", "share", Fraction(0), Fraction(1)),
    4: ("motion_threshold", "share", Fraction(1, 2), Fraction(1)),
    5: ("amendment_threshold", "share", Fraction(1, 2), Fraction(1)),
    6: ("recall_threshold", "share", Fraction(1, 100), Fraction(1)),
    7: ("quorum", "share", Fraction(0), Fraction(1)),
    8: ("cosign_quorum", "share", Fraction(1, 100), Fraction(1)),
    9: ("size_cap", "count", Fraction(1), Fraction(100_000)),
    10: ("min_constituent_size", "count", Fraction(1), Fraction(100_000)),
    11: ("mandate_max_term", "seconds", Fraction(DAY), Fraction(365 * DAY)),
    12: ("mandate_cooling_off", "seconds", Fraction(0), Fraction(365 * DAY)),
    13: ("ratification_threshold", "share", Fraction(1, 2), Fraction(1)),
    40: ("hand_count_witnesses", "count", Fraction(1), Fraction(16)),
    **{
        16 + i: (f"min_duration.{n}", "seconds", Fraction(0), Fraction(365 * DAY))
        for i, n in enumerate(DURATION_NAMES)
    },
    **{
        24 + i: (f"deadline.{n}", "seconds", Fraction(0), Fraction(365 * DAY))
        for i, n in enumerate(DURATION_NAMES)
    },
}


FEDERAL_PARAMETERS = frozenset({9, 10, 13})
"""Parameters that hold the federation's promise of equal power (seed 004:
Communities of a consistent size, each with equal power): the size cap and
the minimum constituent size, and the share that ratifies the people's
constitution. They change only with the people's constitution (a ratified
CONSTITUTION_INITIATIVE, spec/constitution.md); every other
body revises its own procedures — thresholds, quorums, durations, deadlines,
witnesses — by its own process (seed 002: "every assembly should treat its
procedures as revisable"), within the bounds and the charter."""


def federal_in(params: tuple[tuple[int, int, int], ...]) -> int | None:
    """The index of the first federation-level parameter in ``params``."""
    for i, (number, _, _) in enumerate(params):
        if number in FEDERAL_PARAMETERS:
            return i
    return None


def amend(rules: ProcessRules, params: tuple[tuple[int, int, int], ...]) -> ProcessRules:
    """``rules`` with ``params`` applied; ``OutOfRange`` names the first
    parameter that is unknown, not whole where it must be, or out of bounds."""
    changes: dict[str, Any] = {}
    minimum = dict(rules.min_duration)
    deadline = dict(rules.deadline)
    for i, (number, num, den) in enumerate(params):
        where = f"params[{i}]"
        if number not in PARAMETERS:
            raise OutOfRange(f"unknown constitution parameter {number}", field=where)
        name, kind, low, high = PARAMETERS[number]
        if den == 0:
            raise OutOfRange(f"parameter {number} ({name}) has denominator 0", field=where)
        value = Fraction(num, den)
        if kind != "share" and value.denominator != 1:
            raise OutOfRange(f"parameter {number} ({name}) must be a whole number", field=where)
        if not low <= value <= high:
            raise OutOfRange(
                f"parameter {number} ({name}) = {value} outside {low}..{high}", field=where
            )
        if name.startswith("min_duration."):
            minimum[name.split(".", 1)[1]] = int(value)
        elif name.startswith("deadline."):
            deadline[name.split(".", 1)[1]] = int(value)
        else:
            changes[name] = value if kind == "share" else int(value)
    amended = replace(rules, min_duration=minimum, deadline=deadline, **changes)
    broken = charter_violations(amended)
    if broken:
        raise OutOfRange(f"the parameters would violate the charter: {broken[0]}", field="params")
    return amended


def charter_violations(rules: ProcessRules) -> list[str]:
    """The civil-rights invariants no genesis and no constitution amendment
    may break (spec/constitution.md, "The charter"): checked, not just
    documented. Returns what is broken, in plain words; empty when none."""
    out = []
    if rules.recall_threshold > Fraction(1, 2):
        out.append(
            "every member keeps the right to recall: half the members must suffice "
            "to recall a delegate"
        )
    if rules.cosign_quorum > Fraction(1, 2):
        out.append(
            "no facilitator can block a decision: half the members must suffice to close a stage"
        )
    if rules.quorum > Fraction(1, 2):
        out.append("a quorum above half would let an absent majority block every decision")
    for stage, limit in rules.deadline.items():
        if limit < rules.min_duration.get(stage, 0):
            out.append(f"the {stage} deadline comes before its minimum duration: it never closes")
    return out


def from_params(params: tuple[tuple[int, int, int], ...]) -> ProcessRules:
    """The rules a GENESIS founds its body with (defaults for the rest)."""
    return amend(ProcessRules(), params)


def to_params(rules: ProcessRules) -> tuple[tuple[int, int, int], ...]:
    """Every parameter of ``rules`` as ascending triples (for a GENESIS)."""
    out = []
    for number, (name, _, _, _) in sorted(PARAMETERS.items()):
        if name.startswith("min_duration."):
            value = Fraction(rules.min_duration[name.split(".", 1)[1]])
        elif name.startswith("deadline."):
            value = Fraction(rules.deadline[name.split(".", 1)[1]])
        else:
            value = Fraction(getattr(rules, name))
        out.append((number, value.numerator, value.denominator))
    return tuple(out)
