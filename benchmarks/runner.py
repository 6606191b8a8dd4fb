"""``caracol bench <topic>``: every benchmark prints a table, or with
``--json`` the same figures as one JSON object.

A topic is a module ``benchmarks/<topic>.py`` exposing ``add_arguments(p)``
and ``measure(args) -> dict``. The dict's scalar entries print as a
two-column table; an entry that is a list of dicts (e.g. ``rows``) prints as
its own table with one column per key.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from typing import Any

import benchmarks


def topics() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name not in ("runner", "table") and not m.name.startswith("_")
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    sub = parser.add_subparsers(dest="topic", metavar="TOPIC", required=True)
    for name in topics():
        module = importlib.import_module(f"benchmarks.{name}")
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        p.add_argument(
            "--json", action="store_true", dest="json_topic", help="print one JSON object"
        )
        module.add_arguments(p)


def run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"benchmarks.{args.topic}")
    result: dict[str, Any] = module.measure(args)
    if args.json or getattr(args, "json_topic", False):
        json.dump(result, sys.stdout, sort_keys=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(args.topic, result))
    return 0


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render(title: str, result: dict[str, Any]) -> str:
    out = [f"caracol bench {title}", ""]
    scalars = [(k, v) for k, v in result.items() if not isinstance(v, (list, dict))]
    if scalars:
        width = max(len(k) for k, _ in scalars)
        out += [f"  {k:<{width}}  {_cell(v)}" for k, v in scalars]
        out.append("")
    for key, item in result.items():
        value = item
        if isinstance(item, dict):
            value = [
                {"name": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in item.items()
            ]
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            cols = list(dict.fromkeys(c for r in value for c in r))
            cells = [[_cell(r.get(c, "")) for c in cols] for r in value]
            widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
            out.append(f"  {key}:")
            out.append("    " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
            out += [
                "    " + "  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True))
                for row in cells
            ]
            out.append("")
    return "\n".join(out) + "\n"
