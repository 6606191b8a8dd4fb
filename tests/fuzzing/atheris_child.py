"""One target under atheris (run by ``engine.run_atheris``, never by hand).

    python -m tests.fuzzing.atheris_child NAME RUNS SEED CRASHES STATS CORPUS MAX_LEN DEADLINE

(DEADLINE: a time.time() to stop at, 0 for none).

The packages are imported under ``atheris.instrument_imports`` so libFuzzer
sees their coverage. Escapes are caught here (not left to libFuzzer, which
would stop at the first), counted and saved like the built-in engine's; the
stats file is rewritten every few seconds and at the last run, because
libFuzzer ends the process with exit(), past Python's own clean-up (and
out of time, this module ends it the same way, its count written first).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["protocol", "crdt", "mesh", "node", "interop"]):
    from tests.fuzzing.targets import TARGETS

from tests.fuzzing.engine import CASE_TIMEOUT, Recorder, Result, seeds_of
from tests.fuzzing.mutate import Mutator


def main(argv: list[str]) -> None:
    name, runs, seed, crashes, stats, corpus, max_len, until = argv
    target = TARGETS[name]
    result = Result(name)
    recorder = Recorder(result, Path(crashes))
    mutator = Mutator(target, seeds_of(target))
    total = int(runs)
    start = time.monotonic()
    last = [start]
    deadline = float(until) or None

    def write() -> None:
        result.seconds = round(time.monotonic() - start, 2)
        tmp = Path(stats + ".tmp")
        tmp.write_text(json.dumps(result.to_json()))
        tmp.replace(stats)

    def test_one(data: bytes) -> None:
        result.cases += 1
        try:
            target.run(data)
        except Exception as exc:
            recorder.escape(exc, data)
        now = time.monotonic()
        if result.cases >= total or now - last[0] > 2:
            last[0] = now
            write()
        if deadline is not None and time.time() > deadline:
            write()
            os._exit(0)  # out of time: libFuzzer's own -max_total_time would lose the count

    def custom_mutator(data: bytes, max_size: int, mseed: int) -> bytes:
        rng = random.Random(mseed)
        if rng.random() < 0.4:
            out: bytes = atheris.Mutate(data, max_size)
            if target.fixup is not None and rng.random() < 0.5:
                out = target.fixup(out)
            return out[:max_size]
        return mutator(data, rng, max_size)

    args = [
        sys.argv[0],
        f"-runs={total}",
        f"-seed={int(seed) + 1}",  # libFuzzer takes 0 as "pick one"
        f"-max_len={max_len}",
        f"-timeout={CASE_TIMEOUT}",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={crashes}/{name}-libfuzzer-",
        "-print_final_stats=1",
        corpus,
    ]
    write()
    atheris.Setup(args, test_one, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
