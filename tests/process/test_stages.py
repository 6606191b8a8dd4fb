"""The transition table is the process: its shape, and the spec generated from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from protocol.errors import LocalProtocolError
from protocol.kinds import Kind
from protocol.stages import (
    ACCEPTS,
    DURATION,
    FINAL,
    ROUNDS,
    TRANSITIONS,
    VOTING,
    Event,
    Stage,
    next_stage,
)

ROOT = Path(__file__).resolve().parents[2]


def test_process_doc_is_generated_from_the_table() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_process_table", ROOT / "spec" / "gen_process_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "spec" / "process.md").read_text()
    assert module.render(text) == text, "spec/process.md is stale: run spec/gen_process_table.py"


def test_every_open_stage_has_a_way_out_and_final_stages_none() -> None:
    sources = {s for s, _ in TRANSITIONS}
    assert sources == set(Stage) - FINAL
    assert not sources & FINAL
    assert set(DURATION) == sources


def test_every_stage_is_reachable_from_a_start() -> None:
    reached = {Stage.DISCUSSION, Stage.MOTION}
    frontier = list(reached)
    while frontier:
        s = frontier.pop()
        for (src, _), dst in TRANSITIONS.items():
            if src == s and dst not in reached:
                reached.add(dst)
                frontier.append(dst)
    assert reached == set(Stage)


def test_votes_only_where_a_threshold_applies() -> None:
    for stage, kinds in ACCEPTS.items():
        assert (Kind.VOTE in kinds) == (stage in VOTING), stage
    for stage in ROUNDS:
        assert Kind.AMENDMENT in ACCEPTS[stage] and Kind.DELEGATE_ELECT in ACCEPTS[stage]


def test_a_transition_not_in_the_table_is_a_local_error() -> None:
    assert next_stage(Stage.FINAL_VOTE, Event.NOT_PASSED) == Stage.FAILED
    with pytest.raises(LocalProtocolError):
        next_stage(Stage.CARRIED, Event.PASSED)
