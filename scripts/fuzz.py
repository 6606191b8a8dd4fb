"""scripts/fuzz: coverage-guided fuzzing of every untrusted entry point (see scripts/fuzz)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzzing import engine
from tests.fuzzing.targets import TARGETS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="scripts/fuzz",
        description=(
            "Fuzz every parser of untrusted input (tests/fuzzing/targets.py) and report the "
            "cases run and the escapes (exceptions other than the parser's allowed errors). "
            "Prints JSON {cases, escapes, targets, engine, seconds}; exits 1 on any escape."
        ),
    )
    p.add_argument(
        "--cases",
        type=int,
        default=10_000,
        help="cases IN ALL, split evenly across the targets run (default 10000); "
        "with --per-target, cases for each target",
    )
    p.add_argument("--per-target", action="store_true", help="--cases is per target, not in all")
    p.add_argument(
        "--target",
        action="append",
        choices=sorted(TARGETS),
        metavar="NAME",
        help="run only this target (repeatable; default every target; --list names them)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the mutations (default 0)")
    p.add_argument(
        "--engine",
        choices=["auto", "atheris", "builtin"],
        default="auto",
        help="atheris (coverage-guided, one child process per target) when installed "
        "(auto, the default), else the built-in mutation fuzzer",
    )
    p.add_argument(
        "--crashes",
        type=Path,
        default=Path("fuzz-crashes"),
        help="folder for escapes' inputs, each with a .txt traceback (default ./fuzz-crashes)",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        help="bound the whole run: each target gets an even share of the time left; "
        "one out of time stops short and reports the cases it ran",
    )
    p.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    p.add_argument("--list", action="store_true", help="list the targets and exit")
    args = p.parse_args(argv)
    if args.list:
        for name, t in TARGETS.items():
            print(f"{name:18} {t.about}")
        return 0
    if args.engine == "atheris" and not engine.atheris_available():
        p.error("atheris is not installed (pip install atheris==3.0.0)")
    targets = [TARGETS[n] for n in (args.target or TARGETS)]
    report = engine.run(
        targets,
        args.cases,
        seed=args.seed,
        engine=args.engine,
        crashes=args.crashes,
        max_seconds=args.max_seconds,
        per_target=args.per_target,
    )
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
        for path in report["crashes"]:
            print(f"escape input saved: {path}", file=sys.stderr)
    return 1 if report["escapes"] else 0


if __name__ == "__main__":
    sys.exit(main())
