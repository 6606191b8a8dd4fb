"""Running targets: the built-in mutation fuzzer in this process, or atheris
(libFuzzer's coverage-guided loop) in one child process per target.

Either way a case is one call of ``Target.run``; an exception it lets out is
an *escape*: counted, described (type, message, where, the input's start)
and its input saved under the crashes folder, and the run goes on. A case
that takes longer than ``CASE_TIMEOUT`` seconds is an escape too (the
built-in engine's alarm; libFuzzer's ``-timeout``, which ends that
target's child, and the parent records it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from .mutate import Mutator
from .target import ROOT, Target, reset

CASE_TIMEOUT = 30
KEEP_CRASHES = 10
"""Distinct escapes (by type and place) whose inputs are saved per target."""


@dataclass
class Result:
    name: str
    cases: int = 0
    escapes: int = 0
    first_escape: str | None = None
    crashes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CaseTimeout(BaseException):
    """A case ran past CASE_TIMEOUT (BaseException: no ``except Exception``
    in a parser swallows it)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout(f"a case ran longer than {CASE_TIMEOUT} s")


def describe(exc: BaseException, data: bytes) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if str(ROOT) in f.filename and "/tests/fuzzing/" not in f.filename]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    place = f"{Path(where.filename).name}:{where.lineno} in {where.name}" if where else "?"
    tail = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-6:]))
    return f"{type(exc).__name__}: {str(exc)[:300]} at {place} [{tail}]; input {data[:80]!r}"


def signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    return f"{type(exc).__name__}@{last.filename}:{last.lineno}" if last else type(exc).__name__


class Recorder:
    """Counts a target's escapes, keeps the first, saves distinct inputs."""

    def __init__(self, result: Result, crashes: Path) -> None:
        self.result = result
        self.crashes = crashes
        self.seen: set[str] = set()

    def escape(self, exc: BaseException, data: bytes) -> None:
        r = self.result
        r.escapes += 1
        if r.first_escape is None:
            r.first_escape = describe(exc, data)
        sig = signature(exc)
        if sig in self.seen or len(self.seen) >= KEEP_CRASHES:
            return
        self.seen.add(sig)
        self.crashes.mkdir(parents=True, exist_ok=True)
        path = self.crashes / f"{r.name}-{hashlib.sha256(data).hexdigest()[:16]}"
        path.write_bytes(data)
        path.with_suffix(".txt").write_text(describe(exc, data) + "\n\n" + _format(exc))
        r.crashes.append(str(path))
        print(f"fuzz: {r.name}: escape saved to {path}: {describe(exc, data)}", file=sys.stderr)


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def seeds_of(target: Target) -> list[bytes]:
    out = list(dict.fromkeys(s for s in target.seeds() if s))
    return out or [b"\x00"]


# --- built-in ---------------------------------------------------------------------------


def run_builtin(
    target: Target, cases: int, seed: int, crashes: Path, max_seconds: float | None = None
) -> Result:
    """``cases`` inputs (fewer if ``max_seconds`` runs out): every seed
    once, then mutations of random seeds."""
    result = Result(target.name)
    recorder = Recorder(result, crashes)
    rng = random.Random(f"{seed}:{target.name}")
    seeds = seeds_of(target)
    mutator = Mutator(target, seeds)
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i in range(cases):
            if max_seconds is not None and time.monotonic() - start > max_seconds:
                break
            data = seeds[i] if i < len(seeds) else mutator(rng.choice(seeds), rng)
            result.cases += 1
            signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
            try:
                target.run(data)
            except (Exception, CaseTimeout) as exc:
                recorder.escape(exc, data)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)
    result.seconds = round(time.monotonic() - start, 2)
    return result


# --- atheris ----------------------------------------------------------------------------------


def atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def run_atheris(
    target: Target, cases: int, seed: int, crashes: Path, max_seconds: float | None = None
) -> Result:
    """One child process (``tests.fuzzing.atheris_child``) fuzzes ``target``
    for ``cases`` runs, reporting through a stats file."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target.name}-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        seeds = seeds_of(target)
        for i, s in enumerate(seeds):
            (corpus / f"seed-{i:04d}").write_bytes(s)
        stats = work / "stats.json"
        crashes.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "tests.fuzzing.atheris_child",
            target.name,
            str(cases),
            str(seed),
            str(crashes.resolve()),
            str(stats),
            str(corpus),
            str(max(4096, min(1 << 20, 2 * max(len(s) for s in seeds)))),
            str(time.time() + max_seconds if max_seconds else 0),
        ]
        log = work / "libfuzzer.log"
        with log.open("wb") as out:
            rc = subprocess.call(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        result = Result(target.name)
        if stats.exists():
            doc = json.loads(stats.read_text())
            result = Result(**{k: doc[k] for k in asdict(result) if k in doc})
        if rc != 0:  # libFuzzer stopped the target: a timeout, out of memory, a crash
            lines = log.read_text(errors="replace").splitlines()
            why = [ln for ln in lines if "ERROR" in ln or "ALARM" in ln or "artifact" in ln]
            artifacts = [ln.split("written to ")[-1] for ln in lines if "written to " in ln]
            result.escapes += 1
            note = f"libFuzzer stopped the child (exit {rc}): {' | '.join(why[-3:])[:500]}"
            result.first_escape = result.first_escape or note
            result.crashes.extend(artifacts)
            print(f"fuzz: {target.name}: {note}", file=sys.stderr)
            print("\n".join(lines[-30:]), file=sys.stderr)
    result.seconds = round(time.monotonic() - start, 2)
    return result


# --- both -------------------------------------------------------------------------------------


def split(total: int, n: int) -> list[int]:
    """``total`` cases over ``n`` targets, as evenly as whole numbers go."""
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


def run(
    targets: list[Target],
    cases: int,
    *,
    seed: int = 0,
    engine: str = "auto",
    crashes: Path = Path("fuzz-crashes"),
    max_seconds: float | None = None,
    per_target: bool = False,
) -> dict[str, Any]:
    """Fuzz ``targets`` with ``cases`` in all (split evenly) or, with
    ``per_target``, ``cases`` each; the report scripts/fuzz prints.
    ``max_seconds`` bounds the whole run: each target gets an even share of
    the time left when it starts (so a target done early leaves its time to
    the rest); one out of time stops short and reports the cases it ran."""
    if engine == "auto":
        engine = "atheris" if atheris_available() else "builtin"
    counts = [cases] * len(targets) if per_target else split(cases, len(targets))
    start = time.monotonic()
    results = []
    logging.disable(logging.CRITICAL)  # a node logs every hostile peer it meets
    try:
        for i, (target, n) in enumerate(zip(targets, counts, strict=True)):
            budget = None
            if max_seconds is not None:  # what is left, shared by the targets still to run
                left = max_seconds - (time.monotonic() - start)
                budget = max(1.0, left / (len(targets) - i))
            if engine == "atheris":
                r = run_atheris(target, n, seed, crashes, budget)
            else:
                r = run_builtin(target, n, seed, crashes, budget)
            results.append(r)
            print(
                f"fuzz: {r.name}: {r.cases} cases, {r.escapes} escapes, {r.seconds} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        logging.disable(logging.NOTSET)
        reset()
    return {
        "cases": sum(r.cases for r in results),
        "escapes": sum(r.escapes for r in results),
        "targets": [
            {"name": r.name, "cases": r.cases, "escapes": r.escapes, "first_escape": r.first_escape}
            for r in results
        ],
        "engine": engine,
        "seconds": round(time.monotonic() - start, 2),
        "crashes": [c for r in results for c in r.crashes],
    }
