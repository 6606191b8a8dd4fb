"""The small fuzzing budget CI runs (issue 16.1): every target of
tests/fuzzing/targets.py through the same code as ``scripts/fuzz``, a few
hundred cases each, and no escapes. The long run is ``scripts/fuzz
--cases 1000000`` (on demand: it takes most of an hour)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzzing import engine
from tests.fuzzing.target import Target
from tests.fuzzing.targets import TARGETS

CASES = 300


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_target_runs_its_budget_without_an_escape(name: str, tmp_path: Path) -> None:
    report = engine.run([TARGETS[name]], CASES, engine="builtin", crashes=tmp_path, seed=16)
    assert report["targets"][0]["first_escape"] is None, report["targets"][0]
    assert report["escapes"] == 0
    assert report["cases"] == report["targets"][0]["cases"] == CASES
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not engine.atheris_available(), reason="atheris is not installed")
def test_atheris_runs_a_target_coverage_guided(tmp_path: Path) -> None:
    """The engine scripts/fuzz uses when atheris is installed: one child
    process per target, its cases counted through the stats file."""
    report = engine.run([TARGETS["frames"]], 500, engine="atheris", crashes=tmp_path, seed=16)
    assert report["engine"] == "atheris"
    assert report["escapes"] == 0, report
    assert report["cases"] >= 500  # libFuzzer may run a seed more than once


def test_cases_are_split_across_targets_in_all() -> None:
    assert engine.split(1_000_000, 24) == [41_667] * 16 + [41_666] * 8
    assert sum(engine.split(7, 3)) == 7


def test_an_escape_is_counted_described_and_its_input_saved(tmp_path: Path) -> None:
    def run(data: bytes) -> None:
        if data.startswith(b"\x01"):
            raise KeyError("boom")

    target = Target("demo", run, lambda: [b"\x01abc", b"\x02"], "a parser that fails")
    report = engine.run([target], 50, engine="builtin", crashes=tmp_path)
    assert report["escapes"] >= 1
    first = report["targets"][0]["first_escape"]
    assert first.startswith("KeyError: 'boom'"), first
    [saved] = report["crashes"]
    assert Path(saved).read_bytes().startswith(b"\x01")
    assert Path(saved).with_suffix(".txt").read_text().count("KeyError") >= 2
