"""The stages of a proposal and of a motion, and every transition, as data.

Theory of operation. A proposal moves through the Community process of
seed 004 (spec/process.md): discussion, a temperature check, concerns, the
non-deal-breaker ("minor") round and its check, the deal-breaker ("major")
round, the final vote, planning (contention) and an end: carried, failed or
tabled. A *motion* (an admission, a removal, a mandate election) has a single
voting stage and ends adopted or rejected.

Only a stage's effective CLOSE moves a subject on. The fold evaluates the
close (tallies, grievances, delegates, amendments) and turns the result into
one ``Event``; the next stage is ``TRANSITIONS[(stage, event)]``. A pair not
in the table is a bug in the fold, never a remote input (remote input that
does not fit is recorded by the fold as an ignored message with a reason).
``ACCEPTS`` says which message kinds a stage takes; anything else sent
"into" that stage is recorded as ignored. spec/process.md's tables are
rendered from these structures by ``render_markdown`` (checked by a test),
so the spec cannot drift from the code.
"""

from __future__ import annotations

from enum import IntEnum

from .kinds import Kind


class Stage(IntEnum):
    """A subject's stage; the number is what ``Close.stage`` carries."""

    DISCUSSION = 1
    TEMPERATURE = 2
    CONCERNS = 3
    MINOR_ROUND = 4
    MINOR_CHECK = 5
    MAJOR_ROUND = 6
    FINAL_VOTE = 7
    PLANNING = 8
    CARRIED = 9
    FAILED = 10
    TABLED = 11
    MOTION = 12
    ADOPTED = 13
    REJECTED = 14


class Event(IntEnum):
    """The result of evaluating a stage's effective close."""

    CLOSED = 1
    PASSED = 2
    NOT_PASSED = 3
    MINOR_GRIEVANCES = 4
    ONLY_MAJOR_GRIEVANCES = 5
    NO_GRIEVANCES = 6
    NOT_PASSED_MAJOR_PENDING = 7
    NOT_PASSED_NO_MAJOR = 8
    SUPPORT_HELD = 9
    SUPPORT_LOST = 10


TRANSITIONS: dict[tuple[Stage, Event], Stage] = {
    (Stage.DISCUSSION, Event.CLOSED): Stage.TEMPERATURE,
    (Stage.TEMPERATURE, Event.PASSED): Stage.PLANNING,
    (Stage.TEMPERATURE, Event.NOT_PASSED): Stage.CONCERNS,
    (Stage.CONCERNS, Event.MINOR_GRIEVANCES): Stage.MINOR_ROUND,
    (Stage.CONCERNS, Event.ONLY_MAJOR_GRIEVANCES): Stage.MAJOR_ROUND,
    (Stage.CONCERNS, Event.NO_GRIEVANCES): Stage.FINAL_VOTE,
    (Stage.MINOR_ROUND, Event.CLOSED): Stage.MINOR_CHECK,
    (Stage.MINOR_CHECK, Event.PASSED): Stage.PLANNING,
    (Stage.MINOR_CHECK, Event.NOT_PASSED_MAJOR_PENDING): Stage.MAJOR_ROUND,
    (Stage.MINOR_CHECK, Event.NOT_PASSED_NO_MAJOR): Stage.FINAL_VOTE,
    (Stage.MAJOR_ROUND, Event.CLOSED): Stage.FINAL_VOTE,
    (Stage.FINAL_VOTE, Event.PASSED): Stage.PLANNING,
    (Stage.FINAL_VOTE, Event.NOT_PASSED): Stage.FAILED,
    (Stage.PLANNING, Event.SUPPORT_HELD): Stage.CARRIED,
    (Stage.PLANNING, Event.SUPPORT_LOST): Stage.TABLED,
    (Stage.MOTION, Event.PASSED): Stage.ADOPTED,
    (Stage.MOTION, Event.NOT_PASSED): Stage.REJECTED,
}

FINAL: frozenset[Stage] = frozenset(
    {Stage.CARRIED, Stage.FAILED, Stage.TABLED, Stage.ADOPTED, Stage.REJECTED}
)
"""Stages no close leaves. (A carried resolution still takes MANDATE
nominations; those are motions of their own.)"""

VOTING: dict[Stage, str] = {
    Stage.TEMPERATURE: "temperature_threshold",
    Stage.MINOR_CHECK: "temperature_threshold",
    Stage.FINAL_VOTE: "final_threshold",
    Stage.PLANNING: "contention_threshold",
    Stage.MOTION: "motion_threshold",
}
"""Stages that take VOTE messages, and the constitution parameter holding the
share of FOR among FOR+AGAINST the stage needs."""

ROUNDS: dict[Stage, bool] = {Stage.MINOR_ROUND: False, Stage.MAJOR_ROUND: True}
"""Grievance rounds and the ``deal_breaker`` flag of the grievances they treat."""

DURATION: dict[Stage, str] = {
    Stage.DISCUSSION: "discussion",
    Stage.TEMPERATURE: "vote",
    Stage.CONCERNS: "concerns",
    Stage.MINOR_ROUND: "round",
    Stage.MINOR_CHECK: "vote",
    Stage.MAJOR_ROUND: "round",
    Stage.FINAL_VOTE: "vote",
    Stage.PLANNING: "planning",
    Stage.MOTION: "vote",
}
"""Which duration of the constitution applies to each open stage."""

_HAND_KINDS = (Kind.HAND_COUNT, Kind.HAND_COUNT_CONTEST)

_ROUND_KINDS = frozenset(
    {
        Kind.COMMENT,
        Kind.DELEGATE_ELECT,
        Kind.PLEA,
        Kind.AGREEMENT,
        Kind.AMENDMENT,
        Kind.AMENDMENT_VOTE,
        Kind.CLOSE,
    }
)

ACCEPTS: dict[Stage, frozenset[Kind]] = {
    Stage.DISCUSSION: frozenset({Kind.COMMENT, Kind.CLOSE}),
    Stage.TEMPERATURE: frozenset({Kind.COMMENT, Kind.VOTE, Kind.CLOSE, *_HAND_KINDS}),
    Stage.CONCERNS: frozenset({Kind.COMMENT, Kind.GRIEVANCE, Kind.CLOSE}),
    Stage.MINOR_ROUND: _ROUND_KINDS,
    Stage.MINOR_CHECK: frozenset({Kind.COMMENT, Kind.VOTE, Kind.CLOSE, *_HAND_KINDS}),
    Stage.MAJOR_ROUND: _ROUND_KINDS,
    Stage.FINAL_VOTE: frozenset({Kind.COMMENT, Kind.VOTE, Kind.CLOSE, *_HAND_KINDS}),
    Stage.PLANNING: frozenset({Kind.COMMENT, Kind.VOTE, Kind.CLOSE}),
    Stage.CARRIED: frozenset({Kind.COMMENT, Kind.MANDATE}),
    Stage.FAILED: frozenset({Kind.COMMENT}),
    Stage.TABLED: frozenset({Kind.COMMENT}),
    Stage.MOTION: frozenset({Kind.VOTE, Kind.CLOSE, *_HAND_KINDS}),
    Stage.ADOPTED: frozenset(),
    Stage.REJECTED: frozenset(),
}
"""Message kinds each stage takes (by the stage open in the message's causal
past). RECALL_VOTE is not staged: it targets an adopted mandate at any time."""


def next_stage(stage: Stage, event: Event) -> Stage:
    """The table lookup. A missing pair means the fold asked for a transition
    the process does not have: a local bug, so it raises."""
    from .errors import LocalProtocolError

    try:
        return TRANSITIONS[(stage, event)]
    except KeyError:
        raise LocalProtocolError(
            f"no transition from {stage.name} on {event.name}", field="stage"
        ) from None


def _name(x: IntEnum) -> str:
    return x.name.lower()


def render_markdown() -> str:
    """The tables of spec/process.md, rendered from the structures above."""
    out = ["| from stage | on | to stage |", "| --- | --- | --- |"]
    for (stage, event), to in TRANSITIONS.items():
        out.append(
            f"| {stage.value} `{_name(stage)}` | `{_name(event)}` | {to.value} `{_name(to)}` |"
        )
    out += ["", "| stage | takes | vote threshold | duration |", "| --- | --- | --- | --- |"]
    for stage in Stage:
        takes = ", ".join(f"`{_name(k)}`" for k in sorted(ACCEPTS[stage])) or "nothing"
        threshold = f"`{VOTING[stage]}`" if stage in VOTING else "—"
        duration = f"`{DURATION[stage]}`" if stage in DURATION else "— (final)"
        out.append(f"| {stage.value} `{_name(stage)}` | {takes} | {threshold} | {duration} |")
    out += ["", "```mermaid", "stateDiagram-v2"]
    for (stage, event), to in TRANSITIONS.items():
        out.append(f"    {_name(stage)} --> {_name(to)}: {_name(event)}")
    out.append("```")
    return "\n".join(out)
